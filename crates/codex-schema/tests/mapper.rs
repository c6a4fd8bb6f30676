//! EventMapper edge cases: arguments from whichever source arrives, items that arrive only
//! whole, early ends, errors, and nothing after the end.

use codex_schema::{
    BackendEvent, EventMapper, FinishReason, Item, Response, StreamClosedEarly, StreamEvent, StreamEventType,
    ToolCallKind, ToolResult,
};
use serde_json::json;

fn map_all(mapper: &mut EventMapper, events: &[serde_json::Value]) -> Vec<StreamEvent> {
    let mut out = Vec::new();
    for event in events {
        mapper.map_into(&BackendEvent::parse(None, &event.to_string()).unwrap(), &mut out);
    }
    out
}

fn kinds(events: &[StreamEvent]) -> Vec<StreamEventType> {
    events.iter().map(|e| e.kind).collect()
}

fn completed(id: &str) -> serde_json::Value {
    json!({"type": "response.completed", "response": {"id": id}})
}

#[test]
fn arguments_only_in_output_item_done() {
    let mut mapper = EventMapper::new();
    let events = map_all(
        &mut mapper,
        &[
            json!({"type": "response.created", "response": {"id": "r"}}),
            json!({"type": "response.output_item.done", "item": {"type": "function_call", "id": "fc", "call_id": "c1", "name": "f", "arguments": "{\"a\":1}"}}),
            completed("r"),
        ],
    );
    let response = Response::from_events(&events);
    assert_eq!(response.tool_calls[0].parsed_arguments, Some(json!({"a": 1})));
    assert_eq!(response.finish_reason, Some(FinishReason::ToolCalls));
    assert_eq!(
        kinds(&events),
        [
            StreamEventType::ResponseStarted,
            StreamEventType::ToolCallStarted,
            StreamEventType::ToolCallDone,
            StreamEventType::ResponseCompleted
        ]
    );
}

#[test]
fn arguments_only_in_arguments_done_without_item_done() {
    let mut mapper = EventMapper::new();
    let events = map_all(
        &mut mapper,
        &[
            json!({"type": "response.output_item.added", "item": {"type": "function_call", "id": "fc", "call_id": "c1", "name": "f", "arguments": ""}}),
            json!({"type": "response.function_call_arguments.done", "item_id": "fc", "arguments": "{\"b\":2}"}),
            completed("r"),
        ],
    );
    let response = Response::from_events(&events);
    assert_eq!(response.tool_calls.len(), 1);
    assert_eq!(response.tool_calls[0].call_id, "c1");
    assert_eq!(response.tool_calls[0].arguments, "{\"b\":2}");
    assert_eq!(response.id, "r", "the id comes from the terminal event when nothing else said it");
}

#[test]
fn deltas_without_added_still_start_the_call_first() {
    let mut mapper = EventMapper::new();
    let events = map_all(
        &mut mapper,
        &[
            json!({"type": "response.function_call_arguments.delta", "item_id": "fc", "delta": "{\"x\""}),
            json!({"type": "response.function_call_arguments.delta", "item_id": "fc", "delta": ":true}"}),
            json!({"type": "response.output_item.done", "item": {"type": "function_call", "id": "fc", "call_id": "c9", "name": "g", "arguments": "{\"x\":true}"}}),
            completed("r"),
        ],
    );
    let of_call: Vec<StreamEventType> =
        events.iter().filter(|e| e.call_id.is_some()).map(|e| e.kind).collect();
    assert_eq!(of_call[0], StreamEventType::ToolCallStarted);
    assert_eq!(*of_call.last().unwrap(), StreamEventType::ToolCallDone);
    let done = events.iter().find(|e| e.kind == StreamEventType::ToolCallDone).unwrap();
    assert_eq!(done.tool_call.as_ref().unwrap().call_id, "c9");
    assert_eq!(done.tool_call.as_ref().unwrap().arguments, "{\"x\":true}");
}

/// A custom (freeform) tool's call is a tool call like a function's: started when its item is
/// added, its input streamed as argument deltas, done with its item; the call says it is a
/// custom one, its input is not parsed, and its answer is a `custom_tool_call_output`.
#[test]
fn a_custom_tool_call_streams_as_a_tool_call_of_its_kind() {
    let patch = "*** Begin Patch\n*** Add File: a.txt\n+hi\n*** End Patch";
    let mut mapper = EventMapper::new();
    let events = map_all(
        &mut mapper,
        &[
            json!({"type": "response.created", "response": {"id": "r"}}),
            json!({"type": "response.output_item.added", "output_index": 0, "item": {"type": "custom_tool_call", "id": "ctc_1", "call_id": "call_p", "name": "apply_patch", "input": ""}}),
            json!({"type": "response.custom_tool_call_input.delta", "item_id": "ctc_1", "output_index": 0, "delta": &patch[..16]}),
            json!({"type": "response.custom_tool_call_input.delta", "item_id": "ctc_1", "output_index": 0, "delta": &patch[16..]}),
            json!({"type": "response.custom_tool_call_input.done", "item_id": "ctc_1", "output_index": 0, "input": patch}),
            json!({"type": "response.output_item.done", "output_index": 0, "item": {"type": "custom_tool_call", "id": "ctc_1", "call_id": "call_p", "name": "apply_patch", "input": patch, "status": "completed"}}),
            completed("r"),
        ],
    );
    assert_eq!(
        kinds(&events),
        [
            StreamEventType::ResponseStarted,
            StreamEventType::ToolCallStarted,
            StreamEventType::ToolCallArgumentsDelta,
            StreamEventType::ToolCallArgumentsDelta,
            StreamEventType::ToolCallDone,
            StreamEventType::ResponseCompleted
        ]
    );
    assert_eq!(events[1].call_id.as_deref(), Some("call_p"));
    assert_eq!(events[1].name.as_deref(), Some("apply_patch"));
    assert_eq!(events[2].delta.as_deref(), Some(&patch[..16]));
    let response = Response::from_events(&events);
    assert_eq!(response.finish_reason, Some(FinishReason::ToolCalls));
    let call = &response.tool_calls[0];
    assert_eq!(
        (call.kind, call.call_id.as_str(), call.name.as_str()),
        (ToolCallKind::Custom, "call_p", "apply_patch")
    );
    assert_eq!(call.arguments, patch);
    assert_eq!(call.parsed_arguments, None);
    let done = serde_json::to_value(events[4].tool_call.as_deref().unwrap()).unwrap();
    assert_eq!(done["kind"], "custom", "the v1 event says which kind of tool it calls");
    let answer = serde_json::to_value(Item::from(ToolResult::for_call(call, "Applied."))).unwrap();
    assert_eq!(answer, json!({"type": "custom_tool_call_output", "call_id": "call_p", "output": "Applied."}));
}

/// Whichever source a custom call's input comes from (its input events alone, or its done
/// item alone) gives the same call; a function call's JSON leaves `kind` out.
#[test]
fn a_custom_tool_calls_input_comes_from_whichever_source_arrives() {
    let item =
        json!({"type": "custom_tool_call", "id": "ctc", "call_id": "c1", "name": "shell", "input": "ls -la"});
    let sources = [
        vec![json!({"type": "response.output_item.done", "item": item})],
        vec![
            json!({"type": "response.output_item.added", "item": {"type": "custom_tool_call", "id": "ctc", "call_id": "c1", "name": "shell", "input": ""}}),
            json!({"type": "response.custom_tool_call_input.done", "item_id": "ctc", "input": "ls -la"}),
        ],
    ];
    for events in sources {
        let mut mapper = EventMapper::new();
        let mut all = events.clone();
        all.push(completed("r"));
        let response = Response::from_events(&map_all(&mut mapper, &all));
        let call = &response.tool_calls[0];
        assert_eq!(
            (call.kind, call.arguments.as_str(), call.name.as_str()),
            (ToolCallKind::Custom, "ls -la", "shell"),
            "{events:?}"
        );
    }
    let mut mapper = EventMapper::new();
    let events = map_all(
        &mut mapper,
        &[
            json!({"type": "response.output_item.done", "item": {"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}"}}),
            completed("r"),
        ],
    );
    let call = Response::from_events(&events).tool_calls[0].clone();
    assert_eq!(call.kind, ToolCallKind::Function);
    assert!(serde_json::to_value(&call).unwrap().get("kind").is_none());
}

#[test]
fn invalid_argument_json_is_kept_as_text() {
    let mut mapper = EventMapper::new();
    let events = map_all(
        &mut mapper,
        &[
            json!({"type": "response.output_item.done", "item": {"type": "function_call", "call_id": "c", "name": "f", "arguments": "{not json"}}),
            completed("r"),
        ],
    );
    let call = &Response::from_events(&events).tool_calls[0];
    assert_eq!(call.arguments, "{not json");
    assert_eq!(call.parsed_arguments, None);
}

#[test]
fn items_only_in_the_completed_response_are_read_from_there() {
    let mut mapper = EventMapper::new();
    let events = map_all(
        &mut mapper,
        &[json!({"type": "response.completed", "response": {"id": "r", "output": [
            {"type": "reasoning", "id": "rs", "summary": [{"type": "summary_text", "text": "why"}], "encrypted_content": "enc"},
            {"type": "message", "id": "m", "role": "assistant", "content": [{"type": "output_text", "text": "whole"}]},
            {"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}"}
        ]}})],
    );
    let response = Response::from_events(&events);
    assert_eq!(response.output_text, "whole");
    assert_eq!(response.reasoning_summary.as_deref(), Some("why"));
    assert_eq!(response.encrypted_reasoning_content.as_deref(), Some("enc"));
    assert_eq!(response.tool_calls.len(), 1);
    assert_eq!(response.output.len(), 3);
}

#[test]
fn the_duplicate_output_of_completed_is_ignored_when_items_streamed() {
    let mut mapper = EventMapper::new();
    let item = json!({"type": "message", "id": "m", "role": "assistant", "content": [{"type": "output_text", "text": "once"}]});
    let events = map_all(
        &mut mapper,
        &[
            json!({"type": "response.output_text.delta", "item_id": "m", "delta": "once"}),
            json!({"type": "response.output_item.done", "item": item}),
            json!({"type": "response.completed", "response": {"id": "r", "output": [item]}}),
        ],
    );
    let response = Response::from_events(&events);
    assert_eq!(response.output_text, "once");
    assert_eq!(response.output.len(), 1);
}

#[test]
fn end_of_stream_without_completion_is_an_error() {
    let mut mapper = EventMapper::new();
    map_all(&mut mapper, &[json!({"type": "response.output_text.delta", "delta": "partial"})]);
    assert!(!mapper.is_terminated());
    assert_eq!(mapper.finish(), Err(StreamClosedEarly));
}

#[test]
fn an_error_event_then_end_of_stream_closes_with_finish_reason_error() {
    let mut mapper = EventMapper::new();
    let mut events = map_all(
        &mut mapper,
        &[
            json!({"type": "error", "code": "rate_limit_exceeded", "message": "Rate limit reached. Please try again in 2s."}),
        ],
    );
    events.extend(mapper.finish().unwrap());
    assert_eq!(
        kinds(&events),
        [StreamEventType::ResponseStarted, StreamEventType::Error, StreamEventType::ResponseCompleted]
    );
    let response = Response::from_events(&events);
    assert_eq!(response.finish_reason, Some(FinishReason::Error));
    assert_eq!(response.error.unwrap().code.as_deref(), Some("rate_limit_exceeded"));
}

#[test]
fn nothing_is_emitted_after_the_end() {
    let mut mapper = EventMapper::new();
    map_all(&mut mapper, &[completed("r")]);
    assert!(mapper.is_terminated());
    let after = map_all(&mut mapper, &[json!({"type": "response.output_text.delta", "delta": "late"})]);
    assert!(after.is_empty());
    assert_eq!(mapper.finish(), Ok(Vec::new()));
}

#[test]
fn incomplete_for_content_filter() {
    let mut mapper = EventMapper::new();
    let events = map_all(
        &mut mapper,
        &[
            json!({"type": "response.incomplete", "response": {"id": "r", "incomplete_details": {"reason": "content_filter"}}}),
        ],
    );
    assert_eq!(Response::from_events(&events).finish_reason, Some(FinishReason::ContentFilter));
}

#[test]
fn keepalive_rate_limits_and_unknown_events_emit_nothing() {
    let mut mapper = EventMapper::new();
    let events = map_all(
        &mut mapper,
        &[
            json!({"type": "keepalive"}),
            json!({"type": "codex.rate_limits", "plan_type": "pro"}),
            json!({"type": "response.something_new", "x": 1}),
        ],
    );
    assert!(events.is_empty());
}

#[test]
fn bare_sse_event_name_is_used_when_data_has_no_type() {
    let event = BackendEvent::parse(Some("response.output_text.delta"), r#"{"delta":"x"}"#).unwrap();
    assert!(matches!(event, BackendEvent::OutputTextDelta(ref d) if d.delta == "x"));
    let keepalive = BackendEvent::parse(Some("keepalive"), "").unwrap();
    assert!(matches!(keepalive, BackendEvent::Keepalive(_)));
    assert!(BackendEvent::parse(None, "not json").is_err());
}

#[test]
fn rate_limit_event_is_typed() {
    let event = BackendEvent::parse(
        None,
        r#"{"type":"codex.rate_limits","plan_type":"plus","rate_limits":{"primary":{"used_percent":12.5,"window_minutes":300,"reset_at":1764478800}},"credits":{"has_credits":true,"unlimited":false,"balance":"10.5"}}"#,
    )
    .unwrap();
    let BackendEvent::RateLimits(limits) = event else { panic!("typed") };
    assert_eq!(limits.plan_type.as_deref(), Some("plus"));
    let primary = limits.rate_limits.unwrap().primary.unwrap();
    assert_eq!((primary.used_percent, primary.window_minutes), (12.5, Some(300)));
    assert_eq!(limits.credits.unwrap().has_credits, Some(true));
}
