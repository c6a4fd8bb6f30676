//! [`TokenManager`]: the sign-in of a running program. It loads the saved tokens, refreshes
//! them before they expire and after a 401, and never loses a login to a race.
//!
//! Refresh tokens rotate and are single-use: two refreshes with the same token leave the
//! loser with `refresh_token_reused` and, in naive clients, a dead login. So every refresh:
//!
//! 1. passes an in-process gate (one refresh at a time; waiters adopt the winner's tokens);
//! 2. takes an advisory lock file shared by every process using the same store;
//! 3. re-reads the store under the lock and adopts tokens another process already rotated;
//! 4. only then, if still needed, sends the refresh and saves the result before unlocking.
//!
//! Permanent failures (`refresh_token_expired`/`_reused`/`_invalidated`, 401) are remembered per
//! refresh token so later calls fail fast, and stored tokens are never deleted on failure:
//! another process may have just saved fresh ones.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use codex_transport::{AuthHeaders, Authenticator, BoxFuture, Recovery, SdkRequestError};

use crate::error::{AuthError, RefreshFailure, Result};
use crate::flows::{LoginMode, LoginOptions, run_login};
use crate::oauth_client::OAuthClient;
use crate::secret::{AccessToken, RefreshToken};
use crate::store::TokenStore;
use crate::tokens::TokenSet;

/// Refresh this long before the access token expires (the Codex CLI's newest rule).
pub const DEFAULT_REFRESH_LEEWAY: Duration = Duration::from_secs(5 * 60);

struct Inner {
    client: OAuthClient,
    store: Arc<dyn TokenStore>,
    cached: Mutex<Option<Cached>>,
    gate: tokio::sync::Mutex<()>,
    leeway: Duration,
    lock_path: PathBuf,
    login: LoginOptions,
    /// A permanent refresh failure, remembered for the refresh token that caused it.
    failed: Mutex<Option<(RefreshToken, String)>>,
    /// Tokens refreshed but not yet saved (the store failed); saving is retried.
    unsaved: AtomicBool,
}

/// The current tokens and the request credentials made from them once.
#[derive(Clone)]
struct Cached {
    tokens: TokenSet,
    headers: AuthHeaders,
}

/// The sign-in of a running program; implements codex-transport's [`Authenticator`].
/// Cheap to clone; clones share state.
#[derive(Clone)]
pub struct TokenManager {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenManager")
            .field("lock_path", &self.inner.lock_path)
            .field("leeway", &self.inner.leeway)
            .field("login_mode", &self.inner.login.mode)
            .finish_non_exhaustive()
    }
}

fn default_lock_path() -> PathBuf {
    dirs::home_dir()
        .map(|home| home.join(crate::store::DEFAULT_TOKEN_DIR).join("auth.lock"))
        .unwrap_or_else(|| std::env::temp_dir().join("oauth-codex-auth.lock"))
}

fn join_error(error: tokio::task::JoinError) -> AuthError {
    AuthError::LoginIo { reason: format!("a background task failed: {error}") }
}

/// An exclusive advisory lock on a file, released on drop (when the file closes).
struct FileLock(#[allow(dead_code)] std::fs::File);

impl TokenManager {
    /// A manager over a client and a store, with the default leeway and lock file, and
    /// `LoginMode::Never` (a program that wants interactive sign-in sets it).
    pub fn new(client: OAuthClient, store: Arc<dyn TokenStore>) -> Self {
        let lock_path = store.lock_path().unwrap_or_else(default_lock_path);
        TokenManager {
            inner: Arc::new(Inner {
                client,
                store,
                cached: Mutex::new(None),
                gate: tokio::sync::Mutex::new(()),
                leeway: DEFAULT_REFRESH_LEEWAY,
                lock_path,
                login: LoginOptions::default(),
                failed: Mutex::new(None),
                unsaved: AtomicBool::new(false),
            }),
        }
    }

    fn rebuild(self, change: impl FnOnce(&mut Inner)) -> Self {
        let mut inner = Arc::try_unwrap(self.inner).unwrap_or_else(|shared| Inner {
            client: shared.client.clone(),
            store: shared.store.clone(),
            cached: Mutex::new(shared.cached.lock().unwrap_or_else(|p| p.into_inner()).clone()),
            gate: tokio::sync::Mutex::new(()),
            leeway: shared.leeway,
            lock_path: shared.lock_path.clone(),
            login: shared.login.clone(),
            failed: Mutex::new(None),
            unsaved: AtomicBool::new(false),
        });
        change(&mut inner);
        TokenManager { inner: Arc::new(inner) }
    }

    /// Refresh when the access token expires within this window (default 5 minutes).
    pub fn with_leeway(self, leeway: Duration) -> Self {
        self.rebuild(|inner| inner.leeway = leeway)
    }

    /// The lock file shared by processes using the same store.
    pub fn with_lock_path(self, path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        self.rebuild(|inner| inner.lock_path = path)
    }

    /// How to sign in when no tokens are saved (default: never, return `AuthRequired`).
    pub fn with_login(self, login: LoginOptions) -> Self {
        self.rebuild(|inner| inner.login = login)
    }

    /// The OAuth client.
    pub fn client(&self) -> &OAuthClient {
        &self.inner.client
    }

    fn cached(&self) -> Option<TokenSet> {
        self.inner
            .cached
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|cached| cached.tokens.clone())
    }

    fn set_cached(&self, tokens: Option<TokenSet>) {
        let cached = tokens.map(|tokens| Cached { headers: bearer_headers(&tokens), tokens });
        *self.inner.cached.lock().unwrap_or_else(|p| p.into_inner()) = cached;
    }

    /// The cached credentials, when their token does not expire within the leeway.
    fn fresh_headers(&self) -> Option<AuthHeaders> {
        let cached = self.inner.cached.lock().unwrap_or_else(|p| p.into_inner());
        cached
            .as_ref()
            .filter(|cached| !cached.tokens.expires_within(self.inner.leeway))
            .map(|cached| cached.headers.clone())
    }

    async fn load_store(&self) -> Result<Option<TokenSet>> {
        let store = self.inner.store.clone();
        tokio::task::spawn_blocking(move || store.load()).await.map_err(join_error)?
    }

    async fn save_store(&self, tokens: &TokenSet) -> Result<()> {
        let store = self.inner.store.clone();
        let tokens = tokens.clone();
        tokio::task::spawn_blocking(move || store.save(&tokens)).await.map_err(join_error)?
    }

    async fn lock(&self) -> Result<FileLock> {
        let path = self.inner.lock_path.clone();
        tokio::task::spawn_blocking(move || {
            let fail = |e: std::io::Error| AuthError::TokenStoreWrite {
                store: format!("lock file {}", path.display()),
                reason: format!("{e}; check that the directory is writable"),
            };
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(fail)?;
            }
            let file = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .map_err(fail)?;
            file.lock().map_err(fail)?;
            Ok(FileLock(file))
        })
        .await
        .map_err(join_error)?
    }

    /// Saves tokens that a failed save left only in memory.
    async fn retry_unsaved(&self) {
        if self.inner.unsaved.load(Ordering::SeqCst)
            && let Some(tokens) = self.cached()
            && self.save_store(&tokens).await.is_ok()
        {
            self.inner.unsaved.store(false, Ordering::SeqCst);
        }
    }

    /// The current tokens: cached, else loaded from the store, else a sign-in per the login
    /// mode (`Never`: `AuthRequired`).
    pub async fn tokens(&self) -> Result<TokenSet> {
        self.retry_unsaved().await;
        if let Some(tokens) = self.cached() {
            return Ok(tokens);
        }
        if let Some(tokens) = self.load_store().await? {
            self.set_cached(Some(tokens.clone()));
            return Ok(tokens);
        }
        match self.inner.login.mode {
            LoginMode::Never => {
                Err(AuthError::AuthRequired { reason: "no saved sign-in was found".to_owned() })
            }
            mode => self.login(mode).await,
        }
    }

    /// Whether a sign-in is saved (no network).
    pub async fn is_authenticated(&self) -> bool {
        self.cached().is_some() || matches!(self.load_store().await, Ok(Some(_)))
    }

    /// Whether the access token expires within `leeway` (`true` when not signed in).
    pub async fn is_expired(&self, leeway: Duration) -> bool {
        match self.cached() {
            Some(tokens) => tokens.is_expired(leeway),
            None => match self.load_store().await {
                Ok(Some(tokens)) => tokens.is_expired(leeway),
                _ => true,
            },
        }
    }

    /// Refreshes when the access token expires within the leeway, or always with `force`.
    /// Returns whether new tokens were obtained (by this call or another process).
    pub async fn refresh_if_needed(&self, force: bool) -> Result<bool> {
        let tokens = self.tokens().await?;
        if !force && !tokens.expires_within(self.inner.leeway) {
            return Ok(false);
        }
        let before = tokens.access_token().clone();
        let after = self.refresh(Some(&before), force).await?;
        Ok(after.access_token() != &before)
    }

    /// The refresh procedure (see the module docs). `seen` is the access token the caller
    /// holds: if the current one differs, someone already refreshed and nothing is sent.
    async fn refresh(&self, seen: Option<&AccessToken>, force: bool) -> Result<TokenSet> {
        let leeway = self.inner.leeway;
        let _gate = self.inner.gate.lock().await;
        if let Some(cached) = self.cached() {
            let someone_refreshed = seen.is_some_and(|seen| cached.access_token() != seen);
            if someone_refreshed && (!cached.expires_within(leeway) || !force) {
                return Ok(cached);
            }
        }
        let _lock = self.lock().await?;
        let Some(mut stored) = self.load_store().await? else {
            self.set_cached(None);
            return Err(AuthError::AuthRequired {
                reason: "the saved sign-in was removed (signed out in another program?)".to_owned(),
            });
        };
        if let Some(cached) = self.cached()
            && cached.account_id() != stored.account_id()
        {
            self.set_cached(Some(stored));
            return Err(AuthError::AuthRequired {
                reason: "the saved sign-in now belongs to another account (signed in again elsewhere)"
                    .to_owned(),
            });
        }
        let adopted = seen.is_some_and(|seen| stored.access_token() != seen);
        if adopted {
            tracing::debug!("adopting tokens another process refreshed");
            self.set_cached(Some(stored.clone()));
            if !stored.expires_within(leeway) || !force {
                return Ok(stored);
            }
        }
        let remembered = self.inner.failed.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some((token, message)) = remembered
            && &token == stored.refresh_token()
        {
            return Err(AuthError::AuthRequired { reason: message });
        }
        match self.inner.client.refresh(stored.refresh_token()).await {
            Ok(response) => {
                stored.apply_refresh(response)?;
                self.set_cached(Some(stored.clone()));
                if let Err(error) = self.save_store(&stored).await {
                    // The new tokens live in memory; the old refresh token is spent. Keep
                    // working and retry the save on every later use.
                    tracing::error!(%error, "refreshed tokens could not be saved; retrying on next use");
                    self.inner.unsaved.store(true, Ordering::SeqCst);
                }
                Ok(stored)
            }
            Err(error @ AuthError::TokenRefresh { permanent: true, .. }) => {
                let message = error.to_string();
                *self.inner.failed.lock().unwrap_or_else(|p| p.into_inner()) =
                    Some((stored.refresh_token().clone(), message));
                Err(error)
            }
            Err(error) => Err(error),
        }
    }

    /// Runs a sign-in flow now, saves the tokens (replacing any saved ones) and returns them.
    pub async fn login(&self, mode: LoginMode) -> Result<TokenSet> {
        if mode == LoginMode::Never {
            return Err(AuthError::AuthRequired {
                reason: "sign-in is disabled (LoginMode::Never)".to_owned(),
            });
        }
        let tokens = run_login(&self.inner.client, mode, &self.inner.login).await?;
        let _lock = self.lock().await?;
        self.save_store(&tokens).await?;
        self.set_cached(Some(tokens.clone()));
        *self.inner.failed.lock().unwrap_or_else(|p| p.into_inner()) = None;
        Ok(tokens)
    }

    /// Saves tokens obtained elsewhere (an import) as the current sign-in.
    pub async fn adopt(&self, tokens: TokenSet) -> Result<()> {
        let _lock = self.lock().await?;
        self.save_store(&tokens).await?;
        self.set_cached(Some(tokens));
        Ok(())
    }

    /// Signs out: deletes the saved tokens and revokes the refresh token (best effort).
    pub async fn logout(&self) -> Result<()> {
        let _lock = self.lock().await?;
        let saved = self.load_store().await.ok().flatten().or_else(|| self.cached());
        let store = self.inner.store.clone();
        tokio::task::spawn_blocking(move || store.delete()).await.map_err(join_error)??;
        self.set_cached(None);
        if let Some(tokens) = saved {
            self.inner.client.revoke(Some(tokens.refresh_token()), None).await;
        }
        Ok(())
    }

    async fn auth_headers(&self) -> std::result::Result<AuthHeaders, SdkRequestError> {
        self.retry_unsaved().await;
        // The usual case: cached tokens that do not expire within the leeway.
        if let Some(headers) = self.fresh_headers() {
            return Ok(headers);
        }
        let mut tokens = self.tokens().await.map_err(to_transport)?;
        if tokens.expires_within(self.inner.leeway) {
            let seen = tokens.access_token().clone();
            match self.refresh(Some(&seen), false).await {
                Ok(fresh) => tokens = fresh,
                Err(error @ AuthError::TokenRefresh { permanent: false, .. })
                    if !tokens.is_expired(Duration::ZERO) =>
                {
                    // A failed proactive refresh is logged and the old token used, as Codex does.
                    tracing::warn!(%error, "proactive refresh failed; using the current access token");
                }
                Err(error) => return Err(to_transport(error)),
            }
        }
        Ok(bearer_headers(&tokens))
    }
}

/// The request credentials of a token set: its access token and account id.
fn bearer_headers(tokens: &TokenSet) -> AuthHeaders {
    AuthHeaders::bearer(tokens.access_token().expose_secret(), tokens.account_id().map(str::to_owned))
}

fn to_transport(error: AuthError) -> SdkRequestError {
    let retryable =
        matches!(error, AuthError::TokenRefresh { permanent: false, .. } | AuthError::Transport(_));
    if let AuthError::Transport(inner) = error {
        return inner;
    }
    // The refresh failure's code stays readable as `provider_code`, as for any service error.
    let code = match &error {
        AuthError::TokenRefresh { failure: RefreshFailure::Expired, .. } => Some("refresh_token_expired"),
        AuthError::TokenRefresh { failure: RefreshFailure::Reused, .. } => Some("refresh_token_reused"),
        AuthError::TokenRefresh { failure: RefreshFailure::Revoked, .. } => Some("refresh_token_invalidated"),
        _ => None,
    };
    let mut converted = SdkRequestError::auth(error.to_string()).with_retryable(retryable);
    converted.provider_code = code.map(str::to_owned);
    converted
}

impl Authenticator for TokenManager {
    fn headers(&self) -> BoxFuture<'_, std::result::Result<AuthHeaders, SdkRequestError>> {
        Box::pin(self.auth_headers())
    }

    /// Cached tokens that do not expire within the leeway, unless tokens wait to be saved
    /// again (which [`headers`](Authenticator::headers) retries first).
    fn ready_headers(&self) -> Option<AuthHeaders> {
        if self.inner.unsaved.load(Ordering::SeqCst) {
            return None;
        }
        self.fresh_headers()
    }

    fn recover<'a>(
        &'a self,
        refused: &'a AuthHeaders,
    ) -> BoxFuture<'a, std::result::Result<Recovery, SdkRequestError>> {
        Box::pin(async move {
            let seen = refused.expose_bearer().map(AccessToken::new);
            self.refresh(seen.as_ref(), true).await.map(|_| Recovery::Retry).map_err(to_transport)
        })
    }
}
