//! Stream events v1 ([`StreamEvent`]), the [`EventMapper`] that makes them from backend events,
//! and the [`ResponseAccumulator`] that folds them into a [`Response`].
//!
//! One path, two endings: a streaming call hands the caller the v1 events as they come; a
//! non-streaming call feeds the very same events into the accumulator. The two can never
//! disagree. The schema is documented in `docs/stream_event_schema_v1.md`.
//!
//! A [`StreamEvent`]'s identifiers (`response_id`, `call_id`, `name`) are shared strings
//! (`Arc<str>`): every event of a response points at one `response_id`, so making an event
//! never copies it. Read them as `&str` with `as_deref()`. A `delta` is a [`ByteString`] (a
//! shared UTF-8 string, re-exported by this crate), most often pointing into the SSE chunk it
//! arrived in: streaming a text costs no copy of it until the caller makes one. It derefs to
//! `str`, and `String::from` makes it a `String`.
//!
//! The `response_completed` an [`EventMapper`] makes also carries, in `response` (a Rust-side
//! field: never serialized, left out of comparisons), the backend's final response already
//! parsed, and in `response_raw` (the same kind of field) that response's text within `raw`,
//! so neither the [`ResponseAccumulator`] nor a caller reads the largest event of the stream a
//! second time.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::Arc;

use bytestring::ByteString;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::backend::{
    ARGUMENTS_DONE, ArgumentsDoneRef, BackendEvent, BackendResponse, DeltaRef, ItemEventRef, NotJsonError,
    OUTPUT_ITEM_ADDED, OUTPUT_ITEM_DONE, STARTED, TERMINAL, TerminalRef, is_delta, leading_type,
    may_be_tool_call, response_text, started_response_id, type_repeats,
};
use crate::items::{ContentPart, Item, Message, MessageContent, Role};
use crate::raw::RawJson;
use crate::response::{FinishReason, Response, ResponseError, ToolCall, Usage};
use crate::tagged::{BorrowedStr, parse_tagged_rest};

/// The version of the stream event schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub enum SchemaVersion {
    /// `"v1"`.
    #[default]
    #[serde(rename = "v1")]
    V1,
}

/// The kinds of stream event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum StreamEventType {
    /// The response exists; always the first event. Carries `response_id`.
    ResponseStarted,
    /// Answer text. Carries `delta`.
    TextDelta,
    /// Reasoning summary text. Carries `delta`.
    ReasoningDelta,
    /// A reasoning item is complete (once per reasoning item).
    ReasoningDone,
    /// The model began a tool call (once per call). Carries `call_id`, `name`.
    ToolCallStarted,
    /// More argument text of a tool call. Carries `call_id`, `name`, `delta`.
    ToolCallArgumentsDelta,
    /// A tool call is complete (once per call). Carries `call_id`, `name`, `tool_call`.
    ToolCallDone,
    /// Token counts. Carries `usage`.
    Usage,
    /// The response ended; always the last event. Carries `finish_reason`.
    ResponseCompleted,
    /// The server reported an error. Carries `error`.
    Error,
}

/// One event of a response stream, schema v1.
///
/// Serialized JSON uses exactly these field names; fields a type does not carry are omitted.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct StreamEvent {
    /// Always `"v1"`.
    #[serde(default)]
    pub schema_version: SchemaVersion,
    /// What happened.
    #[serde(rename = "type")]
    pub kind: StreamEventType,
    /// The response this event belongs to, once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_id: Option<Arc<str>>,
    /// New text (`text_delta`, `reasoning_delta`, `tool_call_arguments_delta`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "json-schema", schemars(with = "Option<String>"))]
    pub delta: Option<ByteString>,
    /// The tool call's id (`tool_call_*`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_id: Option<Arc<str>>,
    /// The tool's name (`tool_call_*`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Arc<str>>,
    /// The complete tool call (`tool_call_done`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call: Option<Box<ToolCall>>,
    /// Token counts (`usage`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// Why the model stopped (`response_completed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<FinishReason>,
    /// The error (`error`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Box<ResponseError>>,
    /// The backend event this came from, as JSON (absent when the mapper is told not to keep it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<RawJson>,
    /// On the `response_completed` an [`EventMapper`] makes from a backend response: that
    /// response, parsed, with the stream's items as its `output`.
    #[serde(skip)]
    pub response: Option<Arc<BackendResponse>>,
    /// With `response`: that response's JSON text, a part of `raw` (what
    /// [`Response::raw`] holds), found while the event was read.
    #[serde(skip)]
    pub response_raw: Option<RawJson>,
}

impl StreamEvent {
    /// An event of the given kind with no fields set.
    pub fn new(kind: StreamEventType) -> Self {
        StreamEvent {
            schema_version: SchemaVersion::V1,
            kind,
            response_id: None,
            delta: None,
            call_id: None,
            name: None,
            tool_call: None,
            usage: None,
            finish_reason: None,
            error: None,
            raw: None,
            response: None,
            response_raw: None,
        }
    }
}

/// Compares what an event says: `response` is `raw`'s response already parsed and
/// `response_raw` its text; both are left out, so an event equals itself read back from its
/// JSON.
impl PartialEq for StreamEvent {
    fn eq(&self, other: &Self) -> bool {
        let StreamEvent {
            schema_version,
            kind,
            response_id,
            delta,
            call_id,
            name,
            tool_call,
            usage,
            finish_reason,
            error,
            raw,
            response: _,
            response_raw: _,
        } = self;
        *schema_version == other.schema_version
            && *kind == other.kind
            && *response_id == other.response_id
            && *delta == other.delta
            && *call_id == other.call_id
            && *name == other.name
            && *tool_call == other.tool_call
            && *usage == other.usage
            && *finish_reason == other.finish_reason
            && *error == other.error
            && *raw == other.raw
    }
}

/// The stream ended before the response did.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the response stream closed before `response.completed`; the answer is incomplete (retry the request)"
)]
pub struct StreamClosedEarly;

#[derive(Debug, Default)]
struct CallState {
    item_id: Option<Arc<str>>,
    call_id: Option<Arc<str>>,
    name: Option<Arc<str>>,
    arguments: String,
    /// A custom tool's call (`custom_tool_call`): `arguments` is its free-form input.
    custom: bool,
    started: bool,
    done: bool,
}

impl CallState {
    fn id(&self) -> Option<Arc<str>> {
        self.call_id.clone().or_else(|| self.item_id.clone())
    }
}

/// A tool call item: a `function_call`, or a custom tool's `custom_tool_call` (an
/// [`Item::Unknown`] to the item types), whose `input` is its argument text.
struct CallItem<'a> {
    id: Option<&'a str>,
    call_id: Option<&'a str>,
    name: Option<&'a str>,
    arguments: &'a str,
    custom: bool,
}

impl<'a> CallItem<'a> {
    fn of(item: &'a Item) -> Option<Self> {
        match item {
            Item::FunctionCall(call) => Some(CallItem {
                id: call.id.as_deref(),
                call_id: Some(&call.call_id),
                name: Some(&call.name),
                arguments: &call.arguments,
                custom: false,
            }),
            Item::Unknown(raw) if raw.get("type").and_then(Value::as_str) == Some(CUSTOM_TOOL_CALL) => {
                let text = |key: &str| raw.get(key).and_then(Value::as_str);
                Some(CallItem {
                    id: text("id"),
                    call_id: text("call_id"),
                    name: text("name"),
                    arguments: text("input").unwrap_or_default(),
                    custom: true,
                })
            }
            _ => None,
        }
    }

    /// Sets what the item says of its call in `mapper`'s state (its argument text unless it
    /// has none and the state has some), and returns the call's index.
    fn update(&self, mapper: &mut EventMapper) -> usize {
        let index = mapper.call_index(self.id, self.call_id);
        let state = &mut mapper.calls[index];
        state.custom |= self.custom;
        if let Some(call_id) = self.call_id {
            state.call_id = Some(call_id.into());
        }
        if let Some(name) = self.name {
            state.name = Some(name.into());
        }
        if !self.arguments.is_empty() || state.arguments.is_empty() {
            self.arguments.clone_into(&mut state.arguments);
        }
        index
    }
}

/// The `type` of a custom tool's call item.
const CUSTOM_TOOL_CALL: &str = "custom_tool_call";

#[derive(Debug, Clone, PartialEq, Eq)]
enum ReasoningKey {
    Summary(Option<String>, Option<u64>),
    Text(Option<String>, Option<u64>),
}

/// The `raw` of the stream events one backend event makes: the payload as received, or the
/// event serialized once, on first use.
struct RawSlot<'a> {
    event: Option<&'a BackendEvent>,
    /// The payload as received, read whole without error: each event's `raw` shares it, and
    /// nothing is shared when no event keeps it.
    payload: Option<&'a ByteString>,
    raw: Option<RawJson>,
}

impl<'a> RawSlot<'a> {
    /// The events of a payload read in place.
    fn payload(data: &'a ByteString) -> Self {
        RawSlot { event: None, payload: Some(data), raw: None }
    }

    /// Events whose `raw` the caller sets once they are made (see
    /// [`EventMapper::share_payload`]).
    fn later() -> Self {
        RawSlot { event: None, payload: None, raw: None }
    }

    /// Events made from a backend event, or (`None`) from nothing received.
    fn event(event: Option<&'a BackendEvent>) -> Self {
        RawSlot { event, payload: None, raw: None }
    }

    fn get(&mut self) -> Option<RawJson> {
        if let Some(data) = self.payload {
            return Some(RawJson::from_parsed(data.clone()));
        }
        if self.raw.is_none() {
            self.raw = self.event.and_then(RawJson::serialize_from);
        }
        self.raw.clone()
    }
}

/// Turns backend events into stream events v1, incrementally.
///
/// Guarantees: `response_started` comes first and once; each tool call gets one
/// `tool_call_started` before its argument deltas and one `tool_call_done` (arguments assembled
/// from deltas, `.done` or `output_item.done`, whichever arrives); `usage` precedes
/// `response_completed`, which comes last and once; nothing is emitted after it.
///
/// ```
/// use codex_schema::{BackendEvent, EventMapper, ResponseAccumulator, StreamEventType};
/// let frames = [
///     r#"{"type":"response.created","response":{"id":"resp_1"}}"#,
///     r#"{"type":"response.output_text.delta","item_id":"msg_1","delta":"Hello"}"#,
///     r#"{"type":"response.completed","response":{"id":"resp_1","usage":{"input_tokens":3,"output_tokens":1}}}"#,
/// ];
/// let mut mapper = EventMapper::new();
/// let mut acc = ResponseAccumulator::new();
/// for data in frames {
///     for event in mapper.map(&BackendEvent::parse(None, data).unwrap()) {
///         acc.push(&event);
///     }
/// }
/// let response = acc.finish();
/// assert_eq!(response.output_text, "Hello");
/// assert_eq!(response.usage.unwrap().total_tokens, 4);
/// ```
#[derive(Debug)]
pub struct EventMapper {
    keep_raw: bool,
    response_id: Option<Arc<str>>,
    started: bool,
    terminated: bool,
    errored: bool,
    calls: Vec<CallState>,
    text_streamed: HashSet<Option<String>>,
    /// The item of the last text delta: consecutive deltas of one item skip the set.
    last_text_item: Option<Option<String>>,
    reasoning_streamed: HashSet<Option<String>>,
    last_reasoning: Option<ReasoningKey>,
    items: Vec<Item>,
    /// The JSON text each of `items` was read from (by [`map_sse`](Self::map_sse), up to
    /// [`KEEP_ITEM_TEXT_MAX`] bytes), so that a final response repeating the same text need not
    /// be read again; `None` for an item not read so.
    item_texts: Vec<Option<ByteString>>,
}

/// The longest item text an [`EventMapper`] keeps to compare with the final response (a kept
/// text keeps the buffer it is a slice of).
const KEEP_ITEM_TEXT_MAX: usize = 64 * 1024;

impl Default for EventMapper {
    fn default() -> Self {
        Self::new()
    }
}

impl EventMapper {
    /// A mapper that keeps each backend event in `raw`.
    pub fn new() -> Self {
        EventMapper {
            keep_raw: true,
            response_id: None,
            started: false,
            terminated: false,
            errored: false,
            calls: Vec::new(),
            text_streamed: HashSet::new(),
            last_text_item: None,
            reasoning_streamed: HashSet::new(),
            last_reasoning: None,
            items: Vec::new(),
            item_texts: Vec::new(),
        }
    }

    /// Whether to keep each backend event in `raw` (default `true`). `response_completed`
    /// always keeps it: the accumulator reads the final response from it.
    pub fn keep_raw(mut self, keep: bool) -> Self {
        self.keep_raw = keep;
        self
    }

    /// `true` once `response_completed` has been emitted.
    pub fn is_terminated(&self) -> bool {
        self.terminated
    }

    /// Maps one backend event to zero or more v1 events.
    pub fn map(&mut self, event: &BackendEvent) -> Vec<StreamEvent> {
        let mut out = Vec::new();
        self.map_into(event, &mut out);
        out
    }

    /// Maps one backend event, appending the v1 events to `out`. Their `raw` is the event
    /// serialized (once, however many v1 events it makes); [`map_with_raw_into`](Self::map_with_raw_into)
    /// takes the payload as received instead.
    pub fn map_into(&mut self, event: &BackendEvent, out: &mut Vec<StreamEvent>) {
        self.map_event(event, &mut RawSlot::event(Some(event)), out);
    }

    /// Maps one backend event whose payload was kept by
    /// [`BackendEvent::parse_with_raw`]: the v1 events share `raw` as their `raw`, so nothing is
    /// re-serialized, and the event's text moves into them rather than being copied (the
    /// streaming hot path).
    ///
    /// ```
    /// use codex_schema::{BackendEvent, EventMapper, StreamEventType};
    /// let data = r#"{"type":"response.output_text.delta","item_id":"m1","delta":"Hi"}"#;
    /// let (event, raw) = BackendEvent::parse_with_raw(None, data.to_owned()).unwrap();
    /// let mut events = Vec::new();
    /// EventMapper::new().map_with_raw_into(event, raw, &mut events);
    /// assert_eq!(events[1].kind, StreamEventType::TextDelta);
    /// assert_eq!(events[1].raw.as_ref().unwrap().as_str(), data);
    /// ```
    pub fn map_with_raw_into(&mut self, event: BackendEvent, raw: RawJson, out: &mut Vec<StreamEvent>) {
        if self.terminated {
            return;
        }
        let source = &mut RawSlot { event: None, payload: None, raw: Some(raw) };
        match event {
            BackendEvent::OutputTextDelta(e) => {
                self.text_delta(e.item_id.as_deref(), ByteString::from(e.delta), source, out);
            }
            BackendEvent::FunctionCallArgumentsDelta(e) => {
                self.arguments_delta(
                    e.item_id.as_deref(),
                    e.call_id.as_deref(),
                    ByteString::from(e.delta),
                    false,
                    source,
                    out,
                );
            }
            // The item (a whole answer, possibly long) is kept without a copy.
            BackendEvent::OutputItemDone(e) => self.output_item_done(e.item, None, source, out),
            // So is the final response, which the `response_completed` carries.
            BackendEvent::Completed(e) => {
                self.terminal(e.response, FinishReason::Stop, FinalOutput::Read, None, source, out)
            }
            BackendEvent::Incomplete(e) => {
                let finish = incomplete_finish(&e.response);
                self.terminal(e.response, finish, FinalOutput::Read, None, source, out);
            }
            BackendEvent::Failed(e) => {
                self.terminal(e.response, FinishReason::Error, FinalOutput::Read, None, source, out)
            }
            event => self.map_event(&event, source, out),
        }
    }

    /// Decodes and maps one SSE frame (its `event:` name and `data:` text), appending the v1
    /// events to `out`: the streaming hot path.
    ///
    /// Same events as [`BackendEvent::parse_with_raw`] followed by
    /// [`map_with_raw_into`](Self::map_with_raw_into), with `data` shared as every event's
    /// `raw`. Text and argument deltas, nearly all of a stream, are read in place, and cost no
    /// allocation unless the delta has JSON escapes. `response.created`, `.in_progress` and
    /// `.queued`, which echo the request's whole configuration, are read for the response id
    /// alone, and once the response has its id only checked to be JSON, as the types that map
    /// to nothing are. `output_item.added` and `.done` and the terminal events are read with
    /// their items as text: an added item is read only when it may be a function call, and a
    /// final response whose items repeat the done items' texts takes the items already read.
    /// Pass the frame's data (a [`ByteString`]) or a `String` to copy nothing else: a delta
    /// without escapes is a slice of `data`, not a copy.
    ///
    /// # Errors
    ///
    /// [`NotJsonError`] when `data` is not JSON; nothing is emitted for that frame, and the
    /// mapper carries on with the next.
    ///
    /// ```
    /// use codex_schema::{EventMapper, StreamEventType};
    /// let mut mapper = EventMapper::new();
    /// let mut events = Vec::new();
    /// let data = r#"{"type":"response.output_text.delta","item_id":"m1","delta":"Hi"}"#;
    /// mapper.map_sse(Some("response.output_text.delta"), data, &mut events)?;
    /// assert_eq!(events[1].kind, StreamEventType::TextDelta);
    /// assert_eq!(events[1].delta.as_deref(), Some("Hi"));
    /// assert_eq!(events[1].raw.as_ref().unwrap().as_str(), data);
    /// assert!(mapper.map_sse(None, "{not json", &mut events).is_err());
    /// # Ok::<(), codex_schema::NotJsonError>(())
    /// ```
    pub fn map_sse(
        &mut self,
        event_name: Option<&str>,
        data: impl Into<ByteString>,
        out: &mut Vec<StreamEvent>,
    ) -> Result<(), NotJsonError> {
        let data: ByteString = data.into();
        if is_delta(&data) {
            if let Some(delta) = DeltaRef::parse(&data) {
                if !self.terminated {
                    let first = out.len();
                    self.map_delta(&data, delta, &mut RawSlot::later(), out);
                    self.share_payload(data, &mut out[first..]);
                }
                return Ok(());
            }
        } else if let Some(tag) = leading_type(&data) {
            // Types that map to nothing need no typed parse, only the check that they are JSON:
            // those the mapper ignores, and a `created`, `in_progress` or `queued` once the
            // response has started with its id (whatever its shape, it adds nothing then). A
            // payload that names a second `type` is read by the general path, which goes by
            // the last.
            let known_start = self.started && self.response_id.is_some() && STARTED.contains(&tag);
            if Self::IGNORED.contains(&tag) || known_start {
                match type_repeats(&data) {
                    Ok(false) => return Ok(()),
                    Ok(true) => {}
                    Err(e) => return Err(NotJsonError { reason: e.to_string() }),
                }
            }
            if STARTED.contains(&tag)
                && let Some(id) = started_response_id(&data)
            {
                if !self.terminated {
                    let first = out.len();
                    self.started(&id, &mut RawSlot::later(), out);
                    drop(id);
                    self.share_payload(data, &mut out[first..]);
                }
                return Ok(());
            }
            if !self.terminated && self.map_items_in_place(tag, &data, out) {
                return Ok(());
            }
        }
        let (event, raw) = BackendEvent::parse_with_raw(event_name, data)?;
        self.map_with_raw_into(event, raw, out);
        Ok(())
    }

    /// `response.output_item.added` and `.done`, `response.function_call_arguments.done` and
    /// the terminal events, read with their items as text: an added item is read only if it may
    /// be a function call (nothing else of it is mapped); a done item's text is kept (see
    /// [`KEEP_ITEM_TEXT_MAX`]); a final response whose items are the texts the stream's
    /// `output_item.done` events had takes those items, unread again. `false` hands the payload
    /// to the general path, which reads what these read the same way, and anything else.
    fn map_items_in_place(&mut self, tag: &str, data: &ByteString, out: &mut Vec<StreamEvent>) -> bool {
        let slot = || RawSlot::payload(data);
        match tag {
            OUTPUT_ITEM_ADDED => {
                let Some(added) = parse_tagged_rest::<ItemEventRef<'_>>(data, tag) else { return false };
                let text = added.item.get();
                if may_be_tool_call(text) {
                    // Only a tool call is read: it starts a tool call.
                    let Ok(item) = Item::from_json_str(text) else { return false };
                    self.output_item_added(&item, &mut slot(), out);
                } else {
                    self.ensure_started(&mut slot(), out);
                }
            }
            ARGUMENTS_DONE => {
                let Some(done) = parse_tagged_rest::<ArgumentsDoneRef<'_>>(data, tag) else { return false };
                fn text<'s>(field: &'s Option<BorrowedStr<'_>>) -> Option<&'s str> {
                    field.as_ref().map(|s| &*s.0)
                }
                let ids = (text(&done.item_id), text(&done.call_id));
                self.arguments_done(ids, text(&done.name), &done.arguments, false, &mut slot(), out);
            }
            OUTPUT_ITEM_DONE => {
                let Some(done) = parse_tagged_rest::<ItemEventRef<'_>>(data, tag) else { return false };
                let text = done.item.get();
                let Ok(item) = Item::from_json_str(text) else { return false };
                let kept = (text.len() <= KEEP_ITEM_TEXT_MAX).then(|| data.slice_ref(text));
                self.output_item_done(item, kept, &mut slot(), out);
            }
            _ if TERMINAL.contains(&tag) => {
                let Some(terminal) = parse_tagged_rest::<TerminalRef<'_>>(data, tag) else { return false };
                let text = response_text(data, &terminal).map(|text| data.slice_ref(text));
                let (mut response, texts) = terminal.response.split();
                let streamed = !texts.is_empty()
                    && texts.len() == self.item_texts.len()
                    && texts
                        .iter()
                        .zip(&self.item_texts)
                        .all(|(text, kept)| kept.as_deref() == Some(text.get()));
                if !streamed {
                    let Ok(items) = texts.iter().map(|text| Item::from_json_str(text.get())).collect() else {
                        return false;
                    };
                    response.output = items;
                }
                let finish = match tag {
                    "response.completed" => FinishReason::Stop,
                    "response.incomplete" => incomplete_finish(&response),
                    _ => FinishReason::Error,
                };
                let output = if streamed { FinalOutput::Streamed } else { FinalOutput::Read };
                self.terminal(response, finish, output, text, &mut slot(), out);
            }
            _ => return false,
        }
        true
    }

    /// The backend event types that produce no v1 event (`map_event` ignores them).
    const IGNORED: &'static [&'static str] = &[
        "response.content_part.added",
        "response.content_part.done",
        "response.output_text.done",
        "response.reasoning_summary_part.added",
        "response.reasoning_summary_part.done",
        "response.reasoning_summary_text.done",
        "response.reasoning_text.done",
        "codex.rate_limits",
        "keepalive",
    ];

    /// A delta read in place by [`map_sse`](Self::map_sse) from `data`.
    fn map_delta(
        &mut self,
        data: &ByteString,
        delta: DeltaRef<'_>,
        source: &mut RawSlot<'_>,
        out: &mut Vec<StreamEvent>,
    ) {
        // Without escapes the delta is a slice of `data`: shared, not copied.
        let shared = |text: Cow<'_, str>| match text {
            Cow::Borrowed(text) => data.slice_ref(text),
            Cow::Owned(text) => ByteString::from(text),
        };
        match delta {
            DeltaRef::Text { item_id, delta } => {
                self.text_delta(item_id.as_deref(), shared(delta), source, out)
            }
            DeltaRef::Arguments { item_id, call_id, delta } => {
                self.arguments_delta(
                    item_id.as_deref(),
                    call_id.as_deref(),
                    shared(delta),
                    false,
                    source,
                    out,
                );
            }
        }
    }

    /// `response.output_text.delta`, whether the event was borrowed or given.
    fn text_delta(
        &mut self,
        item_id: Option<&str>,
        delta: ByteString,
        source: &mut RawSlot<'_>,
        out: &mut Vec<StreamEvent>,
    ) {
        self.ensure_started(source, out);
        if self.last_text_item.as_ref().map(Option::as_deref) != Some(item_id) {
            let item_id = item_id.map(str::to_owned);
            self.text_streamed.insert(item_id.clone());
            self.last_text_item = Some(item_id);
        }
        if !delta.is_empty() {
            let ev = self.push_event(StreamEventType::TextDelta, source, out);
            ev.delta = Some(delta);
        }
    }

    /// `response.function_call_arguments.delta` (or, `custom`,
    /// `response.custom_tool_call_input.delta`), whether the event was borrowed or given.
    fn arguments_delta(
        &mut self,
        item_id: Option<&str>,
        call_id: Option<&str>,
        delta: ByteString,
        custom: bool,
        source: &mut RawSlot<'_>,
        out: &mut Vec<StreamEvent>,
    ) {
        self.ensure_started(source, out);
        let index = self.call_index(item_id, call_id);
        let state = &mut self.calls[index];
        state.custom |= custom;
        state.arguments.push_str(&delta);
        self.start_call(index, source, out);
        let state = &self.calls[index];
        let ev = self.push_event(StreamEventType::ToolCallArgumentsDelta, source, out);
        ev.call_id = state.id();
        ev.name.clone_from(&state.name);
        ev.delta = Some(delta);
    }

    /// `response.created`, `.in_progress` or `.queued`: the response's id (empty when absent).
    fn started(&mut self, id: &str, source: &mut RawSlot<'_>, out: &mut Vec<StreamEvent>) {
        if self.response_id.is_none() && !id.is_empty() {
            self.response_id = Some(id.into());
        }
        self.ensure_started(source, out);
    }

    /// `response.output_item.added`: a function call or a custom tool's call starts a tool
    /// call; nothing else of an added item is mapped.
    fn output_item_added(&mut self, item: &Item, source: &mut RawSlot<'_>, out: &mut Vec<StreamEvent>) {
        self.ensure_started(source, out);
        if let Some(call) = CallItem::of(item) {
            let index = call.update(self);
            self.start_call(index, source, out);
        }
    }

    /// `response.function_call_arguments.done` (or, `custom`,
    /// `response.custom_tool_call_input.done`) for the call with these item and call ids: its
    /// whole argument text, and its name when given.
    fn arguments_done(
        &mut self,
        (item_id, call_id): (Option<&str>, Option<&str>),
        name: Option<&str>,
        arguments: &str,
        custom: bool,
        source: &mut RawSlot<'_>,
        out: &mut Vec<StreamEvent>,
    ) {
        self.ensure_started(source, out);
        let index = self.call_index(item_id, call_id);
        let state = &mut self.calls[index];
        state.custom |= custom;
        arguments.clone_into(&mut state.arguments);
        if let Some(name) = name {
            state.name = Some(name.into());
        }
        self.start_call(index, source, out);
    }

    /// `response.output_item.done`: the item joins the authoritative list.
    fn output_item_done(
        &mut self,
        item: Item,
        text: Option<ByteString>,
        source: &mut RawSlot<'_>,
        out: &mut Vec<StreamEvent>,
    ) {
        self.ensure_started(source, out);
        self.item_done(&item, source, out);
        self.items.push(item);
        self.item_texts.push(text);
    }

    fn map_event(&mut self, event: &BackendEvent, source: &mut RawSlot<'_>, out: &mut Vec<StreamEvent>) {
        if self.terminated {
            return;
        }
        match event {
            BackendEvent::Created(e) | BackendEvent::InProgress(e) | BackendEvent::Queued(e) => {
                self.started(&e.response.id, source, out);
            }
            BackendEvent::OutputItemAdded(e) => self.output_item_added(&e.item, source, out),
            BackendEvent::OutputTextDelta(e) => {
                self.text_delta(e.item_id.as_deref(), e.delta.as_str().into(), source, out);
            }
            BackendEvent::ReasoningSummaryTextDelta(e) => {
                self.ensure_started(source, out);
                let key = ReasoningKey::Summary(e.item_id.clone(), e.summary_index);
                self.reasoning_streamed.insert(e.item_id.clone());
                self.reasoning_delta(key, &e.delta, source, out);
            }
            BackendEvent::ReasoningTextDelta(e) => {
                self.ensure_started(source, out);
                let key = ReasoningKey::Text(e.item_id.clone(), e.content_index);
                self.reasoning_streamed.insert(e.item_id.clone());
                self.reasoning_delta(key, &e.delta, source, out);
            }
            BackendEvent::FunctionCallArgumentsDelta(e) => {
                let (item_id, call_id) = (e.item_id.as_deref(), e.call_id.as_deref());
                self.arguments_delta(item_id, call_id, e.delta.as_str().into(), false, source, out);
            }
            BackendEvent::FunctionCallArgumentsDone(e) => {
                let ids = (e.item_id.as_deref(), e.call_id.as_deref());
                self.arguments_done(ids, e.name.as_deref(), &e.arguments, false, source, out);
            }
            BackendEvent::CustomToolCallInputDelta(e) => {
                let (item_id, call_id) = (e.item_id.as_deref(), e.call_id.as_deref());
                self.arguments_delta(item_id, call_id, e.delta.as_str().into(), true, source, out);
            }
            BackendEvent::CustomToolCallInputDone(e) => {
                let ids = (e.item_id.as_deref(), e.call_id.as_deref());
                self.arguments_done(ids, None, &e.input, true, source, out);
            }
            BackendEvent::OutputItemDone(e) => self.output_item_done(e.item.clone(), None, source, out),
            BackendEvent::Completed(e) => {
                self.terminal(e.response.clone(), FinishReason::Stop, FinalOutput::Read, None, source, out);
            }
            BackendEvent::Incomplete(e) => {
                self.terminal(
                    e.response.clone(),
                    incomplete_finish(&e.response),
                    FinalOutput::Read,
                    None,
                    source,
                    out,
                );
            }
            BackendEvent::Failed(e) => {
                self.terminal(e.response.clone(), FinishReason::Error, FinalOutput::Read, None, source, out);
            }
            BackendEvent::Error(e) => {
                self.ensure_started(source, out);
                self.errored = true;
                let ev = self.push_event(StreamEventType::Error, source, out);
                ev.error = Some(Box::new(ResponseError {
                    code: e.code.clone(),
                    message: e.message.clone(),
                    param: e.param.clone(),
                    ..ResponseError::default()
                }));
            }
            _ => {}
        }
    }

    /// Call at the end of the byte stream. After a terminal event this returns nothing; after an
    /// `error` event it closes the response with `finish_reason: error`; otherwise the stream
    /// closed early and the error says so.
    pub fn finish(&mut self) -> Result<Vec<StreamEvent>, StreamClosedEarly> {
        if self.terminated {
            return Ok(Vec::new());
        }
        if !self.errored {
            return Err(StreamClosedEarly);
        }
        let mut out = Vec::new();
        self.flush_calls(&mut RawSlot::event(None), &mut out);
        let mut ev = StreamEvent::new(StreamEventType::ResponseCompleted);
        ev.response_id.clone_from(&self.response_id);
        ev.finish_reason = Some(FinishReason::Error);
        out.push(ev);
        self.terminated = true;
        Ok(out)
    }

    /// Appends an event of `kind` for this response to `out` and returns it to be filled in.
    /// Built in place: an event is 224 bytes, which a `push` of a finished one copies again.
    fn push_event<'o>(
        &self,
        kind: StreamEventType,
        source: &mut RawSlot<'_>,
        out: &'o mut Vec<StreamEvent>,
    ) -> &'o mut StreamEvent {
        let raw = if self.keep_raw { source.get() } else { None };
        let index = out.len();
        out.resize_with(index + 1, || StreamEvent::new(kind));
        let ev = &mut out[index];
        ev.response_id.clone_from(&self.response_id);
        ev.raw = raw;
        ev
    }

    /// Sets `data`, a payload read in place, as the `raw` of `events`, the events made from
    /// it (when the mapper keeps `raw`): the last takes `data` itself, so the one event of a
    /// delta costs no reference count update for its `raw`.
    fn share_payload(&self, data: ByteString, events: &mut [StreamEvent]) {
        if !self.keep_raw {
            return;
        }
        if let Some((last, rest)) = events.split_last_mut() {
            for event in rest {
                event.raw = Some(RawJson::from_parsed(data.clone()));
            }
            last.raw = Some(RawJson::from_parsed(data));
        }
    }

    fn ensure_started(&mut self, source: &mut RawSlot<'_>, out: &mut Vec<StreamEvent>) {
        if !self.started {
            self.started = true;
            self.push_event(StreamEventType::ResponseStarted, source, out);
        }
    }

    fn call_index(&mut self, item_id: Option<&str>, call_id: Option<&str>) -> usize {
        let found = self.calls.iter().position(|c| {
            (item_id.is_some() && c.item_id.as_deref() == item_id)
                || (call_id.is_some() && c.call_id.as_deref() == call_id)
        });
        if let Some(index) = found {
            let state = &mut self.calls[index];
            if state.item_id.is_none() {
                state.item_id = item_id.map(Arc::from);
            }
            if state.call_id.is_none() {
                state.call_id = call_id.map(Arc::from);
            }
            return index;
        }
        self.calls.push(CallState {
            item_id: item_id.map(Arc::from),
            call_id: call_id.map(Arc::from),
            ..CallState::default()
        });
        self.calls.len() - 1
    }

    fn start_call(&mut self, index: usize, source: &mut RawSlot<'_>, out: &mut Vec<StreamEvent>) {
        if self.calls[index].started {
            return;
        }
        self.calls[index].started = true;
        let state = &self.calls[index];
        let ev = self.push_event(StreamEventType::ToolCallStarted, source, out);
        ev.call_id = state.id();
        ev.name.clone_from(&state.name);
    }

    fn finish_call(&mut self, index: usize, source: &mut RawSlot<'_>, out: &mut Vec<StreamEvent>) {
        self.start_call(index, source, out);
        if self.calls[index].done {
            return;
        }
        self.calls[index].done = true;
        let state = &self.calls[index];
        let call_id = state.id().unwrap_or_else(|| Arc::from(""));
        let name = state.name.clone().unwrap_or_else(|| Arc::from(""));
        let item_id = state.item_id.as_deref().map(str::to_owned);
        let call = if state.custom {
            ToolCall::custom(item_id, call_id.to_string(), name.to_string(), state.arguments.clone())
        } else {
            ToolCall::new(item_id, call_id.to_string(), name.to_string(), state.arguments.clone())
        };
        let ev = self.push_event(StreamEventType::ToolCallDone, source, out);
        ev.call_id = Some(call_id);
        ev.name = Some(name);
        ev.tool_call = Some(Box::new(call));
    }

    fn flush_calls(&mut self, source: &mut RawSlot<'_>, out: &mut Vec<StreamEvent>) {
        for index in 0..self.calls.len() {
            self.finish_call(index, source, out);
        }
    }

    fn reasoning_delta(
        &mut self,
        key: ReasoningKey,
        delta: &str,
        source: &mut RawSlot<'_>,
        out: &mut Vec<StreamEvent>,
    ) {
        if delta.is_empty() {
            return;
        }
        let separator = match &self.last_reasoning {
            Some(last) if *last != key => "\n\n",
            _ => "",
        };
        self.last_reasoning = Some(key);
        let ev = self.push_event(StreamEventType::ReasoningDelta, source, out);
        ev.delta = Some(format!("{separator}{delta}").into());
    }

    fn item_done(&mut self, item: &Item, source: &mut RawSlot<'_>, out: &mut Vec<StreamEvent>) {
        match item {
            Item::Message(message) if message.role == Role::Assistant => {
                let streamed = self.text_streamed.contains(&None) || self.text_streamed.contains(&message.id);
                if !streamed {
                    let text = message.content.joined_text();
                    if !text.is_empty() {
                        let ev = self.push_event(StreamEventType::TextDelta, source, out);
                        ev.delta = Some(text.into());
                    }
                }
            }
            Item::Reasoning(reasoning) => {
                let streamed = self.reasoning_streamed.contains(&None)
                    || self.reasoning_streamed.contains(&reasoning.id);
                if !streamed {
                    for (index, part) in reasoning.summary.iter().enumerate() {
                        if let Some(text) = part.text() {
                            let key = ReasoningKey::Summary(reasoning.id.clone(), Some(index as u64));
                            self.reasoning_delta(key, text, source, out);
                        }
                    }
                }
                self.push_event(StreamEventType::ReasoningDone, source, out);
            }
            _ => {
                if let Some(call) = CallItem::of(item) {
                    let index = call.update(self);
                    self.finish_call(index, source, out);
                }
            }
        }
    }

    /// The final events, from the terminal event's response; `text` is the response's text in
    /// the payload, when the caller found it.
    fn terminal(
        &mut self,
        mut response: BackendResponse,
        finish: FinishReason,
        output: FinalOutput,
        text: Option<ByteString>,
        source: &mut RawSlot<'_>,
        out: &mut Vec<StreamEvent>,
    ) {
        if self.response_id.is_none() && !response.id.is_empty() {
            self.response_id = Some(response.id.as_str().into());
        }
        self.ensure_started(source, out);
        if self.items.is_empty() {
            // A server that sends items only inside the final response: read them from there.
            for item in &response.output {
                self.items.push(item.clone());
                self.item_done(item, source, out);
            }
        }
        self.flush_calls(source, out);
        if finish == FinishReason::Error {
            let error = response.error.clone().unwrap_or_else(|| ResponseError {
                message: "the response failed without an error message".to_owned(),
                ..ResponseError::default()
            });
            let ev = self.push_event(StreamEventType::Error, source, out);
            ev.error = Some(Box::new(error));
        }
        if let Some(usage) = response.usage.as_ref().map(Usage::from) {
            let ev = self.push_event(StreamEventType::Usage, source, out);
            ev.usage = Some(usage);
        }
        let finish = if finish == FinishReason::Stop && !self.calls.is_empty() {
            FinishReason::ToolCalls
        } else {
            finish
        };
        let mut ev = StreamEvent::new(StreamEventType::ResponseCompleted);
        ev.response_id.clone_from(&self.response_id);
        ev.finish_reason = Some(finish);
        let same = match output {
            FinalOutput::Streamed => {
                response.output = std::mem::take(&mut self.items);
                true
            }
            FinalOutput::Read => self.items == response.output,
        };
        ev.raw = if same {
            let raw = source.get();
            ev.response_raw = match text {
                Some(text) => Some(RawJson::from_parsed(text)),
                None => raw.as_ref().and_then(response_in),
            };
            raw
        } else {
            // The stream's `output_item.done` items are authoritative: the final raw response
            // carries them in place of the `output` the terminal event repeated.
            response.output.clone_from(&self.items);
            let mut final_event = source.get().and_then(|raw| raw.to_value().ok()).unwrap_or(Value::Null);
            let items = serde_json::to_value(&self.items).unwrap_or_default();
            if let Some(response) = final_event.get_mut("response").and_then(Value::as_object_mut) {
                response.insert("output".to_owned(), items);
            }
            let raw = RawJson::from_value(&final_event);
            ev.response_raw = response_in(&raw);
            Some(raw)
        };
        ev.response = Some(Arc::new(response));
        out.push(ev);
        self.terminated = true;
    }
}

/// What the final response's `output` holds when the mapper gets it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum FinalOutput {
    /// The items as read from the terminal event.
    Read,
    /// Nothing yet: the terminal event's items were the texts of the stream's
    /// `output_item.done` items, which the mapper puts there.
    Streamed,
}

/// The `response` of a terminal event, as text (a part of `raw`).
fn response_in(raw: &RawJson) -> Option<RawJson> {
    #[derive(Deserialize)]
    struct Terminal<'a> {
        #[serde(borrow)]
        response: &'a serde_json::value::RawValue,
    }
    let terminal = serde_json::from_str::<Terminal<'_>>(raw.as_str()).ok()?;
    Some(raw.slice_ref(terminal.response.get()))
}

/// The finish reason of a `response.incomplete`.
fn incomplete_finish(response: &BackendResponse) -> FinishReason {
    match response.incomplete_details.as_ref().and_then(|d| d.reason.as_deref()) {
        Some("content_filter") => FinishReason::ContentFilter,
        _ => FinishReason::Length,
    }
}

/// Folds stream events v1 into a [`Response`]: the non-streaming ending of the one path.
#[derive(Debug, Default)]
pub struct ResponseAccumulator {
    response: Response,
    reasoning: String,
    has_final: bool,
}

impl ResponseAccumulator {
    /// An empty accumulator.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes in one event.
    pub fn push(&mut self, event: &StreamEvent) {
        let response = &mut self.response;
        if let (true, Some(id)) = (response.id.is_empty(), &event.response_id) {
            response.id.push_str(id);
        }
        match event.kind {
            StreamEventType::TextDelta => {
                response.output_text.push_str(event.delta.as_deref().unwrap_or_default());
            }
            StreamEventType::ReasoningDelta => {
                self.reasoning.push_str(event.delta.as_deref().unwrap_or_default());
            }
            StreamEventType::ToolCallDone => {
                if let Some(call) = &event.tool_call {
                    response.tool_calls.push(ToolCall::clone(call));
                }
            }
            StreamEventType::Usage => response.usage = event.usage.or(response.usage),
            StreamEventType::Error => {
                if let Some(error) = &event.error {
                    response.error = Some(ResponseError::clone(error));
                }
            }
            StreamEventType::ResponseCompleted => {
                response.finish_reason = event.finish_reason;
                // The mapper's event carries the response parsed, and its text; one built by
                // hand or read back from JSON has only the whole event's text.
                let final_text =
                    event.response_raw.clone().or_else(|| event.raw.as_ref().and_then(response_in));
                let parsed;
                let backend = match &event.response {
                    Some(backend) => Some(&**backend),
                    None => {
                        parsed = final_text
                            .as_ref()
                            .and_then(|text| serde_json::from_str::<BackendResponse>(text.as_str()).ok());
                        parsed.as_ref()
                    }
                };
                if let Some(backend) = backend {
                    self.has_final = true;
                    if response.id.is_empty() {
                        response.id.clone_from(&backend.id);
                    }
                    response.model.clone_from(&backend.model);
                    response.status.clone_from(&backend.status);
                    response.previous_response_id.clone_from(&backend.previous_response_id);
                    if response.error.is_none() {
                        response.error.clone_from(&backend.error);
                    }
                    response.output.clone_from(&backend.output);
                    response.raw = final_text;
                }
            }
            StreamEventType::ResponseStarted
            | StreamEventType::ReasoningDone
            | StreamEventType::ToolCallStarted
            | StreamEventType::ToolCallArgumentsDelta => {}
        }
    }

    /// The response. Without a final backend response (a stream built by hand, or one that
    /// closed early) the output items are rebuilt from the text and tool calls seen.
    pub fn finish(mut self) -> Response {
        let response = &mut self.response;
        if !self.reasoning.is_empty() {
            response.reasoning_summary = Some(std::mem::take(&mut self.reasoning));
        }
        if !self.has_final {
            if !response.output_text.is_empty() {
                let part = ContentPart::output_text(response.output_text.clone());
                let message = Message::new(Role::Assistant, MessageContent::Parts(vec![part]));
                response.output.push(Item::Message(message));
            }
            for call in &response.tool_calls {
                response.output.push(Item::FunctionCall(call.into()));
            }
        }
        response.reasoning_items = response
            .output
            .iter()
            .filter_map(|item| match item {
                Item::Reasoning(r) => Some(r.clone()),
                _ => None,
            })
            .collect();
        response.encrypted_reasoning_content =
            response.reasoning_items.iter().rev().find_map(|r| r.encrypted_content.clone());
        self.response
    }
}

impl Response {
    /// Builds a response from stream events v1 (what a non-streaming call does).
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a StreamEvent>) -> Response {
        let mut acc = ResponseAccumulator::new();
        for event in events {
            acc.push(event);
        }
        acc.finish()
    }
}
