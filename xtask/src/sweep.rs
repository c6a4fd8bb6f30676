//! `cargo xtask sweep [CARGO TEST ARGS…]`: the secret sweep.
//!
//! Runs the test suite with `OAUTH_CODEX_SECRET_SWEEP` pointing at `target/secret-sweep/`.
//! There, every test process that starts one of codex-testkit's fakes records the secrets the
//! fakes mint or receive (access, refresh and id tokens, authorization codes, PKCE verifiers),
//! everything traced at TRACE level, every panic message, and what the fixtures capture (hook
//! payloads, errors' `Display` and `Debug`); the test run's own output is saved beside them.
//! The sweep then searches every captured file for every secret, and for the payload part of
//! each JWT (its header and signature are the same for every fake token). A leak is reported
//! by file, line and kind of secret, never by its value.
//!
//! The sweep refuses to pass vacuously: too few secrets recorded, no trace text below INFO, or
//! no hook payload captured is a failure too.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

/// The variable codex-testkit reads (`codex_testkit::sweep::ENV`).
const ENV: &str = "OAUTH_CODEX_SECRET_SWEEP";

/// The kind of a JWT a test built itself; any other kind recorded for it wins.
const GENERIC_KIND: &str = "token";

/// Shorter strings are not searched for (codex-testkit records none).
const MIN_SECRET_LEN: usize = 16;

/// Kinds that must each have been recorded at least once for the sweep to mean something.
const REQUIRED_KINDS: [&str; 5] =
    ["access_token", "refresh_token", "id_token", "authorization_code", "code_verifier"];

/// What a complete sweep must have seen, at the least.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Minimums {
    /// Distinct secrets recorded.
    pub(crate) secrets: usize,
    /// Kinds that each need one secret.
    pub(crate) kinds: Vec<String>,
    /// Trace lines at DEBUG or TRACE level (proof the subscriber listened below INFO).
    pub(crate) verbose_trace_lines: usize,
    /// Hook payloads captured.
    pub(crate) hook_lines: usize,
}

impl Minimums {
    /// What the whole workspace suite must produce.
    pub(crate) fn whole_suite() -> Minimums {
        Minimums {
            secrets: 50,
            kinds: REQUIRED_KINDS.iter().map(|k| (*k).to_owned()).collect(),
            verbose_trace_lines: 20,
            hook_lines: 20,
        }
    }
}

/// One searched-for string.
#[derive(Debug, Clone)]
struct Needle {
    bytes: Vec<u8>,
    /// `refresh_token`, `access_token (JWT payload)`, …
    label: String,
}

/// The secrets recorded in a sweep directory.
#[derive(Debug, Default)]
pub(crate) struct Secrets {
    needles: Vec<Needle>,
    /// Distinct secrets per kind.
    pub(crate) per_kind: BTreeMap<String, usize>,
    /// How many `secrets-*.txt` files (processes) recorded some.
    pub(crate) processes: usize,
}

impl Secrets {
    /// Reads every `secrets-*.txt` in `dir`. A secret recorded twice counts once, under its
    /// more specific kind (`access_token` rather than `token`, the kind of any JWT a test built).
    pub(crate) fn load(dir: &Path) -> Result<Secrets, String> {
        let mut secrets = Secrets::default();
        let mut order: Vec<Vec<u8>> = Vec::new();
        let mut kinds: HashMap<Vec<u8>, String> = HashMap::new();
        for path in files(dir)? {
            let name = file_name(&path);
            if !(name.starts_with("secrets-") && name.ends_with(".txt")) {
                continue;
            }
            secrets.processes += 1;
            let text = std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            for line in text.split(|b| *b == b'\n') {
                let Some(tab) = line.iter().position(|b| *b == b'\t') else { continue };
                let (kind, secret) = (String::from_utf8_lossy(&line[..tab]).into_owned(), &line[tab + 1..]);
                if secret.len() < MIN_SECRET_LEN {
                    continue;
                }
                match kinds.get_mut(secret) {
                    None => {
                        order.push(secret.to_vec());
                        kinds.insert(secret.to_vec(), kind);
                    }
                    Some(known) if known == GENERIC_KIND => *known = kind,
                    Some(_) => {}
                }
            }
        }
        for secret in order {
            let kind = &kinds[&secret];
            *secrets.per_kind.entry(kind.clone()).or_default() += 1;
            secrets.add(&secret, kind);
        }
        Ok(secrets)
    }

    /// Adds a secret, and the payload part of a JWT, to search for.
    fn add(&mut self, secret: &[u8], kind: &str) {
        self.needles.push(Needle { bytes: secret.to_vec(), label: kind.to_owned() });
        let parts: Vec<&[u8]> = secret.split(|b| *b == b'.').collect();
        if parts.len() == 3 && parts[0].starts_with(b"eyJ") && parts[1].len() >= MIN_SECRET_LEN {
            self.needles.push(Needle { bytes: parts[1].to_vec(), label: format!("{kind} (JWT payload)") });
        }
    }

    /// Distinct secrets recorded.
    pub(crate) fn count(&self) -> usize {
        self.per_kind.values().sum()
    }
}

/// Finds any of many needles in a line: an index on each needle's first 8 bytes, checked at
/// every position behind a bit filter, so the cost is linear in the text, not in the needles.
struct Matcher<'a> {
    needles: &'a [Needle],
    by_prefix: HashMap<u64, Vec<usize>>,
    filter: Vec<u64>,
}

const FILTER_BITS: u32 = 20;

fn prefix_key(bytes: &[u8]) -> u64 {
    let mut key = [0u8; 8];
    key.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(key)
}

fn filter_slot(key: u64) -> usize {
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - FILTER_BITS)) as usize
}

impl<'a> Matcher<'a> {
    fn new(needles: &'a [Needle]) -> Matcher<'a> {
        let mut by_prefix: HashMap<u64, Vec<usize>> = HashMap::new();
        let mut filter = vec![0u64; (1usize << FILTER_BITS) / 64];
        for (index, needle) in needles.iter().enumerate() {
            let key = prefix_key(&needle.bytes);
            by_prefix.entry(key).or_default().push(index);
            let slot = filter_slot(key);
            filter[slot / 64] |= 1 << (slot % 64);
        }
        Matcher { needles, by_prefix, filter }
    }

    /// The needles found in `line`, each once.
    fn find(&self, line: &[u8]) -> Vec<usize> {
        let mut found = Vec::new();
        if line.len() < 8 {
            return found;
        }
        for start in 0..=line.len() - 8 {
            let key = prefix_key(&line[start..]);
            let slot = filter_slot(key);
            if self.filter[slot / 64] & (1 << (slot % 64)) == 0 {
                continue;
            }
            for &index in self.by_prefix.get(&key).into_iter().flatten() {
                if line[start..].starts_with(&self.needles[index].bytes) && !found.contains(&index) {
                    found.push(index);
                }
            }
        }
        found
    }
}

/// A secret found in captured text: where, and what kind (never the value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Leak {
    /// The captured file's name inside the sweep directory.
    pub(crate) file: String,
    /// 1-based line number.
    pub(crate) line: usize,
    /// The kind of secret, with `(JWT payload)` when only the payload part matched.
    pub(crate) kind: String,
}

/// What a scan of the captured files found.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    /// Every leak, in file and line order.
    pub(crate) leaks: Vec<Leak>,
    /// Files searched.
    pub(crate) files: usize,
    /// Bytes searched.
    pub(crate) bytes: u64,
    /// Lines per kind of captured file (`trace`, `hooks`, `errors`, `panics`, `cargo-test`, …).
    pub(crate) lines: BTreeMap<String, usize>,
    /// Trace lines at DEBUG or TRACE level.
    pub(crate) verbose_trace_lines: usize,
}

/// Searches every captured file in `dir` (all but the secrets files) for every secret.
pub(crate) fn scan(dir: &Path, secrets: &Secrets) -> Result<Scan, String> {
    let matcher = Matcher::new(&secrets.needles);
    let mut scan = Scan::default();
    for path in files(dir)? {
        let name = file_name(&path);
        if name.starts_with("secrets-") {
            continue;
        }
        let channel = channel_of(&name);
        let file = File::open(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let mut reader = BufReader::new(file);
        let mut line = Vec::new();
        let mut number = 0;
        scan.files += 1;
        loop {
            line.clear();
            let read = reader.read_until(b'\n', &mut line).map_err(|e| format!("cannot read {name}: {e}"))?;
            if read == 0 {
                break;
            }
            number += 1;
            scan.bytes += read as u64;
            if channel == "trace" && is_verbose_trace_line(&line) {
                scan.verbose_trace_lines += 1;
            }
            for index in matcher.find(&line) {
                scan.leaks.push(Leak {
                    file: name.clone(),
                    line: number,
                    kind: secrets.needles[index].label.clone(),
                });
            }
        }
        *scan.lines.entry(channel).or_default() += number;
    }
    Ok(scan)
}

/// `trace-123.log` → `trace`, `cargo-test.log` → `cargo-test`.
fn channel_of(name: &str) -> String {
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    match stem.rsplit_once('-') {
        Some((channel, pid)) if !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()) => {
            channel.to_owned()
        }
        _ => stem.to_owned(),
    }
}

/// A `tracing_subscriber::fmt` line at DEBUG or TRACE level ("2026-… DEBUG target: …").
fn is_verbose_trace_line(line: &[u8]) -> bool {
    let level = line.split(|b| *b == b' ').filter(|word| !word.is_empty()).nth(1);
    matches!(level, Some(b"DEBUG" | b"TRACE"))
}

/// Checks a scan against the minimums; the error lists every shortfall.
pub(crate) fn check_minimums(secrets: &Secrets, scan: &Scan, minimums: &Minimums) -> Result<(), String> {
    let mut short = Vec::new();
    if secrets.count() < minimums.secrets {
        short.push(format!("{} secrets recorded, expected at least {}", secrets.count(), minimums.secrets));
    }
    for kind in &minimums.kinds {
        if secrets.per_kind.get(kind).copied().unwrap_or(0) == 0 {
            short.push(format!("no {kind} recorded"));
        }
    }
    if scan.verbose_trace_lines < minimums.verbose_trace_lines {
        short.push(format!(
            "{} trace lines at DEBUG or TRACE, expected at least {}",
            scan.verbose_trace_lines, minimums.verbose_trace_lines
        ));
    }
    let hooks = scan.lines.get("hooks").copied().unwrap_or(0);
    if hooks < minimums.hook_lines {
        short.push(format!("{hooks} hook payloads captured, expected at least {}", minimums.hook_lines));
    }
    if short.is_empty() {
        Ok(())
    } else {
        Err(format!("the sweep captured too little to prove anything: {}", short.join("; ")))
    }
}

/// Describes the leaks (file, line, kind; at most 50 lines, then a count).
pub(crate) fn describe_leaks(leaks: &[Leak]) -> String {
    let mut text = format!("{} secret(s) found in captured text:\n", leaks.len());
    for leak in leaks.iter().take(50) {
        text.push_str(&format!("  {}:{}: {}\n", leak.file, leak.line, leak.kind));
    }
    if leaks.len() > 50 {
        text.push_str(&format!("  … and {} more\n", leaks.len() - 50));
    }
    text
}

/// Loads, scans and judges a sweep directory; prints the figures.
pub(crate) fn judge(dir: &Path, minimums: &Minimums) -> Result<(), String> {
    let secrets = Secrets::load(dir)?;
    let scan = scan(dir, &secrets)?;
    println!(
        "secret sweep: {} secrets {:?} from {} processes; {} files, {} bytes searched; lines {:?}; {} trace lines at DEBUG/TRACE",
        secrets.count(),
        secrets.per_kind,
        secrets.processes,
        scan.files,
        scan.bytes,
        scan.lines,
        scan.verbose_trace_lines
    );
    if !scan.leaks.is_empty() {
        return Err(format!("{}(captured files are in {})", describe_leaks(&scan.leaks), dir.display()));
    }
    check_minimums(&secrets, &scan, minimums)
}

/// Where captures go: `$CARGO_TARGET_DIR/secret-sweep`, or `target/secret-sweep`.
fn sweep_dir(root: &Path) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let target = if target.is_absolute() { target } else { root.join(target) };
    target.join("secret-sweep")
}

/// `cargo xtask sweep [ARGS…]`: runs `cargo test --workspace --all-features --no-fail-fast` (or,
/// with arguments, `cargo test --all-features --no-fail-fast ARGS…`) recording, then judges the captures. With
/// arguments the minimums are the whole suite's only if `--workspace` is among them; a narrower
/// run needs only one secret and some trace text.
pub(crate) fn run(args: &[&str]) -> Result<(), String> {
    let root = super::root();
    let dir = sweep_dir(&root);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| format!("cannot clear {}: {e}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;

    let mut command = super::cargo();
    // Every test binary runs even when one fails, so a failure cannot hide a leak elsewhere.
    command.args(["test", "--all-features", "--no-fail-fast"]);
    if args.is_empty() {
        command.arg("--workspace");
    } else {
        command.args(args);
    }
    command.env(ENV, &dir);
    println!("\n==> secret sweep: cargo test with {ENV}={}", dir.display());
    let started = std::time::Instant::now();
    let tests = run_teed(command, &dir.join("cargo-test.log"));
    println!("<== secret sweep tests finished in {:.0?}", started.elapsed());

    let minimums = if args.is_empty() || args.contains(&"--workspace") {
        Minimums::whole_suite()
    } else {
        Minimums { secrets: 1, kinds: Vec::new(), verbose_trace_lines: 1, hook_lines: 0 }
    };
    let verdict = judge(&dir, &minimums);
    match (tests, verdict) {
        (Ok(()), Ok(())) => {
            println!("secret sweep: no secret in any trace, hook payload, error, panic or test output");
            Ok(())
        }
        (Err(tests), Ok(())) => Err(format!("secret sweep: {tests} (no leak found in what ran)")),
        (Ok(()), Err(leaks)) => Err(format!("secret sweep: {leaks}")),
        (Err(tests), Err(leaks)) => Err(format!("secret sweep: {tests}; {leaks}")),
    }
}

/// Runs the command, copying its stdout and stderr both to the console and to `log`.
fn run_teed(mut command: Command, log: &Path) -> Result<(), String> {
    let file = File::create(log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
    let file = Arc::new(Mutex::new(file));
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start cargo test: {e}"))?;
    let stdout = child.stdout.take().map(|out| tee(out, std::io::stdout(), file.clone()));
    let stderr = child.stderr.take().map(|err| tee(err, std::io::stderr(), file.clone()));
    let status = child.wait().map_err(|e| format!("cargo test: {e}"))?;
    for copier in [stdout, stderr].into_iter().flatten() {
        let _ = copier.join();
    }
    if status.success() { Ok(()) } else { Err(format!("cargo test failed ({status})")) }
}

fn tee<R, W>(mut from: R, mut console: W, log: Arc<Mutex<File>>) -> std::thread::JoinHandle<()>
where
    R: Read + Send + 'static,
    W: Write + Send + 'static,
{
    std::thread::spawn(move || {
        let mut buffer = [0u8; 8192];
        loop {
            match from.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let _ = console.write_all(&buffer[..n]);
                    let _ = console.flush();
                    if let Ok(mut log) = log.lock() {
                        let _ = log.write_all(&buffer[..n]);
                    }
                }
            }
        }
    })
}

/// The regular files of `dir`, sorted by name.
fn files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    let mut paths: Vec<PathBuf> =
        entries.filter_map(|entry| entry.ok().map(|e| e.path())).filter(|p| p.is_file()).collect();
    paths.sort();
    Ok(paths)
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCESS: &str = "eyJhbGciOiJSUzI1NiJ9.eyJqdGkiOiJqdGlfNDJfMDAxMTIyMzM0NDU1NjY3NyJ9.c2lnbmF0dXJl";
    const REFRESH: &str = "rt_7_00112233deadbeef";

    struct Dir(PathBuf);

    impl Dir {
        fn new() -> Dir {
            let unique = format!(
                "xtask-sweep-{}-{}",
                std::process::id(),
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
            );
            let path = std::env::temp_dir().join(unique);
            std::fs::create_dir_all(&path).unwrap();
            Dir(path)
        }

        fn write(&self, name: &str, text: &str) {
            std::fs::write(self.0.join(name), text).unwrap();
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn planted() -> Dir {
        let dir = Dir::new();
        dir.write("secrets-11.txt", &format!("access_token\t{ACCESS}\nrefresh_token\t{REFRESH}\n"));
        dir.write("secrets-12.txt", &format!("refresh_token\t{REFRESH}\ncode_verifier\tshort\n"));
        dir
    }

    fn few() -> Minimums {
        Minimums { secrets: 2, kinds: vec!["access_token".into()], verbose_trace_lines: 1, hook_lines: 1 }
    }

    #[test]
    fn a_planted_secret_is_found_by_file_line_and_kind_never_by_value() {
        let dir = planted();
        dir.write(
            "trace-11.log",
            &format!(
                "2026-01-01T00:00:00Z DEBUG codex_transport: request\n2026-01-01T00:00:00Z TRACE x: body {{\"refresh_token\":\"{REFRESH}\"}}\n"
            ),
        );
        dir.write("hooks-11.log", "on_error ErrorEvent { attempt: 1 }\n");
        let error = judge(&dir.0, &few()).unwrap_err();
        assert!(error.contains("trace-11.log:2: refresh_token"), "{error}");
        assert!(!error.contains(REFRESH), "the report must not print the secret: {error}");
    }

    #[test]
    fn a_jwt_payload_alone_is_a_leak_and_secrets_files_are_not_searched() {
        let dir = planted();
        let payload = ACCESS.split('.').nth(1).unwrap();
        dir.write("errors-12.log", &format!("first line\nclaims segment {payload} in an error\n"));
        let secrets = Secrets::load(&dir.0).unwrap();
        assert_eq!(secrets.count(), 2, "duplicates and short values are skipped");
        assert_eq!(secrets.processes, 2);
        let scan = scan(&dir.0, &secrets).unwrap();
        assert_eq!(
            scan.leaks,
            vec![Leak { file: "errors-12.log".into(), line: 2, kind: "access_token (JWT payload)".into() }]
        );
    }

    #[test]
    fn a_secret_recorded_twice_keeps_its_specific_kind() {
        let dir = Dir::new();
        dir.write(
            "secrets-1.txt",
            &format!("token\t{ACCESS}\naccess_token\t{ACCESS}\nrefresh_token\t{REFRESH}\n"),
        );
        dir.write("secrets-2.txt", &format!("token\t{REFRESH}\n"));
        let secrets = Secrets::load(&dir.0).unwrap();
        assert_eq!(
            secrets.per_kind,
            BTreeMap::from([("access_token".to_owned(), 1), ("refresh_token".to_owned(), 1)])
        );
    }

    #[test]
    fn every_occurrence_is_reported_in_test_output_and_panics_too() {
        let dir = planted();
        dir.write("cargo-test.log", &format!("running 3 tests\nBearer {ACCESS}\n"));
        dir.write(
            "panics-13.log",
            &format!("thread 'main' panicked at x.rs:1:1:\nrefresh {REFRESH}-revoked\n"),
        );
        let secrets = Secrets::load(&dir.0).unwrap();
        let scan = scan(&dir.0, &secrets).unwrap();
        let found: Vec<String> =
            scan.leaks.iter().map(|l| format!("{}:{}: {}", l.file, l.line, l.kind)).collect();
        assert_eq!(
            found,
            vec![
                "cargo-test.log:2: access_token".to_owned(),
                "cargo-test.log:2: access_token (JWT payload)".to_owned(),
                "panics-13.log:2: refresh_token".to_owned(),
            ]
        );
    }

    #[test]
    fn clean_captures_pass_and_empty_ones_fail() {
        let dir = planted();
        dir.write("trace-11.log", "2026-01-01T00:00:00Z TRACE h2: frame\nrt_7_00112233 is only a prefix\n");
        dir.write("hooks-11.log", "on_request_start RequestStart { attempt: 1 }\n");
        judge(&dir.0, &few()).unwrap();

        let empty = Dir::new();
        let error = judge(&empty.0, &few()).unwrap_err();
        assert!(error.contains("0 secrets recorded"), "{error}");
        assert!(error.contains("no access_token recorded"), "{error}");
        assert!(error.contains("0 trace lines at DEBUG or TRACE"), "{error}");
        assert!(error.contains("0 hook payloads"), "{error}");
    }

    #[test]
    fn info_only_trace_text_does_not_count_as_verbose() {
        let dir = planted();
        dir.write(
            "trace-11.log",
            "2026-01-01T00:00:00Z  INFO x: hello\n2026-01-01T00:00:00Z  WARN x: DEBUG in text\n",
        );
        dir.write("hooks-11.log", "on_request_start RequestStart { attempt: 1 }\n");
        let error = judge(&dir.0, &few()).unwrap_err();
        assert!(error.contains("0 trace lines at DEBUG or TRACE"), "{error}");
    }

    #[test]
    fn many_needles_are_matched_in_one_pass() {
        let mut secrets = Secrets::default();
        for n in 0..5000 {
            secrets.add(format!("rt_{n}_{n:016x}").as_bytes(), "refresh_token");
        }
        let matcher = Matcher::new(&secrets.needles);
        let line = b"xx rt_4999_0000000000001387 yy rt_12_000000000000000c".to_vec();
        let mut found: Vec<&str> = matcher
            .find(&line)
            .into_iter()
            .map(|i| std::str::from_utf8(&secrets.needles[i].bytes).unwrap())
            .collect();
        found.sort();
        assert_eq!(found, vec!["rt_12_000000000000000c", "rt_4999_0000000000001387"]);
        assert!(matcher.find(b"rt_4999_000000000000138").is_empty());
    }

    #[test]
    fn channels_are_named_by_file() {
        assert_eq!(channel_of("trace-123.log"), "trace");
        assert_eq!(channel_of("cargo-test.log"), "cargo-test");
        assert_eq!(channel_of("captured-trace-9.log"), "captured-trace");
    }
}
