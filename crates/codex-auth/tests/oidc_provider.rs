//! Interoperability with a real OAuth 2.0 / OpenID Connect server that no one here wrote:
//! panva's `oidc-provider` (npm), run by `tests/peers/oidc-provider/server.mjs` on 127.0.0.1.
//!
//! The provider is configured with one public client that must use PKCE (S256) and gets
//! rotating refresh tokens; replaying a used refresh token makes the provider revoke the whole
//! grant. A small test "browser" below follows the provider's own login and consent pages
//! (its `devInteractions`), with cookies, to our callback.
//!
//! The tests need Node and `npm ci` in `tests/peers/oidc-provider`. Without the installed
//! package they print a notice and pass, unless `OAUTH_CODEX_PEER_TESTS=1` is set (CI sets
//! it), in which case they fail and say what to run.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use codex_auth::{
    AuthError, LoginOptions, LoginPrompt, MemoryTokenStore, OAuthClient, OAuthConfig, RefreshEncoding,
    RefreshFailure, TokenManager, TokenSet, TokenStore, flows, loopback_redirect_uri,
};
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use tokio::sync::mpsc;
use url::Url;

/// Set to `1` to make a missing peer a failure instead of a skip.
const REQUIRE_ENV: &str = "OAUTH_CODEX_PEER_TESTS";
/// The public client server.mjs registers.
const CLIENT_ID: &str = "oauth-codex-test";
/// `offline_access` is asked for as the Codex CLI does (without `prompt=consent`, so the
/// provider drops it); server.mjs issues refresh tokens regardless (`issueRefreshToken`).
const SCOPE: &str = "openid offline_access profile email";
/// The access-token lifetime the peer is started with: shorter than the token manager's
/// default refresh leeway (5 minutes), so every fresh token is already "due".
const ACCESS_TOKEN_TTL: u64 = 60;
/// The login typed into the provider's login form; it becomes the account id (`sub`).
const LOGIN: &str = "alice";
/// How long one whole test may take before it is considered hung.
const TEST_TIMEOUT: Duration = Duration::from_secs(120);

/// The peer's directory (package.json, server.mjs, node_modules after `npm ci`):
/// `tests/peers/oidc-provider` at the workspace root.
fn peer_dir() -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2).expect("crates/codex-auth");
    workspace.join("tests").join("peers").join("oidc-provider")
}

fn peer_required() -> bool {
    std::env::var(REQUIRE_ENV).is_ok_and(|value| value.trim() == "1")
}

/// Skips (with a one-line notice) or fails, depending on [`REQUIRE_ENV`].
fn unavailable(reason: &str) {
    if peer_required() {
        panic!(
            "{REQUIRE_ENV}=1 but the oidc-provider peer cannot run: {reason}. Run `npm ci` in {} (Node 20+).",
            peer_dir().display()
        );
    }
    eprintln!(
        "note: skipping the oidc-provider interoperability test ({reason}); run `npm ci` in \
         tests/peers/oidc-provider and set {REQUIRE_ENV}=1 to run it"
    );
}

/// A running `node server.mjs`, killed on drop. Its stderr is kept and shown if the test
/// fails.
struct Peer {
    child: Child,
    issuer: String,
    stderr: Arc<Mutex<String>>,
}

impl Peer {
    /// Starts the provider on an ephemeral port; `None` when the test should be skipped.
    fn start() -> Option<Peer> {
        let dir = peer_dir();
        if !dir.join("node_modules").join("oidc-provider").join("package.json").is_file() {
            unavailable("tests/peers/oidc-provider/node_modules is missing");
            return None;
        }
        let spawned = Command::new("node")
            .arg("server.mjs")
            .arg("0")
            .current_dir(&dir)
            .env("OIDC_PEER_CLIENT_ID", CLIENT_ID)
            .env("OIDC_PEER_ACCESS_TOKEN_TTL", ACCESS_TOKEN_TTL.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        let mut child = match spawned {
            Ok(child) => child,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                unavailable("`node` is not on PATH");
                return None;
            }
            Err(error) => panic!("could not start `node server.mjs` in {}: {error}", dir.display()),
        };

        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().expect("stderr is piped");
        let sink = stderr.clone();
        let stderr_reader = std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(read @ 1..) = pipe.read(&mut buffer) {
                sink.lock().unwrap().push_str(&String::from_utf8_lossy(&buffer[..read]));
            }
        });

        // Read stdout until the ready line; keep draining it afterwards.
        let stdout = child.stdout.take().expect("stdout is piped");
        let (ready, ready_line) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut ready = Some(ready);
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(issuer) = line.strip_prefix("listening ")
                    && let Some(ready) = ready.take()
                {
                    let _ = ready.send(issuer.trim().to_owned());
                }
            }
        });
        let issuer = match ready_line.recv_timeout(Duration::from_secs(30)) {
            Ok(issuer) => issuer,
            Err(error) => {
                let _ = child.kill();
                let status = child.wait();
                let _ = stderr_reader.join();
                panic!(
                    "oidc-provider did not print its ready line ({error}; exit: {status:?}); its stderr:\n{}",
                    stderr.lock().unwrap()
                );
            }
        };
        Some(Peer { child, issuer, stderr })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    /// A client configured only with the issuer and the discovery URL, after discovery.
    async fn client(&self) -> OAuthClient {
        let config = OAuthConfig::for_issuer(&self.issuer)
            .with_discovery_url(Some(self.url("/.well-known/openid-configuration")))
            .with_client_id(CLIENT_ID)
            .with_scope(SCOPE);
        assert_eq!(config.refresh_encoding(), RefreshEncoding::Form, "RFC 6749 refresh for this issuer");
        // Before discovery the endpoints are the Codex CLI's paths, which this server lacks.
        assert_eq!(config.token_endpoint(), self.url("/oauth/token"));
        let client = OAuthClient::new(config).expect("a valid loopback configuration").discover().await;
        assert_eq!(client.config().authorization_endpoint(), self.url("/auth"), "discovered");
        assert_eq!(client.config().token_endpoint(), self.url("/token"), "discovered");
        assert_eq!(client.config().revocation_endpoint(), self.url("/token/revocation"), "discovered");
        client
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let stderr = self.stderr.lock().map(|s| s.clone()).unwrap_or_default();
            if !stderr.trim().is_empty() {
                eprintln!("--- oidc-provider stderr ---\n{stderr}--- end of oidc-provider stderr ---");
            }
        }
    }
}

type HttpClient = Client<HttpConnector, Full<Bytes>>;

fn http_client() -> HttpClient {
    Client::builder(TokioExecutor::new()).build_http()
}

/// One HTTP answer, fully read.
struct Answer {
    status: u16,
    location: Option<String>,
    set_cookies: Vec<String>,
    body: String,
}

async fn send(
    client: &HttpClient,
    method: &str,
    url: &Url,
    headers: &[(&str, String)],
    form: Option<&[(String, String)]>,
) -> Answer {
    let mut request = Request::builder().method(method).uri(url.as_str());
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let body = match form {
        Some(fields) => {
            request = request.header("content-type", "application/x-www-form-urlencoded");
            let encoded = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
            Full::new(Bytes::from(encoded))
        }
        None => Full::new(Bytes::new()),
    };
    let response = client
        .request(request.body(body).expect("a valid request"))
        .await
        .unwrap_or_else(|error| panic!("{method} {url}: {error}"));
    let status = response.status().as_u16();
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let location = header("location");
    let set_cookies = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_owned)
        .collect();
    let body = response.into_body().collect().await.expect("a readable body").to_bytes();
    Answer { status, location, set_cookies, body: String::from_utf8_lossy(&body).into_owned() }
}

/// What the provider's userinfo endpoint says about an access token: (status, body).
async fn userinfo(peer: &Peer, access_token: &str) -> (u16, Value) {
    let url = Url::parse(&peer.url("/me")).unwrap();
    let answer =
        send(&http_client(), "GET", &url, &[("authorization", format!("Bearer {access_token}"))], None).await;
    (answer.status, serde_json::from_str(&answer.body).unwrap_or(Value::Null))
}

/// A cookie as a browser keeps it: per host (and port), scoped to a path.
#[derive(Debug)]
struct Cookie {
    host: String,
    path: String,
    name: String,
    value: String,
}

/// Where a browsing session ended.
#[derive(Debug)]
struct Visit {
    /// Each request made, as `METHOD url -> status`.
    log: Vec<String>,
    /// The `prompt` of each interaction form submitted (`login`, `consent`).
    prompts: Vec<String>,
    /// The last URL reached: the page that had no form, or the stop URL (not requested).
    url: Url,
    /// The last page's status and body (`None` when stopped before requesting it).
    page: Option<(u16, String)>,
}

/// Just enough of a browser for oidc-provider's development interactions: redirects followed
/// by hand, a cookie jar, and HTML forms submitted with their hidden fields.
struct Browser {
    client: HttpClient,
    jar: Vec<Cookie>,
}

fn host_key(url: &Url) -> String {
    format!("{}:{}", url.host_str().unwrap_or_default(), url.port_or_known_default().unwrap_or_default())
}

fn path_matches(cookie_path: &str, request_path: &str) -> bool {
    request_path == cookie_path
        || (request_path.starts_with(cookie_path)
            && (cookie_path.ends_with('/') || request_path[cookie_path.len()..].starts_with('/')))
}

/// The HTML entities the provider's templates produce.
fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&#x2F;", "/")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The value of `name="…"` in a tag's text.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let end = tag[start..].find('"')? + start;
    Some(unescape(&tag[start..end]))
}

/// The first form of a page: its action and fields (hidden ones with their values, the
/// provider's `login`/`password` inputs filled in).
fn first_form(page: &str) -> Option<(String, Vec<(String, String)>)> {
    let start = page.find("<form")?;
    let end = page[start..].find("</form>").map_or(page.len(), |end| start + end);
    let form = &page[start..end];
    let open_tag = &form[..form.find('>')?];
    let action = attribute(open_tag, "action")?;
    let method = attribute(open_tag, "method").unwrap_or_else(|| "get".to_owned());
    assert!(method.eq_ignore_ascii_case("post"), "the provider's forms are POSTed: {open_tag}");
    let mut fields = Vec::new();
    for input in form.split("<input").skip(1) {
        let tag = &input[..input.find('>').unwrap_or(input.len())];
        let Some(name) = attribute(tag, "name") else { continue };
        let kind = attribute(tag, "type").unwrap_or_else(|| "text".to_owned());
        let value = match (kind.as_str(), name.as_str()) {
            ("hidden", _) => attribute(tag, "value").unwrap_or_default(),
            (_, "login") => LOGIN.to_owned(),
            // devInteractions accept any password.
            (_, "password") => "any password will do".to_owned(),
            _ => panic!("the provider's form has an input this browser cannot fill: {tag}"),
        };
        fields.push((name, value));
    }
    Some((action, fields))
}

impl Browser {
    fn new() -> Self {
        Browser { client: http_client(), jar: Vec::new() }
    }

    fn cookie_header(&self, url: &Url) -> Option<String> {
        let host = host_key(url);
        let cookies: Vec<String> = self
            .jar
            .iter()
            .filter(|c| c.host == host && path_matches(&c.path, url.path()))
            .map(|c| format!("{}={}", c.name, c.value))
            .collect();
        (!cookies.is_empty()).then(|| cookies.join("; "))
    }

    fn store_cookies(&mut self, url: &Url, set_cookies: &[String]) {
        for line in set_cookies {
            let mut parts = line.split(';').map(str::trim);
            let Some((name, value)) = parts.next().and_then(|pair| pair.split_once('=')) else { continue };
            let mut path = "/".to_owned();
            let mut expired = value.is_empty();
            for attribute in parts {
                let (key, val) = attribute.split_once('=').unwrap_or((attribute, ""));
                match key.to_ascii_lowercase().as_str() {
                    "path" => path = val.to_owned(),
                    "max-age" => expired |= val.trim().starts_with('-') || val.trim() == "0",
                    "expires" => expired |= val.contains("1970"),
                    _ => {}
                }
            }
            let host = host_key(url);
            self.jar.retain(|c| !(c.host == host && c.name == name && c.path == path));
            if !expired {
                self.jar.push(Cookie { host, path, name: name.to_owned(), value: value.to_owned() });
            }
        }
    }

    /// Opens `start` and goes where the pages lead: redirects are followed, each page with a
    /// form has it submitted, a page without a form ends the visit. A redirect to a URL that
    /// starts with `stop_at` ends it too, without requesting that URL (the paste flow: the
    /// person copies the address instead).
    async fn visit(&mut self, start: &str, stop_at: Option<&str>) -> Visit {
        let mut url = Url::parse(start).expect("the authorization URL parses");
        let mut form: Option<Vec<(String, String)>> = None;
        let mut log = Vec::new();
        let mut prompts = Vec::new();
        for _ in 0..30 {
            if stop_at.is_some_and(|stop| url.as_str().starts_with(stop)) {
                return Visit { log, prompts, url, page: None };
            }
            let method = if form.is_some() { "POST" } else { "GET" };
            let headers: Vec<(&str, String)> =
                self.cookie_header(&url).map(|cookie| ("cookie", cookie)).into_iter().collect();
            let answer = send(&self.client, method, &url, &headers, form.take().as_deref()).await;
            log.push(format!("{method} {url} -> {}", answer.status));
            self.store_cookies(&url, &answer.set_cookies);
            match answer.status {
                301..=303 | 307 | 308 => {
                    let location = answer.location.expect("a redirect names its target");
                    url = url.join(&location).expect("the redirect target resolves");
                }
                200 => match first_form(&answer.body) {
                    Some((action, fields)) => {
                        let prompt = fields.iter().find(|(name, _)| name == "prompt");
                        prompts.push(prompt.map(|(_, value)| value.clone()).unwrap_or_default());
                        url = url.join(&action).expect("the form action resolves");
                        form = Some(fields);
                    }
                    None => return Visit { log, prompts, url, page: Some((200, answer.body)) },
                },
                status => return Visit { log, prompts, url, page: Some((status, answer.body)) },
            }
        }
        panic!("the browser went in circles: {log:#?}");
    }
}

/// The authorization URL's query parameters.
fn query(url: &str) -> BTreeMap<String, String> {
    Url::parse(url).expect("a URL").query_pairs().into_owned().collect()
}

/// Checks what the sign-in produced from this provider's tokens.
fn check_signed_in(tokens: &TokenSet) {
    // Under the secret sweep (`cargo xtask sweep`) this provider's tokens are searched for too.
    use codex_testkit::sweep::{SecretKind, record_secret};
    record_secret(SecretKind::AccessToken, tokens.access_token().expose_secret());
    record_secret(SecretKind::RefreshToken, tokens.refresh_token().expose_secret());
    record_secret(SecretKind::IdToken, tokens.id_token().expose_secret());
    assert_eq!(tokens.email(), Some(format!("{LOGIN}@example.test").as_str()), "email from the ID token");
    // No `https://api.openai.com/auth` claims here, and that is fine.
    assert_eq!(tokens.account_id(), None);
    assert_eq!(tokens.plan_type(), None);
    // The access token is opaque: its expiry comes from `expires_in`.
    let expires_at = tokens.expires_at().expect("expires_in gives the expiry");
    let left = expires_at.duration_since(SystemTime::now()).unwrap_or_default();
    assert!(left <= Duration::from_secs(ACCESS_TOKEN_TTL), "expires in {left:?}");
    assert!(left >= Duration::from_secs(ACCESS_TOKEN_TTL - 30), "expires in {left:?}");
    assert!(tokens.last_refresh().is_some());
}

fn login_options() -> LoginOptions {
    LoginOptions { open_browser: false, timeout: Duration::from_secs(60), ..LoginOptions::default() }
}

/// The loopback sign-in (PKCE, the provider's login and consent pages, our callback server),
/// then rotating refreshes: one through `OAuthClient::refresh`, one through the token
/// manager's `refresh_if_needed` (the access token is due because its lifetime is shorter
/// than the manager's leeway).
#[tokio::test]
async fn loopback_sign_in_then_rotating_refreshes() {
    let Some(peer) = Peer::start() else { return };
    tokio::time::timeout(TEST_TIMEOUT, async {
        let client = peer.client().await;

        let (prompt_tx, mut prompt_rx) = mpsc::unbounded_channel();
        let options = LoginOptions {
            ports: vec![0], // any free port: the native client accepts any loopback port
            prompt: Arc::new(move |prompt: &LoginPrompt| {
                let _ = prompt_tx.send(prompt.clone());
            }),
            ..login_options()
        };
        let browse = async {
            let url = match prompt_rx.recv().await.expect("the flow prompts") {
                LoginPrompt::OpenUrl { url } => url,
                other => panic!("unexpected prompt {other:?}"),
            };
            let params = query(&url);
            assert!(url.starts_with(&peer.url("/auth?")), "the discovered endpoint: {url}");
            assert_eq!(params["code_challenge_method"], "S256");
            // The Codex-specific parameters are sent, and the provider ignores them.
            for extra in ["id_token_add_organizations", "codex_cli_simplified_flow", "originator"] {
                assert!(params.contains_key(extra), "{extra} missing from {url}");
            }
            let redirect = Url::parse(&params["redirect_uri"]).unwrap();
            assert_eq!(redirect.host_str(), Some("localhost"));
            assert_ne!(redirect.port(), Some(1455), "an ephemeral port, unlike the registered one");
            Browser::new().visit(&url, None).await
        };
        let (signed_in, visit) = tokio::join!(flows::loopback(&client, &options), browse);
        let tokens = signed_in.unwrap_or_else(|error| panic!("sign-in failed: {error}\n{visit:#?}"));
        assert_eq!(visit.prompts, ["login", "consent"], "{:#?}", visit.log);
        assert_eq!(visit.url.host_str(), Some("localhost"), "{:#?}", visit.log);
        assert_eq!(visit.url.path(), "/success", "{:#?}", visit.log);
        let (status, page) = visit.page.as_ref().expect("the success page was shown");
        assert_eq!(*status, 200);
        assert!(page.contains("Signed in"), "{page}");
        // The provider sends RFC 9207's `iss` with the code (the library does not check it).
        let callback = visit.log.iter().find(|line| line.contains("/auth/callback?")).expect("the callback");
        assert!(callback.contains("&iss="), "{callback}");
        if let Some(code) = callback.split(['?', '&', ' ']).find_map(|pair| pair.strip_prefix("code=")) {
            codex_testkit::sweep::record_secret(codex_testkit::sweep::SecretKind::AuthorizationCode, code);
        }
        check_signed_in(&tokens);
        let (status, me) = userinfo(&peer, tokens.access_token().expose_secret()).await;
        assert_eq!((status, &me["sub"]), (200, &Value::from(LOGIN)), "{me}");

        // One refresh through the client: every token rotates.
        let response = client.refresh(tokens.refresh_token()).await.expect("the first refresh");
        let rotated = response.refresh_token.clone().expect("a rotated refresh token");
        assert_ne!(&rotated, tokens.refresh_token(), "the refresh token rotates");
        assert_ne!(&response.access_token, tokens.access_token());
        assert!(response.id_token.is_some(), "oidc-provider sends a new ID token on refresh");
        assert_eq!(response.expires_in, Some(ACCESS_TOKEN_TTL));
        let mut second = tokens.clone();
        second.apply_refresh(response).expect("the refresh merges");
        assert_eq!(second.refresh_token(), &rotated);
        check_signed_in(&second);
        let (status, _) = userinfo(&peer, second.access_token().expose_secret()).await;
        assert_eq!(status, 200, "the refreshed access token works");

        // One refresh through the token manager, unforced: the token is due within the leeway.
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(MemoryTokenStore::new());
        let manager =
            TokenManager::new(client.clone(), store.clone()).with_lock_path(dir.path().join("auth.lock"));
        manager.adopt(second.clone()).await.unwrap();
        assert!(manager.refresh_if_needed(false).await.expect("the manager's refresh"), "refreshed");
        let third = store.load().unwrap().expect("the refreshed tokens are saved");
        assert_ne!(third.refresh_token(), second.refresh_token(), "rotated again");
        assert_ne!(third.access_token(), second.access_token());
        assert_eq!(manager.tokens().await.unwrap(), third);
        check_signed_in(&third);
        let (status, _) = userinfo(&peer, third.access_token().expose_secret()).await;
        assert_eq!(status, 200, "the manager's access token works");
    })
    .await
    .expect("the test finished in time");
}

/// The paste sign-in, one rotation, then the OLD refresh token replayed.
///
/// What oidc-provider does (`lib/actions/grants/refresh_token.js`): a consumed refresh token
/// presented again is destroyed and its whole grant revoked, and the answer is HTTP 400
/// `{"error":"invalid_grant","error_description":"grant request is invalid"}`. So the newest
/// tokens die with the grant as well: its access token is refused by userinfo and its refresh
/// token gets the same 400 answer. What the library must do: call the replay a permanent
/// failure (only a new sign-in helps), and leave the saved tokens alone: the store is never
/// deleted or overwritten by a failed refresh.
#[tokio::test]
async fn replayed_refresh_token_is_permanent_and_keeps_the_saved_tokens() {
    let Some(peer) = Peer::start() else { return };
    tokio::time::timeout(TEST_TIMEOUT, async {
        let client = peer.client().await;
        let redirect_uri = loopback_redirect_uri(1455);
        assert_eq!(client.config().redirect_uri(), redirect_uri, "the paste flow uses the configured URI");

        let (prompt_tx, mut prompt_rx) = mpsc::unbounded_channel();
        let (paste_tx, paste_rx) = std::sync::mpsc::channel::<String>();
        let paste_rx = Mutex::new(paste_rx);
        let options = LoginOptions {
            prompt: Arc::new(move |prompt: &LoginPrompt| {
                let _ = prompt_tx.send(prompt.clone());
            }),
            paste: Arc::new(move || {
                paste_rx
                    .lock()
                    .unwrap()
                    .recv_timeout(Duration::from_secs(60))
                    .map_err(|e| std::io::Error::new(std::io::ErrorKind::TimedOut, e.to_string()))
            }),
            ..login_options()
        };
        let browse = async {
            let url = match prompt_rx.recv().await.expect("the flow prompts") {
                LoginPrompt::PasteCallback { url } => url,
                other => panic!("unexpected prompt {other:?}"),
            };
            // Nothing listens on the redirect URI: the person copies the address instead.
            let visit = Browser::new().visit(&url, Some(&redirect_uri)).await;
            paste_tx.send(format!("  {}\n", visit.url)).expect("the flow reads the paste");
            visit
        };
        let (signed_in, visit) = tokio::join!(flows::paste(&client, &options), browse);
        let tokens = signed_in.unwrap_or_else(|error| panic!("sign-in failed: {error}\n{visit:#?}"));
        assert_eq!(visit.prompts, ["login", "consent"], "{:#?}", visit.log);
        assert!(visit.page.is_none());
        check_signed_in(&tokens);

        // Rotate once; the newest tokens go to the store a token manager uses.
        let old_refresh_token = tokens.refresh_token().clone();
        let response = client.refresh(&old_refresh_token).await.expect("the first refresh");
        let mut newest = tokens.clone();
        newest.apply_refresh(response).expect("the refresh merges");
        assert_ne!(newest.refresh_token(), &old_refresh_token, "the refresh token rotates");
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(MemoryTokenStore::with_tokens(newest.clone()));
        let manager =
            TokenManager::new(client.clone(), store.clone()).with_lock_path(dir.path().join("auth.lock"));
        assert_eq!(manager.tokens().await.unwrap(), newest);

        // Replay the old refresh token.
        let replay =
            client.refresh(&old_refresh_token).await.expect_err("a replayed refresh token is refused");
        eprintln!("replayed refresh token: {replay:?}");
        let AuthError::TokenRefresh { failure, permanent, status, .. } = &replay else {
            panic!("a refresh failure, not {replay:?}");
        };
        assert_eq!(*status, Some(400), "oidc-provider answers invalid_grant with 400");

        // oidc-provider revoked the grant: the newest tokens are dead at the provider too.
        let (status, body) = userinfo(&peer, newest.access_token().expose_secret()).await;
        assert_eq!(status, 401, "the grant's access token is revoked: {body}");

        // The manager holding the newest tokens tries to refresh them and fails (the grant is
        // gone), but the store keeps exactly what it had, and so does the manager.
        let first = manager.refresh_if_needed(true).await.expect_err("the revoked grant cannot refresh");
        eprintln!("refreshing the newest tokens after the replay: {first:?}");
        assert!(
            matches!(first, AuthError::TokenRefresh { status: Some(400), .. }),
            "the provider's invalid_grant answer: {first:?}"
        );
        assert_eq!(store.load().unwrap().as_ref(), Some(&newest), "the store is untouched");
        assert_eq!(manager.tokens().await.unwrap(), newest, "the manager still holds the newest tokens");
        let second = manager.refresh_if_needed(true).await.expect_err("still revoked");
        assert_eq!(store.load().unwrap().as_ref(), Some(&newest), "the store is untouched");

        // The classification: invalid_grant means the refresh token (or its grant) is dead,
        // and retrying cannot help. RFC 6749 §5.2.
        assert!(
            *permanent && *failure != RefreshFailure::Transient,
            "a replayed refresh token (HTTP 400 invalid_grant) must be a permanent failure, got \
             failure={failure:?} permanent={permanent}: {replay}"
        );
        assert!(
            matches!(first, AuthError::TokenRefresh { permanent: true, .. }),
            "the manager's refresh of the revoked grant must be permanent too: {first:?}"
        );
        // A remembered permanent failure is answered without asking the server again.
        assert!(matches!(second, AuthError::AuthRequired { .. }), "{second:?}");
    })
    .await
    .expect("the test finished in time");
}

/// Logging out revokes the refresh token at the provider's revocation endpoint (RFC 7009).
#[tokio::test]
async fn logout_revokes_the_refresh_token() {
    let Some(peer) = Peer::start() else { return };
    tokio::time::timeout(TEST_TIMEOUT, async {
        let client = peer.client().await;
        let redirect_uri = loopback_redirect_uri(1455);
        let (prompt_tx, mut prompt_rx) = mpsc::unbounded_channel();
        let (paste_tx, paste_rx) = std::sync::mpsc::channel::<String>();
        let paste_rx = Mutex::new(paste_rx);
        let options = LoginOptions {
            prompt: Arc::new(move |prompt: &LoginPrompt| {
                let _ = prompt_tx.send(prompt.clone());
            }),
            paste: Arc::new(move || {
                paste_rx
                    .lock()
                    .unwrap()
                    .recv_timeout(Duration::from_secs(60))
                    .map_err(|e| std::io::Error::new(std::io::ErrorKind::TimedOut, e.to_string()))
            }),
            ..login_options()
        };
        let browse = async {
            let Some(LoginPrompt::PasteCallback { url }) = prompt_rx.recv().await else {
                panic!("the paste prompt")
            };
            let visit = Browser::new().visit(&url, Some(&redirect_uri)).await;
            paste_tx.send(visit.url.to_string()).unwrap();
        };
        let (signed_in, ()) = tokio::join!(flows::paste(&client, &options), browse);
        let tokens = signed_in.expect("signed in");

        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(MemoryTokenStore::with_tokens(tokens.clone()));
        let manager =
            TokenManager::new(client.clone(), store.clone()).with_lock_path(dir.path().join("auth.lock"));
        manager.logout().await.expect("logged out");
        assert!(store.load().unwrap().is_none(), "the store is emptied");
        let refused = client.refresh(tokens.refresh_token()).await;
        assert!(
            matches!(refused, Err(AuthError::TokenRefresh { status: Some(400), .. })),
            "the revoked refresh token must be refused: {refused:?}"
        );
    })
    .await
    .expect("the test finished in time");
}

#[test]
fn the_peer_directory_is_where_the_tests_look() {
    // The package files are committed even when node_modules is not installed.
    let dir = peer_dir();
    for file in ["package.json", "package-lock.json", "server.mjs", "README.md"] {
        assert!(Path::new(&dir).join(file).is_file(), "{} is missing", dir.join(file).display());
    }
}
