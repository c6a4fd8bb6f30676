use codex_compat::{
    REPLY_PRIMING_TOKENS, TOKENS_PER_MESSAGE, count_input_tokens, count_item_tokens, count_request_tokens,
    count_text_tokens, count_tool_tokens,
};
use codex_schema::{
    ContentPart, FunctionCall, FunctionTool, Item, Message, ReasoningItem, ResponseCreateParams, Tool,
    ToolResult,
};
use serde_json::json;

use crate::invalid_parameter;

#[test]
fn known_o200k_counts() {
    // Checked against the o200k_base vocabulary (tiktoken).
    assert_eq!(count_text_tokens(""), 0);
    assert_eq!(count_text_tokens("hello world"), 2);
    assert_eq!(count_text_tokens("Hello, world!"), 4);
    assert_eq!(count_text_tokens("The quick brown fox jumps over the lazy dog."), 10);
    assert_eq!(count_text_tokens("user"), 1);
    assert_eq!(count_text_tokens("system"), 1);
    // Special-token text is ordinary text here.
    assert!(count_text_tokens("<|endoftext|>") > 1);
}

#[test]
fn message_overhead_is_applied() {
    let items = [Item::from(Message::user("hello world"))];
    let count = count_input_tokens(None, &items, &[]);
    assert_eq!(count.input_tokens, TOKENS_PER_MESSAGE + 1 + 2 + REPLY_PRIMING_TOKENS);
    assert_eq!(count.input_tokens, 9);
    assert_eq!(
        serde_json::to_value(&count).expect("json"),
        json!({"object": "response.input_tokens", "input_tokens": 9, "counted_locally": true})
    );
    // Instructions are a system message.
    let with_instructions = count_input_tokens(Some("hello world"), &items, &[]);
    assert_eq!(with_instructions.input_tokens, 9 + 3 + 1 + 2);
    // Nothing at all still primes the reply.
    assert_eq!(count_input_tokens(None, &[], &[]).input_tokens, REPLY_PRIMING_TOKENS);
    assert_eq!(count_input_tokens(Some(""), &[], &[]).input_tokens, REPLY_PRIMING_TOKENS);
    // Parts are joined; images count nothing.
    let parts = Item::from(Message::user(vec![
        ContentPart::input_text("hello"),
        ContentPart::input_text(" world"),
        ContentPart::input_image_url("https://example.com/cat.png"),
    ]));
    assert_eq!(count_item_tokens(&parts), 3 + 1 + 2);
}

#[test]
fn tools_and_other_items() {
    let tool: Tool = FunctionTool::new(
        "get_weather",
        "Get the weather",
        json!({"type": "object", "properties": {"city": {"type": "string"}}}),
    )
    .into();
    let tool_json = serde_json::to_string(&tool).expect("json");
    assert_eq!(count_tool_tokens(&tool), count_text_tokens(&tool_json));
    assert_eq!(
        count_input_tokens(None, &[], std::slice::from_ref(&tool)).input_tokens,
        REPLY_PRIMING_TOKENS + count_text_tokens(&tool_json)
    );

    let call: Item = FunctionCall {
        call_id: "c1".into(),
        name: "get_weather".into(),
        arguments: "{\"city\":\"Oslo\"}".into(),
        ..FunctionCall::default()
    }
    .into();
    assert_eq!(
        count_item_tokens(&call),
        3 + count_text_tokens("get_weather") + count_text_tokens("{\"city\":\"Oslo\"}")
    );
    let output: Item = ToolResult::new("c1", "{\"temp\": 3}").into();
    assert_eq!(count_item_tokens(&output), 3 + count_text_tokens("{\"temp\": 3}"));
    let reasoning: Item = ReasoningItem {
        summary: vec![ContentPart::SummaryText(codex_schema::InputText {
            text: "hello world".into(),
            extra: Default::default(),
        })],
        encrypted_content: Some("gAAAA-very-long-opaque-blob".repeat(50)),
        ..ReasoningItem::default()
    }
    .into();
    assert_eq!(count_item_tokens(&reasoning), 3 + 2, "encrypted content is not counted");
    let unknown: Item =
        serde_json::from_value(json!({"type": "web_search_call", "id": "ws_1", "status": "completed"}))
            .expect("item");
    let unknown_json = serde_json::to_string(&unknown).expect("json");
    assert_eq!(count_item_tokens(&unknown), 3 + count_text_tokens(&unknown_json));

    // A custom tool's call and its answer count as a function's do: name and input, output.
    let patch = "*** Begin Patch\n*** Add File: a.txt\n+hello\n*** End Patch";
    let custom: Item = serde_json::from_value(
        json!({"type": "custom_tool_call", "id": "ctc_1", "call_id": "c2", "name": "apply_patch", "input": patch}),
    )
    .expect("item");
    assert_eq!(count_item_tokens(&custom), 3 + count_text_tokens("apply_patch") + count_text_tokens(patch));
    let answer: Item = ToolResult::custom("c2", "Done.").into();
    assert_eq!(count_item_tokens(&answer), 3 + count_text_tokens("Done."));
    // Without the text fields it is counted by its JSON, as any other item.
    let odd: Item =
        serde_json::from_value(json!({"type": "custom_tool_call", "name": "x", "input": 7})).expect("item");
    assert_eq!(count_item_tokens(&odd), 3 + count_text_tokens(&serde_json::to_string(&odd).expect("json")));
}

#[test]
fn request_counting() {
    let params = ResponseCreateParams::new("gpt-5", "hello world").instructions("hello world");
    assert_eq!(count_request_tokens(&params).expect("count").input_tokens, 9 + 6);
    let continued = ResponseCreateParams::new("gpt-5", "hi").previous_response_id("resp_1");
    assert_eq!(invalid_parameter(count_request_tokens(&continued)), "previous_response_id");
}
