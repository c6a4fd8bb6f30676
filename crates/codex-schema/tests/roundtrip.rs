//! Property tests: every input item and every `Response` survives serialize → deserialize
//! unchanged, including unknown item types and unknown fields.

use codex_schema::{
    BackendEvent, ContentPart, FinishReason, FunctionCall, FunctionCallOutput, FunctionOutput, InputImage,
    InputText, Item, Message, MessageContent, OutputText, ReasoningItem, Refusal, Response, ResponseError,
    Role, ToolCall, ToolCallKind, Usage,
};
use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;
use serde_json::{Map, Number, Value};

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", Number::from_f64).prop_map(Value::Number),
        ".{0,12}".prop_map(Value::String),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            btree_map("[a-z]{1,6}", inner, 0..4).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Unmodelled fields: the `x_` prefix keeps them apart from modelled ones.
fn extra() -> impl Strategy<Value = Map<String, Value>> {
    btree_map("x_[a-z]{1,6}", json_value(), 0..3).prop_map(|m| m.into_iter().collect())
}

/// An object whose `type` no version of this crate knows.
fn unknown_object() -> impl Strategy<Value = Value> {
    ("zz_[a-z_.]{1,10}", btree_map("[a-z]{1,6}", json_value(), 0..4)).prop_map(|(ty, fields)| {
        let mut map = Map::new();
        map.insert("type".to_owned(), Value::String(ty));
        map.extend(fields.into_iter().filter(|(k, _)| k != "type"));
        Value::Object(map)
    })
}

fn text() -> impl Strategy<Value = String> {
    "\\PC{0,16}"
}

fn opt_text() -> impl Strategy<Value = Option<String>> {
    option::of(text())
}

fn content_part() -> impl Strategy<Value = ContentPart> {
    let input_text = || (text(), extra()).prop_map(|(text, extra)| InputText { text, extra });
    prop_oneof![
        input_text().prop_map(ContentPart::InputText),
        (opt_text(), opt_text(), opt_text(), extra()).prop_map(|(image_url, file_id, detail, extra)| {
            ContentPart::InputImage(InputImage { image_url, file_id, detail, extra })
        }),
        (text(), option::of(vec(json_value(), 0..2)), extra()).prop_map(|(text, annotations, extra)| {
            ContentPart::OutputText(OutputText { text, annotations, extra })
        }),
        input_text().prop_map(ContentPart::SummaryText),
        input_text().prop_map(ContentPart::ReasoningText),
        (text(), extra()).prop_map(|(refusal, extra)| ContentPart::Refusal(Refusal { refusal, extra })),
        unknown_object().prop_map(ContentPart::Unknown),
    ]
}

fn role() -> impl Strategy<Value = Role> {
    prop_oneof![Just(Role::User), Just(Role::Assistant), Just(Role::System), Just(Role::Developer)]
}

fn item() -> impl Strategy<Value = Item> {
    let content = prop_oneof![
        text().prop_map(MessageContent::Text),
        vec(content_part(), 0..4).prop_map(MessageContent::Parts),
    ];
    let message =
        (opt_text(), role(), content, opt_text(), extra()).prop_map(|(id, role, content, status, extra)| {
            Item::Message(Message { id, role, content, status, extra })
        });
    let call = (opt_text(), text(), text(), text(), opt_text(), extra()).prop_map(
        |(id, call_id, name, arguments, status, extra)| {
            Item::FunctionCall(FunctionCall { id, call_id, name, arguments, status, extra })
        },
    );
    let output_value = prop_oneof![
        text().prop_map(FunctionOutput::Text),
        vec(content_part(), 0..3).prop_map(FunctionOutput::Parts),
    ];
    let output = (opt_text(), text(), output_value, opt_text(), extra()).prop_map(
        |(id, call_id, output, status, extra)| {
            Item::FunctionCallOutput(FunctionCallOutput { id, call_id, output, status, extra })
        },
    );
    prop_oneof![
        message,
        call,
        output,
        reasoning_item().prop_map(Item::Reasoning),
        unknown_object().prop_map(Item::Unknown)
    ]
}

fn reasoning_item() -> impl Strategy<Value = ReasoningItem> {
    (
        opt_text(),
        vec(content_part(), 0..3),
        opt_text(),
        option::of(vec(content_part(), 0..2)),
        opt_text(),
        extra(),
    )
        .prop_map(|(id, summary, encrypted_content, content, status, extra)| ReasoningItem {
            id,
            summary,
            encrypted_content,
            content,
            status,
            extra,
        })
}

fn usage() -> impl Strategy<Value = Usage> {
    (any::<u32>(), any::<u32>(), any::<u32>(), any::<u32>(), any::<u32>()).prop_map(|(a, b, c, d, e)| Usage {
        input_tokens: a.into(),
        output_tokens: b.into(),
        total_tokens: c.into(),
        cached_input_tokens: d.into(),
        reasoning_tokens: e.into(),
    })
}

fn response_error() -> impl Strategy<Value = ResponseError> {
    (opt_text(), text(), opt_text(), opt_text(), extra())
        .prop_map(|(code, message, kind, param, extra)| ResponseError { code, message, kind, param, extra })
}

fn finish_reason() -> impl Strategy<Value = FinishReason> {
    prop_oneof![
        Just(FinishReason::Stop),
        Just(FinishReason::ToolCalls),
        Just(FinishReason::Length),
        Just(FinishReason::ContentFilter),
        Just(FinishReason::Error),
    ]
}

fn tool_call() -> impl Strategy<Value = ToolCall> {
    let parsed = option::of(json_value().prop_filter("null reads back as absent", |v| !v.is_null()));
    let kind = prop_oneof![Just(ToolCallKind::Function), Just(ToolCallKind::Custom)];
    (opt_text(), text(), text(), text(), parsed, kind).prop_map(
        |(id, call_id, name, arguments, parsed_arguments, kind)| ToolCall {
            id,
            call_id,
            name,
            arguments,
            parsed_arguments,
            kind,
        },
    )
}

prop_compose! {
    fn response()(
        (id, model, status, output, output_text) in (text(), opt_text(), opt_text(), vec(item(), 0..4), text()),
        (usage, error, reasoning_summary, reasoning_items) in
            (option::of(usage()), option::of(response_error()), opt_text(), vec(reasoning_item(), 0..2)),
        (encrypted_reasoning_content, finish_reason, previous_response_id, tool_calls) in
            (opt_text(), option::of(finish_reason()), opt_text(), vec(tool_call(), 0..3)),
        raw in option::of(unknown_object()),
        extra in extra(),
    ) -> Response {
        Response {
            id, model, status, output, output_text, usage, error, reasoning_summary, reasoning_items,
            encrypted_reasoning_content, finish_reason, previous_response_id, tool_calls,
            raw: raw.map(codex_schema::RawJson::from), extra,
        }
    }
}

/// A value for one field of a backend event: mostly of the type the field has, sometimes not.
fn event_field(key: &'static str) -> BoxedStrategy<Value> {
    let fitting: BoxedStrategy<Value> = match key {
        "output_index" | "content_index" | "summary_index" | "sequence_number" => {
            any::<u32>().prop_map(Value::from).boxed()
        }
        "item" => item().prop_map(|item| serde_json::to_value(item).unwrap()).boxed(),
        "part" => content_part().prop_map(|part| serde_json::to_value(part).unwrap()).boxed(),
        "response" => (text(), vec(item(), 0..3), extra())
            .prop_map(|(id, output, extra)| {
                let mut map = Map::new();
                map.insert("id".to_owned(), Value::String(id));
                map.insert("output".to_owned(), serde_json::to_value(output).unwrap());
                map.extend(extra);
                Value::Object(map)
            })
            .boxed(),
        _ => text().prop_map(Value::String).boxed(),
    };
    prop_oneof![8 => fitting, 1 => json_value()].boxed()
}

const EVENT_FIELDS: &[&str] = &[
    "item_id",
    "output_index",
    "content_index",
    "summary_index",
    "delta",
    "text",
    "arguments",
    "call_id",
    "name",
    "input",
    "part",
    "item",
    "response",
    "code",
    "message",
    "param",
    "sequence_number",
];

/// The text of a backend event payload: a known or unknown `type` (usually first, sometimes
/// later, repeated or missing), fields of that event's vocabulary and unmodelled ones.
fn event_text() -> impl Strategy<Value = String> {
    let field = |key| event_field(key).prop_map(|value| serde_json::to_string(&value).unwrap()).boxed();
    tagged_text(BackendEvent::KNOWN_TYPES, EVENT_FIELDS, field)
}

/// An object's text: one of `known` types or an unknown one (placed as [`object_text`] says),
/// fields of `vocabulary` with values (as JSON text) from `field`, and unmodelled ones.
fn tagged_text(
    known: &'static [&'static str],
    vocabulary: &'static [&'static str],
    field: fn(&'static str) -> BoxedStrategy<String>,
) -> impl Strategy<Value = String> {
    let tag = prop_oneof![
        6 => proptest::sample::select(known).prop_map(str::to_owned),
        1 => "zz_[a-z_.]{1,10}",
    ];
    let fields = proptest::sample::subsequence(vocabulary, 0..6).prop_flat_map(move |keys| {
        keys.into_iter().map(|key| field(key).prop_map(move |value| (key, value))).collect::<Vec<_>>()
    });
    (tag, fields, extra(), 0..8usize, any::<bool>()).prop_map(|(tag, fields, extra, place, spaced)| {
        // Field values are already text (content parts keep their own key order and repeats).
        let mut members: Vec<(String, String)> = fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        members.extend(as_text(extra));
        object_text(members, &tag, place, spaced)
    })
}

/// An object's text from its members (each value as JSON text), the `type` (if any) placed
/// as `place` says: first (usually), last, first and repeated, or absent.
fn object_text(mut members: Vec<(String, String)>, tag: &str, place: usize, spaced: bool) -> String {
    let tag = serde_json::to_string(tag).unwrap();
    match place {
        0..=4 => members.insert(0, ("type".to_owned(), tag)),
        5 => members.push(("type".to_owned(), tag)),
        6 => {
            members.insert(0, ("type".to_owned(), tag));
            members.push(("type".to_owned(), "\"zz_other\"".to_owned()));
        }
        _ => {}
    }
    let body: Vec<String> = members
        .iter()
        .map(|(k, v)| {
            let k = serde_json::to_string(k).unwrap();
            if spaced { format!(" {k} : {v} ") } else { format!("{k}:{v}") }
        })
        .collect();
    format!("{{{}}}", body.join(","))
}

/// Members with JSON values, as [`object_text`] takes them.
fn as_text(members: impl IntoIterator<Item = (String, Value)>) -> Vec<(String, String)> {
    members.into_iter().map(|(k, v)| (k, serde_json::to_string(&v).unwrap())).collect()
}

/// A content part's text: a known or unknown `type`, placed anywhere; a text that is one or
/// is not; annotations; unmodelled fields; sometimes a key given twice.
fn part_text() -> impl Strategy<Value = String> {
    let tag = prop_oneof![
        6 => proptest::sample::select(ContentPart::KNOWN_TYPES).prop_map(str::to_owned),
        1 => "zz_[a-z_]{1,8}",
    ];
    let text = prop_oneof![4 => text().prop_map(Value::String), 1 => json_value()];
    let annotations = option::of(prop_oneof![Just(Value::Array(Vec::new())), json_value()]);
    (tag, text, annotations, extra(), 0..8usize, any::<bool>(), any::<bool>()).prop_map(
        |(tag, text, annotations, extra, place, spaced, twice)| {
            let mut members = vec![("text".to_owned(), text.clone())];
            if let Some(annotations) = annotations {
                members.push(("annotations".to_owned(), annotations));
            }
            members.extend(extra);
            if twice {
                members.push(("text".to_owned(), text));
            }
            object_text(as_text(members), &tag, place, spaced)
        },
    )
}

/// A field of an item: mostly of the type the field has (content and summaries as arrays of
/// part texts), sometimes not.
fn item_field(key: &'static str) -> BoxedStrategy<String> {
    let json = |value: Value| serde_json::to_string(&value).unwrap();
    let fitting: BoxedStrategy<String> = match key {
        "content" | "summary" => prop_oneof![
            4 => vec(part_text(), 0..4).prop_map(|parts| format!("[{}]", parts.join(","))),
            1 => text().prop_map(move |t| json(Value::String(t))),
        ]
        .boxed(),
        "role" => proptest::sample::select(vec!["user", "assistant", "system", "developer", "tool"])
            .prop_map(move |r| json(Value::from(r)))
            .boxed(),
        _ => text().prop_map(move |t| json(Value::String(t))).boxed(),
    };
    prop_oneof![8 => fitting, 1 => json_value().prop_map(json)].boxed()
}

const ITEM_FIELDS: &[&str] =
    &["id", "role", "content", "status", "summary", "encrypted_content", "call_id", "name", "arguments"];

/// An item's text: a known or unknown `type` placed anywhere, fields of the items' vocabulary
/// (content parts of every kind among them) and unmodelled ones.
fn item_text() -> impl Strategy<Value = String> {
    tagged_text(Item::KNOWN_TYPES, ITEM_FIELDS, item_field)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn items_round_trip(item in item()) {
        let json = serde_json::to_string(&item).unwrap();
        let back: Item = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, &item, "{}", json);
        prop_assert_eq!(serde_json::to_string(&back).unwrap(), json);
    }

    #[test]
    fn unknown_items_keep_their_exact_json(raw in unknown_object()) {
        let text = serde_json::to_string(&raw).unwrap();
        let item: Item = serde_json::from_str(&text).unwrap();
        prop_assert!(matches!(item, Item::Unknown(_)));
        prop_assert_eq!(serde_json::to_string(&item).unwrap(), text);
    }

    /// The one-pass text decoder and the general path through a `Value` agree on every
    /// payload, including the ones the fast path hands over (type not first, repeated, misfit).
    #[test]
    fn backend_event_text_decodes_as_its_value_does(text in event_text()) {
        let value: Value = serde_json::from_str(&text).unwrap();
        let general = BackendEvent::from_json(value.clone());
        prop_assert_eq!(&BackendEvent::parse(None, &text).unwrap(), &general, "{}", text);
        let (event, raw) = BackendEvent::parse_with_raw(None, text.clone()).unwrap();
        prop_assert_eq!(&event, &general, "{}", text);
        prop_assert_eq!(raw.as_str(), text.as_str());
    }

    /// An item's one-pass text decoder (parts read each from its own text) and the general
    /// path through a `Value` agree on every item, including those handed over.
    #[test]
    fn item_text_decodes_as_its_value_does(text in item_text()) {
        let value: Value = serde_json::from_str(&text).unwrap();
        let general = Item::from_json(value);
        prop_assert_eq!(&Item::from_json_str(&text).unwrap(), &general, "{}", text);
        prop_assert_eq!(&serde_json::from_str::<Item>(&text).unwrap(), &general, "{}", text);
    }

    /// The same for a content part on its own.
    #[test]
    fn part_text_decodes_as_its_value_does(text in part_text()) {
        let value: Value = serde_json::from_str(&text).unwrap();
        let general = ContentPart::from_json(value);
        prop_assert_eq!(&ContentPart::from_json_str(&text).unwrap(), &general, "{}", text);
    }

    #[test]
    fn responses_round_trip(response in response()) {
        let json = serde_json::to_string(&response).unwrap();
        let back: Response = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, &response, "{}", json);
    }
}

#[test]
fn known_fields_and_order_survive_from_wire_json() {
    let wire = r#"{"type":"message","id":"msg_1","role":"assistant","content":[{"type":"output_text","text":"hi","annotations":[],"logprobs":[]}],"status":"completed","x_new_field":{"a":1}}"#;
    let item: Item = serde_json::from_str(wire).unwrap();
    assert!(matches!(item, Item::Message(_)));
    assert_eq!(serde_json::to_string(&item).unwrap(), wire);
}

#[test]
fn a_known_type_with_a_foreign_shape_is_kept_raw() {
    let wire = r#"{"type":"function_call","name":42}"#;
    let item: Item = serde_json::from_str(wire).unwrap();
    assert!(matches!(item, Item::Unknown(_)));
    assert_eq!(serde_json::to_string(&item).unwrap(), wire);
}

#[test]
fn a_message_without_type_is_read_as_a_message() {
    let item: Item = serde_json::from_str(r#"{"role":"user","content":"hi"}"#).unwrap();
    assert_eq!(item, Item::Message(Message::user("hi")));
}

#[test]
fn a_lenient_response_reads_with_missing_fields() {
    let response: Response = serde_json::from_str(r#"{"id":"resp_1","brand_new":true}"#).unwrap();
    assert_eq!(response.id, "resp_1");
    assert!(response.output.is_empty() && response.tool_calls.is_empty());
    assert_eq!(response.extra["brand_new"], true);
}
