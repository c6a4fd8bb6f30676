//! Request bodies on the Codex profile, snapshotted, with their warnings.

use codex_schema::{
    ContentPart, FunctionCall, FunctionTool, Item, Message, Profile, Reasoning, ReasoningEffort,
    ReasoningItem, ReasoningSummary, RequestPolicy, ResponseCreateParams, ResponseFormat, ToolChoice,
    ToolResult, Verbosity, prepare_request,
};
use serde_json::{Value, json};

fn codex(params: &ResponseCreateParams) -> Value {
    let prepared = prepare_request(params, &RequestPolicy::new(Profile::Codex)).expect("valid in Warn mode");
    json!({ "body": prepared.body, "warnings": prepared.warnings })
}

#[test]
fn plain_string_input() {
    let params = ResponseCreateParams::new("gpt-5.2-codex", "Explain OAuth PKCE in 3 bullets.");
    insta::assert_json_snapshot!(codex(&params));
}

#[test]
fn seed_quick_start_json_object_with_reasoning() {
    let params = ResponseCreateParams::new("gpt-5.3-codex", "Return JSON with keys: ok, source")
        .response_format(ResponseFormat::JsonObject)
        .reasoning(Reasoning::new(ReasoningEffort::High, ReasoningSummary::Auto));
    insta::assert_json_snapshot!(codex(&params));
}

#[test]
fn system_message_becomes_instructions_and_tools_are_sent() {
    let params = ResponseCreateParams::new(
        "gpt-5.2-codex",
        vec![
            Item::Message(Message::system("You are terse.")),
            Item::Message(Message::system("Second system message stays, as developer.")),
            Item::Message(Message::user(vec![
                ContentPart::input_text("What is in this image?"),
                ContentPart::input_image_url("data:image/png;base64,iVBORw0KGgo="),
            ])),
        ],
    )
    .tool(
        FunctionTool::new(
            "get_weather",
            "Current weather",
            json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}),
        )
        .strict(true),
    )
    .tool_choice(ToolChoice::Auto)
    .parallel_tool_calls(true)
    .verbosity(Verbosity::Low)
    .prompt_cache_key("conversation-42");
    insta::assert_json_snapshot!(codex(&params));
}

#[test]
fn second_turn_with_tool_results_and_reasoning_replay_strips_ids() {
    let history = vec![
        Item::Message(Message::user("Weather in Oslo?")),
        Item::Reasoning(ReasoningItem {
            id: Some("rs_1".into()),
            summary: vec![ContentPart::Unknown(json!({"type": "summary_text", "text": "Need the tool."}))],
            encrypted_content: Some("gAAAA-blob".into()),
            ..ReasoningItem::default()
        }),
        Item::FunctionCall(FunctionCall {
            id: Some("fc_1".into()),
            call_id: "call_1".into(),
            name: "get_weather".into(),
            arguments: r#"{"city":"Oslo"}"#.into(),
            ..FunctionCall::default()
        }),
        ToolResult::new("call_1", r#"{"temp_c": 4}"#).into(),
        Item::Unknown(
            json!({"type": "web_search_call", "id": "ws_1", "status": "completed", "action": {"type": "search", "query": "oslo"}}),
        ),
    ];
    let params = ResponseCreateParams::new("gpt-5.2-codex", history)
        .instructions("Answer with the tool's data.")
        .reasoning(Reasoning::new(ReasoningEffort::Medium, ReasoningSummary::Concise));
    insta::assert_json_snapshot!(codex(&params));
}

#[test]
fn unsupported_parameters_are_dropped_with_warnings() {
    let mut metadata = serde_json::Map::new();
    metadata.insert("team".into(), json!("sdk"));
    let params = ResponseCreateParams::new("gpt-5.2-codex", "hi")
        .temperature(0.7)
        .top_p(0.9)
        .max_output_tokens(256_u64)
        .metadata(metadata)
        .service_tier("priority")
        .store(true)
        .extra("seed", json!(7))
        .extra("x_custom_flag", json!(true));
    insta::assert_json_snapshot!(codex(&params));
}

#[test]
fn json_schema_format_on_the_openai_compatible_profile_passes_sampling_through() {
    let params = ResponseCreateParams::new("gpt-5.2", "Give me a user.")
        .instructions("Output JSON.")
        .response_format(ResponseFormat::JsonSchema {
            name: "user".into(),
            schema: json!({"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"], "additionalProperties": false}),
            strict: Some(true),
            description: None,
        })
        .temperature(0.2)
        .store(true);
    let prepared = prepare_request(&params, &RequestPolicy::new(Profile::OpenAiCompatible)).unwrap();
    insta::assert_json_snapshot!(json!({ "body": prepared.body, "warnings": prepared.warnings }));
}
