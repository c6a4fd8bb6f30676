//! The fault matrix: every fault the fakes can inject, through both clients (async and
//! blocking) and both calls (`create` and `stream`), each cell bounded in time, against the
//! outcome a user should get: a recovered answer, or one typed error with the right retryable
//! flag, without a panic, a hang or a lost sign-in.
//!
//! The observed matrix is rendered as a Markdown table and compared with the one in
//! `docs/reliability.md` (between `<!-- fault-matrix:begin -->` and `<!-- fault-matrix:end -->`),
//! so the published matrix is always the one this test observed. `UPDATE_RELIABILITY=1`
//! rewrites the table instead of comparing it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use codex_auth::{FileTokenStore, OAuthClient, RefreshToken, TokenSet, TokenStore};
use codex_testkit::{Chunking, FakeCodex, FakeOAuth, Faults, LineEnding, Reply, Script};
use futures_util::StreamExt;
use oauth_codex::{
    AsyncOAuthCodexClient, ClientBuilder, Error, ErrorKind, FinishReason, LoginMode, OAuthCodexClient,
    OAuthConfig, ResponseCreateParams, SdkRequestError, StreamEvent, StreamEventType,
};
use serde_json::{Value, json};

/// The model every cell asks for.
const MODEL: &str = "gpt-5.2-codex";
/// The answer every good reply carries.
const ANSWER: &str = "The matrix holds.";
/// The upper bound of one cell: past it the cell is a hang (a failure), never a pass.
const CELL_LIMIT: Duration = Duration::from_secs(30);
/// The stream idle timeout of every cell but the stall one: long enough never to fire by accident.
const RELAXED_IDLE: Duration = Duration::from_secs(20);
/// The stream idle timeout of the stall cell.
const SHORT_IDLE: Duration = Duration::from_millis(300);
/// How long the fake stalls in the stall cell.
const STALL: Duration = Duration::from_secs(5);
/// The request timeout of every cell but the slow-head one.
const RELAXED_REQUEST: Duration = Duration::from_secs(20);
/// The request timeout of the slow-head cell.
const SHORT_REQUEST: Duration = Duration::from_millis(300);
/// The SSE decoder's default limit on one event.
const EVENT_LIMIT: usize = codex_transport::SseDecoder::DEFAULT_MAX_EVENT_SIZE;
const MIB: usize = 1024 * 1024;

const BEGIN: &str = "<!-- fault-matrix:begin -->";
const END: &str = "<!-- fault-matrix:end -->";

/// Every panic in the process (fakes, runtimes, clients), caught or not.
static PANICS: AtomicUsize = AtomicUsize::new(0);

/// The client face.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Face {
    Async,
    Blocking,
}

/// The call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Call {
    Create,
    Stream,
}

const CELLS: [(Face, Call); 4] = [
    (Face::Async, Call::Create),
    (Face::Async, Call::Stream),
    (Face::Blocking, Call::Create),
    (Face::Blocking, Call::Stream),
];

/// The saved sign-in when the cell starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Login {
    /// Fresh tokens, valid for an hour.
    Fresh,
    /// The access token looks valid to the client but the server expired it (so: a 401).
    ExpiredOnServer,
    /// The access token's `exp` has passed (so: a refresh before sending).
    ExpiredLocally,
    /// Expired on the server, and the saved refresh token was already used by another program.
    SpentRefreshToken,
}

/// A fault of the OAuth server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OAuthFault {
    None,
    /// The discovery document answers 404 (and the client is configured with its URL).
    DiscoveryDown,
    /// The token endpoint refuses connections.
    TokenEndpointDown,
}

/// What the saved sign-in looks like after the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Saved {
    /// The tokens the cell started with.
    Kept,
    /// New tokens from a refresh, saved.
    Rotated,
    /// Nothing saved any more.
    Lost,
    /// The store could not be read.
    Unreadable,
}

impl Saved {
    fn text(self) -> &'static str {
        match self {
            Saved::Kept => "login kept",
            Saved::Rotated => "login rotated",
            Saved::Lost => "LOGIN LOST",
            Saved::Unreadable => "LOGIN UNREADABLE",
        }
    }
}

/// The outcome a user should get.
#[derive(Debug, Clone)]
enum Outcome {
    /// The answer, whole.
    Recovered,
    /// One typed error.
    Failed {
        /// `ErrorKind::name()` of the request error.
        kind: &'static str,
        retryable: bool,
        /// The service's code and when to come back, as [`error_detail`] renders them.
        detail: &'static str,
        /// Words the error's message must contain (empty: no check).
        says: &'static str,
    },
}

/// One row of the matrix.
struct Case {
    fault: &'static str,
    how: &'static str,
    login: Login,
    oauth: OAuthFault,
    idle: Duration,
    request_timeout: Duration,
    replies: Vec<Reply>,
    answer: String,
    outcome: Outcome,
    /// `POST /responses` requests the fake receives.
    requests: usize,
    /// Refresh requests the fake OAuth server receives.
    refreshes: u64,
    saved: Saved,
}

impl Case {
    fn new(fault: &'static str, how: &'static str) -> Self {
        Case {
            fault,
            how,
            login: Login::Fresh,
            oauth: OAuthFault::None,
            idle: RELAXED_IDLE,
            request_timeout: RELAXED_REQUEST,
            replies: Vec::new(),
            answer: ANSWER.to_owned(),
            outcome: Outcome::Recovered,
            requests: 1,
            refreshes: 0,
            saved: Saved::Kept,
        }
    }

    fn replies(mut self, replies: Vec<Reply>) -> Self {
        self.replies = replies;
        self
    }

    fn login(mut self, login: Login) -> Self {
        self.login = login;
        self
    }

    fn oauth(mut self, fault: OAuthFault) -> Self {
        self.oauth = fault;
        self
    }

    fn idle(mut self, idle: Duration) -> Self {
        self.idle = idle;
        self
    }

    fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    fn answer(mut self, answer: String) -> Self {
        self.answer = answer;
        self
    }

    fn recovered(mut self, requests: usize, refreshes: u64, saved: Saved) -> Self {
        self.outcome = Outcome::Recovered;
        (self.requests, self.refreshes, self.saved) = (requests, refreshes, saved);
        self
    }

    fn fails(
        mut self,
        kind: &'static str,
        retryable: bool,
        requests: usize,
        refreshes: u64,
        saved: Saved,
    ) -> Self {
        self.outcome = Outcome::Failed { kind, retryable, detail: "", says: "" };
        (self.requests, self.refreshes, self.saved) = (requests, refreshes, saved);
        self
    }

    fn detail(mut self, text: &'static str) -> Self {
        if let Outcome::Failed { detail, .. } = &mut self.outcome {
            *detail = text;
        }
        self
    }

    fn says(mut self, text: &'static str) -> Self {
        if let Outcome::Failed { says, .. } = &mut self.outcome {
            *says = text;
        }
        self
    }

    fn expected(&self) -> String {
        let outcome = match &self.outcome {
            Outcome::Recovered => "recovered".to_owned(),
            Outcome::Failed { kind, retryable, detail, says } => failure(kind, *retryable, detail, says),
        };
        cell(&outcome, self.requests, self.refreshes, self.saved)
    }
}

fn good() -> Reply {
    Reply::stream(Script::new("resp_matrix").text(ANSWER).completed())
}

fn good_with(faults: Faults) -> Reply {
    Reply::stream_with(Script::new("resp_matrix").text(ANSWER).completed(), faults)
}

/// One SSE event as the backend frames it.
fn sse(event: &Value) -> String {
    let kind = event["type"].as_str().unwrap_or_default();
    format!("event: {kind}\ndata: {event}\n\n")
}

/// A good stream with one event whose `data` is cut-off JSON, sent as a raw body.
fn with_malformed_event() -> Reply {
    let events = Script::new("resp_matrix").text(ANSWER).completed();
    let mut body = String::new();
    for (index, event) in events.iter().enumerate() {
        if index == 3 {
            body.push_str("event: response.output_text.delta\ndata: {\"type\": \"response.output_text.delta\", \"delta\": \"lo\n\n");
        }
        body.push_str(&sse(event));
    }
    Reply::Http {
        status: 200,
        headers: vec![("content-type".to_owned(), "text/event-stream".to_owned())],
        body,
    }
}

/// A good stream with one text delta of `bytes` bytes first, framed by hand: serialising it
/// through JSON in the fake would cost more than the whole rest of the matrix.
fn oversized_event(bytes: usize) -> Reply {
    let events = Script::new("resp_matrix").text(ANSWER).completed();
    let mut body = String::with_capacity(bytes + 4096);
    for (index, event) in events.iter().enumerate() {
        if index == 2 {
            body.push_str(
                "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",",
            );
            body.push_str(
                "\"item_id\":\"msg_resp_matrix_0\",\"output_index\":0,\"content_index\":0,\"delta\":\"",
            );
            body.extend(std::iter::repeat_n('x', bytes));
            body.push_str("\"}\n\n");
        }
        body.push_str(&sse(event));
    }
    Reply::Http {
        status: 200,
        headers: vec![("content-type".to_owned(), "text/event-stream".to_owned())],
        body,
    }
}

fn unauthorized() -> Reply {
    Reply::json(
        401,
        json!({"error": {"message": "Could not validate your credentials.", "type": "invalid_request_error",
            "param": null, "code": "invalid_token"}}),
    )
}

/// The rows: every fault codex-testkit can inject, with the outcome a user should get.
fn cases() -> Vec<Case> {
    let large = "x".repeat(MIB);
    vec![
        Case::new("connection dropped after N events", "`Faults::drop_after = 5` (mid-answer)")
            .replies(vec![good_with(Faults { drop_after: Some(5), ..Faults::default() })])
            .fails("stream_closed_early", true, 1, 0, Saved::Kept)
            .says("ended before the response was complete"),
        Case::new("clean close before `response.completed`", "`Faults::close_before_completed`")
            .replies(vec![good_with(Faults { close_before_completed: true, ..Faults::default() })])
            .fails("stream_closed_early", true, 1, 0, Saved::Kept)
            .says("ended before the response was complete"),
        Case::new("stall past the idle timeout", "`Faults::stall = (5, 5 s)`, client idle timeout 300 ms")
            .replies(vec![good_with(Faults { stall: Some((5, STALL)), ..Faults::default() })])
            .idle(SHORT_IDLE)
            .fails("timeout", true, 1, 0, Saved::Kept)
            .says("waiting for the next stream event"),
        Case::new(
            "response head later than the request timeout",
            "`Faults::head_delay = 5 s` on every attempt, client request timeout 300 ms",
        )
        .replies(vec![good_with(Faults { head_delay: Some(STALL), ..Faults::default() }); 3])
        .request_timeout(SHORT_REQUEST)
        .idle(SHORT_IDLE)
        .fails("timeout", true, 3, 0, Saved::Kept)
        .says("the request timed out"),
        Case::new("byte-by-byte delivery", "`Chunking::ByteByByte`")
            .replies(vec![good_with(Faults { chunking: Chunking::ByteByByte, ..Faults::default() })])
            .recovered(1, 0, Saved::Kept),
        Case::new("CRLF line endings", "`LineEnding::CrLf`")
            .replies(vec![good_with(Faults { line_ending: LineEnding::CrLf, ..Faults::default() })])
            .recovered(1, 0, Saved::Kept),
        Case::new("CR line endings", "`LineEnding::Cr`")
            .replies(vec![good_with(Faults { line_ending: LineEnding::Cr, ..Faults::default() })])
            .recovered(1, 0, Saved::Kept),
        Case::new("keepalive comments", "`: keepalive` before every event")
            .replies(vec![good_with(Faults { keepalive_comments: true, ..Faults::default() })])
            .recovered(1, 0, Saved::Kept),
        Case::new("missing `Content-Type`", "`Faults::omit_content_type`")
            .replies(vec![good_with(Faults { omit_content_type: true, ..Faults::default() })])
            .recovered(1, 0, Saved::Kept),
        Case::new("large event under the limit", "one 1 MiB text delta (and its `.done` copies)")
            .replies(vec![Reply::stream(Script::new("resp_matrix").text(&large).completed())])
            .answer(large)
            .recovered(1, 0, Saved::Kept),
        Case::new("oversized event", "one text delta 1 MiB over the 16 MiB event limit")
            .replies(vec![oversized_event(EVENT_LIMIT + MIB)])
            .fails("decode", false, 1, 0, Saved::Kept)
            .says("exceeds the 16 MiB limit"),
        Case::new("500 once, then a good reply", "`Reply::server_error()`, then the answer")
            .replies(vec![Reply::server_error(), good()])
            .recovered(2, 0, Saved::Kept),
        Case::new("500 on every attempt", "`Reply::server_error()` × 3 (2 retries)")
            .replies(vec![Reply::server_error(), Reply::server_error(), Reply::server_error()])
            .fails("server", true, 3, 0, Saved::Kept)
            .detail("code server_error")
            .says("the server failed"),
        Case::new("503 overloaded once, then a good reply", "`Reply::overloaded()`, then the answer")
            .replies(vec![Reply::overloaded(), good()])
            .recovered(2, 0, Saved::Kept),
        Case::new("503 overloaded on every attempt", "`Reply::overloaded()` × 3")
            .replies(vec![Reply::overloaded(), Reply::overloaded(), Reply::overloaded()])
            .fails("server_overloaded", true, 3, 0, Saved::Kept)
            .detail("code server_is_overloaded")
            .says("at capacity"),
        Case::new("429 with `Retry-After: 1`", "`Reply::rate_limited(1)`, then the answer")
            .replies(vec![Reply::rate_limited(1), good()])
            .recovered(2, 0, Saved::Kept),
        Case::new("429 with `Retry-After` past the client's cap", "`Reply::rate_limited(3600)` (cap 60 s)")
            .replies(vec![Reply::rate_limited(3600)])
            .fails("rate_limited", true, 1, 0, Saved::Kept)
            .detail("code rate_limit_exceeded, retry after 3600 s")
            .says("not retried"),
        Case::new("429 `usage_limit_reached`", "`Reply::usage_limit_reached(\"plus\", 3600)`")
            .replies(vec![Reply::usage_limit_reached("plus", 3600), good()])
            .fails("usage_limit", false, 1, 0, Saved::Kept)
            .detail("code usage_limit_reached, resets_at in the future, plan plus")
            .says("usage limit"),
        Case::new("401, then good", "access token expired on the server")
            .login(Login::ExpiredOnServer)
            .replies(vec![good()])
            .recovered(2, 1, Saved::Rotated),
        Case::new("401 twice", "two 401 replies queued")
            .replies(vec![unauthorized(), unauthorized(), good()])
            .fails("auth", false, 2, 1, Saved::Rotated)
            .detail("code invalid_token")
            .says("sign in again"),
        Case::new(
            "refresh answers `refresh_token_reused`",
            "a 401, and the saved refresh token already used",
        )
        .login(Login::SpentRefreshToken)
        .replies(vec![good()])
        .fails("auth", false, 1, 1, Saved::Kept)
        .detail("code refresh_token_reused")
        .says("sign in again"),
        Case::new("discovery down", "discovery URL configured, answers 404; access token past `exp`")
            .login(Login::ExpiredLocally)
            .oauth(OAuthFault::DiscoveryDown)
            .replies(vec![good()])
            .recovered(1, 1, Saved::Rotated),
        Case::new("token endpoint down", "a 401, and the token endpoint refuses connections")
            .login(Login::ExpiredOnServer)
            .oauth(OAuthFault::TokenEndpointDown)
            .replies(vec![good()])
            .fails("auth", true, 1, 0, Saved::Kept)
            .says("the saved sign-in is kept"),
        Case::new("malformed JSON in an event", "one `data:` line of cut-off JSON mid-stream")
            .replies(vec![with_malformed_event()])
            .recovered(1, 0, Saved::Kept),
        Case::new("unknown event type", "a `response.future_feature.delta` event mid-stream")
            .replies(vec![Reply::stream(
                Script::new("resp_matrix")
                    .event(json!({"type": "response.future_feature.delta", "item_id": "ff_1", "delta": "?"}))
                    .text(ANSWER)
                    .completed(),
            )])
            .recovered(1, 0, Saved::Kept),
    ]
}

/// The failure part of a cell.
fn failure(kind: &str, retryable: bool, detail: &str, says: &str) -> String {
    let mut text = format!("`{kind}`, {}", if retryable { "retryable" } else { "not retryable" });
    if !detail.is_empty() {
        text.push_str(&format!(" ({detail})"));
    }
    if !says.is_empty() {
        text.push_str(&format!(", says “{says}”"));
    }
    text
}

/// One cell of the table.
fn cell(outcome: &str, requests: usize, refreshes: u64, saved: Saved) -> String {
    format!("{outcome} · {requests} req · {refreshes} refresh · {}", saved.text())
}

/// How a cell's call ended.
#[derive(Debug)]
enum Answer {
    /// The text of a whole answer.
    Text(String),
    /// The stream ended without a good `response_completed`.
    Unfinished(String),
    /// An error.
    Failed(Error),
}

/// The facts of an error the matrix shows.
struct Failure {
    kind: String,
    retryable: bool,
    detail: String,
    /// What a user reads (`Display`).
    message: String,
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// The facts a program acts on: the service's error code, and when to come back.
fn error_detail(error: &SdkRequestError) -> String {
    let code = error.provider_code.as_ref().map(|code| format!("code {code}"));
    let when = match &error.kind {
        ErrorKind::RateLimited { retry_after: Some(after) } => {
            Some(format!("retry after {} s", after.as_secs()))
        }
        ErrorKind::RateLimited { retry_after: None } => Some("no retry delay".to_owned()),
        ErrorKind::UsageLimit { resets_at, plan_type } => Some(format!(
            "resets_at {}, plan {}",
            match resets_at {
                Some(at) if *at > now_secs() => "in the future",
                Some(_) => "in the past",
                None => "missing",
            },
            plan_type.as_deref().unwrap_or("missing")
        )),
        _ => None,
    };
    [code, when].into_iter().flatten().collect::<Vec<_>>().join(", ")
}

fn describe(error: &Error) -> Failure {
    let message = error.to_string();
    match error.as_request() {
        Some(request) => Failure {
            kind: request.kind.name().to_owned(),
            retryable: error.is_retryable(),
            detail: error_detail(request),
            message,
        },
        None => {
            let debug = format!("{error:?}");
            let variant: String = debug.chars().take_while(|c| c.is_alphanumeric()).collect();
            Failure {
                kind: format!("Error::{variant}"),
                retryable: error.is_retryable(),
                detail: String::new(),
                message,
            }
        }
    }
}

/// Collects a stream's text; a good end is a `response_completed` with `finish_reason: stop`.
fn fold_events(events: impl IntoIterator<Item = oauth_codex::Result<StreamEvent>>) -> Answer {
    let mut text = String::new();
    for event in events {
        match event {
            Err(error) => return Answer::Failed(error),
            Ok(event) => match event.kind {
                StreamEventType::TextDelta => text.push_str(event.delta.as_deref().unwrap_or_default()),
                StreamEventType::ResponseCompleted => {
                    return match event.finish_reason {
                        Some(FinishReason::Stop) => Answer::Text(text),
                        other => {
                            Answer::Unfinished(format!("response_completed with finish_reason {other:?}"))
                        }
                    };
                }
                _ => {}
            },
        }
    }
    Answer::Unfinished("the stream ended without response_completed".to_owned())
}

fn params() -> ResponseCreateParams {
    ResponseCreateParams::new(MODEL, "Say something.")
}

async fn run_async(builder: ClientBuilder, call: Call) -> Answer {
    let client = match builder.build() {
        Ok(client) => client,
        Err(error) => return Answer::Failed(error),
    };
    match call {
        Call::Create => match client.responses().create(params()).await {
            Ok(response) => Answer::Text(response.output_text),
            Err(error) => Answer::Failed(error),
        },
        Call::Stream => match client.responses().stream(params()).await {
            Err(error) => Answer::Failed(error),
            Ok(stream) => fold_events(stream.collect::<Vec<_>>().await),
        },
    }
}

fn run_blocking(builder: ClientBuilder, call: Call) -> Answer {
    let client = match OAuthCodexClient::from_builder(builder) {
        Ok(client) => client,
        Err(error) => return Answer::Failed(error),
    };
    match call {
        Call::Create => match client.responses().create(params()) {
            Ok(response) => Answer::Text(response.output_text),
            Err(error) => Answer::Failed(error),
        },
        Call::Stream => match client.responses().stream(params()) {
            Err(error) => Answer::Failed(error),
            Ok(events) => fold_events(events),
        },
    }
}

/// The fakes, the saved sign-in and the client settings of one cell.
struct World {
    oauth: FakeOAuth,
    codex: FakeCodex,
    dir: tempfile::TempDir,
    store: Arc<FileTokenStore>,
    config: OAuthConfig,
    initial: RefreshToken,
    /// The tokens saved when the cell starts.
    secrets: Vec<String>,
    refreshes_before: u64,
}

fn token_secrets(tokens: &TokenSet) -> Vec<String> {
    vec![
        tokens.access_token().expose_secret().to_owned(),
        tokens.refresh_token().expose_secret().to_owned(),
        tokens.id_token().expose_secret().to_owned(),
    ]
}

/// A loopback URL nothing listens on.
fn dead_url(path: &str) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("an ephemeral port");
    let port = listener.local_addr().expect("a bound address").port();
    drop(listener);
    format!("http://127.0.0.1:{port}{path}")
}

impl World {
    async fn start(case: &Case) -> World {
        let oauth = FakeOAuth::start().await;
        let codex = FakeCodex::builder().registry(oauth.registry().clone()).start().await;
        let registry = oauth.registry().clone();
        let setup = OAuthClient::new(OAuthConfig::for_issuer(oauth.issuer())).expect("a loopback config");
        if case.login == Login::ExpiredLocally {
            registry.set_access_token_lifetime(Duration::ZERO);
        }
        let issued = setup.refresh(&RefreshToken::new(oauth.mint_refresh_token())).await.expect("a sign-in");
        registry.set_access_token_lifetime(Duration::from_secs(3600));
        let tokens = TokenSet::from_response(issued).expect("usable tokens");
        if case.login == Login::SpentRefreshToken {
            // Another program refreshes first; this one's saved refresh token is now spent.
            setup.refresh(tokens.refresh_token()).await.expect("the other program's refresh");
        }
        if matches!(case.login, Login::ExpiredOnServer | Login::SpentRefreshToken) {
            registry.expire_access_tokens();
        }
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = Arc::new(FileTokenStore::new(dir.path().join("auth.json")));
        store.save(&tokens).expect("the sign-in is saved");
        let mut config = OAuthConfig::for_issuer(oauth.issuer());
        match case.oauth {
            OAuthFault::None => {}
            OAuthFault::DiscoveryDown => {
                oauth.set_discovery(false);
                config = config.with_discovery_url(Some(oauth.discovery_url()));
            }
            OAuthFault::TokenEndpointDown => config = config.with_token_endpoint(dead_url("/oauth/token")),
        }
        for reply in &case.replies {
            codex.enqueue(reply.clone());
        }
        World {
            secrets: token_secrets(&tokens),
            refreshes_before: registry.refreshes(),
            initial: tokens.refresh_token().clone(),
            oauth,
            codex,
            dir,
            store,
            config,
        }
    }

    fn builder(&self, case: &Case) -> ClientBuilder {
        AsyncOAuthCodexClient::builder()
            .base_url(self.codex.base_url())
            .oauth_config(self.config.clone())
            .token_store(self.store.clone())
            .login_mode(LoginMode::Never)
            .max_retries(2)
            .backoff_base(Duration::from_millis(1))
            .connect_timeout(Duration::from_secs(5))
            .request_timeout(case.request_timeout)
            .stream_idle_timeout(case.idle)
            .compat_storage_dir(self.dir.path().join("compat"))
    }

    fn requests(&self) -> usize {
        self.codex.requests().iter().filter(|r| r.method == "POST" && r.path.ends_with("/responses")).count()
    }

    /// Every token the cell's sign-in held: the first ones and those saved now.
    fn all_secrets(&self) -> Vec<String> {
        let mut secrets = self.secrets.clone();
        if let Ok(Some(tokens)) = self.store.load() {
            secrets.extend(token_secrets(&tokens));
        }
        secrets
    }

    fn saved(&self) -> Saved {
        match self.store.load() {
            Ok(Some(tokens)) if tokens.refresh_token() == &self.initial => Saved::Kept,
            Ok(Some(_)) => Saved::Rotated,
            Ok(None) => Saved::Lost,
            Err(_) => Saved::Unreadable,
        }
    }
}

/// How a cell ended, with the error's full text for the failure report.
struct Observed {
    cell: String,
    message: Option<String>,
}

fn run_cell(rt: &tokio::runtime::Runtime, case: &Case, face: Face, call: Call) -> Observed {
    let world = rt.block_on(World::start(case));
    let builder = world.builder(case);
    let ended: Result<Answer, &'static str> = match face {
        Face::Async => rt.block_on(async {
            let mut task = tokio::spawn(run_async(builder, call));
            match tokio::time::timeout(CELL_LIMIT, &mut task).await {
                Err(_) => {
                    task.abort();
                    Err("HANG")
                }
                Ok(Err(join)) if join.is_panic() => Err("PANIC"),
                Ok(Err(_)) => Err("CANCELLED"),
                Ok(Ok(answer)) => Ok(answer),
            }
        }),
        Face::Blocking => {
            // The blocking client owns its runtime thread: build and use it outside any runtime.
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let _ = tx.send(run_blocking(builder, call));
            });
            match rx.recv_timeout(CELL_LIMIT) {
                Ok(answer) => Ok(answer),
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err("HANG"),
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Err("PANIC"),
            }
        }
    };
    let requests = world.requests();
    let refreshes = world.oauth.registry().refreshes() - world.refreshes_before;
    let saved = world.saved();
    let says = match &case.outcome {
        Outcome::Failed { says, .. } => *says,
        Outcome::Recovered => "",
    };
    let (outcome, message) = match ended {
        Err(what) => (what.to_owned(), None),
        Ok(Answer::Text(text)) if text == case.answer => ("recovered".to_owned(), None),
        Ok(Answer::Text(text)) => {
            (format!("WRONG ANSWER ({} bytes)", text.len()), Some(text.chars().take(200).collect()))
        }
        Ok(Answer::Unfinished(why)) => ("UNFINISHED".to_owned(), Some(why)),
        Ok(Answer::Failed(error)) => {
            let facts = describe(&error);
            let shown = if facts.message.contains(says) { says } else { "" };
            let full = format!("{error} / {error:?}");
            if world.all_secrets().iter().any(|secret| full.contains(secret.as_str())) {
                ("SECRET IN THE ERROR".to_owned(), None)
            } else {
                (failure(&facts.kind, facts.retryable, &facts.detail, shown), Some(full))
            }
        }
    };
    let _guard = rt.enter();
    drop(world);
    Observed { cell: cell(&outcome, requests, refreshes, saved), message }
}

fn face_name(face: Face, call: Call) -> String {
    let face = match face {
        Face::Async => "async",
        Face::Blocking => "blocking",
    };
    let call = match call {
        Call::Create => "create",
        Call::Stream => "stream",
    };
    format!("{face} {call}")
}

/// The Markdown table of the observed matrix.
fn table(rows: &[(&Case, Vec<Observed>)]) -> String {
    let mut out = format!(
        "{} faults × {} (async, blocking × create, stream) = {} cells, as the last run of the test observed them.\n\n",
        rows.len(),
        CELLS.len(),
        rows.len() * CELLS.len()
    );
    out.push_str("| fault | injected as | ");
    out.push_str(&CELLS.iter().map(|(f, c)| face_name(*f, *c)).collect::<Vec<_>>().join(" | "));
    out.push_str(" |\n|---|---|---|---|---|---|\n");
    for (case, observed) in rows {
        out.push_str(&format!("| {} | {} |", case.fault, case.how));
        for cell in observed {
            out.push_str(&format!(" {} |", cell.cell));
        }
        out.push('\n');
    }
    out
}

fn doc_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root").join("docs/reliability.md")
}

/// Splits the doc around the markers: (before and the begin marker, table, end marker and after).
fn split_doc(doc: &str) -> Option<(&str, &str, &str)> {
    let begin = doc.find(BEGIN)? + BEGIN.len();
    let end = begin + doc[begin..].find(END)?;
    Some((&doc[..begin], &doc[begin..end], &doc[end..]))
}

/// A line diff: lines only in the doc (`-`) and only in the observed table (`+`), in order.
fn diff(doc: &str, observed: &str) -> String {
    let old: Vec<&str> = doc.trim().lines().collect();
    let new: Vec<&str> = observed.trim().lines().collect();
    let mut out = String::new();
    for line in &old {
        if !new.contains(line) {
            out.push_str(&format!("- {line}\n"));
        }
    }
    for line in &new {
        if !old.contains(line) {
            out.push_str(&format!("+ {line}\n"));
        }
    }
    if out.is_empty() {
        out.push_str("(same lines, in another order)\n");
    }
    out
}

/// Compares the doc's table with the observed one, or rewrites it with `UPDATE_RELIABILITY=1`.
fn check_doc(observed: &str) -> Result<(), String> {
    let path = doc_path();
    let doc = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let Some((before, shown, after)) = split_doc(&doc) else {
        return Err(format!("{} has no `{BEGIN}` … `{END}` markers", path.display()));
    };
    let wanted = format!("\n{observed}");
    if shown == wanted {
        return Ok(());
    }
    if std::env::var_os("UPDATE_RELIABILITY").is_some_and(|v| v == "1") {
        let updated = format!("{before}{wanted}{after}");
        std::fs::write(&path, updated).map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!("rewrote the fault matrix in {}", path.display());
        return Ok(());
    }
    Err(format!(
        "the fault matrix in {} is not the observed one (rerun with UPDATE_RELIABILITY=1 to rewrite it):\n{}",
        path.display(),
        diff(shown, observed)
    ))
}

#[test]
fn fault_matrix() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICS.fetch_add(1, Ordering::SeqCst);
        default_hook(info);
    }));
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let cases = cases();
    let started = Instant::now();
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for case in &cases {
        let expected = case.expected();
        // The four cells of a row run side by side, each with its own fakes and sign-in.
        let observed: Vec<Observed> = std::thread::scope(|scope| {
            let rt = &rt;
            let running: Vec<_> = CELLS
                .iter()
                .map(|&(face, call)| scope.spawn(move || run_cell(rt, case, face, call)))
                .collect();
            running.into_iter().map(|cell| cell.join().expect("a cell's setup failed")).collect()
        });
        for ((face, call), seen) in CELLS.iter().zip(&observed) {
            if seen.cell != expected {
                problems.push(format!(
                    "{} × {}:\n  expected {expected}\n  observed {}\n  message  {}",
                    case.fault,
                    face_name(*face, *call),
                    seen.cell,
                    seen.message.as_deref().unwrap_or("-"),
                ));
            }
        }
        rows.push((case, observed));
    }
    eprintln!("{} cells in {:.1?}", rows.len() * CELLS.len(), started.elapsed());
    let observed = table(&rows);
    if let Err(problem) = check_doc(&observed) {
        problems.push(problem);
    }
    let panics = PANICS.load(Ordering::SeqCst);
    if panics > 0 {
        problems.push(format!("{panics} panic(s) happened while the matrix ran (see the output above)"));
    }
    assert!(problems.is_empty(), "the fault matrix failed:\n\n{}", problems.join("\n\n"));
}
