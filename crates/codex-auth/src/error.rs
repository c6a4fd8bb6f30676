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
