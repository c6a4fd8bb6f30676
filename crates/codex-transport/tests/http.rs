//! The transport against the fake Codex backend, over real loopback sockets.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use codex_testkit::{
    Chunking, FakeCodex, Faults, LineEnding, Reply, Script, TestCa, TokenRegistry, huge_text_delta,
};
use codex_transport::{
    AuthHeaders, Authenticator, BoxFuture, ErrorKind, Hooks, HttpRequest, Method, ProtectedHeaders, Recovery,
    RequestOptions, RetryPolicy, SdkRequestError, SseFrame, StaticBearer, Transport, TransportConfig,
};
use futures_util::StreamExt;
use serde_json::{Value, json};

fn body() -> Value {
    json!({
        "model": "gpt-5.2-codex",
        "instructions": "Be brief.",
        "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}],
        "store": false,
        "stream": true,
    })
}

fn fast_retries(max_retries: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
        ..RetryPolicy::default()
    }
}

fn transport_for(
    fake: &FakeCodex,
    config: impl FnOnce(TransportConfig) -> TransportConfig,
    hooks: Hooks,
) -> Transport {
    let token = fake.registry().mint_access_token();
    let account = fake.registry().account().account_id;
    let config = config(TransportConfig::new(fake.base_url()).retry(fast_retries(2)));
    Transport::new(config, Arc::new(StaticBearer::new(token, Some(account))), hooks).unwrap()
}

async fn collect(transport: &Transport, request: HttpRequest) -> Result<Vec<SseFrame>, SdkRequestError> {
    let mut stream = transport.stream(request).await?;
    let mut frames = Vec::new();
    while let Some(frame) = stream.next().await {
        frames.push(frame?);
    }
    Ok(frames)
}

fn data(frames: &[SseFrame]) -> Vec<Value> {
    frames.iter().map(|f| serde_json::from_str(&f.data).unwrap()).collect()
}

#[tokio::test]
async fn streams_scripted_events_and_records_rate_limits() {
    let fake = FakeCodex::start().await;
    let events = Script::new("resp_1").reasoning("Plan.").text("Hello, wörld").completed();
    fake.enqueue(Reply::stream(events.clone()));
    let transport = transport_for(&fake, |c| c, Hooks::new());
    let frames =
        collect(&transport, HttpRequest::post_json("responses", body()).session_id("conv-1")).await.unwrap();
    assert_eq!(data(&frames), events);
    assert_eq!(frames[0].event.as_deref(), Some("response.created"));
    let limits = transport.rate_limits().expect("rate-limit headers were parsed");
    assert_eq!(limits.primary.unwrap().window_minutes, Some(300));
    assert_eq!(limits.secondary.unwrap().window_minutes, Some(10_080));

    let sent = &fake.requests()[0];
    assert_eq!(sent.header("accept"), Some("text/event-stream"));
    assert_eq!(sent.header("originator"), Some("codex_cli_rs"));
    assert!(sent.header("user-agent").unwrap().starts_with("oauth-codex/"));
    assert_eq!(sent.header("session_id"), Some("conv-1"));
    assert_eq!(sent.header("chatgpt-account-id"), Some("acct_fake_0001"));
    assert!(sent.header("x-client-request-id").is_some());
    assert_eq!(sent.header("content-type"), Some("application/json"));
}

#[tokio::test]
async fn sequential_requests_reuse_one_connection() {
    let fake = FakeCodex::start().await;
    let transport = transport_for(&fake, |c| c, Hooks::new());
    for _ in 0..5 {
        collect(&transport, HttpRequest::post_json("responses", body())).await.unwrap();
    }
    assert_eq!(fake.requests().len(), 5);
    assert_eq!(fake.accepted_connections(), 1);
}

#[tokio::test]
async fn unary_requests_models_with_query() {
    let fake = FakeCodex::start().await;
    let transport = transport_for(&fake, |c| c, Hooks::new());
    let response = transport
        .send(HttpRequest::new(Method::GET, "models").query("client_version", "0.99.0"))
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    let models: Value = response.json().unwrap();
    assert!(models["models"].as_array().unwrap().len() >= 3);
    assert!(response.request_id.starts_with("req_fake_"), "the server's request id wins");
    assert_eq!(fake.requests()[0].header("accept"), Some("application/json"));
}

/// The transport keeps the last path's URL parsed; every request still goes to its own path
/// and query, whatever the request before it.
#[tokio::test]
async fn each_request_goes_to_its_own_path_and_query() {
    let fake = FakeCodex::start().await;
    let transport = transport_for(&fake, |c| c, Hooks::new());
    let with_query = |query: &str| RequestOptions {
        extra_query: vec![("trace".into(), query.into())],
        ..RequestOptions::default()
    };
    collect(&transport, HttpRequest::post_json("responses", body())).await.unwrap();
    transport.send(HttpRequest::new(Method::GET, "models").query("client_version", "1")).await.unwrap();
    let refused = transport.send(HttpRequest::new(Method::GET, "models")).await.unwrap_err();
    assert_eq!(refused.status_code, Some(400), "the fake wants client_version, which this one lacks");
    collect(&transport, HttpRequest::post_json("responses", body()).options(with_query("on"))).await.unwrap();
    collect(&transport, HttpRequest::post_json("/responses", body())).await.unwrap();
    collect(&transport, HttpRequest::post_json("responses", body())).await.unwrap();
    let sent: Vec<(String, Option<String>)> =
        fake.requests().iter().map(|r| (r.path.clone(), r.query.clone())).collect();
    let responses = "/backend-api/codex/responses".to_owned();
    let models = "/backend-api/codex/models".to_owned();
    assert_eq!(
        sent,
        [
            (responses.clone(), None),
            (models.clone(), Some("client_version=1".to_owned())),
            (models, None),
            (responses.clone(), Some("trace=on".to_owned())),
            (responses.clone(), None),
            (responses, None),
        ]
    );
}

#[tokio::test]
async fn server_errors_are_retried_with_hooks_in_order() {
    let fake = FakeCodex::start().await;
    fake.enqueue(Reply::server_error());
    fake.enqueue(Reply::overloaded());
    let log = Arc::new(Mutex::new(Vec::new()));
    let (a, b, c) = (log.clone(), log.clone(), log.clone());
    let hooks = Hooks::new()
        .on_request_start(move |e| a.lock().unwrap().push(format!("start {}", e.attempt)))
        .on_request_end(move |e| b.lock().unwrap().push(format!("end {} {:?}", e.attempt, e.status)))
        .on_error(move |e| c.lock().unwrap().push(format!("error {} {} {}", e.attempt, e.kind, e.retryable)));
    let transport = transport_for(&fake, |c| c, hooks);
    let frames = collect(&transport, HttpRequest::post_json("responses", body()).model("gpt-5.2-codex"))
        .await
        .unwrap();
    assert!(!frames.is_empty());
    assert_eq!(fake.requests().len(), 3);
    assert_eq!(
        *log.lock().unwrap(),
        [
            "start 1",
            "end 1 Some(500)",
            "error 1 server true",
            "start 2",
            "end 2 Some(503)",
            "error 2 server_overloaded true",
            "start 3",
            "end 3 Some(200)",
        ]
    );
}

#[tokio::test]
async fn retries_stop_when_exhausted() {
    let fake = FakeCodex::start().await;
    for _ in 0..3 {
        fake.enqueue(Reply::server_error());
    }
    let transport = transport_for(&fake, |c| c, Hooks::new());
    let error = collect(&transport, HttpRequest::post_json("responses", body())).await.unwrap_err();
    assert_eq!(
        (error.kind.clone(), error.status_code, error.retryable),
        (ErrorKind::Server, Some(500), true)
    );
    assert_eq!(fake.requests().len(), 3, "one attempt and two retries");
    assert!(error.request_id.as_deref().unwrap().starts_with("req_fake_"));
    assert!(error.raw_error.clone().unwrap().contains("server_error"));
}

#[tokio::test]
async fn retry_after_is_honoured_within_the_cap_and_reported_beyond_it() {
    let fake = FakeCodex::start().await;
    fake.enqueue(Reply::rate_limited(0));
    let transport = transport_for(&fake, |c| c, Hooks::new());
    collect(&transport, HttpRequest::post_json("responses", body())).await.unwrap();
    assert_eq!(fake.requests().len(), 2);

    fake.enqueue(Reply::rate_limited(3600));
    let error = collect(&transport, HttpRequest::post_json("responses", body())).await.unwrap_err();
    assert_eq!(error.kind.clone(), ErrorKind::RateLimited { retry_after: Some(Duration::from_secs(3600)) });
    assert!(error.user_message.contains("1h 0m"), "{}", error.user_message);
    assert_eq!(fake.requests().len(), 3, "a wait beyond the cap is not made");
}

#[tokio::test]
async fn usage_limits_are_never_retried() {
    let fake = FakeCodex::start().await;
    fake.enqueue(Reply::usage_limit_reached("plus", 13_872));
    let transport = transport_for(&fake, |c| c, Hooks::new());
    let error = collect(&transport, HttpRequest::post_json("responses", body())).await.unwrap_err();
    let ErrorKind::UsageLimit { resets_at, plan_type } = &error.kind else { panic!("{error:?}") };
    assert_eq!(plan_type.as_deref(), Some("plus"));
    assert!(resets_at.unwrap() > 1_700_000_000);
    assert_eq!((error.provider_code.as_deref(), error.retryable), (Some("usage_limit_reached"), false));
    assert!(error.to_string().contains("3h 51m"), "{error}");
    assert_eq!(fake.requests().len(), 1);

    fake.enqueue(Reply::usage_not_included());
    let error = collect(&transport, HttpRequest::post_json("responses", body())).await.unwrap_err();
    assert!(error.user_message.contains("upgrade to Plus"));
    assert_eq!(fake.requests().len(), 2);
}

#[tokio::test]
async fn invalid_requests_are_not_retried_and_carry_the_detail() {
    let fake = FakeCodex::start().await;
    let transport = transport_for(&fake, |c| c, Hooks::new());
    let mut bad = body();
    bad["temperature"] = json!(0.5);
    let error = collect(&transport, HttpRequest::post_json("responses", bad)).await.unwrap_err();
    assert_eq!((error.kind.clone(), error.status_code), (ErrorKind::InvalidRequest, Some(400)));
    assert!(error.user_message.contains("Unsupported parameter: temperature"), "{}", error.user_message);
    assert_eq!(fake.requests().len(), 1);
}

/// An authenticator that refreshes by minting a new token in the fake's registry.
struct Refreshing {
    registry: TokenRegistry,
    current: Mutex<String>,
    recoveries: AtomicU32,
    heal: bool,
}

impl Authenticator for Refreshing {
    fn headers(&self) -> BoxFuture<'_, Result<AuthHeaders, SdkRequestError>> {
        let token = self.current.lock().unwrap().clone();
        Box::pin(async move { Ok(AuthHeaders::bearer(token, None)) })
    }

    fn recover<'a>(&'a self, refused: &'a AuthHeaders) -> BoxFuture<'a, Result<Recovery, SdkRequestError>> {
        Box::pin(async move {
            self.recoveries.fetch_add(1, Ordering::SeqCst);
            assert_eq!(refused.expose_bearer(), Some(self.current.lock().unwrap().as_str()));
            if self.heal {
                *self.current.lock().unwrap() = self.registry.mint_access_token();
            }
            Ok(Recovery::Retry)
        })
    }
}

#[tokio::test]
async fn a_401_is_recovered_once_then_final() {
    let fake = FakeCodex::start().await;
    let refreshes = Arc::new(Mutex::new(Vec::new()));
    let seen = refreshes.clone();
    let hooks = Hooks::new().on_auth_refresh(move |e| seen.lock().unwrap().push((e.attempt, e.success)));
    let auth = Arc::new(Refreshing {
        registry: fake.registry().clone(),
        current: Mutex::new("stale-token".to_owned()),
        recoveries: AtomicU32::new(0),
        heal: true,
    });
    let config = TransportConfig::new(fake.base_url()).retry(fast_retries(2));
    let transport = Transport::new(config.clone(), auth.clone(), hooks).unwrap();
    collect(&transport, HttpRequest::post_json("responses", body())).await.unwrap();
    assert_eq!(auth.recoveries.load(Ordering::SeqCst), 1);
    assert_eq!(*refreshes.lock().unwrap(), [(1, true)]);
    assert_eq!(fake.requests().len(), 2);

    let hopeless = Arc::new(Refreshing {
        registry: fake.registry().clone(),
        current: Mutex::new("never-valid".to_owned()),
        recoveries: AtomicU32::new(0),
        heal: false,
    });
    let transport = Transport::new(config, hopeless.clone(), Hooks::new()).unwrap();
    let error = collect(&transport, HttpRequest::post_json("responses", body())).await.unwrap_err();
    assert_eq!((error.kind.clone(), error.status_code), (ErrorKind::Auth, Some(401)));
    assert!(error.user_message.contains("oauth-codex login"));
    assert_eq!(
        hopeless.recoveries.load(Ordering::SeqCst),
        1,
        "a second 401 is an error, not another refresh"
    );
}

#[tokio::test]
async fn connection_failures_before_any_byte_are_retried() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let errors = Arc::new(AtomicU32::new(0));
    let counter = errors.clone();
    let hooks = Hooks::new().on_error(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    let config =
        TransportConfig::new(format!("http://127.0.0.1:{port}/backend-api/codex")).retry(fast_retries(2));
    let transport = Transport::new(config, Arc::new(StaticBearer::new("t", None)), hooks).unwrap();
    let error = transport.send(HttpRequest::new(Method::GET, "models")).await.unwrap_err();
    assert_eq!((error.kind.clone(), error.retryable), (ErrorKind::Network, true));
    assert_eq!(errors.load(Ordering::SeqCst), 3);
    assert!(error.request_id.is_some(), "the client's own request id");
}

async fn faulty(
    faults: Faults,
    events: Vec<Value>,
    config: impl FnOnce(TransportConfig) -> TransportConfig,
) -> Result<Vec<SseFrame>, SdkRequestError> {
    let fake = FakeCodex::builder().require_auth(false).start().await;
    fake.enqueue(Reply::stream_with(events, faults));
    let transport = transport_for(&fake, config, Hooks::new());
    collect(&transport, HttpRequest::post_json("responses", body())).await
}

#[tokio::test]
async fn framing_faults_decode_to_the_same_events() {
    let events = Script::new("r")
        .reasoning("Ünïcode ✓ 🚀 reasoning")
        .text("héllo wörld ✓ 🚀")
        .function_call("c1", "f", r#"{"a":"ü"}"#)
        .completed();
    for faults in [
        Faults { chunking: Chunking::ByteByByte, ..Faults::default() },
        Faults { chunking: Chunking::Random { seed: 9, max: 5 }, ..Faults::default() },
        Faults { line_ending: LineEnding::CrLf, ..Faults::default() },
        Faults {
            line_ending: LineEnding::Cr,
            chunking: Chunking::Random { seed: 3, max: 3 },
            ..Faults::default()
        },
        Faults { keepalive_comments: true, ..Faults::default() },
        Faults { multiline_data: true, line_ending: LineEnding::CrLf, ..Faults::default() },
        Faults { omit_content_type: true, ..Faults::default() },
    ] {
        let frames = faulty(faults.clone(), events.clone(), |c| c).await.unwrap();
        assert_eq!(data(&frames), events, "{faults:?}");
    }
}

#[tokio::test]
async fn a_dropped_connection_mid_stream_is_stream_closed_early() {
    let fake = FakeCodex::builder().require_auth(false).start().await;
    fake.enqueue(Reply::stream_with(
        Script::new("r").text("a b c d").completed(),
        Faults { drop_after: Some(4), ..Faults::default() },
    ));
    let transport = transport_for(&fake, |c| c, Hooks::new());
    let mut stream = transport.stream(HttpRequest::post_json("responses", body())).await.unwrap();
    let mut frames = 0;
    let error = loop {
        match stream.next().await {
            Some(Ok(_)) => frames += 1,
            Some(Err(error)) => break error,
            None => panic!("the stream must not end cleanly"),
        }
    };
    assert_eq!(frames, 4);
    assert_eq!(error.kind.clone(), ErrorKind::StreamClosedEarly);
    assert_eq!(fake.requests().len(), 1, "nothing is retried once frames were handed over");
}

#[tokio::test]
async fn a_clean_close_before_completion_just_ends_the_frames() {
    let events = Script::new("r").text("x").completed();
    let frames = faulty(Faults { close_before_completed: true, ..Faults::default() }, events.clone(), |c| c)
        .await
        .unwrap();
    assert_eq!(
        frames.len(),
        events.len() - 1,
        "the transport ends; the event mapper reports the missing completion"
    );
}

#[tokio::test]
async fn a_stall_past_the_idle_timeout_is_a_timeout() {
    let faults = Faults { stall: Some((2, Duration::from_secs(3600))), ..Faults::default() };
    let error = faulty(faults, Script::new("r").text("x").completed(), |c| {
        c.stream_idle_timeout(Duration::from_millis(200))
    })
    .await
    .unwrap_err();
    assert_eq!(error.kind.clone(), ErrorKind::Timeout);
    assert!(error.user_message.contains("waiting for the next stream event"));
}

#[tokio::test]
async fn the_idle_timeout_never_fires_before_the_silence_is_that_long() {
    let fake = FakeCodex::builder().require_auth(false).start().await;
    // Events every 100 ms, then silence: the stream is well past the timeout when it stalls.
    let faults = Faults {
        pace: Some(Duration::from_millis(100)),
        stall: Some((5, Duration::from_secs(3600))),
        ..Faults::default()
    };
    fake.enqueue(Reply::stream_with(Script::new("r").text("one two three four five").completed(), faults));
    let idle = Duration::from_millis(300);
    let transport = transport_for(&fake, |c| c.stream_idle_timeout(idle), Hooks::new());
    let mut stream = transport.stream(HttpRequest::post_json("responses", body())).await.unwrap();
    let mut last_frame = std::time::Instant::now();
    let error = loop {
        match stream.next().await.expect("the stream ends with an error") {
            Ok(_) => last_frame = std::time::Instant::now(),
            Err(error) => break error,
        }
    };
    let silence = last_frame.elapsed();
    assert_eq!(error.kind.clone(), ErrorKind::Timeout);
    // The timer is checked every quarter of the timeout: it may fire up to that much late,
    // never early.
    assert!(silence >= idle, "timed out after {silence:?} of silence, before the {idle:?} timeout");
}

#[tokio::test]
async fn a_slow_but_steady_stream_is_never_cut() {
    let fake = FakeCodex::builder().require_auth(false).start().await;
    let events = Script::new("r").text("one two three four five six").completed();
    // Every event comes 60 ms after the previous one: the whole stream lasts far longer than
    // the idle timeout (150 ms), but no single silence does.
    let faults = Faults { pace: Some(Duration::from_millis(60)), ..Faults::default() };
    fake.enqueue(Reply::stream_with(events.clone(), faults));
    let transport = transport_for(&fake, |c| c.stream_idle_timeout(Duration::from_millis(150)), Hooks::new());
    let frames = collect(&transport, HttpRequest::post_json("responses", body())).await.unwrap();
    assert!(events.len() as u32 * 60 > 150 * 3, "the stream outlasts the idle timeout several times");
    assert_eq!(frames.len(), events.len());
}

#[tokio::test]
async fn an_oversized_event_is_a_decode_error() {
    let events = vec![huge_text_delta("m", 2 * 1024 * 1024)];
    let error = faulty(Faults::default(), events, |c| c.max_event_size(1024 * 1024)).await.unwrap_err();
    assert_eq!(error.kind.clone(), ErrorKind::Decode);
    assert!(error.user_message.contains("limit"), "{}", error.user_message);
}

#[tokio::test]
async fn a_stream_head_slower_than_the_idle_checks_is_waited_for() {
    // The head comes after eight idle checks (the idle timeout is 200 ms, checked every
    // 50 ms), well inside the request timeout: only the request timeout bounds the wait.
    let fake = FakeCodex::builder().require_auth(false).start().await;
    let events = Script::new("r").text("late but whole").completed();
    let faults = Faults { head_delay: Some(Duration::from_millis(400)), ..Faults::default() };
    fake.enqueue(Reply::stream_with(events.clone(), faults));
    let transport = transport_for(
        &fake,
        |c| c.stream_idle_timeout(Duration::from_millis(200)).request_timeout(Duration::from_secs(30)),
        Hooks::new(),
    );
    let frames = collect(&transport, HttpRequest::post_json("responses", body())).await.unwrap();
    assert_eq!(frames.len(), events.len());
}

#[tokio::test]
async fn a_stream_head_later_than_the_request_timeout_is_a_timeout_never_early() {
    let fake = FakeCodex::builder().require_auth(false).start().await;
    let faults = Faults { head_delay: Some(Duration::from_secs(3600)), ..Faults::default() };
    fake.enqueue(Reply::stream_with(Script::new("r").text("x").completed(), faults));
    let timeout = Duration::from_millis(300);
    let transport = transport_for(
        &fake,
        |c| {
            c.stream_idle_timeout(Duration::from_millis(40))
                .request_timeout(timeout)
                .retry(RetryPolicy::none())
        },
        Hooks::new(),
    );
    let started = std::time::Instant::now();
    let Err(error) = transport.stream(HttpRequest::post_json("responses", body())).await else {
        panic!("the head never comes: the request must time out");
    };
    assert_eq!(error.kind.clone(), ErrorKind::Timeout, "{error}");
    assert!(error.user_message.contains("the request"), "{}", error.user_message);
    assert!(started.elapsed() >= timeout, "timed out after {:?}, before {timeout:?}", started.elapsed());
}

#[tokio::test]
async fn timeouts_too_long_to_represent_mean_no_timeout() {
    let fake = FakeCodex::builder().require_auth(false).start().await;
    let transport = transport_for(
        &fake,
        |c| c.request_timeout(Duration::MAX).stream_idle_timeout(Duration::MAX),
        Hooks::new(),
    );
    let frames = collect(&transport, HttpRequest::post_json("responses", body())).await.unwrap();
    assert!(!frames.is_empty());
    let options = RequestOptions { timeout: Some(Duration::MAX), ..RequestOptions::default() };
    let answer = transport.send(HttpRequest::post_json("responses", body()).options(options)).await.unwrap();
    assert_eq!(answer.status, 200);
}

#[tokio::test]
async fn unary_body_timeout() {
    let fake = FakeCodex::builder().require_auth(false).start().await;
    fake.enqueue(Reply::stream_with(
        Script::new("r").text("x").completed(),
        Faults { stall: Some((1, Duration::from_secs(3600))), ..Faults::default() },
    ));
    let transport = transport_for(&fake, |c| c.request_timeout(Duration::from_millis(200)), Hooks::new());
    let error = transport.send(HttpRequest::post_json("responses", body())).await.unwrap_err();
    assert_eq!(error.kind.clone(), ErrorKind::Timeout);
}

#[tokio::test]
async fn protected_headers_cannot_be_replaced() {
    let fake = FakeCodex::start().await;
    let options = RequestOptions {
        extra_headers: vec![("Authorization".into(), "Bearer evil".into()), ("x-custom".into(), "1".into())],
        extra_query: vec![("trace".into(), "on".into())],
        extra_body: [
            ("prompt_cache_key".to_owned(), json!("k")),
            ("instructions".to_owned(), json!("Override.")),
        ]
        .into_iter()
        .collect(),
        ..RequestOptions::default()
    };
    let transport = transport_for(&fake, |c| c, Hooks::new());
    collect(&transport, HttpRequest::post_json("responses", body()).options(options.clone())).await.unwrap();
    let sent = &fake.requests()[0];
    assert_ne!(sent.header("authorization"), Some("Bearer evil"));
    assert_eq!(sent.header("x-custom"), Some("1"));
    assert_eq!(sent.query.as_deref(), Some("trace=on"));
    let json = sent.json.as_ref().unwrap();
    assert_eq!(
        (json["prompt_cache_key"].as_str(), json["instructions"].as_str()),
        (Some("k"), Some("Override."))
    );

    let strict = transport_for(&fake, |c| c.protected_headers(ProtectedHeaders::Reject), Hooks::new());
    let error =
        collect(&strict, HttpRequest::post_json("responses", body()).options(options)).await.unwrap_err();
    assert_eq!(error.kind.clone(), ErrorKind::InvalidRequest);
    assert!(error.user_message.contains("authorization"));
    assert_eq!(fake.requests().len(), 1, "a refused request is not sent");
}

#[tokio::test]
async fn a_panicking_hook_does_not_break_the_request() {
    let fake = FakeCodex::start().await;
    let hooks = Hooks::new().on_request_start(|_| panic!("hook bug")).on_request_end(|_| panic!("hook bug"));
    let transport = transport_for(&fake, |c| c, hooks);
    assert!(collect(&transport, HttpRequest::post_json("responses", body())).await.is_ok());
}

#[tokio::test]
async fn dropping_a_stream_frees_its_connection() {
    let fake = FakeCodex::builder().require_auth(false).start().await;
    let faults = Faults { stall: Some((3, Duration::from_secs(3600))), ..Faults::default() };
    fake.enqueue(Reply::stream_with(Script::new("r").text("a b c").completed(), faults));
    let transport = transport_for(&fake, |c| c, Hooks::new());
    let mut stream = transport.stream(HttpRequest::post_json("responses", body())).await.unwrap();
    stream.next().await.unwrap().unwrap();
    assert_eq!(fake.open_connections(), 1);
    drop(stream);
    closed(&fake, "the connection of a dropped stream").await;
    // The transport still works afterwards.
    collect(&transport, HttpRequest::post_json("responses", body())).await.unwrap();
}

#[tokio::test]
async fn https_with_an_extra_ca_and_refused_without_it() {
    let ca = TestCa::new();
    let fake = FakeCodex::builder().tls(ca.clone()).start().await;
    let transport = transport_for(&fake, |c| c.add_ca_pem(ca.ca_pem()), Hooks::new());
    let frames = collect(&transport, HttpRequest::post_json("responses", body())).await.unwrap();
    assert!(!frames.is_empty());
    assert_eq!(fake.requests()[0].version, "HTTP/2.0", "ALPN picked HTTP/2");
    let untrusting = transport_for(&fake, |c| c.retry(RetryPolicy::none()), Hooks::new());
    let error = collect(&untrusting, HttpRequest::post_json("responses", body())).await.unwrap_err();
    assert_eq!(error.kind.clone(), ErrorKind::Network);
    assert!(error.user_message.to_ascii_lowercase().contains("certificate"), "{}", error.user_message);
}

#[tokio::test]
async fn base_urls_are_checked() {
    let build = |url: &str| {
        Transport::new(TransportConfig::new(url), Arc::new(StaticBearer::new("t", None)), Hooks::new())
    };
    assert!(build("https://chatgpt.com/backend-api/codex").is_ok());
    assert!(build("http://127.0.0.1:9/backend-api/codex").is_ok());
    assert!(build("http://localhost:9/x").is_ok());
    let plain = build("http://example.com/backend-api/codex").unwrap_err().to_string();
    assert!(plain.contains("only for loopback"), "{plain}");
    let userinfo = build("https://user:secret-password@example.com/x").unwrap_err().to_string();
    assert!(userinfo.contains("credentials") && !userinfo.contains("secret-password"), "{userinfo}");
    assert!(build("ftp://example.com").is_err());
    let native = Transport::new(
        TransportConfig::new("https://chatgpt.com/backend-api/codex")
            .roots(codex_transport::RootCertificates::WebPkiAndNative),
        Arc::new(StaticBearer::new("t", None)),
        Hooks::new(),
    );
    assert!(native.is_ok(), "native roots load (or are skipped with a warning)");
    assert!(build("not a url").is_err());
    let bad_ca = Transport::new(
        TransportConfig::new("https://x.test").add_ca_pem("not pem"),
        Arc::new(StaticBearer::new("t", None)),
        Hooks::new(),
    );
    assert!(bad_ca.unwrap_err().to_string().contains("CA certificate"));
}

#[tokio::test]
async fn dropping_a_request_future_frees_its_connection() {
    let fake = FakeCodex::builder().require_auth(false).start().await;
    let faults = Faults { stall: Some((1, Duration::from_secs(3600))), ..Faults::default() };
    fake.enqueue(Reply::stream_with(Script::new("r").text("x").completed(), faults));
    let transport = transport_for(&fake, |c| c, Hooks::new());
    let pending = transport.send(HttpRequest::post_json("responses", body()));
    assert!(tokio::time::timeout(Duration::from_millis(200), pending).await.is_err(), "the body stalls");
    closed(&fake, "the connection of a dropped request").await;
}

#[tokio::test]
async fn per_request_retries_and_timeout_override_the_config() {
    let fake = FakeCodex::start().await;
    fake.enqueue(Reply::server_error());
    let transport = transport_for(&fake, |c| c, Hooks::new());
    let options = RequestOptions { max_retries: Some(0), ..RequestOptions::default() };
    let error =
        collect(&transport, HttpRequest::post_json("responses", body()).options(options)).await.unwrap_err();
    assert_eq!(error.kind.clone(), ErrorKind::Server);
    assert_eq!(fake.requests().len(), 1, "max_retries: 0 sends once");

    fake.enqueue(Reply::stream_with(
        Script::new("r").text("x").completed(),
        Faults { stall: Some((1, Duration::from_secs(3600))), ..Faults::default() },
    ));
    let options = RequestOptions {
        timeout: Some(Duration::from_millis(150)),
        max_retries: Some(0),
        ..RequestOptions::default()
    };
    let error =
        transport.send(HttpRequest::post_json("responses", body()).options(options)).await.unwrap_err();
    assert_eq!(error.kind.clone(), ErrorKind::Timeout);
}

#[tokio::test]
async fn form_bodies_to_an_absolute_url_on_another_host() {
    let oauth = codex_testkit::FakeOAuth::start().await;
    let fake = FakeCodex::start().await;
    let transport = transport_for(&fake, |c| c.retry(RetryPolicy::none()), Hooks::new());
    let form = vec![
        ("grant_type".to_owned(), "authorization_code".to_owned()),
        ("code".to_owned(), "no-such-code".to_owned()),
        ("client_id".to_owned(), codex_testkit::CODEX_CLIENT_ID.to_owned()),
    ];
    let error = transport.send(HttpRequest::post_form(oauth.token_endpoint(), form)).await.unwrap_err();
    assert_eq!((error.status_code, error.provider_code.as_deref()), (Some(400), Some("invalid_grant")));
    assert!(fake.requests().is_empty(), "the absolute URL went to the OAuth host");
    let refused =
        transport.send(HttpRequest::post_form("http://example.com/oauth/token", vec![])).await.unwrap_err();
    assert!(refused.user_message.contains("only for loopback"), "{}", refused.user_message);
}

#[tokio::test]
async fn the_connect_timeout_bounds_a_connect_that_hangs() {
    // A listener whose accept queue is full: the kernel drops further SYNs, so a connect hangs
    // (on loopback, without touching any other address).
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(1).unwrap();
    let address = listener.local_addr().unwrap();
    let mut fillers = Vec::new();
    for _ in 0..8 {
        let attempt =
            tokio::time::timeout(Duration::from_millis(200), tokio::net::TcpStream::connect(address)).await;
        match attempt {
            Ok(Ok(stream)) => fillers.push(stream),
            _ => break, // the queue is full: connects now hang
        }
    }
    let config = TransportConfig::new(format!("http://{address}/backend-api/codex"))
        .connect_timeout(Duration::from_millis(300))
        .request_timeout(Duration::from_secs(60))
        .retry(RetryPolicy::none());
    let transport = Transport::new(config, Arc::new(StaticBearer::new("t", None)), Hooks::new()).unwrap();
    let error = transport.send(HttpRequest::new(Method::GET, "models")).await.unwrap_err();
    // The request timeout (60 s) would be ErrorKind::Timeout; the connect timeout is a
    // connection failure.
    assert_eq!(error.kind.clone(), ErrorKind::Network, "{error}");
    assert!(
        error.user_message.contains("timed out") || error.user_message.contains("timeout"),
        "{}",
        error.user_message
    );
    drop(listener);
}

/// Waits (at most 5 s) until the fake has no connection open; `what` names the one awaited.
async fn closed(fake: &FakeCodex, what: &str) {
    for _ in 0..500 {
        if fake.open_connections() == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{what} was never closed");
}

/// Reads a stream until its terminal frame and returns what is left of it.
async fn until_terminal(transport: &Transport) -> codex_transport::EventStream {
    let mut stream = transport.stream(HttpRequest::post_json("responses", body())).await.unwrap();
    while stream.next().await.expect("a terminal frame").unwrap().event.as_deref()
        != Some("response.completed")
    {}
    stream
}

/// A stream finished in the background hands its connection back when the body's end comes
/// after its last event; one dropped there closes it, and the next request opens another.
#[tokio::test]
async fn a_stream_finished_in_the_background_leaves_its_connection_for_the_next_request() {
    let fake = FakeCodex::start().await;
    let transport = transport_for(&fake, |c| c, Hooks::new());
    let late_end = Faults { end_delay: Some(Duration::from_millis(100)), ..Faults::default() };
    let script = || Script::new("r").text("a b c").completed();

    for _ in 0..3 {
        fake.enqueue(Reply::stream_with(script(), late_end.clone()));
        until_terminal(&transport).await.finish_in_background();
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert_eq!(fake.accepted_connections(), 1, "the body's end came back to the pool");

    fake.enqueue(Reply::stream_with(script(), late_end.clone()));
    drop(until_terminal(&transport).await);
    tokio::time::sleep(Duration::from_millis(300)).await;
    collect(&transport, HttpRequest::post_json("responses", body())).await.unwrap();
    assert_eq!(fake.accepted_connections(), 2, "a stream dropped before its end closes its connection");
}

/// Finishing in the background reads at most `DRAIN_BYTES` past the caller's end: a body that
/// goes on has its connection closed, and the transport carries on with another.
#[tokio::test]
async fn finishing_in_the_background_gives_up_on_a_body_that_goes_on() {
    let fake = FakeCodex::builder().require_auth(false).start().await;
    let long = Script::new("r").text(&"word ".repeat(4000)).completed();
    let mut events = long.clone();
    for _ in 0..4 {
        events.extend(long.iter().cloned());
    }
    fake.enqueue(Reply::stream(events));
    let transport = transport_for(&fake, |c| c, Hooks::new());
    let mut stream = transport.stream(HttpRequest::post_json("responses", body())).await.unwrap();
    stream.next().await.unwrap().unwrap();
    stream.finish_in_background();
    closed(&fake, "the connection of a body that goes on").await;
    collect(&transport, HttpRequest::post_json("responses", body())).await.unwrap();
    assert_eq!(fake.accepted_connections(), 2);
}

/// `finish` gives hyper's connection task the turn it needs to read the body's end, which has
/// usually arrived with the final event: the very next request, sent at once, finds the
/// connection back in the pool.
#[tokio::test]
async fn a_finished_stream_leaves_its_connection_to_the_request_right_after() {
    let fake = FakeCodex::start().await;
    let transport = transport_for(&fake, |c| c, Hooks::new());
    for _ in 0..5 {
        until_terminal(&transport).await.finish().await;
    }
    assert_eq!(fake.accepted_connections(), 1);
}

/// A stream ends at `data: [DONE]` for its reader; the body's end, which follows (here a
/// moment later), is still read, so that the connection serves the next request.
#[tokio::test]
async fn a_stream_ended_by_done_leaves_its_connection_to_the_next_request() {
    let fake = FakeCodex::start().await;
    let transport = transport_for(&fake, |c| c, Hooks::new());
    let done_then_late_end =
        Faults { done_marker: true, end_delay: Some(Duration::from_millis(100)), ..Faults::default() };
    for _ in 0..3 {
        let events = Script::new("r").text("a b").completed();
        fake.enqueue(Reply::stream_with(events.clone(), done_then_late_end.clone()));
        let frames = collect(&transport, HttpRequest::post_json("responses", body())).await.unwrap();
        assert_eq!(data(&frames), events);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert_eq!(fake.accepted_connections(), 1);
}
