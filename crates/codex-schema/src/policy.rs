//! Validation and shaping: the parameter policy per profile, [`ValidationMode`],
//! [`StoreBehavior`], and the Codex backend's body rules ([`shape_for_codex`]).
//!
//! The policy is a table ([`PARAMETERS`]): one row per known body parameter, saying how its value
//! is checked and whether the Codex backend accepts it. Validation runs on the final JSON body
//! (after `extra_body` is merged), so a parameter is checked the same way however it was set.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::request::ResponseCreateParams;

/// Which server the request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// The ChatGPT Codex backend (`…/backend-api/codex`): streaming only, `store: false`,
    /// `instructions` required, no sampling controls.
    #[default]
    Codex,
    /// Any server that speaks OpenAI's Responses API.
    OpenAiCompatible,
}

impl Profile {
    /// The profile a base URL implies: Codex when its path contains `/backend-api/codex`.
    pub fn from_base_url(base_url: &str) -> Profile {
        if base_url.contains("/backend-api/codex") { Profile::Codex } else { Profile::OpenAiCompatible }
    }
}

/// What to do with a parameter the policy finds fault with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ValidationMode {
    /// Go on, return a warning and log it with `tracing::warn!`.
    #[default]
    Warn,
    /// Fail with a [`ParameterValidationError`].
    Error,
    /// Go on silently.
    Ignore,
}

/// What to do with `store: true` on the Codex profile, whose backend requires `store: false`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum StoreBehavior {
    /// Send `false` instead, with a `store_auto_disabled` warning.
    #[default]
    AutoDisable,
    /// Fail with a [`ParameterValidationError`].
    Error,
    /// Send `true` anyway (the backend will refuse it).
    Passthrough,
}

/// The machine-readable code of a warning or validation error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum WarningCode {
    /// The parameter is unknown, or the profile's server does not accept it.
    UnsupportedParameter,
    /// `store: true` was changed to `false`.
    StoreAutoDisabled,
    /// `service_tier` was not sent.
    ServiceTierIgnored,
    /// `temperature` is outside [0, 2] or not a number.
    OutOfRangeTemperature,
    /// `top_p` is outside (0, 1] or not a number.
    OutOfRangeTopP,
    /// `max_output_tokens` is not a positive integer.
    InvalidMaxOutputTokens,
    /// `metadata` breaks the object/size rules.
    InvalidMetadata,
    /// `include` is not a list of known values.
    InvalidInclude,
    /// `model` is empty or not a string.
    InvalidModel,
    /// A numeric parameter is out of its range.
    OutOfRangeParameter,
    /// `store` is `true` where the server requires `false` (in `StoreBehavior::Error`).
    StoreNotSupported,
    /// An argument of a local stand-in (files, vector stores) is refused.
    InvalidArgument,
}

impl WarningCode {
    /// The code as written on the wire and in logs.
    pub fn as_str(self) -> &'static str {
        match self {
            WarningCode::UnsupportedParameter => "unsupported_parameter",
            WarningCode::StoreAutoDisabled => "store_auto_disabled",
            WarningCode::ServiceTierIgnored => "service_tier_ignored",
            WarningCode::OutOfRangeTemperature => "out_of_range_temperature",
            WarningCode::OutOfRangeTopP => "out_of_range_top_p",
            WarningCode::InvalidMaxOutputTokens => "invalid_max_output_tokens",
            WarningCode::InvalidMetadata => "invalid_metadata",
            WarningCode::InvalidInclude => "invalid_include",
            WarningCode::InvalidModel => "invalid_model",
            WarningCode::OutOfRangeParameter => "out_of_range_parameter",
            WarningCode::StoreNotSupported => "store_not_supported",
            WarningCode::InvalidArgument => "invalid_argument",
        }
    }
}

impl fmt::Display for WarningCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A problem the policy found and let pass (in [`ValidationMode::Warn`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct ValidationWarning {
    /// What kind of problem.
    pub code: WarningCode,
    /// The body parameter concerned.
    pub parameter: String,
    /// What is wrong and what was done about it.
    pub message: String,
}

/// A parameter the policy refuses (in [`ValidationMode::Error`], or `store` with
/// [`StoreBehavior::Error`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid parameter `{parameter}` ({code}): {message}")]
pub struct ParameterValidationError {
    /// What kind of problem.
    pub code: WarningCode,
    /// The body parameter concerned.
    pub parameter: String,
    /// What is wrong, the allowed values, and how to fix it.
    pub message: String,
}

/// How a parameter's value is checked.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Check {
    /// Anything goes.
    Any,
    /// A non-empty string.
    NonEmptyString(WarningCode),
    /// A number within bounds.
    Number {
        /// Lower bound.
        min: f64,
        /// Whether `min` itself is allowed.
        min_inclusive: bool,
        /// Upper bound.
        max: f64,
        /// Whether `max` itself is allowed.
        max_inclusive: bool,
        /// The code to report.
        code: WarningCode,
    },
    /// An integer above 0.
    PositiveInteger(WarningCode),
    /// An object of at most 16 string values; keys ≤ 64 chars, values ≤ 512 chars.
    Metadata,
    /// A list of known `include` values ([`KNOWN_INCLUDES`]).
    Include,
    /// `store`: a boolean, subject to [`StoreBehavior`] on the Codex profile.
    Store,
    /// `service_tier`: never sent (the seed's policy: ignored with a warning).
    ServiceTier,
}

/// One row of the parameter policy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParameterRule {
    /// The body key.
    pub name: &'static str,
    /// How its value is checked.
    pub check: Check,
    /// Whether the Codex backend accepts it (else it is not sent there, with a warning).
    pub codex_accepts: bool,
}

const fn rule(name: &'static str, check: Check, codex_accepts: bool) -> ParameterRule {
    ParameterRule { name, check, codex_accepts }
}

/// The `include` values the Responses API knows.
pub const KNOWN_INCLUDES: &[&str] = &[
    "reasoning.encrypted_content",
    "file_search_call.results",
    "web_search_call.results",
    "web_search_call.action.sources",
    "message.input_image.image_url",
    "computer_call_output.output.image_url",
    "code_interpreter_call.outputs",
    "message.output_text.logprobs",
];

/// The parameter policy: every body parameter the SDK knows, its check and its Codex support.
/// A key not in this table is an `unsupported_parameter` (warned about, refused or ignored per
/// [`ValidationMode`], and sent unless refused).
pub const PARAMETERS: &[ParameterRule] = &[
    rule("model", Check::NonEmptyString(WarningCode::InvalidModel), true),
    rule("instructions", Check::Any, true),
    rule("input", Check::Any, true),
    rule("tools", Check::Any, true),
    rule("tool_choice", Check::Any, true),
    rule("parallel_tool_calls", Check::Any, true),
    rule("reasoning", Check::Any, true),
    rule("store", Check::Store, true),
    rule("stream", Check::Any, true),
    rule("include", Check::Include, true),
    rule("prompt_cache_key", Check::Any, true),
    rule("text", Check::Any, true),
    rule("client_metadata", Check::Any, true),
    rule("service_tier", Check::ServiceTier, true),
    rule(
        "temperature",
        Check::Number {
            min: 0.0,
            min_inclusive: true,
            max: 2.0,
            max_inclusive: true,
            code: WarningCode::OutOfRangeTemperature,
        },
        false,
    ),
    rule(
        "top_p",
        Check::Number {
            min: 0.0,
            min_inclusive: false,
            max: 1.0,
            max_inclusive: true,
            code: WarningCode::OutOfRangeTopP,
        },
        false,
    ),
    rule("max_output_tokens", Check::PositiveInteger(WarningCode::InvalidMaxOutputTokens), false),
    rule("metadata", Check::Metadata, false),
    rule("previous_response_id", Check::Any, false),
    rule("max_tool_calls", Check::PositiveInteger(WarningCode::OutOfRangeParameter), false),
    rule("truncation", Check::Any, false),
    rule("max_completion_tokens", Check::PositiveInteger(WarningCode::OutOfRangeParameter), false),
    rule(
        "presence_penalty",
        Check::Number {
            min: -2.0,
            min_inclusive: true,
            max: 2.0,
            max_inclusive: true,
            code: WarningCode::OutOfRangeParameter,
        },
        false,
    ),
    rule(
        "frequency_penalty",
        Check::Number {
            min: -2.0,
            min_inclusive: true,
            max: 2.0,
            max_inclusive: true,
            code: WarningCode::OutOfRangeParameter,
        },
        false,
    ),
    rule("seed", Check::Any, false),
    rule("top_logprobs", Check::Any, false),
    rule("safety_identifier", Check::Any, false),
    rule("prompt_cache_retention", Check::Any, false),
    rule("user", Check::Any, false),
    rule("background", Check::Any, false),
    rule("conversation", Check::Any, false),
    rule("prompt", Check::Any, false),
    rule("stream_options", Check::Any, false),
];

/// The body field order of the Codex CLI; other keys follow in their own order.
const CODEX_FIELD_ORDER: &[&str] = &[
    "model",
    "instructions",
    "input",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "reasoning",
    "store",
    "stream",
    "include",
    "prompt_cache_key",
    "text",
];

/// The instructions sent on the Codex profile when the caller gives none (neither
/// `instructions` nor a system/developer message). Replace it with
/// [`RequestPolicy::default_instructions`].
pub const DEFAULT_INSTRUCTIONS: &str = "You are a helpful assistant.";

/// The settings validation and shaping follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestPolicy {
    /// Which server the body is for.
    pub profile: Profile,
    /// What to do with faults.
    pub validation_mode: ValidationMode,
    /// What to do with `store: true` on the Codex profile.
    pub store_behavior: StoreBehavior,
    /// Instructions for Codex requests that carry none.
    pub default_instructions: String,
}

impl Default for RequestPolicy {
    fn default() -> Self {
        Self::new(Profile::Codex)
    }
}

impl RequestPolicy {
    /// The default policy for a profile (warn, auto-disable store).
    pub fn new(profile: Profile) -> Self {
        RequestPolicy {
            profile,
            validation_mode: ValidationMode::default(),
            store_behavior: StoreBehavior::default(),
            default_instructions: DEFAULT_INSTRUCTIONS.to_owned(),
        }
    }

    /// Sets the validation mode.
    pub fn validation_mode(mut self, mode: ValidationMode) -> Self {
        self.validation_mode = mode;
        self
    }

    /// Sets the store behaviour.
    pub fn store_behavior(mut self, behavior: StoreBehavior) -> Self {
        self.store_behavior = behavior;
        self
    }

    /// Sets the default instructions.
    pub fn default_instructions(mut self, instructions: impl Into<String>) -> Self {
        self.default_instructions = instructions.into();
        self
    }
}

/// A validated, shaped request body and the warnings found on the way.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PreparedRequest {
    /// The JSON body to send.
    pub body: Map<String, Value>,
    /// What the policy let pass (empty unless [`ValidationMode::Warn`], except `store` and
    /// `service_tier` notices, which are warnings in every mode but `Ignore`).
    pub warnings: Vec<ValidationWarning>,
}

/// Builds the body of `params`, validates it with `policy`, and on the Codex profile shapes it
/// as the backend requires (see [`shape_for_codex`]).
///
/// ```
/// use codex_schema::{prepare_request, RequestPolicy, Profile, ResponseCreateParams, WarningCode};
/// let params = ResponseCreateParams::new("gpt-5.2-codex", "hi").temperature(0.2).store(true);
/// let prepared = prepare_request(&params, &RequestPolicy::new(Profile::Codex)).unwrap();
/// assert_eq!(prepared.body["store"], false);
/// assert_eq!(prepared.body["stream"], true);
/// assert!(prepared.body.get("temperature").is_none());
/// let codes: Vec<_> = prepared.warnings.iter().map(|w| w.code).collect();
/// assert_eq!(codes, [WarningCode::StoreAutoDisabled, WarningCode::UnsupportedParameter]); // body order
/// ```
pub fn prepare_request(
    params: &ResponseCreateParams,
    policy: &RequestPolicy,
) -> Result<PreparedRequest, ParameterValidationError> {
    let PreparedRequest { body, warnings } = validate_body(params.to_body(), policy)?;
    let body = match policy.profile {
        Profile::Codex => shape_for_codex(body, &policy.default_instructions),
        Profile::OpenAiCompatible => body,
    };
    Ok(PreparedRequest { body, warnings })
}

struct Findings {
    mode: ValidationMode,
    warnings: Vec<ValidationWarning>,
}

impl Findings {
    /// Records a fault: an error in Error mode, a warning in Warn mode, nothing in Ignore mode.
    fn fault(
        &mut self,
        code: WarningCode,
        parameter: &str,
        message: String,
    ) -> Result<(), ParameterValidationError> {
        match self.mode {
            ValidationMode::Error => {
                Err(ParameterValidationError { code, parameter: parameter.to_owned(), message })
            }
            ValidationMode::Warn => {
                self.warn(code, parameter, message);
                Ok(())
            }
            ValidationMode::Ignore => Ok(()),
        }
    }

    fn warn(&mut self, code: WarningCode, parameter: &str, message: String) {
        tracing::warn!(code = code.as_str(), parameter, "{message}");
        self.warnings.push(ValidationWarning { code, parameter: parameter.to_owned(), message });
    }
}

/// Validates a body against the policy's table. Faults are handled per [`ValidationMode`];
/// parameters the profile's server does not accept are removed (the Codex backend answers
/// `Unsupported parameter` to them).
pub fn validate_body(
    mut body: Map<String, Value>,
    policy: &RequestPolicy,
) -> Result<PreparedRequest, ParameterValidationError> {
    let mut findings = Findings { mode: policy.validation_mode, warnings: Vec::new() };
    // The keys, in order, taken before the body changes: a known one as its rule (no copy of
    // the key), an unknown one as its name.
    let keys: Vec<Result<&ParameterRule, String>> =
        body.keys().map(|key| PARAMETERS.iter().find(|r| r.name == key).ok_or_else(|| key.clone())).collect();
    for key in keys {
        let rule = match key {
            Ok(rule) => rule,
            Err(key) => {
                let message = format!(
                    "`{key}` is not a parameter this SDK knows for the {profile} profile; it is sent as given \
                     (set ValidationMode::Ignore to silence this, or remove it from extra_body)",
                    profile = profile_name(policy.profile),
                );
                findings.fault(WarningCode::UnsupportedParameter, &key, message)?;
                continue;
            }
        };
        let key = rule.name;
        match check_value(rule, &body[key], policy, &mut findings)? {
            Verdict::Keep => {}
            Verdict::Drop => {
                body.shift_remove(key);
                continue;
            }
            Verdict::Replace(value) => {
                body.insert(key.to_owned(), value);
            }
        }
        if policy.profile == Profile::Codex && !rule.codex_accepts {
            let message = format!(
                "the Codex backend rejects `{key}` (\"Unsupported parameter: {key}\"), so it was not sent; \
                 remove it, or use an OpenAI-compatible base URL"
            );
            findings.fault(WarningCode::UnsupportedParameter, key, message)?;
            body.shift_remove(key);
        }
    }
    let Findings { warnings, .. } = findings;
    Ok(PreparedRequest { body, warnings })
}

fn profile_name(profile: Profile) -> &'static str {
    match profile {
        Profile::Codex => "Codex",
        Profile::OpenAiCompatible => "OpenAI-compatible",
    }
}

/// What validation does with a key.
enum Verdict {
    Keep,
    Drop,
    Replace(Value),
}

/// Checks one value.
fn check_value(
    rule: &ParameterRule,
    value: &Value,
    policy: &RequestPolicy,
    findings: &mut Findings,
) -> Result<Verdict, ParameterValidationError> {
    let name = rule.name;
    match rule.check {
        Check::Any => {}
        Check::NonEmptyString(code) => {
            if value.as_str().is_none_or(|s| s.trim().is_empty()) {
                findings.fault(
                    code,
                    name,
                    format!("`{name}` must be a non-empty string, got {}", describe(value)),
                )?;
            }
        }
        Check::Number { min, min_inclusive, max, max_inclusive, code } => {
            let ok = value.as_f64().is_some_and(|n| {
                (if min_inclusive { n >= min } else { n > min })
                    && (if max_inclusive { n <= max } else { n < max })
            });
            if !ok {
                let range = format!(
                    "{}{min}, {max}{}",
                    if min_inclusive { "[" } else { "(" },
                    if max_inclusive { "]" } else { ")" }
                );
                findings.fault(
                    code,
                    name,
                    format!("`{name}` must be a number in {range}, got {}", describe(value)),
                )?;
            }
        }
        Check::PositiveInteger(code) => {
            if value.as_u64().is_none_or(|n| n == 0) {
                findings.fault(
                    code,
                    name,
                    format!("`{name}` must be an integer greater than 0, got {}", describe(value)),
                )?;
            }
        }
        Check::Metadata => {
            if let Some(problem) = metadata_problem(value) {
                findings.fault(
                    WarningCode::InvalidMetadata,
                    name,
                    format!(
                        "`metadata` must be an object of at most 16 string values, keys at most 64 characters \
                         and values at most 512: {problem}"
                    ),
                )?;
            }
        }
        Check::Include => {
            let problem = match value.as_array() {
                None => Some(format!("got {}", describe(value))),
                Some(list) => list.iter().find_map(|v| match v.as_str() {
                    Some(s) if KNOWN_INCLUDES.contains(&s) => None,
                    _ => Some(format!("{v} is not a known value")),
                }),
            };
            if let Some(problem) = problem {
                findings.fault(
                    WarningCode::InvalidInclude,
                    name,
                    format!("`include` must be a list of: {}; {problem}", KNOWN_INCLUDES.join(", ")),
                )?;
            }
        }
        Check::Store => {
            if !value.is_boolean() {
                findings.fault(
                    WarningCode::UnsupportedParameter,
                    name,
                    format!("`store` must be true or false, got {}", describe(value)),
                )?;
            } else if policy.profile == Profile::Codex && *value == Value::Bool(true) {
                match policy.store_behavior {
                    StoreBehavior::AutoDisable => {
                        if findings.mode != ValidationMode::Ignore {
                            findings.warn(
                                WarningCode::StoreAutoDisabled,
                                name,
                                "the Codex backend requires `store: false`; sent `false` instead of `true` \
                                 (previous_response_id is served locally)"
                                    .to_owned(),
                            );
                        }
                        return Ok(Verdict::Replace(Value::Bool(false)));
                    }
                    StoreBehavior::Error => {
                        return Err(ParameterValidationError {
                            code: WarningCode::StoreNotSupported,
                            parameter: name.to_owned(),
                            message: "the Codex backend requires `store: false`; pass `store(false)` or use \
                                      StoreBehavior::AutoDisable"
                                .to_owned(),
                        });
                    }
                    StoreBehavior::Passthrough => {}
                }
            }
        }
        Check::ServiceTier => {
            match findings.mode {
                ValidationMode::Error => {
                    return Err(ParameterValidationError {
                        code: WarningCode::ServiceTierIgnored,
                        parameter: name.to_owned(),
                        message: "`service_tier` is not supported by this SDK's profiles; remove it"
                            .to_owned(),
                    });
                }
                ValidationMode::Warn => findings.warn(
                    WarningCode::ServiceTierIgnored,
                    name,
                    format!("`service_tier` ({}) is ignored and was not sent", describe(value)),
                ),
                ValidationMode::Ignore => {}
            }
            return Ok(Verdict::Drop);
        }
    }
    Ok(Verdict::Keep)
}

fn metadata_problem(value: &Value) -> Option<String> {
    let Some(map) = value.as_object() else {
        return Some(format!("got {}", describe(value)));
    };
    if map.len() > 16 {
        return Some(format!("it has {} keys", map.len()));
    }
    map.iter().find_map(|(key, v)| {
        if key.chars().count() > 64 {
            return Some(format!(
                "key `{}…` is longer than 64 characters",
                key.chars().take(16).collect::<String>()
            ));
        }
        match v.as_str() {
            None => Some(format!("the value of `{key}` is {}, not a string", describe(v))),
            Some(s) if s.chars().count() > 512 => {
                Some(format!("the value of `{key}` is longer than 512 characters"))
            }
            Some(_) => None,
        }
    })
}

fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) if s.chars().count() <= 40 => format!("{s:?}"),
        Value::String(_) => "a long string".to_owned(),
        Value::Array(_) => "a list".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

/// Shapes a body as the Codex backend requires. Pure.
///
/// * `stream: true`; `store: false` unless already set (validation applied [`StoreBehavior`]);
/// * `input` is a list (a string becomes one user message; one message becomes a list of one);
/// * `instructions` is present: the caller's; else the first system/developer message, taken
///   out of `input`; else `default_instructions`;
/// * remaining `system` messages are sent as `developer` (the backend has no `system` role), and
///   string message content is sent as one `input_text` (or, for the assistant, `output_text`)
///   part, as the Codex CLI sends it;
/// * `include` gains `reasoning.encrypted_content` when `reasoning` is requested, so reasoning
///   survives across turns without server-side storage;
/// * item `id`s are stripped (items are not stored, so ids would dangle);
/// * keys follow the Codex CLI's field order.
pub fn shape_for_codex(mut body: Map<String, Value>, default_instructions: &str) -> Map<String, Value> {
    insert_in_order(&mut body, "stream", Value::Bool(true));
    if !body.contains_key("store") {
        insert_in_order(&mut body, "store", Value::Bool(false));
    }

    // Taken out in place (its key keeps its position), put back below.
    let input = body.get_mut("input").map(Value::take);
    let has_instructions = body.get("instructions").and_then(Value::as_str).is_some_and(|s| !s.is_empty());
    let (items, instructions) = codex_input(input, has_instructions, default_instructions);
    if let Some(instructions) = instructions {
        insert_in_order(&mut body, "instructions", Value::String(instructions));
    }
    insert_in_order(&mut body, "input", Value::Array(items));

    if body.get("reasoning").is_some_and(|r| !r.is_null()) {
        if !body.contains_key("include") {
            insert_in_order(&mut body, "include", Value::Array(Vec::new()));
        }
        if let Some(Value::Array(list)) = body.get_mut("include") {
            let wanted = Value::from("reasoning.encrypted_content");
            if !list.contains(&wanted) {
                list.push(wanted);
            }
        }
    }

    // The keys added above went to their places, so a body built in this order (as
    // `ResponseCreateParams::to_body` builds it) is already in order. Otherwise one pass, keys
    // moved rather than copied: the known fields into their places, the others after them in
    // the order they came.
    if body.keys().map(|key| codex_rank(key)).is_sorted() {
        return body;
    }
    let mut known: [Option<(String, Value)>; CODEX_FIELD_ORDER.len()] = Default::default();
    let mut others = Vec::new();
    for (key, value) in body {
        match codex_position(&key) {
            Some(index) => known[index] = Some((key, value)),
            None => others.push((key, value)),
        }
    }
    let mut ordered = Map::with_capacity(CODEX_FIELD_ORDER.len() + others.len());
    ordered.extend(known.into_iter().flatten());
    ordered.extend(others);
    ordered
}

/// The input as the backend takes it, a list of items (a text becomes one user message), and,
/// when the body has no instructions, those to send: the first system or developer message,
/// taken out of the input, else `default_instructions`.
fn codex_input(
    input: Option<Value>,
    has_instructions: bool,
    default_instructions: &str,
) -> (Vec<Value>, Option<String>) {
    // A text input becomes one user message, built as `shape_item` would leave it.
    let (mut items, normalized) = match input {
        None | Some(Value::Null) => (Vec::new(), true),
        Some(Value::String(text)) => (vec![user_text_message(text)], true),
        Some(Value::Array(items)) => (items, false),
        Some(single) => (vec![single], false),
    };
    let instructions = (!has_instructions).then(|| {
        let position = items.iter().position(|item| {
            is_message(item)
                && matches!(item.get("role").and_then(Value::as_str), Some("system" | "developer"))
        });
        match position {
            Some(index) => joined_text(&items.remove(index)),
            None => default_instructions.to_owned(),
        }
    });
    if !normalized {
        items.iter_mut().for_each(shape_item);
    }
    (items, instructions)
}

/// [`prepare_request`]'s body on the Codex profile, serialized straight from `params` without
/// the JSON map that validation and shaping work on, for the parameters most calls set: the
/// very bytes `serde_json::to_vec` makes of `prepare_request`'s body, which has no warnings for
/// them. `None` when a parameter needs validation's judgement: `extra_body`, an empty model,
/// `store: true`, an `include` value the API does not know, or any parameter the Codex
/// backend does not take (`temperature`, `top_p`, `max_output_tokens`, `metadata`,
/// `service_tier`, `previous_response_id`, `max_tool_calls`, `truncation`); then
/// [`prepare_request`] is the way.
///
/// ```
/// use codex_schema::{Profile, RequestPolicy, ResponseCreateParams, codex_body_bytes, prepare_request};
/// let params = ResponseCreateParams::new("gpt-5.2-codex", "Say hi.");
/// let policy = RequestPolicy::new(Profile::Codex);
/// let bytes = codex_body_bytes(&params, &policy).unwrap();
/// let prepared = prepare_request(&params, &policy).unwrap();
/// assert_eq!(bytes, serde_json::to_vec(&prepared.body).unwrap());
/// assert!(codex_body_bytes(&params.clone().temperature(0.2), &policy).is_none());
/// ```
pub fn codex_body_bytes(params: &ResponseCreateParams, policy: &RequestPolicy) -> Option<Vec<u8>> {
    use crate::request::{Input, to_json};

    // Every parameter named, so that a new one cannot be forgotten here: each is written
    // below, or needs judgement (then the general path takes the request).
    let ResponseCreateParams {
        model,
        input,
        instructions,
        tools,
        tool_choice,
        parallel_tool_calls,
        response_format: _,
        verbosity: _,
        reasoning,
        include,
        store,
        temperature,
        top_p,
        max_output_tokens,
        metadata,
        service_tier,
        previous_response_id,
        prompt_cache_key,
        max_tool_calls,
        truncation,
        extra_body,
    } = params;
    let fits = policy.profile == Profile::Codex
        && extra_body.is_empty()
        && !model.trim().is_empty()
        && *store != Some(true)
        && include.iter().flatten().all(|value| KNOWN_INCLUDES.contains(&value.as_str()))
        && temperature.is_none()
        && top_p.is_none()
        && max_output_tokens.is_none()
        && metadata.is_none()
        && service_tier.is_none()
        && previous_response_id.is_none()
        && max_tool_calls.is_none()
        && truncation.is_none();
    if !fits {
        return None;
    }
    let has_instructions = instructions.as_deref().is_some_and(|s| !s.is_empty());
    let (input, derived) = match input {
        // One user message, with no instructions in it.
        Input::Text(text) => {
            (CodexInput::Text(text), (!has_instructions).then(|| policy.default_instructions.clone()))
        }
        other => {
            let (items, derived) =
                codex_input(Some(to_json(other)), has_instructions, &policy.default_instructions);
            (CodexInput::Items(items), derived)
        }
    };
    let include = match (include, reasoning.is_some()) {
        (include, true) => {
            let mut list: Vec<&str> = include.iter().flatten().map(String::as_str).collect();
            if !list.contains(&"reasoning.encrypted_content") {
                list.push("reasoning.encrypted_content");
            }
            Some(list)
        }
        (include, false) => include.as_ref().map(|list| list.iter().map(String::as_str).collect()),
    };
    let body = CodexBody {
        model,
        instructions: derived.as_deref().or(instructions.as_deref()).unwrap_or_default(),
        input,
        tools: (!tools.is_empty()).then(|| to_json(tools)),
        tool_choice: tool_choice.as_ref().map(to_json),
        parallel_tool_calls: *parallel_tool_calls,
        reasoning: reasoning.as_ref().map(to_json),
        store: false,
        stream: true,
        include,
        prompt_cache_key: prompt_cache_key.as_deref(),
        // `response_format` and `verbosity`, as `to_body` writes them.
        text: params.text_value(),
    };
    Some(serde_json::to_vec(&body).expect("JSON values serialize"))
}

/// The Codex body [`codex_body_bytes`] writes: the fields of [`CODEX_FIELD_ORDER`], in that
/// order, each as `prepare_request` makes it.
#[derive(Serialize)]
struct CodexBody<'a> {
    model: &'a str,
    instructions: &'a str,
    input: CodexInput<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tools: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_choice: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parallel_tool_calls: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning: Option<Value>,
    store: bool,
    stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    include: Option<Vec<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    prompt_cache_key: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<Value>,
}

/// The input of a [`CodexBody`]: a text, written as the one user message it stands for (as
/// `user_text_message` builds it), or the items as shaped.
enum CodexInput<'a> {
    Text(&'a str),
    Items(Vec<Value>),
}

impl Serialize for CodexInput<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Part<'a> {
            r#type: &'static str,
            text: &'a str,
        }
        #[derive(Serialize)]
        struct UserMessage<'a> {
            r#type: &'static str,
            role: &'static str,
            content: [Part<'a>; 1],
        }
        match self {
            CodexInput::Text(text) => [UserMessage {
                r#type: "message",
                role: "user",
                content: [Part { r#type: "input_text", text }],
            }]
            .serialize(serializer),
            CodexInput::Items(items) => items.serialize(serializer),
        }
    }
}

/// One input item as the backend takes it: no `id`; a message has its `type`, `developer`
/// for `system`, and its text content as one text part.
fn shape_item(item: &mut Value) {
    let Value::Object(map) = item else { return };
    map.shift_remove("id");
    if is_message_map(map) {
        map.entry("type").or_insert_with(|| Value::from("message"));
        if map.get("role").and_then(Value::as_str) == Some("system") {
            map.insert("role".to_owned(), Value::from("developer"));
        }
        if let Some(Value::String(text)) = map.get("content") {
            let kind = if map.get("role").and_then(Value::as_str) == Some("assistant") {
                "output_text"
            } else {
                "input_text"
            };
            let part = serde_json::json!([{"type": kind, "text": text}]);
            map.insert("content".to_owned(), part);
        }
    }
}

/// `{"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}`:
/// a text input, already as [`shape_item`] leaves an item.
fn user_text_message(text: String) -> Value {
    let mut part = Map::with_capacity(2);
    part.insert("type".to_owned(), Value::from("input_text"));
    part.insert("text".to_owned(), Value::String(text));
    let mut message = Map::with_capacity(3);
    message.insert("type".to_owned(), Value::from("message"));
    message.insert("role".to_owned(), Value::from("user"));
    message.insert("content".to_owned(), Value::Array(vec![Value::Object(part)]));
    Value::Object(message)
}

/// A key's place in [`CODEX_FIELD_ORDER`], if it has one.
fn codex_position(key: &str) -> Option<usize> {
    CODEX_FIELD_ORDER.iter().position(|known| *known == key)
}

/// A key's rank for ordering: its place in [`CODEX_FIELD_ORDER`]; others come after every
/// known one.
fn codex_rank(key: &str) -> usize {
    codex_position(key).unwrap_or(usize::MAX)
}

/// Sets `key` where it is, or inserts it before the first key that comes after it in
/// [`CODEX_FIELD_ORDER`].
fn insert_in_order(body: &mut Map<String, Value>, key: &str, value: Value) {
    if let Some(slot) = body.get_mut(key) {
        *slot = value;
        return;
    }
    let rank = codex_rank(key);
    let index = body.keys().position(|other| codex_rank(other) > rank).unwrap_or(body.len());
    body.shift_insert(index, key.to_owned(), value);
}

fn is_message(item: &Value) -> bool {
    item.as_object().is_some_and(is_message_map)
}

fn is_message_map(map: &Map<String, Value>) -> bool {
    match map.get("type") {
        Some(t) => t == "message",
        None => map.contains_key("role"),
    }
}

fn joined_text(item: &Value) -> String {
    match item.get("content") {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(parts)) => {
            parts.iter().filter_map(|p| p.get("text").and_then(Value::as_str)).collect::<Vec<_>>().join("\n")
        }
        _ => String::new(),
    }
}
