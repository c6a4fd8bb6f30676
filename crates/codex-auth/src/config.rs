//! The OAuth configuration: the Codex CLI's public client by default, with environment
//! overrides and checks.

use url::{Host, Url};

use crate::error::{AuthError, Result};

/// The issuer of the Codex CLI's sign-in.
pub const DEFAULT_ISSUER: &str = "https://auth.openai.com";
/// The Codex CLI's public OAuth client id.
pub const DEFAULT_CLIENT_ID: &str = "app_EMoamEEZ73f0CkXaXp7hrann";
/// The scopes requested by default. Newer Codex releases also ask for
/// `api.connectors.read api.connectors.invoke`; set them with [`OAuthConfig::with_scope`] if
/// needed.
pub const DEFAULT_SCOPE: &str = "openid profile email offline_access";
/// The port of the default loopback redirect URI.
pub const DEFAULT_CALLBACK_PORT: u16 = 1455;
/// The port the Codex CLI falls back to when [`DEFAULT_CALLBACK_PORT`] is taken (it is also
/// registered for the public client).
pub const FALLBACK_CALLBACK_PORT: u16 = 1457;
/// The path of the loopback redirect URI.
pub const CALLBACK_PATH: &str = "/auth/callback";
/// The default redirect URI: `http://localhost:1455/auth/callback`.
pub const DEFAULT_REDIRECT_URI: &str = "http://localhost:1455/auth/callback";
/// The `originator` the Codex CLI sends.
pub const DEFAULT_ORIGINATOR: &str = "codex_cli_rs";

/// Environment variable overriding [`OAuthConfig::client_id`].
pub const ENV_CLIENT_ID: &str = "CODEX_OAUTH_CLIENT_ID";
/// Environment variable overriding [`OAuthConfig::scope`].
pub const ENV_SCOPE: &str = "CODEX_OAUTH_SCOPE";
/// Environment variable setting [`OAuthConfig::audience`].
pub const ENV_AUDIENCE: &str = "CODEX_OAUTH_AUDIENCE";
/// Environment variable overriding [`OAuthConfig::redirect_uri`].
pub const ENV_REDIRECT_URI: &str = "CODEX_OAUTH_REDIRECT_URI";
/// Environment variable setting [`OAuthConfig::discovery_url`].
pub const ENV_DISCOVERY_URL: &str = "CODEX_OAUTH_DISCOVERY_URL";
/// Environment variable overriding [`OAuthConfig::authorization_endpoint`].
pub const ENV_AUTHORIZATION_ENDPOINT: &str = "CODEX_OAUTH_AUTHORIZATION_ENDPOINT";
/// Environment variable overriding [`OAuthConfig::token_endpoint`].
pub const ENV_TOKEN_ENDPOINT: &str = "CODEX_OAUTH_TOKEN_ENDPOINT";
/// Environment variable overriding [`OAuthConfig::originator`].
pub const ENV_ORIGINATOR: &str = "CODEX_OAUTH_ORIGINATOR";

/// The loopback redirect URI for a port: `http://localhost:{port}/auth/callback`.
#[must_use]
pub fn loopback_redirect_uri(port: u16) -> String {
    format!("http://localhost:{port}{CALLBACK_PATH}")
}

/// How a refresh request's body is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RefreshEncoding {
    /// A JSON object, as the Codex CLI sends it to `auth.openai.com`.
    Json,
    /// `application/x-www-form-urlencoded`, as RFC 6749 §6 specifies.
    Form,
}

/// Where and how to sign in.
///
/// [`OAuthConfig::default`] is the Codex CLI's public client at `auth.openai.com`;
/// [`OAuthConfig::from_env`] applies the `CODEX_OAUTH_*` overrides on top. Setters take and
/// return the value, so they chain. Nothing is checked until [`OAuthConfig::validate`]; the
/// sign-in entry points (such as [`AuthorizationRequest::new`](crate::AuthorizationRequest::new))
/// call it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthConfig {
    issuer: String,
    client_id: String,
    scope: String,
    audience: Option<String>,
    redirect_uri: String,
    authorization_endpoint: String,
    token_endpoint: String,
    revocation_endpoint: String,
    device_user_code_endpoint: String,
    device_token_endpoint: String,
    device_verification_url: String,
    device_redirect_uri: String,
    discovery_url: Option<String>,
    originator: String,
    allowed_workspace_ids: Vec<String>,
    refresh_encoding: Option<RefreshEncoding>,
}

impl Default for OAuthConfig {
    fn default() -> Self {
        Self::for_issuer(DEFAULT_ISSUER)
    }
}

impl OAuthConfig {
    /// The Codex CLI's defaults with every endpoint derived from `issuer` (a trailing `/` is
    /// dropped): `{issuer}/oauth/authorize`, `{issuer}/oauth/token`, `{issuer}/oauth/revoke`,
    /// and the device-code endpoints under `{issuer}/api/accounts/deviceauth/`.
    #[must_use]
    pub fn for_issuer(issuer: impl Into<String>) -> Self {
        let mut config = Self {
            issuer: String::new(),
            client_id: DEFAULT_CLIENT_ID.to_owned(),
            scope: DEFAULT_SCOPE.to_owned(),
            audience: None,
            redirect_uri: DEFAULT_REDIRECT_URI.to_owned(),
            authorization_endpoint: String::new(),
            token_endpoint: String::new(),
            revocation_endpoint: String::new(),
            device_user_code_endpoint: String::new(),
            device_token_endpoint: String::new(),
            device_verification_url: String::new(),
            device_redirect_uri: String::new(),
            discovery_url: None,
            originator: DEFAULT_ORIGINATOR.to_owned(),
            allowed_workspace_ids: Vec::new(),
            refresh_encoding: None,
        };
        config.set_issuer(issuer.into());
        config
    }

    fn set_issuer(&mut self, issuer: String) {
        let issuer = issuer.trim().trim_end_matches('/').to_owned();
        self.authorization_endpoint = format!("{issuer}/oauth/authorize");
        self.token_endpoint = format!("{issuer}/oauth/token");
        self.revocation_endpoint = format!("{issuer}/oauth/revoke");
        self.device_user_code_endpoint = format!("{issuer}/api/accounts/deviceauth/usercode");
        self.device_token_endpoint = format!("{issuer}/api/accounts/deviceauth/token");
        self.device_verification_url = format!("{issuer}/codex/device");
        self.device_redirect_uri = format!("{issuer}/deviceauth/callback");
        self.issuer = issuer;
    }

    /// The defaults with the `CODEX_OAUTH_*` environment variables applied (see
    /// [`OAuthConfig::from_lookup`]). Values that are not valid Unicode are ignored. The
    /// result is not checked: call [`OAuthConfig::validate`].
    #[must_use]
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// The defaults with overrides read through `lookup`, which gets a variable name and
    /// returns its value. Values are trimmed; empty ones are ignored.
    ///
    /// | variable | sets |
    /// | --- | --- |
    /// | `CODEX_OAUTH_CLIENT_ID` | [`client_id`](Self::client_id) |
    /// | `CODEX_OAUTH_SCOPE` | [`scope`](Self::scope) |
    /// | `CODEX_OAUTH_AUDIENCE` | [`audience`](Self::audience) |
    /// | `CODEX_OAUTH_REDIRECT_URI` | [`redirect_uri`](Self::redirect_uri) |
    /// | `CODEX_OAUTH_DISCOVERY_URL` | [`discovery_url`](Self::discovery_url) |
    /// | `CODEX_OAUTH_AUTHORIZATION_ENDPOINT` | [`authorization_endpoint`](Self::authorization_endpoint) |
    /// | `CODEX_OAUTH_TOKEN_ENDPOINT` | [`token_endpoint`](Self::token_endpoint) |
    /// | `CODEX_OAUTH_ORIGINATOR` | [`originator`](Self::originator) |
    ///
    /// ```
    /// use codex_auth::OAuthConfig;
    ///
    /// let config = OAuthConfig::from_lookup(|name| match name {
    ///     "CODEX_OAUTH_ORIGINATOR" => Some("my_app".to_owned()),
    ///     "CODEX_OAUTH_AUDIENCE" => Some("   ".to_owned()), // blank: ignored
    ///     _ => None,
    /// });
    /// assert_eq!(config.originator(), "my_app");
    /// assert_eq!(config.audience(), None);
    /// ```
    #[must_use]
    pub fn from_lookup(mut lookup: impl FnMut(&str) -> Option<String>) -> Self {
        let mut get =
            |name: &str| lookup(name).map(|value| value.trim().to_owned()).filter(|value| !value.is_empty());
        let mut config = Self::default();
        if let Some(value) = get(ENV_CLIENT_ID) {
            config.client_id = value;
        }
        if let Some(value) = get(ENV_SCOPE) {
            config.scope = value;
        }
        if let Some(value) = get(ENV_AUDIENCE) {
            config.audience = Some(value);
        }
        if let Some(value) = get(ENV_REDIRECT_URI) {
            config.redirect_uri = value;
        }
        if let Some(value) = get(ENV_DISCOVERY_URL) {
            config.discovery_url = Some(value);
        }
        if let Some(value) = get(ENV_AUTHORIZATION_ENDPOINT) {
            config.authorization_endpoint = value;
        }
        if let Some(value) = get(ENV_TOKEN_ENDPOINT) {
            config.token_endpoint = value;
        }
        if let Some(value) = get(ENV_ORIGINATOR) {
            config.originator = value;
        }
        config
    }

    /// Replaces the issuer and re-derives every endpoint from it (as
    /// [`OAuthConfig::for_issuer`] does), discarding endpoint overrides made before. Client id,
    /// scope, audience, redirect URI, originator and the rest are kept.
    #[must_use]
    pub fn with_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.set_issuer(issuer.into());
        self
    }

    /// Sets the OAuth client id.
    #[must_use]
    pub fn with_client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = client_id.into();
        self
    }

    /// Sets the space-separated scopes.
    #[must_use]
    pub fn with_scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = scope.into();
        self
    }

    /// Sets (or with `None` removes) the `audience` parameter of the authorization URL.
    #[must_use]
    pub fn with_audience(mut self, audience: Option<String>) -> Self {
        self.audience = audience;
        self
    }

    /// Sets the redirect URI.
    #[must_use]
    pub fn with_redirect_uri(mut self, redirect_uri: impl Into<String>) -> Self {
        self.redirect_uri = redirect_uri.into();
        self
    }

    /// Sets the authorization endpoint.
    #[must_use]
    pub fn with_authorization_endpoint(mut self, url: impl Into<String>) -> Self {
        self.authorization_endpoint = url.into();
        self
    }

    /// Sets the token endpoint.
    #[must_use]
    pub fn with_token_endpoint(mut self, url: impl Into<String>) -> Self {
        self.token_endpoint = url.into();
        self
    }

    /// Sets the token revocation endpoint.
    #[must_use]
    pub fn with_revocation_endpoint(mut self, url: impl Into<String>) -> Self {
        self.revocation_endpoint = url.into();
        self
    }

    /// Sets the device-code flow's user-code endpoint.
    #[must_use]
    pub fn with_device_user_code_endpoint(mut self, url: impl Into<String>) -> Self {
        self.device_user_code_endpoint = url.into();
        self
    }

    /// Sets the device-code flow's polling endpoint.
    #[must_use]
    pub fn with_device_token_endpoint(mut self, url: impl Into<String>) -> Self {
        self.device_token_endpoint = url.into();
        self
    }

    /// Sets the page the user opens to enter a device code.
    #[must_use]
    pub fn with_device_verification_url(mut self, url: impl Into<String>) -> Self {
        self.device_verification_url = url.into();
        self
    }

    /// Sets the redirect URI used when exchanging a device-flow authorization code.
    #[must_use]
    pub fn with_device_redirect_uri(mut self, url: impl Into<String>) -> Self {
        self.device_redirect_uri = url.into();
        self
    }

    /// Sets (or with `None` removes) the OpenID Connect discovery document URL.
    #[must_use]
    pub fn with_discovery_url(mut self, url: Option<String>) -> Self {
        self.discovery_url = url;
        self
    }

    /// Sets the `originator` sent in the authorization URL.
    #[must_use]
    pub fn with_originator(mut self, originator: impl Into<String>) -> Self {
        self.originator = originator.into();
        self
    }

    /// Restricts sign-in to these ChatGPT workspace ids (sent, comma-separated, as
    /// `allowed_workspace_id`). An empty list removes the restriction.
    #[must_use]
    pub fn with_allowed_workspace_ids<I, S>(mut self, ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.allowed_workspace_ids = ids.into_iter().map(Into::into).collect();
        self
    }

    /// Fixes the refresh request encoding instead of choosing it from the issuer.
    #[must_use]
    pub fn with_refresh_encoding(mut self, encoding: RefreshEncoding) -> Self {
        self.refresh_encoding = Some(encoding);
        self
    }

    /// The issuer, without a trailing `/`.
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The OAuth client id.
    #[must_use]
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The space-separated scopes.
    #[must_use]
    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// The `audience` parameter, if any.
    #[must_use]
    pub fn audience(&self) -> Option<&str> {
        self.audience.as_deref()
    }

    /// The redirect URI.
    #[must_use]
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// The authorization endpoint.
    #[must_use]
    pub fn authorization_endpoint(&self) -> &str {
        &self.authorization_endpoint
    }

    /// The token endpoint.
    #[must_use]
    pub fn token_endpoint(&self) -> &str {
        &self.token_endpoint
    }

    /// The token revocation endpoint.
    #[must_use]
    pub fn revocation_endpoint(&self) -> &str {
        &self.revocation_endpoint
    }

    /// The device-code flow's user-code endpoint.
    #[must_use]
    pub fn device_user_code_endpoint(&self) -> &str {
        &self.device_user_code_endpoint
    }

    /// The device-code flow's polling endpoint.
    #[must_use]
    pub fn device_token_endpoint(&self) -> &str {
        &self.device_token_endpoint
    }

    /// The page the user opens to enter a device code.
    #[must_use]
    pub fn device_verification_url(&self) -> &str {
        &self.device_verification_url
    }

    /// The redirect URI used when exchanging a device-flow authorization code.
    #[must_use]
    pub fn device_redirect_uri(&self) -> &str {
        &self.device_redirect_uri
    }

    /// The OpenID Connect discovery document URL, if set.
    /// [`OAuthClient::discover`](crate::OAuthClient::discover) reads it; the facade's clients
    /// use the configured endpoints and do not fetch it on their own.
    #[must_use]
    pub fn discovery_url(&self) -> Option<&str> {
        self.discovery_url.as_deref()
    }

    /// The `originator` sent in the authorization URL.
    #[must_use]
    pub fn originator(&self) -> &str {
        &self.originator
    }

    /// The workspace ids sign-in is restricted to; empty when unrestricted.
    #[must_use]
    pub fn allowed_workspace_ids(&self) -> &[String] {
        &self.allowed_workspace_ids
    }

    /// How refresh requests are encoded: the value set with
    /// [`OAuthConfig::with_refresh_encoding`], else [`RefreshEncoding::Json`] for the OpenAI
    /// issuer (as the Codex CLI sends it) and [`RefreshEncoding::Form`] for any other.
    #[must_use]
    pub fn refresh_encoding(&self) -> RefreshEncoding {
        self.refresh_encoding.unwrap_or(if self.issuer == DEFAULT_ISSUER {
            RefreshEncoding::Json
        } else {
            RefreshEncoding::Form
        })
    }

    /// Checks the configuration.
    ///
    /// Every endpoint (authorization, token, revocation, device-code, discovery) must be an
    /// absolute `https` URL without a user name or password in it; plain `http` is accepted only
    /// for loopback hosts (`localhost`, `127.0.0.0/8`, `::1`), as used by local test servers.
    /// The redirect URI must be an
    /// absolute URL; the client id and scope must not be empty.
    ///
    /// # Errors
    ///
    /// [`AuthError::InvalidConfig`] naming the first bad setting (and the environment variable
    /// that sets it, when there is one).
    pub fn validate(&self) -> Result<()> {
        if self.client_id.trim().is_empty() {
            return Err(invalid("client_id", Some(ENV_CLIENT_ID), "it is empty".to_owned()));
        }
        if self.scope.trim().is_empty() {
            return Err(invalid("scope", Some(ENV_SCOPE), "it is empty".to_owned()));
        }
        check_endpoint("issuer", None, &self.issuer)?;
        check_endpoint(
            "authorization_endpoint",
            Some(ENV_AUTHORIZATION_ENDPOINT),
            &self.authorization_endpoint,
        )?;
        check_endpoint("token_endpoint", Some(ENV_TOKEN_ENDPOINT), &self.token_endpoint)?;
        check_endpoint("revocation_endpoint", None, &self.revocation_endpoint)?;
        check_endpoint("device_user_code_endpoint", None, &self.device_user_code_endpoint)?;
        check_endpoint("device_token_endpoint", None, &self.device_token_endpoint)?;
        check_endpoint("device_verification_url", None, &self.device_verification_url)?;
        if let Some(url) = &self.discovery_url {
            check_endpoint("discovery_url", Some(ENV_DISCOVERY_URL), url)?;
        }
        parse_absolute("redirect_uri", Some(ENV_REDIRECT_URI), &self.redirect_uri)?;
        parse_absolute("device_redirect_uri", None, &self.device_redirect_uri)?;
        Ok(())
    }
}

fn invalid(setting: &str, env: Option<&str>, reason: String) -> AuthError {
    let setting = match env {
        Some(env) => format!("{setting} (set by {env} or in code)"),
        None => setting.to_owned(),
    };
    AuthError::InvalidConfig { setting, reason }
}

fn parse_absolute(setting: &str, env: Option<&str>, value: &str) -> Result<Url> {
    let url = Url::parse(value)
        .map_err(|e| invalid(setting, env, format!("it is not a valid absolute URL ({e})")))?;
    if url.host().is_none() {
        return Err(invalid(setting, env, format!("the `{}` URL has no host", url.scheme())));
    }
    Ok(url)
}

fn check_endpoint(setting: &str, env: Option<&str>, value: &str) -> Result<()> {
    let url = parse_absolute(setting, env, value)?;
    if !url.username().is_empty() || url.password().is_some() {
        // The message never repeats the URL: it holds a password.
        return Err(invalid(
            setting,
            env,
            "the URL carries a user name or password (`user:…@host`), which would be sent to the \
             server and could end up in logs; remove the `user:…@` part (the sign-in needs no \
             credentials in the URL)"
                .to_owned(),
        ));
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&url) => Ok(()),
        "http" => Err(invalid(
            setting,
            env,
            format!(
                "plain http to `{}` would send credentials unencrypted; use https (http is allowed \
                 only for loopback hosts: localhost, 127.0.0.0/8, ::1)",
                url.host_str().unwrap_or_default()
            ),
        )),
        other => Err(invalid(setting, env, format!("the scheme is `{other}`; use https"))),
    }
}

/// Whether a URL's host is `localhost`, in `127.0.0.0/8` or `::1`.
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}
