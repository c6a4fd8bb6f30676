//! The crate's error type.

/// What can go wrong while configuring, starting or finishing a sign-in, reading tokens, or
/// using a token store.
///
/// No message ever contains a secret (token, authorization code, PKCE verifier, state or API
/// key): values that come from secrets are described, never quoted. Messages say what to do
/// next where there is something to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The sign-in callback (the URL the browser was sent back to, pasted by the user) could not
    /// be read.
    #[error(
        "could not read the sign-in callback: {reason}. Paste the whole address from the browser's \
         address bar after signing in (it starts with the redirect URI and contains `code=` and `state=`)"
    )]
    OAuthCallbackParse {
        /// What is wrong with the input.
        reason: String,
    },

    /// The callback's `state` is missing or is not the one this sign-in attempt sent, so it may
    /// belong to another attempt or have been forged.
    #[error(
        "the sign-in callback does not belong to this sign-in attempt (its `state` is missing or \
         does not match); start the sign-in again and use the address from that attempt"
    )]
    OAuthStateMismatch,

    /// The authorization server sent the browser back with an `error` instead of a code.
    #[error("the sign-in was refused by the authorization server: {error}{}", describe(description))]
    OAuthAuthorizationFailed {
        /// The OAuth `error` code, e.g. `access_denied`.
        error: String,
        /// The server's `error_description`, when it sent one.
        description: Option<String>,
    },

    /// The account signed in, but Codex is not enabled for its ChatGPT workspace.
    #[error(
        "Codex is not enabled for your workspace. Contact your workspace administrator to request \
         access to Codex, or sign in with another account"
    )]
    CodexNotEnabledForWorkspace,

    /// A configuration value is invalid.
    #[error("invalid OAuth configuration: {setting}: {reason}")]
    InvalidConfig {
        /// The setting, with the environment variable that can set it, if any.
        setting: String,
        /// What is wrong with it and what is accepted.
        reason: String,
    },

    /// A PKCE code verifier does not meet RFC 7636.
    #[error("invalid PKCE code verifier: {reason}")]
    InvalidPkceVerifier {
        /// What is wrong with it (never the verifier itself).
        reason: String,
    },

    /// A token could not be read (for example an ID token that is not a JWT).
    #[error("invalid {token}: {reason}")]
    InvalidToken {
        /// Which token, e.g. `id_token`.
        token: &'static str,
        /// What is wrong with it (never the token itself).
        reason: String,
    },

    /// A token endpoint response could not be used.
    #[error("unusable token endpoint response: {reason}")]
    InvalidTokenResponse {
        /// What is wrong with it (never a token).
        reason: String,
    },

    /// The operating system's random number generator failed.
    #[error("the system random number generator failed: {reason}")]
    RandomUnavailable {
        /// The operating system's description of the failure.
        reason: String,
    },

    /// Tokens could not be read from a token store.
    #[error("could not read the saved sign-in from {store}: {reason}")]
    TokenStoreRead {
        /// Which store, e.g. `file /home/me/.oauth_codex/auth.json`.
        store: String,
        /// The cause and what to do about it.
        reason: String,
    },

    /// Tokens could not be written to a token store.
    #[error("could not save the sign-in to {store}: {reason}")]
    TokenStoreWrite {
        /// Which store, e.g. `file /home/me/.oauth_codex/auth.json`.
        store: String,
        /// The cause and what to do about it.
        reason: String,
    },

    /// Tokens could not be removed from a token store.
    #[error("could not delete the saved sign-in from {store}: {reason}")]
    TokenStoreDelete {
        /// Which store, e.g. `file /home/me/.oauth_codex/auth.json`.
        store: String,
        /// The cause and what to do about it.
        reason: String,
    },

    /// The token endpoint did not turn the authorization code into tokens.
    #[error("could not exchange the authorization code for tokens: {message}")]
    TokenExchange {
        /// The HTTP status, when the server answered.
        status: Option<u16>,
        /// The OAuth error code (`invalid_grant`, …), when given.
        code: Option<String>,
        /// What went wrong.
        message: String,
    },

    /// A token refresh failed. `permanent` failures need a new sign-in; transient ones keep
    /// the saved tokens and can be retried.
    #[error("{message}")]
    TokenRefresh {
        /// Why.
        failure: RefreshFailure,
        /// Whether only a new sign-in can fix it.
        permanent: bool,
        /// The HTTP status, when the server answered.
        status: Option<u16>,
        /// What went wrong and what to do.
        message: String,
    },

    /// There is no usable sign-in and none may be started (`LoginMode::Never`), or the saved
    /// one belongs to someone else now.
    #[error("not signed in: {reason}; sign in with `oauth-codex login`")]
    AuthRequired {
        /// Why.
        reason: String,
    },

    /// The browser sign-in got no callback in time.
    #[error("the sign-in timed out after {after:?} without a callback; start it again")]
    LoginTimedOut {
        /// How long it waited.
        after: std::time::Duration,
    },

    /// The sign-in was cancelled (`/cancel`, or another login took over the port).
    #[error("the sign-in was cancelled")]
    LoginCancelled,

    /// No callback port could be bound.
    #[error(
        "cannot listen for the sign-in callback: ports {ports:?} on 127.0.0.1 are busy ({reason}); \
         sign in with the device code (`oauth-codex login --device`, `LoginMode::Device`) or by pasting \
         the callback address (`--paste`, `LoginMode::Paste`)"
    )]
    CallbackPortsBusy {
        /// The ports tried.
        ports: Vec<u16>,
        /// The last bind error.
        reason: String,
    },

    /// The server does not offer device-code sign-in.
    #[error(
        "device code sign-in is not enabled for this server; use the browser sign-in or verify the server URL"
    )]
    DeviceCodeUnsupported,

    /// The device code was not approved in time.
    #[error("the device code was not approved within {after:?}; start the sign-in again")]
    DeviceCodeExpired {
        /// How long it waited.
        after: std::time::Duration,
    },

    /// The sign-in's own I/O failed (reading the pasted address, the callback server).
    #[error("sign-in I/O failed: {reason}")]
    LoginIo {
        /// What failed.
        reason: String,
    },

    /// A request to the authorization server failed.
    #[error(transparent)]
    Transport(#[from] codex_transport::SdkRequestError),
}

/// Why a refresh failed (the Codex CLI's classification).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefreshFailure {
    /// `refresh_token_expired`: permanent.
    Expired,
    /// `refresh_token_reused`: the token was already used (by another program); permanent.
    Reused,
    /// `refresh_token_invalidated`: revoked; permanent.
    Revoked,
    /// Any other 401: permanent.
    Rejected,
    /// Network error, 5xx, or another answer: transient; the saved tokens are kept.
    Transient,
}

fn describe(description: &Option<String>) -> String {
    match description {
        Some(text) if !text.is_empty() => format!(" ({text})"),
        _ => String::new(),
    }
}

/// A description of a serde_json error that never quotes the input: its kind, the missing
/// field's name when that is the problem, and the position.
pub(crate) fn json_problem(error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let kind = match error.classify() {
        Category::Io => "read error".to_owned(),
        Category::Syntax => "not valid JSON".to_owned(),
        Category::Eof => "unexpected end of the JSON".to_owned(),
        Category::Data => {
            // "missing field `name`" quotes a field name of ours, never input; every other data
            // error may quote a value, so only its kind is given.
            let text = error.to_string();
            match text.strip_prefix("missing field `").and_then(|rest| rest.split_once('`')) {
                Some((field, _)) => format!("the field `{field}` is missing"),
                None => "a field has the wrong type or value".to_owned(),
            }
        }
    };
    format!("{kind} at line {}, column {}", error.line(), error.column())
}

/// The result type of this crate.
pub type Result<T, E = AuthError> = std::result::Result<T, E>;
