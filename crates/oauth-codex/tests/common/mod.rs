//! The fakes, a signed-in token store and a client builder pointed at them, shared by the
//! facade's tests.
#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;
use std::time::Duration;

use codex_auth::{MemoryTokenStore, OAuthClient, OAuthConfig, RefreshToken, TokenSet};
use codex_testkit::{FakeCodex, FakeOAuth};
use oauth_codex::{AsyncOAuthCodexClient, ClientBuilder, LoginMode};

pub struct Env {
    pub compat: tempfile::TempDir,
    pub rt: tokio::runtime::Runtime,
    pub oauth: FakeOAuth,
    pub codex: FakeCodex,
    pub store: Arc<MemoryTokenStore>,
}

/// Both fakes on a two-worker runtime, and a store holding a fresh sign-in.
pub fn env() -> Env {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (oauth, codex, tokens) = rt.block_on(async {
        let oauth = FakeOAuth::start().await;
        let codex = FakeCodex::builder().registry(oauth.registry().clone()).start().await;
        let client = OAuthClient::new(OAuthConfig::for_issuer(oauth.issuer())).unwrap();
        let response = client.refresh(&RefreshToken::new(oauth.mint_refresh_token())).await.unwrap();
        (oauth, codex, TokenSet::from_response(response).unwrap())
    });
    Env {
        compat: tempfile::tempdir().unwrap(),
        rt,
        oauth,
        codex,
        store: Arc::new(MemoryTokenStore::with_tokens(tokens)),
    }
}

impl Env {
    /// A builder for the fakes: no interactive sign-in, fast retries, a temporary local store.
    pub fn builder(&self) -> ClientBuilder {
        let builder = AsyncOAuthCodexClient::builder()
            .base_url(self.codex.base_url())
            .oauth_config(OAuthConfig::for_issuer(self.oauth.issuer()))
            .token_store(self.store.clone())
            .login_mode(LoginMode::Never)
            .backoff_base(Duration::from_millis(1))
            .compat_storage_dir(self.compat.path());
        if codex_testkit::sweep::active() { builder.hooks(sweep_hooks()) } else { builder }
    }
}

/// Under the secret sweep: hooks that capture every payload's `Debug` for the sweep to search.
pub fn sweep_hooks() -> oauth_codex::transport::Hooks {
    use codex_testkit::sweep::capture_hook;
    oauth_codex::transport::Hooks::new()
        .on_request_start(|event| capture_hook("on_request_start", event))
        .on_request_end(|event| capture_hook("on_request_end", event))
        .on_auth_refresh(|event| capture_hook("on_auth_refresh", event))
        .on_error(|event| capture_hook("on_error", event))
}
