//! What a model can do ([`ModelCapabilities`]).

use serde::{Deserialize, Serialize};

use crate::request::ReasoningEffort;

/// What a model supports, as `models().capabilities(model)` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct ModelCapabilities {
    /// The model slug.
    pub model: String,
    /// Whether it accepts `reasoning` settings.
    pub supports_reasoning: bool,
    /// Whether it can call tools.
    pub supports_tools: bool,
    /// Whether the server stores responses (`false` on the Codex backend).
    pub supports_store: bool,
    /// Whether it honours `response_format` / `text.format`.
    pub supports_response_format: bool,
    /// Whether it may call several tools in one turn.
    pub supports_parallel_tool_calls: bool,
    /// Whether it gives reasoning summaries.
    pub supports_reasoning_summaries: bool,
    /// Whether it accepts `text.verbosity`.
    pub supports_verbosity: bool,
    /// Whether it accepts images in the input.
    pub supports_image_input: bool,
    /// The reasoning efforts it accepts (empty when unknown).
    #[serde(default)]
    pub reasoning_efforts: Vec<ReasoningEffort>,
    /// Its default reasoning effort, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_reasoning_effort: Option<ReasoningEffort>,
    /// Its context window in tokens, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_window: Option<u64>,
}
