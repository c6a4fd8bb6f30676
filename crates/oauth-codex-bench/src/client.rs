//! Workloads that drive the facade against `codex-fake` over loopback HTTP: `stream` (one long
//! response), `short` (sequential small requests; the bare-hyper limit, also reading the reply
//! as workload 1's limit does; and the SDK's transport alone, reading each event once, and
//! with the mapping, which split ours into its layers), `concurrent` (many open streams on
//! one client), and `cold-start` (the CLI's `status`).

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use codex_auth::{
    AccessToken, FileTokenStore, IdToken, MemoryTokenStore, OAuthConfig, RefreshToken, TokenSet, TokenStore,
};
use codex_schema::{
    EventMapper, RequestPolicy, ResponseAccumulator, ResponseCreateParams, StreamEventType, prepare_request,
};
use codex_transport::{Hooks, HttpRequest, Method, RequestBody, StaticBearer, Transport, TransportConfig};
use futures_util::StreamExt;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use oauth_codex::{AsyncOAuthCodexClient, LoginMode};

use crate::measure::{self, Report, Section};

/// Where the fake is and the login it printed.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// `codex_base_url=…`.
    pub(crate) base_url: String,
    /// `access_token=…`.
    pub(crate) access_token: String,
    /// `refresh_token=…`.
    pub(crate) refresh_token: String,
    /// `account_id=…`.
    pub(crate) account_id: String,
    /// `issuer=…`, when given (only needed if a token had to be refreshed).
    pub(crate) issuer: Option<String>,
}

const MODEL: &str = "gpt-5.2-codex";

impl Target {
    /// The fake's login as a token set. The fake prints no ID token; one with the fake account's
    /// claims is minted locally (clients never verify its signature).
    fn tokens(&self) -> Result<TokenSet, String> {
        let id_token = codex_testkit::TokenRegistry::new().mint_id_token();
        let tokens = TokenSet::from_tokens(
            AccessToken::new(self.access_token.clone()),
            RefreshToken::new(self.refresh_token.clone()),
            IdToken::new(id_token),
            Some(SystemTime::now()),
        )
        .map_err(|e| e.to_string())?;
        if tokens.account_id() != Some(self.account_id.as_str()) {
            return Err(format!("the fake's account is {:?}, not the default one", self.account_id));
        }
        Ok(tokens)
    }

    /// A facade client signed in with the fake's login, with a temporary local store.
    fn client(&self, compat: &std::path::Path) -> Result<AsyncOAuthCodexClient, String> {
        let mut builder = AsyncOAuthCodexClient::builder()
            .base_url(self.base_url.clone())
            .token_store(Arc::new(MemoryTokenStore::with_tokens(self.tokens()?)))
            .login_mode(LoginMode::Never)
            .compat_storage_dir(compat);
        if let Some(issuer) = &self.issuer {
            builder = builder.oauth_config(OAuthConfig::for_issuer(issuer.clone()));
        }
        builder.build().map_err(|e| e.to_string())
    }
}

fn params(prompt: &str) -> ResponseCreateParams {
    ResponseCreateParams::new(MODEL, prompt.to_owned())
}

/// The runtime of a sequential workload (one request or stream at a time): a current-thread
/// runtime, as a program doing one thing at a time would use and as the blocking client uses.
/// A multi-threaded runtime spends most of such a workload's CPU time parking and waking its
/// idle workers for every small read (see docs/performance.md); set
/// `OAUTH_CODEX_BENCH_RUNTIME=multi` to measure that instead.
fn sequential_runtime() -> Result<tokio::runtime::Runtime, String> {
    if std::env::var("OAUTH_CODEX_BENCH_RUNTIME").is_ok_and(|flavor| flavor == "multi") {
        return concurrent_runtime();
    }
    tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())
}

/// The runtime of a concurrent workload: two workers, one per core of the reference machine.
fn concurrent_runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
}

/// Streams one response to the end; returns (text deltas, text bytes).
async fn stream_once(client: &AsyncOAuthCodexClient) -> Result<(u64, u64), String> {
    let mut stream =
        client.responses().stream(params("Write a long answer.")).await.map_err(|e| e.to_string())?;
    let (mut deltas, mut bytes, mut completed) = (0u64, 0u64, false);
    while let Some(event) = stream.next().await {
        let event = event.map_err(|e| e.to_string())?;
        match event.kind {
            StreamEventType::TextDelta => {
                deltas += 1;
                bytes += event.delta.as_deref().map_or(0, str::len) as u64;
            }
            StreamEventType::ResponseCompleted => completed = true,
            _ => {}
        }
    }
    if !completed {
        return Err("the stream ended without response_completed".to_owned());
    }
    Ok((deltas, bytes))
}

/// `stream`: one long response end to end (after one warm-up response).
pub(crate) fn run_stream(target: &Target, warmup: bool) -> Result<Report, String> {
    let compat = tempfile::tempdir().map_err(|e| e.to_string())?;
    let runtime = sequential_runtime()?;
    runtime.block_on(async {
        let client = target.client(compat.path())?;
        if warmup {
            stream_once(&client).await?;
        }
        let section = Section::start();
        let (deltas, bytes) = stream_once(&client).await?;
        Ok(section.finish("stream", "ours", deltas).with("text_bytes", bytes))
    })
}

/// `short`: `n` sequential `responses().create` calls on one client.
pub(crate) fn run_short(target: &Target, n: u64) -> Result<Report, String> {
    let compat = tempfile::tempdir().map_err(|e| e.to_string())?;
    let runtime = sequential_runtime()?;
    runtime.block_on(async {
        let client = target.client(compat.path())?;
        let once = || async {
            let response = client.responses().create(params("Say hi.")).await.map_err(|e| e.to_string())?;
            if response.output_text.is_empty() {
                return Err("an empty answer".to_owned());
            }
            Ok::<(), String>(())
        };
        timed_requests("ours", n, once).await
    })
}

/// The `short` workload's measurement, shared by every implementation: `n / 20` (at least 5)
/// warm-up requests, then `n` timed ones, each timed alone for the percentiles.
async fn timed_requests<F, Fut>(implementation: &str, n: u64, mut once: F) -> Result<Report, String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    for _ in 0..n.div_ceil(20).max(5) {
        once().await?;
    }
    let mut latencies = Vec::with_capacity(n as usize);
    let section = Section::start();
    for _ in 0..n {
        let started = Instant::now();
        once().await?;
        latencies.push(started.elapsed());
    }
    let report = section.finish("short", implementation, n);
    Ok(with_latencies(report, &mut latencies))
}

fn with_latencies(report: Report, latencies: &mut [Duration]) -> Report {
    latencies.sort();
    let at = |q: f64| {
        let index = ((latencies.len() as f64 - 1.0) * q).round() as usize;
        latencies.get(index).map_or(0.0, |d| d.as_secs_f64() * 1e3)
    };
    let mean = latencies.iter().map(Duration::as_secs_f64).sum::<f64>() / latencies.len().max(1) as f64;
    report.with("p50_ms", at(0.5)).with("p99_ms", at(0.99)).with("us_per_request", mean * 1e6)
}

/// What a bare hyper client sends: the SDK's body and headers for one request, prepared once.
struct BareRequest {
    url: String,
    body: Bytes,
    bearer: String,
    user_agent: String,
    account_id: String,
    counter: u64,
}

impl BareRequest {
    fn new(target: &Target, prompt: &str) -> Result<Self, String> {
        let prepared =
            prepare_request(&params(prompt), &RequestPolicy::default()).map_err(|e| e.to_string())?;
        Ok(BareRequest {
            url: format!("{}/responses", target.base_url),
            body: Bytes::from(serde_json::to_vec(&prepared.body).map_err(|e| e.to_string())?),
            bearer: format!("Bearer {}", target.access_token),
            user_agent: codex_transport::TransportConfig::new(target.base_url.clone()).user_agent,
            account_id: target.account_id.clone(),
            counter: 0,
        })
    }

    fn next(&mut self) -> Result<Request<Full<Bytes>>, String> {
        self.counter += 1;
        Request::post(self.url.as_str())
            .header("user-agent", self.user_agent.as_str())
            .header("originator", "codex_cli_rs")
            .header("accept", "text/event-stream")
            .header("x-client-request-id", format!("00000000-0000-4000-8000-{:012}", self.counter))
            .header("content-type", "application/json")
            .header("authorization", self.bearer.as_str())
            .header("chatgpt-account-id", self.account_id.as_str())
            .body(Full::new(self.body.clone()))
            .map_err(|e| e.to_string())
    }
}

fn bare_client() -> Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>> {
    Client::builder(TokioExecutor::new()).build_http()
}

/// `short` with `impl = hyper`: a bare hyper client sends the same request (body and headers
/// as the SDK sends them) on a pooled connection and reads the whole SSE body. The limit.
///
/// With `parse` (`impl = hyper-parse`), it also reads the body's events as workload 1's limit
/// reader does (`memchr` lines, a typed borrowing parse of each payload): the least any client
/// that returns the reply must add to the limit, measured in the same loop.
pub(crate) fn run_short_hyper(target: &Target, n: u64, parse: bool) -> Result<Report, String> {
    let mut bare = BareRequest::new(target, "Say hi.")?;
    let runtime = sequential_runtime()?;
    let implementation = if parse { "hyper-parse" } else { "hyper" };
    runtime.block_on(async {
        let client = bare_client();
        let once = || {
            let request = bare.next();
            let client = client.clone();
            async move {
                let response = client.request(request?).await.map_err(|e| e.to_string())?;
                if !response.status().is_success() {
                    return Err(format!("status {}", response.status()));
                }
                let bytes = response.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
                if memchr::memmem::find(&bytes, b"response.completed").is_none() {
                    return Err("the body has no response.completed".to_owned());
                }
                if parse && crate::sse::run_limit(&bytes, bytes.len())? == 0 {
                    return Err("the body has no events".to_owned());
                }
                Ok::<(), String>(())
            }
        };
        timed_requests(implementation, n, once).await
    })
}

/// What `short`'s transport runners do with the reply's SSE frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TransportWork {
    /// `transport`: read the frames, nothing more.
    Frames,
    /// `transport-read`: read each event once, into one borrowing struct (the fields a response
    /// is made of), then the done items and the final response's own fields into their typed
    /// forms: what a `create` that made no v1 events would have to read at the least.
    Read,
    /// `transport-map`: map the frames to stream events v1 and fold those into a response, as
    /// `create` does.
    Map,
}

/// The fields of any reply event that a response is made of, borrowed; the item and the
/// response are kept as text and read only for the events that carry them.
#[derive(serde::Deserialize)]
struct ReplyEvent<'a> {
    #[serde(rename = "type", borrow)]
    kind: std::borrow::Cow<'a, str>,
    #[serde(borrow, default)]
    delta: std::borrow::Cow<'a, str>,
    #[serde(borrow, default)]
    item_id: std::borrow::Cow<'a, str>,
    #[serde(default)]
    output_index: Option<u64>,
    #[serde(borrow, default)]
    item: Option<&'a serde_json::value::RawValue>,
    #[serde(borrow, default)]
    response: Option<&'a serde_json::value::RawValue>,
}

/// The final response's fields a response is made of; its items are left as text, since the
/// `output_item.done` events gave them (`create` reads them again only when they differ), and
/// fields nothing reads are skipped (`create` keeps them as JSON values: this is the least).
#[derive(serde::Deserialize)]
#[allow(dead_code)] // Read to be measured, not used.
struct FinalResponse<'a> {
    #[serde(default)]
    id: String,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    usage: Option<codex_schema::BackendUsage>,
    #[serde(borrow, default)]
    output: Vec<&'a serde_json::value::RawValue>,
}

/// `TransportWork::Read` on one frame: returns the text the event adds to the answer.
fn read_reply_event(data: &str) -> Result<usize, String> {
    let event: ReplyEvent<'_> = serde_json::from_str(data).map_err(|e| e.to_string())?;
    std::hint::black_box((&event.item_id, event.output_index));
    match (&*event.kind, event.item, event.response) {
        ("response.output_item.done", Some(item), _) => {
            std::hint::black_box(codex_schema::Item::from_json_str(item.get()).map_err(|e| e.to_string())?);
        }
        ("response.completed", _, Some(response)) => {
            let response: FinalResponse<'_> =
                serde_json::from_str(response.get()).map_err(|e| e.to_string())?;
            std::hint::black_box(response);
        }
        _ => {}
    }
    Ok(event.delta.len())
}

/// `short` with `impl = transport`, `transport-read` or `transport-map`: the SDK's transport
/// alone, without the facade, sends the same body with a fixed bearer and does `work` with the
/// reply's SSE frames. Between bare hyper and ours, these say where a request's time goes.
pub(crate) fn run_short_transport(target: &Target, n: u64, work: TransportWork) -> Result<Report, String> {
    let bare = BareRequest::new(target, "Say hi.")?;
    let runtime = sequential_runtime()?;
    let implementation = match work {
        TransportWork::Frames => "transport",
        TransportWork::Read => "transport-read",
        TransportWork::Map => "transport-map",
    };
    runtime.block_on(async {
        let auth = Arc::new(StaticBearer::new(target.access_token.clone(), Some(target.account_id.clone())));
        let config = TransportConfig::new(target.base_url.clone());
        let transport = Transport::new(config, auth, Hooks::default()).map_err(|e| e.to_string())?;
        let mut request = HttpRequest::new(Method::POST, "responses");
        request.body =
            Some(RequestBody::Raw { content_type: "application/json".to_owned(), bytes: bare.body.clone() });
        let once = || async {
            let mut frames = transport.stream(&request).await.map_err(|e| e.to_string())?;
            let mut mapper = EventMapper::new().keep_raw(false);
            let (mut accumulator, mut events, mut count, mut text) =
                (ResponseAccumulator::new(), Vec::new(), 0, 0);
            while let Some(frame) = frames.next().await {
                let frame = frame.map_err(|e| e.to_string())?;
                count += 1;
                match work {
                    TransportWork::Frames => {}
                    TransportWork::Read => text += read_reply_event(&frame.data)?,
                    TransportWork::Map => {
                        mapper
                            .map_sse(frame.event.as_deref(), frame.data, &mut events)
                            .map_err(|e| e.to_string())?;
                        for event in events.drain(..) {
                            accumulator.push(&event);
                        }
                    }
                }
            }
            let empty = match work {
                TransportWork::Frames => count == 0,
                TransportWork::Read => text == 0,
                TransportWork::Map => accumulator.finish().output_text.is_empty(),
            };
            if empty {
                return Err("an empty answer".to_owned());
            }
            Ok::<(), String>(())
        };
        timed_requests(implementation, n, once).await
    })
}

/// `stream` with `impl = hyper`: a bare hyper client sends the same request and reads the body
/// frame by frame as it arrives, decoding nothing: the floor for reading these bytes over
/// loopback HTTP with this runtime.
pub(crate) fn run_stream_hyper(target: &Target, warmup: bool) -> Result<Report, String> {
    let mut bare = BareRequest::new(target, "Write a long answer.")?;
    let runtime = sequential_runtime()?;
    runtime.block_on(async {
        let client = bare_client();
        let mut once = async || {
            let response = client.request(bare.next()?).await.map_err(|e| e.to_string())?;
            if !response.status().is_success() {
                return Err(format!("status {}", response.status()));
            }
            let mut body = response.into_body();
            const COMPLETED: &[u8] = b"event: response.completed";
            let (mut bytes, mut frames, mut completed) = (0u64, 0u64, false);
            // The end of the previous frame, so a marker split between two frames is found.
            let mut seam = Vec::with_capacity(2 * COMPLETED.len());
            while let Some(frame) = body.frame().await {
                let Ok(data) = frame.map_err(|e| e.to_string())?.into_data() else { continue };
                bytes += data.len() as u64;
                frames += 1;
                seam.extend_from_slice(&data[..data.len().min(COMPLETED.len())]);
                completed |= memchr::memmem::find(&seam, COMPLETED).is_some()
                    || memchr::memmem::find(&data, COMPLETED).is_some();
                seam.clear();
                seam.extend_from_slice(&data[data.len().saturating_sub(COMPLETED.len())..]);
            }
            if !completed {
                return Err("the body has no response.completed".to_owned());
            }
            Ok::<(u64, u64), String>((bytes, frames))
        };
        if warmup {
            once().await?;
        }
        let section = Section::start();
        let (bytes, frames) = once().await?;
        Ok(section.finish("stream", "hyper", frames).with("body_bytes", bytes))
    })
}

/// `concurrent`: `n` streams open at once on one client. Each stream reads its first event and
/// waits; when all are open the resident memory is sampled, then all are read to the end.
pub(crate) fn run_concurrent(target: &Target, n: usize) -> Result<Report, String> {
    let compat = tempfile::tempdir().map_err(|e| e.to_string())?;
    let runtime = concurrent_runtime()?;
    runtime.block_on(async {
        let client = target.client(compat.path())?;
        // Warm-up: a few streams (connection setup code, allocator pools).
        for _ in 0..4 {
            stream_once(&client).await?;
        }
        let baseline_kb = measure::rss_kb();
        let open = Arc::new(AtomicUsize::new(0));
        let all_open = Arc::new(tokio::sync::Notify::new());
        let (release_tx, release_rx) = tokio::sync::watch::channel(false);
        let section = Section::start();
        let mut tasks = Vec::with_capacity(n);
        for _ in 0..n {
            let client = client.clone();
            let open = open.clone();
            let all_open = all_open.clone();
            let mut release = release_rx.clone();
            tasks.push(tokio::spawn(async move {
                let mut stream =
                    client.responses().stream(params("Stream slowly.")).await.map_err(|e| e.to_string())?;
                let first = stream.next().await.ok_or("no first event")?.map_err(|e| e.to_string())?;
                if first.kind != StreamEventType::ResponseStarted {
                    return Err(format!("first event {:?}", first.kind));
                }
                if open.fetch_add(1, Ordering::SeqCst) + 1 == n {
                    all_open.notify_one();
                }
                release.wait_for(|go| *go).await.map_err(|e| e.to_string())?;
                let mut completed = false;
                while let Some(event) = stream.next().await {
                    completed |= event.map_err(|e| e.to_string())?.kind == StreamEventType::ResponseCompleted;
                }
                if completed { Ok(()) } else { Err("no response_completed".to_owned()) }
            }));
        }
        let opening = tokio::time::timeout(Duration::from_secs(300), all_open.notified()).await;
        let open_kb = measure::rss_kb();
        let opened = open.load(Ordering::SeqCst);
        let _ = release_tx.send(true);
        let mut errors = Vec::new();
        for task in tasks {
            match task.await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => errors.push(error),
                Err(error) => errors.push(error.to_string()),
            }
        }
        if opening.is_err() {
            return Err(format!("only {opened} of {n} streams opened within 300 s"));
        }
        let completed = n - errors.len();
        if let Some(first) = errors.first() {
            eprintln!("{} of {n} streams failed; first error: {first}", errors.len());
        }
        let per_stream_kb = open_kb.saturating_sub(baseline_kb) as f64 / n.max(1) as f64;
        Ok(section
            .finish("concurrent", "ours", completed as u64)
            .with("errors", errors.len() as u64)
            .with("rss_baseline_kb", baseline_kb)
            .with("rss_open_kb", open_kb)
            .with("rss_per_stream_kb", per_stream_kb))
    })
}

/// `cold-start`: runs `CLI status` with a stored token file, `n` times (after 3 warm-up runs).
pub(crate) fn run_cold_start(target: &Target, cli: &str, n: u64) -> Result<Report, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let auth_file = dir.path().join("auth.json");
    FileTokenStore::new(&auth_file).save(&target.tokens()?).map_err(|e| e.to_string())?;
    let once = || -> Result<Duration, String> {
        let mut command = Command::new(cli);
        command
            .arg("--auth-file")
            .arg(&auth_file)
            .arg("--base-url")
            .arg(&target.base_url)
            .arg("status")
            .env("HOME", dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(issuer) = &target.issuer {
            command.arg("--issuer").arg(issuer);
        }
        let started = Instant::now();
        let output = command.output().map_err(|e| format!("cannot run {cli}: {e}"))?;
        let elapsed = started.elapsed();
        if !output.status.success() {
            return Err(format!("`{cli} status` failed: {}", String::from_utf8_lossy(&output.stderr).trim()));
        }
        Ok(elapsed)
    };
    for _ in 0..3 {
        once()?;
    }
    let children_before = measure::children_cpu_seconds();
    let section = Section::start();
    let mut walls = Vec::with_capacity(n as usize);
    for _ in 0..n {
        walls.push(once()?);
    }
    let report = section.finish("cold_start", "ours", n);
    let children_cpu = measure::children_cpu_seconds() - children_before;
    Ok(with_latencies(report, &mut walls).with("children_cpu_s", children_cpu))
}
