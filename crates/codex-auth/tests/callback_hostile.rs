//! The loopback sign-in server under hostile callbacks: forged, incomplete, repeated, huge and
//! malformed requests are refused with a clear answer, never panic the server, and never
//! change the flow's result unless they carry this attempt's state; the server listens on
//! 127.0.0.1 only.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use codex_auth::{AuthError, LoginOptions, LoginPrompt, OAuthClient, OAuthConfig, TokenSet, flows};
use codex_testkit::FakeOAuth;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// An upper bound that turns a hang into a failure; never a timing assertion.
const HANG: Duration = Duration::from_secs(60);

async fn bounded<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(HANG, future).await.unwrap_or_else(|_| panic!("{what} hung"))
}

/// A raw HTTP/1.1 exchange on a fresh connection: `(status, body)`, or `None` when the server
/// closed the connection without an answer.
async fn raw_get(port: u16, target: &str) -> Option<(u16, String)> {
    let mut stream =
        TcpStream::connect((Ipv4Addr::LOCALHOST, port)).await.expect("connect to the login server");
    let request = format!("GET {target} HTTP/1.1\r\nHost: localhost:{port}\r\nConnection: close\r\n\r\n");
    // The server may refuse a huge request before reading all of it.
    let _ = stream.write_all(request.as_bytes()).await;
    let mut answer = Vec::new();
    let _ = bounded("reading an answer", stream.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()?;
    let body = answer.split_once("\r\n\r\n").map(|(_, body)| body.to_owned()).unwrap_or_default();
    Some((status, body))
}

/// A sign-in in progress: the flow task, its callback port, and the callback the fake
/// authorization server redirected the "browser" to.
struct Attempt {
    flow: JoinHandle<codex_auth::Result<TokenSet>>,
    port: u16,
    /// `/auth/callback?code=…&state=…` (path and query).
    callback: String,
    state: String,
}

impl Attempt {
    async fn start(oauth: &FakeOAuth) -> Attempt {
        let client =
            OAuthClient::new(OAuthConfig::for_issuer(oauth.issuer())).expect("a client for the fake");
        let (tx, mut prompts) = mpsc::unbounded_channel();
        let options = LoginOptions {
            // Port 0: the system picks a free port; the redirect URI names the one bound.
            ports: vec![0],
            open_browser: false,
            prompt: Arc::new(move |prompt: &LoginPrompt| {
                let _ = tx.send(prompt.clone());
            }),
            ..LoginOptions::default()
        };
        let flow = tokio::spawn(async move { flows::loopback(&client, &options).await });
        let url = match bounded("the prompt", prompts.recv()).await.expect("a prompt") {
            LoginPrompt::OpenUrl { url } => url,
            other => panic!("unexpected prompt {other:?}"),
        };
        let authorize = url::Url::parse(&url).expect("an authorization URL");
        let query = |name: &str| {
            authorize.query_pairs().find(|(key, _)| key == name).map(|(_, value)| value.into_owned())
        };
        let redirect = url::Url::parse(&query("redirect_uri").expect("a redirect_uri")).expect("a URL");
        let port = redirect.port().expect("the redirect URI names the bound port");
        let state = query("state").expect("a state");

        // The fake authorization server signs the user in and redirects to the callback.
        let oauth_port = authorize.port().expect("the fake listens on a loopback port");
        let target = format!("{}?{}", authorize.path(), authorize.query().expect("a query"));
        let answer = raw_get_with_location(oauth_port, &target).await;
        let callback =
            answer.strip_prefix(&format!("http://localhost:{port}")).expect("a callback").to_owned();
        assert!(callback.starts_with("/auth/callback?"), "{callback}");
        Attempt { flow, port, callback, state }
    }

    async fn result(self) -> codex_auth::Result<TokenSet> {
        bounded("the flow", self.flow).await.expect("the flow task does not panic")
    }
}

/// GET on the fake OAuth server, returning the `Location` of its redirect.
async fn raw_get_with_location(port: u16, target: &str) -> String {
    let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).await.expect("connect to the fake");
    let request = format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut answer = Vec::new();
    bounded("the fake's answer", stream.read_to_end(&mut answer)).await.expect("read");
    let answer = String::from_utf8_lossy(&answer);
    answer
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("location").then(|| value.trim().to_owned())
        })
        .unwrap_or_else(|| panic!("the fake did not redirect: {answer}"))
}

#[tokio::test]
async fn requests_without_this_attempts_state_are_refused_and_the_flow_keeps_waiting() {
    let oauth = FakeOAuth::start().await;
    let attempt = Attempt::start(&oauth).await;
    let port = attempt.port;
    let code_part = attempt.callback.split('&').find(|p| p.contains("code=")).expect("a code").to_owned();
    let code = code_part.rsplit('=').next().expect("a code value").to_owned();
    let state = attempt.state.clone();
    let forged = [
        attempt.callback.replace("state=", "state=forged"),
        "/auth/callback".to_owned(),
        "/auth/callback?".to_owned(),
        format!("/auth/callback?code={code}"),
        format!("/auth/callback?code={code}&state={state}&state={state}"),
        "/auth/callback?code=%zz%&state=wrong%ff".to_owned(),
        "/auth/callback?error=access_denied&error_description=missing_codex_entitlement".to_owned(),
        format!("/auth/callback?state={}", "x".repeat(60_000)),
    ];
    for target in &forged {
        let answer = raw_get(port, target).await;
        assert_eq!(
            answer,
            Some((400, "State mismatch".to_owned())),
            "refused: {}",
            &target[..target.len().min(80)]
        );
    }
    // An absolute-form request target is read by its path and query, like any other.
    let absolute = format!("http://evil.example{}", attempt.callback.replace("state=", "state=x"));
    assert_eq!(raw_get(port, &absolute).await, Some((400, "State mismatch".to_owned())));
    assert_eq!(raw_get(port, "/other").await.map(|(status, _)| status), Some(404));
    assert!(!attempt.flow.is_finished(), "no forged request ends the flow");

    // The real callback still signs in.
    let (status, _) = raw_get(port, &attempt.callback).await.expect("an answer");
    assert_eq!(status, 302);
    let (status, page) = raw_get(port, "/success").await.expect("an answer");
    assert_eq!(status, 200);
    assert!(page.contains("Signed in to Codex"), "{page}");
    let tokens = attempt.result().await.expect("signed in");
    assert_eq!(tokens.account_id(), Some("acct_fake_0001"));
    assert_eq!(oauth.registry().exchanges(), 1);
}

#[tokio::test]
async fn a_callback_with_the_state_but_no_code_ends_the_flow_with_a_parse_error() {
    let oauth = FakeOAuth::start().await;
    let attempt = Attempt::start(&oauth).await;
    let (status, page) =
        raw_get(attempt.port, &format!("/auth/callback?state={}", attempt.state)).await.expect("an answer");
    assert_eq!(status, 400);
    assert!(page.contains("Sign-in failed") && page.contains("no `code` parameter"), "{page}");
    assert!(!page.contains(&attempt.state), "the page does not repeat the state");
    match attempt.result().await {
        Err(AuthError::OAuthCallbackParse { reason }) => assert!(reason.contains("code"), "{reason}"),
        other => panic!("expected a callback parse error, got {other:?}"),
    }
    assert_eq!(oauth.registry().exchanges(), 0);
}

#[tokio::test]
async fn an_empty_code_with_the_state_ends_the_flow_with_a_parse_error() {
    let oauth = FakeOAuth::start().await;
    let attempt = Attempt::start(&oauth).await;
    let target = format!("/auth/callback?code=&state={}", attempt.state);
    assert_eq!(raw_get(attempt.port, &target).await.map(|(status, _)| status), Some(400));
    assert!(matches!(attempt.result().await, Err(AuthError::OAuthCallbackParse { .. })));
    assert_eq!(oauth.registry().exchanges(), 0);
}

#[tokio::test]
async fn malformed_percent_encoding_is_a_parse_error_and_no_code_is_exchanged() {
    let oauth = FakeOAuth::start().await;
    for bad in ["abc%zz", "abc%4", "abc%ff%fe"] {
        let attempt = Attempt::start(&oauth).await;
        let target = format!("/auth/callback?code={bad}&state={}", attempt.state);
        let (status, page) = raw_get(attempt.port, &target).await.expect("an answer");
        assert_eq!(status, 400, "{bad}");
        assert!(page.contains("percent-escape"), "{bad}: {page}");
        assert!(!page.contains(bad), "the page does not repeat the code");
        match attempt.result().await {
            Err(AuthError::OAuthCallbackParse { reason }) => {
                assert!(reason.contains("percent-escape"), "{reason}");
                assert!(!reason.contains(bad), "the error does not repeat the code");
            }
            other => panic!("expected a callback parse error for {bad}, got {other:?}"),
        }
    }
    assert_eq!(oauth.registry().exchanges(), 0);
}

#[tokio::test]
async fn a_huge_query_is_refused_and_the_flow_still_signs_in() {
    let oauth = FakeOAuth::start().await;
    let attempt = Attempt::start(&oauth).await;
    // 1 MiB in the request line: the HTTP layer refuses it (or closes); nothing panics.
    let huge = format!("{}&pad={}", attempt.callback, "A".repeat(1024 * 1024));
    if let Some((status, _)) = raw_get(attempt.port, &huge).await {
        assert!((400..500).contains(&status), "a huge request is a client error, got {status}");
    }
    // A huge header block is refused the same way.
    let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, attempt.port)).await.expect("connect");
    let request = format!(
        "GET /auth/callback HTTP/1.1\r\nHost: localhost\r\nX-Pad: {}\r\n\r\n",
        "B".repeat(1024 * 1024)
    );
    let _ = stream.write_all(request.as_bytes()).await;
    let mut answer = Vec::new();
    let _ = bounded("the answer to a huge header", stream.read_to_end(&mut answer)).await;
    assert!(!attempt.flow.is_finished(), "a huge request does not end the flow");

    let (status, _) = raw_get(attempt.port, &attempt.callback).await.expect("an answer");
    assert_eq!(status, 302);
    raw_get(attempt.port, "/success").await.expect("an answer");
    attempt.result().await.expect("signed in");
}

#[tokio::test]
async fn repeated_codes_and_callbacks_after_success_are_refused_and_do_not_change_the_result() {
    let oauth = FakeOAuth::start().await;
    let attempt = Attempt::start(&oauth).await;
    let port = attempt.port;
    let (status, _) = raw_get(port, &attempt.callback).await.expect("an answer");
    assert_eq!(status, 302);

    // The same code again, another code, and a provider error: all with the right state,
    // all after the exchange. Each is refused; none ends the flow with an error.
    let state = attempt.state.clone();
    for target in [
        attempt.callback.clone(),
        format!("/auth/callback?code=another-code&state={state}"),
        format!("/auth/callback?error=access_denied&state={state}"),
        format!("/auth/callback?code=%zz&state={state}"),
    ] {
        let (status, page) = raw_get(port, &target).await.expect("an answer");
        assert_eq!(status, 400, "{target}");
        assert!(page.contains("already"), "{page}");
    }
    let (status, _) = raw_get(port, "/success").await.expect("an answer");
    assert_eq!(status, 200);
    let tokens = attempt.result().await.expect("the first callback's sign-in stands");
    assert_eq!(tokens.email(), Some("user@example.com"));
    assert_eq!(oauth.registry().exchanges(), 1, "one code, one exchange");

    // After the flow, the port no longer answers.
    let after = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).await;
    assert!(after.is_err(), "the login server is gone after the flow");
}

#[tokio::test]
async fn the_flow_returns_the_tokens_when_the_browser_never_loads_the_success_page() {
    let oauth = FakeOAuth::start().await;
    let attempt = Attempt::start(&oauth).await;
    let (status, _) = raw_get(attempt.port, &attempt.callback).await.expect("an answer");
    assert_eq!(status, 302);
    // No /success and no further connection: the flow still ends with the tokens.
    attempt.result().await.expect("signed in without the success page");
}

/// This machine's address on its default route, if it has one that is not loopback. Only a
/// local route lookup (a UDP "connect" sends nothing).
fn non_loopback_address() -> Option<IpAddr> {
    let socket = std::net::UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).ok()?;
    socket.connect((Ipv4Addr::new(192, 0, 2, 1), 9)).ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

/// The listening sockets on `port` from `/proc/net/tcp` and `/proc/net/tcp6` (Linux), as
/// hexadecimal local addresses.
fn listening_addresses(port: u16) -> Option<Vec<String>> {
    let mut found = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let text = std::fs::read_to_string(table).ok()?;
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(&"0A")) = (fields.get(1), fields.get(3)) else { continue };
            if let Some((address, hex_port)) = local.rsplit_once(':')
                && u16::from_str_radix(hex_port, 16).ok() == Some(port)
            {
                found.push(address.to_owned());
            }
        }
    }
    Some(found)
}

#[tokio::test]
async fn the_login_server_listens_on_loopback_only() {
    let oauth = FakeOAuth::start().await;
    let attempt = Attempt::start(&oauth).await;
    let port = attempt.port;

    // Linux shows the listening socket's local address: 127.0.0.1 (0100007F), nothing else.
    if cfg!(target_os = "linux") {
        let listening = listening_addresses(port).expect("/proc/net/tcp is readable");
        assert_eq!(listening, vec!["0100007F".to_owned()], "the only listener on {port} is 127.0.0.1");
    }
    // The machine's other address does not answer on that port.
    match non_loopback_address() {
        Some(ip) => {
            let refused = TcpStream::connect(SocketAddr::new(ip, port)).await;
            assert!(refused.is_err(), "{ip}:{port} must not answer");
        }
        None => eprintln!("no non-loopback address on this machine; that check is skipped"),
    }
    // IPv6 loopback is not served either: only 127.0.0.1.
    assert!(TcpStream::connect((std::net::Ipv6Addr::LOCALHOST, port)).await.is_err());

    let (status, _) = raw_get(port, "/cancel").await.expect("an answer");
    assert_eq!(status, 200);
    assert!(matches!(attempt.result().await, Err(AuthError::LoginCancelled)));
}
