//! The request side: [`ResponseCreateParams`] and what it is made of.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::items::{ContentPart, Item, Message};
use crate::tagged::tagged_enum;

/// What the model is given: a string, one message, or a list of items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum Input {
    /// A plain string, read as one user message.
    Text(String),
    /// A list of items (the whole conversation so far).
    Items(Vec<Item>),
    /// A single message.
    Message(Message),
}

impl Input {
    /// The input as a list of items (a string becomes one user message with an `input_text` part).
    pub fn into_items(self) -> Vec<Item> {
        match self {
            Input::Text(text) => {
                vec![Item::Message(Message::user(vec![ContentPart::input_text(text)]))]
            }
            Input::Message(message) => vec![Item::Message(message)],
            Input::Items(items) => items,
        }
    }
}

impl Default for Input {
    fn default() -> Self {
        Input::Items(Vec::new())
    }
}

impl From<&str> for Input {
    fn from(text: &str) -> Self {
        Input::Text(text.to_owned())
    }
}

impl From<String> for Input {
    fn from(text: String) -> Self {
        Input::Text(text)
    }
}

impl From<Message> for Input {
    fn from(message: Message) -> Self {
        Input::Message(message)
    }
}

impl From<Vec<Item>> for Input {
    fn from(items: Vec<Item>) -> Self {
        Input::Items(items)
    }
}

/// A function the model may call.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct FunctionTool {
    /// The function's name.
    pub name: String,
    /// What it does, for the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A JSON Schema of its arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
    /// Whether the model must follow the schema exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
    /// Fields this crate does not model, kept as they came.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl FunctionTool {
    /// A function tool with a name, a description and a JSON Schema of its parameters.
    pub fn new(name: impl Into<String>, description: impl Into<String>, parameters: Value) -> Self {
        FunctionTool {
            name: name.into(),
            description: Some(description.into()),
            parameters: Some(parameters),
            strict: None,
            extra: Map::new(),
        }
    }

    /// Sets `strict`.
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = Some(strict);
        self
    }
}

tagged_enum! {
    /// A tool the model may use.
    #[non_exhaustive]
    pub enum Tool {
        /// `function`.
        Function(FunctionTool) = "function",
        @unknown
        /// Any other tool kind (`web_search`, `local_shell`, `custom`, …), sent as given.
        Other(Value)
    }
}

impl Tool {
    const DEFAULT_TAG: Option<&'static str> = None;

    fn from_unknown(_tag: Option<String>, raw: Value) -> Self {
        Tool::Other(raw)
    }

    fn unknown_raw(&self) -> &Value {
        match self {
            Tool::Other(raw) => raw,
            _ => &Value::Null,
        }
    }
}

impl Tool {
    /// A custom (freeform) tool: the model calls it with free-form text rather than JSON
    /// arguments (a `custom_tool_call`, answered with a `custom_tool_call_output`; see
    /// [`ToolCall::custom`](crate::ToolCall::custom)). Add a `format` (a grammar) to the
    /// value of [`Tool::Other`] directly when the input must follow one.
    ///
    /// ```
    /// use codex_schema::Tool;
    /// let tool = Tool::custom("apply_patch", "Edit files with a patch.");
    /// let json = serde_json::to_value(&tool).unwrap();
    /// assert_eq!(json, serde_json::json!({"type": "custom", "name": "apply_patch", "description": "Edit files with a patch."}));
    /// ```
    pub fn custom(name: impl Into<String>, description: impl Into<String>) -> Tool {
        Tool::Other(
            serde_json::json!({"type": "custom", "name": name.into(), "description": description.into()}),
        )
    }
}

impl From<FunctionTool> for Tool {
    fn from(tool: FunctionTool) -> Self {
        Tool::Function(tool)
    }
}

/// Whether and which tool the model must call.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ToolChoice {
    /// `"auto"`: the model decides.
    Auto,
    /// `"none"`: no tool calls.
    None,
    /// `"required"`: at least one tool call.
    Required,
    /// `{"type": "function", "name": …}`: this function.
    Function(String),
    /// Any other form, sent as given.
    Other(Value),
}

impl ToolChoice {
    fn to_json(&self) -> Value {
        match self {
            ToolChoice::Auto => Value::from("auto"),
            ToolChoice::None => Value::from("none"),
            ToolChoice::Required => Value::from("required"),
            ToolChoice::Function(name) => serde_json::json!({"type": "function", "name": name}),
            ToolChoice::Other(raw) => raw.clone(),
        }
    }

    fn from_json(value: Value) -> Self {
        match value.as_str() {
            Some("auto") => return ToolChoice::Auto,
            Some("none") => return ToolChoice::None,
            Some("required") => return ToolChoice::Required,
            _ => {}
        }
        if let Value::Object(map) = &value {
            let is_function = map.get("type").and_then(Value::as_str) == Some("function");
            if let (true, 2, Some(Value::String(name))) = (is_function, map.len(), map.get("name")) {
                return ToolChoice::Function(name.clone());
            }
        }
        ToolChoice::Other(value)
    }
}

impl Serialize for ToolChoice {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for ToolChoice {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(ToolChoice::from_json(Value::deserialize(deserializer)?))
    }
}

#[cfg(feature = "json-schema")]
impl schemars::JsonSchema for ToolChoice {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ToolChoice".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "anyOf": [
                { "enum": ["auto", "none", "required"] },
                {
                    "type": "object",
                    "properties": { "type": { "const": "function" }, "name": { "type": "string" } },
                    "required": ["type", "name"]
                },
                { "description": "Any other form, sent as given." }
            ]
        })
    }
}

/// The shape of the model's text answer; sent as `text.format`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ResponseFormat {
    /// Free text.
    Text,
    /// Any valid JSON object.
    JsonObject,
    /// JSON that follows a schema.
    JsonSchema {
        /// A name for the schema.
        name: String,
        /// The JSON Schema.
        schema: Value,
        /// Whether the model must follow the schema exactly.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        strict: Option<bool>,
        /// What the format is for.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
    },
}

/// How hard the model thinks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum ReasoningEffort {
    /// No reasoning.
    None,
    /// Minimal.
    Minimal,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Extra high.
    Xhigh,
}

/// How much of its reasoning the model summarises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum ReasoningSummary {
    /// The server picks.
    Auto,
    /// Short.
    Concise,
    /// Long.
    Detailed,
}

/// Reasoning settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct Reasoning {
    /// Effort.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effort: Option<ReasoningEffort>,
    /// Summary detail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<ReasoningSummary>,
}

impl Reasoning {
    /// Reasoning with an effort and a summary setting.
    pub fn new(effort: ReasoningEffort, summary: ReasoningSummary) -> Self {
        Reasoning { effort: Some(effort), summary: Some(summary) }
    }
}

/// How verbose the model's text is (`text.verbosity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Verbosity {
    /// Terse.
    Low,
    /// Normal.
    Medium,
    /// Wordy.
    High,
}

/// What the server does when the input is longer than the context window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Truncation {
    /// Drop items from the middle of the conversation.
    Auto,
    /// Fail with an error.
    Disabled,
}

/// The parameters of `responses.create`: OpenAI's Responses API request, plus `extra_body`.
///
/// ```
/// use codex_schema::{ReasoningEffort, ReasoningSummary, Reasoning, ResponseCreateParams};
/// let params = ResponseCreateParams::new("gpt-5.2-codex", "Explain PKCE in 3 bullets.")
///     .instructions("Answer briefly.")
///     .reasoning(Reasoning::new(ReasoningEffort::High, ReasoningSummary::Auto));
/// let body = params.to_body();
/// assert_eq!(body["model"], "gpt-5.2-codex");
/// assert_eq!(body["reasoning"]["effort"], "high");
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct ResponseCreateParams {
    /// The model slug, e.g. `gpt-5.2-codex`.
    pub model: String,
    /// The conversation.
    pub input: Input,
    /// System-level instructions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    /// Tools the model may call.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<Tool>,
    /// Which tool, if any, the model must call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
    /// Whether the model may call several tools in one turn.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parallel_tool_calls: Option<bool>,
    /// The answer's format; sent as `text.format`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_format: Option<ResponseFormat>,
    /// The answer's verbosity; sent as `text.verbosity`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verbosity: Option<Verbosity>,
    /// Reasoning settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<Reasoning>,
    /// Extra output to include, e.g. `reasoning.encrypted_content`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include: Option<Vec<String>>,
    /// Whether the server stores the response (the Codex backend requires `false`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store: Option<bool>,
    /// Sampling temperature, 0 to 2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Nucleus sampling, above 0 and at most 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    /// An upper bound on output tokens, above 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<u64>,
    /// Up to 16 string pairs attached to the response.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
    /// Processing tier (ignored with a warning: see the parameter policy).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<String>,
    /// Continue from a previous response (served locally on the Codex profile).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_response_id: Option<String>,
    /// A key that helps the server reuse its prompt cache.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt_cache_key: Option<String>,
    /// An upper bound on tool calls in one response.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tool_calls: Option<u64>,
    /// What the server does when the input is too long.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truncation: Option<Truncation>,
    /// Arbitrary JSON merged into the body last (top-level keys replace; `null` removes a key).
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub extra_body: Map<String, Value>,
}

macro_rules! setters {
    ($( $(#[$doc:meta])* $field:ident: $ty:ty ),+ $(,)?) => {
        $(
            $(#[$doc])*
            pub fn $field(mut self, value: impl Into<$ty>) -> Self {
                self.$field = Some(value.into());
                self
            }
        )+
    };
}

/// Sets `key` to `value` as JSON, when there is a value.
fn put<T: Serialize>(body: &mut Map<String, Value>, key: &str, value: &Option<T>) {
    if let Some(value) = value {
        body.insert(key.to_owned(), to_json(value));
    }
}

/// A parameter as JSON.
pub(crate) fn to_json<T: Serialize + ?Sized>(value: &T) -> Value {
    serde_json::to_value(value).expect("plain data serializes")
}

impl ResponseCreateParams {
    /// The common case: a model and an input.
    pub fn new(model: impl Into<String>, input: impl Into<Input>) -> Self {
        ResponseCreateParams { model: model.into(), input: input.into(), ..Self::default() }
    }

    setters! {
        /// Sets `instructions`.
        instructions: String,
        /// Sets `tool_choice`.
        tool_choice: ToolChoice,
        /// Sets `parallel_tool_calls`.
        parallel_tool_calls: bool,
        /// Sets `response_format`.
        response_format: ResponseFormat,
        /// Sets `text.verbosity`.
        verbosity: Verbosity,
        /// Sets `reasoning`.
        reasoning: Reasoning,
        /// Sets `include`.
        include: Vec<String>,
        /// Sets `store`.
        store: bool,
        /// Sets `temperature`.
        temperature: f64,
        /// Sets `top_p`.
        top_p: f64,
        /// Sets `max_output_tokens`.
        max_output_tokens: u64,
        /// Sets `metadata`.
        metadata: Map<String, Value>,
        /// Sets `service_tier`.
        service_tier: String,
        /// Sets `previous_response_id`.
        previous_response_id: String,
        /// Sets `prompt_cache_key`.
        prompt_cache_key: String,
        /// Sets `max_tool_calls`.
        max_tool_calls: u64,
        /// Sets `truncation`.
        truncation: Truncation,
    }

    /// Adds a tool.
    pub fn tool(mut self, tool: impl Into<Tool>) -> Self {
        self.tools.push(tool.into());
        self
    }

    /// Sets one `extra_body` key (merged into the body last).
    pub fn extra(mut self, key: impl Into<String>, value: Value) -> Self {
        self.extra_body.insert(key.into(), value);
        self
    }

    /// The generic Responses API body, in the field order the Codex CLI uses: `response_format`
    /// and `verbosity` become `text`, `extra_body` is merged last (a `null` value removes the
    /// key). No profile rules are applied here; see [`crate::policy::prepare_request`].
    pub fn to_body(&self) -> Map<String, Value> {
        let mut body = Map::new();
        body.insert("model".to_owned(), Value::String(self.model.clone()));
        put(&mut body, "instructions", &self.instructions);
        body.insert("input".to_owned(), to_json(&self.input));
        if !self.tools.is_empty() {
            body.insert("tools".to_owned(), to_json(&self.tools));
        }
        put(&mut body, "tool_choice", &self.tool_choice);
        put(&mut body, "parallel_tool_calls", &self.parallel_tool_calls);
        put(&mut body, "reasoning", &self.reasoning);
        put(&mut body, "store", &self.store);
        put(&mut body, "include", &self.include);
        put(&mut body, "prompt_cache_key", &self.prompt_cache_key);
        if let Some(text) = self.text_value() {
            body.insert("text".to_owned(), text);
        }
        put(&mut body, "temperature", &self.temperature);
        put(&mut body, "top_p", &self.top_p);
        put(&mut body, "max_output_tokens", &self.max_output_tokens);
        put(&mut body, "metadata", &self.metadata);
        put(&mut body, "service_tier", &self.service_tier);
        put(&mut body, "previous_response_id", &self.previous_response_id);
        put(&mut body, "max_tool_calls", &self.max_tool_calls);
        put(&mut body, "truncation", &self.truncation);
        for (key, value) in &self.extra_body {
            if value.is_null() {
                body.shift_remove(key);
            } else {
                body.insert(key.clone(), value.clone());
            }
        }
        body
    }

    /// The body's `text` object (`format`, `verbosity`), when either is set.
    pub(crate) fn text_value(&self) -> Option<Value> {
        if self.response_format.is_none() && self.verbosity.is_none() {
            return None;
        }
        let mut text = Map::new();
        put(&mut text, "format", &self.response_format);
        put(&mut text, "verbosity", &self.verbosity);
        Some(Value::Object(text))
    }
}
