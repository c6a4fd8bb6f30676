//! `extra_headers` never replaces or duplicates a header the client owns: refused before
//! anything is sent under `ProtectedHeaders::Reject`, dropped (with a warning) under the
//! default `Warn`, in any letter case.

use std::sync::Arc;

use codex_testkit::FakeCodex;
use codex_transport::{
    ErrorKind, Hooks, HttpRequest, PROTECTED_HEADERS, ProtectedHeaders, RequestOptions, StaticBearer,
    Transport, TransportBuildError, TransportConfig, is_protected_header,
};
use serde_json::json;

fn transport(fake: &FakeCodex, policy: ProtectedHeaders) -> (Transport, String) {
    let token = fake.registry().mint_access_token();
    let account = fake.registry().account().account_id;
    let config = TransportConfig::new(fake.base_url()).protected_headers(policy);
    let transport =
        Transport::new(config, Arc::new(StaticBearer::new(token.clone(), Some(account))), Hooks::new())
            .unwrap();
    (transport, token)
}

fn request(extra: Vec<(String, String)>) -> HttpRequest {
    let body = json!({
        "model": "gpt-5.2-codex",
        "instructions": "Be brief.",
        "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}],
        "store": false,
        "stream": true,
    });
    HttpRequest::post_json("responses", body)
        .session_id("session-1")
        .options(RequestOptions { extra_headers: extra, ..RequestOptions::default() })
}

/// A name in an odd letter case, as a user might write it.
fn odd_case(name: &str) -> String {
    name.char_indices().map(|(i, c)| if i % 2 == 0 { c.to_ascii_uppercase() } else { c }).collect()
}

#[test]
fn the_protected_set_covers_credentials_protocol_and_framing_headers() {
    for name in [
        "Authorization",
        "ChatGPT-Account-ID",
        "Content-Type",
        "Accept",
        "User-Agent",
        "originator",
        "session_id",
        "x-client-request-id",
        "Host",
        "Content-Length",
        "Transfer-Encoding",
        "Connection",
    ] {
        assert!(is_protected_header(name), "{name}");
        assert!(is_protected_header(&name.to_ascii_uppercase()), "{name}");
    }
    for name in ["x-custom", "OpenAI-Organization", "if-none-match", "x-codex-turn-state"] {
        assert!(!is_protected_header(name), "{name} is the caller's to set");
    }
}

#[tokio::test]
async fn under_reject_every_protected_header_is_refused_before_sending() {
    let fake = FakeCodex::start().await;
    let (transport, _) = transport(&fake, ProtectedHeaders::Reject);
    for name in PROTECTED_HEADERS {
        let extra = vec![("x-fine".to_owned(), "1".to_owned()), (odd_case(name), "forged".to_owned())];
        let error = transport.send(request(extra)).await.unwrap_err();
        assert_eq!(error.kind.clone(), ErrorKind::InvalidRequest, "{name}");
        assert!(!error.retryable, "{name}");
        assert!(
            error.user_message.contains(name) && error.user_message.contains("remove it"),
            "{name}: {}",
            error.user_message
        );
        assert!(!error.user_message.contains("forged"), "the value is not repeated");
    }
    assert!(fake.requests().is_empty(), "no refused request reached the server");
}

#[tokio::test]
async fn under_warn_protected_headers_are_dropped_and_never_duplicated() {
    let fake = FakeCodex::start().await;
    let (transport, token) = transport(&fake, ProtectedHeaders::Warn);
    let mut extra: Vec<(String, String)> =
        PROTECTED_HEADERS.iter().map(|name| (odd_case(name), "forged".to_owned())).collect();
    extra.push(("x-custom".to_owned(), "kept".to_owned()));
    let _ = transport.stream(request(extra)).await.expect("the request is sent without them");

    let sent = &fake.requests()[0];
    for name in PROTECTED_HEADERS {
        let values: Vec<&str> =
            sent.headers.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_str()).collect();
        assert!(!values.contains(&"forged"), "{name} was replaced: {values:?}");
        assert!(values.len() <= 1, "{name} was sent twice: {values:?}");
    }
    assert_eq!(sent.header("authorization"), Some(format!("Bearer {token}").as_str()));
    assert_eq!(sent.header("originator"), Some("codex_cli_rs"));
    assert_eq!(sent.header("session_id"), Some("session-1"));
    assert_eq!(sent.header("x-custom"), Some("kept"));
}

/// The headers the client owns are checked where they come from: the configured ones when the
/// transport is built, a session id when it is sent; nothing is sent with a header that cannot
/// be one.
#[tokio::test]
async fn a_header_value_that_cannot_be_sent_is_refused_with_its_name() {
    let fake = FakeCodex::start().await;
    let auth = Arc::new(StaticBearer::new(fake.registry().mint_access_token(), None));
    for (config, name) in [
        (TransportConfig::new(fake.base_url()).originator("codex\ncli"), "originator"),
        (
            TransportConfig { user_agent: "agent\u{7f}".to_owned(), ..TransportConfig::new(fake.base_url()) },
            "user-agent",
        ),
    ] {
        let error = Transport::new(config, auth.clone(), Hooks::new()).unwrap_err();
        assert!(matches!(&error, TransportBuildError::Header { name: n, .. } if *n == name), "{error}");
        assert!(error.to_string().contains(name), "{error}");
    }

    let (transport, _) = transport(&fake, ProtectedHeaders::Warn);
    let error = transport.stream(request(vec![]).session_id("session\r\n1")).await.unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidRequest, "{error}");
    assert!(error.to_string().contains("session_id"), "{error}");
    assert!(fake.requests().is_empty(), "nothing was sent");

    let _ = transport.stream(request(vec![])).await.expect("sent");
    let sent = &fake.requests()[0];
    let default = TransportConfig::new(fake.base_url());
    assert_eq!(sent.header("user-agent"), Some(default.user_agent.as_str()));
    assert_eq!(sent.header("accept"), Some("text/event-stream"));
    assert_eq!(sent.header("content-type"), Some("application/json"));
    let id = sent.header("x-client-request-id").expect("a request id");
    assert!(uuid_like(id), "{id}");
}

fn uuid_like(id: &str) -> bool {
    id.len() == 36 && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

/// Credentials are made into header values once, with the credentials; a token or account id
/// that cannot be one fails the request before anything is sent, naming what to do (the token
/// itself is never in the message), and good ones arrive exactly as given.
#[tokio::test]
async fn credentials_that_cannot_be_headers_are_refused_before_sending() {
    let fake = FakeCodex::start().await;
    let token = fake.registry().mint_access_token();
    let account = fake.registry().account().account_id;
    let send = |auth: StaticBearer| {
        let transport =
            Transport::new(TransportConfig::new(fake.base_url()), Arc::new(auth), Hooks::new()).unwrap();
        async move { transport.stream(request(vec![])).await.map(drop) }
    };

    let error = send(StaticBearer::new(format!("{token}\n"), Some(account.clone()))).await.unwrap_err();
    assert_eq!(error.kind, ErrorKind::Auth, "{error}");
    assert!(error.to_string().contains("sign in again"), "{error}");
    assert!(!error.to_string().contains(&token), "the token is not in the message");

    let error = send(StaticBearer::new(token.clone(), Some("acct\r\n1".to_owned()))).await.unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidRequest, "{error}");
    assert!(error.to_string().contains("chatgpt-account-id"), "{error}");
    assert!(fake.requests().is_empty(), "nothing was sent");

    send(StaticBearer::new(token.clone(), Some(account.clone()))).await.expect("sent");
    send(StaticBearer::new(token.clone(), None)).await.expect("sent");
    let sent = fake.requests();
    assert_eq!(sent[0].header("authorization"), Some(format!("Bearer {token}").as_str()));
    assert_eq!(sent[0].header("chatgpt-account-id"), Some(account.as_str()));
    assert_eq!(sent[1].header("chatgpt-account-id"), None);
}
