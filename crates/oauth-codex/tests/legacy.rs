//! The legacy `CodexOAuthLLM` surface against the fakes.

mod common;

use codex_testkit::{Reply, Script};
use futures_util::StreamExt;
use oauth_codex::{CodexOAuthLLM, Error, FinishReason, FunctionTool, GenerateOptions, ToolResult};
use serde_json::json;

#[test]
fn generate_agenerate_and_both_streams() {
    let env = common::env();
    let (rt, codex) = (&env.rt, &env.codex);
    let llm = CodexOAuthLLM::from_builder(env.builder()).unwrap();
    let options = GenerateOptions::new("gpt-5.3-codex", "Explain OAuth PKCE in 3 bullets.");

    codex.enqueue(Reply::stream(Script::new("r").text("Three bullets.").completed()));
    assert_eq!(llm.generate(&options).unwrap(), "Three bullets.");

    codex.enqueue(Reply::stream(Script::new("r").text("Async bullets.").completed()));
    assert_eq!(rt.block_on(llm.agenerate(&options)).unwrap(), "Async bullets.");

    codex.enqueue(Reply::stream(Script::new("r").text("one two three").completed()));
    let deltas: Vec<String> = llm.generate_stream(&options).unwrap().map(Result::unwrap).collect();
    assert_eq!(deltas.concat(), "one two three");
    assert!(deltas.len() > 1, "deltas arrive one by one");

    codex.enqueue(Reply::stream(Script::new("r").text("async stream").completed()));
    let joined = rt.block_on(async {
        let stream = llm.agenerate_stream(&options).await.unwrap();
        stream.map(Result::unwrap).collect::<Vec<_>>().await.concat()
    });
    assert_eq!(joined, "async stream");

    // A tool-call answer without details is an error carrying the calls.
    let mut with_tools = options.clone();
    with_tools.tools.push(FunctionTool::new("get_weather", "weather", json!({"type": "object"})).into());
    codex.enqueue(Reply::stream(
        Script::new("r").function_call("call_1", "get_weather", r#"{"city":"Paris"}"#).completed(),
    ));
    let Err(Error::ToolCallRequired { tool_calls }) = llm.generate(&with_tools) else {
        panic!("expected ToolCallRequired")
    };
    assert_eq!(tool_calls[0].call_id, "call_1");

    // With details, the calls come back; the results go in as function_call_output items.
    codex.enqueue(Reply::stream(
        Script::new("r").function_call("call_1", "get_weather", r#"{"city":"Paris"}"#).completed(),
    ));
    let details = llm.generate_details(&with_tools).unwrap();
    assert_eq!(details.finish_reason, Some(FinishReason::ToolCalls));
    let mut follow_up = with_tools.clone();
    follow_up.prompt = None;
    follow_up.messages = vec![oauth_codex::Item::FunctionCall((&details.tool_calls[0]).into())];
    follow_up.tool_results = vec![ToolResult::new("call_1", r#"{"temp_c": 18}"#)];
    codex.enqueue(Reply::stream(Script::new("r").text("18 °C in Paris.").completed()));
    let answer = llm.generate_details(&follow_up).unwrap();
    assert_eq!(answer.text, "18 °C in Paris.");
    assert_eq!(answer.usage.unwrap().total_tokens, 37);
    let sent = codex.requests();
    let input = &sent.last().unwrap().json.as_ref().unwrap()["input"];
    assert_eq!(
        input[1],
        json!({"type": "function_call_output", "call_id": "call_1", "output": "{\"temp_c\": 18}"})
    );
}
