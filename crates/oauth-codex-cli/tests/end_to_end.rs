//! The `oauth-codex` binary end to end against the fake OAuth server and backend: login with a
//! device code, ask (text and JSON events), status, models, logout.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

use codex_testkit::{FakeCodex, FakeOAuth, Reply, Script};

struct Env {
    rt: tokio::runtime::Runtime,
    oauth: FakeOAuth,
    codex: FakeCodex,
    dir: tempfile::TempDir,
}

fn env() -> Env {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (oauth, codex) = rt.block_on(async {
        let oauth = FakeOAuth::start().await;
        oauth.set_device_interval(0);
        let codex = FakeCodex::builder().registry(oauth.registry().clone()).start().await;
        (oauth, codex)
    });
    Env { rt, oauth, codex, dir: tempfile::tempdir().unwrap() }
}

impl Env {
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_oauth-codex"));
        command
            .args(["--base-url", &self.codex.base_url(), "--issuer", &self.oauth.issuer()])
            .arg("--auth-file")
            .arg(self.dir.path().join("auth.json"))
            .args(args)
            .env("CODEX_COMPAT_STORAGE_DIR", self.dir.path().join("compat"))
            .env_remove("OAUTH_CODEX_BASE_URL");
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        let output = self.command(args).output().unwrap();
        // Under the secret sweep (`cargo xtask sweep`) all the binary printed is searched too.
        codex_testkit::sweep::capture("cli", &format!("{}{}", text(&output.stdout), text(&output.stderr)));
        output
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn login_ask_status_models_logout() {
    let env = env();
    let _runtime = &env.rt;

    let before = env.run(&["status"]);
    assert_eq!(before.status.code(), Some(3), "not signed in yet: {}", text(&before.stderr));
    assert!(text(&before.stderr).contains("oauth-codex login"));

    let mut login =
        env.command(&["login", "--device"]).stderr(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
    let stderr = BufReader::new(login.stderr.take().unwrap());
    let mut seen = Vec::new();
    for line in stderr.lines() {
        let line = line.unwrap();
        codex_testkit::sweep::capture("cli", &line);
        seen.push(line.clone());
        if let Some(code) = line.split_whitespace().find(|w| w.starts_with("FAKE-")) {
            assert!(env.oauth.approve_device(code));
        }
        if line.starts_with("Signed in as") {
            break;
        }
    }
    assert!(login.wait().unwrap().success(), "{seen:?}");
    assert!(seen.iter().any(|l| l.contains("/codex/device")), "the verification URL was shown: {seen:?}");

    env.codex.enqueue(Reply::stream(Script::new("r").text("PKCE binds the code to the client.").completed()));
    let ask = env.run(&["ask", "Explain PKCE", "--effort", "high"]);
    assert!(ask.status.success(), "{}", text(&ask.stderr));
    assert_eq!(text(&ask.stdout), "PKCE binds the code to the client.\n");
    let sent = env.codex.requests();
    let body = sent.last().unwrap().json.clone().unwrap();
    assert_eq!(body["reasoning"]["effort"], "high");

    env.codex.enqueue(Reply::stream(Script::new("r").text("json").completed()));
    let json = env.run(&["ask", "hi", "--json"]);
    assert!(json.status.success());
    let events: Vec<serde_json::Value> =
        text(&json.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(events.first().unwrap()["type"], "response_started");
    assert_eq!(events.last().unwrap()["type"], "response_completed");

    let status = env.run(&["status"]);
    let out = text(&status.stdout);
    assert!(status.status.success(), "{}", text(&status.stderr));
    assert!(out.contains("account: acct_fake_0001") && out.contains("plan: plus"), "{out}");
    assert!(out.contains("primary window: 12.5% used"), "{out}");
    let auth_file = std::fs::read_to_string(env.dir.path().join("auth.json")).unwrap();
    let access = serde_json::from_str::<serde_json::Value>(&auth_file).unwrap()["tokens"]["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!out.contains(&access), "no secret is printed");

    let models = env.run(&["models"]);
    assert!(text(&models.stdout).lines().any(|l| l == "gpt-5.2-codex"), "{}", text(&models.stdout));

    env.codex.enqueue(Reply::usage_limit_reached("plus", 600));
    let limited = env.run(&["ask", "hi"]);
    assert_eq!(limited.status.code(), Some(1));
    assert!(text(&limited.stderr).contains("usage limit"), "{}", text(&limited.stderr));

    let logout = env.run(&["logout"]);
    assert!(logout.status.success(), "{}", text(&logout.stderr));
    assert_eq!(env.oauth.registry().revocations(), 1);
    assert_eq!(env.run(&["status"]).status.code(), Some(3));
}
