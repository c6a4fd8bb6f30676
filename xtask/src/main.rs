//! Project automation, run as `cargo xtask <task>`:
//!
//! * `schema` writes the JSON Schemas of the public types to `docs/schema/`;
//!   `schema --check` fails, with a diff, when the committed files are stale.
//! * `ci` runs every gate CI runs: fmt, clippy, the tests (under the secret sweep), docs, the
//!   schema check, the benchmark smoke run, cargo-deny.
//! * `bench` runs the side-by-side benchmarks and writes `docs/performance.md`'s table and
//!   chart; `bench --smoke` runs them at tiny sizes, once, asserting nothing (see `bench.rs`).
//! * `sweep` runs the tests recording every secret the fakes mint, TRACE output, hook payloads
//!   and panics, then fails on any leak (see `sweep.rs`).

mod bench;
mod chart;
mod sweep;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use codex_schema::{BackendEvent, Response, ResponseCreateParams, StreamEvent};
use schemars::{JsonSchema, schema_for};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["schema"] => schema(false),
        ["schema", "--check"] => schema(true),
        ["ci"] => ci(),
        ["bench", rest @ ..] => bench::bench(rest),
        ["sweep", rest @ ..] => sweep::run(rest),
        _ => Err(format!(
            "unknown task {args:?}\n\nusage:\n  cargo xtask schema [--check]   write (or check) docs/schema/*.json\n  cargo xtask ci                 run every CI gate\n  cargo xtask bench [--smoke] [--runs N]   the side-by-side benchmarks (docs/performance.md)\n  cargo xtask sweep [ARGS…]      run the tests recording secrets and traces; fail on any leak"
        )),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_path_buf()
}

fn render<T: JsonSchema>() -> String {
    let schema = schema_for!(T);
    let mut text = serde_json::to_string_pretty(&schema).expect("schemas serialize");
    text.push('\n');
    text
}

/// The generated files: (file name under docs/schema, contents).
fn schemas() -> Vec<(&'static str, String)> {
    vec![
        ("response_create_params.json", render::<ResponseCreateParams>()),
        ("response.json", render::<Response>()),
        ("stream_event_v1.json", render::<StreamEvent>()),
        ("backend_event.json", render::<BackendEvent>()),
    ]
}

fn schema(check: bool) -> Result<(), String> {
    let dir = root().join("docs/schema");
    let mut stale = Vec::new();
    for (name, wanted) in schemas() {
        let path = dir.join(name);
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current == wanted {
            continue;
        }
        if check {
            let diff = similar::TextDiff::from_lines(&current, &wanted);
            let shown = diff
                .unified_diff()
                .context_radius(2)
                .header(&format!("docs/schema/{name} (committed)"), "generated")
                .to_string();
            eprintln!("{shown}");
            stale.push(name);
        } else {
            std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            std::fs::write(&path, wanted).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            println!("wrote docs/schema/{name}");
        }
    }
    if stale.is_empty() {
        if check {
            println!("docs/schema is up to date");
        }
        Ok(())
    } else {
        Err(format!(
            "docs/schema is stale ({}): run `cargo xtask schema` and commit the result",
            stale.join(", ")
        ))
    }
}

fn cargo() -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(root());
    command
}

fn run(label: &str, mut command: Command) -> Result<(), String> {
    println!("\n==> {label}");
    let started = Instant::now();
    let status = command.status().map_err(|e| format!("{label}: cannot start: {e}"))?;
    println!("<== {label}: {status} in {:.0?}", started.elapsed());
    if status.success() { Ok(()) } else { Err(format!("{label} failed ({status})")) }
}

fn ci() -> Result<(), String> {
    let mut fmt = cargo();
    fmt.args(["fmt", "--all", "--check"]);
    run("cargo fmt --check", fmt)?;

    let mut clippy = cargo();
    clippy.args(["clippy", "--workspace", "--all-targets", "--all-features", "--", "-D", "warnings"]);
    run("cargo clippy -D warnings", clippy)?;

    // The test suite runs once, recorded by the secret sweep: every test passes and nothing
    // it logged, printed, panicked with or handed to a hook holds a secret.
    println!("\n==> cargo xtask sweep (cargo test --workspace --all-features, recorded)");
    sweep::run(&[])?;

    let mut doc = cargo();
    doc.args(["doc", "--workspace", "--no-deps", "--all-features"]).env("RUSTDOCFLAGS", "-D warnings");
    run("cargo doc -D warnings", doc)?;

    println!("\n==> cargo xtask schema --check");
    schema(true)?;

    println!("\n==> cargo xtask bench --smoke");
    bench::bench(&["--smoke"])?;

    advisory_db()?;
    let mut deny = cargo();
    deny.args(["deny", "--offline", "check", "licenses", "bans", "sources", "advisories"]);
    run("cargo deny check", deny)?;

    println!("\nci: every gate passed");
    Ok(())
}

/// Lays out the offline advisory snapshot where deny.toml's `db-path` points, once.
fn advisory_db() -> Result<(), String> {
    let root = root();
    let target = root.join("target/advisory-db");
    if target.join("advisory-db-3157b0e258782691/.git").is_dir() {
        return Ok(());
    }
    let setup = root.join("../shared/tools/advisory-db-setup");
    if !setup.is_file() {
        return Err(format!(
            "the advisory snapshot is missing: expected {} (CI lays shared/ beside the checkout)",
            setup.display()
        ));
    }
    let mut command = Command::new("bash");
    command.arg(&setup).arg(&target);
    run("advisory-db-setup", command)
}
