//! Shows the exact body the Codex backend would receive for a request, and the policy's
//! warnings. Runs offline.
//!
//! `cargo run -p oauth-codex --example prepare_request`

use oauth_codex::{
    FunctionTool, Message, Profile, Reasoning, ReasoningEffort, ReasoningSummary, RequestPolicy,
    ResponseCreateParams, prepare_request,
};
use serde_json::json;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let params = ResponseCreateParams::new(
        "gpt-5.2-codex",
        vec![
            Message::system("You are a terse weather bot.").into(),
            Message::user("Weather in Paris?").into(),
        ],
    )
    .reasoning(Reasoning::new(ReasoningEffort::High, ReasoningSummary::Auto))
    .tool(FunctionTool::new(
        "get_weather",
        "Current weather for a city",
        json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}),
    ))
    .temperature(0.3)
    .store(true);

    let prepared = prepare_request(&params, &RequestPolicy::new(Profile::Codex))?;
    for warning in &prepared.warnings {
        eprintln!("warning [{}] {}: {}", warning.code, warning.parameter, warning.message);
    }
    println!("{}", serde_json::to_string_pretty(&prepared.body)?);
    Ok(())
}
