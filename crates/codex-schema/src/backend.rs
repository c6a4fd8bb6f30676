//! The Codex backend's SSE events, typed ([`BackendEvent`]).
//!
//! The backend dispatches on the JSON `type` field of each `data:` payload (the SSE `event:`
//! name is used only when the payload has no `type`). Every `response.*` event of the protocol
//! has a typed variant; `codex.rate_limits`, `keepalive` and `error` too. Anything else becomes
//! [`BackendEvent::Unknown`]: a new event type never fails a stream.

use std::borrow::Cow;

use bytestring::ByteString;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::items::{ContentPart, Item};
use crate::raw::RawJson;
use crate::response::{BackendUsage, Lenient, ResponseError};
use crate::tagged::{BorrowedStr, read_once, read_with_extra, tagged_enum};

/// Why a response stopped early (`incomplete_details`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct IncompleteDetails {
    /// `max_output_tokens`, `content_filter`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Fields this crate does not model, kept as they came.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The `response` object carried by `response.created`, `.in_progress`, `.completed`,
/// `.failed` and `.incomplete`.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct BackendResponse {
    /// The response id.
    pub id: String,
    /// The model that answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// `in_progress`, `completed`, `failed`, `incomplete`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The error of a failed response.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ResponseError>,
    /// Why an incomplete response stopped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incomplete_details: Option<IncompleteDetails>,
    /// Token usage. A `usage` that is not an object is read as absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<BackendUsage>,
    /// The output items (the Codex backend repeats them here; the stream's
    /// `output_item.done` events are authoritative).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub output: Vec<Item>,
    /// The response this one continues.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_response_id: Option<String>,
    /// Fields this crate does not model, kept as they came.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

// Read through `ResponseWire`, with the items read by `Item::from_json_str`.
impl<'de> Deserialize<'de> for BackendResponse {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (mut response, items) = ResponseWire::<item_text::Items>::deserialize(deserializer)?.split();
        response.output = items.0;
        Ok(response)
    }
}

/// How a [`BackendResponse`] is read, with its `output` read as `O`: the one definition of
/// its fields for reading, shared by [`BackendResponse`]'s `Deserialize` (`O` reads the
/// items) and by the mapper's reading of a final response (`O` keeps each item's text, so
/// that the items the stream already gave need not be read again).
///
/// Its `Deserialize` is written out (by `read_with_extra!`, every field defaulted) rather than
/// derived: serde's `flatten` would buffer every field the struct does not name (the backend
/// echoes the whole request configuration there: instructions, tools) in an intermediate
/// form before building `extra`.
#[derive(Default)]
pub(crate) struct ResponseWire<O> {
    id: String,
    model: Option<String>,
    status: Option<String>,
    error: Option<ResponseError>,
    incomplete_details: Option<IncompleteDetails>,
    usage: Option<Lenient<BackendUsage>>,
    output: O,
    previous_response_id: Option<String>,
    extra: Map<String, Value>,
}

read_with_extra!(ResponseWire<O>, "a response object", {
    id: default,
    model: default,
    status: default,
    error: default,
    incomplete_details: default,
    usage: default,
    output: default,
    previous_response_id: default,
});

impl<O> ResponseWire<O> {
    /// The response without its items, and its `output` as read.
    pub(crate) fn split(self) -> (BackendResponse, O) {
        let ResponseWire {
            id,
            model,
            status,
            error,
            incomplete_details,
            usage,
            output,
            previous_response_id,
            extra,
        } = self;
        let response = BackendResponse {
            id,
            model,
            status,
            error,
            incomplete_details,
            usage: usage.and_then(|usage| match usage {
                Lenient::Typed(usage) => Some(usage),
                Lenient::Other(_) => None,
            }),
            output: Vec::new(),
            previous_response_id,
            extra,
        };
        (response, output)
    }
}

/// The items of the wire events, read through [`Item::from_json_str`] (one pass over the text
/// for the usual shape, no intermediate `Value`) rather than `Item`'s general `Deserialize`.
/// The wire events are JSON: these read from JSON text and from `serde_json::Value`.
mod item_text {
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer};
    use serde_json::value::RawValue;

    use crate::items::Item;

    pub(super) fn one<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Item, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        Item::from_json_str(raw.get()).map_err(D::Error::custom)
    }

    /// A list of items.
    #[derive(Default)]
    pub(crate) struct Items(pub(crate) Vec<Item>);

    impl<'de> Deserialize<'de> for Items {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            let raws = Vec::<Box<RawValue>>::deserialize(deserializer)?;
            raws.iter()
                .map(|raw| Item::from_json_str(raw.get()).map_err(D::Error::custom))
                .collect::<Result<_, _>>()
                .map(Items)
        }
    }
}

macro_rules! event_struct {
    ($(#[$meta:meta])* $name:ident { $( $(#[$fmeta:meta])* $field:ident: $ty:ty ),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
        #[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
        #[serde(default)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
            /// The event's position in the stream, when the server numbers them.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub sequence_number: Option<u64>,
            /// Fields this crate does not model, kept as they came.
            #[serde(flatten)]
            pub extra: Map<String, Value>,
        }
    };
}

event_struct! {
    /// `response.created`, `.in_progress`, `.completed`, `.failed`, `.incomplete`.
    ResponseEvent {
        /// The response so far.
        response: BackendResponse,
    }
}

/// `response.output_item.added` and `.done`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct OutputItemEvent {
    /// The item's position in `output`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_index: Option<u64>,
    /// The item (on `.done`, complete and authoritative).
    #[serde(deserialize_with = "item_text::one")]
    pub item: Item,
    /// The event's position in the stream, when the server numbers them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence_number: Option<u64>,
    /// Fields this crate does not model, kept as they came.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

event_struct! {
    /// `response.output_text.delta` and `response.reasoning_text.delta`.
    ContentDeltaEvent {
        /// The item the text belongs to.
        #[serde(skip_serializing_if = "Option::is_none")]
        item_id: Option<String>,
        /// The item's position in `output`.
        #[serde(skip_serializing_if = "Option::is_none")]
        output_index: Option<u64>,
        /// The part's position in the item's content.
        #[serde(skip_serializing_if = "Option::is_none")]
        content_index: Option<u64>,
        /// The new text.
        delta: String,
    }
}

event_struct! {
    /// `response.output_text.done` and `response.reasoning_text.done`.
    ContentDoneEvent {
        /// The item the text belongs to.
        #[serde(skip_serializing_if = "Option::is_none")]
        item_id: Option<String>,
        /// The item's position in `output`.
        #[serde(skip_serializing_if = "Option::is_none")]
        output_index: Option<u64>,
        /// The part's position in the item's content.
        #[serde(skip_serializing_if = "Option::is_none")]
        content_index: Option<u64>,
        /// The whole text of the part.
        text: String,
    }
}

event_struct! {
    /// `response.content_part.added` and `.done`.
    ContentPartEvent {
        /// The item the part belongs to.
        #[serde(skip_serializing_if = "Option::is_none")]
        item_id: Option<String>,
        /// The item's position in `output`.
        #[serde(skip_serializing_if = "Option::is_none")]
        output_index: Option<u64>,
        /// The part's position in the item's content.
        #[serde(skip_serializing_if = "Option::is_none")]
        content_index: Option<u64>,
        /// The part.
        #[serde(skip_serializing_if = "Option::is_none")]
        part: Option<ContentPart>,
    }
}

event_struct! {
    /// `response.reasoning_summary_part.added` and `.done`.
    SummaryPartEvent {
        /// The reasoning item.
        #[serde(skip_serializing_if = "Option::is_none")]
        item_id: Option<String>,
        /// The item's position in `output`.
        #[serde(skip_serializing_if = "Option::is_none")]
        output_index: Option<u64>,
        /// The summary part's position.
        #[serde(skip_serializing_if = "Option::is_none")]
        summary_index: Option<u64>,
        /// The part.
        #[serde(skip_serializing_if = "Option::is_none")]
        part: Option<ContentPart>,
    }
}

event_struct! {
    /// `response.reasoning_summary_text.delta`.
    SummaryTextDeltaEvent {
        /// The reasoning item.
        #[serde(skip_serializing_if = "Option::is_none")]
        item_id: Option<String>,
        /// The item's position in `output`.
        #[serde(skip_serializing_if = "Option::is_none")]
        output_index: Option<u64>,
        /// The summary part's position.
        #[serde(skip_serializing_if = "Option::is_none")]
        summary_index: Option<u64>,
        /// The new text.
        delta: String,
    }
}

event_struct! {
    /// `response.reasoning_summary_text.done`.
    SummaryTextDoneEvent {
        /// The reasoning item.
        #[serde(skip_serializing_if = "Option::is_none")]
        item_id: Option<String>,
        /// The item's position in `output`.
        #[serde(skip_serializing_if = "Option::is_none")]
        output_index: Option<u64>,
        /// The summary part's position.
        #[serde(skip_serializing_if = "Option::is_none")]
        summary_index: Option<u64>,
        /// The whole text of the part.
        text: String,
    }
}

event_struct! {
    /// `response.function_call_arguments.delta`.
    ArgumentsDeltaEvent {
        /// The `function_call` item.
        #[serde(skip_serializing_if = "Option::is_none")]
        item_id: Option<String>,
        /// The item's position in `output`.
        #[serde(skip_serializing_if = "Option::is_none")]
        output_index: Option<u64>,
        /// The call id, when the server sends it here.
        #[serde(skip_serializing_if = "Option::is_none")]
        call_id: Option<String>,
        /// The new argument text.
        delta: String,
    }
}

event_struct! {
    /// `response.function_call_arguments.done`.
    ArgumentsDoneEvent {
        /// The `function_call` item.
        #[serde(skip_serializing_if = "Option::is_none")]
        item_id: Option<String>,
        /// The item's position in `output`.
        #[serde(skip_serializing_if = "Option::is_none")]
        output_index: Option<u64>,
        /// The call id, when the server sends it here.
        #[serde(skip_serializing_if = "Option::is_none")]
        call_id: Option<String>,
        /// The function's name, when the server sends it here.
        #[serde(skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// The whole argument text.
        arguments: String,
    }
}

event_struct! {
    /// `response.custom_tool_call_input.delta`.
    CustomToolInputDeltaEvent {
        /// The `custom_tool_call` item.
        #[serde(skip_serializing_if = "Option::is_none")]
        item_id: Option<String>,
        /// The call id.
        #[serde(skip_serializing_if = "Option::is_none")]
        call_id: Option<String>,
        /// The item's position in `output`.
        #[serde(skip_serializing_if = "Option::is_none")]
        output_index: Option<u64>,
        /// The new input text.
        delta: String,
    }
}

event_struct! {
    /// `response.custom_tool_call_input.done`.
    CustomToolInputDoneEvent {
        /// The `custom_tool_call` item.
        #[serde(skip_serializing_if = "Option::is_none")]
        item_id: Option<String>,
        /// The call id.
        #[serde(skip_serializing_if = "Option::is_none")]
        call_id: Option<String>,
        /// The item's position in `output`.
        #[serde(skip_serializing_if = "Option::is_none")]
        output_index: Option<u64>,
        /// The whole input text.
        input: String,
    }
}

/// One rate-limit window of a `codex.rate_limits` event.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct RateLimitWindow {
    /// Percent of the window used.
    pub used_percent: f64,
    /// The window's length in minutes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_minutes: Option<u64>,
    /// When the window resets, in Unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reset_at: Option<i64>,
    /// Fields this crate does not model, kept as they came.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The windows of a `codex.rate_limits` event.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct RateLimitWindows {
    /// The short window (typically 5 hours).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary: Option<RateLimitWindow>,
    /// The long window (typically weekly).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secondary: Option<RateLimitWindow>,
    /// Fields this crate does not model, kept as they came.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The credits of a `codex.rate_limits` event.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct Credits {
    /// Whether the account has credits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub has_credits: Option<bool>,
    /// Whether credits are unlimited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unlimited: Option<bool>,
    /// The balance, as the server wrote it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub balance: Option<Value>,
    /// Fields this crate does not model, kept as they came.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

event_struct! {
    /// `codex.rate_limits`: a usage snapshot sent inside the stream.
    RateLimitsEvent {
        /// The account's plan.
        #[serde(skip_serializing_if = "Option::is_none")]
        plan_type: Option<String>,
        /// The windows.
        #[serde(skip_serializing_if = "Option::is_none")]
        rate_limits: Option<RateLimitWindows>,
        /// Credits.
        #[serde(skip_serializing_if = "Option::is_none")]
        credits: Option<Credits>,
        /// The limit's name, for a metered family.
        #[serde(skip_serializing_if = "Option::is_none")]
        limit_name: Option<String>,
        /// The metered limit's name.
        #[serde(skip_serializing_if = "Option::is_none")]
        metered_limit_name: Option<String>,
    }
}

event_struct! {
    /// `error`: the server reports an error inside the stream.
    StreamErrorEvent {
        /// A machine-readable code.
        #[serde(skip_serializing_if = "Option::is_none")]
        code: Option<String>,
        /// The server's message.
        message: String,
        /// The offending parameter, when given.
        #[serde(skip_serializing_if = "Option::is_none")]
        param: Option<String>,
    }
}

event_struct! {
    /// `keepalive`: the connection is alive; nothing happened.
    KeepaliveEvent {}
}

tagged_enum! {
    /// One event of the Codex backend's response stream.
    #[non_exhaustive]
    pub enum BackendEvent {
        /// `response.created`.
        Created(Box<ResponseEvent>) = "response.created",
        /// `response.in_progress`.
        InProgress(Box<ResponseEvent>) = "response.in_progress",
        /// `response.queued`.
        Queued(Box<ResponseEvent>) = "response.queued",
        /// `response.output_item.added`.
        OutputItemAdded(Box<OutputItemEvent>) = "response.output_item.added",
        /// `response.output_item.done` (authoritative items).
        OutputItemDone(Box<OutputItemEvent>) = "response.output_item.done",
        /// `response.content_part.added`.
        ContentPartAdded(Box<ContentPartEvent>) = "response.content_part.added",
        /// `response.content_part.done`.
        ContentPartDone(Box<ContentPartEvent>) = "response.content_part.done",
        /// `response.output_text.delta`.
        OutputTextDelta(ContentDeltaEvent) = "response.output_text.delta",
        /// `response.output_text.done`.
        OutputTextDone(ContentDoneEvent) = "response.output_text.done",
        /// `response.reasoning_summary_part.added`.
        ReasoningSummaryPartAdded(Box<SummaryPartEvent>) = "response.reasoning_summary_part.added",
        /// `response.reasoning_summary_part.done`.
        ReasoningSummaryPartDone(Box<SummaryPartEvent>) = "response.reasoning_summary_part.done",
        /// `response.reasoning_summary_text.delta`.
        ReasoningSummaryTextDelta(SummaryTextDeltaEvent) = "response.reasoning_summary_text.delta",
        /// `response.reasoning_summary_text.done`.
        ReasoningSummaryTextDone(SummaryTextDoneEvent) = "response.reasoning_summary_text.done",
        /// `response.reasoning_text.delta`.
        ReasoningTextDelta(ContentDeltaEvent) = "response.reasoning_text.delta",
        /// `response.reasoning_text.done`.
        ReasoningTextDone(ContentDoneEvent) = "response.reasoning_text.done",
        /// `response.function_call_arguments.delta`.
        FunctionCallArgumentsDelta(ArgumentsDeltaEvent) = "response.function_call_arguments.delta",
        /// `response.function_call_arguments.done`.
        FunctionCallArgumentsDone(ArgumentsDoneEvent) = "response.function_call_arguments.done",
        /// `response.custom_tool_call_input.delta`.
        CustomToolCallInputDelta(CustomToolInputDeltaEvent) = "response.custom_tool_call_input.delta",
        /// `response.custom_tool_call_input.done`.
        CustomToolCallInputDone(CustomToolInputDoneEvent) = "response.custom_tool_call_input.done",
        /// `response.completed`.
        Completed(Box<ResponseEvent>) = "response.completed",
        /// `response.failed`.
        Failed(Box<ResponseEvent>) = "response.failed",
        /// `response.incomplete`.
        Incomplete(Box<ResponseEvent>) = "response.incomplete",
        /// `codex.rate_limits`.
        RateLimits(Box<RateLimitsEvent>) = "codex.rate_limits",
        /// `keepalive`.
        Keepalive(KeepaliveEvent) = "keepalive",
        /// `error`.
        Error(StreamErrorEvent) = "error",
        @unknown
        /// Any other event, kept whole. Also used for a known type whose payload does not fit.
        Unknown {
            /// The event's `type` (or SSE event name); empty when it had none.
            event_type: String,
            /// The payload as received.
            raw: Value,
        }
    }
}

/// A `data:` payload that is not a JSON value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the backend sent an SSE event whose data is not JSON ({reason}); the event was skipped")]
pub struct NotJsonError {
    /// The JSON parser's complaint.
    pub reason: String,
}

impl BackendEvent {
    const DEFAULT_TAG: Option<&'static str> = None;

    fn from_unknown(tag: Option<String>, raw: Value) -> Self {
        BackendEvent::Unknown { event_type: tag.unwrap_or_default(), raw }
    }

    fn unknown_raw(&self) -> &Value {
        match self {
            BackendEvent::Unknown { raw, .. } => raw,
            _ => &Value::Null,
        }
    }

    /// Decodes one SSE frame: its `event:` name (if any) and its `data:` text.
    ///
    /// The JSON `type` wins over the SSE event name; an empty payload with an event name (such
    /// as a bare `event: keepalive`) is read as `{"type": name}`.
    ///
    /// ```
    /// use codex_schema::BackendEvent;
    /// let event = BackendEvent::parse(None, r#"{"type":"response.output_text.delta","delta":"Hi"}"#).unwrap();
    /// assert!(matches!(event, BackendEvent::OutputTextDelta(ref d) if d.delta == "Hi"));
    /// let later = BackendEvent::parse(None, r#"{"type":"response.new_thing","x":1}"#).unwrap();
    /// assert_eq!(later.type_name(), Some("response.new_thing"));
    /// ```
    pub fn parse(event_name: Option<&str>, data: &str) -> Result<BackendEvent, NotJsonError> {
        if let Some(event) = Self::from_type_first_str(data) {
            return Ok(event);
        }
        Self::parse_value(event_name, data).map(|(value, _)| Self::from_json(value))
    }

    /// [`parse`](Self::parse), also keeping the payload as [`RawJson`] (what
    /// [`EventMapper::map_with_raw_into`](crate::EventMapper::map_with_raw_into) puts in each
    /// stream event's `raw`).
    ///
    /// The raw JSON is `data` itself, shared rather than copied (pass a [`ByteString`], such as an
    /// SSE frame's data, or a `String`, to copy nothing at all); only when the payload had no
    /// `type` and the frame had an event name is it rewritten to carry that name as its `type`.
    ///
    /// ```
    /// use codex_schema::BackendEvent;
    /// let data = r#"{"type":"response.output_text.delta","delta":"Hi","obfuscation":"x1"}"#;
    /// let (event, raw) = BackendEvent::parse_with_raw(None, data).unwrap();
    /// assert!(matches!(event, BackendEvent::OutputTextDelta(ref d) if d.delta == "Hi"));
    /// assert_eq!(raw.as_str(), data);
    /// let (_, raw) = BackendEvent::parse_with_raw(Some("keepalive"), "").unwrap();
    /// assert_eq!(raw.as_str(), r#"{"type":"keepalive"}"#);
    /// ```
    pub fn parse_with_raw(
        event_name: Option<&str>,
        data: impl Into<ByteString>,
    ) -> Result<(BackendEvent, RawJson), NotJsonError> {
        let data: ByteString = data.into();
        if let Some(event) = Self::from_type_first_str(&data) {
            return Ok((event, RawJson::from_parsed(data)));
        }
        let (value, rewritten) = Self::parse_value(event_name, &data)?;
        let raw = if rewritten { RawJson::from_value(&value) } else { RawJson::from_parsed(data) };
        Ok((Self::from_json(value), raw))
    }

    /// The general path: the payload as a [`Value`], with the event name as its `type` when it
    /// has none (then `true`: the value is not the text as received).
    fn parse_value(event_name: Option<&str>, data: &str) -> Result<(Value, bool), NotJsonError> {
        let name = event_name.filter(|n| !n.is_empty());
        if data.trim().is_empty() {
            let mut map = Map::new();
            map.insert("type".to_owned(), Value::String(name.unwrap_or_default().to_owned()));
            return Ok((Value::Object(map), true));
        }
        let mut value: Value =
            serde_json::from_str(data).map_err(|e| NotJsonError { reason: e.to_string() })?;
        if let (Value::Object(map), Some(name)) = (&mut value, name)
            && !map.contains_key("type")
        {
            let mut with_type = Map::with_capacity(map.len() + 1);
            with_type.insert("type".to_owned(), Value::String(name.to_owned()));
            with_type.append(map);
            *map = with_type;
            return Ok((value, true));
        }
        Ok((value, false))
    }

    /// `true` for the events that end a response (`completed`, `failed`, `incomplete`).
    pub fn is_terminal(&self) -> bool {
        matches!(self, BackendEvent::Completed(_) | BackendEvent::Failed(_) | BackendEvent::Incomplete(_))
    }
}

/// The `type` of a payload that starts exactly `{"type":"…"` (the backend's compact form), read
/// without parsing; `None` for any other layout, or a tag of 64 bytes or more or with escapes.
pub(crate) fn leading_type(data: &str) -> Option<&str> {
    let rest = data.strip_prefix(r#"{"type":""#)?;
    let head = &rest.as_bytes()[..rest.len().min(64)];
    let end = head.iter().position(|&b| b == b'"' || b == b'\\')?;
    (head[end] == b'"').then(|| &rest[..end])
}

/// Whether `data` starts exactly `{"type":"response.output_text.delta"` or
/// `{"type":"response.function_call_arguments.delta"` (the backend's compact form), so that
/// [`DeltaRef::parse`] may read it.
pub(crate) fn is_delta(data: &str) -> bool {
    let Some(rest) = data.strip_prefix(r#"{"type":""#) else { return false };
    [TEXT_DELTA, ARGUMENTS_DELTA]
        .iter()
        .any(|tag| rest.strip_prefix(tag).is_some_and(|after| after.starts_with('"')))
}

/// A text or argument delta read in place from its payload: the streaming hot path, which
/// allocates nothing but a delta with escapes.
///
/// It reads exactly what [`BackendEvent::parse`] reads into [`ContentDeltaEvent`] (for
/// `response.output_text.delta`) or [`ArgumentsDeltaEvent`] (for
/// `response.function_call_arguments.delta`), without the fields the mapper does not use.
/// Whatever it cannot read the same way (another type, a repeated or mistyped field) is
/// `None`, and the caller takes the general path. The other delta's fields are read too, and
/// unused: the typed event keeps them among its unmodelled fields, which the mapper ignores.
#[derive(Debug, PartialEq)]
pub(crate) enum DeltaRef<'a> {
    /// `response.output_text.delta`.
    Text {
        /// The item the text belongs to.
        item_id: Option<Cow<'a, str>>,
        /// The new text.
        delta: Cow<'a, str>,
    },
    /// `response.function_call_arguments.delta`.
    Arguments {
        /// The `function_call` item.
        item_id: Option<Cow<'a, str>>,
        /// The call id, when the server sends it here.
        call_id: Option<Cow<'a, str>>,
        /// The new argument text.
        delta: Cow<'a, str>,
    },
}

/// `response.output_text.delta`.
pub(crate) const TEXT_DELTA: &str = "response.output_text.delta";

/// `response.function_call_arguments.delta`.
pub(crate) const ARGUMENTS_DELTA: &str = "response.function_call_arguments.delta";

impl<'a> DeltaRef<'a> {
    /// Reads `data`, a payload whose `type` is [`TEXT_DELTA`] or [`ARGUMENTS_DELTA`] (see the
    /// type's documentation).
    #[inline]
    pub(crate) fn parse(data: &'a str) -> Option<Self> {
        /// The fields of both deltas, borrowed; others are skipped. Each is typed as the typed
        /// events type it, so what reads here reads there.
        #[derive(Deserialize)]
        struct Fields<'a> {
            #[serde(rename = "type", borrow)]
            kind: Cow<'a, str>,
            #[serde(borrow, default)]
            item_id: Option<BorrowedStr<'a>>,
            #[serde(default, rename = "output_index")]
            _output_index: Option<u64>,
            #[serde(default, rename = "content_index")]
            _content_index: Option<u64>,
            #[serde(borrow, default)]
            call_id: Option<BorrowedStr<'a>>,
            #[serde(borrow, default)]
            delta: Cow<'a, str>,
            #[serde(default, rename = "sequence_number")]
            _sequence_number: Option<u64>,
        }

        let Fields { kind, item_id, call_id, delta, .. } = serde_json::from_str(data).ok()?;
        let (item_id, call_id) = (item_id.map(|s| s.0), call_id.map(|s| s.0));
        match &*kind {
            TEXT_DELTA => Some(DeltaRef::Text { item_id, delta }),
            ARGUMENTS_DELTA => Some(DeltaRef::Arguments { item_id, call_id, delta }),
            _ => None,
        }
    }
}

/// The `type`s whose payload carries the response so far, of which the mapper reads only the id.
pub(crate) const STARTED: [&str; 3] = ["response.created", "response.in_progress", "response.queued"];

/// Whether `data`, a JSON object, has a second top-level `type` key (escaped or not); an
/// error when it is not JSON. The general path reads such a payload by its last `type`, so a
/// reader that goes by the first must hand it over.
pub(crate) fn type_repeats(data: &str) -> Result<bool, serde_json::Error> {
    use serde::de::{IgnoredAny, MapAccess, Visitor};

    use crate::tagged::StrSeed;

    struct Keys;

    impl<'de> Visitor<'de> for Keys {
        type Value = bool;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
            let mut types = 0;
            while let Some(key) = map.next_key_seed(StrSeed)? {
                types += usize::from(key == "type");
                map.next_value::<IgnoredAny>()?;
            }
            Ok(types > 1)
        }
    }

    let mut deserializer = serde_json::Deserializer::from_str(data);
    let repeats = serde::Deserializer::deserialize_map(&mut deserializer, Keys)?;
    deserializer.end()?;
    Ok(repeats)
}

/// The `response.id` of a [`STARTED`] payload (empty when absent), read without building the
/// response: the backend echoes the request's whole configuration in these events
/// (instructions, tools), which the mapper never reads.
///
/// `None` hands the payload to the general path: for anything but the shape the typed
/// [`ResponseEvent`] accepts (the tag first, every known field of the type it has there, no
/// known field twice). Fields the mapper does not read are only checked for being JSON, so a
/// number too large for a `Value` in one of them is read here where the typed event refuses
/// it, as [`DeltaRef`] does.
pub(crate) fn started_response_id(data: &str) -> Option<Cow<'_, str>> {
    use serde::de::{DeserializeSeed, Error as _, IgnoredAny, MapAccess, Visitor};

    use crate::tagged::StrSeed;

    /// A JSON string, read and dropped.
    struct AnyStr;

    impl<'de> Deserialize<'de> for AnyStr {
        fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            StrSeed.deserialize(deserializer).map(|_| AnyStr)
        }
    }

    /// Marks a known field as seen; a second one sends the payload to the general path.
    fn first<E: serde::de::Error>(seen: &mut bool) -> Result<(), E> {
        if std::mem::replace(seen, true) { Err(E::custom("a field appears twice")) } else { Ok(()) }
    }

    /// The `response` object: its id, with every field the typed response reads checked.
    struct ResponseSeed;

    impl<'de> DeserializeSeed<'de> for ResponseSeed {
        type Value = Cow<'de, str>;

        fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
            deserializer.deserialize_map(self)
        }
    }

    impl<'de> Visitor<'de> for ResponseSeed {
        type Value = Cow<'de, str>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a response object")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut id = None;
            let mut seen = [false; 7];
            while let Some(key) = map.next_key_seed(StrSeed)? {
                let index = match &*key {
                    "id" => 0,
                    "model" => 1,
                    "status" => 2,
                    "previous_response_id" => 3,
                    "error" => 4,
                    "incomplete_details" => 5,
                    "output" => 6,
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                        continue;
                    }
                };
                first(&mut seen[index])?;
                match index {
                    0 => id = Some(map.next_value_seed(StrSeed)?),
                    1..=3 => {
                        map.next_value::<Option<AnyStr>>()?;
                    }
                    4 => {
                        map.next_value::<Option<ResponseError>>()?;
                    }
                    5 => {
                        map.next_value::<Option<IncompleteDetails>>()?;
                    }
                    _ => {
                        map.next_value::<Vec<IgnoredAny>>()?;
                    }
                }
            }
            Ok(id.unwrap_or_default())
        }
    }

    /// The whole payload: the tag, then `response`, `sequence_number` and anything else.
    struct Payload;

    impl<'de> Visitor<'de> for Payload {
        type Value = Cow<'de, str>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an event object")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            match map.next_key_seed(StrSeed)? {
                Some(key) if key == "type" => {}
                _ => return Err(A::Error::custom("the tag is not first")),
            }
            let tag = map.next_value_seed(StrSeed)?;
            if !STARTED.contains(&&*tag) {
                return Err(A::Error::custom("another type"));
            }
            let (mut id, mut seen_response, mut seen_sequence) = (None, false, false);
            while let Some(key) = map.next_key_seed(StrSeed)? {
                match &*key {
                    "type" => return Err(A::Error::custom("`type` appears twice")),
                    "response" => {
                        first(&mut seen_response)?;
                        id = Some(map.next_value_seed(ResponseSeed)?);
                    }
                    "sequence_number" => {
                        first(&mut seen_sequence)?;
                        map.next_value::<Option<u64>>()?;
                    }
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(id.unwrap_or_default())
        }
    }

    let mut deserializer = serde_json::Deserializer::from_str(data);
    let id = serde::Deserializer::deserialize_map(&mut deserializer, Payload).ok()?;
    deserializer.end().ok()?;
    Some(id)
}

/// `response.output_item.added`.
pub(crate) const OUTPUT_ITEM_ADDED: &str = "response.output_item.added";
/// `response.output_item.done`.
pub(crate) const OUTPUT_ITEM_DONE: &str = "response.output_item.done";
/// The `type`s that end a response.
pub(crate) const TERMINAL: [&str; 3] = ["response.completed", "response.incomplete", "response.failed"];

/// An `output_item.added` or `.done` payload (read by
/// [`parse_tagged_rest`](crate::tagged::parse_tagged_rest)) with its item left as text: the
/// known fields of [`OutputItemEvent`], typed as it types them, so that what reads here reads
/// there; other fields are skipped (the typed event keeps them as unmodelled fields, which the
/// mapper ignores).
#[derive(Deserialize)]
pub(crate) struct ItemEventRef<'a> {
    #[serde(default, rename = "output_index")]
    _output_index: Option<u64>,
    /// The item, as received.
    #[serde(borrow)]
    pub(crate) item: &'a RawValue,
    #[serde(default, rename = "sequence_number")]
    _sequence_number: Option<u64>,
}

/// `response.function_call_arguments.done`.
pub(crate) const ARGUMENTS_DONE: &str = "response.function_call_arguments.done";

/// A `response.function_call_arguments.done` payload (read by
/// [`parse_tagged_rest`](crate::tagged::parse_tagged_rest)): the known fields of
/// [`ArgumentsDoneEvent`], typed as it types them and, as there, each one defaulted; other
/// fields are skipped (the typed event keeps them as unmodelled fields, which the mapper
/// ignores).
#[derive(Deserialize)]
pub(crate) struct ArgumentsDoneRef<'a> {
    /// The `function_call` item.
    #[serde(borrow, default)]
    pub(crate) item_id: Option<BorrowedStr<'a>>,
    #[serde(default, rename = "output_index")]
    _output_index: Option<u64>,
    /// The call id, when the server sends it here.
    #[serde(borrow, default)]
    pub(crate) call_id: Option<BorrowedStr<'a>>,
    /// The function's name, when the server sends it here.
    #[serde(borrow, default)]
    pub(crate) name: Option<BorrowedStr<'a>>,
    /// The whole argument text.
    #[serde(borrow, default)]
    pub(crate) arguments: Cow<'a, str>,
    #[serde(default, rename = "sequence_number")]
    _sequence_number: Option<u64>,
}

/// A terminal payload (`response.completed`, `.incomplete`, `.failed`; read by
/// [`parse_tagged_rest`](crate::tagged::parse_tagged_rest)) with the response's items left as
/// text: [`ResponseEvent`]'s known fields, typed as it types them; other fields are skipped.
/// It reads as the derive with `#[serde(default)]` does (a field given twice is an error), and
/// also notes where the response's text lies in the payload, which [`response_text`] finds
/// from it without reading the payload again.
#[derive(Default)]
pub(crate) struct TerminalRef<'a> {
    /// The final response, its `output` as the text of each item.
    pub(crate) response: ResponseWire<Vec<&'a RawValue>>,
    /// The `response` key, when it is a slice of the payload (written without escapes).
    response_key: Option<&'a str>,
    /// What follows the response's value.
    after: After<'a>,
}

/// What follows a value in an object: another key, the end of the object, or a key that is
/// not a slice of the text (it had escapes), which says nothing of where the value ends.
#[derive(Default, Clone, Copy)]
enum After<'a> {
    Key(&'a str),
    End,
    #[default]
    Unknown,
}

impl<'de> Deserialize<'de> for TerminalRef<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::{IgnoredAny, MapAccess, Visitor};

        use crate::tagged::StrSeed;

        struct Payload;

        impl<'de> Visitor<'de> for Payload {
            type Value = TerminalRef<'de>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a terminal event")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut terminal = TerminalRef::default();
                let (mut response, mut sequence_number) = (None, None::<Option<u64>>);
                let mut after_response = false;
                while let Some(key) = map.next_key_seed(StrSeed)? {
                    if std::mem::take(&mut after_response) {
                        terminal.after = match key {
                            Cow::Borrowed(key) => After::Key(key),
                            Cow::Owned(_) => After::Unknown,
                        };
                    }
                    match &*key {
                        "response" => {
                            read_once(&mut map, &mut response, "response")?;
                            terminal.response_key = match key {
                                Cow::Borrowed(key) => Some(key),
                                Cow::Owned(_) => None,
                            };
                            after_response = true;
                        }
                        "sequence_number" => read_once(&mut map, &mut sequence_number, "sequence_number")?,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                if after_response {
                    terminal.after = After::End;
                }
                terminal.response = response.unwrap_or_default();
                Ok(terminal)
            }
        }

        deserializer.deserialize_map(Payload)
    }
}

/// The text of the response object in `data`, a terminal payload `terminal` was read from
/// whole, found from where its `response` key and what follows the value lie: between a key's
/// closing quote and its value, and between a value and the `,` or `}` after it, JSON allows
/// only whitespace. `None` when the response is not an object or a key was not a slice of
/// `data`; the caller then reads the text with a parser.
pub(crate) fn response_text<'a>(data: &'a str, terminal: &TerminalRef<'a>) -> Option<&'a str> {
    const WHITESPACE: &[char] = &[' ', '\t', '\n', '\r'];
    let offset = |part: &str| {
        let at = (part.as_ptr() as usize).checked_sub(data.as_ptr() as usize)?;
        (at + part.len() <= data.len()).then_some(at)
    };
    let key = terminal.response_key?;
    // `response` `"` whitespace `:` whitespace `{`
    let value = data[offset(key)? + key.len()..]
        .strip_prefix('"')?
        .trim_start_matches(WHITESPACE)
        .strip_prefix(':')?
        .trim_start_matches(WHITESPACE);
    let start = data.len() - value.len();
    // `}` whitespace, then `,` whitespace `"` and the next key, or the object's `}`.
    let before_end = match terminal.after {
        After::Key(next) => {
            data[..offset(next)?].strip_suffix('"')?.trim_end_matches(WHITESPACE).strip_suffix(',')?
        }
        After::End => data.trim_end_matches(WHITESPACE).strip_suffix('}')?,
        After::Unknown => return None,
    };
    let end = before_end.trim_end_matches(WHITESPACE).len();
    let text = data.get(start..end)?;
    (text.starts_with('{') && text.ends_with('}')).then_some(text)
}

/// Whether `item`, an item's JSON text, may be a tool call ([`Item::FunctionCall`] or a custom
/// tool's `custom_tool_call`): whether it is not an object or any of its `type` keys may hold
/// `"function_call"` or `"custom_tool_call"`.
pub(crate) fn may_be_tool_call(item: &str) -> bool {
    use serde::de::{Error as _, IgnoredAny, MapAccess, Visitor};

    use crate::tagged::StrSeed;

    /// The item's keys: an error when a `type` may be `function_call` or `custom_tool_call`.
    struct Types;

    impl<'de> Visitor<'de> for Types {
        type Value = ();

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an item object")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while let Some(key) = map.next_key_seed(StrSeed)? {
                if key != "type" {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
                // A string with escapes may spell either too.
                let value = map.next_value::<&RawValue>()?.get();
                let call = value == r#""function_call""# || value == r#""custom_tool_call""#;
                if call || (value.starts_with('"') && value.contains('\\')) {
                    return Err(A::Error::custom("may be a tool call"));
                }
            }
            Ok(())
        }
    }

    let mut deserializer = serde_json::Deserializer::from_str(item);
    serde::Deserializer::deserialize_map(&mut deserializer, Types).is_err()
}

#[cfg(test)]
mod wire_tests {
    use proptest::prelude::*;
    use serde::Deserialize;
    use serde_json::{Map, Value};

    use super::{IncompleteDetails, ResponseWire};
    use crate::response::{BackendUsage, Lenient, ResponseError};

    /// What `ResponseWire`'s written-out `Deserialize` replaces: the derive, with `flatten`.
    #[derive(Default, Deserialize)]
    #[serde(default)]
    struct Derived {
        id: String,
        model: Option<String>,
        status: Option<String>,
        error: Option<ResponseError>,
        incomplete_details: Option<IncompleteDetails>,
        usage: Option<Lenient<BackendUsage>>,
        output: Vec<Value>,
        previous_response_id: Option<String>,
        #[serde(flatten)]
        extra: Map<String, Value>,
    }

    impl Derived {
        fn into_wire(self) -> ResponseWire<Vec<Value>> {
            let Derived {
                id,
                model,
                status,
                error,
                incomplete_details,
                usage,
                output,
                previous_response_id,
                extra,
            } = self;
            ResponseWire {
                id,
                model,
                status,
                error,
                incomplete_details,
                usage,
                output,
                previous_response_id,
                extra,
            }
        }
    }

    /// A response's JSON text with these entries, in this order, repeated keys and all.
    fn object(entries: &[(String, String)]) -> String {
        let fields: Vec<String> =
            entries.iter().map(|(key, value)| format!("{}:{value}", Value::from(key.as_str()))).collect();
        format!("{{{}}}", fields.join(","))
    }

    fn entry() -> impl Strategy<Value = (String, String)> {
        let key = prop::sample::select(vec![
            "id",
            "model",
            "status",
            "error",
            "incomplete_details",
            "usage",
            "output",
            "previous_response_id",
            "object",
            "created_at",
            "instructions",
            "tools",
            "o\\u0075tput",
        ]);
        let value = prop::sample::select(vec![
            "null",
            "\"resp_1\"",
            "\"\"",
            "\"caf\\u00e9\"",
            "7",
            "-1",
            "1.5",
            "true",
            "[]",
            "[{\"type\":\"message\",\"role\":\"assistant\",\"content\":[]}]",
            "{}",
            "{\"code\":\"server_error\",\"message\":\"down\"}",
            "{\"reason\":\"max_output_tokens\"}",
            "{\"input_tokens\":3,\"output_tokens\":4,\"total_tokens\":7}",
            "{\"input_tokens\":\"x\"}",
            "{\"a\":[1,{\"b\":null}],\"c\":\"d\"}",
        ]);
        (key, value).prop_map(|(key, value)| (key.to_owned(), value.to_owned()))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        /// Whatever the keys, their order, repeats and values, the written-out reading and the
        /// derived one it replaces agree: both fail, or both give the same fields.
        #[test]
        fn the_written_out_reading_is_the_derived_one(entries in prop::collection::vec(entry(), 0..12)) {
            let text = object(&entries);
            let ours = serde_json::from_str::<ResponseWire<Vec<Value>>>(&text);
            let derived = serde_json::from_str::<Derived>(&text).map(Derived::into_wire);
            match (ours, derived) {
                (Ok(ours), Ok(derived)) => {
                    let (ours, ours_output) = ours.split();
                    let (derived, derived_output) = derived.split();
                    prop_assert_eq!(&ours, &derived, "{}", text);
                    prop_assert_eq!(
                        ours.extra.keys().collect::<Vec<_>>(),
                        derived.extra.keys().collect::<Vec<_>>(),
                        "{}", text
                    );
                    prop_assert_eq!(ours_output, derived_output, "{}", text);
                }
                (Err(_), Err(_)) => {}
                (ours, derived) => prop_assert!(
                    false,
                    "{}: ours {:?}, derived {:?}",
                    text,
                    ours.map(|_| ()),
                    derived.map(|_| ())
                ),
            }
        }
    }
}

#[cfg(test)]
mod terminal_tests {
    use proptest::prelude::*;
    use serde::Deserialize;
    use serde_json::value::RawValue;

    use super::{ResponseWire, TerminalRef, response_text};
    use crate::tagged::parse_tagged_rest;

    /// What `TerminalRef`'s written-out `Deserialize` replaces.
    #[derive(Default, Deserialize)]
    #[serde(default)]
    struct Derived<'a> {
        #[serde(borrow)]
        response: ResponseWire<Vec<&'a RawValue>>,
        #[serde(rename = "sequence_number")]
        _sequence_number: Option<u64>,
    }

    /// The response's text as a parser finds it.
    #[derive(Deserialize)]
    struct Oracle<'a> {
        #[serde(borrow)]
        response: &'a RawValue,
    }

    /// JSON whitespace, or none.
    fn gap() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec!["", "", "", " ", "\n", " \t\r\n "])
    }

    /// A member after the `type`: the response (objects of several shapes, sometimes not an
    /// object), the sequence number (sometimes not a number), or another field; keys
    /// sometimes escaped.
    fn member() -> impl Strategy<Value = (&'static str, &'static str)> {
        let response = prop::sample::select(vec![
            "{}",
            "{\"id\":\"resp_1\",\"output\":[]}",
            "{ \"id\" : \"resp_}\\\"{\" , \"output\" : [ {\"type\":\"message\"} ] , \"usage\" : {\"input_tokens\":1} }",
            "{\"i\\u0064\":\"r\",\"nested\":{\"a\":[1,{\"b\":\"}\"}]}}",
            "null",
            "7",
        ]);
        let number = prop::sample::select(vec!["0", "42", "null", "\"7\""]);
        let other = prop::sample::select(vec!["\"msg_1\"", "{\"a\":\"}\"}", "[]", "null"]);
        prop_oneof![
            4 => (prop::sample::select(vec!["response", "response", "response", "r\\u0065sponse"]), response),
            2 => (prop::sample::select(vec!["sequence_number", "sequence\\u005fnumber"]), number),
            2 => (prop::sample::select(vec!["item_id", "x\\u0041"]), other),
        ]
    }

    fn payload() -> impl Strategy<Value = String> {
        let members = prop::collection::vec((member(), gap(), gap(), gap(), gap()), 0..4);
        (members, gap(), gap()).prop_map(|(members, open, close)| {
            let mut text = format!("{{{open}\"type\"{open}:{close}\"response.completed\"");
            for ((key, value), a, b, c, d) in members {
                text.push_str(&format!("{a},{b}\"{key}\"{c}:{d}{value}"));
            }
            text.push_str(&format!("{close}}}{open}"));
            text
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// The written-out reading accepts what the derive accepts, and reads the same
        /// response; the text it locates is exactly the one a parser finds, and it locates it
        /// whenever the response is an object written without escapes in its key or the key
        /// after it.
        #[test]
        fn the_response_text_is_found_where_a_parser_finds_it(text in payload()) {
            let ours = parse_tagged_rest::<TerminalRef<'_>>(&text, "response.completed");
            let derived = parse_tagged_rest::<Derived<'_>>(&text, "response.completed");
            prop_assert_eq!(ours.is_some(), derived.is_some(), "{}", text);
            let (Some(ours), Some(derived)) = (ours, derived) else { return Ok(()) };
            let found = response_text(&text, &ours);
            let (response, items) = ours.response.split();
            let (derived_response, derived_items) = derived.response.split();
            prop_assert_eq!(&response, &derived_response, "{}", text);
            prop_assert_eq!(
                items.iter().map(|i| i.get()).collect::<Vec<_>>(),
                derived_items.iter().map(|i| i.get()).collect::<Vec<_>>()
            );
            let oracle = serde_json::from_str::<Oracle<'_>>(&text).ok().map(|o| o.response.get());
            if let Some(found) = found {
                let oracle = oracle.expect("a response was found, so there is one");
                prop_assert_eq!(found, oracle, "{}", text);
                prop_assert_eq!(found.as_ptr(), oracle.as_ptr(), "{}", text);
            }
            let plain = !text.contains("\\u0065sponse") && !text.contains("\\u005f") && !text.contains("x\\u0041");
            if plain && oracle.is_some_and(|o| o.starts_with('{')) {
                prop_assert!(found.is_some(), "not found: {}", text);
            }
        }
    }
}
