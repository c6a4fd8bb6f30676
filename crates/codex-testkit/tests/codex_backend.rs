//! The fake Codex backend refuses and accepts what the real one does, and injects every fault.

mod common;

use std::time::Duration;

use codex_testkit::{
    Chunking, FakeCodex, Faults, LineEnding, REJECTED_PARAMETERS, Reply, Script, TestCa, huge_text_delta,
};
use common::{client, collect, request, send, sse_data, valid_body};
use hyper::Method;
use serde_json::{Value, json};

fn auth(token: &str) -> String {
    format!("Bearer {token}")
}

async fn post(fake: &FakeCodex, body: &Value, token: &str) -> common::Reply {
    let bearer = auth(token);
    let url = format!("{}/responses", fake.base_url());
    send(
        &client(),
        request(
            Method::POST,
            &url,
            &[("authorization", &bearer), ("content-type", "application/json")],
            body.to_string(),
        ),
    )
    .await
}

#[tokio::test]
async fn bearer_tokens_are_checked() {
    let fake = FakeCodex::start().await;
    let url = format!("{}/responses", fake.base_url());
    let missing = send(&client(), request(Method::POST, &url, &[], valid_body().to_string())).await;
    assert_eq!(missing.status, 401);
    let unknown = post(&fake, &valid_body(), "not-a-token").await;
    assert_eq!((unknown.status, unknown.json()["error"]["code"].clone()), (401, json!("invalid_token")));

    fake.registry().set_access_token_lifetime(Duration::ZERO);
    let expired = fake.registry().mint_access_token();
    let reply = post(&fake, &valid_body(), &expired).await;
    assert_eq!((reply.status, reply.json()["error"]["code"].clone()), (401, json!("token_expired")));

    fake.registry().set_access_token_lifetime(Duration::from_secs(60));
    let good = fake.registry().mint_access_token();
    assert_eq!(post(&fake, &valid_body(), &good).await.status, 200);
}

#[tokio::test]
async fn account_header_must_match_the_token() {
    let fake = FakeCodex::start().await;
    let token = fake.registry().mint_access_token();
    let account = fake.registry().account().account_id;
    let url = format!("{}/responses", fake.base_url());
    let bearer = auth(&token);
    let wrong = send(
        &client(),
        request(
            Method::POST,
            &url,
            &[("authorization", &bearer), ("chatgpt-account-id", "acct_other")],
            valid_body().to_string(),
        ),
    )
    .await;
    assert_eq!(wrong.status, 403);
    assert!(wrong.json()["detail"].as_str().unwrap().contains("ChatGPT-Account-ID"));
    let right = send(
        &client(),
        request(
            Method::POST,
            &url,
            &[("authorization", &bearer), ("chatgpt-account-id", &account)],
            valid_body().to_string(),
        ),
    )
    .await;
    assert_eq!(right.status, 200);
}

#[tokio::test]
async fn body_rules_of_the_real_backend() {
    let fake = FakeCodex::start().await;
    let token = fake.registry().mint_access_token();
    let with = |key: &str, value: Option<Value>| {
        let mut body = valid_body();
        match value {
            Some(value) => body[key] = value,
            None => {
                body.as_object_mut().unwrap().remove(key);
            }
        }
        body
    };
    let cases = [
        (with("store", None), "Store must be set to false"),
        (with("store", Some(json!(true))), "Store must be set to false"),
        (with("stream", Some(json!(false))), "Stream must be set to true"),
        (with("stream", None), "Stream must be set to true"),
        (with("instructions", None), "Instructions are required"),
        (with("input", Some(json!("hi"))), "Input must be a list"),
    ];
    for (body, expected) in cases {
        let reply = post(&fake, &body, &token).await;
        assert_eq!(reply.status, 400, "{body}");
        assert_eq!(reply.json(), json!({ "detail": expected }));
    }
    for parameter in REJECTED_PARAMETERS {
        let reply = post(&fake, &with(parameter, Some(json!(1))), &token).await;
        assert_eq!(reply.status, 400);
        assert_eq!(reply.json()["detail"], format!("Unsupported parameter: {parameter}"));
    }
    let ok = post(&fake, &valid_body(), &token).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.header("content-type"), Some("text/event-stream"));
}

#[tokio::test]
async fn scripted_events_arrive_in_order_with_rate_limit_headers() {
    let fake = FakeCodex::start().await;
    let token = fake.registry().mint_access_token();
    let events = Script::new("resp_7")
        .reasoning("Think.")
        .text("Hello there")
        .function_call("call_1", "f", r#"{"a":1}"#)
        .completed();
    fake.enqueue(Reply::stream(events.clone()));
    let reply = post(&fake, &valid_body(), &token).await;
    assert_eq!(sse_data(&reply.text()), events);
    assert!(reply.text().contains("event: response.output_text.delta\n"));
    for header in [
        "x-codex-primary-used-percent",
        "x-codex-primary-window-minutes",
        "x-codex-primary-reset-at",
        "x-codex-primary-reset-after-seconds",
        "x-codex-secondary-used-percent",
        "x-codex-secondary-window-minutes",
        "x-codex-secondary-reset-at",
        "x-codex-secondary-reset-after-seconds",
        "x-request-id",
    ] {
        assert!(reply.header(header).is_some(), "{header} missing");
    }
    assert_eq!(reply.header("x-codex-primary-window-minutes"), Some("300"));
    let completed = events.last().unwrap();
    assert_eq!(completed["response"]["output"].as_array().unwrap().len(), 3, "the backend repeats the items");
}

#[tokio::test]
async fn default_reply_is_a_short_completion() {
    let fake = FakeCodex::start().await;
    let reply = post(&fake, &valid_body(), &fake.registry().mint_access_token()).await;
    let events = sse_data(&reply.text());
    assert_eq!(events.last().unwrap()["type"], "response.completed");
}

#[tokio::test]
async fn failure_scripts() {
    let context = Script::new("r").failed_context_length();
    assert_eq!(context.last().unwrap()["response"]["error"]["code"], "context_length_exceeded");
    let rate = Script::new("r").failed_rate_limit();
    assert!(
        rate.last().unwrap()["response"]["error"]["message"].as_str().unwrap().contains("try again in 2s")
    );
    let cut = Script::new("r").text("partial").incomplete("max_output_tokens");
    assert_eq!(cut.last().unwrap()["response"]["incomplete_details"]["reason"], "max_output_tokens");
}

#[tokio::test]
async fn http_level_replies() {
    let fake = FakeCodex::start().await;
    let token = fake.registry().mint_access_token();
    fake.enqueue(Reply::usage_limit_reached("plus", 13_872));
    fake.enqueue(Reply::rate_limited(7));
    fake.enqueue(Reply::server_error());
    fake.enqueue(Reply::overloaded());
    fake.enqueue(Reply::usage_not_included());

    let usage = post(&fake, &valid_body(), &token).await;
    assert_eq!(usage.status, 429);
    let error = &usage.json()["error"];
    assert_eq!(
        (error["type"].as_str(), error["plan_type"].as_str()),
        (Some("usage_limit_reached"), Some("plus"))
    );
    assert_eq!(error["resets_in_seconds"], 13_872);
    assert!(error["resets_at"].as_u64().unwrap() > 1_700_000_000);
    assert!(usage.header("x-codex-primary-used-percent").is_some(), "rate-limit headers on the 429 too");

    let limited = post(&fake, &valid_body(), &token).await;
    assert_eq!((limited.status, limited.header("retry-after")), (429, Some("7")));
    assert_eq!(post(&fake, &valid_body(), &token).await.status, 500);
    let overloaded = post(&fake, &valid_body(), &token).await;
    assert_eq!(
        (overloaded.status, overloaded.json()["error"]["code"].as_str()),
        (503, Some("server_is_overloaded"))
    );
    assert_eq!(post(&fake, &valid_body(), &token).await.json()["error"]["type"], "usage_not_included");
}

async fn stream_with(faults: Faults, events: Vec<Value>) -> Result<common::Reply, hyper::Error> {
    let fake = FakeCodex::builder().require_auth(false).start().await;
    fake.enqueue(Reply::stream_with(events, faults));
    let url = format!("{}/responses", fake.base_url());
    let response =
        client().request(request(Method::POST, &url, &[], valid_body().to_string())).await.unwrap();
    collect(response).await
}

#[tokio::test]
async fn drop_after_n_events_breaks_the_connection() {
    let events = Script::new("r").text("one two three").completed();
    let result = stream_with(Faults { drop_after: Some(3), ..Faults::default() }, events).await;
    assert!(result.is_err(), "the body must end in an error, not cleanly");
}

#[tokio::test]
async fn close_before_completed_ends_cleanly_without_the_terminal_event() {
    let events = Script::new("r").text("words").completed();
    let reply = stream_with(Faults { close_before_completed: true, ..Faults::default() }, events.clone())
        .await
        .unwrap();
    let got = sse_data(&reply.text());
    assert_eq!(got.len(), events.len() - 1);
    assert!(got.iter().all(|e| e["type"] != "response.completed"));
}

#[tokio::test]
async fn stall_sends_nothing_for_the_duration() {
    let fake = FakeCodex::builder().require_auth(false).start().await;
    let faults = Faults { stall: Some((1, Duration::from_secs(3600))), ..Faults::default() };
    fake.enqueue(Reply::stream_with(Script::new("r").text("x").completed(), faults));
    let url = format!("{}/responses", fake.base_url());
    let response =
        client().request(request(Method::POST, &url, &[], valid_body().to_string())).await.unwrap();
    let mut body = http_body_util::BodyExt::boxed(response.into_body());
    let first = http_body_util::BodyExt::frame(&mut body).await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(first.data_ref().unwrap()).contains("response.created"));
    let next =
        tokio::time::timeout(Duration::from_millis(300), http_body_util::BodyExt::frame(&mut body)).await;
    assert!(next.is_err(), "no byte may arrive during a stall");
}

#[tokio::test]
async fn byte_by_byte_and_random_chunks_deliver_the_same_bytes() {
    let events = Script::new("r").text("héllo wörld ✓ 🚀").completed();
    let whole = stream_with(Faults::default(), events.clone()).await.unwrap();
    let bytes = stream_with(Faults { chunking: Chunking::ByteByByte, ..Faults::default() }, events.clone())
        .await
        .unwrap();
    let random = stream_with(
        Faults { chunking: Chunking::Random { seed: 42, max: 7 }, ..Faults::default() },
        events.clone(),
    )
    .await
    .unwrap();
    assert_eq!(bytes.body, whole.body);
    assert_eq!(random.body, whole.body);
    assert!(bytes.frames > events.len(), "delivered in many more pieces than events");
    assert!(random.frames > events.len());
}

#[tokio::test]
async fn line_endings_comments_multiline_data_and_missing_content_type() {
    let events = Script::new("r").text("x").completed();
    let crlf = stream_with(Faults { line_ending: LineEnding::CrLf, ..Faults::default() }, events.clone())
        .await
        .unwrap();
    assert!(crlf.text().contains("\r\n\r\n"));
    let cr = stream_with(Faults { line_ending: LineEnding::Cr, ..Faults::default() }, events.clone())
        .await
        .unwrap();
    assert!(cr.text().contains('\r') && !cr.text().contains('\n'));
    let comments =
        stream_with(Faults { keepalive_comments: true, ..Faults::default() }, events.clone()).await.unwrap();
    assert_eq!(comments.text().matches(": keepalive\n\n").count(), events.len());
    let multiline =
        stream_with(Faults { multiline_data: true, ..Faults::default() }, events.clone()).await.unwrap();
    assert!(multiline.text().contains("data: {\ndata:   \"type\""));
    assert_eq!(sse_data(&multiline.text()), events, "multi-line data joins back to the same JSON");
    let bare =
        stream_with(Faults { omit_content_type: true, ..Faults::default() }, events.clone()).await.unwrap();
    assert_eq!(bare.header("content-type"), None);
    assert_eq!(sse_data(&bare.text()), events);
}

#[tokio::test]
async fn a_very_large_event() {
    let events = vec![huge_text_delta("m", 4 * 1024 * 1024)];
    let reply = stream_with(Faults::default(), events).await.unwrap();
    assert!(reply.body.len() > 4 * 1024 * 1024);
}

#[tokio::test]
async fn models_catalogue_with_etag() {
    let fake = FakeCodex::start().await;
    let bearer = auth(&fake.registry().mint_access_token());
    let url = format!("{}/models", fake.base_url());
    let no_version = send(&client(), request(Method::GET, &url, &[("authorization", &bearer)], "")).await;
    assert_eq!(no_version.status, 400);
    let with_version = format!("{url}?client_version=0.99.0");
    let first = send(&client(), request(Method::GET, &with_version, &[("authorization", &bearer)], "")).await;
    assert_eq!(first.status, 200);
    let etag = first.header("etag").unwrap().to_owned();
    let models = first.json()["models"].as_array().unwrap().clone();
    assert!(models.iter().any(|m| m["slug"] == "gpt-5.2-codex" && m["context_window"] == 272000));
    let again = send(
        &client(),
        request(Method::GET, &with_version, &[("authorization", &bearer), ("if-none-match", &etag)], ""),
    )
    .await;
    assert_eq!(again.status, 304);
    fake.set_models_etag("\"models-etag-2\"");
    let changed = send(
        &client(),
        request(Method::GET, &with_version, &[("authorization", &bearer), ("if-none-match", &etag)], ""),
    )
    .await;
    assert_eq!(changed.status, 200);
}

#[tokio::test]
async fn requests_are_recorded() {
    let fake = FakeCodex::start().await;
    let token = fake.registry().mint_access_token();
    post(&fake, &valid_body(), &token).await;
    let recorded = fake.requests();
    assert_eq!(recorded.len(), 1);
    assert_eq!(
        (recorded[0].method.as_str(), recorded[0].path.as_str()),
        ("POST", "/backend-api/codex/responses")
    );
    assert_eq!(recorded[0].header("Content-Type"), Some("application/json"));
    assert_eq!(recorded[0].json.as_ref().unwrap()["model"], "gpt-5.2-codex");
}

#[tokio::test]
async fn sequential_requests_on_one_client_reuse_one_connection() {
    let fake = FakeCodex::builder().require_auth(false).start().await;
    let client = client();
    let url = format!("{}/responses", fake.base_url());
    for _ in 0..3 {
        let reply = send(&client, request(Method::POST, &url, &[], valid_body().to_string())).await;
        assert_eq!(reply.status, 200);
    }
    assert_eq!(fake.accepted_connections(), 1);
    let _other = send(&common::client(), request(Method::POST, &url, &[], valid_body().to_string())).await;
    assert_eq!(fake.accepted_connections(), 2, "a second client opens its own connection");
}

fn tls_client(
    ca: Option<&TestCa>,
    http2: bool,
) -> hyper_util::client::legacy::Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    http_body_util::Full<bytes::Bytes>,
> {
    let mut roots = rustls::RootCertStore::empty();
    if let Some(ca) = ca {
        roots.add(ca.ca_der().clone()).unwrap();
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let builder = hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(config).https_only();
    let connector =
        if http2 { builder.enable_all_versions().build() } else { builder.enable_http1().build() };
    hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build(connector)
}

#[tokio::test]
async fn https_with_the_throwaway_ca_over_http1_and_http2() {
    let ca = TestCa::new();
    let fake = FakeCodex::builder().tls(ca.clone()).require_auth(false).start().await;
    assert!(fake.base_url().starts_with("https://localhost:"));
    let url = format!("{}/responses", fake.base_url());
    for http2 in [false, true] {
        let response = tls_client(Some(&ca), http2)
            .request(request(Method::POST, &url, &[], valid_body().to_string()))
            .await
            .unwrap();
        let expected = if http2 { hyper::Version::HTTP_2 } else { hyper::Version::HTTP_11 };
        assert_eq!(response.version(), expected);
        let reply = collect(response).await.unwrap();
        assert_eq!(sse_data(&reply.text()).last().unwrap()["type"], "response.completed");
    }
    let untrusted =
        tls_client(None, false).request(request(Method::POST, &url, &[], valid_body().to_string())).await;
    assert!(untrusted.is_err(), "a client that does not trust the CA is refused");
}

/// The statuses of `count` sequential requests to a fake with this error rate and seed.
async fn statuses_with_error_rate(rate: f64, seed: u64, count: usize) -> (Vec<u16>, u64) {
    let fake = FakeCodex::builder().error_rate(rate).error_seed(seed).start().await;
    let token = fake.registry().mint_access_token();
    let mut statuses = Vec::with_capacity(count);
    for _ in 0..count {
        statuses.push(post(&fake, &valid_body(), &token).await.status);
    }
    (statuses, fake.injected_errors())
}

#[tokio::test]
async fn seeded_random_server_errors() {
    let (statuses, injected) = statuses_with_error_rate(0.25, 7, 400).await;
    let failed = statuses.iter().filter(|s| **s == 500).count();
    assert!(statuses.iter().all(|s| matches!(s, 200 | 500)), "{statuses:?}");
    assert_eq!(failed as u64, injected, "every 500 is counted");
    assert!((60..=140).contains(&failed), "about a quarter fail: {failed} of 400");
    let (again, _) = statuses_with_error_rate(0.25, 7, 400).await;
    assert_eq!(statuses, again, "the same seed fails the same requests");
    let (other, _) = statuses_with_error_rate(0.25, 8, 400).await;
    assert_ne!(statuses, other, "another seed fails other requests");

    // The injected reply is the ordinary 500 body; refused requests are never turned into it.
    let fake = FakeCodex::builder().error_rate(1.0).start().await;
    let token = fake.registry().mint_access_token();
    let reply = post(&fake, &valid_body(), &token).await;
    assert_eq!((reply.status, reply.json()["error"]["type"].as_str()), (500, Some("server_error")));
    assert_eq!(post(&fake, &valid_body(), "not-a-token").await.status, 401, "auth is checked first");
    assert_eq!(post(&fake, &json!({"model": "m"}), &token).await.status, 400, "then the body");
    assert_eq!(fake.injected_errors(), 1);

    // A queued reply waits for a request that is not failed; the rate can change at run time.
    fake.enqueue(Reply::stream(Script::new("resp_queued").text("kept").completed()));
    assert_eq!(post(&fake, &valid_body(), &token).await.status, 500);
    fake.set_error_rate(0.0);
    let kept = post(&fake, &valid_body(), &token).await;
    assert_eq!(kept.status, 200);
    assert!(kept.text().contains("resp_queued"), "{}", kept.text());
    assert_eq!(fake.injected_errors(), 2);
}

#[tokio::test]
async fn requests_can_go_unrecorded() {
    let fake = FakeCodex::builder().record_requests(false).start().await;
    let token = fake.registry().mint_access_token();
    assert_eq!(post(&fake, &valid_body(), &token).await.status, 200);
    assert!(fake.requests().is_empty(), "nothing is kept");
    let recording = FakeCodex::start().await;
    let token = recording.registry().mint_access_token();
    assert_eq!(post(&recording, &valid_body(), &token).await.status, 200);
    assert_eq!(recording.requests().len(), 1, "kept by default");
}
