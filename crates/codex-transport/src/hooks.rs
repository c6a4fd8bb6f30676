//! Observability hooks: `on_request_start`, `on_request_end`, `on_auth_refresh`, `on_error`.
//!
//! Each hook is a closure receiving a typed event. Payloads never carry a secret (no header
//! values, no bodies). A panicking hook is caught and logged; it never breaks the request.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Duration;

/// A request attempt is about to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestStart {
    /// The client-generated request id (`x-client-request-id`).
    pub request_id: String,
    /// `GET`, `POST`, …
    pub method: String,
    /// The URL path.
    pub path: String,
    /// The model, when the caller said.
    pub model: Option<String>,
    /// 1 for the first attempt.
    pub attempt: u32,
}

/// A request attempt got its answer (or failed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestEnd {
    /// The client-generated request id.
    pub request_id: String,
    /// `GET`, `POST`, …
    pub method: String,
    /// The URL path.
    pub path: String,
    /// The model, when the caller said.
    pub model: Option<String>,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// The HTTP status, when a response arrived.
    pub status: Option<u16>,
    /// Time from sending to the response head (streams go on after this).
    pub duration: Duration,
}

/// The authenticator was asked to recover after a 401.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthRefresh {
    /// The client-generated request id.
    pub request_id: String,
    /// The attempt that got the 401.
    pub attempt: u32,
    /// Whether recovery succeeded.
    pub success: bool,
}

/// An attempt failed (whether or not it will be retried).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorEvent {
    /// The client-generated request id.
    pub request_id: String,
    /// `GET`, `POST`, …
    pub method: String,
    /// The URL path.
    pub path: String,
    /// The model, when the caller said.
    pub model: Option<String>,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// The HTTP status, when a response arrived.
    pub status: Option<u16>,
    /// The service's error code.
    pub provider_code: Option<String>,
    /// The error kind's name (`rate_limited`, `network`, …).
    pub kind: &'static str,
    /// Whether the error is retryable.
    pub retryable: bool,
}

type Hook<E> = Arc<dyn Fn(&E) + Send + Sync>;

/// The four hooks; each is optional.
#[derive(Clone, Default)]
pub struct Hooks {
    on_request_start: Option<Hook<RequestStart>>,
    on_request_end: Option<Hook<RequestEnd>>,
    on_auth_refresh: Option<Hook<AuthRefresh>>,
    on_error: Option<Hook<ErrorEvent>>,
}

impl fmt::Debug for Hooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hooks")
            .field("on_request_start", &self.on_request_start.is_some())
            .field("on_request_end", &self.on_request_end.is_some())
            .field("on_auth_refresh", &self.on_auth_refresh.is_some())
            .field("on_error", &self.on_error.is_some())
            .finish()
    }
}

/// Calls `hook`, when set, with the event `make` builds: an event copies ids and paths, which
/// a request would otherwise pay for with no hook listening.
fn fire<E>(name: &str, hook: &Option<Hook<E>>, make: impl FnOnce() -> E) {
    if let Some(hook) = hook {
        let event = make();
        if catch_unwind(AssertUnwindSafe(|| hook(&event))).is_err() {
            tracing::warn!(hook = name, "a hook panicked; the request goes on");
        }
    }
}

impl Hooks {
    /// No hooks.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `on_request_start`.
    pub fn on_request_start(mut self, hook: impl Fn(&RequestStart) + Send + Sync + 'static) -> Self {
        self.on_request_start = Some(Arc::new(hook));
        self
    }

    /// Sets `on_request_end`.
    pub fn on_request_end(mut self, hook: impl Fn(&RequestEnd) + Send + Sync + 'static) -> Self {
        self.on_request_end = Some(Arc::new(hook));
        self
    }

    /// Sets `on_auth_refresh`.
    pub fn on_auth_refresh(mut self, hook: impl Fn(&AuthRefresh) + Send + Sync + 'static) -> Self {
        self.on_auth_refresh = Some(Arc::new(hook));
        self
    }

    /// Sets `on_error`.
    pub fn on_error(mut self, hook: impl Fn(&ErrorEvent) + Send + Sync + 'static) -> Self {
        self.on_error = Some(Arc::new(hook));
        self
    }

    pub(crate) fn request_start(&self, make: impl FnOnce() -> RequestStart) {
        fire("on_request_start", &self.on_request_start, make);
    }

    pub(crate) fn request_end(&self, make: impl FnOnce() -> RequestEnd) {
        fire("on_request_end", &self.on_request_end, make);
    }

    pub(crate) fn auth_refresh(&self, make: impl FnOnce() -> AuthRefresh) {
        fire("on_auth_refresh", &self.on_auth_refresh, make);
    }

    pub(crate) fn error(&self, make: impl FnOnce() -> ErrorEvent) {
        fire("on_error", &self.on_error, make);
    }
}
