//! oauth-codex lets a program use a person's ChatGPT sign-in (OAuth 2.0 + PKCE, the Codex CLI's
//! public client) to call OpenAI's Codex backend, behind an OpenAI-style Responses API surface,
//! with local stand-ins for what that backend lacks.
//!
//! ```no_run
//! use oauth_codex::{AsyncOAuthCodexClient, ResponseCreateParams, ResponseFormat, Reasoning, ReasoningEffort, ReasoningSummary};
//!
//! # async fn run() -> oauth_codex::Result<()> {
//! let client = AsyncOAuthCodexClient::new()?; // signs in on first use
//! let response = client
//!     .responses()
//!     .create(
//!         ResponseCreateParams::new("gpt-5.2-codex", "Return JSON with keys: ok, source")
//!             .response_format(ResponseFormat::JsonObject)
//!             .reasoning(Reasoning::new(ReasoningEffort::High, ReasoningSummary::Auto)),
//!     )
//!     .await?;
//! println!("{} {}", response.id, response.output_text);
//! # Ok(()) }
//! ```
//!
//! The same request, shaped for the Codex backend without sending it (runs offline):
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
//!
//! The vocabulary (requests, items, responses, stream events v1) is [`codex_schema`],
//! re-exported here; the wire is [`codex_transport`]; the sign-in is [`codex_auth`].

mod blocking;
mod client;
mod error;
mod legacy;
mod local;
mod models;
mod remote;
mod responses;
mod tools;

pub use blocking::{
    BlockingFiles, BlockingModels, BlockingResponses, BlockingVectorStores, OAuthCodexClient, ResponseEvents,
};
pub use client::{AsyncOAuthCodexClient, ClientBuilder, DEFAULT_BASE_URL};
pub use error::{Error, Result};
pub use legacy::{CodexOAuthLLM, GenerateOptions, GenerateResult};
pub use local::{Files, InputTokens, VectorStores};
pub use models::{
    CatalogueSource, DEFAULT_CLIENT_VERSION, ModelInfo, Models, ReasoningLevel, builtin_models,
};
pub use responses::{ResponseStream, Responses};
pub use tools::ToolBox;

pub use codex_schema::*;

/// The sign-in crate.
pub use codex_auth as auth;
/// The local stand-ins crate.
pub use codex_compat as compat;
pub use codex_compat::{
    FileSource, Filter, FilterValue, InputTokenCount, ListParams, Order, SearchParams,
    VectorStoreCreateParams, VectorStoreUpdateParams,
};
/// The vocabulary crate.
pub use codex_schema as schema;
/// The wire crate.
pub use codex_transport as transport;

pub use codex_auth::{LoginMode, LoginOptions, LoginPrompt, OAuthConfig, TokenStore};
pub use codex_transport::{ErrorKind, Hooks, RateLimits, RequestOptions, SdkRequestError};
