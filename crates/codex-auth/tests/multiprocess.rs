//! Several OS processes share one file token store through many refresh-token rotations:
//! zero `refresh_token_reused`, zero lost logins.

use std::process::Command;
use std::sync::Arc;

use codex_auth::{
    FileTokenStore, OAuthClient, OAuthConfig, RefreshToken, TokenManager, TokenSet, TokenStore,
};
use codex_testkit::FakeOAuth;

const ROLE: &str = "OAUTH_CODEX_TEST_WORKER";
const PROCESSES: usize = 4;
const ROUNDS: usize = 12;

/// The worker: forces refreshes in a loop. Returns at once unless started by the parent.
#[test]
fn worker() {
    let Ok(issuer) = std::env::var(ROLE) else { return };
    let path = std::env::var("OAUTH_CODEX_TEST_STORE").unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async move {
        let client = OAuthClient::new(OAuthConfig::for_issuer(issuer)).unwrap();
        let manager = TokenManager::new(client, Arc::new(FileTokenStore::new(&path)));
        for round in 0..ROUNDS {
            if let Err(error) = manager.refresh_if_needed(true).await {
                eprintln!("worker failed in round {round}: {error}");
                std::process::exit(3);
            }
        }
    });
}

#[tokio::test]
async fn processes_sharing_a_store_never_reuse_a_refresh_token() {
    let oauth = FakeOAuth::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("auth.json");
    let client = OAuthClient::new(OAuthConfig::for_issuer(oauth.issuer())).unwrap();
    let first = client.refresh(&RefreshToken::new(oauth.mint_refresh_token())).await.unwrap();
    let store = FileTokenStore::new(&path);
    store.save(&TokenSet::from_response(first).unwrap()).unwrap();
    let before = oauth.registry().refreshes();

    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..PROCESSES)
        .map(|_| {
            Command::new(&exe)
                .args(["--exact", "worker", "--nocapture", "--test-threads=1"])
                .env(ROLE, oauth.issuer())
                .env("OAUTH_CODEX_TEST_STORE", &path)
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        let status = tokio::task::spawn_blocking(move || child.wait().unwrap()).await.unwrap();
        assert!(status.success(), "a worker failed: {status}");
    }
    let rotations = oauth.registry().refreshes() - before;
    assert!(rotations >= ROUNDS as u64, "the processes really refreshed ({rotations})");
    assert!(rotations <= (PROCESSES * ROUNDS) as u64);

    // The login survived: the saved refresh token is the newest and still works.
    let manager = TokenManager::new(client, Arc::new(FileTokenStore::new(&path)));
    assert!(manager.refresh_if_needed(true).await.unwrap());
}
