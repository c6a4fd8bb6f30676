//! `codex-fake`: starts the fake OAuth server and the fake Codex backend on 127.0.0.1 and
//! prints their URLs, for the offline demo, the benches, and anyone trying the SDK without an
//! account. It also prints a ready fake login (access and refresh token, account id) that only
//! these fakes accept. Stops on Ctrl-C.
//!
//! ```text
//! codex-fake [--tls] [--ca-out PATH] [--token-lifetime SECONDS]
//!            [--reply-deltas N] [--delta-bytes B] [--pace-ms MS] [--lean-final]
//! ```
//!
//! With `--reply-deltas N` (for the benches) the reply to every `POST /responses` is one
//! assistant message streamed as `N` `response.output_text.delta` events of `--delta-bytes B`
//! bytes each (default 64), then the usual `.done` events and `response.completed`, which
//! repeat the whole text as the real backend does. `--lean-final` leaves the text out of those
//! final events (a response larger than one SSE event may be, for memory measurements);
//! `--pace-ms MS` waits that long before every event (streams that stay open).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use codex_testkit::{FakeCodex, FakeOAuth, Faults, Reply, Script, TestCa, TokenRegistry};
use serde_json::json;

const USAGE: &str = "usage: codex-fake [--tls] [--ca-out PATH] [--token-lifetime SECONDS] \
                     [--reply-deltas N] [--delta-bytes B] [--pace-ms MS] [--lean-final]";

/// The text the bench replies are cut from: ASCII (so any cut is valid UTF-8), with the
/// quotes and line feeds that JSON must escape.
const FILLER: &str = "The quick brown fox jumps over the lazy dog; \"quoted\" words,\nnumbers 0123456789 \
                      and punctuation (a, b: c) follow. ";

struct Options {
    tls: bool,
    ca_out: Option<PathBuf>,
    token_lifetime: Option<u64>,
    bench: Option<BenchReply>,
}

/// The shape of the bench reply (`--reply-deltas`).
#[derive(Debug, Clone, Copy)]
struct BenchReply {
    deltas: usize,
    delta_bytes: usize,
    pace: Option<Duration>,
    lean_final: bool,
}

fn number<T: std::str::FromStr>(value: Option<&String>, flag: &str) -> Result<T, String> {
    let value = value.ok_or_else(|| format!("{flag} needs a number"))?;
    value.parse().map_err(|_| format!("{flag}: not a number: {value}"))
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options { tls: false, ca_out: None, token_lifetime: None, bench: None };
    let (mut deltas, mut delta_bytes, mut pace_ms, mut lean_final) = (None, None, None, false);
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--tls" => options.tls = true,
            "--ca-out" => options.ca_out = Some(args.next().ok_or("--ca-out needs a path")?.into()),
            "--token-lifetime" => {
                let value = args.next().ok_or("--token-lifetime needs seconds")?;
                options.token_lifetime =
                    Some(value.parse().map_err(|_| format!("not a number of seconds: {value}"))?);
            }
            "--reply-deltas" => deltas = Some(number::<usize>(args.next(), "--reply-deltas")?),
            "--delta-bytes" => delta_bytes = Some(number::<usize>(args.next(), "--delta-bytes")?),
            "--pace-ms" => pace_ms = Some(number::<u64>(args.next(), "--pace-ms")?),
            "--lean-final" => lean_final = true,
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other:?}; try --help")),
        }
    }
    if deltas.is_none() && (delta_bytes.is_some() || pace_ms.is_some() || lean_final) {
        return Err("--delta-bytes, --pace-ms and --lean-final shape the --reply-deltas reply".to_owned());
    }
    if delta_bytes == Some(0) {
        return Err("--delta-bytes must be at least 1".to_owned());
    }
    options.bench = deltas.map(|deltas| BenchReply {
        deltas,
        delta_bytes: delta_bytes.unwrap_or(64),
        pace: pace_ms.map(Duration::from_millis),
        lean_final,
    });
    Ok(options)
}

/// The bench reply: one assistant message of `deltas` text deltas, each `delta_bytes` long.
fn bench_reply(shape: BenchReply) -> Reply {
    let id = "resp_bench";
    let item_id = "msg_resp_bench_0";
    let filler = FILLER.as_bytes();
    let delta_at = |index: usize| -> String {
        let start = (index * 7) % filler.len();
        filler.iter().cycle().skip(start).take(shape.delta_bytes).map(|b| char::from(*b)).collect()
    };
    let text =
        if shape.lean_final { String::new() } else { (0..shape.deltas).map(delta_at).collect::<String>() };
    let mut script = Script::new(id)
        .usage(25, 0, shape.deltas as u64, 0)
        .event(json!({"type": "response.output_item.added", "output_index": 0, "item": {"type": "message",
            "id": item_id, "status": "in_progress", "role": "assistant", "content": []}}))
        .event(json!({"type": "response.content_part.added", "item_id": item_id, "output_index": 0,
            "content_index": 0, "part": {"type": "output_text", "text": "", "annotations": []}}));
    for index in 0..shape.deltas {
        script = script.event(json!({"type": "response.output_text.delta", "item_id": item_id,
            "output_index": 0, "content_index": 0, "delta": delta_at(index)}));
    }
    let events = script
        .event(json!({"type": "response.output_text.done", "item_id": item_id, "output_index": 0,
            "content_index": 0, "text": text}))
        .event(json!({"type": "response.content_part.done", "item_id": item_id, "output_index": 0,
            "content_index": 0, "part": {"type": "output_text", "text": text, "annotations": []}}))
        .event(json!({"type": "response.output_item.done", "output_index": 0, "item": {"type": "message",
            "id": item_id, "status": "completed", "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": []}]}}))
        .completed();
    Reply::stream_with(events, Faults { pace: shape.pace, ..Faults::default() })
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse(&args) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let registry = TokenRegistry::new();
    if let Some(seconds) = options.token_lifetime {
        registry.set_access_token_lifetime(Duration::from_secs(seconds));
    }
    let ca = options.tls.then(TestCa::new);
    let oauth = FakeOAuth::start_with(registry.clone(), ca.clone()).await;
    let mut codex = FakeCodex::builder().registry(registry.clone());
    if let Some(ca) = &ca {
        codex = codex.tls(ca.clone());
    }
    if let Some(shape) = options.bench {
        codex = codex.default_reply(move || bench_reply(shape));
    }
    let codex = codex.start().await;

    println!("issuer={}", oauth.issuer());
    println!("codex_base_url={}", codex.base_url());
    // A ready login for demos: fake tokens, accepted by these fakes only.
    println!("access_token={}", registry.mint_access_token());
    println!("refresh_token={}", registry.mint_refresh_token());
    println!("account_id={}", registry.account().account_id);
    if let Some(ca) = &ca {
        let path = options.ca_out.unwrap_or_else(|| std::env::temp_dir().join("codex-fake-ca.pem"));
        if let Err(error) = std::fs::write(&path, ca.ca_pem()) {
            eprintln!("cannot write the CA certificate to {}: {error}", path.display());
            return ExitCode::FAILURE;
        }
        println!("ca_pem={}", path.display());
    }
    println!("ready");
    let _ = tokio::signal::ctrl_c().await;
    drop(codex);
    drop(oauth);
    ExitCode::SUCCESS
}
