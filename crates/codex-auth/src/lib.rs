//! The sign-in of oauth-codex: it lets a program use a person's ChatGPT sign-in (OAuth 2.0
//! Authorization Code with PKCE, through the Codex CLI's public client) to call OpenAI's Codex
//! backend.
//!
//! # What it holds
//!
//! * [`OAuthConfig`]: the Codex CLI's client, issuer and endpoints by default, the
//!   `CODEX_OAUTH_*` environment overrides ([`OAuthConfig::from_env`]), setters, and
//!   [`OAuthConfig::validate`] (https only, plain http for loopback hosts).
//! * PKCE and state: [`PkceCodes`] (`S256`, verifier of 86 characters from 64 random bytes) and
//!   [`OAuthState::generate`]; [`AuthorizationRequest`]: the authorization URL with every
//!   parameter the Codex CLI sends; [`parse_callback`] for the paste flow.
//! * [`OAuthClient`]: discovery (a failed discovery keeps the defaults), code exchange
//!   (form-encoded), refresh (JSON for the OpenAI issuer, the RFC 6749 form elsewhere; never
//!   retried, since refresh tokens are single-use), revocation, and the device-code endpoints.
//! * [`flows`]: the loopback flow (127.0.0.1:1455, falling back to 1457 after asking a stale
//!   login server to `/cancel`), the paste flow and the device-code flow; [`LoginMode`] picks
//!   one (`Never` for servers: they must not prompt).
//! * [`TokenManager`]: loads the saved sign-in, refreshes five minutes before expiry and after a
//!   401 (it implements codex-transport's `Authenticator`), one refresh at a time per process
//!   and, through a lock file beside the store, across processes, adopting tokens another
//!   process rotated; permanent failures are remembered and stored tokens are never deleted
//!   on failure.
//! * [`TokenSet`] and the JWT claims ([`IdTokenClaims`], [`AccessTokenClaims`], read without
//!   verifying signatures: the tokens come straight from the token endpoint over TLS).
//! * Secret types ([`AccessToken`], [`RefreshToken`], [`IdToken`], [`AuthorizationCode`],
//!   [`PkceVerifier`], [`OAuthState`], [`ApiKey`]): redacted in `Debug`/`Display`, compared in
//!   constant time, wiped on drop (the values these types own; copies made before a value was
//!   wrapped, such as an HTTP body, are out of their reach).
//! * Stores ([`TokenStore`]): [`FallbackTokenStore`] (the default: the Secret Service keyring,
//!   else `~/.oauth_codex/auth.json`, migrating the Python original's locations),
//!   [`KeyringTokenStore`], [`FileTokenStore`] (`0600`, atomic writes, never silently
//!   overwriting a file it cannot read) and [`MemoryTokenStore`]; [`import_codex_cli_login`]
//!   copies an existing Codex CLI login in (explicit opt-in; the Codex CLI's file is never
//!   written).
//!
//! The keyring backend is the Secret Service (Linux and the BSDs); elsewhere the fallback store
//! uses the file.
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
pub mod flows;
pub mod jwt;
mod manager;
mod oauth_client;
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
pub use error::{AuthError, RefreshFailure, Result};
pub use flows::{LoginMode, LoginOptions, LoginPrompt, print_prompt};
pub use jwt::{AccessTokenClaims, IdTokenClaims};
pub use manager::{DEFAULT_REFRESH_LEEWAY, TokenManager};
pub use oauth_client::{DeviceCode, DevicePoll, OAuthClient};
pub use pkce::{CODE_CHALLENGE_METHOD, PKCE_VERIFIER_RANDOM_BYTES, PkceCodes, STATE_RANDOM_BYTES};
pub use secret::{
    AccessToken, ApiKey, AuthorizationCode, IdToken, OAuthState, PKCE_VERIFIER_MAX_LEN,
    PKCE_VERIFIER_MIN_LEN, PkceVerifier, REDACTED, RefreshToken,
};
pub use store::{
    DEFAULT_TOKEN_DIR, DEFAULT_TOKEN_FILE, FileTokenStore, MemoryTokenStore, TOKEN_FILE_VERSION, TokenStore,
};
pub use tokens::{TokenResponse, TokenSet};

// Keyring, fallback and import (added by the keyring/fallback work).
mod fallback;
mod import;
mod keyring_store;

pub use fallback::{FallbackTokenStore, LEGACY_KEYRING_SERVICE, LEGACY_TOKEN_DIR, TokenStoreLocations};
pub use import::{
    CODEX_AUTH_FILE, CODEX_HOME_ENV, DEFAULT_CODEX_HOME_DIR, codex_cli_auth_path,
    codex_cli_auth_path_with_env, import_codex_cli_login, import_codex_cli_login_with_env,
    read_codex_cli_login,
};
pub use keyring_store::{
    DEFAULT_KEYRING_ACCOUNT, DEFAULT_KEYRING_SERVICE, KEYRING_ITEM_LABEL, KeyringBackend, KeyringError,
    KeyringErrorKind, KeyringTokenStore, SystemKeyring,
};
