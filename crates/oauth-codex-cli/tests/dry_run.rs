//! The `oauth-codex` binary, run as a user would.

use std::process::Command;

fn oauth_codex(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_oauth-codex")).args(args).output().expect("the binary runs")
}

#[test]
fn dry_run_prints_the_codex_body() {
    let output = oauth_codex(&["dry-run", "Explain PKCE", "--effort", "high", "--model", "gpt-5.2-codex"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let body: serde_json::Value = serde_json::from_slice(&output.stdout).expect("stdout is the JSON body");
    assert_eq!(body["model"], "gpt-5.2-codex");
    assert_eq!(body["stream"], true);
    assert_eq!(body["store"], false);
    assert_eq!(body["reasoning"]["effort"], "high");
    assert_eq!(body["include"], serde_json::json!(["reasoning.encrypted_content"]));
    assert_eq!(body["input"][0]["content"][0]["text"], "Explain PKCE");
}

#[test]
fn strict_dry_run_refuses_an_empty_model() {
    let output = oauth_codex(&["dry-run", "hi", "--model", "", "--strict"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("invalid parameter `model`"), "{stderr}");
    assert!(output.stdout.is_empty());
}

#[test]
fn unknown_commands_are_refused_with_usage() {
    let output = oauth_codex(&["frobnicate"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("Usage"));
}
