//! `EventMapper::map_sse` (the streaming hot path, which reads deltas in place and skips the
//! types that map to nothing) makes exactly the events of the general path:
//! `BackendEvent::parse_with_raw` then `EventMapper::map_with_raw_into`.

mod common;

use codex_schema::{
    BackendEvent, BackendResponse, ByteString, EventMapper, NotJsonError, Response, StreamEvent,
    StreamEventType,
};
use common::{FIXTURES, fixture, frames};
use proptest::prelude::*;
use serde_json::{Value, json};

/// What one path made of one frame: its events (with `raw` as text) or its error.
type Outcome = Result<Vec<(StreamEvent, Option<String>)>, NotJsonError>;

fn with_raw_text(events: Vec<StreamEvent>) -> Vec<(StreamEvent, Option<String>)> {
    events
        .into_iter()
        .map(|event| {
            let raw = event.raw.as_ref().map(|raw| raw.as_str().to_owned());
            (event, raw)
        })
        .collect()
}

/// Feeds the same frames to a mapper through each path and checks that every frame gives the
/// same events (field by field, `raw` text included) or the same error, and so does `finish`.
fn assert_paths_agree(frames: &[(Option<&str>, String)], keep_raw: bool) {
    let mut fast = EventMapper::new().keep_raw(keep_raw);
    let mut general = EventMapper::new().keep_raw(keep_raw);
    for (name, data) in frames {
        let mut out = Vec::new();
        let fast_outcome: Outcome =
            fast.map_sse(*name, data.as_str(), &mut out).map(|()| with_raw_text(std::mem::take(&mut out)));
        let general_outcome: Outcome =
            BackendEvent::parse_with_raw(*name, data.as_str()).map(|(event, raw)| {
                general.map_with_raw_into(event, raw, &mut out);
                with_raw_text(out)
            });
        assert_eq!(fast_outcome, general_outcome, "frame {name:?} {data}");
    }
    assert_eq!(fast.is_terminated(), general.is_terminated());
    assert_eq!(fast.finish().map(with_raw_text), general.finish().map(with_raw_text));
}

fn frames_of(events: &[Value]) -> Vec<(Option<&'static str>, String)> {
    events.iter().map(|event| (None, event.to_string())).collect()
}

#[test]
fn every_fixture_maps_the_same_through_both_paths() {
    for name in FIXTURES {
        let frames = frames(&fixture(name));
        let frames: Vec<(Option<&str>, String)> =
            frames.iter().map(|(name, data)| (name.as_deref(), data.clone())).collect();
        assert_paths_agree(&frames, true);
        assert_paths_agree(&frames, false);
    }
}

/// A payload for every known backend event type, each as the first event of a response (where
/// anything the mapper did with it would at least start the response) and again mid-stream.
#[test]
fn every_known_event_type_maps_the_same_first_and_mid_stream() {
    for tag in BackendEvent::KNOWN_TYPES {
        let samples = [
            json!({"type": tag}),
            json!({"type": tag, "item_id": "i1", "output_index": 0, "content_index": 0, "summary_index": 0,
                   "delta": "d", "text": "t", "arguments": "{}", "input": "x", "call_id": "c1", "name": "f",
                   "part": {"type": "output_text", "text": "t"}, "message": "m", "code": "c",
                   "item": {"type": "function_call", "id": "i1", "call_id": "c1", "name": "f", "arguments": "{}"},
                   "response": {"id": "resp_1", "status": "completed", "usage": {"input_tokens": 1, "output_tokens": 2}}}),
            json!({"type": tag, "item_id": "i1", "output_index": 0, "delta": "d", "input": "x", "call_id": "c1",
                   "item": {"type": "custom_tool_call", "id": "i1", "call_id": "c1", "name": "apply_patch", "input": "x"},
                   "response": {"id": "resp_1", "status": "completed", "output": [
                       {"type": "custom_tool_call", "id": "i1", "call_id": "c1", "name": "apply_patch", "input": "x"}]}}),
        ];
        for sample in &samples {
            assert_paths_agree(&frames_of(std::slice::from_ref(sample)), true);
            let mid = [
                json!({"type": "response.created", "response": {"id": "resp_1"}}),
                json!({"type": "response.output_text.delta", "item_id": "m1", "delta": "Hi"}),
                sample.clone(),
                json!({"type": "response.function_call_arguments.delta", "item_id": "i1", "delta": "{"}),
                json!({"type": "response.completed", "response": {"id": "resp_1"}}),
            ];
            assert_paths_agree(&frames_of(&mid), true);
        }
    }
}

/// Deltas that the in-place reader must hand to the general path, or read exactly as it does.
#[test]
fn unusual_deltas_map_the_same() {
    let text = "response.output_text.delta";
    let arguments = "response.function_call_arguments.delta";
    let mut frames: Vec<(Option<&str>, String)> = Vec::new();
    for tag in [text, arguments] {
        for payload in [
            json!({"type": tag, "delta": "plain"}).to_string(),
            json!({"type": tag, "delta": "esc\"aped\n\u{1F642}", "item_id": "x\\y"}).to_string(),
            json!({"type": tag}).to_string(),
            json!({"type": tag, "delta": null}).to_string(),
            json!({"type": tag, "delta": 5}).to_string(),
            json!({"type": tag, "delta": "a", "item_id": null}).to_string(),
            json!({"type": tag, "delta": "a", "item_id": 7}).to_string(),
            json!({"type": tag, "delta": "a", "output_index": "0"}).to_string(),
            json!({"type": tag, "delta": "a", "output_index": -1}).to_string(),
            json!({"type": tag, "delta": "a", "content_index": 1}).to_string(),
            json!({"type": tag, "delta": "a", "content_index": "x"}).to_string(),
            json!({"type": tag, "delta": "a", "call_id": "c9"}).to_string(),
            json!({"type": tag, "delta": "a", "call_id": 9}).to_string(),
            json!({"type": tag, "delta": "a", "sequence_number": 3, "obfuscation": "zz", "extra": [1, {"k": null}]})
                .to_string(),
            format!(r#"{{"type":"{tag}","delta":"a","delta":"b"}}"#),
            format!(r#"{{"type":"{tag}","type":"{tag}","delta":"a"}}"#),
            format!(r#"{{"type":"{tag}","delta":"a","type":"response.output_text.done"}}"#),
            format!(r#"{{"delta":"a","type":"{tag}"}}"#),
            format!(r#"{{ "type" : "{tag}", "delta" : "spaced" }}"#),
            format!(r#"{{"type":"{tag}","delta":"a"}} trailing"#),
            format!(r#"{{"type":"{tag}","delta":"a""#),
            format!(r#"{{"type":"{tag}\u002e","delta":"a"}}"#),
        ] {
            frames.push((None, payload.clone()));
            frames.push((Some(tag), payload));
        }
    }
    frames.push((Some(text), r#"{"delta":"no type, named frame"}"#.to_owned()));
    frames.push((Some(arguments), r#"{"delta":"no type","item_id":"i2"}"#.to_owned()));
    frames.push((Some("keepalive"), String::new()));
    frames.push((None, "not json".to_owned()));
    frames.push((None, r#"{"type":"response.content_part.added","part":{"#.to_owned()));
    frames.push((None, r#"{"type":"keepalive"} {}"#.to_owned()));
    frames.push((None, r#"{"type":"response.completed","response":{"id":"resp_9"}}"#.to_owned()));
    frames.push((None, json!({"type": text, "delta": "after the end"}).to_string()));
    assert_paths_agree(&frames, true);
    assert_paths_agree(&frames, false);
}

/// `response.function_call_arguments.done` is read in place with the fields its typed event
/// has; whatever that event would read differently goes the general way. Each payload follows
/// the call's first delta (which it completes) and also starts a response of its own.
#[test]
fn unusual_arguments_done_events_map_the_same() {
    let tag = "response.function_call_arguments.done";
    let payloads = [
        json!({"type": tag, "item_id": "fc_1", "arguments": "{\"a\":1}"}).to_string(),
        json!({"type": tag, "item_id": "fc_1", "call_id": "call_1", "name": "f", "arguments": "{}"}).to_string(),
        json!({"type": tag, "call_id": "call_2", "arguments": "esc\"aped\n\u{1F642}"}).to_string(),
        json!({"type": tag, "item_id": "fc_1"}).to_string(),
        json!({"type": tag, "item_id": "fc_1", "arguments": null}).to_string(),
        json!({"type": tag, "item_id": "fc_1", "arguments": 5}).to_string(),
        json!({"type": tag, "item_id": "fc_1", "arguments": "{}", "name": null}).to_string(),
        json!({"type": tag, "item_id": "fc_1", "arguments": "{}", "name": 3}).to_string(),
        json!({"type": tag, "item_id": 1, "arguments": "{}"}).to_string(),
        json!({"type": tag, "item_id": "fc_1", "arguments": "{}", "output_index": "0"}).to_string(),
        json!({"type": tag, "item_id": "fc_1", "arguments": "{}", "sequence_number": -1}).to_string(),
        json!({"type": tag, "item_id": "f\\c", "arguments": "{}", "obfuscation": "zz", "extra": [1, {"k": null}]})
            .to_string(),
        format!(r#"{{"type":"{tag}","item_id":"fc_1","arguments":"a","arguments":"b"}}"#),
        format!(r#"{{"type":"{tag}","item_id":"fc_1","arguments":"a","type":"response.output_text.delta","delta":"x"}}"#),
        format!(r#"{{"item_id":"fc_1","arguments":"{{}}","type":"{tag}"}}"#),
        format!(r#"{{"type":"{tag}","item_id":"fc_1","arguments":"{{}}""#),
    ];
    let mut frames: Vec<(Option<&str>, String)> = vec![
        (None, json!({"type": "response.created", "response": {"id": "resp_1"}}).to_string()),
        (
            None,
            json!({"type": "response.function_call_arguments.delta", "item_id": "fc_1", "delta": "{"})
                .to_string(),
        ),
    ];
    for payload in &payloads {
        frames.push((None, payload.clone()));
        frames.push((Some(tag), payload.clone()));
        assert_paths_agree(&[(None, payload.clone())], true);
    }
    frames.push((None, json!({"type": "response.completed", "response": {"id": "resp_1"}}).to_string()));
    assert_paths_agree(&frames, true);
    assert_paths_agree(&frames, false);
}

/// `response.created` and its kin are read for their id alone, in place; anything the typed
/// event would read differently goes the general way. Each payload is the first event of its
/// own response (where the id it sets shows) and also follows the others.
#[test]
fn unusual_started_events_map_the_same() {
    let mut all: Vec<(Option<&str>, String)> = Vec::new();
    for tag in ["response.created", "response.in_progress", "response.queued"] {
        for payload in [
            json!({"type": tag, "response": {"id": "resp_1", "object": "response", "status": "in_progress"}})
                .to_string(),
            json!({"type": tag, "response": {"id": "resp_1", "instructions": "long\n\"text\"", "tools": [{"type": "function", "parameters": {"type": "object"}}], "usage": {"input_tokens": 1}, "output": [{"type": "message", "content": []}]}, "sequence_number": 0}).to_string(),
            json!({"type": tag}).to_string(),
            json!({"type": tag, "response": {}}).to_string(),
            json!({"type": tag, "response": null}).to_string(),
            json!({"type": tag, "response": ["resp_1"]}).to_string(),
            json!({"type": tag, "response": {"id": null}}).to_string(),
            json!({"type": tag, "response": {"id": 7}}).to_string(),
            json!({"type": tag, "response": {"id": "esc\"aped\u{e9}"}}).to_string(),
            json!({"type": tag, "response": {"id": "r", "model": 5}}).to_string(),
            json!({"type": tag, "response": {"id": "r", "status": null, "model": null, "previous_response_id": "p"}}).to_string(),
            json!({"type": tag, "response": {"id": "r", "previous_response_id": ["p"]}}).to_string(),
            json!({"type": tag, "response": {"id": "r", "error": {"code": "x", "message": "m"}}}).to_string(),
            json!({"type": tag, "response": {"id": "r", "error": "broken"}}).to_string(),
            json!({"type": tag, "response": {"id": "r", "incomplete_details": {"reason": 3}}}).to_string(),
            json!({"type": tag, "response": {"id": "r", "incomplete_details": {"reason": "max_output_tokens"}}}).to_string(),
            json!({"type": tag, "response": {"id": "r", "output": null}}).to_string(),
            json!({"type": tag, "response": {"id": "r", "output": {}}}).to_string(),
            json!({"type": tag, "response": {"id": "r"}, "sequence_number": -1}).to_string(),
            json!({"type": tag, "response": {"id": "r"}, "sequence_number": "1"}).to_string(),
            format!(r#"{{"type":"{tag}","response":{{"id":"a","id":"b"}}}}"#),
            format!(r#"{{"type":"{tag}","response":{{"id":"a","output":[],"output":[]}}}}"#),
            format!(r#"{{"type":"{tag}","response":{{"id":"a"}},"response":{{"id":"b"}}}}"#),
            format!(r#"{{"type":"{tag}","response":{{"id":"a"}},"type":"{tag}"}}"#),
            format!(r#"{{"type":"{tag}","response":{{"id":"a"}},"type":"response.completed"}}"#),
            format!(r#"{{"type":"{tag}","response":{{"i\u0064":"escaped key"}}}}"#),
            format!(r#"{{"type":"{tag}","response":{{"id":"a","x":1,"x":2}}}}"#),
            format!(r#"{{"response":{{"id":"a"}},"type":"{tag}"}}"#),
            format!(r#"{{"type":"{tag}","response":{{"id":"a"}}}} trailing"#),
            format!(r#"{{"type":"{tag}","response":{{"id":"a""#),
        ] {
            for name in [None, Some(tag)] {
                assert_paths_agree(&[(name, payload.clone())], true);
                assert_paths_agree(&[(name, payload.clone())], false);
                all.push((name, payload.clone()));
            }
        }
    }
    assert_paths_agree(&all, true);
}

/// A payload that names a second `type` is read by its last one on the general path; the types
/// the in-place reader skips (those that map to nothing, and a started event once the response
/// has its id) are handed over then, so both paths agree.
#[test]
fn skipped_types_naming_a_second_type_map_the_same() {
    let skipped = [
        "response.content_part.added",
        "response.content_part.done",
        "response.output_text.done",
        "response.reasoning_summary_part.added",
        "response.reasoning_summary_part.done",
        "response.reasoning_summary_text.done",
        "response.reasoning_text.done",
        "response.custom_tool_call_input.delta",
        "response.custom_tool_call_input.done",
        "codex.rate_limits",
        "keepalive",
        "response.created",
        "response.in_progress",
        "response.queued",
    ];
    let started = json!({"type": "response.created", "response": {"id": "resp_0"}}).to_string();
    for tag in skipped {
        for second in ["response.completed", "response.output_text.delta", "zz_other", tag] {
            for key in ["type", "typ\\u0065"] {
                let payload = format!(
                    r#"{{"type":"{tag}","response":{{"id":"a"}},"delta":"d","item_id":"m","{key}":"{second}"}}"#
                );
                assert_paths_agree(&[(None, payload.clone())], true);
                assert_paths_agree(&[(None, started.clone()), (Some(tag), payload)], true);
            }
        }
    }
}

/// Whose text was streamed decides whether a finished message repeats its text: the in-place
/// reader keeps each delta's item.
#[test]
fn a_message_whose_text_was_not_streamed_repeats_it_in_both_paths() {
    let message = |id: &str| {
        json!({"type": "response.output_item.done", "item": {"type": "message", "id": id, "role": "assistant",
            "content": [{"type": "output_text", "text": "whole"}]}})
    };
    let events = [
        json!({"type": "response.created", "response": {"id": "resp_1"}}),
        json!({"type": "response.output_text.delta", "item_id": "m1", "delta": "streamed"}),
        message("m1"),
        json!({"type": "response.output_text.delta", "item_id": "m3", "delta": "also streamed"}),
        message("m2"),
        json!({"type": "response.completed", "response": {"id": "resp_1"}}),
    ];
    assert_paths_agree(&frames_of(&events), true);
}

/// The one difference, on purpose: a number too large for a `serde_json::Value` in a field the
/// mapper does not read makes the general path refuse the whole frame (its typed events keep
/// unmodelled fields as `Value`s), so a text delta would be lost. The hot path keeps it.
#[test]
fn a_number_too_large_for_a_value_in_an_unread_field_loses_nothing() {
    let data = r#"{"type":"response.output_text.delta","delta":"kept","n":1e400}"#;
    assert!(BackendEvent::parse_with_raw(None, data).is_err());
    let mut mapper = EventMapper::new();
    let mut events = Vec::new();
    mapper.map_sse(None, data, &mut events).unwrap();
    assert_eq!(events[1].delta.as_deref(), Some("kept"));
    assert_eq!(events[1].raw.as_ref().unwrap().as_str(), data);
    // An event that maps to nothing is not an error either.
    mapper.map_sse(None, r#"{"type":"codex.rate_limits","n":1e400}"#, &mut events).unwrap();
    assert_eq!(events.len(), 2);
}

/// The JSON values a field may hold in the generated events, of every kind.
fn field_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (0u64..4).prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "[a-z\"\\\\\n é🙂]{0,6}".prop_map(Value::String),
        Just(json!([1, "x"])),
        Just(json!({"k": "v"})),
    ]
}

/// Field names of both deltas and of the events around them, repeated and reordered.
fn field_name() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "type",
        "item_id",
        "output_index",
        "content_index",
        "call_id",
        "delta",
        "sequence_number",
        "obfuscation",
        "arguments",
        "name",
    ])
}

/// One payload: a delta type first (usually) and any fields, written as JSON text by hand so
/// that keys may repeat.
fn payload() -> impl Strategy<Value = String> {
    let tag = prop::sample::select(vec![
        "response.output_text.delta",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_text.done",
        "keepalive",
    ]);
    (tag, any::<bool>(), prop::collection::vec((field_name(), field_value()), 0..6)).prop_map(
        |(tag, type_first, fields)| {
            let mut parts: Vec<String> = fields.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
            let tag_part = format!("\"type\":\"{tag}\"");
            if type_first {
                parts.insert(0, tag_part);
            } else {
                parts.push(tag_part);
            }
            format!("{{{}}}", parts.join(","))
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn generated_deltas_map_the_same(payloads in prop::collection::vec(payload(), 1..12), named in any::<bool>()) {
        let frames: Vec<(Option<&str>, String)> = payloads
            .into_iter()
            .map(|p| (named.then_some("response.output_text.delta"), p))
            .collect();
        assert_paths_agree(&frames, true);
    }
}

/// Every path's `response_completed` carries the final response parsed: equal to its `raw`'s
/// `response` read again, with the stream's items as its output. An accumulator that has only
/// the text (the event read back from JSON) builds the same [`Response`].
#[test]
fn the_completed_event_carries_its_raw_response_parsed() {
    #[derive(serde::Deserialize)]
    struct Terminal {
        response: BackendResponse,
    }
    #[derive(serde::Deserialize)]
    struct TerminalText<'a> {
        #[serde(borrow)]
        response: &'a serde_json::value::RawValue,
    }
    for name in FIXTURES {
        let frames = frames(&fixture(name));
        let (mut fast, mut general, mut borrowed) =
            (EventMapper::new(), EventMapper::new(), EventMapper::new());
        let (mut fast_events, mut general_events, mut borrowed_events) = (Vec::new(), Vec::new(), Vec::new());
        for (event_name, data) in &frames {
            let _ = fast.map_sse(event_name.as_deref(), data.as_str(), &mut fast_events);
            if let Ok((event, raw)) = BackendEvent::parse_with_raw(event_name.as_deref(), data.as_str()) {
                borrowed.map_into(&event, &mut borrowed_events);
                general.map_with_raw_into(event, raw, &mut general_events);
            }
        }
        for events in [&fast_events, &general_events, &borrowed_events] {
            let completed = events.last().unwrap();
            assert_eq!(completed.kind, StreamEventType::ResponseCompleted, "{name}");
            let carried = completed.response.as_deref().unwrap_or_else(|| panic!("{name}: no response"));
            let from_raw = completed.raw.as_ref().unwrap().parse::<Terminal>().unwrap().response;
            assert_eq!(*carried, from_raw, "{name}");
            // And the response's text, the very part of `raw` a parser finds.
            let raw = completed.raw.as_ref().unwrap().as_str();
            let text = serde_json::from_str::<TerminalText<'_>>(raw).unwrap().response.get();
            let carried_text = completed.response_raw.as_ref().unwrap_or_else(|| panic!("{name}: no text"));
            assert_eq!(
                (carried_text.as_str(), carried_text.as_str().as_ptr()),
                (text, text.as_ptr()),
                "{name}"
            );
            assert!(
                events.iter().rev().skip(1).all(|e| e.response.is_none() && e.response_raw.is_none()),
                "{name}: only the last carries it"
            );

            let read_back: Vec<StreamEvent> = events
                .iter()
                .map(|e| serde_json::from_value(serde_json::to_value(e).unwrap()).unwrap())
                .collect();
            assert!(
                read_back.iter().all(|e| e.response.is_none() && e.response_raw.is_none()),
                "never serialized"
            );
            assert_eq!(&read_back, events, "{name}: equal without it");
            assert_eq!(Response::from_events(&read_back), Response::from_events(events), "{name}");
        }
    }
}

#[test]
fn the_carried_response_has_the_streamed_items_when_the_final_output_differs() {
    let item = json!({"type": "message", "id": "m", "role": "assistant", "content": [{"type": "output_text", "text": "streamed"}]});
    let other = json!({"type": "message", "id": "m", "role": "assistant", "content": [{"type": "output_text", "text": "repeated differently"}]});
    let frames = frames_of(&[
        json!({"type": "response.output_item.done", "item": item}),
        json!({"type": "response.completed", "response": {"id": "r", "model": "m1", "output": [other]}}),
    ]);
    let mut mapper = EventMapper::new();
    let mut events = Vec::new();
    for (name, data) in &frames {
        mapper.map_sse(*name, data.as_str(), &mut events).unwrap();
    }
    let carried = events.last().unwrap().response.clone().unwrap();
    assert_eq!((carried.id.as_str(), carried.model.as_deref()), ("r", Some("m1")));
    assert_eq!(serde_json::to_value(&carried.output).unwrap(), json!([item]));
    let response = Response::from_events(&events);
    assert_eq!(serde_json::to_value(&response.output).unwrap(), json!([item]));
    let raw = response.raw.unwrap();
    assert_eq!(raw.to_value().unwrap()["output"], json!([item]));
    assert_eq!(events.last().unwrap().response_raw.as_ref(), Some(&raw), "the text of the rebuilt response");
}

#[test]
fn a_delta_without_escapes_is_a_slice_of_the_frame_data() {
    let mut mapper = EventMapper::new();
    let mut events = Vec::new();
    for (data, expected, shared) in [
        (r#"{"type":"response.output_text.delta","item_id":"m1","delta":"plain text"}"#, "plain text", true),
        (
            r#"{"type":"response.output_text.delta","item_id":"m1","delta":"a \"quoted\"\nline"}"#,
            "a \"quoted\"\nline",
            false,
        ),
        (
            r#"{"type":"response.function_call_arguments.delta","item_id":"fc_1","delta":"{\"a\":"}"#,
            "{\"a\":",
            false,
        ),
        (r#"{"type":"response.function_call_arguments.delta","item_id":"fc_1","delta":"12}"}"#, "12}", true),
    ] {
        let data = ByteString::from(data);
        events.clear();
        mapper.map_sse(None, data.clone(), &mut events).unwrap();
        let delta = events.last().and_then(|e| e.delta.as_ref()).expect("a delta event");
        assert_eq!(delta, expected);
        let inside = data.as_bytes().as_ptr_range().contains(&delta.as_ptr());
        assert_eq!(inside, shared, "{data}");
    }
}

/// `output_item.added` and `.done` and the terminal events are read with their items as text
/// (an added item only if it may be a function call; a final response's items not again when
/// they are the texts the stream's done items had). Anything the typed events would read
/// differently goes the general way.
#[test]
fn unusual_items_and_final_responses_map_the_same() {
    let message = r#"{"type":"message","id":"m1","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Hi","annotations":[]}]}"#;
    let call =
        r#"{"type":"function_call","id":"fc_1","call_id":"call_1","name":"f","arguments":"{\"a\":1}"}"#;
    let added_items = [
        r#"{"type":"message","id":"m1","status":"in_progress","role":"assistant","content":[]}"#,
        call,
        r#"{"type":"function\u005fcall","id":"fc_2","call_id":"call_2","name":"g","arguments":""}"#,
        r#"{"type":"message","type":"function_call","id":"fc_3","call_id":"call_3","name":"h","arguments":""}"#,
        r#"{"id":"fc_4","call_id":"call_4","name":"h","type":"function_call"}"#,
        r#"{"typ\u0065":"function_call","call_id":"call_5","name":"k","arguments":""}"#,
        r#"{"type":"function_call","name":7}"#,
        r#"{"type":"reasoning","id":"rs_1","summary":[]}"#,
        r#"{"type":"web_search_call","id":"ws_1"}"#,
        r#"{"role":"assistant","content":"no type"}"#,
        r#""a string""#,
        "null",
        "[1,2]",
    ];
    let done_items = [
        message,
        call,
        r#"{"type":"message","id":"m2","role":"assistant","content":[{"type":"output_text","text":"esc\"aped \u00e9"}]}"#,
        r#"{ "type" : "message" , "id" : "m1" , "role" : "assistant" , "content" : "spaced" }"#,
        r#"{"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"why"}]}"#,
        r#"{"type":"function_call","name":7}"#,
        r#"{"type":"message","role":"assistant","content":[{"type":"output_text","text":5}]}"#,
        r#""a string""#,
    ];
    let mut frames: Vec<(Option<&str>, String)> = Vec::new();
    for tag in ["response.output_item.added", "response.output_item.done"] {
        let items = if tag.ends_with("added") { &added_items[..] } else { &done_items[..] };
        for item in items {
            frames.push((None, format!(r#"{{"type":"{tag}","output_index":0,"item":{item}}}"#)));
        }
        frames.push((None, format!(r#"{{"type":"{tag}"}}"#)));
        frames.push((None, format!(r#"{{"type":"{tag}","item":{message},"item":{message}}}"#)));
        frames.push((None, format!(r#"{{"type":"{tag}","item":{message},"output_index":"0"}}"#)));
        frames.push((None, format!(r#"{{"type":"{tag}","item":{message},"sequence_number":-1,"x":[1]}}"#)));
        frames.push((None, format!(r#"{{"type":"{tag}","item":{message},"type":"{tag}"}}"#)));
        frames.push((None, format!(r#"{{"type":"{tag}","item":{message}}} trailing"#)));
        frames.push((None, format!(r#"{{"type":"{tag}","item":{message}"#)));
    }
    for (index, added) in frames.iter().enumerate() {
        assert_paths_agree(std::slice::from_ref(added), true);
        assert_paths_agree(&frames[..=index], false);
    }

    // Final responses after done items: the same texts, other texts, more or fewer, or none.
    let done =
        |item: &str| format!(r#"{{"type":"response.output_item.done","output_index":0,"item":{item}}}"#);
    let other = r#"{"type":"message","id":"m1","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Hello","annotations":[]}]}"#;
    let spaced = message.replace(",", ", ");
    let outputs = [
        format!("[{message}]"),
        format!("[{message},{call}]"),
        format!("[{call},{message}]"),
        format!("[{spaced}]"),
        format!("[{other}]"),
        format!("[{message},{message}]"),
        "[]".to_owned(),
        "null".to_owned(),
        "{}".to_owned(),
    ];
    for tag in ["response.completed", "response.incomplete", "response.failed"] {
        let mut finals = Vec::new();
        for output in &outputs {
            finals.push(format!(
                r#"{{"type":"{tag}","response":{{"id":"r","status":"x","output":{output},"usage":{{"input_tokens":2,"output_tokens":1}},"error":{{"code":"c","message":"m"}},"incomplete_details":{{"reason":"content_filter"}},"object":"response"}},"sequence_number":9}}"#
            ));
        }
        finals.push(format!(r#"{{"type":"{tag}"}}"#));
        finals.push(format!(r#"{{"type":"{tag}","response":null}}"#));
        finals.push(format!(
            r#"{{"type":"{tag}","response":{{"id":"r","output":[{message}],"output":[{message}]}}}}"#
        ));
        finals.push(format!(
            r#"{{"type":"{tag}","response":{{"id":"r","output":[{message}]}},"response":{{"id":"s"}}}}"#
        ));
        finals.push(format!(
            r#"{{"type":"{tag}","response":{{"id":"r","output":[{message}]}},"sequence_number":"9"}}"#
        ));
        finals.push(format!(
            r#"{{"type":"{tag}","response":{{"id":"r","output":[{message}]}},"type":"{tag}"}}"#
        ));
        finals.push(format!(r#"{{"type":"{tag}","response":{{"id":7,"output":[{message}]}}}}"#));
        finals.push(format!(r#"{{"type":"{tag}","response":{{"id":"r","output":[{message}]}}}} trailing"#));
        for last in &finals {
            for before in [vec![], vec![done(message)], vec![done(message), done(call)], vec![done(&spaced)]]
            {
                let mut frames: Vec<(Option<&str>, String)> =
                    before.into_iter().map(|data| (None, data)).collect();
                frames.push((None, last.clone()));
                frames.push((None, done(message)));
                assert_paths_agree(&frames, true);
                assert_paths_agree(&frames, false);
            }
        }
    }
}

/// A final response whose items are the texts the stream already gave carries the stream's
/// items, and its event's `raw` is the payload as received.
#[test]
fn a_final_response_repeating_the_streamed_items_carries_them_unchanged() {
    let item =
        r#"{"type":"message","id":"m1","role":"assistant","content":[{"type":"output_text","text":"Hi"}]}"#;
    let last = format!(r#"{{"type":"response.completed","response":{{"id":"r","output":[{item}]}}}}"#);
    let mut mapper = EventMapper::new();
    let mut events = Vec::new();
    mapper
        .map_sse(None, format!(r#"{{"type":"response.output_item.done","item":{item}}}"#), &mut events)
        .unwrap();
    mapper.map_sse(None, last.clone(), &mut events).unwrap();
    let completed = events.last().unwrap();
    assert_eq!(completed.kind, StreamEventType::ResponseCompleted);
    assert_eq!(completed.raw.as_ref().unwrap().as_str(), last);
    let carried = completed.response.as_deref().unwrap();
    assert_eq!(serde_json::to_string(&carried.output).unwrap(), format!("[{item}]"));
}
