//! Local input-token counting with the `o200k_base` encoding (the GPT-4o / GPT-5 family's).
//!
//! The Codex backend has no `responses.input_tokens.count`, so it is computed here: exact BPE
//! counts of the text (via `tiktoken-rs`, whose vocabulary is compiled in: nothing is
//! downloaded), plus OpenAI's well-known chat-format overhead. The rule, exactly:
//!
//! * `instructions`, when present and not empty, count as a `system` message.
//! * Every message costs [`TOKENS_PER_MESSAGE`] (3) + the tokens of its role (`user`,
//!   `assistant`, `system`, `developer`: 1 each) + the tokens of its text (all text parts
//!   joined without separator; image parts and unknown parts count 0 — their cost is not
//!   knowable offline).
//! * A `function_call` item costs 3 + tokens of its name + tokens of its arguments text; a
//!   custom tool's `custom_tool_call`, 3 + tokens of its name + tokens of its input.
//! * A `function_call_output` item costs 3 + tokens of its output (text, or its text parts); a
//!   `custom_tool_call_output` with a text output, 3 + tokens of that text.
//! * A `reasoning` item costs 3 + tokens of its summary text and raw reasoning text; its
//!   `encrypted_content` is opaque and counts 0.
//! * Any other item costs 3 + tokens of its compact JSON.
//! * Every tool definition costs the tokens of its compact JSON (as sent in `tools`).
//! * The reply is primed with [`REPLY_PRIMING_TOKENS`] (3), once per request.
//!
//! Special-token text such as `<|endoftext|>` in user content is counted as ordinary text.
//! The total is close to, not always equal to, what the service bills: the server's own
//! framing of the Responses API is not published.

use codex_schema::{ContentPart, FunctionOutput, Item, ResponseCreateParams, Tool};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Tokens of framing around every message or item (`<|start|>{role}<|message|>…<|end|>`).
pub const TOKENS_PER_MESSAGE: u64 = 3;
/// Tokens that prime the reply (`<|start|>assistant<|message|>`), once per request.
pub const REPLY_PRIMING_TOKENS: u64 = 3;

/// The answer of `responses.input_tokens.count` (`object: "response.input_tokens"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputTokenCount {
    /// Always `"response.input_tokens"`.
    pub object: String,
    /// The count.
    pub input_tokens: u64,
    /// Always `true` here: the count was made locally, not by the service.
    pub counted_locally: bool,
}

impl InputTokenCount {
    fn new(input_tokens: u64) -> Self {
        InputTokenCount { object: "response.input_tokens".to_owned(), input_tokens, counted_locally: true }
    }
}

/// Loads the `o200k_base` encoder now (it is loaded once, on first use, otherwise; loading
/// takes a fraction of a second).
pub fn preload_encoder() {
    let _ = tiktoken_rs::o200k_base_singleton();
}

/// The number of `o200k_base` tokens in `text`.
///
/// ```
/// assert_eq!(codex_compat::count_text_tokens("hello world"), 2);
/// ```
pub fn count_text_tokens(text: &str) -> u64 {
    if text.is_empty() {
        return 0;
    }
    // A process-wide `LazyLock` inside tiktoken-rs: the vocabulary is parsed once.
    tiktoken_rs::o200k_base_singleton().encode_ordinary(text).len() as u64
}

fn parts_text(parts: &[ContentPart]) -> String {
    parts.iter().filter_map(ContentPart::text).collect()
}

/// The tokens one item costs, overhead included (see the module documentation).
pub fn count_item_tokens(item: &Item) -> u64 {
    let body = match item {
        Item::Message(message) => {
            count_text_tokens(message.role.as_str()) + count_text_tokens(&message.content.joined_text())
        }
        Item::FunctionCall(call) => count_text_tokens(&call.name) + count_text_tokens(&call.arguments),
        Item::FunctionCallOutput(output) => match &output.output {
            FunctionOutput::Text(text) => count_text_tokens(text),
            FunctionOutput::Parts(parts) => count_text_tokens(&parts_text(parts)),
        },
        Item::Reasoning(reasoning) => {
            count_text_tokens(&reasoning.summary_text())
                + reasoning.content.as_deref().map(|parts| count_text_tokens(&parts_text(parts))).unwrap_or(0)
        }
        other => custom_call_tokens(other)
            .unwrap_or_else(|| count_text_tokens(&serde_json::to_string(other).unwrap_or_default())),
    };
    TOKENS_PER_MESSAGE + body
}

/// The tokens of a custom tool's call (name and input) or of its text output; `None` for
/// any other item.
fn custom_call_tokens(item: &Item) -> Option<u64> {
    let Item::Unknown(raw) = item else { return None };
    let text = |key: &str| raw.get(key).and_then(serde_json::Value::as_str);
    match raw.get("type").and_then(serde_json::Value::as_str)? {
        "custom_tool_call" => Some(count_text_tokens(text("name")?) + count_text_tokens(text("input")?)),
        "custom_tool_call_output" => Some(count_text_tokens(text("output")?)),
        _ => None,
    }
}

/// The tokens a tool definition costs: those of its compact JSON.
pub fn count_tool_tokens(tool: &Tool) -> u64 {
    count_text_tokens(&serde_json::to_string(tool).unwrap_or_default())
}

/// Counts the input tokens of instructions, items and tools (see the module documentation
/// for the rule).
///
/// ```
/// use codex_compat::{count_input_tokens, REPLY_PRIMING_TOKENS, TOKENS_PER_MESSAGE};
/// use codex_schema::{Item, Message};
///
/// let items = [Item::from(Message::user("hello world"))];
/// let count = count_input_tokens(None, &items, &[]);
/// // 3 per message + "user" (1) + "hello world" (2) + 3 to prime the reply.
/// assert_eq!(count.input_tokens, TOKENS_PER_MESSAGE + 1 + 2 + REPLY_PRIMING_TOKENS);
/// assert!(count.counted_locally);
/// ```
pub fn count_input_tokens(instructions: Option<&str>, items: &[Item], tools: &[Tool]) -> InputTokenCount {
    let mut total = REPLY_PRIMING_TOKENS;
    if let Some(instructions) = instructions.filter(|text| !text.is_empty()) {
        total += TOKENS_PER_MESSAGE + count_text_tokens("system") + count_text_tokens(instructions);
    }
    total += items.iter().map(count_item_tokens).sum::<u64>();
    total += tools.iter().map(count_tool_tokens).sum::<u64>();
    InputTokenCount::new(total)
}

/// Counts a request's input tokens: its `instructions`, `input` and `tools`.
///
/// A request with `previous_response_id` needs the recorded conversation: this returns
/// [`Error::InvalidArgument`] for it; use [`crate::CompatStore::count_input_tokens`].
pub fn count_request_tokens(params: &ResponseCreateParams) -> Result<InputTokenCount> {
    if params.previous_response_id.is_some() {
        return Err(Error::invalid(
            "previous_response_id",
            "needs the recorded conversation; count with CompatStore::count_input_tokens instead",
        ));
    }
    let items = params.input.clone().into_items();
    Ok(count_input_tokens(params.instructions.as_deref(), &items, &params.tools))
}
