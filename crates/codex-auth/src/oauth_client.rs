//! Talking to the authorization server: discovery, code exchange, refresh, revocation and the
//! device-code endpoints (codex-protocol.md §1–§3, §6), over codex-transport.

use std::sync::Arc;
use std::time::Duration;

use codex_transport::{
    Hooks, HttpRequest, Method, NoAuth, RequestOptions, RetryPolicy, SdkRequestError, Transport,
    TransportConfig,
};
use serde_json::{Value, json};

use crate::config::{OAuthConfig, RefreshEncoding};
use crate::error::{AuthError, RefreshFailure, Result};
use crate::secret::{AccessToken, AuthorizationCode, PkceVerifier, RefreshToken};
use crate::tokens::{TokenResponse, TokenSet};

/// A device-code sign-in in progress (§6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceCode {
    /// The server's handle for this attempt.
    pub device_auth_id: String,
    /// The code the person types at the verification page.
    pub user_code: String,
    /// Seconds between polls, as the server asked (it sends them as a string).
    pub interval: Duration,
    /// Where the person enters the code.
    pub verification_url: String,
}

/// What a device poll returned.
#[derive(Debug)]
pub enum DevicePoll {
    /// Not approved yet.
    Pending,
    /// Approved: exchange this code with this verifier.
    Approved {
        /// The authorization code.
        code: AuthorizationCode,
        /// The PKCE verifier the server generated for it.
        verifier: PkceVerifier,
    },
}

/// A client of the authorization server. Cheap to clone.
#[derive(Clone, Debug)]
pub struct OAuthClient {
    config: OAuthConfig,
    transport: Transport,
}

fn form(fields: &[(&str, &str)]) -> Vec<(String, String)> {
    fields.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

/// No retries: a refresh or code exchange that reached the server must never be repeated with
/// the same single-use token.
fn once() -> RequestOptions {
    RequestOptions { max_retries: Some(0), ..RequestOptions::default() }
}

impl OAuthClient {
    /// A client for this configuration (validated). `extra_ca_pem` lets tests trust a
    /// throwaway CA; production uses the webpki roots.
    pub fn new(config: OAuthConfig) -> Result<Self> {
        Self::with_transport_config(config, |c| c)
    }

    /// A client whose transport settings are adjusted (extra CA, timeouts).
    pub fn with_transport_config(
        config: OAuthConfig,
        adjust: impl FnOnce(TransportConfig) -> TransportConfig,
    ) -> Result<Self> {
        config.validate()?;
        let transport_config = adjust(
            TransportConfig::new(config.issuer())
                .originator(config.originator())
                .request_timeout(Duration::from_secs(30))
                .retry(RetryPolicy::default()),
        );
        let transport = Transport::new(transport_config, Arc::new(NoAuth), Hooks::new())
            .map_err(|e| AuthError::InvalidConfig { setting: "issuer".to_owned(), reason: e.to_string() })?;
        Ok(OAuthClient { config, transport })
    }

    /// The configuration in use (after discovery, the discovered endpoints).
    pub fn config(&self) -> &OAuthConfig {
        &self.config
    }

    /// Reads the discovery document when a discovery URL is configured and adopts its
    /// endpoints. A failed or absent discovery is not an error: the configured defaults stay.
    pub async fn discover(mut self) -> Self {
        let Some(url) = self.config.discovery_url().map(str::to_owned) else { return self };
        let answer = self.transport.send(HttpRequest::new(Method::GET, url.clone()).options(once())).await;
        let document: Value = match answer.and_then(|r| r.json()) {
            Ok(document) => document,
            Err(error) => {
                tracing::info!(%url, %error, "OAuth discovery failed; using the configured endpoints");
                return self;
            }
        };
        let endpoint = |key: &str| document.get(key).and_then(Value::as_str).map(str::to_owned);
        let mut discovered = self.config.clone();
        if let Some(authorize) = endpoint("authorization_endpoint") {
            discovered = discovered.with_authorization_endpoint(authorize);
        }
        if let Some(token) = endpoint("token_endpoint") {
            discovered = discovered.with_token_endpoint(token);
        }
        if let Some(revoke) = endpoint("revocation_endpoint") {
            discovered = discovered.with_revocation_endpoint(revoke);
        }
        match discovered.validate() {
            Ok(()) => self.config = discovered,
            Err(error) => tracing::warn!(%error, "the discovery document names unusable endpoints; ignored"),
        }
        self
    }

    /// Exchanges an authorization code (form-encoded, §2).
    pub async fn exchange_code(
        &self,
        code: &AuthorizationCode,
        verifier: &PkceVerifier,
        redirect_uri: &str,
    ) -> Result<TokenSet> {
        let fields = form(&[
            ("grant_type", "authorization_code"),
            ("code", code.expose_secret()),
            ("redirect_uri", redirect_uri),
            ("client_id", self.config.client_id()),
            ("code_verifier", verifier.expose_secret()),
        ]);
        let request = HttpRequest::post_form(self.config.token_endpoint(), fields).options(once());
        let response = self.transport.send(request).await.map_err(|error| AuthError::TokenExchange {
            status: error.status_code,
            code: error.provider_code.clone(),
            message: error.user_message.clone(),
        })?;
        TokenSet::from_response(TokenResponse::from_json(&response.body)?)
    }

    /// Refreshes (§3): JSON for the OpenAI issuer (as the Codex CLI sends it), the RFC 6749
    /// form otherwise. Never retried here: a refresh token is single-use.
    pub async fn refresh(&self, refresh_token: &RefreshToken) -> Result<TokenResponse> {
        let request = match self.config.refresh_encoding() {
            RefreshEncoding::Json => HttpRequest::post_json(
                self.config.token_endpoint(),
                json!({
                    "client_id": self.config.client_id(),
                    "grant_type": "refresh_token",
                    "refresh_token": refresh_token.expose_secret(),
                }),
            ),
            RefreshEncoding::Form => HttpRequest::post_form(
                self.config.token_endpoint(),
                form(&[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refresh_token.expose_secret()),
                    ("client_id", self.config.client_id()),
                ]),
            ),
        };
        match self.transport.send(request.options(once())).await {
            Ok(response) => TokenResponse::from_json(&response.body),
            Err(error) => Err(classify_refresh(&error)),
        }
    }

    /// Revokes a token, best effort (§3): errors are logged, never returned. The OpenAI issuer
    /// gets JSON, as the Codex CLI sends it; other issuers the RFC 7009 form.
    pub async fn revoke(&self, refresh_token: Option<&RefreshToken>, access_token: Option<&AccessToken>) {
        let endpoint = self.config.revocation_endpoint().to_owned();
        let (token, hint) = match (refresh_token, access_token) {
            (Some(refresh), _) => (refresh.expose_secret(), "refresh_token"),
            (None, Some(access)) => (access.expose_secret(), "access_token"),
            (None, None) => return,
        };
        let client_id = self.config.client_id();
        let request = match self.config.refresh_encoding() {
            RefreshEncoding::Json => HttpRequest::post_json(
                endpoint,
                json!({"token": token, "token_type_hint": hint, "client_id": client_id}),
            ),
            RefreshEncoding::Form => HttpRequest::post_form(
                endpoint,
                form(&[("token", token), ("token_type_hint", hint), ("client_id", client_id)]),
            ),
        };
        let options = RequestOptions { timeout: Some(Duration::from_secs(10)), ..once() };
        if let Err(error) = self.transport.send(request.options(options)).await {
            tracing::info!(%error, "token revocation failed (best effort)");
        }
    }

    /// Starts a device-code sign-in (§6).
    pub async fn start_device(&self) -> Result<DeviceCode> {
        let request = HttpRequest::post_json(
            self.config.device_user_code_endpoint(),
            json!({"client_id": self.config.client_id()}),
        );
        let response = match self.transport.send(request.options(once())).await {
            Ok(response) => response,
            Err(error) if error.status_code == Some(404) => return Err(AuthError::DeviceCodeUnsupported),
            Err(error) => return Err(error.into()),
        };
        let body: Value = response.json()?;
        let text = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_owned);
        let device_auth_id = text("device_auth_id").ok_or_else(|| AuthError::InvalidTokenResponse {
            reason: "the device answer has no device_auth_id".into(),
        })?;
        let user_code = text("user_code").or_else(|| text("usercode")).ok_or_else(|| {
            AuthError::InvalidTokenResponse { reason: "the device answer has no user_code".into() }
        })?;
        // The interval comes as a string of seconds; tolerate a number; absent means 0.
        let seconds = match body.get("interval") {
            Some(Value::String(s)) => s.trim().parse::<u64>().unwrap_or(0),
            Some(Value::Number(n)) => n.as_u64().unwrap_or(0),
            _ => 0,
        };
        Ok(DeviceCode {
            device_auth_id,
            user_code,
            interval: Duration::from_secs(seconds),
            verification_url: self.config.device_verification_url().to_owned(),
        })
    }

    /// Polls a device-code sign-in once: 403/404 mean "not yet" (§6).
    pub async fn poll_device(&self, device: &DeviceCode) -> Result<DevicePoll> {
        let request = HttpRequest::post_json(
            self.config.device_token_endpoint(),
            json!({"device_auth_id": device.device_auth_id, "user_code": device.user_code}),
        );
        let response = match self.transport.send(request.options(once())).await {
            Ok(response) => response,
            Err(error) if matches!(error.status_code, Some(403 | 404)) => return Ok(DevicePoll::Pending),
            Err(error) => return Err(error.into()),
        };
        let body: Value = response.json()?;
        let text = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_owned);
        let code = text("authorization_code").ok_or_else(|| AuthError::InvalidTokenResponse {
            reason: "the device answer has no authorization_code".into(),
        })?;
        let verifier = text("code_verifier").ok_or_else(|| AuthError::InvalidTokenResponse {
            reason: "the device answer has no code_verifier".into(),
        })?;
        Ok(DevicePoll::Approved {
            code: AuthorizationCode::new(code),
            verifier: PkceVerifier::new(verifier)?,
        })
    }
}

/// The Codex CLI's refresh-failure classification (§3).
fn classify_refresh(error: &SdkRequestError) -> AuthError {
    let code = error.provider_code.as_deref().map(str::to_ascii_lowercase);
    let (failure, message) = match code.as_deref() {
        Some("refresh_token_expired") => (
            RefreshFailure::Expired,
            "your refresh token has expired; sign in again with `oauth-codex login`".to_owned(),
        ),
        Some("refresh_token_reused") => (
            RefreshFailure::Reused,
            "your refresh token was already used (another program refreshed it first); sign in again with \
             `oauth-codex login`"
                .to_owned(),
        ),
        Some("refresh_token_invalidated") => (
            RefreshFailure::Revoked,
            "your refresh token was revoked; sign in again with `oauth-codex login`".to_owned(),
        ),
        // The standard OAuth answer for a dead grant (RFC 6749 §5.2), e.g. a replayed rotating
        // refresh token on standard servers; it never heals by retrying.
        Some("invalid_grant") => (
            RefreshFailure::Rejected,
            "the authorization server no longer accepts this sign-in (invalid_grant); sign in again with \
             `oauth-codex login`"
                .to_owned(),
        ),
        _ if error.status_code == Some(401) => (
            RefreshFailure::Rejected,
            "your access token could not be refreshed; sign in again with `oauth-codex login`".to_owned(),
        ),
        _ => (
            RefreshFailure::Transient,
            format!(
                "failed to refresh the access token ({error}); the saved sign-in is kept and will be retried"
            ),
        ),
    };
    AuthError::TokenRefresh {
        permanent: failure != RefreshFailure::Transient,
        failure,
        status: error.status_code,
        message,
    }
}
