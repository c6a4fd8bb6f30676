//! oauth-codex lets a program use a person's ChatGPT sign-in (OAuth 2.0 + PKCE, the Codex CLI's
//! public client) to call OpenAI's Codex backend, behind an OpenAI-style Responses API surface,
//! with local stand-ins for what that backend lacks.
//!
//! **Status of this release:** the vocabulary is here: request parameters, items, responses,
//! stream events v1, the event mapper and accumulator, and the parameter policy that validates
//! and shapes Codex request bodies (all re-exported from [`codex_schema`]). The clients
//! (`AsyncOAuthCodexClient`, `OAuthCodexClient`, `CodexOAuthLLM`), sign-in, transport and
//! local stand-ins are not implemented yet; this crate does not send requests.
//!
//! ```
//! use oauth_codex::{prepare_request, Profile, RequestPolicy, ResponseCreateParams, ResponseFormat};
//!
//! let params = ResponseCreateParams::new("gpt-5.2-codex", "Return JSON with keys: ok, source")
//!     .response_format(ResponseFormat::JsonObject);
//! let prepared = prepare_request(&params, &RequestPolicy::new(Profile::Codex))?;
//! assert_eq!(prepared.body["text"]["format"]["type"], "json_object");
//! # Ok::<(), oauth_codex::ParameterValidationError>(())
//! ```

pub use codex_schema::*;

/// The vocabulary crate, for paths like `oauth_codex::schema::stream::EventMapper`.
pub use codex_schema as schema;
