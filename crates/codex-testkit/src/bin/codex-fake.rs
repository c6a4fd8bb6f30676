//! `codex-fake`: starts the fake OAuth server and the fake Codex backend on 127.0.0.1 and
//! prints their URLs, for the offline demo, the benches, and anyone trying the SDK without an
//! account. It also prints a ready fake login (access and refresh token, account id) that only
//! these fakes accept. Stops on Ctrl-C.
//!
//! ```text
//! codex-fake [--tls] [--ca-out PATH] [--token-lifetime SECONDS]
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use codex_testkit::{FakeCodex, FakeOAuth, TestCa, TokenRegistry};

struct Options {
    tls: bool,
    ca_out: Option<PathBuf>,
    token_lifetime: Option<u64>,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options { tls: false, ca_out: None, token_lifetime: None };
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
            "-h" | "--help" => {
                return Err("usage: codex-fake [--tls] [--ca-out PATH] [--token-lifetime SECONDS]".to_owned());
            }
            other => return Err(format!("unknown argument {other:?}; try --help")),
        }
    }
    Ok(options)
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
