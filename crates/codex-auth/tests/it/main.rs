//! Integration tests of codex-auth's public API: one test binary, one module per area.

mod authorize;
mod callback;
mod codex_file;
mod config;
mod fallback;
mod import;
mod keyring_store;
mod pkce;
mod secrets;
mod store;
mod tokens;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

/// An unsigned JWT (header `alg: none`) with this payload; the signature part is a dummy,
/// since nothing in the crate verifies signatures.
pub(crate) fn jwt(payload: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(json!({"alg": "none", "typ": "JWT"}).to_string());
    let body = URL_SAFE_NO_PAD.encode(payload.to_string());
    format!("{header}.{body}.c2lnbmF0dXJl")
}

/// Unix seconds used as "now" in tests: 2025-01-01T00:00:00Z.
pub(crate) const NOW: u64 = 1_735_689_600;

pub(crate) fn at(seconds: u64) -> std::time::SystemTime {
    std::time::UNIX_EPOCH + std::time::Duration::from_secs(seconds)
}

/// An ID token as OpenAI issues them (the claims this crate reads).
pub(crate) fn sample_id_token() -> String {
    jwt(&json!({
        "iss": "https://auth.openai.com",
        "email": "person@example.com",
        "https://api.openai.com/auth": {
            "chatgpt_account_id": "acct-123",
            "chatgpt_plan_type": "plus",
            "chatgpt_user_id": "user-456",
            "organization_id": "org-789",
            "project_id": "proj-1"
        }
    }))
}

/// An access token expiring at `exp`, on the `pro` plan.
pub(crate) fn sample_access_token(exp: u64) -> String {
    jwt(&json!({
        "exp": exp,
        "https://api.openai.com/auth": { "chatgpt_plan_type": "pro", "chatgpt_account_id": "acct-123" }
    }))
}

pub(crate) const SAMPLE_REFRESH_TOKEN: &str = "rt_sample-refresh-token-value";

/// The body of a code-exchange response.
pub(crate) fn sample_response_body(exp: u64) -> String {
    json!({
        "access_token": sample_access_token(exp),
        "refresh_token": SAMPLE_REFRESH_TOKEN,
        "id_token": sample_id_token(),
        "token_type": "Bearer",
        "expires_in": 3600
    })
    .to_string()
}

pub(crate) fn sample_token_set() -> codex_auth::TokenSet {
    let response =
        codex_auth::TokenResponse::from_json(sample_response_body(NOW + 3600)).expect("valid response");
    codex_auth::TokenSet::from_response_at(response, at(NOW)).expect("valid tokens")
}

#[test]
fn the_error_type_can_cross_threads() {
    fn assert_send_sync<T: Send + Sync + 'static + std::error::Error>() {}
    assert_send_sync::<codex_auth::AuthError>();
}

/// Prints a sample of messages (run with `--nocapture` to read them).
#[test]
fn sample_messages() {
    let config = codex_auth::OAuthConfig::default().with_token_endpoint("http://auth.example.com/token");
    let messages = [
        config.validate().expect_err("http").to_string(),
        codex_auth::parse_callback("abc", &codex_auth::OAuthState::new("s")).expect_err("bare").to_string(),
        codex_auth::parse_callback("code=1&state=x", &codex_auth::OAuthState::new("s"))
            .expect_err("state")
            .to_string(),
        corrupt_file_messages(),
    ];
    for message in messages {
        println!("{message}");
        assert!(!message.is_empty());
    }
}

fn corrupt_file_messages() -> String {
    use codex_auth::TokenStore as _;
    let dir = tempfile::tempdir().expect("temp dir");
    let store = codex_auth::FileTokenStore::new(dir.path().join("auth.json"));
    std::fs::write(store.path(), "{\"version\": 1, \"tokens\": 5}").expect("write");
    let load = store.load().expect_err("corrupt");
    let save = store.save(&sample_token_set()).expect_err("corrupt");
    format!("{load}\n{save}")
}
