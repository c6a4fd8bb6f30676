//! Errors met next to real secrets (tokens and codes the fakes issued) never quote them: every
//! error's `Display` and `Debug` is checked here, and captured for the secret sweep
//! (`cargo xtask sweep`), which searches them again with everything else the suite printed.

use std::sync::Arc;
use std::time::Duration;

use codex_auth::{
    AuthError, AuthorizationRequest, DevicePoll, FileTokenStore, MemoryTokenStore, OAuthClient, OAuthConfig,
    RefreshToken, TokenResponse, TokenSet, TokenStore,
};
use codex_testkit::{FakeCodex, FakeOAuth, sweep};
use oauth_codex::{AsyncOAuthCodexClient, LoginMode, ResponseCreateParams};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The secrets a test saw, to check errors against.
#[derive(Default)]
struct Seen(Vec<String>);

impl Seen {
    fn tokens(&mut self, tokens: &TokenSet) {
        self.0.push(tokens.access_token().expose_secret().to_owned());
        self.0.push(tokens.refresh_token().expose_secret().to_owned());
        self.0.push(tokens.id_token().expose_secret().to_owned());
    }

    fn add(&mut self, secret: &str) {
        self.0.push(secret.to_owned());
    }

    /// Captures the error for the sweep and fails when its `Display` or `Debug` holds a secret
    /// (or a JWT's payload part).
    fn check(&self, what: &str, error: &(impl std::fmt::Display + std::fmt::Debug)) {
        sweep::capture_error(error);
        let text = format!("{error}\n{error:?}");
        for secret in &self.0 {
            assert!(!text.contains(secret.as_str()), "{what}: the error quotes a secret");
            if let Some(payload) = secret.split('.').nth(1).filter(|p| p.len() >= 16) {
                assert!(!text.contains(payload), "{what}: the error quotes a token's payload");
            }
        }
    }
}

fn client_for(oauth: &FakeOAuth) -> OAuthClient {
    OAuthClient::new(OAuthConfig::for_issuer(oauth.issuer())).unwrap()
}

async fn signed_in(oauth: &FakeOAuth, seen: &mut Seen) -> TokenSet {
    let refresh = oauth.mint_refresh_token();
    seen.add(&refresh);
    let tokens =
        TokenSet::from_response(client_for(oauth).refresh(&RefreshToken::new(refresh)).await.unwrap())
            .unwrap();
    seen.tokens(&tokens);
    tokens
}

/// GETs the authorization URL and returns the `Location` the fake redirects to.
async fn authorize(request: &AuthorizationRequest) -> String {
    let url = request.url();
    let address = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap());
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let target = format!("{}?{}", url.path(), url.query().unwrap_or(""));
    let request = format!("GET {target} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    answer
        .lines()
        .find_map(|line| line.strip_prefix("location: ").or_else(|| line.strip_prefix("Location: ")))
        .expect("the fake redirects")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_errors_never_quote_codes_verifiers_or_tokens() {
    let oauth = FakeOAuth::start().await;
    let client = client_for(&oauth);
    let config = OAuthConfig::for_issuer(oauth.issuer());
    let mut seen = Seen::default();

    let request = AuthorizationRequest::new(&config).unwrap();
    seen.add(request.pkce().verifier().expose_secret());
    let location = authorize(&request).await;
    let code_value = location
        .split(['?', '&'])
        .find_map(|pair| pair.strip_prefix("code="))
        .expect("the fake redirects with a code")
        .to_owned();
    seen.add(&code_value);

    // A callback with the right code but another sign-in's state.
    let other = AuthorizationRequest::new(&config).unwrap();
    let error = other.parse_callback(&location).unwrap_err();
    seen.check("state mismatch", &error);
    // A pasted callback cut in the middle, and one with an error and the code.
    let cut = &location[..location.len() - 3];
    if let Err(error) = request.parse_callback(cut) {
        seen.check("cut callback", &error);
    }
    let denied = format!("{location}&error=access_denied&error_description=no");
    if let Err(error) = request.parse_callback(&denied) {
        seen.check("error callback", &error);
    }

    let code = request.parse_callback(&location).unwrap();
    // The wrong verifier: PKCE fails (the fake spends the code).
    let wrong = AuthorizationRequest::new(&config).unwrap();
    seen.add(wrong.pkce().verifier().expose_secret());
    let error =
        client.exchange_code(&code, wrong.pkce().verifier(), request.redirect_uri()).await.unwrap_err();
    assert!(matches!(error, AuthError::TokenExchange { .. }), "{error:?}");
    seen.check("PKCE failure", &error);
    // The spent code again, with the right verifier.
    let error =
        client.exchange_code(&code, request.pkce().verifier(), request.redirect_uri()).await.unwrap_err();
    seen.check("spent code", &error);

    // A good exchange, then a refresh token used twice.
    let request = AuthorizationRequest::new(&config).unwrap();
    seen.add(request.pkce().verifier().expose_secret());
    let location = authorize(&request).await;
    let code = request.parse_callback(&location).unwrap();
    let tokens =
        client.exchange_code(&code, request.pkce().verifier(), request.redirect_uri()).await.unwrap();
    seen.tokens(&tokens);
    seen.check("TokenSet Debug", &DebugOnly(format!("{tokens:?}")));
    let rotated = client.refresh(tokens.refresh_token()).await.unwrap();
    seen.check("TokenResponse Debug", &DebugOnly(format!("{rotated:?}")));
    let rotated = TokenSet::from_response(rotated).unwrap();
    seen.tokens(&rotated);
    let error = client.refresh(tokens.refresh_token()).await.unwrap_err();
    assert!(matches!(error, AuthError::TokenRefresh { .. }), "{error:?}");
    seen.check("reused refresh token", &error);

    // The device flow hands the client a code and a verifier; a wrong redirect spends them.
    let device = client.start_device().await.unwrap();
    assert!(oauth.approve_device(&device.user_code));
    let DevicePoll::Approved { code, verifier } = client.poll_device(&device).await.unwrap() else {
        panic!("the device code was approved")
    };
    seen.add(code.expose_secret());
    seen.add(verifier.expose_secret());
    let error =
        client.exchange_code(&code, &verifier, "http://localhost:1455/auth/callback").await.unwrap_err();
    seen.check("device code with the wrong redirect", &error);
}

/// Formats a string as both `Display` and `Debug`, to check text that is already a `Debug`.
struct DebugOnly(String);

impl std::fmt::Display for DebugOnly {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::fmt::Debug for DebugOnly {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_response_and_token_file_errors_never_quote_tokens() {
    let oauth = FakeOAuth::start().await;
    let mut seen = Seen::default();
    let tokens = signed_in(&oauth, &mut seen).await;
    let (access, refresh, id) = (
        tokens.access_token().expose_secret().to_owned(),
        tokens.refresh_token().expose_secret().to_owned(),
        tokens.id_token().expose_secret().to_owned(),
    );

    // Token endpoint answers with a token where another type belongs, or cut short.
    let bodies = [
        serde_json::json!({"access_token": access, "refresh_token": refresh, "expires_in": access})
            .to_string(),
        serde_json::json!({"access_token": access, "refresh_token": 5, "id_token": [id]}).to_string(),
        serde_json::json!({"access_token": [access], "token_type": refresh}).to_string(),
        serde_json::json!({"access_token": access, "scope": {"refresh": refresh}}).to_string(),
        format!(r#"{{"access_token": "{access}", "refresh_token": {refresh}}}"#),
        format!(r#"{{"access_token": "{}"#, &access[..access.len() / 2]),
        format!(r#"{{"error": "invalid_grant", "refresh_token": "{refresh}"}}"#),
    ];
    for body in &bodies {
        match TokenResponse::from_json(body) {
            Err(error) => seen.check("token response", &error),
            Ok(response) => {
                seen.check("token response Debug", &DebugOnly(format!("{response:?}")));
                if let Err(error) = TokenSet::from_response(response) {
                    seen.check("token set", &error);
                }
            }
        }
    }

    // A token file that is corrupt in ways that put a token where the parser stops.
    let dir = tempfile::tempdir().unwrap();
    let store = FileTokenStore::new(dir.path().join("auth.json"));
    store.save(&tokens).unwrap();
    let good = std::fs::read_to_string(store.path()).unwrap();
    let mut damaged = vec![
        good[..good.len() / 2].to_owned(),
        good.replacen(&format!("\"{refresh}\""), &refresh, 1),
        good.replacen(&format!("\"{access}\""), &format!("[\"{access}\", {refresh}]"), 1),
        good.replacen(&format!("\"{id}\""), &format!("{{\"{id}\": 1}}"), 1),
        good.replacen('{', &format!("{{\"{refresh}\" 1, "), 1),
    ];
    let value: serde_json::Value = serde_json::from_str(&good).unwrap();
    if let serde_json::Value::Object(map) = &value {
        for key in map.keys() {
            let mut changed = map.clone();
            changed.insert(key.clone(), serde_json::json!({"nested": access}));
            damaged.push(serde_json::Value::Object(changed).to_string());
            let mut changed = map.clone();
            changed.insert(key.clone(), serde_json::json!(refresh));
            damaged.push(serde_json::Value::Object(changed).to_string());
        }
    }
    for text in &damaged {
        std::fs::write(store.path(), text).unwrap();
        match store.load() {
            Err(error) => {
                assert!(matches!(error, AuthError::TokenStoreRead { .. }), "{error:?}");
                seen.check("corrupt token file", &error);
                let error = store.save(&tokens).unwrap_err();
                seen.check("save over a corrupt token file", &error);
            }
            Ok(loaded) => seen.check("loaded tokens Debug", &DebugOnly(format!("{loaded:?}"))),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn facade_errors_after_a_lost_login_never_quote_tokens() {
    let oauth = FakeOAuth::start().await;
    let codex = FakeCodex::builder().registry(oauth.registry().clone()).start().await;
    let mut seen = Seen::default();
    let tokens = signed_in(&oauth, &mut seen).await;
    // Someone else spends the refresh token, then the access token expires server-side.
    let rotated = client_for(&oauth).refresh(tokens.refresh_token()).await.unwrap();
    seen.add(rotated.access_token.expose_secret());
    oauth.registry().expire_access_tokens();

    let compat = tempfile::tempdir().unwrap();
    let client = AsyncOAuthCodexClient::builder()
        .base_url(codex.base_url())
        .oauth_config(OAuthConfig::for_issuer(oauth.issuer()))
        .token_store(Arc::new(MemoryTokenStore::with_tokens(tokens.clone())) as Arc<dyn TokenStore>)
        .login_mode(LoginMode::Never)
        .backoff_base(Duration::from_millis(1))
        .compat_storage_dir(compat.path())
        .build()
        .unwrap();
    let error = client.responses().create(ResponseCreateParams::new("gpt-5.2", "hello")).await.unwrap_err();
    seen.check("create after a lost login", &error);
    let error = client.refresh_if_needed(true).await.unwrap_err();
    seen.check("forced refresh after a lost login", &error);
    seen.check("client Debug", &DebugOnly(format!("{client:?}")));

    // The token endpoint is gone.
    drop(oauth);
    let error = client.refresh_if_needed(true).await.unwrap_err();
    seen.check("refresh with the token endpoint down", &error);
}
