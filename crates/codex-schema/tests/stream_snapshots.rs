//! Backend SSE sequences → stream events v1 → `Response`, snapshotted and checked.

mod common;

use common::{FIXTURES, fixture, frames};

use codex_schema::{
    BackendEvent, EventMapper, FinishReason, Item, Response, ResponseAccumulator, StreamEvent,
    StreamEventType,
};

/// Runs a fixture through the mapper (without per-event raw, to keep snapshots readable) and
/// the accumulator.
fn run(name: &str) -> (Vec<StreamEvent>, Response) {
    let mut mapper = EventMapper::new().keep_raw(false);
    let mut events = Vec::new();
    for (event_name, data) in frames(&fixture(name)) {
        let event = BackendEvent::parse(event_name.as_deref(), &data).expect("fixtures are JSON");
        mapper.map_into(&event, &mut events);
    }
    events.extend(mapper.finish().expect("every fixture ends the response"));
    let response = Response::from_events(&events);
    (events, response)
}

fn kinds(events: &[StreamEvent]) -> Vec<StreamEventType> {
    events.iter().map(|e| e.kind).collect()
}

/// The response without `raw` (the final backend JSON is already in the events snapshot).
fn without_raw(mut response: Response) -> Response {
    assert!(response.raw.is_some(), "the final backend response is kept");
    response.raw = None;
    response
}

fn check_invariants(events: &[StreamEvent]) {
    assert_eq!(events.first().map(|e| e.kind), Some(StreamEventType::ResponseStarted));
    assert_eq!(events.last().map(|e| e.kind), Some(StreamEventType::ResponseCompleted));
    let started = events.iter().filter(|e| e.kind == StreamEventType::ResponseStarted).count();
    let completed = events.iter().filter(|e| e.kind == StreamEventType::ResponseCompleted).count();
    assert_eq!((started, completed), (1, 1));
    for event in events {
        let json = serde_json::to_value(event).unwrap();
        assert_eq!(json["schema_version"], "v1");
    }
}

#[test]
fn plain_text() {
    let (events, response) = run("plain_text");
    check_invariants(&events);
    assert_eq!(response.output_text, "Hello, world — ünïcødé ✓");
    assert_eq!(response.finish_reason, Some(FinishReason::Stop));
    let usage = response.usage.unwrap();
    assert_eq!((usage.input_tokens, usage.cached_input_tokens, usage.total_tokens), (21, 8, 30));
    assert_eq!(response.output.len(), 1, "output comes from output_item.done, not the duplicate list");
    insta::assert_json_snapshot!("plain_text_events", events);
    insta::assert_json_snapshot!("plain_text_response", without_raw(response));
}

#[test]
fn reasoning_summary_then_text() {
    let (events, response) = run("reasoning_then_text");
    check_invariants(&events);
    assert_eq!(
        response.reasoning_summary.as_deref(),
        Some("**Planning** the answer.\n\nChecking the facts."),
        "summary parts are separated by a blank line, in the stream and in the response"
    );
    assert_eq!(response.encrypted_reasoning_content.as_deref(), Some("gAAAAABpZ-encrypted-reasoning-blob"));
    assert_eq!(response.reasoning_items.len(), 1);
    assert_eq!(response.usage.unwrap().reasoning_tokens, 96);
    assert_eq!(response.output_text, "PKCE stops code interception.");
    assert_eq!(events.iter().filter(|e| e.kind == StreamEventType::ReasoningDone).count(), 1);
    insta::assert_json_snapshot!("reasoning_then_text_events", events);
    insta::assert_json_snapshot!("reasoning_then_text_response", without_raw(response));
}

#[test]
fn one_function_call_with_streamed_arguments() {
    let (events, response) = run("function_call");
    check_invariants(&events);
    assert_eq!(
        kinds(&events),
        [
            StreamEventType::ResponseStarted,
            StreamEventType::ToolCallStarted,
            StreamEventType::ToolCallArgumentsDelta,
            StreamEventType::ToolCallArgumentsDelta,
            StreamEventType::ToolCallDone,
            StreamEventType::Usage,
            StreamEventType::ResponseCompleted,
        ]
    );
    assert_eq!(response.finish_reason, Some(FinishReason::ToolCalls));
    let call = &response.tool_calls[0];
    assert_eq!((call.call_id.as_str(), call.name.as_str()), ("call_weather", "get_weather"));
    assert_eq!(call.parsed_arguments, Some(serde_json::json!({"city": "Paris"})));
    insta::assert_json_snapshot!("function_call_events", events);
    insta::assert_json_snapshot!("function_call_response", without_raw(response));
}

#[test]
fn two_parallel_function_calls() {
    let (events, response) = run("parallel_function_calls");
    check_invariants(&events);
    let calls: Vec<(&str, &str)> =
        response.tool_calls.iter().map(|c| (c.call_id.as_str(), c.arguments.as_str())).collect();
    assert_eq!(calls, [("call_b", r#"{"tz":"Europe/Oslo"}"#), ("call_a", r#"{"city":"Oslo"}"#)]);
    for call_id in ["call_a", "call_b"] {
        let of_call: Vec<StreamEventType> =
            events.iter().filter(|e| e.call_id.as_deref() == Some(call_id)).map(|e| e.kind).collect();
        assert_eq!(of_call.first(), Some(&StreamEventType::ToolCallStarted), "{call_id}");
        assert_eq!(of_call.last(), Some(&StreamEventType::ToolCallDone), "{call_id}");
        assert_eq!(of_call.iter().filter(|k| **k == StreamEventType::ToolCallStarted).count(), 1);
    }
    assert_eq!(response.finish_reason, Some(FinishReason::ToolCalls));
    insta::assert_json_snapshot!("parallel_function_calls_events", events);
    insta::assert_json_snapshot!("parallel_function_calls_response", without_raw(response));
}

#[test]
fn failed_with_context_length_exceeded() {
    let (events, response) = run("failed_context_length");
    check_invariants(&events);
    assert_eq!(response.finish_reason, Some(FinishReason::Error));
    let error = response.error.clone().unwrap();
    assert_eq!(error.code.as_deref(), Some("context_length_exceeded"));
    assert!(error.message.contains("context window"));
    insta::assert_json_snapshot!("failed_context_length_events", events);
    insta::assert_json_snapshot!("failed_context_length_response", without_raw(response));
}

#[test]
fn incomplete_at_max_output_tokens() {
    let (events, response) = run("incomplete_max_output_tokens");
    check_invariants(&events);
    assert_eq!(response.finish_reason, Some(FinishReason::Length));
    assert_eq!(response.output_text, "The answer is long and");
    assert_eq!(response.status.as_deref(), Some("incomplete"));
    insta::assert_json_snapshot!("incomplete_max_output_tokens_events", events);
    insta::assert_json_snapshot!("incomplete_max_output_tokens_response", without_raw(response));
}

#[test]
fn unknown_event_type_in_the_middle_changes_nothing() {
    let (events, response) = run("unknown_event");
    check_invariants(&events);
    assert_eq!(response.output_text, "Before and after.");
    let texts: Vec<&str> = events.iter().filter_map(|e| e.delta.as_deref()).collect();
    assert_eq!(texts, ["Before ", "and after."]);
    insta::assert_json_snapshot!("unknown_event_events", events);
    insta::assert_json_snapshot!("unknown_event_response", without_raw(response));
}

#[test]
fn unknown_event_is_kept_whole() {
    let data = r#"{"type":"response.brand_new_event","payload":{"nested":[1,2,3]}}"#;
    let event = BackendEvent::parse(Some("response.brand_new_event"), data).unwrap();
    match &event {
        BackendEvent::Unknown { event_type, raw } => {
            assert_eq!(event_type, "response.brand_new_event");
            assert_eq!(raw, &serde_json::from_str::<serde_json::Value>(data).unwrap());
        }
        other => panic!("expected Unknown, got {other:?}"),
    }
    assert_eq!(serde_json::to_string(&event).unwrap(), data, "re-serializes unchanged");
}

#[test]
fn streaming_and_accumulated_text_agree_for_every_fixture() {
    for name in FIXTURES {
        let (events, response) = run(name);
        let streamed: String = events
            .iter()
            .filter(|e| e.kind == StreamEventType::TextDelta)
            .filter_map(|e| e.delta.as_deref())
            .collect();
        assert_eq!(streamed, response.output_text, "{name}");
        let from_items: String = response
            .output
            .iter()
            .filter_map(|item| match item {
                Item::Message(m) => Some(m.content.joined_text()),
                _ => None,
            })
            .collect();
        assert_eq!(from_items, response.output_text, "{name}: output items and text agree");
    }
}

#[test]
fn raw_backend_event_is_kept_by_default() {
    let mut mapper = EventMapper::new();
    let data = r#"{"type":"response.output_text.delta","item_id":"m","delta":"x","sequence_number":3}"#;
    let events = mapper.map(&BackendEvent::parse(None, data).unwrap());
    let delta = events.iter().find(|e| e.kind == StreamEventType::TextDelta).unwrap();
    assert_eq!(
        delta.raw.as_ref().unwrap().to_value().unwrap(),
        serde_json::from_str::<serde_json::Value>(data).unwrap()
    );
    let _ = ResponseAccumulator::new();
}

#[test]
fn raw_given_with_the_event_is_the_payload_as_received_shared_by_its_events() {
    let mut mapper = EventMapper::new();
    // Unknown fields, odd spacing and key order survive: `raw` is the text itself.
    let data = r#"{ "type" : "response.output_text.delta", "delta":"x", "item_id":"m", "obfuscation":"q"}"#;
    let (event, raw) = BackendEvent::parse_with_raw(None, data.to_owned()).unwrap();
    let mut events = Vec::new();
    mapper.map_with_raw_into(event, raw, &mut events);
    assert_eq!(events.len(), 2, "response_started, then the delta");
    for event in &events {
        assert_eq!(event.raw.as_ref().unwrap().as_str(), data);
    }
    // A payload without `type` gets the SSE event name, in the raw JSON too.
    let (event, raw) =
        BackendEvent::parse_with_raw(Some("response.output_text.delta"), r#"{"delta":"y"}"#.to_owned())
            .unwrap();
    assert!(matches!(event, BackendEvent::OutputTextDelta(ref d) if d.delta == "y"));
    assert_eq!(
        raw.to_value().unwrap(),
        serde_json::json!({"type": "response.output_text.delta", "delta": "y"})
    );
    // Without keep_raw, only `response_completed` carries it.
    let mut lean = EventMapper::new().keep_raw(false);
    let mut events = Vec::new();
    for data in [
        r#"{"type":"response.created","response":{"id":"r"}}"#,
        r#"{"type":"response.output_text.delta","delta":"z"}"#,
        r#"{"type":"response.completed","response":{"id":"r","usage":{"input_tokens":1,"output_tokens":1}}}"#,
    ] {
        let (event, raw) = BackendEvent::parse_with_raw(None, data.to_owned()).unwrap();
        lean.map_with_raw_into(event, raw, &mut events);
    }
    let kept: Vec<_> = events.iter().filter(|e| e.raw.is_some()).map(|e| e.kind).collect();
    assert_eq!(kept, [StreamEventType::ResponseCompleted]);
    assert_eq!(Response::from_events(&events).id, "r");
}

/// The example in docs/stream_event_schema_v1.md is real output.
#[test]
fn the_documented_example_is_what_the_mapper_does() {
    let doc_path = format!("{}/../../docs/stream_event_schema_v1.md", env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(doc_path).unwrap();
    let block = |fence: &str| -> String {
        let start = doc.find(fence).expect("the example block exists") + fence.len();
        let end = start + doc[start..].find("```").unwrap();
        doc[start..end].to_owned()
    };
    let mut mapper = EventMapper::new().keep_raw(false);
    let mut events = Vec::new();
    for (name, data) in frames(&block("```text\n")) {
        mapper.map_into(&BackendEvent::parse(name.as_deref(), &data).unwrap(), &mut events);
    }
    let documented_block = block("```json\n");
    let documented: Vec<&str> = documented_block.lines().collect();
    assert_eq!(documented.len(), events.len());
    for (line, event) in documented.iter().zip(&events) {
        if event.kind == StreamEventType::ResponseCompleted {
            let mut event = event.clone();
            event.raw = None;
            let json = serde_json::to_string(&event).unwrap();
            assert!(line.starts_with(json.trim_end_matches('}')), "{line}\n{json}");
        } else {
            assert_eq!(*line, serde_json::to_string(event).unwrap());
        }
    }
}
