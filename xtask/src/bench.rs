//! `cargo xtask bench [--smoke] [--runs N] [--only sse,stream,short,concurrent,compat,cold_start]`:
//! the side-by-side benchmarks.
//!
//! Builds the runners (release; the dev profile with `--smoke`), starts `codex-fake` on
//! loopback with the reply each workload needs, installs the Python original
//! (`bench/python/requirements.txt`) in a virtualenv under the target directory when it is
//! missing, and runs every pair interleaved (A B A B …). Each runner prints one JSON line;
//! the medians, min–max spreads and ratios are compared with the targets, written to
//! `docs/performance.md` (between the `bench:begin`/`bench:end` markers) and drawn in
//! `docs/performance/bench.svg`. The smoke run uses tiny sizes and one run, asserts no target,
//! and writes its report under the target directory instead of `docs/`.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use serde_json::Value;

use crate::{cargo, root};

/// How many times as often the runners that take about a second run as the others: workload
/// 1's three, and workload 3's ours and bare hyper. Their targets (1.5× and 1.10× of a
/// limit) are closer than this VM's run-to-run spread, and more runs steady the medians for
/// a few seconds each.
const FAST_RUNS_FACTOR: usize = 3;

/// What the run measures and how long it takes.
#[derive(Debug, Clone, Copy)]
struct Sizes {
    smoke: bool,
    runs: usize,
    sse_mb: u64,
    stream_deltas: u64,
    memory_deltas: u64,
    memory_delta_bytes: u64,
    short_n: u64,
    python_short_n: u64,
    concurrent_n: u64,
    compat_files: u64,
    compat_queries: u64,
    python_preload: u64,
    /// Files the Python original searches in workload 5: a prefix of the corpus, since it
    /// scans every file on every query and cannot finish one over all 10,000 (its time only
    /// grows with the files, so its figure is a lower bound).
    python_compat_files: u64,
    cold_n: u64,
}

impl Sizes {
    fn full(runs: usize) -> Sizes {
        Sizes {
            smoke: false,
            runs,
            sse_mb: 50,
            stream_deltas: 20_000,
            memory_deltas: 20_000,
            memory_delta_bytes: 5_000,
            short_n: 2_000,
            python_short_n: 200,
            concurrent_n: 1_000,
            compat_files: 10_000,
            compat_queries: 20,
            python_preload: 200,
            python_compat_files: 500,
            cold_n: 20,
        }
    }

    fn smoke() -> Sizes {
        Sizes {
            smoke: true,
            runs: 1,
            sse_mb: 1,
            stream_deltas: 200,
            memory_deltas: 200,
            memory_delta_bytes: 500,
            short_n: 20,
            python_short_n: 5,
            concurrent_n: 20,
            compat_files: 50,
            compat_queries: 5,
            python_preload: 20,
            python_compat_files: 50,
            cold_n: 2,
        }
    }
}

/// Entry point of `cargo xtask bench`.
pub(crate) fn bench(args: &[&str]) -> Result<(), String> {
    let mut sizes = Sizes::full(5);
    let mut only: Option<Vec<String>> = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match *arg {
            "--smoke" => sizes = Sizes { runs: 1, ..Sizes::smoke() },
            "--runs" => {
                let value = args.next().ok_or("--runs needs a number")?;
                sizes.runs = value.parse().map_err(|_| format!("--runs: not a number: {value}"))?;
                if sizes.runs == 0 {
                    return Err("--runs must be at least 1".to_owned());
                }
            }
            "--only" => {
                let value = args.next().ok_or("--only needs a list such as sse,short")?;
                only = Some(value.split(',').map(str::to_owned).collect());
            }
            other => {
                return Err(format!("bench: unknown argument {other:?} (--smoke, --runs N, --only LIST)"));
            }
        }
    }
    if !sizes.smoke && sizes.runs < 5 {
        eprintln!("bench: fewer than 5 runs: the medians are less trustworthy");
    }
    let started = Instant::now();
    let paths = Paths::new(sizes.smoke);
    build(sizes.smoke)?;
    let python = python_env(&paths);
    if let Err(reason) = &python {
        eprintln!("bench: the Python comparison is unavailable: {reason}");
    }
    let mut results = Results::default();
    let runner = Runner { paths: &paths, sizes, python: python.as_ref().ok().cloned() };
    let wanted = |name: &str| only.as_ref().is_none_or(|list| list.iter().any(|w| w == name));
    if wanted("sse") {
        runner.sse(&mut results);
    }
    if wanted("stream") {
        runner.stream(&mut results)?;
    }
    if wanted("short") {
        runner.short(&mut results)?;
    }
    if wanted("concurrent") {
        runner.concurrent(&mut results)?;
    }
    if wanted("compat") {
        runner.compat(&mut results)?;
    }
    if wanted("cold_start") {
        runner.cold_start(&mut results)?;
    }
    let rows = rows(&results, &sizes);
    let report = render(&rows, &sizes, python.as_ref().err(), started.elapsed().as_secs());
    let (doc, chart) = if sizes.smoke {
        let dir = paths.target.join("bench-smoke");
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        (dir.join("performance.md"), dir.join("bench.svg"))
    } else {
        (root().join("docs/performance.md"), root().join("docs/performance/bench.svg"))
    };
    write_report(&doc, &report)?;
    crate::chart::draw(&chart, &rows)?;
    let raw = paths.target.join(if sizes.smoke { "bench-smoke/results.json" } else { "bench-results.json" });
    std::fs::write(&raw, serde_json::to_string_pretty(&results.to_json()).expect("JSON"))
        .map_err(|e| format!("cannot write {}: {e}", raw.display()))?;
    println!("{report}");
    println!("bench: wrote {}, {} and {}", doc.display(), chart.display(), raw.display());
    let missing: Vec<&Row> = rows.iter().filter(|r| r.ours.is_none()).collect();
    if sizes.smoke && !missing.is_empty() {
        // The smoke run asserts no target, but every runner of ours must work.
        return Err(format!(
            "bench --smoke: {} of our runners failed: {}",
            missing.len(),
            missing.iter().map(|r| r.label.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    Ok(())
}

/// Where the binaries and the virtualenv are.
#[derive(Debug)]
struct Paths {
    target: PathBuf,
    bin: PathBuf,
}

impl Paths {
    fn new(smoke: bool) -> Paths {
        let target =
            std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from);
        let target = if target.is_absolute() { target } else { root().join(target) };
        let bin = target.join(if smoke { "debug" } else { "release" });
        Paths { target, bin }
    }

    fn exe(&self, name: &str) -> String {
        self.bin.join(name).display().to_string()
    }
}

fn build(smoke: bool) -> Result<(), String> {
    let mut command = cargo();
    command.args([
        "build",
        "--bins",
        "-p",
        "codex-testkit",
        "-p",
        "oauth-codex-bench",
        "-p",
        "oauth-codex-cli",
    ]);
    if !smoke {
        command.arg("--release");
    }
    // `cargo xtask` runs under `cargo run`, which sets the package's variables; build scripts
    // that watch them (ring's) would rebuild everything that CI's own build already built.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("CARGO_PKG_")
            || name.starts_with("CARGO_MANIFEST_")
            || matches!(&*name, "CARGO_CRATE_NAME" | "CARGO_BIN_NAME" | "CARGO_PRIMARY_PACKAGE" | "OUT_DIR")
        {
            command.env_remove(&*name);
        }
    }
    crate::run("build the bench binaries", command)
}

/// The virtualenv's Python, created and filled when missing.
fn python_env(paths: &Paths) -> Result<PathBuf, String> {
    let venv = paths.target.join("bench-venv");
    let python = venv.join("bin/python");
    let marker = venv.join(".requirements-installed");
    if python.is_file() && marker.is_file() {
        return Ok(python);
    }
    let requirements = root().join("bench/python/requirements.txt");
    if !requirements.is_file() {
        return Err(format!("{} is missing", requirements.display()));
    }
    if !python.is_file() {
        let mut command = Command::new("python3");
        command.arg("-m").arg("venv").arg(&venv);
        crate::run("python3 -m venv", command)?;
    }
    let mut pip = Command::new(venv.join("bin/pip"));
    pip.args(["install", "--disable-pip-version-check", "-q", "-r"]).arg(&requirements);
    crate::run("pip install -r bench/python/requirements.txt", pip)?;
    std::fs::write(&marker, "").map_err(|e| e.to_string())?;
    Ok(python)
}

/// A running `codex-fake`, stopped on drop.
struct Fake {
    child: Child,
    printed: HashMap<String, String>,
}

impl Fake {
    fn start(paths: &Paths, args: &[String]) -> Result<Fake, String> {
        let mut child = Command::new(paths.exe("codex-fake"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start codex-fake: {e}"))?;
        let stdout = child.stdout.take().ok_or("codex-fake has no stdout")?;
        let mut printed = HashMap::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.map_err(|e| e.to_string())?;
            if line == "ready" {
                return Ok(Fake { child, printed });
            }
            if let Some((key, value)) = line.split_once('=') {
                printed.insert(key.to_owned(), value.to_owned());
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        Err(format!("codex-fake {args:?} exited before it was ready"))
    }

    /// The runner arguments that point at this fake and carry its login.
    fn login(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (flag, key) in [
            ("--base-url", "codex_base_url"),
            ("--access-token", "access_token"),
            ("--refresh-token", "refresh_token"),
            ("--account-id", "account_id"),
        ] {
            out.push(flag.to_owned());
            out.push(self.printed.get(key).cloned().unwrap_or_default());
        }
        out
    }

    fn issuer(&self) -> Vec<String> {
        vec!["--issuer".to_owned(), self.printed.get("issuer").cloned().unwrap_or_default()]
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One implementation's runner command: the program and its arguments.
#[derive(Debug, Clone)]
struct Cmd {
    program: String,
    args: Vec<String>,
    /// How the command is shown in the report (no tokens).
    shown: String,
}

/// Runs a runner; its last stdout line is the JSON report.
fn run_once(cmd: &Cmd) -> Result<Value, String> {
    let output = Command::new(&cmd.program)
        .args(&cmd.args)
        .current_dir(root())
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot start {}: {e}", cmd.shown))?;
    if !output.status.success() {
        return Err(format!("`{}` failed ({})", cmd.shown, output.status));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().rev().find(|l| !l.trim().is_empty()).ok_or("no output")?;
    serde_json::from_str(line).map_err(|e| format!("`{}` printed no JSON line: {e}", cmd.shown))
}

/// Runs `oauth-codex-bench ARGS` under callgrind (`valgrind_args` first): the instructions it
/// counted ("Collected :") and the runner's JSON report.
fn callgrind(
    bench: &str,
    valgrind_args: &[&str],
    args: &[String],
    shown: &str,
) -> Result<(f64, Value), String> {
    let output = Command::new("valgrind")
        .args(["--tool=callgrind", "--callgrind-out-file=/dev/null"])
        .args(valgrind_args)
        .arg(bench)
        .args(args)
        .current_dir(root())
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot start valgrind (is it installed?): {e}"))?;
    if !output.status.success() {
        return Err(format!("`{shown}` failed ({})", output.status));
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let instructions: f64 = stderr
        .lines()
        .find_map(|line| line.split_once("Collected :").map(|(_, n)| n.trim().to_owned()))
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("`{shown}` printed no \"Collected :\" line"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: Value = stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .and_then(|l| serde_json::from_str(l).ok())
        .ok_or_else(|| format!("`{shown}` printed no JSON line"))?;
    Ok((instructions, report))
}

/// One workload-1 runner under callgrind, counting the instructions of its measured function
/// only (`--toggle-collect`) on a 4 MB stream: `instructions` and `instructions_per_event`.
fn callgrind_sse(bench: &str, implementation: &str) -> Result<(String, Value), String> {
    let toggle = format!("--toggle-collect=oauth_codex_bench::sse::run_{implementation}");
    let shown = format!(
        "valgrind --tool=callgrind {toggle} oauth-codex-bench sse --impl {implementation} --mb 4 --chunk 16384"
    );
    eprintln!("bench: {shown}");
    let args = strings(&["sse", "--impl", implementation, "--mb", "4", "--chunk", "16384"]);
    let (instructions, report) = callgrind(bench, &[&toggle], &args, &shown)?;
    let events =
        report.get("items").and_then(Value::as_f64).filter(|n| *n > 0.0).ok_or("no events counted")?;
    Ok((
        shown,
        serde_json::json!({"instructions": instructions, "items": events,
            "instructions_per_event": instructions / events}),
    ))
}

/// One workload-3 runner under callgrind, whole process (every thread: the recorder's writes
/// count), run with 100 and with 300 requests: the difference, over the requests it adds
/// (warm-ups included), is the cost of one request without the start-up.
fn callgrind_short(bench: &str, implementation: &str, login: &[String]) -> Result<(String, Value), String> {
    let shown =
        format!("valgrind --tool=callgrind oauth-codex-bench short --impl {implementation} --n 100|300 FAKE");
    eprintln!("bench: {shown}");
    // `timed_requests` warms up with n/20 requests, at least 5.
    let requests = |n: u64| n + n.div_ceil(20).max(5);
    let mut counted = Vec::new();
    for n in [100u64, 300] {
        let mut args = strings(&["short", "--impl", implementation, "--n", &n.to_string()]);
        args.extend(login.iter().cloned());
        counted.push(callgrind(bench, &[], &args, &shown)?.0);
    }
    let per_request = (counted[1] - counted[0]) / (requests(300) - requests(100)) as f64;
    Ok((shown, serde_json::json!({"instructions_per_request": per_request})))
}

/// The samples of one implementation (or why there are none).
#[derive(Debug, Clone)]
struct Samples {
    shown: String,
    values: Result<Vec<Value>, String>,
}

impl Samples {
    fn missing(shown: &str, reason: &str) -> Samples {
        Samples { shown: shown.to_owned(), values: Err(reason.to_owned()) }
    }
}

/// Runs the implementations interleaved (A B A B …), `runs[i]` times the `i`-th: each
/// round runs every implementation that has runs left. An implementation that fails once
/// is not run again.
fn interleaved(runs: &[usize], cmds: &[Option<&Cmd>]) -> Vec<Option<Vec<Value>>> {
    let mut out: Vec<Result<Vec<Value>, ()>> = cmds.iter().map(|_| Ok(Vec::new())).collect();
    for round in 0..runs.iter().copied().max().unwrap_or(0) {
        for (index, cmd) in cmds.iter().enumerate() {
            let (Some(cmd), Ok(values)) = (cmd, &mut out[index]) else { continue };
            let runs = runs[index];
            if round >= runs {
                continue;
            }
            eprintln!("bench: run {}/{runs}: {}", round + 1, cmd.shown);
            match run_once(cmd) {
                Ok(value) => values.push(value),
                Err(error) => {
                    eprintln!("bench: {error}");
                    out[index] = Err(());
                }
            }
        }
    }
    out.into_iter().zip(cmds).map(|(r, c)| c.and(r.ok())).collect()
}

/// Every sample, by workload and implementation.
#[derive(Debug, Default)]
struct Results {
    samples: Vec<(String, String, Samples)>,
}

impl Results {
    fn put(&mut self, workload: &str, implementation: &str, samples: Samples) {
        self.samples.push((workload.to_owned(), implementation.to_owned(), samples));
    }

    fn get(&self, workload: &str, implementation: &str) -> Option<&Samples> {
        self.samples.iter().find(|(w, i, _)| w == workload && i == implementation).map(|(_, _, s)| s)
    }

    fn to_json(&self) -> Value {
        Value::Array(
            self.samples
                .iter()
                .map(|(w, i, s)| {
                    serde_json::json!({"workload": w, "impl": i, "command": s.shown,
                        "runs": s.values.as_ref().map_or(Value::Null, |v| Value::Array(v.clone())),
                        "missing": s.values.as_ref().err()})
                })
                .collect(),
        )
    }
}

struct Runner<'a> {
    paths: &'a Paths,
    sizes: Sizes,
    python: Option<PathBuf>,
}

impl Runner<'_> {
    fn ours(&self, args: &[String]) -> Cmd {
        let shown = format!("oauth-codex-bench {}", shown_args(args));
        Cmd { program: self.paths.exe("oauth-codex-bench"), args: args.to_vec(), shown }
    }

    fn python_cmd(&self, script: &str, args: &[String]) -> Result<Cmd, String> {
        let python = self.python.as_ref().ok_or("the Python virtualenv is unavailable")?;
        let path = root().join("bench/python").join(script);
        if !path.is_file() {
            return Err(format!("bench/python/{script} is missing"));
        }
        let mut all = vec![path.display().to_string()];
        all.extend_from_slice(args);
        Ok(Cmd {
            program: python.display().to_string(),
            args: all,
            shown: format!("python bench/python/{script} {}", shown_args(args)),
        })
    }

    /// Runs up to three implementations interleaved, [`Sizes::runs`] times each, and records
    /// them.
    fn pair(&self, results: &mut Results, workload: &str, cmds: Vec<(&str, Result<Cmd, String>)>) {
        let runs = vec![self.sizes.runs; cmds.len()];
        self.pair_runs(results, workload, cmds, &runs);
    }

    /// [`Runner::pair`] with the number of runs of each implementation.
    fn pair_runs(
        &self,
        results: &mut Results,
        workload: &str,
        cmds: Vec<(&str, Result<Cmd, String>)>,
        runs: &[usize],
    ) {
        let refs: Vec<Option<&Cmd>> = cmds.iter().map(|(_, c)| c.as_ref().ok()).collect();
        let measured = interleaved(runs, &refs);
        for ((name, cmd), values) in cmds.iter().zip(measured) {
            let samples = match (cmd, values) {
                (Ok(cmd), Some(values)) => Samples { shown: cmd.shown.clone(), values: Ok(values) },
                (Ok(cmd), None) => Samples::missing(&cmd.shown, "the runner failed (see the log)"),
                (Err(reason), _) => Samples::missing(name, reason),
            };
            results.put(workload, name, samples);
        }
    }

    fn sse(&self, results: &mut Results) {
        let mb = self.sizes.sse_mb.to_string();
        let cmd = |implementation: &str| {
            Ok(self.ours(&strings(&["sse", "--impl", implementation, "--mb", &mb, "--chunk", "16384"])))
        };
        let fast = self.sizes.runs * FAST_RUNS_FACTOR;
        self.pair_runs(
            results,
            "sse",
            vec![("ours", cmd("ours")), ("eventsource", cmd("eventsource")), ("limit", cmd("limit"))],
            &[fast; 3],
        );
        // Instruction counts do not move with the machine's speed, which on a shared VM moves
        // by more than workload 1's margins: each runner once under callgrind, on 4 MB.
        if !self.sizes.smoke {
            for implementation in ["ours", "eventsource", "limit"] {
                let samples = match callgrind_sse(&self.paths.exe("oauth-codex-bench"), implementation) {
                    Ok((shown, value)) => Samples { shown, values: Ok(vec![value]) },
                    Err(reason) => {
                        eprintln!("bench: {reason}");
                        Samples::missing("valgrind --tool=callgrind", &reason)
                    }
                };
                results.put("sse-instructions", implementation, samples);
            }
        }
    }

    fn stream(&self, results: &mut Results) -> Result<(), String> {
        let deltas = self.sizes.stream_deltas.to_string();
        let fake = Fake::start(self.paths, &strings(&["--reply-deltas", &deltas, "--delta-bytes", "64"]))?;
        let mut ours = strings(&["stream"]);
        ours.extend(fake.login());
        let mut python = fake.login();
        python.extend(strings(&["--n", &deltas, "--delta-bytes", "64"]));
        let mut hyper = strings(&["stream", "--impl", "hyper"]);
        hyper.extend(fake.login());
        self.pair(
            results,
            "stream",
            vec![
                ("ours", Ok(self.ours(&ours))),
                ("python", self.python_cmd("stream.py", &python)),
                ("hyper", Ok(self.ours(&hyper))),
            ],
        );
        drop(fake);
        // Peak memory against response length: the same stream at 1/100 and at full length,
        // final events without the repeated text (one SSE event may not hold 100 MB).
        let mut cmds = Vec::new();
        let small_bytes = (self.sizes.memory_delta_bytes / 100).max(1).to_string();
        let large_bytes = self.sizes.memory_delta_bytes.to_string();
        let memory_deltas = self.sizes.memory_deltas.to_string();
        let small = Fake::start(
            self.paths,
            &strings(&["--reply-deltas", &memory_deltas, "--delta-bytes", &small_bytes, "--lean-final"]),
        )?;
        let large = Fake::start(
            self.paths,
            &strings(&["--reply-deltas", &memory_deltas, "--delta-bytes", &large_bytes, "--lean-final"]),
        )?;
        for (name, fake) in [("ours-small", &small), ("ours-large", &large)] {
            let mut args = strings(&["stream", "--no-warmup"]);
            args.extend(fake.login());
            cmds.push((name, Ok(self.ours(&args))));
        }
        self.pair(results, "stream_memory", cmds);
        Ok(())
    }

    fn short(&self, results: &mut Results) -> Result<(), String> {
        let fake = Fake::start(self.paths, &strings(&["--reply-deltas", "1", "--delta-bytes", "32"]))?;
        let n = self.sizes.short_n.to_string();
        let mut python = fake.login();
        python.extend(strings(&["--n", &self.sizes.python_short_n.to_string()]));
        // The Rust runners (ours, bare hyper, bare hyper reading the reply as workload 1's limit
        // does, and the SDK's transport alone, reading each event once, and with the mapping,
        // which split ours' time into its layers) run FAST_RUNS_FACTOR times as often; the
        // Python original takes a minute a run and is 80× off.
        let rust = ["ours", "hyper", "hyper-parse", "transport", "transport-read", "transport-map"];
        let mut cmds: Vec<(&str, Result<Cmd, String>)> = rust
            .iter()
            .map(|&implementation| {
                let mut args = strings(&["short", "--impl", implementation, "--n", &n]);
                args.extend(fake.login());
                (implementation, Ok(self.ours(&args)))
            })
            .collect();
        cmds.push(("python", self.python_cmd("short.py", &python)));
        let mut runs = vec![self.sizes.runs * FAST_RUNS_FACTOR; rust.len()];
        runs.push(self.sizes.runs);
        self.pair_runs(results, "short", cmds, &runs);
        // The time ratio moves with the fake's and the VM's speed; the instructions a request
        // costs the client do not.
        if !self.sizes.smoke {
            for implementation in ["ours", "hyper", "transport", "transport-read", "transport-map"] {
                let samples = match callgrind_short(
                    &self.paths.exe("oauth-codex-bench"),
                    implementation,
                    &fake.login(),
                ) {
                    Ok((shown, value)) => Samples { shown, values: Ok(vec![value]) },
                    Err(reason) => {
                        eprintln!("bench: {reason}");
                        Samples::missing("valgrind --tool=callgrind", &reason)
                    }
                };
                results.put("short-instructions", implementation, samples);
            }
        }
        Ok(())
    }

    fn concurrent(&self, results: &mut Results) -> Result<(), String> {
        let fake = Fake::start(
            self.paths,
            &strings(&["--reply-deltas", "20", "--delta-bytes", "64", "--pace-ms", "5"]),
        )?;
        let mut args = strings(&["concurrent", "--n", &self.sizes.concurrent_n.to_string()]);
        args.extend(fake.login());
        self.pair(results, "concurrent", vec![("ours", Ok(self.ours(&args)))]);
        Ok(())
    }

    fn compat(&self, results: &mut Results) -> Result<(), String> {
        let corpus = self.paths.target.join(format!("bench-corpus-{}", self.sizes.compat_files));
        let files = self.sizes.compat_files.to_string();
        let queries = self.sizes.compat_queries.to_string();
        let compat_bench = self.paths.exe("compat-bench");
        if !Path::new(&compat_bench).is_file() {
            results.put(
                "compat",
                "ours",
                Samples::missing("compat-bench", "the compat-bench runner is not built"),
            );
            results.put("compat", "python", Samples::missing("local_store.py", "no corpus"));
            return Ok(());
        }
        if !corpus.join("queries.txt").is_file() {
            let mut command = Command::new(&compat_bench);
            command.arg("gen-corpus").arg(&corpus).args(["--files", &files]);
            crate::run("compat-bench gen-corpus", command)?;
        }
        let corpus_arg = corpus.display().to_string();
        let ours = Cmd {
            program: compat_bench,
            args: strings(&["run", "--corpus", &corpus_arg, "--files", &files, "--queries", &queries]),
            shown: format!("compat-bench run --corpus CORPUS --files {files} --queries {queries}"),
        };
        let preload = self.sizes.python_preload.to_string();
        let python_files = self.sizes.python_compat_files.min(self.sizes.compat_files).to_string();
        let python = self.python_cmd(
            "local_store.py",
            &strings(&[
                "--corpus",
                &corpus_arg,
                "--files",
                &python_files,
                "--queries",
                &queries,
                "--preload",
                &preload,
            ]),
        );
        let python = python.map(|mut cmd| {
            cmd.shown = format!(
                "python bench/python/local_store.py --corpus CORPUS --files {python_files} --queries {queries} --preload {preload}"
            );
            cmd
        });
        self.pair(results, "compat", vec![("ours", Ok(ours)), ("python", python)]);
        Ok(())
    }

    fn cold_start(&self, results: &mut Results) -> Result<(), String> {
        let fake = Fake::start(self.paths, &[])?;
        let mut args = strings(&[
            "cold-start",
            "--cli",
            &self.paths.exe("oauth-codex"),
            "--n",
            &self.sizes.cold_n.to_string(),
        ]);
        args.extend(fake.login());
        args.extend(fake.issuer());
        let mut cmd = self.ours(&args);
        cmd.shown = format!("oauth-codex-bench cold-start --cli oauth-codex --n {} FAKE", self.sizes.cold_n);
        self.pair(results, "cold_start", vec![("ours", Ok(cmd))]);
        Ok(())
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// The runner arguments as shown in the report: the fake's login replaced by `FAKE`.
fn shown_args(args: &[String]) -> String {
    let mut out = Vec::new();
    let mut skip = false;
    let mut fake = false;
    for arg in args {
        if skip {
            skip = false;
            continue;
        }
        if matches!(
            arg.as_str(),
            "--base-url" | "--access-token" | "--refresh-token" | "--account-id" | "--issuer"
        ) {
            skip = true;
            fake = true;
            continue;
        }
        out.push(arg.clone());
    }
    if fake {
        out.push("FAKE".to_owned());
    }
    out.join(" ")
}

/// Median, min and max of a set of numbers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stat {
    pub(crate) median: f64,
    pub(crate) min: f64,
    pub(crate) max: f64,
}

fn stat(values: &[f64]) -> Option<Stat> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    let median = if sorted.len() % 2 == 1 { sorted[mid] } else { (sorted[mid - 1] + sorted[mid]) / 2.0 };
    Some(Stat { median, min: sorted[0], max: sorted[sorted.len() - 1] })
}

/// How a row's figure is judged.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Target {
    /// The ratio must be at least this.
    RatioAtLeast(f64),
    /// The ratio must be at most this.
    RatioAtMost(f64),
    /// Our figure must be below this.
    Below(f64),
    /// Our figure must be at most this.
    AtMost(f64),
    /// Our figure must equal this.
    Equals(f64),
    /// No target: a reference figure that explains another row (such as the floor a target
    /// is measured against).
    Context,
}

/// One line of the table.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub(crate) label: String,
    metric: String,
    unit: &'static str,
    pub(crate) ours: Option<Stat>,
    comparison_name: String,
    comparison: Option<Stat>,
    /// comparison / ours or ours / comparison, as the target reads it.
    pub(crate) ratio: Option<f64>,
    ratio_text: &'static str,
    limit: String,
    pub(crate) target: Target,
    command: String,
    missing: Option<String>,
}

impl Row {
    /// How far past (> 1) or short of (< 1) its target the row is.
    pub(crate) fn headroom(&self) -> Option<f64> {
        match self.target {
            Target::RatioAtLeast(t) => self.ratio.map(|r| r / t),
            Target::RatioAtMost(t) => self.ratio.map(|r| t / r),
            Target::Below(t) | Target::AtMost(t) => self.ours.map(|o| t / o.median),
            Target::Equals(t) => self.ours.map(|o| if o.median == t { 1.0 } else { 0.5 }),
            Target::Context => None,
        }
    }

    fn met(&self) -> Option<bool> {
        match self.target {
            Target::RatioAtLeast(t) => self.ratio.map(|r| r >= t),
            Target::RatioAtMost(t) => self.ratio.map(|r| r <= t),
            Target::Below(t) => self.ours.map(|o| o.median < t),
            Target::AtMost(t) => self.ours.map(|o| o.median <= t),
            Target::Equals(t) => self.ours.map(|o| o.median == t),
            Target::Context => None,
        }
    }

    fn target_text(&self) -> String {
        match self.target {
            Target::RatioAtLeast(t) => format!("{} ≥ {t}×", self.ratio_text),
            Target::RatioAtMost(t) => format!("{} ≤ {t}×", self.ratio_text),
            Target::Below(t) => format!("< {} {}", number(t), self.unit),
            Target::AtMost(t) => format!("≤ {} {}", number(t), self.unit),
            Target::Equals(t) => format!("= {}", number(t)),
            Target::Context => format!("none ({})", self.ratio_text),
        }
    }
}

/// A metric of a runner's JSON line.
fn metric(
    results: &Results,
    workload: &str,
    implementation: &str,
    f: impl Fn(&Value) -> Option<f64>,
) -> (Option<Stat>, String, Option<String>) {
    match results.get(workload, implementation) {
        None => (None, String::new(), Some("not run".to_owned())),
        Some(samples) => match &samples.values {
            Err(reason) => (None, samples.shown.clone(), Some(reason.clone())),
            Ok(values) => {
                let numbers: Vec<f64> = values.iter().filter_map(&f).collect();
                (stat(&numbers), samples.shown.clone(), None)
            }
        },
    }
}

fn field(name: &'static str) -> impl Fn(&Value) -> Option<f64> {
    move |v| v.get(name).and_then(Value::as_f64)
}

fn per_item_us(v: &Value) -> Option<f64> {
    Some(v.get("wall_s")?.as_f64()? / v.get("items")?.as_f64()? * 1e6)
}

/// The measured section's CPU time (every thread of the runner's process) per item, in µs.
fn per_item_cpu_us(v: &Value) -> Option<f64> {
    Some(v.get("cpu_s")?.as_f64()? / v.get("items")?.as_f64()? * 1e6)
}

fn kb_to_mib(name: &'static str) -> impl Fn(&Value) -> Option<f64> {
    move |v| Some(v.get(name)?.as_f64()? / 1024.0)
}

struct RowSpec<'a> {
    label: &'a str,
    metric: &'a str,
    unit: &'static str,
    workload: &'a str,
    ours: &'a str,
    comparison: Option<&'a str>,
    comparison_name: &'a str,
    ratio_text: &'static str,
    /// true: ratio = comparison / ours; false: ratio = ours / comparison.
    comparison_over_ours: bool,
    is_limit: bool,
    target: Target,
}

fn row(results: &Results, spec: RowSpec<'_>, f: &dyn Fn(&Value) -> Option<f64>) -> Row {
    let (ours, command, missing_ours) = metric(results, spec.workload, spec.ours, f);
    let (comparison, comparison_command, missing_comparison) = match spec.comparison {
        Some(name) => metric(results, spec.workload, name, f),
        None => (None, String::new(), None),
    };
    let ratio = match (ours, comparison) {
        (Some(o), Some(c)) if spec.comparison_over_ours => Some(c.median / o.median),
        (Some(o), Some(c)) => Some(o.median / c.median),
        _ => None,
    };
    let mut commands = command;
    if !comparison_command.is_empty() {
        commands = format!("{commands}; {comparison_command}");
    }
    let missing = match (missing_ours, missing_comparison) {
        (Some(a), _) => Some(format!("ours: {a}")),
        (None, Some(b)) => Some(format!("{}: {b}", spec.comparison_name)),
        _ => None,
    };
    Row {
        label: spec.label.to_owned(),
        metric: spec.metric.to_owned(),
        unit: spec.unit,
        ours,
        comparison_name: spec.comparison_name.to_owned(),
        comparison,
        ratio,
        ratio_text: spec.ratio_text,
        limit: if spec.is_limit { spec.comparison_name.to_owned() } else { "—".to_owned() },
        target: spec.target,
        command: commands,
        missing,
    }
}

fn rows(results: &Results, sizes: &Sizes) -> Vec<Row> {
    let base = |label, metric, unit, workload, comparison, comparison_name, target| RowSpec {
        label,
        metric,
        unit,
        workload,
        ours: "ours",
        comparison,
        comparison_name,
        ratio_text: "",
        comparison_over_ours: true,
        is_limit: false,
        target,
    };
    let mut out = Vec::with_capacity(16);
    let python_search = if sizes.python_compat_files < sizes.compat_files {
        format!(
            "Python 0.5.0 local store on the first {} files (a lower bound: it scans every file per query)",
            sizes.python_compat_files
        )
    } else {
        "Python 0.5.0 local store".to_owned()
    };
    out.push(row(
        results,
        RowSpec {
            ratio_text: "ours/theirs",
            comparison_over_ours: false,
            ..base(
                "1 SSE decode + map",
                "M events/s",
                "M/s",
                "sse",
                Some("eventsource"),
                "eventsource-stream + serde_json::Value",
                Target::RatioAtLeast(2.5),
            )
        },
        &|v| Some(field("events_per_s")(v)? / 1e6),
    ));
    out.push(row(
        results,
        RowSpec {
            ratio_text: "limit/ours",
            is_limit: true,
            ..base(
                "1 SSE decode + map",
                "M events/s",
                "M/s",
                "sse",
                Some("limit"),
                "memchr + borrowing serde (limit)",
                Target::RatioAtMost(1.5),
            )
        },
        &|v| Some(field("events_per_s")(v)? / 1e6),
    ));
    if !sizes.smoke {
        for (comparison, name, ratio_text, comparison_over_ours) in [
            ("eventsource", "eventsource-stream + serde_json::Value", "theirs/ours", true),
            ("limit", "memchr + borrowing serde (limit)", "ours/limit", false),
        ] {
            out.push(row(
                results,
                RowSpec {
                    ratio_text,
                    comparison_over_ours,
                    is_limit: comparison == "limit",
                    ..base(
                        "1 SSE decode + map, 4 MB under callgrind",
                        "instructions/event",
                        "",
                        "sse-instructions",
                        Some(comparison),
                        name,
                        Target::Context,
                    )
                },
                &field("instructions_per_event"),
            ));
        }
    }
    out.push(row(
        results,
        RowSpec {
            ratio_text: "theirs/ours",
            ..base(
                "2 stream 20,000 deltas",
                "CPU s",
                "s",
                "stream",
                Some("python"),
                "Python oauth-codex 0.5.0",
                Target::RatioAtLeast(20.0),
            )
        },
        &field("cpu_s"),
    ));
    out.push(row(
        results,
        RowSpec {
            ratio_text: "ours/floor",
            comparison_over_ours: false,
            is_limit: true,
            ..base(
                "2 stream 20,000 deltas",
                "CPU s",
                "s",
                "stream",
                Some("hyper"),
                "bare hyper reading the body, no decoding (floor)",
                Target::Context,
            )
        },
        &field("cpu_s"),
    ));
    let memory_label = if sizes.smoke { "2 peak RSS, long response" } else { "2 peak RSS, 100 MB response" };
    out.push(row(
        results,
        RowSpec {
            ours: "ours-large",
            ratio_text: "large/small",
            comparison_over_ours: false,
            ..base(
                memory_label,
                "MiB",
                "MiB",
                "stream_memory",
                Some("ours-small"),
                "ours, 1/100 of the length",
                Target::Below(32.0),
            )
        },
        &kb_to_mib("max_rss_kb"),
    ));
    out.push(row(
        results,
        RowSpec {
            ratio_text: "ours/limit",
            comparison_over_ours: false,
            is_limit: true,
            ..base(
                "3 short requests",
                "µs/request",
                "µs",
                "short",
                Some("hyper"),
                "bare hyper, pooled (limit)",
                Target::RatioAtMost(1.10),
            )
        },
        &per_item_us,
    ));
    // The client's CPU time moves less from run to run than the wall-clock time, which also
    // holds the fake's time and the scheduling between the two processes.
    out.push(row(
        results,
        RowSpec {
            ratio_text: "ours/limit",
            comparison_over_ours: false,
            ..base(
                "3 short requests, the client's CPU time (every thread)",
                "CPU µs/request",
                "µs",
                "short",
                Some("hyper"),
                "bare hyper, pooled (limit)",
                Target::Context,
            )
        },
        &per_item_cpu_us,
    ));
    if !sizes.smoke {
        for (ours, label, is_limit) in [
            ("ours", "3 short requests under callgrind (whole client process)", true),
            ("transport", "3 short requests under callgrind, the transport alone", false),
            (
                "transport-read",
                "3 short requests under callgrind, the transport reading each event once",
                false,
            ),
            ("transport-map", "3 short requests under callgrind, the transport with the mapping", false),
        ] {
            out.push(row(
                results,
                RowSpec {
                    ours,
                    ratio_text: "ours/limit",
                    comparison_over_ours: false,
                    is_limit,
                    ..base(
                        label,
                        "instructions/request",
                        "",
                        "short-instructions",
                        Some("hyper"),
                        "bare hyper, pooled (limit)",
                        Target::Context,
                    )
                },
                &field("instructions_per_request"),
            ));
        }
    }
    out.push(row(
        results,
        RowSpec {
            ratio_text: "theirs/ours",
            ..base(
                "3 short requests",
                "µs/request",
                "µs",
                "short",
                Some("python"),
                "Python oauth-codex 0.5.0",
                Target::RatioAtLeast(200.0),
            )
        },
        &per_item_us,
    ));
    for (ours, label, ratio_text) in [
        (
            "transport",
            "3 short requests, the SDK's transport alone (SSE frames read, no mapping, no facade)",
            "transport/limit",
        ),
        (
            "transport-read",
            "3 short requests, the transport reading each event once, the done items and the final response's fields typed (the least create must read)",
            "transport+read/limit",
        ),
        (
            "transport-map",
            "3 short requests, the transport with the mapping to v1 events and the response folded (create without the facade)",
            "transport+map/limit",
        ),
        (
            "hyper-parse",
            "3 short requests, bare hyper that also reads the reply as workload 1's limit does",
            "parse/limit: what reading the reply costs at the least",
        ),
    ] {
        out.push(row(
            results,
            RowSpec {
                ours,
                ratio_text,
                comparison_over_ours: false,
                ..base(
                    label,
                    "µs/request",
                    "µs",
                    "short",
                    Some("hyper"),
                    "bare hyper, pooled (limit)",
                    Target::Context,
                )
            },
            &per_item_us,
        ));
    }
    out.push(row(
        results,
        RowSpec {
            ours: "hyper",
            ratio_text: "theirs/limit: the most any client reaches here",
            ..base(
                "3 short requests, the limit itself",
                "µs/request",
                "µs",
                "short",
                Some("python"),
                "Python oauth-codex 0.5.0",
                Target::Context,
            )
        },
        &per_item_us,
    ));
    out.push(row(
        results,
        base(
            "4 concurrent streams",
            "KiB RSS per open stream",
            "KiB",
            "concurrent",
            None,
            "—",
            Target::AtMost(64.0),
        ),
        &field("rss_per_stream_kb"),
    ));
    out.push(row(
        results,
        base("4 concurrent streams", "streams failed", "", "concurrent", None, "—", Target::Equals(0.0)),
        &field("errors"),
    ));
    out.push(row(
        results,
        RowSpec {
            ratio_text: "theirs/ours",
            ..base(
                "5 vector-store search",
                "p50 ms",
                "ms",
                "compat",
                Some("python"),
                &python_search,
                Target::RatioAtLeast(100.0),
            )
        },
        &field("p50_ms"),
    ));
    out.push(row(
        results,
        base("5 vector-store search", "p50 ms", "ms", "compat", None, "—", Target::Below(5.0)),
        &field("p50_ms"),
    ));
    out.push(row(
        results,
        RowSpec {
            ratio_text: "ours/theirs",
            comparison_over_ours: false,
            ..base(
                "5 files.create",
                "files/s",
                "files/s",
                "compat",
                Some("python"),
                "Python 0.5.0 local store",
                Target::RatioAtLeast(1.0),
            )
        },
        &field("files_per_s"),
    ));
    out.push(row(
        results,
        base("6 CLI cold start (`status`)", "median ms", "ms", "cold_start", None, "—", Target::Below(20.0)),
        &field("p50_ms"),
    ));
    out
}

fn number(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude >= 100.0 {
        format!("{value:.0}")
    } else if magnitude >= 10.0 {
        format!("{value:.1}")
    } else if magnitude >= 1.0 {
        format!("{value:.2}")
    } else {
        format!("{value:.3}")
    }
}

fn stat_text(stat: Option<Stat>) -> String {
    match stat {
        None => "missing".to_owned(),
        Some(s) => format!("{} ({}–{})", number(s.median), number(s.min), number(s.max)),
    }
}

fn render(rows: &[Row], sizes: &Sizes, python_missing: Option<&String>, seconds: u64) -> String {
    let mut out = String::new();
    let mode = if sizes.smoke { "cargo xtask bench --smoke" } else { "cargo xtask bench" };
    out.push_str(&format!(
        "Produced by `{mode}` ({} run{} of each implementation, interleaved, and {} of workload \
         1's runners and workload 3's six Rust runners; median and min–max; the whole run took \
         {} min). Ratios are taken between medians.\n\n",
        sizes.runs,
        if sizes.runs == 1 { "" } else { "s" },
        sizes.runs * FAST_RUNS_FACTOR,
        seconds.div_ceil(60)
    ));
    if let Some(reason) = python_missing {
        out.push_str(&format!("The Python comparison could not run: {reason}.\n\n"));
    }
    out.push_str("| workload | metric | ours | comparison | ratio | limit | target | met? | command |\n");
    out.push_str("|---|---|---:|---|---:|---|---|---|---|\n");
    for row in rows {
        let comparison = match (&row.comparison, row.comparison_name.as_str()) {
            (_, "—") => "—".to_owned(),
            (stat, name) => format!("{name}: {}", stat_text(*stat)),
        };
        let ratio = row.ratio.map_or("—".to_owned(), |r| format!("{}×", number(r)));
        let met = match (row.met(), &row.missing) {
            (None, None) if matches!(row.target, Target::Context) => "—".to_owned(),
            (Some(true), _) => "yes".to_owned(),
            (Some(false), _) => "**no**".to_owned(),
            (None, Some(reason)) => format!("missing ({reason})"),
            (None, None) => "missing".to_owned(),
        };
        let met = if sizes.smoke { format!("{met} (smoke: not asserted)") } else { met };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | `{}` |\n",
            row.label,
            row.metric,
            stat_text(row.ours),
            comparison,
            ratio,
            row.limit,
            row.target_text(),
            met,
            row.command.replace('|', "\\|")
        ));
    }
    out
}

const BEGIN: &str =
    "<!-- bench:begin (generated by `cargo xtask bench`; edits between the markers are overwritten) -->";
const END: &str = "<!-- bench:end -->";

/// Replaces the generated block of the document (or writes a document holding only it).
fn write_report(path: &Path, report: &str) -> Result<(), String> {
    let current = std::fs::read_to_string(path).unwrap_or_default();
    let block = format!("{BEGIN}\n{report}{END}");
    let updated = match (current.find("<!-- bench:begin"), current.find(END)) {
        (Some(start), Some(end)) if end > start => {
            format!("{}{block}{}", &current[..start], &current[end + END.len()..])
        }
        _ if current.is_empty() => format!("# Benchmarks\n\n{block}\n"),
        _ => format!("{current}\n{block}\n"),
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(path, updated).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_spreads() {
        let s = stat(&[3.0, 1.0, 2.0]).unwrap();
        assert_eq!((s.median, s.min, s.max), (2.0, 1.0, 3.0));
        let s = stat(&[4.0, 1.0, 2.0, 3.0]).unwrap();
        assert_eq!(s.median, 2.5);
        assert!(stat(&[]).is_none());
        assert!(stat(&[f64::NAN]).is_none());
    }

    #[test]
    fn the_fake_login_is_never_shown() {
        let args = strings(&[
            "short",
            "--base-url",
            "http://127.0.0.1:1/x",
            "--access-token",
            "secret-a",
            "--n",
            "5",
        ]);
        let shown = shown_args(&args);
        assert_eq!(shown, "short --n 5 FAKE");
        assert!(!shown.contains("secret"));
    }

    #[test]
    fn rows_compare_medians_and_report_missing_sides() {
        let mut results = Results::default();
        let run = |wall: f64, items: u64| serde_json::json!({"wall_s": wall, "items": items});
        results.put(
            "short",
            "ours",
            Samples { shown: "a".into(), values: Ok(vec![run(1.0, 1000), run(1.2, 1000), run(0.9, 1000)]) },
        );
        results.put("short", "hyper", Samples { shown: "b".into(), values: Ok(vec![run(0.95, 1000)]) });
        results.put("short", "python", Samples::missing("python", "bench/python/short.py is missing"));
        let rows = rows(&results, &Sizes::full(3));
        let limit = rows.iter().find(|r| r.label == "3 short requests" && r.limit != "—").unwrap();
        assert!((limit.ratio.unwrap() - 1000.0 / 950.0).abs() < 1e-9);
        assert_eq!(limit.met(), Some(true));
        let python = rows.iter().find(|r| r.label == "3 short requests" && r.limit == "—").unwrap();
        assert!(python.ratio.is_none());
        assert!(python.missing.as_deref().unwrap().contains("short.py is missing"));
        assert_eq!(python.met(), None);
        let table = render(&rows, &Sizes::full(3), None, 60);
        assert!(
            table.contains("missing (Python oauth-codex 0.5.0: bench/python/short.py is missing)"),
            "{table}"
        );
    }

    #[test]
    fn context_rows_show_a_ratio_but_no_verdict() {
        let mut results = Results::default();
        let cpu = |s: f64| serde_json::json!({"cpu_s": s, "wall_s": s, "items": 1});
        results.put("stream", "ours", Samples { shown: "a".into(), values: Ok(vec![cpu(0.09)]) });
        results.put("stream", "hyper", Samples { shown: "b".into(), values: Ok(vec![cpu(0.03)]) });
        let rows = rows(&results, &Sizes::full(3));
        let floor =
            rows.iter().find(|r| matches!(r.target, Target::Context) && r.label.starts_with("2 ")).unwrap();
        assert!((floor.ratio.unwrap() - 3.0).abs() < 1e-9);
        assert_eq!((floor.met(), floor.headroom()), (None, None));
        let table = render(&rows, &Sizes::full(3), None, 60);
        let line = table.lines().find(|l| l.contains("(floor)")).unwrap();
        assert!(line.contains("| none (ours/floor) | — |"), "{line}");
    }

    #[test]
    fn instruction_rows_compare_per_event_counts_in_the_right_direction() {
        let mut results = Results::default();
        let count = |per_event: f64| serde_json::json!({"instructions_per_event": per_event});
        for (name, per_event) in [("ours", 7000.0), ("eventsource", 35000.0), ("limit", 3500.0)] {
            let samples = Samples { shown: name.into(), values: Ok(vec![count(per_event)]) };
            results.put("sse-instructions", name, samples);
        }
        let per_request = |n: f64| serde_json::json!({"instructions_per_request": n});
        for (name, n) in [
            ("ours", 300_000.0),
            ("hyper", 100_000.0),
            ("transport", 120_000.0),
            ("transport-read", 150_000.0),
            ("transport-map", 200_000.0),
        ] {
            results.put(
                "short-instructions",
                name,
                Samples { shown: name.into(), values: Ok(vec![per_request(n)]) },
            );
        }
        let rows = rows(&results, &Sizes::full(3));
        let counted: Vec<&Row> = rows.iter().filter(|r| r.label.contains("callgrind")).collect();
        assert_eq!(counted.len(), 6);
        assert!((counted[0].ratio.unwrap() - 5.0).abs() < 1e-9, "eventsource/ours");
        assert!((counted[1].ratio.unwrap() - 2.0).abs() < 1e-9, "ours/limit");
        assert!((counted[2].ratio.unwrap() - 3.0).abs() < 1e-9, "ours/bare hyper, per request");
        // The layers of ours, each against bare hyper.
        assert!((counted[3].ratio.unwrap() - 1.2).abs() < 1e-9, "transport/bare hyper");
        assert!((counted[4].ratio.unwrap() - 1.5).abs() < 1e-9, "transport+read/bare hyper");
        assert!((counted[5].ratio.unwrap() - 2.0).abs() < 1e-9, "transport+map/bare hyper");
        assert!(counted.iter().all(|r| r.met().is_none()));
        // The smoke run does not count instructions.
        assert!(!super::rows(&results, &Sizes::smoke()).iter().any(|r| r.label.contains("callgrind")));
    }

    #[test]
    fn short_rows_give_time_and_cpu_per_request_against_bare_hyper() {
        let mut results = Results::default();
        let run =
            |wall_s: f64, cpu_s: f64| serde_json::json!({"wall_s": wall_s, "cpu_s": cpu_s, "items": 2000});
        for (name, wall_s, cpu_s) in [
            ("ours", 0.6, 0.24),
            ("hyper", 0.5, 0.16),
            ("transport", 0.52, 0.18),
            ("transport-read", 0.55, 0.2),
        ] {
            results.put("short", name, Samples { shown: name.into(), values: Ok(vec![run(wall_s, cpu_s)]) });
        }
        let rows = rows(&results, &Sizes::full(3));
        let find = |label: &str| rows.iter().find(|r| r.label.starts_with(label)).unwrap();
        let time = find("3 short requests");
        assert!((time.ratio.unwrap() - 1.2).abs() < 1e-9, "ours/bare hyper, wall time");
        assert_eq!(time.met(), Some(false));
        let cpu = find("3 short requests, the client's CPU time");
        assert!((cpu.ratio.unwrap() - 1.5).abs() < 1e-9, "ours/bare hyper, CPU time");
        assert!(cpu.met().is_none(), "context, no verdict");
        let read = find("3 short requests, the transport reading each event once");
        assert!((read.ratio.unwrap() - 1.1).abs() < 1e-9, "transport-read/bare hyper, wall time");
    }

    #[test]
    fn the_generated_block_is_replaced_in_place() {
        let dir = tempfile_dir();
        let path = dir.join("perf.md");
        std::fs::write(&path, format!("# P\n\nbefore\n\n{BEGIN}\nold\n{END}\n\nafter\n")).unwrap();
        write_report(&path, "new\n").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, format!("# P\n\nbefore\n\n{BEGIN}\nnew\n{END}\n\nafter\n"));
        std::fs::remove_dir_all(dir).unwrap();
    }

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-bench-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
