//! Hostile input never panics a parser, and parse errors never echo a secret. (The property
//! form of the fuzz targets; the SSE decoder has its own chunking properties in
//! codex-transport.)

use oauth_codex::auth::{AccessToken, AccessTokenClaims, IdToken, IdTokenClaims, OAuthState, parse_callback};
use oauth_codex::transport::{RateLimits, SdkRequestError, SseDecoder};
use oauth_codex::{BackendEvent, EventMapper, ResponseAccumulator};
use proptest::prelude::*;

/// Strings that look a little like the real thing: JSON-ish, URL-ish, JWT-ish pieces.
fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,200}",
        r#"\{("[a-z_.]{0,12}":("[^"]{0,20}"|[0-9]{1,5}|null|true|\[\]|\{\}),?){0,6}\}"#,
        r"[A-Za-z0-9_\-]{0,40}\.[A-Za-z0-9_\-=]{0,80}\.[A-Za-z0-9_\-]{0,20}",
        r"(https?://)?[a-z:0-9./]{0,30}\?([a-z_]{1,8}=[^&]{0,20}&?){0,6}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 768, ..ProptestConfig::default() })]

    #[test]
    fn backend_events_and_the_mapper_never_panic(name in proptest::option::of("[a-z_.]{0,30}"), data in hostile()) {
        let mut mapper = EventMapper::new();
        let mut accumulator = ResponseAccumulator::new();
        if let Ok(event) = BackendEvent::parse(name.as_deref(), &data) {
            for event in mapper.map(&event) {
                accumulator.push(&event);
            }
        }
        let _ = mapper.finish();
        let _ = accumulator.finish();
    }

    #[test]
    fn typed_events_with_any_fields_never_panic(kind in "response\\.[a-z_.]{0,30}", rest in hostile()) {
        let data = format!(r#"{{"type":"{kind}","response":{rest},"item":{rest},"delta":{rest}}}"#);
        let mut mapper = EventMapper::new();
        if let Ok(event) = BackendEvent::parse(None, &data) {
            let _ = mapper.map(&event);
        }
    }

    #[test]
    fn callbacks_never_panic_and_never_echo_the_code(input in hostile(), code in "[A-Za-z0-9]{24}") {
        let state = OAuthState::new("expected-state-value");
        let _ = parse_callback(&input, &state);
        let forged = format!("http://localhost:1455/auth/callback?code={code}&state=wrong{input}");
        if let Err(error) = parse_callback(&forged, &state) {
            prop_assert!(!error.to_string().contains(&code), "{}", error);
            let debug = format!("{error:?}");
            prop_assert!(!debug.contains(&code), "{}", debug);
        }
    }

    #[test]
    fn jwt_claims_never_panic(token in hostile()) {
        let _ = IdTokenClaims::parse(&IdToken::new(token.clone()));
        if let Err(error) = AccessTokenClaims::parse(&AccessToken::new(token.clone()))
            && token.len() > 12
        {
            prop_assert!(!error.to_string().contains(&token), "the token is not echoed");
        }
    }

    #[test]
    fn error_bodies_never_panic(status in 100u16..600, body in hostile(), header in proptest::option::of(hostile())) {
        let mut headers = oauth_codex::transport::HeaderMap::new();
        if let Some(value) = header.and_then(|h| h.parse().ok()) {
            headers.insert("x-error-json", value);
        }
        let error = SdkRequestError::from_response(status, &headers, body.as_bytes(), None);
        prop_assert!(!error.user_message.is_empty());
        prop_assert!(error.raw_error.as_deref().is_none_or(|raw| raw.len() <= 4096));
    }

    #[test]
    fn the_sse_decoder_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512), limit in 1usize..256) {
        let mut decoder = SseDecoder::new().with_max_event_size(limit);
        let mut frames = Vec::new();
        for chunk in bytes.chunks(7) {
            if decoder.feed(chunk, &mut frames).is_err() {
                break;
            }
        }
        let _ = decoder.finish();
    }
}

/// Found by the `error_body` fuzz target: a huge `reset-after-seconds` overflowed the reset time.
#[test]
fn huge_rate_limit_reset_delays_saturate() {
    for after in ["18446744073709551615", "1e300", "777777777777777777777777777777"] {
        let mut headers = oauth_codex::transport::HeaderMap::new();
        headers.insert("x-codex-primary-used-percent", "1".parse().unwrap());
        headers.insert("x-codex-primary-reset-after-seconds", after.parse().unwrap());
        let limits = RateLimits::from_headers(&headers).expect("a snapshot");
        let primary = limits.primary.expect("the primary window");
        assert_eq!(primary.reset_at, Some(u64::MAX), "{after}");
        assert_eq!(primary.reset_after_seconds, Some(u64::MAX), "{after}");
    }
}
