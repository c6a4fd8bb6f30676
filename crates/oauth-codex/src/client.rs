//! [`AsyncOAuthCodexClient`] and its [`ClientBuilder`].

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use codex_auth::{
    FallbackTokenStore, LoginMode, LoginOptions, OAuthClient, OAuthConfig, TokenManager, TokenStore,
};
use codex_compat::StorageLocation;
use codex_schema::{Profile, RequestPolicy, StoreBehavior, ValidationMode};
use codex_transport::{
    Authenticator, Hooks, ProtectedHeaders, RateLimits, RequestOptions, RetryPolicy, StaticBearer, Transport,
    TransportConfig, is_protected_header, validate_base_url,
};

use crate::error::{Error, Result};
use crate::local::LocalStore;
use crate::models::{Models, ModelsCache};
use crate::responses::Responses;

/// The Codex backend of a ChatGPT sign-in.
pub const DEFAULT_BASE_URL: &str = "https://chatgpt.com/backend-api/codex";

/// Builds an [`AsyncOAuthCodexClient`] (or, through [`crate::OAuthCodexClient::builder`], a
/// blocking one). Every setting has a default; `CODEX_OAUTH_*` environment variables apply
/// under explicit settings.
pub struct ClientBuilder {
    pub(crate) base_url: String,
    oauth: Option<OAuthConfig>,
    store: Option<Arc<dyn TokenStore>>,
    login: LoginOptions,
    api_key: Option<String>,
    pub(crate) validation_mode: ValidationMode,
    store_behavior: StoreBehavior,
    default_instructions: Option<String>,
    validate_model: bool,
    max_retries: u32,
    backoff_base: Duration,
    request_timeout: Duration,
    stream_idle_timeout: Duration,
    connect_timeout: Duration,
    max_event_size: usize,
    extra_ca_pem: Vec<String>,
    hooks: Hooks,
    default_options: RequestOptions,
    compat_storage_dir: Option<PathBuf>,
    conversation_replay: bool,
    client_version: String,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("validation_mode", &self.validation_mode)
            .finish_non_exhaustive()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            base_url: DEFAULT_BASE_URL.to_owned(),
            oauth: None,
            store: None,
            login: LoginOptions::mode(LoginMode::Auto),
            api_key: None,
            validation_mode: ValidationMode::Warn,
            store_behavior: StoreBehavior::AutoDisable,
            default_instructions: None,
            validate_model: false,
            max_retries: 2,
            backoff_base: Duration::from_millis(250),
            request_timeout: Duration::from_secs(120),
            stream_idle_timeout: Duration::from_secs(300),
            connect_timeout: Duration::from_secs(10),
            max_event_size: codex_transport::SseDecoder::DEFAULT_MAX_EVENT_SIZE,
            extra_ca_pem: Vec::new(),
            hooks: Hooks::new(),
            default_options: RequestOptions::default(),
            compat_storage_dir: None,
            conversation_replay: true,
            client_version: crate::models::DEFAULT_CLIENT_VERSION.to_owned(),
        }
    }
}

macro_rules! setter {
    ($(#[$doc:meta])* $name:ident: $ty:ty) => {
        $(#[$doc])*
        pub fn $name(mut self, value: $ty) -> Self {
            self.$name = value;
            self
        }
    };
}

impl ClientBuilder {
    /// The base URL (default the Codex backend). A URL containing `/backend-api/codex` uses
    /// the Codex profile; any other is treated as an OpenAI-compatible server.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// The OAuth configuration (default `OAuthConfig::from_env()`).
    pub fn oauth_config(mut self, config: OAuthConfig) -> Self {
        self.oauth = Some(config);
        self
    }

    /// Where tokens are kept (default: the system keyring, else `~/.oauth_codex/auth.json`).
    pub fn token_store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// How to sign in when needed (default `LoginMode::Auto`; servers should use `Never`).
    pub fn login_mode(mut self, mode: LoginMode) -> Self {
        self.login.mode = mode;
        self
    }

    /// All sign-in settings (ports, timeouts, prompt and paste callbacks).
    pub fn login_options(mut self, options: LoginOptions) -> Self {
        self.login = options;
        self
    }

    /// A fixed bearer token instead of a ChatGPT sign-in (for OpenAI-compatible servers).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    setter! {
        /// What to do with parameters the policy finds fault with (default `Warn`).
        validation_mode: ValidationMode
    }

    setter! {
        /// What to do with `store: true` on the Codex profile (default `AutoDisable`).
        store_behavior: StoreBehavior
    }

    setter! {
        /// Check model names (non-empty; offered by the account when the catalogue is known).
        validate_model: bool
    }

    setter! {
        /// Retries after the first attempt (default 2).
        max_retries: u32
    }

    setter! {
        /// The first backoff delay (default 250 ms).
        backoff_base: Duration
    }

    setter! {
        /// Whole-request timeout for unary calls and the wait for a stream's head (default 120 s).
        request_timeout: Duration
    }

    setter! {
        /// The longest silence inside a stream (default 300 s).
        stream_idle_timeout: Duration
    }

    setter! {
        /// The TCP connect timeout (default 10 s).
        connect_timeout: Duration
    }

    setter! {
        /// The largest single stream event accepted, in bytes (default 16 MiB). A larger event
        /// fails the call with a `decode` error instead of growing memory without bound; raise
        /// it only for responses whose final events repeat very long outputs.
        max_event_size: usize
    }

    setter! {
        /// The four hooks.
        hooks: Hooks
    }

    setter! {
        /// Options applied to every request (extra headers, query, body, timeout, retries).
        /// Its `extra_headers` may not name a header the client sets itself (`Authorization`,
        /// `ChatGPT-Account-ID`, `originator`, …; see [`codex_transport::PROTECTED_HEADERS`]):
        /// [`ClientBuilder::build`] refuses them.
        default_options: RequestOptions
    }

    setter! {
        /// The Codex CLI version the model catalogue is asked for (`client_version`).
        client_version: String
    }

    setter! {
        /// Record each completed response locally so `previous_response_id` works on the Codex
        /// profile (default `true`).
        conversation_replay: bool
    }

    /// Instructions for Codex requests that carry none.
    pub fn default_instructions(mut self, instructions: impl Into<String>) -> Self {
        self.default_instructions = Some(instructions.into());
        self
    }

    /// Trusts one more CA (PEM) for the backend and the OAuth server.
    pub fn add_ca_pem(mut self, pem: impl Into<String>) -> Self {
        self.extra_ca_pem.push(pem.into());
        self
    }

    /// Where the local stand-ins keep their data (default `CODEX_COMPAT_STORAGE_DIR`, else
    /// `~/.oauth_codex/compat`).
    pub fn compat_storage_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.compat_storage_dir = Some(dir.into());
        self
    }

    /// Builds the async client.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the base URL is unusable (not a URL; a user name or password in
    /// it; plain `http` to a host other than loopback), when `default_options.extra_headers`
    /// names a header the client sets itself (see [`codex_transport::PROTECTED_HEADERS`]), or
    /// when the transport cannot be built; the OAuth configuration's own error when it is
    /// invalid (an endpoint that is not `https`, except on loopback, or that carries a user
    /// name or password); a token store error when the default store cannot be opened.
    pub fn build(self) -> Result<AsyncOAuthCodexClient> {
        // Checked first, before anything is opened: the message names the problem and the fix
        // and never repeats a password.
        validate_base_url(&self.base_url).map_err(|e| Error::Config(e.to_string()))?;
        if let Some((name, _)) =
            self.default_options.extra_headers.iter().find(|(name, _)| is_protected_header(name))
        {
            return Err(Error::Config(format!(
                "default_options.extra_headers sets `{}`, a header the client sets itself (credentials, \
                 protocol and framing headers cannot be replaced); remove it from extra_headers",
                name.trim().to_ascii_lowercase()
            )));
        }
        let profile = Profile::from_base_url(&self.base_url);
        let mut policy = RequestPolicy::new(profile)
            .validation_mode(self.validation_mode)
            .store_behavior(self.store_behavior);
        if let Some(instructions) = &self.default_instructions {
            policy = policy.default_instructions(instructions.clone());
        }
        let ca = self.extra_ca_pem.clone();
        let (authenticator, tokens): (Arc<dyn Authenticator>, Option<TokenManager>) = match &self.api_key {
            Some(key) => (Arc::new(StaticBearer::new(key.clone(), None)), None),
            None => {
                let config = self.oauth.clone().unwrap_or_else(OAuthConfig::from_env);
                let oauth = OAuthClient::with_transport_config(config, |mut c| {
                    c.extra_ca_pem.extend(ca.iter().cloned());
                    c
                })?;
                let store: Arc<dyn TokenStore> = match self.store.clone() {
                    Some(store) => store,
                    None => Arc::new(FallbackTokenStore::at_default_locations()?),
                };
                let manager = TokenManager::new(oauth, store).with_login(self.login.clone());
                (Arc::new(manager.clone()), Some(manager))
            }
        };
        let mut config = TransportConfig::new(self.base_url.clone())
            // A protected header in a request's own options is refused too, never silently dropped.
            .protected_headers(ProtectedHeaders::Reject)
            .connect_timeout(self.connect_timeout)
            .request_timeout(self.request_timeout)
            .stream_idle_timeout(self.stream_idle_timeout)
            .max_event_size(self.max_event_size)
            .retry(RetryPolicy {
                max_retries: self.max_retries,
                base_delay: self.backoff_base,
                ..RetryPolicy::default()
            });
        for pem in &self.extra_ca_pem {
            config = config.add_ca_pem(pem.clone());
        }
        let transport = Transport::new(config, authenticator, self.hooks.clone())
            .map_err(|e| Error::Config(e.to_string()))?;
        Ok(AsyncOAuthCodexClient {
            inner: Arc::new(ClientInner {
                transport,
                tokens,
                profile,
                policy,
                validate_model: self.validate_model,
                default_options: self.default_options,
                dropped: Mutex::new(HashSet::new()),
                models: ModelsCache::new(self.client_version),
                local: LocalStore::new(match self.compat_storage_dir {
                    Some(dir) => StorageLocation::Dir(dir),
                    None => StorageLocation::Default,
                }),
                conversation_replay: self.conversation_replay,
            }),
        })
    }
}

pub(crate) struct ClientInner {
    pub(crate) transport: Transport,
    pub(crate) tokens: Option<TokenManager>,
    pub(crate) profile: Profile,
    pub(crate) policy: RequestPolicy,
    pub(crate) validate_model: bool,
    pub(crate) default_options: RequestOptions,
    /// Parameters the server answered "Unsupported parameter" to; never sent again.
    pub(crate) dropped: Mutex<HashSet<String>>,
    pub(crate) models: ModelsCache,
    pub(crate) local: LocalStore,
    pub(crate) conversation_replay: bool,
}

/// The async client. Cheap to clone: clones share connections, sign-in and caches.
///
/// ```no_run
/// use oauth_codex::{AsyncOAuthCodexClient, ResponseCreateParams};
/// # async fn run() -> oauth_codex::Result<()> {
/// let client = AsyncOAuthCodexClient::new()?; // signs in on first use
/// let response = client.responses().create(ResponseCreateParams::new("gpt-5.2-codex", "Hi!")).await?;
/// println!("{}", response.output_text);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct AsyncOAuthCodexClient {
    pub(crate) inner: Arc<ClientInner>,
}

impl std::fmt::Debug for AsyncOAuthCodexClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncOAuthCodexClient")
            .field("transport", &self.inner.transport)
            .field("profile", &self.inner.profile)
            .finish_non_exhaustive()
    }
}

impl AsyncOAuthCodexClient {
    /// A client with every default (the Codex backend, the saved sign-in, `CODEX_OAUTH_*`).
    pub fn new() -> Result<Self> {
        Self::builder().build()
    }

    /// A builder.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// `responses().create/stream/parse/input_tokens()`.
    pub fn responses(&self) -> Responses<'_> {
        Responses { client: self }
    }

    /// `models().list/capabilities`.
    pub fn models(&self) -> Models<'_> {
        Models { client: self }
    }

    /// The profile (Codex backend or OpenAI-compatible server).
    pub fn profile(&self) -> Profile {
        self.inner.profile
    }

    /// The rate-limit snapshot of the last response.
    pub fn rate_limits(&self) -> Option<RateLimits> {
        self.inner.transport.rate_limits()
    }

    fn manager(&self) -> Result<&TokenManager> {
        self.inner.tokens.as_ref().ok_or(Error::NotSupported {
            feature: "sign-in",
            profile: "API-key",
            hint: "this client uses a fixed API key; build it without `api_key` to use a ChatGPT sign-in",
        })
    }

    /// Whether a sign-in is saved.
    pub async fn is_authenticated(&self) -> bool {
        match &self.inner.tokens {
            Some(manager) => manager.is_authenticated().await,
            None => true,
        }
    }

    /// Whether the access token expires within `leeway` (`true` when not signed in).
    pub async fn is_expired(&self, leeway: Duration) -> bool {
        match &self.inner.tokens {
            Some(manager) => manager.is_expired(leeway).await,
            None => false,
        }
    }

    /// Refreshes when the token expires within five minutes, or always with `force`.
    pub async fn refresh_if_needed(&self, force: bool) -> Result<bool> {
        Ok(self.manager()?.refresh_if_needed(force).await?)
    }

    /// Signs in now with this flow (replacing a saved sign-in).
    pub async fn login(&self, mode: LoginMode) -> Result<()> {
        self.manager()?.login(mode).await?;
        Ok(())
    }

    /// Signs out (deletes the saved tokens, revokes the refresh token best effort).
    pub async fn logout(&self) -> Result<()> {
        Ok(self.manager()?.logout().await?)
    }

    /// The current sign-in's tokens (account, plan, expiry), signing in if needed per the
    /// login mode.
    pub async fn tokens(&self) -> Result<codex_auth::TokenSet> {
        Ok(self.manager()?.tokens().await?)
    }
}
