//! The sign-in of oauth-codex: it lets a program use a person's ChatGPT sign-in (OAuth 2.0
//! Authorization Code with PKCE, through the Codex CLI's public client) to call OpenAI's Codex
//! backend.
//!
//! # What exists
//!
//! The pure building blocks, none of which touches the network:
//!
//! * [`OAuthConfig`]: the Codex CLI's client, issuer and endpoints by default, the
//!   `CODEX_OAUTH_*` environment overrides ([`OAuthConfig::from_env`]), setters, and
//!   [`OAuthConfig::validate`] (https only, plain http for loopback hosts).
//! * PKCE and state: [`PkceCodes`] (`S256`, verifier of 86 characters from 64 random bytes) and
//!   [`OAuthState::generate`].
//! * [`AuthorizationRequest`]: the authorization URL with every parameter the Codex CLI sends.
//! * [`parse_callback`]: the paste flow's callback, checked against the attempt's state.
//! * [`TokenResponse`] and [`TokenSet`]: tokens from the token endpoint, refresh merging,
//!   expiry; [`IdTokenClaims`] and [`AccessTokenClaims`] read the JWTs (without verifying their
//!   signatures, since they come straight from the token endpoint over TLS).
//! * Secret types ([`AccessToken`], [`RefreshToken`], [`IdToken`], [`AuthorizationCode`],
//!   [`PkceVerifier`], [`OAuthState`], [`ApiKey`]): redacted in `Debug`/`Display`, compared in
//!   constant time, wiped on drop. Wiping covers the value these types own; copies made before
//!   a value was wrapped (an HTTP body, a JSON parser's buffers) are out of their reach.
//! * Stores ([`TokenStore`]): [`MemoryTokenStore`] and [`FileTokenStore`]
//!   (`~/.oauth_codex/auth.json`, `0600`, atomic writes, never silently overwriting a file it
//!   cannot read).
//! * [`CodexAuthJson`]: the layout of the Codex CLI's `auth.json`, for an explicit import.
//!
//! # What does not exist yet
//!
//! The sign-in flows themselves (the loopback-server flow and the device-code flow), the code
//! exchange and token refresh over HTTP, token revocation, OpenID discovery, a keyring store,
//! and refresh coordinated across processes. Until they land this crate prepares and checks a
//! sign-in but cannot complete one on its own.
//!
//! # Example
//!
//! Start a sign-in, then read the address the browser was sent back to:
//!
//! ```
//! use codex_auth::{AuthError, AuthorizationRequest, OAuthConfig};
//!
//! let config = OAuthConfig::default(); // or OAuthConfig::from_env()
//! let request = AuthorizationRequest::new(&config)?;
//! assert!(request.url().as_str().starts_with("https://auth.openai.com/oauth/authorize?"));
//! // Show request.url() to the user; after signing in they paste the address they land on:
//! let pasted = format!(
//!     "http://localhost:1455/auth/callback?code=ac_example&state={}",
//!     request.state().expose_secret(),
//! );
//! let code = request.parse_callback(&pasted)?;
//! assert_eq!(code.expose_secret(), "ac_example");
//! // Secrets never print:
//! assert_eq!(format!("{code:?}"), "[redacted]");
//! # Ok::<(), AuthError>(())
//! ```

mod authorize;
mod callback;
mod codex_file;
mod config;
mod error;
pub mod jwt;
mod pkce;
mod secret;
mod store;
mod time_format;
mod tokens;

pub use authorize::AuthorizationRequest;
pub use callback::parse_callback;
pub use codex_file::{CodexAuthJson, CodexTokenData};
pub use config::{
    CALLBACK_PATH, DEFAULT_CALLBACK_PORT, DEFAULT_CLIENT_ID, DEFAULT_ISSUER, DEFAULT_ORIGINATOR,
    DEFAULT_REDIRECT_URI, DEFAULT_SCOPE, ENV_AUDIENCE, ENV_AUTHORIZATION_ENDPOINT, ENV_CLIENT_ID,
    ENV_DISCOVERY_URL, ENV_ORIGINATOR, ENV_REDIRECT_URI, ENV_SCOPE, ENV_TOKEN_ENDPOINT,
    FALLBACK_CALLBACK_PORT, OAuthConfig, RefreshEncoding, loopback_redirect_uri,
};
pub use error::{AuthError, Result};
pub use jwt::{AccessTokenClaims, IdTokenClaims};
pub use pkce::{CODE_CHALLENGE_METHOD, PKCE_VERIFIER_RANDOM_BYTES, PkceCodes, STATE_RANDOM_BYTES};
pub use secret::{
    AccessToken, ApiKey, AuthorizationCode, IdToken, OAuthState, PKCE_VERIFIER_MAX_LEN,
    PKCE_VERIFIER_MIN_LEN, PkceVerifier, REDACTED, RefreshToken,
};
pub use store::{
    DEFAULT_TOKEN_DIR, DEFAULT_TOKEN_FILE, FileTokenStore, MemoryTokenStore, TOKEN_FILE_VERSION, TokenStore,
};
pub use tokens::{TokenResponse, TokenSet};
