//! The builder's stream-event size limit reaches the decoder: an event over it fails the call
//! with a typed, non-retryable `decode` error naming the setting, and the same reply passes
//! under the default limit.

mod common;

use codex_testkit::{Reply, Script};
use oauth_codex::{ErrorKind, ResponseCreateParams};

/// One assistant message whose text is a single 8 KiB word, so one delta event carries it all.
fn long_reply() -> (String, Reply) {
    let text = "x".repeat(8 * 1024);
    (text.clone(), Reply::stream(Script::new("resp_limit").text(&text).completed()))
}

#[test]
fn an_event_over_the_builders_limit_is_a_decode_error() {
    let env = common::env();
    let client = env.builder().max_event_size(4 * 1024).build().unwrap();
    let (_, reply) = long_reply();
    env.codex.enqueue(reply);
    let error = env
        .rt
        .block_on(client.responses().create(ResponseCreateParams::new("gpt-5.2-codex", "Long?")))
        .unwrap_err();
    let request = error.as_request().expect("a request error");
    assert_eq!(request.kind, ErrorKind::Decode, "{error}");
    assert!(!error.is_retryable());
    let text = error.to_string();
    assert!(text.contains("4.0 KiB") || text.contains("4 KiB"), "{text}");
    assert!(text.contains("max_event_size"), "the error names the setting: {text}");
}

#[test]
fn the_same_reply_passes_under_the_default_limit() {
    let env = common::env();
    let client = env.builder().build().unwrap();
    let (text, reply) = long_reply();
    env.codex.enqueue(reply);
    let response = env
        .rt
        .block_on(client.responses().create(ResponseCreateParams::new("gpt-5.2-codex", "Long?")))
        .unwrap();
    assert_eq!(response.output_text, text);
}
