//! Load: many concurrent requests on one client, and several processes sharing one token file,
//! against the loopback fakes.
//!
//! * `two_hundred_tasks_on_one_client`: 200 tasks share one `AsyncOAuthCodexClient` for a minute
//!   (`OAUTH_CODEX_LOAD_SECS` shortens it while developing) against a backend that answers 5% of
//!   the requests with a 500, while every access token is expired server-side every 10 seconds.
//!   Every request ends in a response or a typed error (a `server` error after three 500s in a
//!   row, or a second `token_expired` 401 when an expiry fell inside the request, since a
//!   request recovers from one 401), each expiry costs exactly one refresh, the connections stay
//!   bounded while it runs and all close once the client is dropped, and the client's runtime
//!   has as many live tasks afterwards as before.
//! * `processes_sharing_a_token_file_survive_fifty_rotations`: 4 processes, each a client with 20
//!   concurrent tasks over one `FileTokenStore`, while the access tokens are expired again and
//!   again until the refresh token has rotated 50 times: exactly one refresh per expiry across
//!   the processes, no refresh token is ever reused, and every process (and the file) ends
//!   signed in.
//!
//! Both print their figures to stderr (`cargo test … -- --nocapture`).

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Read as _};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use codex_auth::{
    FileTokenStore, MemoryTokenStore, OAuthClient, OAuthConfig, RefreshToken, TokenSet, TokenStore,
};
use codex_testkit::{FakeCodex, FakeOAuth};
use oauth_codex::{AsyncOAuthCodexClient, Error, LoginMode, ResponseCreateParams};

const TASKS: usize = 200;
/// The kind under which a request is counted whose refreshed token died at an expiry that
/// happened while it ran.
const EXPIRED_DURING: &str = "token_expired_during_the_request";
const ERROR_RATE: f64 = 0.05;
/// The longest a single request may take before it counts as a hang.
const REQUEST_BOUND: Duration = Duration::from_secs(60);
/// The longest the connections and tasks may take to wind down after the client is dropped.
const WIND_DOWN_BOUND: Duration = Duration::from_secs(30);

/// The error's category: the request error's kind, else the facade variant.
fn kind_of(error: &Error) -> String {
    match error.as_request() {
        Some(request) => request.kind.name().to_owned(),
        None => match error {
            Error::ParameterValidation(_) => "parameter_validation",
            Error::Auth(_) => "auth",
            Error::NotSupported { .. } => "not_supported",
            Error::Continuity { .. } => "continuity",
            Error::ModelValidation { .. } => "model_validation",
            Error::Compat(_) => "compat",
            Error::Config(_) => "config",
            _ => "other",
        }
        .to_owned(),
    }
}

/// Whether the backend refused the request's token as expired even after the one refresh a
/// request gets: its refreshed token died at the next expiry too.
fn expired_twice(error: &Error) -> bool {
    error.as_request().is_some_and(|request| {
        request.status_code == Some(401) && request.provider_code.as_deref() == Some("token_expired")
    })
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[index]
}

/// A sign-in from the OAuth fake.
async fn signed_in(oauth: &FakeOAuth) -> TokenSet {
    let client = OAuthClient::new(OAuthConfig::for_issuer(oauth.issuer())).unwrap();
    let response = client.refresh(&RefreshToken::new(oauth.mint_refresh_token())).await.unwrap();
    TokenSet::from_response(response).unwrap()
}

/// Polls `done` until it holds or `bound` passes; returns whether it held.
fn eventually(bound: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < bound {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    done()
}

#[derive(Default)]
struct Tally {
    requests: usize,
    successes: usize,
    errors: BTreeMap<String, usize>,
    hangs: usize,
    latencies: Vec<Duration>,
    /// The first message of each kind of error.
    samples: BTreeMap<String, String>,
}

impl Tally {
    fn record_error(&mut self, error: &Error) {
        self.record_error_as(error, &kind_of(error));
    }

    fn record_error_as(&mut self, error: &Error, kind: &str) {
        let kind = kind.to_owned();
        self.samples.entry(kind.clone()).or_insert_with(|| error.to_string());
        *self.errors.entry(kind).or_default() += 1;
    }

    fn merge(&mut self, other: Tally) {
        self.requests += other.requests;
        self.successes += other.successes;
        self.hangs += other.hangs;
        for (kind, count) in other.errors {
            *self.errors.entry(kind).or_default() += count;
        }
        self.latencies.extend(other.latencies);
        for (kind, message) in other.samples {
            self.samples.entry(kind).or_insert(message);
        }
    }
}

#[test]
fn two_hundred_tasks_on_one_client() {
    let seconds: u64 = std::env::var("OAUTH_CODEX_LOAD_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(60);
    let duration = Duration::from_secs(seconds.max(1));
    // Every 10 seconds; a shortened run expires three times.
    let period = if seconds >= 20 { Duration::from_secs(10) } else { duration / 4 };

    // The fakes run on a runtime of their own, so the client's runtime holds only the client's
    // tasks and can be counted.
    let fakes = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (oauth, codex, tokens) = fakes.block_on(async {
        let oauth = FakeOAuth::start().await;
        let codex = FakeCodex::builder()
            .registry(oauth.registry().clone())
            .error_rate(ERROR_RATE)
            .error_seed(0x10AD)
            .record_requests(false)
            .start()
            .await;
        let tokens = signed_in(&oauth).await;
        (oauth, codex, tokens)
    });
    let compat = tempfile::tempdir().unwrap();
    let refreshes_before = oauth.registry().refreshes();

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let tasks_before = runtime.metrics().num_alive_tasks();
    let connections_before = codex.open_connections();

    // The connection gauge, sampled while the load runs.
    let sampling = AtomicBool::new(true);
    let peak_connections = AtomicUsize::new(0);
    // Expiries begun and finished, so a request can tell whether one happened while it ran.
    let expiries_begun = Arc::new(AtomicUsize::new(0));
    let expiries_finished = Arc::new(AtomicUsize::new(0));

    let started = Instant::now();
    let (tally, expiries) = std::thread::scope(|scope| {
        scope.spawn(|| {
            while sampling.load(Ordering::SeqCst) {
                peak_connections.fetch_max(codex.open_connections(), Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(25));
            }
        });
        let expiries = scope.spawn(|| {
            let mut expiries = 0;
            let mut open = Vec::new();
            let mut next = period;
            while next < duration {
                let wait = next.saturating_sub(started.elapsed());
                std::thread::sleep(wait);
                open.push(codex.open_connections());
                expiries_begun.fetch_add(1, Ordering::SeqCst);
                oauth.registry().expire_access_tokens();
                expiries_finished.fetch_add(1, Ordering::SeqCst);
                expiries += 1;
                next += period;
            }
            (expiries, open)
        });
        // Stops the sampler however the load ends.
        struct StopSampling<'a>(&'a AtomicBool);
        impl Drop for StopSampling<'_> {
            fn drop(&mut self) {
                self.0.store(false, Ordering::SeqCst);
            }
        }
        let _stop = StopSampling(&sampling);
        let tally = runtime.block_on(async {
            let client = AsyncOAuthCodexClient::builder()
                .base_url(codex.base_url())
                .oauth_config(OAuthConfig::for_issuer(oauth.issuer()))
                .token_store(Arc::new(MemoryTokenStore::with_tokens(tokens)))
                .login_mode(LoginMode::Never)
                .backoff_base(Duration::from_millis(5))
                .conversation_replay(false)
                .compat_storage_dir(compat.path())
                .build()
                .unwrap();
            let deadline = tokio::time::Instant::now() + duration;
            let workers: Vec<_> = (0..TASKS)
                .map(|task| {
                    let client = client.clone();
                    let (begun, finished) = (expiries_begun.clone(), expiries_finished.clone());
                    tokio::spawn(async move {
                        let mut tally = Tally::default();
                        while tokio::time::Instant::now() < deadline {
                            let finished_before = finished.load(Ordering::SeqCst);
                            let params =
                                ResponseCreateParams::new("gpt-5.2-codex", format!("hello from {task}"));
                            let start = Instant::now();
                            let outcome =
                                tokio::time::timeout(REQUEST_BOUND, client.responses().create(params)).await;
                            let elapsed = start.elapsed();
                            tally.latencies.push(elapsed);
                            tally.requests += 1;
                            match outcome {
                                Ok(Ok(_)) => tally.successes += 1,
                                // Refused again after its one refresh: legitimate only when an
                                // expiry happened while the request ran (the token it got from
                                // the refresh died at it); the transport recovers from one 401
                                // per request, by design.
                                Ok(Err(error))
                                    if expired_twice(&error)
                                        && begun.load(Ordering::SeqCst) > finished_before =>
                                {
                                    tally.record_error_as(&error, EXPIRED_DURING);
                                }
                                Ok(Err(error)) => tally.record_error(&error),
                                Err(_) => tally.hangs += 1,
                            }
                        }
                        tally
                    })
                })
                .collect();
            let mut total = Tally::default();
            let mut panics = 0;
            for worker in workers {
                match worker.await {
                    Ok(tally) => total.merge(tally),
                    Err(_) => panics += 1,
                }
            }
            drop(client);
            (total, panics)
        });
        drop(_stop);
        (tally, expiries.join().unwrap())
    });
    let (tally, panics) = tally;
    let (expiries, open_at_expiries) = expiries;
    let elapsed = started.elapsed();

    // Everything winds down once the client is gone.
    let connections_closed = eventually(WIND_DOWN_BOUND, || codex.open_connections() == connections_before);
    let tasks_after = {
        let metrics = runtime.metrics();
        eventually(WIND_DOWN_BOUND, || metrics.num_alive_tasks() == tasks_before);
        metrics.num_alive_tasks()
    };
    let refreshes = oauth.registry().refreshes() - refreshes_before;

    let mut latencies = tally.latencies.clone();
    latencies.sort();
    let errors: usize = tally.errors.values().sum();
    eprintln!(
        "load: {TASKS} tasks for {elapsed:.1?} ({seconds} s asked), {:.0}% injected 500s ({} injected), \
         token expiry every {period:?}\n\
         load: requests {} | successes {} | typed errors {errors} {:?} | hangs {}\n\
         load: latency p50 {:?} p99 {:?} max {:?}\n\
         load: expiries {expiries}, refreshes {refreshes}; open connections at each expiry {open_at_expiries:?}\n\
         load: connections: peak open {} (accepted {} in all), open after drop {} (before {connections_before}); \
         runtime tasks before {tasks_before}, after {tasks_after}",
        ERROR_RATE * 100.0,
        codex.injected_errors(),
        tally.requests,
        tally.successes,
        tally.errors,
        tally.hangs,
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or_default(),
        peak_connections.load(Ordering::SeqCst),
        codex.accepted_connections(),
        codex.open_connections(),
    );
    for (kind, message) in &tally.samples {
        eprintln!("load: first {kind} error: {message}");
    }

    assert_eq!(panics, 0, "no task panicked");
    assert_eq!(tally.hangs, 0, "no request hung");
    assert_eq!(
        tally.successes + errors,
        tally.requests,
        "every request ended in a response or a typed error"
    );
    assert!(tally.successes > tally.requests / 2, "most requests succeed despite the faults");
    assert!(codex.injected_errors() > 0, "the faults were injected");
    // `server`: three 500s in a row (one attempt and two retries), as likely as 0.05³ per request.
    let expected: Vec<&str> = vec!["server", EXPIRED_DURING];
    for kind in tally.errors.keys() {
        assert!(
            expected.contains(&kind.as_str()),
            "an unexpected kind of error: {kind} ({:?})",
            tally.errors
        );
    }
    assert!(expiries > 0);
    assert_eq!(refreshes, expiries, "exactly one refresh per expiry");
    let peak = peak_connections.load(Ordering::SeqCst);
    // Bounded by the concurrency, not by the number of requests. hyper's pool may start a new
    // connection for a waiting request while another one frees up (and then keeps both), so
    // bursts (every task retrying at once after a refresh) can take it past one per task.
    assert!(peak <= 3 * TASKS, "the pool stays bounded by the concurrency: peak {peak}");
    assert!(codex.accepted_connections() <= 3 * TASKS, "connections are reused, not made per request");
    assert!(connections_closed, "every connection closed after the client was dropped");
    assert_eq!(tasks_after, tasks_before, "no task outlives the client");
}

// ---------------------------------------------------------------------------------------------
// several processes sharing one token file

const ROLE: &str = "OAUTH_CODEX_LOAD_WORKER";
const PROCESSES: usize = 4;
const TASKS_PER_PROCESS: usize = 20;
const ROTATIONS: u64 = 50;
/// The kind under which a request is counted whose refreshed token died at the next expiry too.
const EXPIRED_TWICE: &str = "token_expired_twice";
/// The shortest and longest pause after each rotation. The pause is twice the time the last
/// expiry took to lead to a saved refresh (about one request's latency), so that requests mostly
/// complete between two expiries however loaded the machine is.
const ROTATION_PAUSE: (Duration, Duration) = (Duration::from_millis(250), Duration::from_secs(5));

/// One worker process: 20 tasks on one client over the shared token file, until its standard
/// input closes; then a last request, and a summary line. Returns at once unless started by
/// the parent test.
#[test]
fn sharing_worker() {
    let Ok(issuer) = std::env::var(ROLE) else { return };
    let base_url = std::env::var("OAUTH_CODEX_LOAD_BASE_URL").unwrap();
    let path = std::env::var("OAUTH_CODEX_LOAD_STORE").unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut rest = Vec::new();
            let _ = std::io::stdin().read_to_end(&mut rest);
            stop.store(true, Ordering::SeqCst);
        });
    }
    let compat = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async move {
        let client = AsyncOAuthCodexClient::builder()
            .base_url(base_url)
            .oauth_config(OAuthConfig::for_issuer(issuer))
            .token_store(Arc::new(FileTokenStore::new(&path)))
            .login_mode(LoginMode::Never)
            .backoff_base(Duration::from_millis(5))
            .conversation_replay(false)
            .compat_storage_dir(compat.path())
            .build()
            .unwrap();
        let first = client.responses().create(ResponseCreateParams::new("gpt-5.2-codex", "first")).await;
        if let Err(error) = first {
            println!("FAILED first request: {error}");
            std::process::exit(3);
        }
        println!("READY");
        let workers: Vec<_> = (0..TASKS_PER_PROCESS)
            .map(|_| {
                let client = client.clone();
                let stop = stop.clone();
                tokio::spawn(async move {
                    let mut tally = Tally::default();
                    while !stop.load(Ordering::SeqCst) {
                        let params = ResponseCreateParams::new("gpt-5.2-codex", "hello");
                        let outcome =
                            tokio::time::timeout(REQUEST_BOUND, client.responses().create(params)).await;
                        tally.requests += 1;
                        match outcome {
                            Ok(Ok(_)) => tally.successes += 1,
                            Ok(Err(error)) if expired_twice(&error) => {
                                tally.record_error_as(&error, EXPIRED_TWICE)
                            }
                            Ok(Err(error)) => tally.record_error(&error),
                            Err(_) => tally.hangs += 1,
                        }
                    }
                    tally
                })
            })
            .collect();
        let mut total = Tally::default();
        for worker in workers {
            total.merge(worker.await.expect("no task panicked"));
        }
        // Still signed in: one more request after the storm.
        let last = client.responses().create(ResponseCreateParams::new("gpt-5.2-codex", "last")).await;
        let errors: Vec<String> =
            total.errors.iter().map(|(kind, count)| format!("{kind}:{count}")).collect();
        println!(
            "SUMMARY requests={} successes={} hangs={} errors={} last={}",
            total.requests,
            total.successes,
            total.hangs,
            if errors.is_empty() { "none".to_owned() } else { errors.join(",") },
            match &last {
                Ok(_) => "ok".to_owned(),
                Err(error) => format!("failed: {error}"),
            }
        );
        for (kind, message) in &total.samples {
            println!("SAMPLE first {kind} error: {message}");
        }
    });
}

#[test]
fn processes_sharing_a_token_file_survive_fifty_rotations() {
    if std::env::var(ROLE).is_ok() {
        return;
    }
    let fakes = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (oauth, codex, tokens) = fakes.block_on(async {
        let oauth = FakeOAuth::start().await;
        let codex =
            FakeCodex::builder().registry(oauth.registry().clone()).record_requests(false).start().await;
        let tokens = signed_in(&oauth).await;
        (oauth, codex, tokens)
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("auth.json");
    FileTokenStore::new(&path).save(&tokens).unwrap();
    let refreshes_before = oauth.registry().refreshes();

    let exe = std::env::current_exe().unwrap();
    let mut children: Vec<_> = (0..PROCESSES)
        .map(|_| {
            Command::new(&exe)
                .args(["--exact", "sharing_worker", "--nocapture", "--test-threads=1"])
                .env(ROLE, oauth.issuer())
                .env("OAUTH_CODEX_LOAD_BASE_URL", codex.base_url())
                .env("OAUTH_CODEX_LOAD_STORE", &path)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    // Each child's output is read on a thread; `READY` lines are counted as they come.
    let ready = Arc::new(AtomicUsize::new(0));
    let readers: Vec<_> = children
        .iter_mut()
        .map(|child| {
            let stdout = child.stdout.take().unwrap();
            let ready = ready.clone();
            std::thread::spawn(move || {
                let mut lines = Vec::new();
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if line.ends_with("READY") {
                        ready.fetch_add(1, Ordering::SeqCst);
                    }
                    lines.push(line);
                }
                lines
            })
        })
        .collect();
    assert!(
        eventually(Duration::from_secs(120), || ready.load(Ordering::SeqCst) == PROCESSES),
        "workers start"
    );

    // Expire the access tokens, wait until the refreshed ones are saved, let the others adopt
    // them; again. (Waiting for the save, not just for the refresh request, makes sure the next
    // expiry also kills the token that refresh issued.)
    let saved_access = || {
        let tokens = FileTokenStore::new(&path).load().unwrap().expect("the file holds a login");
        tokens.access_token().expose_secret().to_owned()
    };
    let started = Instant::now();
    let mut expiries = 0;
    while oauth.registry().refreshes() - refreshes_before < ROTATIONS {
        let before = saved_access();
        let expired_at = Instant::now();
        oauth.registry().expire_access_tokens();
        expiries += 1;
        assert!(
            eventually(Duration::from_secs(60), || saved_access() != before),
            "expiry {expiries} led to no saved refresh ({} rotations so far)",
            oauth.registry().refreshes() - refreshes_before
        );
        std::thread::sleep((expired_at.elapsed() * 2).clamp(ROTATION_PAUSE.0, ROTATION_PAUSE.1));
    }
    let rotations = oauth.registry().refreshes() - refreshes_before;
    let storm = started.elapsed();

    for child in &mut children {
        drop(child.stdin.take()); // tells the worker to stop
    }
    let mut summaries = Vec::new();
    for (child, reader) in children.iter_mut().zip(readers) {
        let status = child.wait().unwrap();
        let lines = reader.join().unwrap();
        assert!(status.success(), "a worker failed ({status}): {lines:?}");
        let summary = lines.iter().find_map(|line| line.find("SUMMARY").map(|at| line[at..].to_owned()));
        summaries.push(summary.unwrap_or_else(|| panic!("a summary line: {lines:?}")));
        for sample in lines.iter().filter(|line| line.starts_with("SAMPLE")) {
            eprintln!("sharing: {sample}");
        }
    }
    eprintln!(
        "sharing: {PROCESSES} processes × {TASKS_PER_PROCESS} tasks, {expiries} expiries, {rotations} rotations \
         in {storm:.1?}, refresh_token_reused answers: {}",
        oauth.registry().refresh_reuses()
    );
    for summary in &summaries {
        eprintln!("sharing: {summary}");
    }

    assert_eq!(oauth.registry().refresh_reuses(), 0, "no refresh token was ever reused");
    assert_eq!(rotations, expiries, "exactly one refresh per expiry, across all the processes");
    for summary in &summaries {
        assert!(summary.contains("hangs=0"), "no request hung: {summary}");
        assert!(summary.ends_with("last=ok"), "every process ends signed in: {summary}");
        // The only errors allowed: a request whose refreshed token was expired again before its
        // retry (the fakes expire tokens far faster than any server would).
        let errors = summary.split(" errors=").nth(1).and_then(|rest| rest.split(' ').next()).unwrap();
        for kind in errors.split(',').filter(|kind| *kind != "none") {
            assert!(kind.starts_with(EXPIRED_TWICE), "an unexpected kind of error: {kind} ({summary})");
        }
    }
    // The file holds a live login: its refresh token is the newest one (it still refreshes).
    let saved = FileTokenStore::new(&path).load().unwrap().expect("the file holds a login");
    let client = OAuthClient::new(OAuthConfig::for_issuer(oauth.issuer())).unwrap();
    fakes.block_on(client.refresh(saved.refresh_token())).expect("the saved refresh token is the live one");
    assert_eq!(oauth.registry().refresh_reuses(), 0);
}
