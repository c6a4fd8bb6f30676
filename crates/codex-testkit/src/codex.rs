//! The fake Codex backend: `POST {base}/responses` (SSE) and `GET {base}/models`.

use std::collections::VecDeque;
use std::io;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{Value, json};

use crate::registry::{TokenRegistry, now};
use crate::script::{Chunking, Faults, LineEnding, Reply, Script};
use crate::server::{ChannelBody, FakeBody, Handler, RunningServer, full, read_body, serve};
use crate::tls::TestCa;

/// The path prefix of the backend, as on chatgpt.com.
pub const BASE_PATH: &str = "/backend-api/codex";

/// Parameters the real backend answers with `Unsupported parameter: <name>` (codex-protocol.md §7.4).
pub const REJECTED_PARAMETERS: &[&str] = &[
    "temperature",
    "top_p",
    "max_output_tokens",
    "max_completion_tokens",
    "presence_penalty",
    "frequency_penalty",
    "seed",
    "metadata",
    "top_logprobs",
    "truncation",
    "safety_identifier",
    "prompt_cache_retention",
    "previous_response_id",
];

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// `HTTP/1.1` or `HTTP/2.0`.
    pub version: String,
    /// The path, without the query.
    pub path: String,
    /// The query string, if any.
    pub query: Option<String>,
    /// Every header, names lower-case, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The body, parsed as JSON when it is JSON.
    pub json: Option<Value>,
    /// The body as received.
    pub body: Bytes,
}

impl RecordedRequest {
    /// The first value of a header (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }
}

/// The rate-limit snapshot sent as `x-codex-*` headers on every reply.
#[derive(Debug, Clone, PartialEq)]
pub struct RateLimitHeaders {
    /// Percent of the primary (5 h) window used.
    pub primary_used_percent: f64,
    /// The primary window, minutes.
    pub primary_window_minutes: u64,
    /// Seconds until the primary window resets.
    pub primary_reset_after_seconds: u64,
    /// Percent of the secondary (weekly) window used.
    pub secondary_used_percent: f64,
    /// The secondary window, minutes.
    pub secondary_window_minutes: u64,
    /// Seconds until the secondary window resets.
    pub secondary_reset_after_seconds: u64,
}

impl Default for RateLimitHeaders {
    fn default() -> Self {
        RateLimitHeaders {
            primary_used_percent: 12.5,
            primary_window_minutes: 300,
            primary_reset_after_seconds: 3_600,
            secondary_used_percent: 3.0,
            secondary_window_minutes: 10_080,
            secondary_reset_after_seconds: 400_000,
        }
    }
}

impl RateLimitHeaders {
    fn headers(&self) -> Vec<(String, String)> {
        let now = now();
        let mut out = Vec::new();
        for (family, used, window, after) in [
            (
                "primary",
                self.primary_used_percent,
                self.primary_window_minutes,
                self.primary_reset_after_seconds,
            ),
            (
                "secondary",
                self.secondary_used_percent,
                self.secondary_window_minutes,
                self.secondary_reset_after_seconds,
            ),
        ] {
            out.push((format!("x-codex-{family}-used-percent"), used.to_string()));
            out.push((format!("x-codex-{family}-window-minutes"), window.to_string()));
            out.push((format!("x-codex-{family}-reset-at"), (now + after).to_string()));
            out.push((format!("x-codex-{family}-reset-after-seconds"), after.to_string()));
        }
        out.push(("x-codex-credits-has-credits".to_owned(), "False".to_owned()));
        out.push(("x-codex-credits-unlimited".to_owned(), "False".to_owned()));
        out.push(("x-codex-plan-type".to_owned(), "plus".to_owned()));
        out
    }
}

#[derive(Debug, Default)]
struct CodexState {
    replies: VecDeque<Reply>,
    requests: Vec<RecordedRequest>,
    rate_limits: RateLimitHeaders,
    models_etag: String,
    require_auth: bool,
    request_counter: u64,
    /// Share of accepted `POST /responses` answered with an injected 500 (0.0 to 1.0).
    error_rate: f64,
    /// The state of the generator deciding which requests get an injected 500.
    error_rng: u64,
    /// How many 500s were injected.
    injected_errors: u64,
    /// Whether requests are kept for [`FakeCodex::requests`].
    skip_recording: bool,
    default_reply: Option<DefaultReply>,
}

/// The factory of the reply sent when nothing is queued.
#[derive(Clone)]
struct DefaultReply(ReplyFactory);

impl std::fmt::Debug for DefaultReply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DefaultReply(..)")
    }
}

/// Builds the reply of a `POST /responses` when no reply is queued (see
/// [`FakeCodexBuilder::default_reply`]).
type ReplyFactory = Arc<dyn Fn() -> Reply + Send + Sync>;

/// The fake Codex backend. Starts in one line, shuts down on drop.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use codex_testkit::{FakeCodex, Reply, Script};
/// let fake = FakeCodex::start().await;
/// fake.enqueue(Reply::stream(Script::new("resp_1").text("Hi!").completed()));
/// assert!(fake.base_url().ends_with("/backend-api/codex"));
/// let token = fake.registry().mint_access_token(); // a bearer the fake accepts
/// # let _ = token; }
/// ```
pub struct FakeCodex {
    server: RunningServer,
    state: Arc<Mutex<CodexState>>,
    registry: TokenRegistry,
    ca: Option<TestCa>,
}

impl std::fmt::Debug for FakeCodex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeCodex").field("base_url", &self.base_url()).finish_non_exhaustive()
    }
}

/// How to start a [`FakeCodex`].
#[derive(Debug, Default)]
pub struct FakeCodexBuilder {
    registry: Option<TokenRegistry>,
    tls: Option<TestCa>,
    require_auth: Option<bool>,
    error_rate: Option<f64>,
    error_seed: Option<u64>,
    skip_recording: bool,
    default_reply: Option<DefaultReply>,
}

impl FakeCodexBuilder {
    /// Share the token registry of a fake OAuth server (so its tokens are accepted).
    pub fn registry(mut self, registry: TokenRegistry) -> Self {
        self.registry = Some(registry);
        self
    }

    /// Serve HTTPS with this CA's server certificate.
    pub fn tls(mut self, ca: TestCa) -> Self {
        self.tls = Some(ca);
        self
    }

    /// Whether a valid bearer token is required (default `true`).
    pub fn require_auth(mut self, require: bool) -> Self {
        self.require_auth = Some(require);
        self
    }

    /// The reply sent when nothing is queued, built afresh for each request (default: a
    /// short text completion).
    pub fn default_reply(mut self, factory: impl Fn() -> Reply + Send + Sync + 'static) -> Self {
        self.default_reply = Some(DefaultReply(Arc::new(factory)));
        self
    }

    /// Answers this share (0.0 to 1.0, clamped) of the `POST /responses` requests that pass
    /// the authentication and body checks with a 500 `server_error` instead of their reply
    /// (queued replies wait for the next request). Which requests fail is drawn from a seeded
    /// generator ([`FakeCodexBuilder::error_seed`]); default 0.
    pub fn error_rate(mut self, rate: f64) -> Self {
        self.error_rate = Some(rate);
        self
    }

    /// The seed of the generator behind [`FakeCodexBuilder::error_rate`] (default a fixed
    /// seed, so a sequential run fails the same requests every time).
    pub fn error_seed(mut self, seed: u64) -> Self {
        self.error_seed = Some(seed);
        self
    }

    /// Whether every request is kept for [`FakeCodex::requests`] (default `true`). Long load
    /// runs turn it off so memory stays flat.
    pub fn record_requests(mut self, record: bool) -> Self {
        self.skip_recording = !record;
        self
    }

    /// Starts the server on 127.0.0.1 with an ephemeral port.
    pub async fn start(self) -> FakeCodex {
        let registry = self.registry.unwrap_or_default();
        let state = Arc::new(Mutex::new(CodexState {
            require_auth: self.require_auth.unwrap_or(true),
            models_etag: "\"models-etag-1\"".to_owned(),
            error_rate: clamp_rate(self.error_rate.unwrap_or(0.0)),
            error_rng: self.error_seed.unwrap_or(DEFAULT_ERROR_SEED),
            skip_recording: self.skip_recording,
            default_reply: self.default_reply,
            ..CodexState::default()
        }));
        let handler: Handler = {
            let state = state.clone();
            let registry = registry.clone();
            Arc::new(move |request| {
                let state = state.clone();
                let registry = registry.clone();
                Box::pin(async move { handle(request, state, registry).await })
            })
        };
        let server = serve(handler, self.tls.as_ref().map(TestCa::acceptor)).await.expect("127.0.0.1 binds");
        FakeCodex { server, state, registry, ca: self.tls }
    }
}

impl FakeCodex {
    /// Starts a plain-HTTP fake with its own token registry.
    pub async fn start() -> FakeCodex {
        FakeCodex::builder().start().await
    }

    /// A builder for TLS, a shared registry, or no authentication.
    pub fn builder() -> FakeCodexBuilder {
        FakeCodexBuilder::default()
    }

    /// The base URL, like `https://chatgpt.com/backend-api/codex`.
    pub fn base_url(&self) -> String {
        format!("{}{BASE_PATH}", self.server.origin())
    }

    /// The CA to trust when the fake serves HTTPS.
    pub fn ca(&self) -> Option<&TestCa> {
        self.ca.as_ref()
    }

    /// The token registry the fake checks bearers against.
    pub fn registry(&self) -> &TokenRegistry {
        &self.registry
    }

    /// Queues a reply for the next `POST /responses` (first in, first out). With the queue
    /// empty the fake answers a short text completion.
    pub fn enqueue(&self, reply: Reply) {
        self.lock().replies.push_back(reply);
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    /// How many TCP connections the server accepted.
    pub fn accepted_connections(&self) -> usize {
        self.server.accepted_connections()
    }

    /// How many connections are open now (a leak test waits for this to drop).
    pub fn open_connections(&self) -> usize {
        self.server.open_connections()
    }

    /// Changes the share of requests answered with an injected 500 from now on (see
    /// [`FakeCodexBuilder::error_rate`]).
    pub fn set_error_rate(&self, rate: f64) {
        self.lock().error_rate = clamp_rate(rate);
    }

    /// How many 500s [`FakeCodexBuilder::error_rate`] injected so far.
    pub fn injected_errors(&self) -> u64 {
        self.lock().injected_errors
    }

    /// Sets the rate-limit headers sent from now on.
    pub fn set_rate_limits(&self, headers: RateLimitHeaders) {
        self.lock().rate_limits = headers;
    }

    /// Sets the models catalogue's ETag (as if the catalogue changed).
    pub fn set_models_etag(&self, etag: &str) {
        self.lock().models_etag = etag.to_owned();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CodexState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn detail(status: u16, text: &str) -> Reply {
    Reply::json(status, json!({ "detail": text }))
}

async fn handle(
    request: Request<Incoming>,
    state: Arc<Mutex<CodexState>>,
    registry: TokenRegistry,
) -> Response<FakeBody> {
    let (parts, body) = request.into_parts();
    let body = read_body(body).await;
    let recorded = RecordedRequest {
        method: parts.method.to_string(),
        version: format!("{:?}", parts.version),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect(),
        json: serde_json::from_slice(&body).ok(),
        body: body.clone(),
    };
    let (rate_limits, require_auth, request_id) = {
        let mut state = state.lock().unwrap_or_else(|p| p.into_inner());
        if !state.skip_recording {
            state.requests.push(recorded.clone());
        }
        state.request_counter += 1;
        (state.rate_limits.clone(), state.require_auth, format!("req_fake_{:06}", state.request_counter))
    };
    let mut extra = rate_limits.headers();
    extra.push(("x-request-id".to_owned(), request_id));

    let path = recorded.path.strip_prefix(BASE_PATH).unwrap_or("");
    let reply = match (&parts.method, path) {
        (&Method::POST, "/responses") => match check_auth(&recorded, &registry, require_auth) {
            Err(reply) => reply,
            Ok(()) => match check_body(&recorded).and_then(|()| inject_error(&state)) {
                Err(reply) => reply,
                Ok(()) => {
                    let (queued, factory) = {
                        let mut state = state.lock().unwrap_or_else(|p| p.into_inner());
                        (state.replies.pop_front(), state.default_reply.clone())
                    };
                    queued.or_else(|| factory.map(|build| (build.0)())).unwrap_or_else(|| {
                        Reply::stream(
                            Script::new("resp_default")
                                .text("Hello from the fake Codex backend.")
                                .completed(),
                        )
                    })
                }
            },
        },
        (&Method::GET, "/models") => match check_auth(&recorded, &registry, require_auth) {
            Err(reply) => reply,
            Ok(()) => return models(&recorded, &state, extra),
        },
        (_, "/responses" | "/models") => detail(405, "Method Not Allowed"),
        _ => detail(404, "Not Found"),
    };
    if let Reply::Stream { faults, .. } = &reply
        && let Some(delay) = faults.head_delay
    {
        tokio::time::sleep(delay).await;
    }
    respond(reply, extra)
}

fn check_auth(request: &RecordedRequest, registry: &TokenRegistry, require: bool) -> Result<(), Reply> {
    if !require {
        return Ok(());
    }
    let unauthorized = |code: &str, message: &str| {
        Reply::json(
            401,
            json!({"error": {"message": message, "type": "invalid_request_error", "param": null, "code": code}}),
        )
    };
    let Some(token) = request.header("authorization").and_then(|v| v.strip_prefix("Bearer ")) else {
        return Err(unauthorized("missing_authorization", "Missing bearer authentication in header"));
    };
    let account = match registry.check_access(token) {
        Ok(account) => account,
        Err("expired") => {
            return Err(unauthorized(
                "token_expired",
                "Provided authentication token is expired. Please try signing in again.",
            ));
        }
        Err(_) => return Err(unauthorized("invalid_token", "Could not validate your credentials.")),
    };
    match request.header("chatgpt-account-id") {
        Some(sent) if sent != account => {
            Err(detail(403, "The ChatGPT-Account-ID header does not match the signed-in account"))
        }
        _ => Ok(()),
    }
}

/// The seed of the injected-error generator when none is given.
const DEFAULT_ERROR_SEED: u64 = 0x5EED_F5E2_FE40_0001;

fn clamp_rate(rate: f64) -> f64 {
    if rate.is_nan() { 0.0 } else { rate.clamp(0.0, 1.0) }
}

/// `Err(500)` for the share of requests the error rate asks for, drawn from the seeded
/// generator.
fn inject_error(state: &Mutex<CodexState>) -> Result<(), Reply> {
    let mut state = state.lock().unwrap_or_else(|p| p.into_inner());
    if state.error_rate <= 0.0 {
        return Ok(());
    }
    let mut rng = SplitMix(state.error_rng);
    let draw = rng.next();
    state.error_rng = rng.0;
    // The top 53 bits as a uniform float in [0, 1).
    let unit = (draw >> 11) as f64 / (1u64 << 53) as f64;
    if unit < state.error_rate {
        state.injected_errors += 1;
        return Err(Reply::server_error());
    }
    Ok(())
}

fn check_body(request: &RecordedRequest) -> Result<(), Reply> {
    let Some(Value::Object(body)) = &request.json else {
        return Err(detail(400, "Invalid JSON body"));
    };
    if let Some(rejected) = REJECTED_PARAMETERS.iter().find(|p| body.contains_key(**p)) {
        return Err(detail(400, &format!("Unsupported parameter: {rejected}")));
    }
    if body.get("store") != Some(&Value::Bool(false)) {
        return Err(detail(400, "Store must be set to false"));
    }
    if body.get("stream") != Some(&Value::Bool(true)) {
        return Err(detail(400, "Stream must be set to true"));
    }
    if !body.get("instructions").is_some_and(Value::is_string) {
        return Err(detail(400, "Instructions are required"));
    }
    match body.get("input") {
        Some(Value::Array(_)) => {}
        Some(Value::String(_)) => return Err(detail(400, "Input must be a list")),
        _ => return Err(detail(400, "Input is required and must be a list")),
    }
    if body.get("model").and_then(Value::as_str).is_none_or(str::is_empty) {
        return Err(detail(400, "Model is required"));
    }
    Ok(())
}

fn with_headers(mut response: Response<FakeBody>, headers: Vec<(String, String)>) -> Response<FakeBody> {
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            response.headers_mut().append(name, value);
        }
    }
    response
}

fn respond(reply: Reply, mut extra: Vec<(String, String)>) -> Response<FakeBody> {
    match reply {
        Reply::Http { status, headers, body } => {
            extra.extend(headers);
            let mut response = Response::new(full(body));
            *response.status_mut() =
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            with_headers(response, extra)
        }
        Reply::Stream { events, faults } => {
            if !faults.omit_content_type {
                extra.push(("content-type".to_owned(), "text/event-stream".to_owned()));
            }
            extra.push(("cache-control".to_owned(), "no-cache".to_owned()));
            let (tx, body) = ChannelBody::channel(16);
            tokio::spawn(produce(events, *faults, tx));
            with_headers(Response::new(body), extra)
        }
    }
}

/// Encodes one event as SSE bytes with the faults' framing.
pub(crate) fn encode_event(event: &Value, faults: &Faults) -> Vec<u8> {
    let eol = match faults.line_ending {
        LineEnding::Lf => "\n",
        LineEnding::CrLf => "\r\n",
        LineEnding::Cr => "\r",
    };
    let mut text = String::new();
    if faults.keepalive_comments {
        text.push_str(": keepalive");
        text.push_str(eol);
        text.push_str(eol);
    }
    if let Some(kind) = event.get("type").and_then(Value::as_str) {
        text.push_str("event: ");
        text.push_str(kind);
        text.push_str(eol);
    }
    let data = if faults.multiline_data {
        serde_json::to_string_pretty(event).expect("JSON values serialize")
    } else {
        event.to_string()
    };
    for line in data.split('\n') {
        text.push_str("data: ");
        text.push_str(line);
        text.push_str(eol);
    }
    text.push_str(eol);
    text.into_bytes()
}

/// A small reproducible generator for chunk sizes (SplitMix64).
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

async fn produce(
    events: Vec<Value>,
    faults: Faults,
    tx: tokio::sync::mpsc::Sender<Result<Bytes, io::Error>>,
) {
    let mut rng = match faults.chunking {
        Chunking::Random { seed, .. } => SplitMix(seed),
        _ => SplitMix(0),
    };
    for (index, event) in events.iter().enumerate() {
        if faults.drop_after == Some(index) {
            drop_connection(&tx).await;
            return;
        }
        if let Some(pace) = faults.pace {
            tokio::time::sleep(pace).await;
        }
        if let Some((after, duration)) = faults.stall
            && after == index
        {
            tokio::time::sleep(duration).await;
        }
        let terminal = event
            .get("type")
            .and_then(Value::as_str)
            .is_some_and(|t| matches!(t, "response.completed" | "response.failed" | "response.incomplete"));
        if faults.close_before_completed && terminal {
            return;
        }
        let bytes = encode_event(event, &faults);
        let mut chunks: Vec<Bytes> = Vec::new();
        match faults.chunking {
            Chunking::PerEvent => chunks.push(Bytes::from(bytes)),
            Chunking::ByteByByte => chunks.extend(bytes.iter().map(|b| Bytes::copy_from_slice(&[*b]))),
            Chunking::Random { max, .. } => {
                let mut rest = &bytes[..];
                while !rest.is_empty() {
                    let size = 1 + (rng.next() as usize % max.max(1)).min(rest.len() - 1);
                    let (head, tail) = rest.split_at(size);
                    chunks.push(Bytes::copy_from_slice(head));
                    rest = tail;
                }
            }
        }
        let many = chunks.len() > 1;
        for chunk in chunks {
            if tx.send(Ok(chunk)).await.is_err() {
                return; // the client went away
            }
            if many {
                tokio::task::yield_now().await;
            }
        }
    }
    if faults.drop_after == Some(events.len()) {
        drop_connection(&tx).await;
    }
    if faults.done_marker {
        let eol = match faults.line_ending {
            LineEnding::Lf => "\n",
            LineEnding::CrLf => "\r\n",
            LineEnding::Cr => "\r",
        };
        if tx.send(Ok(Bytes::from(format!("data: [DONE]{eol}{eol}")))).await.is_err() {
            return;
        }
    }
    if let Some(delay) = faults.end_delay {
        tokio::time::sleep(delay).await;
    }
}

/// Breaks the connection after the events sent so far reached the peer. hyper buffers writes
/// and drops unflushed bytes when a body fails, so the fake first lets the server go idle
/// (which flushes), then fails the body.
async fn drop_connection(tx: &tokio::sync::mpsc::Sender<Result<Bytes, io::Error>>) {
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let _ = tx.send(Err(io::Error::new(io::ErrorKind::ConnectionAborted, "fault: connection dropped"))).await;
}

/// The models catalogue (codex-protocol.md §10), answered with an ETag.
fn models(
    request: &RecordedRequest,
    state: &Arc<Mutex<CodexState>>,
    extra: Vec<(String, String)>,
) -> Response<FakeBody> {
    let has_version = request.query.as_deref().is_some_and(|q| {
        url::form_urlencoded::parse(q.as_bytes()).any(|(k, v)| k == "client_version" && !v.is_empty())
    });
    if !has_version {
        return respond(detail(400, "client_version is required"), extra);
    }
    let etag = state.lock().unwrap_or_else(|p| p.into_inner()).models_etag.clone();
    if request.header("if-none-match") == Some(etag.as_str()) {
        let mut response = Response::new(full(Bytes::new()));
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        return with_headers(response, vec![("etag".to_owned(), etag)]);
    }
    let mut headers = extra;
    headers.push(("etag".to_owned(), etag));
    headers.push(("content-type".to_owned(), "application/json".to_owned()));
    let mut response = Response::new(full(models_catalogue().to_string()));
    *response.status_mut() = StatusCode::OK;
    with_headers(response, headers)
}

/// The catalogue the fake serves.
pub fn models_catalogue() -> Value {
    let efforts = |list: &[&str]| -> Vec<Value> {
        list.iter().map(|e| json!({"effort": e, "description": format!("{e} reasoning")})).collect()
    };
    let model = |slug: &str, priority: u64, visibility: &str, levels: &[&str], verbosity: bool| {
        json!({
            "slug": slug, "display_name": slug, "description": format!("{slug} (fake catalogue)"),
            "default_reasoning_level": "medium", "supported_reasoning_levels": efforts(levels),
            "shell_type": "shell_command", "visibility": visibility, "minimal_client_version": "0.1.0",
            "supported_in_api": true, "priority": priority, "upgrade": null,
            "base_instructions": "You are Codex, a coding agent based on GPT-5.",
            "supports_reasoning_summaries": true, "support_verbosity": verbosity,
            "default_verbosity": if verbosity { json!("low") } else { Value::Null },
            "apply_patch_tool_type": "freeform", "truncation_policy": {"mode": "tokens", "limit": 10000},
            "supports_parallel_tool_calls": true, "context_window": 272000,
            "experimental_supported_tools": [], "input_modalities": ["text", "image"],
            "reasoning_summary_format": "experimental", "available_in_plans": ["plus", "pro", "team", "business", "enterprise", "edu"]
        })
    };
    json!({"models": [
        model("gpt-5.2-codex", 0, "list", &["low", "medium", "high", "xhigh"], false),
        model("gpt-5.1-codex-max", 2, "list", &["low", "medium", "high", "xhigh"], false),
        model("gpt-5.1-codex", 3, "hide", &["low", "medium", "high"], false),
        model("gpt-5.2", 4, "list", &["low", "medium", "high", "xhigh"], true),
        model("gpt-5-codex-mini", 11, "hide", &["medium", "high"], false),
    ]})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multiline_data_splits_json_across_data_lines() {
        let faults = Faults { multiline_data: true, line_ending: LineEnding::CrLf, ..Faults::default() };
        let text = String::from_utf8(encode_event(&json!({"type": "keepalive", "a": 1}), &faults)).unwrap();
        assert!(text.starts_with("event: keepalive\r\ndata: {\r\ndata:   \"type\""), "{text:?}");
        assert!(text.ends_with("data: }\r\n\r\n"));
    }
}
