//! The facade's error: one enum over every crate's errors, with the original SDK's categories.

use codex_auth::AuthError;
use codex_schema::{ParameterValidationError, ToolCall};
use codex_transport::SdkRequestError;

/// Every error the clients return.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A request failed (HTTP status, network, timeout, a failed or cut-off response).
    #[error(transparent)]
    Request(#[from] SdkRequestError),
    /// The parameter policy refused a parameter.
    #[error(transparent)]
    ParameterValidation(#[from] ParameterValidationError),
    /// Sign-in, token refresh or token storage failed.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// Neither the server nor a local stand-in can serve this.
    #[error("{feature} is not supported on the {profile} profile: {hint}")]
    NotSupported {
        /// What was asked.
        feature: &'static str,
        /// The client's profile.
        profile: &'static str,
        /// What to do instead.
        hint: &'static str,
    },
    /// `previous_response_id` names a response this client does not know.
    #[error(
        "previous_response_id {response_id:?} is unknown here: the Codex backend keeps no conversations, and no \
         local record of that response exists (it was made by another client or expired); send the full history instead"
    )]
    Continuity {
        /// The unknown id.
        response_id: String,
    },
    /// The model name is refused.
    #[error("model {model:?} is not available: {reason}")]
    ModelValidation {
        /// The model asked for.
        model: String,
        /// Why, with the models that are offered when known.
        reason: String,
    },
    /// The model asked for tool calls where text was expected (legacy API without details).
    #[error("the model asked for {} tool call(s) ({}); pass return_details or handle the calls", tool_calls.len(), names(tool_calls))]
    ToolCallRequired {
        /// The calls.
        tool_calls: Vec<ToolCall>,
    },
    /// The model's JSON does not fit the requested type.
    #[error("the model's answer does not fit {type_name}: {reason}")]
    StructuredOutput {
        /// The Rust type asked for.
        type_name: &'static str,
        /// What does not fit.
        reason: String,
    },
    /// A local stand-in (files, vector stores, conversation replay) failed.
    #[error("local store: {0}")]
    Compat(String),
    /// The client could not be built.
    #[error("invalid client configuration: {0}")]
    Config(String),
}

fn names(calls: &[ToolCall]) -> String {
    calls.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
}

impl Error {
    /// The request error, when this is one.
    pub fn as_request(&self) -> Option<&SdkRequestError> {
        match self {
            Error::Request(error) => Some(error),
            Error::Auth(AuthError::Transport(error)) => Some(error),
            _ => None,
        }
    }

    /// Whether the same call may succeed later.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Request(error) => error.retryable,
            Error::Auth(AuthError::TokenRefresh { permanent, .. }) => !permanent,
            Error::Auth(AuthError::Transport(error)) => error.retryable,
            _ => false,
        }
    }
}

/// The facade's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;
