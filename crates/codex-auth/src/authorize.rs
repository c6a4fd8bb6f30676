//! The authorization request: the URL the user opens to sign in, with the PKCE pair and state
//! that go with it.

use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use url::Url;

use crate::callback::parse_callback;
use crate::config::OAuthConfig;
use crate::error::{AuthError, Result};
use crate::pkce::{CODE_CHALLENGE_METHOD, PkceCodes};
use crate::secret::{AuthorizationCode, OAuthState};

/// Everything but RFC 3986's unreserved characters is percent-encoded (so a space becomes
/// `%20`, not `+`), as the Codex CLI encodes its authorization URL.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// One sign-in attempt: the authorization URL to open in a browser, and the PKCE pair and
/// `state` that the callback and code exchange need.
///
/// Keep it until the callback arrives: [`AuthorizationRequest::parse_callback`] checks the
/// callback against this attempt's state, and the code exchange needs
/// [`AuthorizationRequest::pkce`]'s verifier.
///
/// `Debug` leaves out the URL (it carries the state) and redacts the secrets.
#[derive(Clone)]
pub struct AuthorizationRequest {
    url: Url,
    redirect_uri: String,
    pkce: PkceCodes,
    state: OAuthState,
}

impl AuthorizationRequest {
    /// Checks `config` and starts an attempt with a fresh PKCE pair and state.
    ///
    /// # Errors
    ///
    /// [`AuthError::InvalidConfig`] when [`OAuthConfig::validate`] fails,
    /// [`AuthError::RandomUnavailable`] when no random bytes can be had.
    pub fn new(config: &OAuthConfig) -> Result<Self> {
        config.validate()?;
        Self::with_pkce_and_state(config, PkceCodes::generate()?, OAuthState::generate()?)
    }

    /// Starts an attempt with a given PKCE pair and state (for tests, or for flows that
    /// generate their own). `config` is checked as in [`AuthorizationRequest::new`].
    ///
    /// The URL is `{authorization_endpoint}?` followed by, in this order and each value
    /// percent-encoded: `response_type=code`, `client_id`, `redirect_uri`, `scope`,
    /// `code_challenge`, `code_challenge_method=S256`, `id_token_add_organizations=true`,
    /// `codex_cli_simplified_flow=true`, `state`, `originator`, then `audience` when configured
    /// and `allowed_workspace_id` (comma-separated) when configured.
    ///
    /// # Errors
    ///
    /// [`AuthError::InvalidConfig`] when [`OAuthConfig::validate`] fails or the authorization
    /// endpoint already has a query string.
    pub fn with_pkce_and_state(config: &OAuthConfig, pkce: PkceCodes, state: OAuthState) -> Result<Self> {
        config.validate()?;
        let endpoint = config.authorization_endpoint();
        if endpoint.contains('?') || endpoint.contains('#') {
            return Err(AuthError::InvalidConfig {
                setting: "authorization_endpoint".to_owned(),
                reason: "it has a query string or fragment; give the endpoint URL without `?` or `#`"
                    .to_owned(),
            });
        }

        let workspaces = config.allowed_workspace_ids().join(",");
        let mut params: Vec<(&str, &str)> = vec![
            ("response_type", "code"),
            ("client_id", config.client_id()),
            ("redirect_uri", config.redirect_uri()),
            ("scope", config.scope()),
            ("code_challenge", pkce.challenge()),
            ("code_challenge_method", CODE_CHALLENGE_METHOD),
            ("id_token_add_organizations", "true"),
            ("codex_cli_simplified_flow", "true"),
            ("state", state.expose_secret()),
            ("originator", config.originator()),
        ];
        if let Some(audience) = config.audience() {
            params.push(("audience", audience));
        }
        if !workspaces.is_empty() {
            params.push(("allowed_workspace_id", &workspaces));
        }

        let mut text = String::with_capacity(512);
        text.push_str(endpoint);
        for (i, (key, value)) in params.iter().enumerate() {
            text.push(if i == 0 { '?' } else { '&' });
            text.push_str(key);
            text.push('=');
            text.extend(utf8_percent_encode(value, QUERY_VALUE));
        }
        let url = Url::parse(&text).map_err(|e| AuthError::InvalidConfig {
            setting: "authorization_endpoint".to_owned(),
            reason: format!("the authorization URL built from it is not valid ({e})"),
        })?;

        Ok(Self { url, redirect_uri: config.redirect_uri().to_owned(), pkce, state })
    }

    /// The URL to open in the user's browser.
    #[must_use]
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The redirect URI this attempt was started with (the code exchange must send the same).
    #[must_use]
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// The PKCE pair; its verifier goes to the token endpoint with the code.
    #[must_use]
    pub fn pkce(&self) -> &PkceCodes {
        &self.pkce
    }

    /// This attempt's state.
    #[must_use]
    pub fn state(&self) -> &OAuthState {
        &self.state
    }

    /// Reads a pasted callback for this attempt: see [`parse_callback`].
    ///
    /// # Errors
    ///
    /// As [`parse_callback`].
    pub fn parse_callback(&self, input: &str) -> Result<AuthorizationCode> {
        parse_callback(input, &self.state)
    }
}

impl fmt::Debug for AuthorizationRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut endpoint = self.url.clone();
        endpoint.set_query(None);
        f.debug_struct("AuthorizationRequest")
            .field("authorization_endpoint", &endpoint.as_str())
            .field("redirect_uri", &self.redirect_uri)
            .field("pkce", &self.pkce)
            .field("state", &self.state)
            .finish()
    }
}
