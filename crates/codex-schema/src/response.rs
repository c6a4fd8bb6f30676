//! The response side: [`Response`] and its parts.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::items::{FunctionCall, Item, ReasoningItem};
use crate::raw::RawJson;

/// Token counts of one response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct Usage {
    /// Tokens read.
    pub input_tokens: u64,
    /// Tokens written.
    pub output_tokens: u64,
    /// Input plus output.
    pub total_tokens: u64,
    /// Input tokens served from the prompt cache.
    pub cached_input_tokens: u64,
    /// Output tokens spent on reasoning.
    pub reasoning_tokens: u64,
}

impl Usage {
    /// Reads the backend's usage object (`input_tokens_details.cached_tokens`,
    /// `output_tokens_details.reasoning_tokens`); missing numbers count as 0 and a missing
    /// `total_tokens` is input plus output.
    pub fn from_backend(value: &Value) -> Option<Usage> {
        let object = value.as_object()?;
        let number = |v: Option<&Value>| v.and_then(Value::as_u64).unwrap_or(0);
        let input_tokens = number(object.get("input_tokens"));
        let output_tokens = number(object.get("output_tokens"));
        let total_tokens = object
            .get("total_tokens")
            .and_then(Value::as_u64)
            .unwrap_or(input_tokens.saturating_add(output_tokens));
        // Plain lookups: `Value::pointer` allocates while it unescapes each segment.
        let nested = |outer: &str, inner: &str| object.get(outer).and_then(|details| details.get(inner));
        let cached_input_tokens = number(nested("input_tokens_details", "cached_tokens"))
            .max(number(object.get("cached_input_tokens")));
        let reasoning_tokens = number(nested("output_tokens_details", "reasoning_tokens"))
            .max(number(object.get("reasoning_tokens")));
        Some(Usage { input_tokens, output_tokens, total_tokens, cached_input_tokens, reasoning_tokens })
    }
}

impl From<&BackendUsage> for Usage {
    /// The same counts [`Usage::from_backend`] reads from the usage object as JSON.
    fn from(usage: &BackendUsage) -> Usage {
        let input_tokens = usage.input_tokens.unwrap_or(0);
        let output_tokens = usage.output_tokens.unwrap_or(0);
        let total_tokens = usage.total_tokens.unwrap_or(input_tokens.saturating_add(output_tokens));
        let top = |key: &str| usage.extra.get(key).and_then(Value::as_u64).unwrap_or(0);
        let cached_input_tokens = usage
            .input_tokens_details
            .as_ref()
            .and_then(|details| details.cached_tokens)
            .unwrap_or(0)
            .max(top("cached_input_tokens"));
        let reasoning_tokens = usage
            .output_tokens_details
            .as_ref()
            .and_then(|details| details.reasoning_tokens)
            .unwrap_or(0)
            .max(top("reasoning_tokens"));
        Usage { input_tokens, output_tokens, total_tokens, cached_input_tokens, reasoning_tokens }
    }
}

/// Token usage as the backend reports it (`response.usage`).
///
/// Read leniently: a count that is not a non-negative integer, or details that are not an
/// object, do not fail the response; such a value is kept among the unmodelled fields under
/// its own key, and its typed field is absent.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct BackendUsage {
    /// Tokens read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_tokens: Option<u64>,
    /// Details of the input tokens (`cached_tokens`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_tokens_details: Option<TokenDetails>,
    /// Tokens written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_tokens: Option<u64>,
    /// Details of the output tokens (`reasoning_tokens`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_tokens_details: Option<TokenDetails>,
    /// Input plus output.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_tokens: Option<u64>,
    /// Fields this crate does not model, and counts that were not counts, kept as they came.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `input_tokens_details` or `output_tokens_details` of a [`BackendUsage`], read as leniently.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct TokenDetails {
    /// Input tokens served from the prompt cache.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cached_tokens: Option<u64>,
    /// Output tokens spent on reasoning.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_tokens: Option<u64>,
    /// Fields this crate does not model, and counts that were not counts, kept as they came.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A value read as `T` when it is one, else kept as JSON.
pub(crate) enum Lenient<T> {
    Typed(T),
    Other(Value),
}

/// An object read entry by entry, keeping what it does not type in `extra`.
trait LenientObject: Default {
    /// Reads the value of `key` into its field; `Some` hands the value back to be kept in
    /// `extra` (an unknown key, or a value its field cannot hold).
    fn read<'de, A: serde::de::MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
    ) -> Result<Option<Value>, A::Error>;

    /// The unmodelled fields.
    fn extra(&mut self) -> &mut Map<String, Value>;
}

/// Reads a field's value into `field` when it is a `T`; else hands it back (and empties the
/// field), to be kept among the unmodelled fields.
fn lenient_field<'de, A, T>(map: &mut A, field: &mut Option<T>) -> Result<Option<Value>, A::Error>
where
    A: serde::de::MapAccess<'de>,
    Lenient<T>: Deserialize<'de>,
{
    Ok(match map.next_value::<Lenient<T>>()? {
        Lenient::Typed(value) => {
            *field = Some(value);
            None
        }
        Lenient::Other(value) => {
            *field = None;
            Some(value)
        }
    })
}

impl LenientObject for BackendUsage {
    fn read<'de, A: serde::de::MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
    ) -> Result<Option<Value>, A::Error> {
        match key {
            "input_tokens" => lenient_field(map, &mut self.input_tokens),
            "output_tokens" => lenient_field(map, &mut self.output_tokens),
            "total_tokens" => lenient_field(map, &mut self.total_tokens),
            "input_tokens_details" => lenient_field(map, &mut self.input_tokens_details),
            "output_tokens_details" => lenient_field(map, &mut self.output_tokens_details),
            _ => map.next_value().map(Some),
        }
    }

    fn extra(&mut self) -> &mut Map<String, Value> {
        &mut self.extra
    }
}

impl LenientObject for TokenDetails {
    fn read<'de, A: serde::de::MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
    ) -> Result<Option<Value>, A::Error> {
        match key {
            "cached_tokens" => lenient_field(map, &mut self.cached_tokens),
            "reasoning_tokens" => lenient_field(map, &mut self.reasoning_tokens),
            _ => map.next_value().map(Some),
        }
    }

    fn extra(&mut self) -> &mut Map<String, Value> {
        &mut self.extra
    }
}

/// Anything that is not a count (or not an object, for `T` an object) as JSON.
struct LenientVisitor<T>(std::marker::PhantomData<T>);

macro_rules! keep_other {
    () => {
        fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Lenient::Other(Value::from(v)))
        }

        fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
            Ok(Lenient::Other(Value::Bool(v)))
        }

        fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Lenient::Other(Value::String(v.to_owned())))
        }

        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(Lenient::Other(Value::Null))
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            Value::deserialize(serde::de::value::SeqAccessDeserializer::new(seq)).map(Lenient::Other)
        }
    };
}

impl<'de> serde::de::Visitor<'de> for LenientVisitor<u64> {
    type Value = Lenient<u64>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Lenient::Typed(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(u64::try_from(v).map_or(Lenient::Other(Value::from(v)), Lenient::Typed))
    }

    keep_other!();

    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        Value::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Lenient::Other)
    }
}

impl<'de, T: LenientObject> serde::de::Visitor<'de> for LenientVisitor<T> {
    type Value = Lenient<T>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Lenient::Other(Value::from(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Lenient::Other(Value::from(v)))
    }

    keep_other!();

    /// Entries in order; a repeated key's last value wins, as in a `Value`.
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut object = T::default();
        while let Some(key) = map.next_key_seed(crate::tagged::StrSeed)? {
            match object.read(&key, &mut map)? {
                Some(value) => {
                    object.extra().insert(key.into_owned(), value);
                }
                None => {
                    if !object.extra().is_empty() {
                        object.extra().shift_remove(&*key);
                    }
                }
            }
        }
        Ok(Lenient::Typed(object))
    }
}

impl<'de> Deserialize<'de> for Lenient<u64> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(LenientVisitor::<u64>(std::marker::PhantomData))
    }
}

impl<'de, T: LenientObject> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(LenientVisitor::<T>(std::marker::PhantomData))
    }
}

/// Any object reads (see the type's documentation); anything else is an error.
impl<'de> Deserialize<'de> for BackendUsage {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Lenient::<BackendUsage>::deserialize(deserializer)? {
            Lenient::Typed(usage) => Ok(usage),
            Lenient::Other(_) => Err(serde::de::Error::custom("a usage is a JSON object")),
        }
    }
}

/// Any object reads (see [`BackendUsage`]); anything else is an error.
impl<'de> Deserialize<'de> for TokenDetails {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Lenient::<TokenDetails>::deserialize(deserializer)? {
            Lenient::Typed(details) => Ok(details),
            Lenient::Other(_) => Err(serde::de::Error::custom("token details are a JSON object")),
        }
    }
}

/// An error the server reported for a response or a stream.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct ResponseError {
    /// A machine-readable code, e.g. `context_length_exceeded`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The server's message.
    #[serde(default)]
    pub message: String,
    /// The error's type, when given.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The offending parameter, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub param: Option<String>,
    /// Fields this crate does not model (`plan_type`, `resets_at`, …), kept as they came.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Why the model stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// It finished its answer.
    Stop,
    /// It asked for tool calls.
    ToolCalls,
    /// It hit the output limit (`response.incomplete` with `max_output_tokens`).
    Length,
    /// The content filter stopped it.
    ContentFilter,
    /// The response failed.
    Error,
}

/// Which kind of tool a [`ToolCall`] calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ToolCallKind {
    /// A function tool (`function_call`): the arguments are JSON text.
    #[default]
    Function,
    /// A custom (freeform) tool (`custom_tool_call`, such as `apply_patch`): the arguments
    /// are the call's free-form `input` text, and its answer is a `custom_tool_call_output`.
    Custom,
}

impl ToolCallKind {
    /// Whether this is [`ToolCallKind::Function`] (the default, left out of JSON).
    pub fn is_function(&self) -> bool {
        *self == ToolCallKind::Function
    }
}

/// A tool call the model asked for, with its arguments parsed when they are valid JSON.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct ToolCall {
    /// The item id, when the server gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The id to answer with (`ToolResult::call_id`).
    pub call_id: String,
    /// The tool's name.
    pub name: String,
    /// The arguments as JSON text; for a custom tool, its free-form input.
    #[serde(default)]
    pub arguments: String,
    /// The arguments parsed, or `None` when the text is not valid JSON (always `None` for a
    /// custom tool).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parsed_arguments: Option<Value>,
    /// A function tool or a custom one; absent in JSON for a function tool.
    #[serde(default, skip_serializing_if = "ToolCallKind::is_function")]
    pub kind: ToolCallKind,
}

impl ToolCall {
    /// A function tool call; `parsed_arguments` is filled from `arguments`.
    pub fn new(id: Option<String>, call_id: String, name: String, arguments: String) -> Self {
        let parsed_arguments = serde_json::from_str(&arguments).ok();
        ToolCall { id, call_id, name, arguments, parsed_arguments, kind: ToolCallKind::Function }
    }

    /// A custom tool call, whose `input` is free-form text (kept in `arguments`, not parsed).
    ///
    /// ```
    /// use codex_schema::{Item, ToolCall, ToolCallKind, ToolResult};
    /// let call = ToolCall::custom(None, "call_1".into(), "apply_patch".into(), "*** Begin Patch".into());
    /// assert_eq!(call.kind, ToolCallKind::Custom);
    /// assert!(call.parsed_arguments.is_none(), "a custom call's input is free-form text");
    /// let answer: Item = ToolResult::for_call(&call, "Done.").into();
    /// assert_eq!(answer.type_name(), Some("custom_tool_call_output"));
    /// ```
    pub fn custom(id: Option<String>, call_id: String, name: String, input: String) -> Self {
        ToolCall { id, call_id, name, arguments: input, parsed_arguments: None, kind: ToolCallKind::Custom }
    }
}

impl From<&FunctionCall> for ToolCall {
    fn from(call: &FunctionCall) -> Self {
        ToolCall::new(call.id.clone(), call.call_id.clone(), call.name.clone(), call.arguments.clone())
    }
}

impl From<&ToolCall> for FunctionCall {
    fn from(call: &ToolCall) -> Self {
        FunctionCall {
            id: call.id.clone(),
            call_id: call.call_id.clone(),
            name: call.name.clone(),
            arguments: call.arguments.clone(),
            status: None,
            extra: Map::new(),
        }
    }
}

/// A model response, as `responses.create` returns it.
///
/// Reading is lenient: missing optional fields default, and fields this crate does not model are
/// kept in `extra`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct Response {
    /// The response id.
    pub id: String,
    /// The model that answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// `completed`, `incomplete`, `failed`, … as the server said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The output items, in order.
    pub output: Vec<Item>,
    /// All output text joined.
    pub output_text: String,
    /// Token counts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// The error, when the response failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ResponseError>,
    /// The reasoning summary text, when the model gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_summary: Option<String>,
    /// The reasoning items, to send back on the next turn.
    pub reasoning_items: Vec<ReasoningItem>,
    /// The encrypted content of the last reasoning item that had one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encrypted_reasoning_content: Option<String>,
    /// Why the model stopped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<FinishReason>,
    /// The response this one continues.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_response_id: Option<String>,
    /// The tool calls the model asked for.
    pub tool_calls: Vec<ToolCall>,
    /// The final backend JSON of the response, as received.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw: Option<RawJson>,
    /// Fields this crate does not model, kept as they came.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Response {
    /// Items to append to the conversation for the next turn: every output item (reasoning
    /// items keep their encrypted content, so reasoning carries over with `store: false`).
    pub fn output_items(&self) -> &[Item] {
        &self.output
    }

    /// `true` when the model asked for at least one tool call.
    pub fn requires_tool_calls(&self) -> bool {
        !self.tool_calls.is_empty()
    }
}
