//! Conversation items: what goes into `input` and comes back in `output`.
//!
//! Items are lenient: an item whose `type` this crate does not know, or whose shape does not fit
//! the known type, is kept as [`Item::Unknown`] with its JSON untouched, and every known item keeps
//! fields it does not model in `extra`, so anything read can be written back unchanged.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::response::{ToolCall, ToolCallKind};
use crate::tagged::{read_with_extra, tagged_enum};

/// Who speaks a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The person or program asking.
    User,
    /// The model.
    Assistant,
    /// System guidance (sent as `developer` on the Codex profile, which has no `system` role).
    System,
    /// Developer guidance.
    Developer,
}

impl Role {
    /// The wire spelling of the role.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::System => "system",
            Role::Developer => "developer",
        }
    }
}

/// Plain text given to the model (`input_text`).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct InputText {
    /// The text.
    pub text: String,
    /// Fields this crate does not model, kept as they came.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An image given to the model (`input_image`): a URL, a data URL, or an uploaded file id.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct InputImage {
    /// `https://…` or `data:<mime>;base64,…`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    /// An uploaded file's id, where the server supports files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_id: Option<String>,
    /// `low`, `high` or `auto`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Fields this crate does not model, kept as they came.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Text written by the model (`output_text`).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct OutputText {
    /// The text.
    pub text: String,
    /// Citations and other annotations, as the server sent them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Vec<Value>>,
    /// Fields this crate does not model, kept as they came.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

read_with_extra!(InputText, "a text part", { text: required });
read_with_extra!(OutputText, "an output_text part", { text: required, annotations: default });

/// A refusal written by the model (`refusal`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct Refusal {
    /// Why the model refused.
    pub refusal: String,
    /// Fields this crate does not model, kept as they came.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

tagged_enum! {
    /// One part of a message's content, of a reasoning summary, or of a tool output.
    #[non_exhaustive]
    pub enum ContentPart {
        /// `input_text`.
        InputText(InputText) = "input_text",
        /// `input_image`.
        InputImage(InputImage) = "input_image",
        /// `output_text`.
        OutputText(OutputText) = "output_text",
        /// `summary_text`, a part of a reasoning summary.
        SummaryText(InputText) = "summary_text",
        /// `reasoning_text`, raw reasoning from models that expose it.
        ReasoningText(InputText) = "reasoning_text",
        /// `refusal`.
        Refusal(Refusal) = "refusal",
        @unknown
        /// Any other part, kept as raw JSON.
        Unknown(Value)
    }
}

impl ContentPart {
    const DEFAULT_TAG: Option<&'static str> = None;

    fn from_unknown(_tag: Option<String>, raw: Value) -> Self {
        ContentPart::Unknown(raw)
    }

    fn unknown_raw(&self) -> &Value {
        match self {
            ContentPart::Unknown(raw) => raw,
            _ => &Value::Null,
        }
    }

    /// An `input_text` part.
    pub fn input_text(text: impl Into<String>) -> Self {
        ContentPart::InputText(InputText { text: text.into(), extra: Map::new() })
    }

    /// An `output_text` part.
    pub fn output_text(text: impl Into<String>) -> Self {
        ContentPart::OutputText(OutputText { text: text.into(), ..OutputText::default() })
    }

    /// An `input_image` part from a URL or a `data:` URL.
    pub fn input_image_url(url: impl Into<String>) -> Self {
        ContentPart::InputImage(InputImage { image_url: Some(url.into()), ..InputImage::default() })
    }

    /// The part's text, for the text-bearing kinds.
    pub fn text(&self) -> Option<&str> {
        match self {
            ContentPart::InputText(p) | ContentPart::SummaryText(p) | ContentPart::ReasoningText(p) => {
                Some(&p.text)
            }
            ContentPart::OutputText(p) => Some(&p.text),
            _ => None,
        }
    }
}

/// A message's content: a plain string or a list of parts.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum MessageContent {
    /// A plain string.
    Text(String),
    /// A list of parts.
    Parts(Vec<ContentPart>),
}

/// Reads a string as `Text` and an array as `Parts`, straight from the input: serde's untagged
/// enums buffer the whole value first, which copies every part (a long answer's text included).
impl<'de> Deserialize<'de> for MessageContent {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ContentVisitor;
        impl<'de> serde::de::Visitor<'de> for ContentVisitor {
            type Value = MessageContent;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string or an array of content parts")
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(MessageContent::Text(v.to_owned()))
            }

            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(MessageContent::Text(v))
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut parts = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
                while let Some(part) = seq.next_element()? {
                    parts.push(part);
                }
                Ok(MessageContent::Parts(parts))
            }
        }
        deserializer.deserialize_any(ContentVisitor)
    }
}

impl MessageContent {
    /// All text of the content joined without separator (images and unknown parts are skipped).
    pub fn joined_text(&self) -> String {
        match self {
            MessageContent::Text(text) => text.clone(),
            MessageContent::Parts(parts) => parts.iter().filter_map(ContentPart::text).collect(),
        }
    }
}

impl From<&str> for MessageContent {
    fn from(text: &str) -> Self {
        MessageContent::Text(text.to_owned())
    }
}

impl From<String> for MessageContent {
    fn from(text: String) -> Self {
        MessageContent::Text(text)
    }
}

impl From<Vec<ContentPart>> for MessageContent {
    fn from(parts: Vec<ContentPart>) -> Self {
        MessageContent::Parts(parts)
    }
}

/// A message item (`type: "message"`; the type may be omitted when reading, as OpenAI allows).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct Message {
    /// The item id the server gave it (never sent to the Codex backend).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Who speaks.
    pub role: Role,
    /// What is said.
    pub content: MessageContent,
    /// `in_progress`, `completed` or `incomplete`, on output items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Fields this crate does not model, kept as they came.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

read_with_extra!(Message, "a message", { id: default, role: required, content: required, status: default });

impl Message {
    /// A message with the given role and content.
    pub fn new(role: Role, content: impl Into<MessageContent>) -> Self {
        Message { id: None, role, content: content.into(), status: None, extra: Map::new() }
    }

    /// A user message.
    pub fn user(content: impl Into<MessageContent>) -> Self {
        Self::new(Role::User, content)
    }

    /// An assistant message.
    pub fn assistant(content: impl Into<MessageContent>) -> Self {
        Self::new(Role::Assistant, content)
    }

    /// A system message.
    pub fn system(content: impl Into<MessageContent>) -> Self {
        Self::new(Role::System, content)
    }

    /// A developer message.
    pub fn developer(content: impl Into<MessageContent>) -> Self {
        Self::new(Role::Developer, content)
    }
}

/// The model asking the caller to run a function (`function_call`).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct FunctionCall {
    /// The item id (never sent to the Codex backend).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The id that ties the call to its output.
    pub call_id: String,
    /// The function's name.
    pub name: String,
    /// The arguments as JSON text, exactly as the model wrote them.
    #[serde(default)]
    pub arguments: String,
    /// `in_progress`, `completed` or `incomplete`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Fields this crate does not model, kept as they came.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

read_with_extra!(FunctionCall, "a function call", {
    id: default,
    call_id: required,
    name: required,
    arguments: default,
    status: default,
});

impl FunctionCall {
    /// The arguments parsed as JSON, or `None` when the model wrote invalid JSON.
    pub fn parsed_arguments(&self) -> Option<Value> {
        serde_json::from_str(&self.arguments).ok()
    }
}

/// A function's result: a string, or parts when it returns images.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum FunctionOutput {
    /// Text (often JSON text).
    Text(String),
    /// `input_text` and `input_image` parts.
    Parts(Vec<ContentPart>),
}

/// The caller's answer to a [`FunctionCall`] (`function_call_output`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct FunctionCallOutput {
    /// The item id (never sent to the Codex backend).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The `call_id` of the call this answers.
    pub call_id: String,
    /// The result.
    pub output: FunctionOutput,
    /// Status, when the server reports one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Fields this crate does not model, kept as they came.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

read_with_extra!(FunctionCallOutput, "a function call output", {
    id: default,
    call_id: required,
    output: required,
    status: default,
});

/// The model's reasoning (`reasoning`): a readable summary and, with `store: false`, the
/// encrypted content that must be sent back on the next turn for the reasoning to carry over.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct ReasoningItem {
    /// The item id (never sent to the Codex backend).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Summary parts (`summary_text`).
    #[serde(default)]
    pub summary: Vec<ContentPart>,
    /// Opaque reasoning state, returned when `include` has `reasoning.encrypted_content`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted_content: Option<String>,
    /// Raw reasoning parts, from models that expose them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Vec<ContentPart>>,
    /// Status, when the server reports one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Fields this crate does not model, kept as they came.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

read_with_extra!(ReasoningItem, "a reasoning item", {
    id: default,
    summary: default,
    encrypted_content: default,
    content: default,
    status: default,
});

impl ReasoningItem {
    /// The summary parts' text joined with blank lines.
    pub fn summary_text(&self) -> String {
        let parts: Vec<&str> = self.summary.iter().filter_map(ContentPart::text).collect();
        parts.join("\n\n")
    }
}

tagged_enum! {
    /// One conversation item, in `input` or in a response's `output`.
    #[non_exhaustive]
    pub enum Item {
        /// `message`.
        Message(Message) = "message" => from_text::message,
        /// `function_call`.
        FunctionCall(FunctionCall) = "function_call",
        /// `function_call_output`.
        FunctionCallOutput(FunctionCallOutput) = "function_call_output",
        /// `reasoning`.
        Reasoning(ReasoningItem) = "reasoning" => from_text::reasoning,
        @unknown
        /// Any other item (`custom_tool_call`, `web_search_call`, a type added tomorrow…), kept
        /// as raw JSON and sent back unchanged.
        Unknown(Value)
    }
}

/// How [`Item::from_json_str`]'s fast path reads a message and a reasoning item: their
/// content parts are kept as text and each read by [`ContentPart::from_json_str`] (its own
/// fast path), not through the `Value` that [`ContentPart`]'s `Deserialize` builds to keep an
/// unknown part whole. The deserializer there reads JSON text, so it can lend each part's
/// text; the result is what `Deserialize` gives, or a failure, which hands the item to the
/// general path.
mod from_text {
    use serde::de::{Error as _, SeqAccess, Visitor};
    use serde::{Deserialize, Deserializer};
    use serde_json::value::RawValue;
    use serde_json::{Map, Value};

    use super::{ContentPart, Message, MessageContent, ReasoningItem, Role};
    use crate::tagged::read_with_extra;

    /// Parts, each read from its text.
    #[derive(Default)]
    struct Parts(Vec<ContentPart>);

    /// Reads the elements of an array of parts.
    fn parts<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<Vec<ContentPart>, A::Error> {
        let mut parts = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(text) = seq.next_element::<&'de RawValue>()? {
            parts.push(ContentPart::from_json_str(text.get()).map_err(A::Error::custom)?);
        }
        Ok(parts)
    }

    impl<'de> Deserialize<'de> for Parts {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct Array;

            impl<'de> Visitor<'de> for Array {
                type Value = Parts;

                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("an array of content parts")
                }

                fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Parts, A::Error> {
                    parts(seq).map(Parts)
                }
            }

            deserializer.deserialize_seq(Array)
        }
    }

    /// A message's content: a string, or parts each read from its text.
    struct Content(MessageContent);

    impl<'de> Deserialize<'de> for Content {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct Either;

            impl<'de> Visitor<'de> for Either {
                type Value = Content;

                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("a string or an array of content parts")
                }

                fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Content, E> {
                    Ok(Content(MessageContent::Text(v.to_owned())))
                }

                fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Content, E> {
                    Ok(Content(MessageContent::Text(v)))
                }

                fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Content, A::Error> {
                    parts(seq).map(|parts| Content(MessageContent::Parts(parts)))
                }
            }

            deserializer.deserialize_any(Either)
        }
    }

    struct MessageText {
        id: Option<String>,
        role: Role,
        content: Content,
        status: Option<String>,
        extra: Map<String, Value>,
    }

    read_with_extra!(MessageText, "a message", { id: default, role: required, content: required, status: default });

    pub(super) fn message<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Message, D::Error> {
        let MessageText { id, role, content, status, extra } = MessageText::deserialize(deserializer)?;
        Ok(Message { id, role, content: content.0, status, extra })
    }

    struct ReasoningText {
        id: Option<String>,
        summary: Parts,
        encrypted_content: Option<String>,
        content: Option<Parts>,
        status: Option<String>,
        extra: Map<String, Value>,
    }

    read_with_extra!(ReasoningText, "a reasoning item", {
        id: default,
        summary: default,
        encrypted_content: default,
        content: default,
        status: default,
    });

    pub(super) fn reasoning<'de, D: Deserializer<'de>>(deserializer: D) -> Result<ReasoningItem, D::Error> {
        let ReasoningText { id, summary, encrypted_content, content, status, extra } =
            ReasoningText::deserialize(deserializer)?;
        Ok(ReasoningItem {
            id,
            summary: summary.0,
            encrypted_content,
            content: content.map(|parts| parts.0),
            status,
            extra,
        })
    }
}

impl Item {
    const DEFAULT_TAG: Option<&'static str> = Some("message");

    fn from_unknown(_tag: Option<String>, raw: Value) -> Self {
        Item::Unknown(raw)
    }

    fn unknown_raw(&self) -> &Value {
        match self {
            Item::Unknown(raw) => raw,
            _ => &Value::Null,
        }
    }

    /// The item's id, if it has one.
    pub fn id(&self) -> Option<&str> {
        match self {
            Item::Message(m) => m.id.as_deref(),
            Item::FunctionCall(c) => c.id.as_deref(),
            Item::FunctionCallOutput(o) => o.id.as_deref(),
            Item::Reasoning(r) => r.id.as_deref(),
            Item::Unknown(raw) => raw.get("id").and_then(Value::as_str),
        }
    }
}

impl From<Message> for Item {
    fn from(message: Message) -> Self {
        Item::Message(message)
    }
}

impl From<FunctionCall> for Item {
    fn from(call: FunctionCall) -> Self {
        Item::FunctionCall(call)
    }
}

impl From<FunctionCallOutput> for Item {
    fn from(output: FunctionCallOutput) -> Self {
        Item::FunctionCallOutput(output)
    }
}

impl From<ReasoningItem> for Item {
    fn from(item: ReasoningItem) -> Self {
        Item::Reasoning(item)
    }
}

/// The result of running a tool the model asked for; becomes a `function_call_output` item
/// (a `custom_tool_call_output` for a custom tool).
///
/// ```
/// use codex_schema::{Item, ToolResult};
/// let item: Item = ToolResult::new("call_1", r#"{"temp": 21}"#).into();
/// assert_eq!(item.type_name(), Some("function_call_output"));
/// let item: Item = ToolResult::custom("call_2", "Applied.").into();
/// assert_eq!(item.type_name(), Some("custom_tool_call_output"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct ToolResult {
    /// The `call_id` of the tool call this answers.
    pub call_id: String,
    /// The result text (often JSON).
    pub output: String,
    /// The kind of tool that was called; absent in JSON for a function tool.
    #[serde(default, skip_serializing_if = "ToolCallKind::is_function")]
    pub kind: ToolCallKind,
}

impl ToolResult {
    /// The result of a function tool call.
    pub fn new(call_id: impl Into<String>, output: impl Into<String>) -> Self {
        ToolResult { call_id: call_id.into(), output: output.into(), kind: ToolCallKind::Function }
    }

    /// The result of a custom tool call.
    pub fn custom(call_id: impl Into<String>, output: impl Into<String>) -> Self {
        ToolResult { call_id: call_id.into(), output: output.into(), kind: ToolCallKind::Custom }
    }

    /// The result of `call`, of the item type its kind of tool answers with.
    pub fn for_call(call: &ToolCall, output: impl Into<String>) -> Self {
        ToolResult { call_id: call.call_id.clone(), output: output.into(), kind: call.kind }
    }
}

/// A `function_call_output` whatever the result's kind (`Item::from` picks the item type by
/// kind).
impl From<ToolResult> for FunctionCallOutput {
    fn from(result: ToolResult) -> Self {
        FunctionCallOutput {
            id: None,
            call_id: result.call_id,
            output: FunctionOutput::Text(result.output),
            status: None,
            extra: Map::new(),
        }
    }
}

impl From<ToolResult> for Item {
    fn from(result: ToolResult) -> Self {
        match result.kind {
            ToolCallKind::Function => Item::FunctionCallOutput(result.into()),
            ToolCallKind::Custom => Item::Unknown(serde_json::json!({
                "type": "custom_tool_call_output",
                "call_id": result.call_id,
                "output": result.output,
            })),
        }
    }
}

#[cfg(test)]
mod read_with_extra_tests {
    use proptest::prelude::*;
    use serde::Deserialize;
    use serde_json::{Map, Value};

    use super::*;

    /// The derives the written-out readings replace (`flatten` and all), each turned into the
    /// type it stands for to be compared.
    macro_rules! derived {
        ($derived:ident => $ours:ident { $( $(#[$attr:meta])* $field:ident: $ty:ty ),+ $(,)? }) => {
            #[derive(Deserialize)]
            struct $derived {
                $( $(#[$attr])* $field: $ty, )+
                #[serde(flatten)]
                extra: Map<String, Value>,
            }

            impl From<$derived> for $ours {
                fn from(derived: $derived) -> $ours {
                    $ours { $( $field: derived.$field, )+ extra: derived.extra }
                }
            }
        };
    }

    derived!(DerivedInputText => InputText { text: String });
    derived!(DerivedOutputText => OutputText { text: String, #[serde(default)] annotations: Option<Vec<Value>> });
    derived!(DerivedMessage => Message {
        #[serde(default)] id: Option<String>,
        role: Role,
        content: MessageContent,
        #[serde(default)] status: Option<String>,
    });
    derived!(DerivedFunctionCall => FunctionCall {
        #[serde(default)] id: Option<String>,
        call_id: String,
        name: String,
        #[serde(default)] arguments: String,
        #[serde(default)] status: Option<String>,
    });
    derived!(DerivedFunctionCallOutput => FunctionCallOutput {
        #[serde(default)] id: Option<String>,
        call_id: String,
        output: FunctionOutput,
        #[serde(default)] status: Option<String>,
    });
    derived!(DerivedReasoningItem => ReasoningItem {
        #[serde(default)] id: Option<String>,
        #[serde(default)] summary: Vec<ContentPart>,
        #[serde(default)] encrypted_content: Option<String>,
        #[serde(default)] content: Option<Vec<ContentPart>>,
        #[serde(default)] status: Option<String>,
    });

    /// An object's JSON text with these entries, in this order, repeated keys and all.
    fn object(entries: &[(&str, &str)]) -> String {
        let fields: Vec<String> = entries.iter().map(|(key, value)| format!("\"{key}\":{value}")).collect();
        format!("{{{}}}", fields.join(","))
    }

    fn entry() -> impl Strategy<Value = (&'static str, &'static str)> {
        let key = prop::sample::select(vec![
            "text",
            "annotations",
            "id",
            "role",
            "content",
            "status",
            "call_id",
            "name",
            "arguments",
            "output",
            "summary",
            "encrypted_content",
            "te\\u0078t",
            "type",
            "logprobs",
        ]);
        let value = prop::sample::select(vec![
            "null",
            "\"assistant\"",
            "\"user\"",
            "\"\"",
            "\"caf\\u00e9 \\\"q\\\"\"",
            "7",
            "true",
            "[]",
            "[{\"type\":\"output_text\",\"text\":\"Hi\",\"annotations\":[]}]",
            "[{\"type\":\"summary_text\",\"text\":\"Think\"},{\"type\":\"x\"}]",
            "[{\"type\":\"input_text\"}]",
            "{}",
            "{\"a\":[1,{\"b\":null}]}",
        ]);
        (key, value)
    }

    /// Both readings fail, or both give the same value (`extra`'s keys in the same order).
    fn agree<T: std::fmt::Debug>(
        text: &str,
        ours: Result<T, serde_json::Error>,
        derived: Result<T, serde_json::Error>,
    ) -> Result<(), TestCaseError> {
        match (&ours, &derived) {
            (Ok(ours), Ok(derived)) => {
                prop_assert_eq!(format!("{ours:?}"), format!("{derived:?}"), "{}", text)
            }
            (Err(_), Err(_)) => {}
            _ => prop_assert!(false, "{}: ours {:?}, derived {:?}", text, ours, derived),
        }
        Ok(())
    }

    /// Compares the readings of `text` as `$ours` and as `$derived`, from the text and from a
    /// `Value` of it.
    macro_rules! check {
        ($text:expr, $($ours:ty => $derived:ty),+ $(,)?) => {{
            let text: &str = $text;
            let value = serde_json::from_str::<Value>(text).ok();
            $(
                agree(text, serde_json::from_str::<$ours>(text), serde_json::from_str::<$derived>(text).map(<$ours>::from))?;
                if let Some(value) = &value {
                    agree(text, <$ours>::deserialize(value), <$derived>::deserialize(value).map(<$ours>::from))?;
                }
            )+
        }};
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// Whatever the keys, their order, repeats and values, the written-out readings agree
        /// with the derived ones they replace.
        #[test]
        fn the_written_out_readings_are_the_derived_ones(entries in prop::collection::vec(entry(), 0..9)) {
            check!(
                &object(&entries),
                InputText => DerivedInputText,
                OutputText => DerivedOutputText,
                Message => DerivedMessage,
                FunctionCall => DerivedFunctionCall,
                FunctionCallOutput => DerivedFunctionCallOutput,
                ReasoningItem => DerivedReasoningItem,
            );
        }
    }
}
