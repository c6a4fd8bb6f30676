//! The entry points of the fuzz targets, one function per target.
//!
//! Each function takes the fuzzer's raw bytes, drives one parser of the SDK with them and checks
//! the properties that must hold for any input (beyond "does not panic"). The libFuzzer binaries
//! in `fuzz_targets/` call these functions; the workspace test `tests/tests/fuzz_corpus.rs`
//! includes this file and replays every committed corpus file through the same functions on
//! stable Rust, so the corpus guards against regressions without libFuzzer.

use codex_auth::{AccessToken, AccessTokenClaims, IdToken, IdTokenClaims, OAuthState, parse_callback};
use codex_schema::{BackendEvent, EventMapper, ResponseAccumulator};
use codex_transport::{HeaderMap, RateLimits, SdkRequestError, SseDecoder, SseFrame};

/// The state the callback target expects.
const EXPECTED_STATE: &str = "expected-state-value";

/// A code that only the callback target puts in a callback: no error may repeat it.
const CANARY_CODE: &str = "Zx81CanaryAuthorizationCode0qPw";

/// The header names the error-body target can set (what the error model and the rate-limit
/// reader look at).
const ERROR_HEADERS: [&str; 12] = [
    "x-error-json",
    "retry-after",
    "retry-after-ms",
    "x-should-retry",
    "x-request-id",
    "x-codex-primary-used-percent",
    "x-codex-primary-window-minutes",
    "x-codex-primary-reset-after-seconds",
    "x-codex-secondary-reset-at",
    "x-codex-credits-has-credits",
    "x-codex-credits-balance",
    "x-codex-plan-type",
];

/// Everything a decoder run produced, for comparing two ways of feeding the same bytes.
#[derive(Debug, PartialEq, Eq)]
struct SseRun {
    frames: Vec<SseFrame>,
    failed: bool,
    cut_off: bool,
    done: bool,
    last_event_id: Option<String>,
    retry: Option<u64>,
}

fn decode_in_chunks(bytes: &[u8], limit: usize, chunk: usize) -> SseRun {
    let mut decoder = SseDecoder::new().with_max_event_size(limit);
    let mut frames = Vec::new();
    let mut failed = false;
    for piece in bytes.chunks(chunk.max(1)) {
        if decoder.feed(piece, &mut frames).is_err() {
            failed = true;
            assert!(decoder.feed(b"data: more\n\n", &mut frames).is_err(), "a failed decoder stays failed");
            break;
        }
    }
    let done = decoder.is_done();
    let last_event_id = decoder.last_event_id().map(str::to_owned);
    let retry = decoder.retry();
    let cut_off = decoder.finish();
    SseRun { frames, failed, cut_off, done, last_event_id, retry }
}

/// The SSE decoder: input byte 0 picks the event-size limit (0 = the default), byte 1 the chunk
/// size (1 to 64 bytes); the rest is the stream.
///
/// Checked: decoding the stream in chunks gives exactly what decoding it whole gives (frames,
/// failure, cut-off tail, `[DONE]`, last event ID, retry), as the decoder documents; no frame
/// carries more data than the limit allows.
pub fn sse_decoder(data: &[u8]) {
    let [limit_byte, chunk_byte, stream @ ..] = data else { return };
    let limit = match *limit_byte {
        0 => SseDecoder::DEFAULT_MAX_EVENT_SIZE,
        n => usize::from(n),
    };
    let chunk = usize::from(*chunk_byte % 64) + 1;
    let whole = decode_in_chunks(stream, limit, stream.len().max(1));
    let chunked = decode_in_chunks(stream, limit, chunk);
    assert_eq!(whole, chunked, "chunking changed what was decoded (chunk size {chunk}, limit {limit})");
    for frame in &whole.frames {
        assert!(frame.data.len() <= limit, "a frame larger than the limit was dispatched");
    }
}

/// The backend event parser and the event mapper: the input is read as UTF-8 (lossily) and
/// split into lines, one event each; a line `name<TAB>data` gives the SSE event name.
///
/// All events go through one [`EventMapper`] and one [`ResponseAccumulator`], as a stream
/// does. Checked: every mapped event serializes to JSON, nothing is emitted after
/// `response_completed`, and the mapper and accumulator finish without panicking.
pub fn backend_event(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut mapper = EventMapper::new();
    // The streaming hot path, fed the same frames: payloads kept as text, events moved.
    let mut raw_mapper = EventMapper::new();
    // The transport's entry, `map_sse` (deltas read in place), fed the same frames.
    let mut sse_mapper = EventMapper::new();
    let mut accumulator = ResponseAccumulator::new();
    for line in text.split('\n') {
        let (name, payload) = match line.split_once('\t') {
            Some((name, payload)) => (Some(name), payload),
            None => (None, line),
        };
        let Ok(event) = BackendEvent::parse(name, payload) else {
            assert!(
                BackendEvent::parse_with_raw(name, payload.to_owned()).is_err(),
                "parse_with_raw accepts {payload:?}"
            );
            // `map_sse` refuses it too, unless the payload is JSON that only a `Value` cannot
            // hold (a number out of range in a field it does not read): its one documented
            // difference. A throwaway mapper keeps `sse_mapper` in step with the others.
            if EventMapper::new().map_sse(name, payload, &mut Vec::new()).is_ok() {
                let reason = serde_json::from_str::<serde_json::Value>(payload).unwrap_err().to_string();
                assert!(reason.contains("number out of range"), "map_sse accepts {payload:?} ({reason})");
            }
            continue;
        };
        let _ = event.type_name();
        let (same, raw) = BackendEvent::parse_with_raw(name, payload.to_owned())
            .expect("parse_with_raw refuses what parse accepts");
        assert_eq!(same, event, "parse and parse_with_raw disagree on {payload:?}");
        raw.to_value().expect("a kept payload reads back as a JSON value");
        let was_terminated = mapper.is_terminated();
        let events = mapper.map(&event);
        let mut raw_events = Vec::new();
        raw_mapper.map_with_raw_into(same, raw, &mut raw_events);
        let mut sse_events = Vec::new();
        sse_mapper.map_sse(name, payload, &mut sse_events).expect("map_sse refuses what parse accepts");
        assert_eq!(sse_events, raw_events, "map_sse and map_with_raw_into disagree on {payload:?}");
        assert!(!was_terminated || events.is_empty(), "events were emitted after response_completed");
        let without_raw = |events: &[codex_schema::StreamEvent]| -> Vec<codex_schema::StreamEvent> {
            events
                .iter()
                .cloned()
                .map(|mut e| {
                    e.raw = None;
                    e
                })
                .collect()
        };
        assert_eq!(
            without_raw(&events),
            without_raw(&raw_events),
            "the two mapping paths disagree on {payload:?}"
        );
        for event in &events {
            let json = serde_json::to_string(event).expect("a stream event serializes");
            assert!(json.contains("\"v1\""), "a stream event without schema_version v1: {json}");
            accumulator.push(event);
        }
    }
    if let Ok(events) = mapper.finish() {
        for event in &events {
            accumulator.push(event);
        }
    }
    let _ = accumulator.finish();
}

/// The JWT claim readers: the input as a token, and the input as the JSON payload of a token.
///
/// Checked: no error message repeats the token.
pub fn jwt_claims(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    check_token(&text);
    let built = format!("eyJhbGciOiJub25lIn0.{}.c2ln", base64url(data));
    check_token(&built);
}

fn check_token(token: &str) {
    let _ = IdTokenClaims::parse(&IdToken::new(token.to_owned()));
    let result = AccessTokenClaims::parse(&AccessToken::new(token.to_owned()));
    // A token that could be a JWT has two dots; no error message has two, so a match would
    // be a real echo and not a coincidence of short strings.
    if let Err(error) = result
        && token.matches('.').count() >= 2
    {
        assert!(!error.to_string().contains(token), "an error repeats the token");
        assert!(!format!("{error:?}").contains(token), "an error's Debug repeats the token");
    }
}

/// Base64url without padding (the JWT alphabet).
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for group in bytes.chunks(3) {
        let b = [group[0], group.get(1).copied().unwrap_or(0), group.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=group.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// The callback URL parser: the input as a pasted callback (URL or query string), and as the
/// tail of a forged callback that carries a known code with the wrong state.
///
/// Checked: a code is returned only for the state the input carries, never empty; no error
/// repeats the code.
pub fn callback_url(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let state = OAuthState::new(EXPECTED_STATE);
    if let Ok(code) = parse_callback(&text, &state) {
        assert!(!code.expose_secret().is_empty(), "an empty code was accepted");
        let other = OAuthState::new("another-state-value");
        assert!(parse_callback(&text, &other).is_err(), "a code was accepted for two states");
    }
    let forged = format!("http://localhost:1455/auth/callback?code={CANARY_CODE}&state=wrong{text}");
    match parse_callback(&forged, &state) {
        Ok(code) => assert_ne!(code.expose_secret(), CANARY_CODE, "the forged code was accepted"),
        Err(error) => {
            assert!(!error.to_string().contains(CANARY_CODE), "an error repeats the code");
            assert!(!format!("{error:?}").contains(CANARY_CODE), "an error's Debug repeats the code");
        }
    }
}

/// The error-body parser: bytes 0–1 give the status (100–599), byte 2 the length of a header
/// block whose lines are `<index byte><value>` (the index picks one of the headers the error
/// model reads); the rest is the body.
///
/// Checked: the error has a message a person can read, keeps at most 4 KiB of the raw body,
/// and prints without panicking; the rate-limit headers parse without panicking.
pub fn error_body(data: &[u8]) {
    let [low, high, header_len, rest @ ..] = data else { return };
    let status = 100 + u16::from_le_bytes([*low, *high]) % 500;
    let split = usize::from(*header_len).min(rest.len());
    let (header_block, body) = rest.split_at(split);
    let mut headers = HeaderMap::new();
    for line in header_block.split(|&b| b == b'\n') {
        let [index, value @ ..] = line else { continue };
        let name = ERROR_HEADERS[usize::from(*index) % ERROR_HEADERS.len()];
        if let Ok(value) = std::str::from_utf8(value)
            && let Ok(value) = value.parse()
        {
            headers.append(name, value);
        }
    }
    let error = SdkRequestError::from_response(status, &headers, body, None);
    assert!(!error.user_message.trim().is_empty(), "an error without a message");
    assert!(error.raw_error.as_deref().is_none_or(|raw| raw.len() <= 4096), "raw_error is over 4 KiB");
    assert_eq!(error.status_code, Some(status));
    assert!(!error.to_string().is_empty());
    let _ = format!("{error:?}");
    let _ = RateLimits::from_headers(&headers);
}
