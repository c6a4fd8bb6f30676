//! `oauth-codex-bench`: the benchmark runners that `cargo xtask bench` starts, one workload per
//! invocation. Each does its own warm-up, then the measured work, then prints exactly one JSON
//! line on stdout: `workload`, `impl`, `wall_s`, `cpu_s` (user + system of the measured
//! section), `items`, `max_rss_kb` (the process's peak), plus workload-specific numbers.
//!
//! ```text
//! oauth-codex-bench sse --impl ours|eventsource|limit [--mb 50] [--chunk 16384] [--input FILE]
//! oauth-codex-bench stream  FAKE [--impl ours|hyper] [--no-warmup]   # one long response
//! oauth-codex-bench short   FAKE [--impl ours|hyper|hyper-parse|transport|transport-read|transport-map] [--n 2000]
//! oauth-codex-bench concurrent FAKE [--n 1000]
//! oauth-codex-bench cold-start FAKE --cli PATH [--n 20]
//!
//! FAKE = --base-url URL --access-token T --refresh-token R --account-id A [--issuer URL]
//! ```

mod client;
mod measure;
mod sse;

use std::collections::HashMap;
use std::process::ExitCode;

use client::Target;

const USAGE: &str = "usage:
  oauth-codex-bench sse --impl ours|eventsource|limit [--mb 50] [--chunk 16384] [--input FILE]
  oauth-codex-bench stream FAKE [--impl ours|hyper] [--no-warmup]
  oauth-codex-bench short FAKE [--impl ours|hyper|hyper-parse|transport|transport-read|transport-map] [--n 2000]
  oauth-codex-bench concurrent FAKE [--n 1000]
  oauth-codex-bench cold-start FAKE --cli PATH [--n 20]
FAKE = --base-url URL --access-token T --refresh-token R --account-id A [--issuer URL]";

/// `--name value` options and `--flag` switches.
#[derive(Debug, Default)]
struct Options {
    values: HashMap<String, String>,
    flags: Vec<String>,
}

const SWITCHES: &[&str] = &["--no-warmup"];

impl Options {
    fn parse(args: &[String]) -> Result<Options, String> {
        let mut options = Options::default();
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            if SWITCHES.contains(&arg.as_str()) {
                options.flags.push(arg.clone());
            } else if let Some(name) = arg.strip_prefix("--") {
                let value = args.next().ok_or_else(|| format!("{arg} needs a value"))?;
                options.values.insert(name.to_owned(), value.clone());
            } else {
                return Err(format!("unexpected argument {arg:?}"));
            }
        }
        Ok(options)
    }

    fn text(&self, name: &str) -> Result<String, String> {
        self.values.get(name).cloned().ok_or_else(|| format!("--{name} is required"))
    }

    fn number(&self, name: &str, default: u64) -> Result<u64, String> {
        match self.values.get(name) {
            None => Ok(default),
            Some(value) => value.parse().map_err(|_| format!("--{name}: not a number: {value}")),
        }
    }

    fn target(&self) -> Result<Target, String> {
        Ok(Target {
            base_url: self.text("base-url")?,
            access_token: self.text("access-token")?,
            refresh_token: self.text("refresh-token")?,
            account_id: self.text("account-id")?,
            issuer: self.values.get("issuer").cloned(),
        })
    }
}

fn run(args: &[String]) -> Result<String, String> {
    let (workload, rest) = args.split_first().ok_or_else(|| USAGE.to_owned())?;
    let options = Options::parse(rest)?;
    let report = match workload.as_str() {
        "sse" => sse::run(
            options.values.get("impl").map_or("ours", String::as_str),
            options.number("mb", 50)? as usize,
            options.number("chunk", 16 * 1024)? as usize,
            options.values.get("input").map(std::path::Path::new),
        )?,
        "stream" => {
            let warmup = !options.flags.iter().any(|f| f == "--no-warmup");
            match options.values.get("impl").map_or("ours", String::as_str) {
                "ours" => client::run_stream(&options.target()?, warmup)?,
                "hyper" => client::run_stream_hyper(&options.target()?, warmup)?,
                other => return Err(format!("unknown implementation {other:?} (ours, hyper)")),
            }
        }
        "short" => match options.values.get("impl").map_or("ours", String::as_str) {
            "ours" => client::run_short(&options.target()?, options.number("n", 2000)?)?,
            "hyper" => client::run_short_hyper(&options.target()?, options.number("n", 2000)?, false)?,
            "hyper-parse" => client::run_short_hyper(&options.target()?, options.number("n", 2000)?, true)?,
            name @ ("transport" | "transport-read" | "transport-map") => {
                let work = match name {
                    "transport" => client::TransportWork::Frames,
                    "transport-read" => client::TransportWork::Read,
                    _ => client::TransportWork::Map,
                };
                client::run_short_transport(&options.target()?, options.number("n", 2000)?, work)?
            }
            other => {
                return Err(format!(
                    "unknown implementation {other:?} (ours, hyper, hyper-parse, transport, transport-read, transport-map)"
                ));
            }
        },
        "concurrent" => client::run_concurrent(&options.target()?, options.number("n", 1000)? as usize)?,
        "cold-start" => {
            client::run_cold_start(&options.target()?, &options.text("cli")?, options.number("n", 20)?)?
        }
        "-h" | "--help" => return Err(USAGE.to_owned()),
        other => return Err(format!("unknown workload {other:?}\n{USAGE}")),
    };
    Ok(report.to_line())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("oauth-codex-bench: {message}");
            ExitCode::from(2)
        }
    }
}
