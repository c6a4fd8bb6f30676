//! The request error model: [`SdkRequestError`] with a typed [`ErrorKind`], built from any
//! error body shape the services use.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hyper::HeaderMap;
use serde_json::Value;

/// The most of an error body kept in [`SdkRequestError::raw_error`].
const RAW_ERROR_LIMIT: usize = 4096;

/// What went wrong, typed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The credentials were refused (401, or 403 for the account) and recovery did not help.
    Auth,
    /// Too many requests; `retry_after` is when the server said to come back.
    RateLimited {
        /// The server's suggested delay.
        retry_after: Option<Duration>,
    },
    /// The plan's usage limit is reached (or the plan does not include Codex). Not retryable
    /// before `resets_at`.
    UsageLimit {
        /// When the limit resets, Unix seconds.
        resets_at: Option<u64>,
        /// The account's plan.
        plan_type: Option<String>,
    },
    /// The input does not fit the model's context window.
    ContextWindowExceeded,
    /// The server refused the request as invalid (400, other 4xx).
    InvalidRequest,
    /// The resource does not exist (404).
    NotFound,
    /// The model is at capacity (503 `server_is_overloaded` / `slow_down`).
    ServerOverloaded,
    /// The server failed (5xx).
    Server,
    /// The connection failed or broke.
    Network,
    /// A timeout: connect, whole request, or stream idle.
    Timeout,
    /// The stream ended before the response did.
    StreamClosedEarly,
    /// A body or event could not be decoded.
    Decode,
}

impl ErrorKind {
    /// A short stable name (`auth`, `rate_limited`, …) for logs and hooks.
    pub fn name(&self) -> &'static str {
        match self {
            ErrorKind::Auth => "auth",
            ErrorKind::RateLimited { .. } => "rate_limited",
            ErrorKind::UsageLimit { .. } => "usage_limit",
            ErrorKind::ContextWindowExceeded => "context_window_exceeded",
            ErrorKind::InvalidRequest => "invalid_request",
            ErrorKind::NotFound => "not_found",
            ErrorKind::ServerOverloaded => "server_overloaded",
            ErrorKind::Server => "server",
            ErrorKind::Network => "network",
            ErrorKind::Timeout => "timeout",
            ErrorKind::StreamClosedEarly => "stream_closed_early",
            ErrorKind::Decode => "decode",
        }
    }
}

/// A failed request, with what a program needs to react and what a person needs to read.
///
/// The details live in one allocation (so `Result<T, SdkRequestError>` stays small on the
/// happy path) and are read as fields through `Deref`: `error.kind`, `error.status_code`,
/// `error.provider_code`, `error.user_message`, `error.retryable`, `error.request_id`,
/// `error.raw_error`.
///
/// Never holds a secret: bodies come from the server, and request headers are never copied in.
#[derive(Clone, PartialEq)]
pub struct SdkRequestError(Box<ErrorDetails>);

/// The fields of an [`SdkRequestError`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ErrorDetails {
    /// What went wrong.
    pub kind: ErrorKind,
    /// The HTTP status, when there was a response.
    pub status_code: Option<u16>,
    /// The service's error code (`usage_limit_reached`, `context_length_exceeded`, …).
    pub provider_code: Option<String>,
    /// A message a person can act on.
    pub user_message: String,
    /// Whether the same request may succeed later.
    pub retryable: bool,
    /// The server's request id (`x-request-id`/`x-oai-request-id`), else the one this client
    /// generated and sent as `x-client-request-id`.
    pub request_id: Option<String>,
    /// The error body as received (at most 4 KiB).
    pub raw_error: Option<String>,
}

impl std::ops::Deref for SdkRequestError {
    type Target = ErrorDetails;

    fn deref(&self) -> &ErrorDetails {
        &self.0
    }
}

impl std::ops::DerefMut for SdkRequestError {
    fn deref_mut(&mut self) -> &mut ErrorDetails {
        &mut self.0
    }
}

impl fmt::Debug for SdkRequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for SdkRequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.user_message)?;
        let mut details = Vec::new();
        if let Some(status) = self.status_code {
            details.push(format!("HTTP {status}"));
        }
        if let Some(code) = &self.provider_code {
            details.push(code.clone());
        }
        if let Some(id) = &self.request_id {
            details.push(format!("request {id}"));
        }
        if !details.is_empty() {
            write!(f, " ({})", details.join(", "))?;
        }
        Ok(())
    }
}

impl std::error::Error for SdkRequestError {}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Formats a wait as "3h 51m", "4m 10s" or "12s".
pub(crate) fn human_wait(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, (seconds % 3600) / 60, seconds % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m {s}s"),
        _ => format!("{h}h {m}m"),
    }
}

/// What an error body says, whatever its shape.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct ErrorBody {
    pub(crate) code: Option<String>,
    pub(crate) kind: Option<String>,
    pub(crate) message: Option<String>,
    pub(crate) plan_type: Option<String>,
    pub(crate) resets_at: Option<u64>,
    pub(crate) resets_in_seconds: Option<u64>,
}

fn string(value: Option<&Value>) -> Option<String> {
    value.and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned)
}

impl ErrorBody {
    /// Reads `{"error": {…}}`, `{"error": "…", "error_description": "…"}`, `{"detail": …}`,
    /// top-level `code`/`message`, or plain text.
    pub(crate) fn parse(body: &[u8]) -> ErrorBody {
        let Ok(value) = serde_json::from_slice::<Value>(body) else {
            let text = String::from_utf8_lossy(body).trim().to_owned();
            return ErrorBody { message: (!text.is_empty()).then_some(text), ..ErrorBody::default() };
        };
        let mut out = ErrorBody::default();
        match value.get("error") {
            Some(error @ Value::Object(_)) => {
                out.code = string(error.get("code"));
                out.kind = string(error.get("type"));
                out.message = string(error.get("message"));
                out.plan_type = string(error.get("plan_type"));
                out.resets_at = error.get("resets_at").and_then(Value::as_u64);
                out.resets_in_seconds = error.get("resets_in_seconds").and_then(Value::as_u64);
            }
            Some(Value::String(code)) => {
                out.code = Some(code.clone());
                out.message = string(value.get("error_description"));
            }
            _ => {}
        }
        if out.message.is_none() {
            out.message = match value.get("detail") {
                Some(Value::String(text)) => Some(text.clone()),
                Some(detail @ (Value::Array(_) | Value::Object(_))) => Some(detail.to_string()),
                _ => string(value.get("message")),
            };
        }
        if out.code.is_none() {
            out.code = string(value.get("code"));
        }
        out
    }

    /// Reads the `x-error-json` header (base64 JSON with `error.code`), when present.
    pub(crate) fn from_header(headers: &HeaderMap) -> Option<ErrorBody> {
        let encoded = headers.get("x-error-json")?.to_str().ok()?;
        let decoded = STANDARD.decode(encoded.trim()).ok()?;
        Some(ErrorBody::parse(&decoded))
    }

    /// The provider code: `error.code`, else `error.type` (usage limits put it there).
    pub(crate) fn provider_code(&self) -> Option<String> {
        self.code.clone().or_else(|| self.kind.clone())
    }
}

impl SdkRequestError {
    fn new(kind: ErrorKind, user_message: impl Into<String>, retryable: bool) -> Self {
        SdkRequestError(Box::new(ErrorDetails {
            kind,
            status_code: None,
            provider_code: None,
            user_message: user_message.into(),
            retryable,
            request_id: None,
            raw_error: None,
        }))
    }

    /// The connection failed or broke.
    pub fn network(detail: impl fmt::Display) -> Self {
        Self::new(ErrorKind::Network, format!("could not reach the server: {detail}"), true)
    }

    /// A timeout.
    pub fn timeout(what: &str, after: Duration) -> Self {
        Self::new(ErrorKind::Timeout, format!("{what} timed out after {after:?}"), true)
    }

    /// The stream ended before the response did.
    pub fn stream_closed_early(detail: impl fmt::Display) -> Self {
        Self::new(
            ErrorKind::StreamClosedEarly,
            format!(
                "the response stream ended before the response was complete ({detail}); retry the request"
            ),
            true,
        )
    }

    /// A body or event could not be decoded.
    pub fn decode(detail: impl fmt::Display) -> Self {
        Self::new(ErrorKind::Decode, format!("could not decode the server's answer: {detail}"), false)
    }

    /// The request was refused before sending, with a message naming the fix.
    pub fn invalid_request(user_message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidRequest, user_message, false)
    }

    /// An error answered by a local stand-in as a server would (404 `not_found`, 400, 500).
    pub fn local(status: u16, provider_code: &str, user_message: impl Into<String>) -> Self {
        let (kind, retryable) = match status {
            404 => (ErrorKind::NotFound, false),
            400..=499 => (ErrorKind::InvalidRequest, false),
            _ => (ErrorKind::Server, false),
        };
        let mut error = Self::new(kind, user_message, retryable);
        error.status_code = Some(status);
        error.provider_code = Some(provider_code.to_owned());
        error
    }

    /// Credentials are missing or cannot be recovered (used by authenticators).
    pub fn auth(user_message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Auth, user_message, false)
    }

    /// Sets the request id.
    pub fn with_request_id(mut self, request_id: Option<String>) -> Self {
        self.request_id = request_id;
        self
    }

    /// Marks the error retryable or not.
    pub fn with_retryable(mut self, retryable: bool) -> Self {
        self.retryable = retryable;
        self
    }

    /// An error the service reported inside a stream (`response.failed`, an `error` event),
    /// classified by its code as the Codex CLI does.
    pub fn from_provider(code: Option<&str>, message: &str) -> Self {
        let lower = code.map(str::to_ascii_lowercase);
        let (kind, retryable) = match lower.as_deref() {
            Some("context_length_exceeded") => (ErrorKind::ContextWindowExceeded, false),
            Some("insufficient_quota" | "usage_limit_reached" | "usage_not_included") => {
                (ErrorKind::UsageLimit { resets_at: None, plan_type: None }, false)
            }
            Some("invalid_prompt" | "bio_policy" | "cyber_policy" | "invalid_request_error") => {
                (ErrorKind::InvalidRequest, false)
            }
            Some("server_is_overloaded" | "slow_down") => (ErrorKind::ServerOverloaded, true),
            Some("rate_limit_exceeded") => {
                (ErrorKind::RateLimited { retry_after: parse_try_again_in(message) }, true)
            }
            _ => (ErrorKind::Server, true),
        };
        let user_message = match kind {
            ErrorKind::ContextWindowExceeded => format!(
                "the input does not fit the model's context window; shorten the conversation ({message})"
            ),
            _ if message.is_empty() => "the response failed without a message".to_owned(),
            _ => message.to_owned(),
        };
        let mut error = Self::new(kind, user_message, retryable);
        error.provider_code = code.map(str::to_owned);
        error
    }

    /// Classifies an error response.
    pub fn from_response(status: u16, headers: &HeaderMap, body: &[u8], request_id: Option<String>) -> Self {
        let mut parsed = ErrorBody::parse(body);
        if let Some(header) = ErrorBody::from_header(headers) {
            if parsed.code.is_none() {
                parsed.code = header.code.clone();
            }
            if parsed.message.is_none() {
                parsed.message = header.message;
            }
        }
        let provider_code = parsed.provider_code();
        let lower = provider_code.as_deref().map(str::to_ascii_lowercase);
        let server_message = parsed.message.clone().unwrap_or_else(|| format!("HTTP {status}"));
        let retry_after = crate::retry::server_delay(headers);
        let (kind, retryable, user_message) = match (status, lower.as_deref()) {
            (401, _) => (
                ErrorKind::Auth,
                false,
                format!(
                    "the server refused the credentials ({server_message}); sign in again with `oauth-codex login`"
                ),
            ),
            (403, _) if server_message.to_ascii_lowercase().contains("cloudflare") => (
                ErrorKind::Auth,
                false,
                "access blocked by Cloudflare; try again from another network or later".to_owned(),
            ),
            (403, _) => (ErrorKind::Auth, false, format!("the server refused access: {server_message}")),
            (404, _) => (ErrorKind::NotFound, false, format!("not found: {server_message}")),
            (408, _) => (ErrorKind::Timeout, true, format!("the server timed out: {server_message}")),
            (429, Some("usage_limit_reached")) => {
                let resets_at = parsed.resets_at.or_else(|| parsed.resets_in_seconds.map(|s| now_secs() + s));
                let wait = resets_at.map(|at| human_wait(at.saturating_sub(now_secs())));
                let plan = parsed.plan_type.clone().unwrap_or_else(|| "current".to_owned());
                let message = match wait {
                    Some(wait) => format!(
                        "you've hit the usage limit of your {plan} plan; try again in {wait}, or see \
                         https://chatgpt.com/codex/settings/usage"
                    ),
                    None => format!(
                        "you've hit the usage limit of your {plan} plan; see https://chatgpt.com/codex/settings/usage"
                    ),
                };
                (ErrorKind::UsageLimit { resets_at, plan_type: parsed.plan_type.clone() }, false, message)
            }
            (429, Some("usage_not_included")) => (
                ErrorKind::UsageLimit { resets_at: None, plan_type: parsed.plan_type.clone() },
                false,
                "to use Codex with your ChatGPT plan, upgrade to Plus: https://chatgpt.com/explore/plus"
                    .to_owned(),
            ),
            (429, _) => {
                (ErrorKind::RateLimited { retry_after }, true, format!("rate limited: {server_message}"))
            }
            (400, Some("context_length_exceeded")) => (
                ErrorKind::ContextWindowExceeded,
                false,
                format!(
                    "the input does not fit the model's context window; shorten the conversation ({server_message})"
                ),
            ),
            (503, Some("server_is_overloaded" | "slow_down")) => (
                ErrorKind::ServerOverloaded,
                true,
                "the selected model is at capacity; try again later or pick another model".to_owned(),
            ),
            (500..=599, _) => (ErrorKind::Server, true, format!("the server failed: {server_message}")),
            _ => (
                ErrorKind::InvalidRequest,
                false,
                format!("the server refused the request: {server_message}"),
            ),
        };
        let raw = String::from_utf8_lossy(body);
        let raw_error = (!raw.is_empty()).then(|| {
            let mut end = raw.len().min(RAW_ERROR_LIMIT);
            while !raw.is_char_boundary(end) {
                end -= 1;
            }
            raw[..end].to_owned()
        });
        SdkRequestError(Box::new(ErrorDetails {
            kind,
            status_code: Some(status),
            provider_code,
            user_message,
            retryable,
            request_id,
            raw_error,
        }))
    }
}

/// Reads "try again in 2s", "1.5 seconds", "250ms" from a message.
pub(crate) fn parse_try_again_in(message: &str) -> Option<Duration> {
    let lower = message.to_ascii_lowercase();
    let rest = &lower[lower.find("try again in ")? + "try again in ".len()..];
    let number: String = rest.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    let value: f64 = number.parse().ok()?;
    let unit = rest[number.len()..].trim_start();
    let seconds =
        if unit.starts_with("ms") || unit.starts_with("millisecond") { value / 1000.0 } else { value };
    Duration::try_from_secs_f64(seconds).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn try_again_in() {
        assert_eq!(parse_try_again_in("Please try again in 2s."), Some(Duration::from_secs(2)));
        assert_eq!(parse_try_again_in("try again in 250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_try_again_in("Try again in 1.5 seconds"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_try_again_in("no hint"), None);
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn every_error_body_shape() {
        let openai = SdkRequestError::from_response(
            400,
            &HeaderMap::new(),
            br#"{"error":{"message":"Your input exceeds the context window","type":"invalid_request_error","code":"context_length_exceeded"}}"#,
            None,
        );
        assert_eq!(openai.kind.clone(), ErrorKind::ContextWindowExceeded);
        assert_eq!(openai.provider_code.as_deref(), Some("context_length_exceeded"));

        let fastapi = SdkRequestError::from_response(
            400,
            &HeaderMap::new(),
            br#"{"detail":"Store must be set to false"}"#,
            None,
        );
        assert_eq!(fastapi.kind.clone(), ErrorKind::InvalidRequest);
        assert!(fastapi.user_message.contains("Store must be set to false"));

        let oauth = SdkRequestError::from_response(
            400,
            &HeaderMap::new(),
            br#"{"error":"invalid_grant","error_description":"bad code"}"#,
            None,
        );
        assert_eq!(oauth.provider_code.as_deref(), Some("invalid_grant"));
        assert!(oauth.user_message.contains("bad code"));

        let text = SdkRequestError::from_response(502, &HeaderMap::new(), b"<html>Bad Gateway</html>", None);
        assert_eq!((text.kind.clone(), text.retryable), (ErrorKind::Server, true));
        assert!(text.user_message.contains("Bad Gateway"));

        let header_json = STANDARD.encode(br#"{"error":{"code":"cyber_policy","message":"blocked"}}"#);
        let from_header =
            SdkRequestError::from_response(400, &headers(&[("x-error-json", &header_json)]), b"", None);
        assert_eq!(from_header.provider_code.as_deref(), Some("cyber_policy"));
        assert!(from_header.user_message.contains("blocked"));

        let cloudflare = SdkRequestError::from_response(
            403,
            &HeaderMap::new(),
            b"Sorry, you have been blocked by Cloudflare",
            None,
        );
        assert!(cloudflare.user_message.contains("Cloudflare"));

        let timeout = SdkRequestError::from_response(408, &HeaderMap::new(), b"", None);
        assert_eq!(
            (timeout.kind.clone(), timeout.retryable, timeout.raw_error.clone()),
            (ErrorKind::Timeout, true, None)
        );

        let huge = vec![b'x'; 10_000];
        let cut = SdkRequestError::from_response(500, &HeaderMap::new(), &huge, None);
        assert_eq!(cut.raw_error.clone().unwrap().len(), RAW_ERROR_LIMIT);
    }

    #[test]
    fn provider_errors_from_streams() {
        let rate = SdkRequestError::from_provider(Some("rate_limit_exceeded"), "Please try again in 2s.");
        assert_eq!(rate.kind.clone(), ErrorKind::RateLimited { retry_after: Some(Duration::from_secs(2)) });
        assert!(rate.retryable);
        let context = SdkRequestError::from_provider(Some("context_length_exceeded"), "too long");
        assert_eq!((context.kind.clone(), context.retryable), (ErrorKind::ContextWindowExceeded, false));
        let other = SdkRequestError::from_provider(None, "boom");
        assert_eq!((other.kind.clone(), other.retryable), (ErrorKind::Server, true));
    }

    #[test]
    fn display_has_the_details() {
        let error = SdkRequestError::from_response(
            429,
            &HeaderMap::new(),
            br#"{"error":{"type":"usage_not_included"}}"#,
            Some("req_1".into()),
        );
        assert_eq!(
            error.to_string(),
            "to use Codex with your ChatGPT plan, upgrade to Plus: https://chatgpt.com/explore/plus (HTTP 429, usage_not_included, request req_1)"
        );
    }

    #[test]
    fn waits_read_well() {
        assert_eq!(human_wait(13_872), "3h 51m");
        assert_eq!(human_wait(250), "4m 10s");
        assert_eq!(human_wait(9), "9s");
    }
}
