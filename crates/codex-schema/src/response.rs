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
        let total_tokens =
            object.get("total_tokens").and_then(Value::as_u64).unwrap_or(input_tokens + output_tokens);
        // Plain lookups: `Value::pointer` allocates while it unescapes each segment.
        let nested = |outer: &str, inner: &str| object.get(outer).and_then(|details| details.get(inner));
        let cached_input_tokens = number(nested("input_tokens_details", "cached_tokens"))
            .max(number(object.get("cached_input_tokens")));
        let reasoning_tokens = number(nested("output_tokens_details", "reasoning_tokens"))
            .max(number(object.get("reasoning_tokens")));
        Some(Usage { input_tokens, output_tokens, total_tokens, cached_input_tokens, reasoning_tokens })
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

/// A tool call the model asked for, with its arguments parsed when they are valid JSON.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct ToolCall {
    /// The item id, when the server gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The id to answer with (`ToolResult::call_id`).
    pub call_id: String,
    /// The function's name.
    pub name: String,
    /// The arguments as JSON text.
    #[serde(default)]
    pub arguments: String,
    /// The arguments parsed, or `None` when the text is not valid JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parsed_arguments: Option<Value>,
}

impl ToolCall {
    /// A tool call; `parsed_arguments` is filled from `arguments`.
    pub fn new(id: Option<String>, call_id: String, name: String, arguments: String) -> Self {
        let parsed_arguments = serde_json::from_str(&arguments).ok();
        ToolCall { id, call_id, name, arguments, parsed_arguments }
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
