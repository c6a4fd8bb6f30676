//! Transport settings: base URL, timeouts, retries, TLS roots, default headers.

use std::time::Duration;

use crate::retry::RetryPolicy;

/// Which root certificates to trust.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RootCertificates {
    /// Mozilla's roots, compiled in (`webpki-roots`). Works the same everywhere.
    #[default]
    WebPki,
    /// The operating system's store (`rustls-native-certs`), for corporate proxies and
    /// custom CAs installed system-wide.
    Native,
    /// Both.
    WebPkiAndNative,
}

/// What happens to an `extra_headers` entry that would replace a header the client owns (one
/// of [`PROTECTED_HEADERS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProtectedHeaders {
    /// Drop it and log a warning.
    #[default]
    Warn,
    /// Refuse the request with an error.
    Reject,
}

/// The headers `extra_headers` cannot replace (lowercase): the credentials (`authorization`,
/// `chatgpt-account-id`), the headers the client sets on every request as the Codex CLI does
/// (`content-type`, `accept`, `user-agent`, `originator`, `session_id`, `x-client-request-id`),
/// and the ones that frame the HTTP message (`host`, `content-length`, `transfer-encoding`,
/// `connection`), which a second value would corrupt.
pub const PROTECTED_HEADERS: &[&str] = &[
    "authorization",
    "chatgpt-account-id",
    "content-type",
    "accept",
    "user-agent",
    "originator",
    "session_id",
    "x-client-request-id",
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
];

/// Whether `name` (any case) is one of the [`PROTECTED_HEADERS`].
///
/// ```
/// assert!(codex_transport::is_protected_header("Authorization"));
/// assert!(!codex_transport::is_protected_header("x-custom"));
/// ```
pub fn is_protected_header(name: &str) -> bool {
    PROTECTED_HEADERS.iter().any(|protected| protected.eq_ignore_ascii_case(name.trim()))
}

/// Everything the transport needs to know.
#[derive(Debug, Clone)]
pub struct TransportConfig {
    /// The base URL, e.g. `https://chatgpt.com/backend-api/codex`. Paths are joined to it.
    pub base_url: String,
    /// TCP + TLS connect timeout (default 10 s).
    pub connect_timeout: Duration,
    /// Whole-request timeout for unary calls, and the wait for a stream's response head
    /// (default 120 s). `Duration::MAX` means none, as for the other timeouts.
    pub request_timeout: Duration,
    /// The longest silence allowed between two chunks of a stream (default 300 s, as Codex).
    /// A healthy stream is never cut, however long it runs.
    pub stream_idle_timeout: Duration,
    /// Retries.
    pub retry: RetryPolicy,
    /// Roots to trust.
    pub roots: RootCertificates,
    /// Extra CA certificates (PEM), trusted in addition to the roots.
    pub extra_ca_pem: Vec<String>,
    /// The `originator` header (default `codex_cli_rs`, as the Codex CLI).
    pub originator: String,
    /// The `User-Agent` (default `oauth-codex/<version> (<os>; <arch>)`).
    pub user_agent: String,
    /// What happens to `extra_headers` that would replace owned headers.
    pub protected_headers: ProtectedHeaders,
    /// The largest SSE event accepted (default 16 MiB).
    pub max_event_size: usize,
}

/// `oauth-codex/<version> (<os>; <arch>)`.
pub fn default_user_agent() -> String {
    format!(
        "oauth-codex/{} ({}; {})",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

impl TransportConfig {
    /// Defaults for a base URL.
    pub fn new(base_url: impl Into<String>) -> Self {
        TransportConfig {
            base_url: base_url.into(),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(120),
            stream_idle_timeout: Duration::from_secs(300),
            retry: RetryPolicy::default(),
            roots: RootCertificates::default(),
            extra_ca_pem: Vec::new(),
            originator: "codex_cli_rs".to_owned(),
            user_agent: default_user_agent(),
            protected_headers: ProtectedHeaders::default(),
            max_event_size: 16 * 1024 * 1024,
        }
    }

    /// Sets the connect timeout.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets the unary request timeout.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Sets the stream idle timeout.
    pub fn stream_idle_timeout(mut self, timeout: Duration) -> Self {
        self.stream_idle_timeout = timeout;
        self
    }

    /// Sets the retry policy.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Sets which roots to trust.
    pub fn roots(mut self, roots: RootCertificates) -> Self {
        self.roots = roots;
        self
    }

    /// Trusts one more CA (PEM).
    pub fn add_ca_pem(mut self, pem: impl Into<String>) -> Self {
        self.extra_ca_pem.push(pem.into());
        self
    }

    /// Sets the `originator` header.
    pub fn originator(mut self, originator: impl Into<String>) -> Self {
        self.originator = originator.into();
        self
    }

    /// Sets what happens to protected `extra_headers`.
    pub fn protected_headers(mut self, policy: ProtectedHeaders) -> Self {
        self.protected_headers = policy;
        self
    }

    /// Sets the largest SSE event accepted.
    pub fn max_event_size(mut self, bytes: usize) -> Self {
        self.max_event_size = bytes;
        self
    }
}
