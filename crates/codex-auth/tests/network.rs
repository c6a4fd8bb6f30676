//! The sign-in flows, the OAuth client and the token manager against the fake OAuth server
//! (and the fake backend) over real loopback sockets.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use codex_auth::{
    AuthError, FileTokenStore, LoginMode, LoginOptions, LoginPrompt, MemoryTokenStore, OAuthClient,
    OAuthConfig, RefreshEncoding, RefreshFailure, TokenManager, TokenStore, flows,
};
use codex_testkit::{FakeCodex, FakeOAuth, RefreshFailure as FakeFailure};
use codex_transport::{Authenticator, Hooks, HttpRequest, Transport, TransportConfig};
use futures_util::StreamExt;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::sync::mpsc;

/// A minimal "browser": GET without following redirects; returns (status, Location, body).
async fn browse(url: &str) -> (u16, Option<String>, String) {
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let response = client.get(url.parse().unwrap()).await.unwrap();
    let status = response.status().as_u16();
    let location = response.headers().get("location").map(|v| v.to_str().unwrap().to_owned());
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, location, String::from_utf8_lossy(&body).into_owned())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn client_for(oauth: &FakeOAuth) -> OAuthClient {
    OAuthClient::new(OAuthConfig::for_issuer(oauth.issuer())).unwrap()
}

/// Login options whose prompts go to a channel.
fn capture(ports: Vec<u16>) -> (LoginOptions, mpsc::UnboundedReceiver<LoginPrompt>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let options = LoginOptions {
        ports,
        open_browser: false,
        prompt: Arc::new(move |prompt| {
            let _ = tx.send(prompt.clone());
        }),
        ..LoginOptions::default()
    };
    (options, rx)
}

async fn next_url(prompts: &mut mpsc::UnboundedReceiver<LoginPrompt>) -> String {
    match prompts.recv().await.unwrap() {
        LoginPrompt::OpenUrl { url } | LoginPrompt::PasteCallback { url } => url,
        other => panic!("unexpected prompt {other:?}"),
    }
}

#[tokio::test]
async fn loopback_sign_in_end_to_end() {
    let oauth = FakeOAuth::start().await;
    let client = client_for(&oauth);
    let port = free_port();
    let (options, mut prompts) = capture(vec![port]);
    let flow = tokio::spawn(async move { flows::loopback(&client, &options).await });

    let url = next_url(&mut prompts).await;
    assert!(
        url.contains(&format!("redirect_uri=http%3A%2F%2Flocalhost%3A{port}%2Fauth%2Fcallback")),
        "{url}"
    );
    let (status, callback, _) = browse(&url).await;
    assert_eq!(status, 302);
    let callback = callback.unwrap();

    // A callback with the wrong state is refused and the server keeps waiting.
    let forged = callback.replace("state=", "state=forged");
    let (status, _, body) = browse(&forged).await;
    assert_eq!((status, body.as_str()), (400, "State mismatch"));

    let (status, success, _) = browse(&callback).await;
    assert_eq!(status, 302);
    let (status, _, page) = browse(&success.unwrap()).await;
    assert_eq!(status, 200);
    assert!(page.contains("Signed in to Codex"));

    let tokens = flow.await.unwrap().unwrap();
    assert_eq!(tokens.account_id(), Some("acct_fake_0001"));
    assert_eq!(tokens.email(), Some("user@example.com"));
    assert_eq!(oauth.registry().exchanges(), 1);
}

#[tokio::test]
async fn loopback_refusal_cancel_timeout_and_single_code() {
    let oauth = FakeOAuth::start().await;
    let client = client_for(&oauth);

    oauth.deny_next_authorization();
    let (options, mut prompts) = capture(vec![free_port()]);
    let flow = {
        let client = client.clone();
        tokio::spawn(async move { flows::loopback(&client, &options).await })
    };
    let (_, callback, _) = browse(&next_url(&mut prompts).await).await;
    let (status, _, page) = browse(&callback.unwrap()).await;
    assert_eq!(status, 400);
    assert!(page.contains("access_denied"), "{page}");
    assert!(matches!(flow.await.unwrap(), Err(AuthError::OAuthAuthorizationFailed { .. })));

    let port = free_port();
    let (options, mut prompts) = capture(vec![port]);
    let flow = {
        let client = client.clone();
        tokio::spawn(async move { flows::loopback(&client, &options).await })
    };
    next_url(&mut prompts).await;
    let (status, _, body) = browse(&format!("http://127.0.0.1:{port}/cancel")).await;
    assert_eq!((status, body.as_str()), (200, "Login cancelled"));
    assert!(matches!(flow.await.unwrap(), Err(AuthError::LoginCancelled)));

    let (mut options, _prompts) = capture(vec![free_port()]);
    options.timeout = Duration::from_millis(200);
    assert!(matches!(flows::loopback(&client, &options).await, Err(AuthError::LoginTimedOut { .. })));

    let port = free_port();
    let (options, mut prompts) = capture(vec![port]);
    let flow = {
        let client = client.clone();
        tokio::spawn(async move { flows::loopback(&client, &options).await })
    };
    let (_, callback, _) = browse(&next_url(&mut prompts).await).await;
    let callback = callback.unwrap();
    let (status, _, _) = browse(&callback).await;
    assert_eq!(status, 302);
    let (status, _, page) = browse(&callback).await;
    assert_eq!(status, 400, "a second code is refused: {page}");
    flow.await.unwrap().unwrap();
}

#[tokio::test]
async fn busy_ports_fall_back_then_fail_naming_both() {
    let oauth = FakeOAuth::start().await;
    let client = client_for(&oauth);
    // A listener that accepts and never answers (not a login server that would /cancel).
    let blocker = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let busy = blocker.local_addr().unwrap().port();
    let fallback = free_port();
    let (options, mut prompts) = capture(vec![busy, fallback]);
    let flow = {
        let client = client.clone();
        tokio::spawn(async move { flows::loopback(&client, &options).await })
    };
    let url = next_url(&mut prompts).await;
    assert!(url.contains(&format!("localhost%3A{fallback}")), "the redirect uses the port actually bound");
    let (_, callback, _) = browse(&url).await;
    let (_, success, _) = browse(&callback.unwrap()).await;
    browse(&success.unwrap()).await;
    flow.await.unwrap().unwrap();

    let other = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let both = vec![busy, other.local_addr().unwrap().port()];
    let (options, _prompts) = capture(both.clone());
    let error = flows::loopback(&client, &options).await.unwrap_err();
    let text = error.to_string();
    assert!(matches!(error, AuthError::CallbackPortsBusy { .. }));
    assert!(
        text.contains(&both[0].to_string()) && text.contains(&both[1].to_string()) && text.contains("device"),
        "{text}"
    );
}

#[tokio::test]
async fn a_stale_login_server_is_asked_to_cancel() {
    let oauth = FakeOAuth::start().await;
    let client = client_for(&oauth);
    let port = free_port();
    let (first_options, mut first_prompts) = capture(vec![port]);
    let first = {
        let client = client.clone();
        tokio::spawn(async move { flows::loopback(&client, &first_options).await })
    };
    next_url(&mut first_prompts).await;
    let (second_options, mut second_prompts) = capture(vec![port]);
    let second = {
        let client = client.clone();
        tokio::spawn(async move { flows::loopback(&client, &second_options).await })
    };
    assert!(matches!(first.await.unwrap(), Err(AuthError::LoginCancelled)), "the old login gave the port up");
    let url = next_url(&mut second_prompts).await;
    let (_, callback, _) = browse(&url).await;
    let (_, success, _) = browse(&callback.unwrap()).await;
    browse(&success.unwrap()).await;
    second.await.unwrap().unwrap();
}

#[tokio::test]
async fn paste_flow() {
    let oauth = FakeOAuth::start().await;
    let client = client_for(&oauth);
    let (pasted_tx, pasted_rx) = std::sync::mpsc::channel::<String>();
    let pasted_rx = Arc::new(Mutex::new(pasted_rx));
    let run = |wrap: fn(String) -> String| {
        let (mut options, mut prompts) = capture(vec![]);
        let rx = pasted_rx.clone();
        options.paste = Arc::new(move || Ok(rx.lock().unwrap().recv().unwrap()));
        let client = client.clone();
        let pasted_tx = pasted_tx.clone();
        async move {
            let flow = tokio::spawn(async move { flows::paste(&client, &options).await });
            let (_, callback, _) = browse(&next_url(&mut prompts).await).await;
            pasted_tx.send(wrap(callback.unwrap())).unwrap();
            flow.await.unwrap()
        }
    };
    let tokens = run(|url| format!("  {url}\n")).await.unwrap();
    assert_eq!(tokens.account_id(), Some("acct_fake_0001"));
    assert!(matches!(run(|url| url.replace("state=", "state=x")).await, Err(AuthError::OAuthStateMismatch)));
    assert!(matches!(
        run(|_| "not a url at all".to_owned()).await,
        Err(AuthError::OAuthCallbackParse { .. })
    ));
}

#[tokio::test]
async fn device_code_flow_and_its_limits() {
    let oauth = Arc::new(FakeOAuth::start().await);
    oauth.set_device_interval(0);
    let client = client_for(&oauth);
    let (options, mut prompts) = capture(vec![]);
    let flow = {
        let client = client.clone();
        tokio::spawn(async move { flows::device(&client, &options).await })
    };
    let LoginPrompt::DeviceCode { user_code, verification_url, .. } = prompts.recv().await.unwrap() else {
        panic!()
    };
    assert_eq!(verification_url, format!("{}/codex/device", oauth.issuer()));
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(oauth.approve_device(&user_code));
    let tokens = flow.await.unwrap().unwrap();
    assert_eq!(tokens.plan_type(), Some("plus"));

    // A timeout too long to represent means none (it overflowed an `Instant` before).
    let (mut options, mut prompts) = capture(vec![]);
    options.device_timeout = Duration::MAX;
    let flow = {
        let client = client.clone();
        tokio::spawn(async move { flows::device(&client, &options).await })
    };
    let LoginPrompt::DeviceCode { user_code, .. } = prompts.recv().await.unwrap() else { panic!() };
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(oauth.approve_device(&user_code));
    assert!(flow.await.unwrap().is_ok());

    let (mut options, _prompts) = capture(vec![]);
    options.device_timeout = Duration::from_millis(300);
    assert!(matches!(flows::device(&client, &options).await, Err(AuthError::DeviceCodeExpired { .. })));

    let unsupported = OAuthClient::new(
        OAuthConfig::for_issuer(oauth.issuer())
            .with_device_user_code_endpoint(format!("{}/no-device", oauth.issuer())),
    )
    .unwrap();
    let (options, _prompts) = capture(vec![]);
    assert!(matches!(flows::device(&unsupported, &options).await, Err(AuthError::DeviceCodeUnsupported)));
}

#[tokio::test]
async fn discovery_is_used_when_it_answers_and_ignored_when_not() {
    let oauth = FakeOAuth::start().await;
    let broken = OAuthConfig::for_issuer(oauth.issuer())
        .with_token_endpoint(format!("{}/wrong/token", oauth.issuer()))
        .with_discovery_url(Some(oauth.discovery_url()));
    let discovered = OAuthClient::new(broken.clone()).unwrap().discover().await;
    assert_eq!(discovered.config().token_endpoint(), oauth.token_endpoint());
    oauth.set_discovery(false);
    let kept = OAuthClient::new(broken).unwrap().discover().await;
    assert_eq!(
        kept.config().token_endpoint(),
        format!("{}/wrong/token", oauth.issuer()),
        "a failed discovery is not an error"
    );
}

async fn signed_in(
    oauth: &FakeOAuth,
    store: Arc<dyn TokenStore>,
    lock_dir: &std::path::Path,
) -> TokenManager {
    let client = client_for(oauth);
    let (options, mut prompts) = capture(vec![]);
    let manager = TokenManager::new(client.clone(), store).with_lock_path(lock_dir.join("auth.lock"));
    oauth.set_device_interval(0);
    let device = {
        let manager = manager.clone().with_login(options);
        tokio::spawn(async move { manager.login(LoginMode::Device).await })
    };
    let LoginPrompt::DeviceCode { user_code, .. } = prompts.recv().await.unwrap() else { panic!() };
    oauth.approve_device(&user_code);
    device.await.unwrap().unwrap();
    manager
}

#[tokio::test]
async fn one_refresh_for_a_hundred_concurrent_requests() {
    let oauth = FakeOAuth::start().await;
    let dir = tempfile::tempdir().unwrap();
    oauth.registry().set_access_token_lifetime(Duration::ZERO);
    let manager = signed_in(&oauth, Arc::new(MemoryTokenStore::new()), dir.path()).await;
    oauth.registry().set_access_token_lifetime(Duration::from_secs(3600));
    assert!(manager.is_expired(Duration::ZERO).await);

    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let m = manager.clone();
            tokio::spawn(async move { m.headers().await })
        })
        .collect();
    let mut tokens = std::collections::HashSet::new();
    for task in tasks {
        tokens.insert(task.await.unwrap().unwrap().expose_bearer().unwrap().to_owned());
    }
    assert_eq!(oauth.registry().refreshes(), 1, "exactly one refresh");
    assert_eq!(tokens.len(), 1, "everyone got the fresh token");

    // A hundred concurrent 401s on that token: one more refresh.
    let refused = manager.headers().await.unwrap();
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let (m, r) = (manager.clone(), refused.clone());
            tokio::spawn(async move { m.recover(&r).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(oauth.registry().refreshes(), 2);
}

#[tokio::test]
async fn refresh_failures_are_classified_and_never_delete_tokens() {
    let oauth = FakeOAuth::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(FileTokenStore::new(dir.path().join("auth.json")));
    let manager = signed_in(&oauth, store.clone(), dir.path()).await;

    oauth.registry().fail_next_refresh(FakeFailure::ServerError);
    let error = manager.refresh_if_needed(true).await.unwrap_err();
    assert!(
        matches!(error, AuthError::TokenRefresh { failure: RefreshFailure::Transient, permanent: false, .. }),
        "{error}"
    );
    assert!(manager.refresh_if_needed(true).await.unwrap(), "a transient failure did not spend the token");

    for (failure, expected) in
        [(FakeFailure::Expired, RefreshFailure::Expired), (FakeFailure::Invalidated, RefreshFailure::Revoked)]
    {
        oauth.registry().fail_next_refresh(failure);
        let error = manager.refresh_if_needed(true).await.unwrap_err();
        let AuthError::TokenRefresh { failure, permanent: true, .. } = &error else { panic!("{error}") };
        assert_eq!(*failure, expected);
        assert!(error.to_string().contains("oauth-codex login"));
        assert!(store.load().unwrap().is_some(), "stored tokens are kept");
        let before = oauth.registry().refreshes();
        let again = manager.refresh_if_needed(true).await.unwrap_err();
        assert!(matches!(again, AuthError::AuthRequired { .. }), "{again}");
        assert_eq!(oauth.registry().refreshes(), before, "a known-dead token is not sent again");
        // A new sign-in (here by another manager on the same store) is adopted.
        signed_in(&oauth, store.clone(), dir.path()).await;
        assert!(manager.refresh_if_needed(true).await.unwrap(), "the new sign-in's tokens are used");
    }
}

#[tokio::test]
async fn another_process_rotation_is_adopted_not_reused() {
    let oauth = FakeOAuth::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("auth.json");
    let first = signed_in(&oauth, Arc::new(FileTokenStore::new(&path)), dir.path()).await;
    // A second "process": its own manager and cache over the same file and lock.
    let second = TokenManager::new(client_for(&oauth), Arc::new(FileTokenStore::new(&path)));
    let stale = second.headers().await.unwrap();
    assert!(first.refresh_if_needed(true).await.unwrap());
    assert_eq!(oauth.registry().refreshes(), 1);
    second.recover(&stale).await.unwrap();
    assert_eq!(oauth.registry().refreshes(), 1, "the second process adopted the rotated tokens");
    assert_ne!(second.headers().await.unwrap(), stale);
}

#[tokio::test]
async fn never_mode_logout_and_both_refresh_encodings() {
    let oauth = FakeOAuth::start().await;
    let dir = tempfile::tempdir().unwrap();
    let empty = TokenManager::new(client_for(&oauth), Arc::new(MemoryTokenStore::new()))
        .with_lock_path(dir.path().join("l"));
    assert!(!empty.is_authenticated().await);
    let error = empty.headers().await.unwrap_err();
    assert!(error.user_message.contains("oauth-codex login"), "{error}");

    let store = Arc::new(MemoryTokenStore::new());
    let manager = signed_in(&oauth, store.clone(), dir.path()).await;
    assert!(manager.is_authenticated().await);
    manager.logout().await.unwrap();
    assert!(store.load().unwrap().is_none());
    assert_eq!(oauth.registry().revocations(), 1);
    assert!(!manager.is_authenticated().await);

    for encoding in [RefreshEncoding::Json, RefreshEncoding::Form] {
        let client =
            OAuthClient::new(OAuthConfig::for_issuer(oauth.issuer()).with_refresh_encoding(encoding))
                .unwrap();
        let token = codex_auth::RefreshToken::new(oauth.mint_refresh_token());
        let response = client.refresh(&token).await.unwrap();
        assert!(response.refresh_token.is_some(), "{encoding:?}");
    }
}

#[tokio::test]
async fn a_401_is_recovered_by_one_refresh_through_the_transport() {
    let oauth = FakeOAuth::start().await;
    let codex = FakeCodex::builder().registry(oauth.registry().clone()).start().await;
    let dir = tempfile::tempdir().unwrap();
    let manager = signed_in(&oauth, Arc::new(MemoryTokenStore::new()), dir.path()).await;
    // The server expires the token early; the client still believes it valid.
    oauth.registry().expire_access_tokens();
    let refreshes = Arc::new(Mutex::new(Vec::new()));
    let seen = refreshes.clone();
    let transport = Transport::new(
        TransportConfig::new(codex.base_url()),
        Arc::new(manager.clone()),
        Hooks::new().on_auth_refresh(move |e| seen.lock().unwrap().push(e.success)),
    )
    .unwrap();
    let body =
        serde_json::json!({"model": "m", "instructions": "i", "input": [], "store": false, "stream": true});
    let mut stream = transport.stream(HttpRequest::post_json("responses", body)).await.unwrap();
    while let Some(frame) = stream.next().await {
        frame.unwrap();
    }
    assert_eq!(*refreshes.lock().unwrap(), [true]);
    assert_eq!(oauth.registry().refreshes(), 1);
    let sent = codex.requests();
    assert_eq!(sent.len(), 2, "the 401, then the retry with the new token");
    assert_ne!(sent[0].header("authorization"), sent[1].header("authorization"));
    assert_eq!(sent[1].header("chatgpt-account-id"), Some("acct_fake_0001"));
}

#[tokio::test]
async fn a_token_endpoint_401_is_reported_as_the_servers_answer() {
    let oauth = FakeOAuth::start().await;
    let client = client_for(&oauth);
    let token = codex_auth::RefreshToken::new(oauth.mint_refresh_token());
    client.refresh(&token).await.unwrap();
    let error = client.refresh(&token).await.unwrap_err();
    assert!(
        matches!(
            error,
            AuthError::TokenRefresh {
                failure: RefreshFailure::Reused,
                permanent: true,
                status: Some(401),
                ..
            }
        ),
        "{error}"
    );
}

/// A memory store whose saves fail while `failing` is set.
struct FlakyStore {
    inner: MemoryTokenStore,
    failing: std::sync::atomic::AtomicBool,
}

impl TokenStore for FlakyStore {
    fn load(&self) -> codex_auth::Result<Option<codex_auth::TokenSet>> {
        self.inner.load()
    }

    fn save(&self, tokens: &codex_auth::TokenSet) -> codex_auth::Result<()> {
        if self.failing.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(AuthError::TokenStoreWrite {
                store: "flaky memory".to_owned(),
                reason: "the disk is full".to_owned(),
            });
        }
        self.inner.save(tokens)
    }

    fn delete(&self) -> codex_auth::Result<()> {
        self.inner.delete()
    }
}

/// `ready_headers` (asked before every request) gives the cached credentials only while
/// `headers` would give the same without doing anything: not before tokens are loaded, not
/// when they expire within the leeway (`headers` refreshes), not while refreshed tokens wait
/// to be saved (`headers` saves them first). Otherwise it follows every rotation.
#[tokio::test]
async fn ready_headers_are_the_cached_credentials_only_while_nothing_needs_doing() {
    let oauth = FakeOAuth::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(FlakyStore {
        inner: MemoryTokenStore::new(),
        failing: std::sync::atomic::AtomicBool::new(false),
    });
    oauth.registry().set_access_token_lifetime(Duration::ZERO);
    let manager = signed_in(&oauth, store.clone(), dir.path()).await;
    oauth.registry().set_access_token_lifetime(Duration::from_secs(3600));
    assert_eq!(manager.ready_headers(), None, "nothing is cached yet");
    assert!(manager.tokens().await.unwrap().is_expired(Duration::ZERO), "cached now, and expired");
    assert_eq!(manager.ready_headers(), None, "an expired token is refreshed by `headers`, not handed out");
    assert_eq!(oauth.registry().refreshes(), 0);

    let fresh = manager.headers().await.unwrap();
    assert_eq!(oauth.registry().refreshes(), 1);
    assert_eq!(manager.ready_headers().as_ref(), Some(&fresh));
    assert_eq!(manager.ready_headers().unwrap().account_id(), Some("acct_fake_0001"));

    // A rotation the store cannot save: `headers` must try the save again first.
    store.failing.store(true, std::sync::atomic::Ordering::SeqCst);
    manager.recover(&fresh).await.unwrap();
    assert_eq!(oauth.registry().refreshes(), 2);
    assert_eq!(manager.ready_headers(), None, "unsaved tokens are saved before they are used");
    store.failing.store(false, std::sync::atomic::Ordering::SeqCst);
    let rotated = manager.headers().await.unwrap();
    assert_ne!(rotated, fresh);
    assert_eq!(
        store.inner.load().unwrap().unwrap().access_token().expose_secret(),
        rotated.expose_bearer().unwrap()
    );
    assert_eq!(manager.ready_headers().as_ref(), Some(&rotated));

    // Another process's manager over an empty cache: nothing is at hand until `headers` loads.
    let other = TokenManager::new(client_for(&oauth), store.clone());
    assert_eq!(other.ready_headers(), None);
    assert_eq!(other.headers().await.unwrap(), rotated);
    assert_eq!(other.ready_headers(), Some(rotated));
}
