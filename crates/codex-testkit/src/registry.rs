//! What the fake OAuth server issued and the fake backend checks: accounts, access tokens,
//! rotating refresh tokens, authorization codes and device codes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

/// The account the fakes sign people in as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// `chatgpt_account_id`, also expected in `ChatGPT-Account-ID`.
    pub account_id: String,
    /// `chatgpt_plan_type`.
    pub plan_type: String,
    /// The id token's `email`.
    pub email: String,
    /// `chatgpt_user_id`.
    pub user_id: String,
}

impl Default for Account {
    fn default() -> Self {
        Account {
            account_id: "acct_fake_0001".to_owned(),
            plan_type: "plus".to_owned(),
            email: "user@example.com".to_owned(),
            user_id: "user-fake-0001".to_owned(),
        }
    }
}

/// How the next refresh fails, when a test wants it to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshFailure {
    /// 401 `refresh_token_expired`.
    Expired,
    /// 401 `refresh_token_invalidated`.
    Invalidated,
    /// 500, a transient failure.
    ServerError,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefreshState {
    Active,
    Used,
    Revoked,
}

#[derive(Debug, Clone)]
pub(crate) struct CodeGrant {
    pub(crate) challenge: String,
    pub(crate) redirect_uri: String,
    pub(crate) client_id: String,
}

#[derive(Debug, Clone)]
pub(crate) struct DeviceGrant {
    pub(crate) user_code: String,
    pub(crate) approved: bool,
    pub(crate) verifier: String,
    pub(crate) challenge: String,
}

#[derive(Debug, Default)]
pub(crate) struct RegistryState {
    pub(crate) access: HashMap<String, (String, u64)>,
    pub(crate) refresh: HashMap<String, RefreshState>,
    pub(crate) codes: HashMap<String, CodeGrant>,
    pub(crate) devices: HashMap<String, DeviceGrant>,
    pub(crate) next_refresh_failure: Option<RefreshFailure>,
}

/// Shared state of the fakes. Cheap to clone (an `Arc`).
#[derive(Debug, Clone)]
pub struct TokenRegistry {
    inner: Arc<RegistryInner>,
}

#[derive(Debug)]
struct RegistryInner {
    state: Mutex<RegistryState>,
    account: Mutex<Account>,
    access_lifetime: Mutex<Duration>,
    serial: AtomicU64,
    pub(crate) exchanges: AtomicU64,
    pub(crate) refreshes: AtomicU64,
    pub(crate) revocations: AtomicU64,
    refresh_reuses: AtomicU64,
}

/// Seconds since the Unix epoch.
pub(crate) fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// An unsigned-looking JWT: the fakes' tokens are parsed, never verified, by clients.
pub fn jwt(payload: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT","kid":"codex-testkit"}"#);
    let body = URL_SAFE_NO_PAD.encode(payload.to_string());
    let signature = URL_SAFE_NO_PAD.encode(b"codex-testkit-signature-not-verifiable");
    let token = format!("{header}.{body}.{signature}");
    crate::sweep::record_secret(crate::sweep::SecretKind::Token, &token);
    token
}

impl Default for TokenRegistry {
    fn default() -> Self {
        Self::new()
    }
}

impl TokenRegistry {
    /// An empty registry for the default [`Account`], access tokens living one hour.
    pub fn new() -> Self {
        crate::sweep::active();
        TokenRegistry {
            inner: Arc::new(RegistryInner {
                state: Mutex::new(RegistryState::default()),
                account: Mutex::new(Account::default()),
                access_lifetime: Mutex::new(Duration::from_secs(3600)),
                serial: AtomicU64::new(1),
                exchanges: AtomicU64::new(0),
                refreshes: AtomicU64::new(0),
                revocations: AtomicU64::new(0),
                refresh_reuses: AtomicU64::new(0),
            }),
        }
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, RegistryState> {
        self.inner.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The account tokens are issued for.
    pub fn account(&self) -> Account {
        self.inner.account.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Changes the account future tokens are issued for.
    pub fn set_account(&self, account: Account) {
        *self.inner.account.lock().unwrap_or_else(|p| p.into_inner()) = account;
    }

    /// How long new access tokens live (set it to zero to issue already-expired tokens).
    pub fn set_access_token_lifetime(&self, lifetime: Duration) {
        *self.inner.access_lifetime.lock().unwrap_or_else(|p| p.into_inner()) = lifetime;
    }

    pub(crate) fn access_lifetime(&self) -> Duration {
        *self.inner.access_lifetime.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn serial(&self) -> u64 {
        self.inner.serial.fetch_add(1, Ordering::SeqCst)
    }

    /// A random-enough opaque string for codes and refresh tokens.
    pub(crate) fn opaque(&self, prefix: &str) -> String {
        let random: u64 = rand::random();
        format!("{prefix}_{}_{random:016x}", self.serial())
    }

    /// Issues an access token (a JWT with `exp` and the auth claims) valid per the lifetime.
    pub fn mint_access_token(&self) -> String {
        let account = self.account();
        let exp = now() + self.access_lifetime().as_secs();
        let token = jwt(&json!({
            "iss": "https://auth.openai.com",
            "aud": ["https://api.openai.com/v1"],
            "sub": account.user_id,
            "iat": now(),
            "exp": exp,
            "jti": self.opaque("jti"),
            "https://api.openai.com/auth": {
                "chatgpt_account_id": account.account_id,
                "chatgpt_plan_type": account.plan_type,
                "chatgpt_user_id": account.user_id,
            },
        }));
        crate::sweep::record_secret(crate::sweep::SecretKind::AccessToken, &token);
        self.state().access.insert(token.clone(), (account.account_id, exp));
        token
    }

    /// Issues an id token for the account.
    pub fn mint_id_token(&self) -> String {
        let account = self.account();
        let token = jwt(&json!({
            "iss": "https://auth.openai.com",
            "aud": ["app_EMoamEEZ73f0CkXaXp7hrann"],
            "sub": account.user_id,
            "email": account.email,
            "iat": now(),
            "exp": now() + 3600,
            "https://api.openai.com/auth": {
                "chatgpt_account_id": account.account_id,
                "chatgpt_plan_type": account.plan_type,
                "chatgpt_user_id": account.user_id,
                "organization_id": "org-fake",
                "project_id": "proj_fake",
                "completed_platform_onboarding": true,
                "is_org_owner": false,
            },
        }));
        crate::sweep::record_secret(crate::sweep::SecretKind::IdToken, &token);
        token
    }

    /// Issues a fresh, single-use refresh token.
    pub fn mint_refresh_token(&self) -> String {
        let token = self.opaque("rt");
        crate::sweep::record_secret(crate::sweep::SecretKind::RefreshToken, &token);
        self.state().refresh.insert(token.clone(), RefreshState::Active);
        token
    }

    /// The account of a valid access token, or why it is not valid.
    pub(crate) fn check_access(&self, token: &str) -> Result<String, &'static str> {
        match self.state().access.get(token) {
            None => Err("invalid"),
            Some((_, exp)) if *exp <= now() => Err("expired"),
            Some((account, _)) => Ok(account.clone()),
        }
    }

    /// Expires every access token issued so far, server-side (clients still think they are
    /// valid: their next request gets a 401).
    pub fn expire_access_tokens(&self) {
        for (_, exp) in self.state().access.values_mut() {
            *exp = 0;
        }
    }

    /// Makes the next refresh fail this way.
    pub fn fail_next_refresh(&self, failure: RefreshFailure) {
        self.state().next_refresh_failure = Some(failure);
    }

    /// How many authorization codes were exchanged for tokens.
    pub fn exchanges(&self) -> u64 {
        self.inner.exchanges.load(Ordering::SeqCst)
    }

    /// How many refresh requests reached the token endpoint (successful or not).
    pub fn refreshes(&self) -> u64 {
        self.inner.refreshes.load(Ordering::SeqCst)
    }

    /// How many revocations were received.
    pub fn revocations(&self) -> u64 {
        self.inner.revocations.load(Ordering::SeqCst)
    }

    /// How many refreshes were refused as `refresh_token_reused` (a refresh token sent
    /// again after it was spent).
    pub fn refresh_reuses(&self) -> u64 {
        self.inner.refresh_reuses.load(Ordering::SeqCst)
    }

    pub(crate) fn count_refresh_reuse(&self) {
        self.inner.refresh_reuses.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn count_exchange(&self) {
        self.inner.exchanges.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn count_refresh(&self) {
        self.inner.refreshes.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn count_revocation(&self) {
        self.inner.revocations.fetch_add(1, Ordering::SeqCst);
    }
}
