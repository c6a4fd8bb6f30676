//! Turns recorded Codex backend events into stream events v1 and the final `Response`, the way
//! a streaming and a non-streaming call see them. Runs offline.
//!
//! `cargo run -p oauth-codex --example replay_events`

use oauth_codex::{BackendEvent, EventMapper, ResponseAccumulator};

const RECORDED: &[&str] = &[
    r#"{"type":"response.created","response":{"id":"resp_demo","model":"gpt-5.2-codex","status":"in_progress"}}"#,
    r#"{"type":"response.reasoning_summary_text.delta","item_id":"rs_1","summary_index":0,"delta":"Thinking about PKCE."}"#,
    r#"{"type":"response.output_item.done","item":{"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"Thinking about PKCE."}],"encrypted_content":"gAAAA-demo"}}"#,
    r#"{"type":"response.output_text.delta","item_id":"msg_1","delta":"PKCE binds "}"#,
    r#"{"type":"response.output_text.delta","item_id":"msg_1","delta":"the code to its requester."}"#,
    r#"{"type":"response.output_item.done","item":{"type":"message","id":"msg_1","role":"assistant","content":[{"type":"output_text","text":"PKCE binds the code to its requester."}]}}"#,
    r#"{"type":"response.completed","response":{"id":"resp_demo","status":"completed","usage":{"input_tokens":12,"output_tokens":9,"total_tokens":21}}}"#,
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut mapper = EventMapper::new().keep_raw(false);
    let mut accumulator = ResponseAccumulator::new();
    for data in RECORDED {
        for event in mapper.map(&BackendEvent::parse(None, data)?) {
            println!("{}", serde_json::to_string(&event)?);
            accumulator.push(&event);
        }
    }
    mapper.finish()?;
    let response = accumulator.finish();
    println!("---");
    println!("id: {}", response.id);
    println!("text: {}", response.output_text);
    println!("reasoning: {}", response.reasoning_summary.as_deref().unwrap_or("-"));
    println!("finish_reason: {:?}", response.finish_reason);
    println!("usage: {:?}", response.usage);
    Ok(())
}
