//! `codex-fake` starts both fakes and prints URLs that work.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use common::{client, request, send, sse_data, valid_body};
use hyper::Method;

/// Starts `codex-fake` with these arguments and reads what it prints up to `ready`.
fn start_fake(args: &[&str]) -> (Child, HashMap<String, String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_codex-fake"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("codex-fake starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = HashMap::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if line == "ready" {
            break;
        }
        if let Some((key, value)) = line.split_once('=') {
            printed.insert(key.to_owned(), value.to_owned());
        }
    }
    (child, printed)
}

/// One authenticated `POST /responses` to a started `codex-fake`; the SSE data payloads.
async fn post_responses(printed: &HashMap<String, String>) -> Vec<serde_json::Value> {
    let bearer = format!("Bearer {}", printed["access_token"]);
    let reply = send(
        &client(),
        request(
            Method::POST,
            &format!("{}/responses", printed["codex_base_url"]),
            &[("authorization", &bearer), ("chatgpt-account-id", &printed["account_id"])],
            valid_body().to_string(),
        ),
    )
    .await;
    assert_eq!(reply.status, 200);
    sse_data(&reply.text())
}

#[tokio::test]
async fn codex_fake_prints_working_urls() {
    let (mut child, printed) = start_fake(&[]);
    let issuer = printed["issuer"].clone();
    let base = printed["codex_base_url"].clone();

    let discovery = send(
        &client(),
        request(Method::GET, &format!("{issuer}/.well-known/oauth-authorization-server"), &[], ""),
    )
    .await;
    assert_eq!(discovery.status, 200);
    let unauthenticated =
        send(&client(), request(Method::POST, &format!("{base}/responses"), &[], valid_body().to_string()))
            .await;
    assert_eq!(unauthenticated.status, 401, "the backend wants a token from the issuer");

    let bearer = format!("Bearer {}", printed["access_token"]);
    let account = printed["account_id"].clone();
    let reply = send(
        &client(),
        request(
            Method::POST,
            &format!("{base}/responses"),
            &[("authorization", &bearer), ("chatgpt-account-id", &account)],
            valid_body().to_string(),
        ),
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(sse_data(&reply.text()).last().unwrap()["type"], "response.completed");

    let refresh = send(
        &client(),
        request(
            Method::POST,
            &format!("{issuer}/oauth/token"),
            &[("content-type", "application/json")],
            serde_json::json!({"grant_type": "refresh_token", "client_id": codex_testkit::CODEX_CLIENT_ID,
                "refresh_token": printed["refresh_token"]})
            .to_string(),
        ),
    )
    .await;
    assert_eq!(refresh.status, 200);
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test]
async fn reply_deltas_shape_every_reply() {
    let (mut child, printed) = start_fake(&["--reply-deltas", "7", "--delta-bytes", "13", "--pace-ms", "1"]);
    for _ in 0..2 {
        let events = post_responses(&printed).await;
        let deltas: Vec<&str> = events
            .iter()
            .filter(|e| e["type"] == "response.output_text.delta")
            .map(|e| e["delta"].as_str().unwrap())
            .collect();
        assert_eq!(deltas.len(), 7);
        assert!(deltas.iter().all(|d| d.len() == 13), "{deltas:?}");
        let text: String = deltas.concat();
        let done = events.iter().find(|e| e["type"] == "response.output_text.done").unwrap();
        assert_eq!(done["text"], text.as_str());
        let completed = events.last().unwrap();
        assert_eq!(completed["type"], "response.completed");
        assert_eq!(completed["response"]["output"][0]["content"][0]["text"], text.as_str());
        assert_eq!(completed["response"]["usage"]["output_tokens"], 7);
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test]
async fn lean_final_events_leave_the_text_out() {
    let (mut child, printed) = start_fake(&["--reply-deltas", "3", "--lean-final"]);
    let events = post_responses(&printed).await;
    let deltas = events.iter().filter(|e| e["type"] == "response.output_text.delta").count();
    assert_eq!(deltas, 3);
    assert!(
        events.iter().filter(|e| e["type"] == "response.output_text.delta").all(|e| e["delta"]
            .as_str()
            .unwrap()
            .len()
            == 64)
    );
    let done = events.iter().find(|e| e["type"] == "response.output_text.done").unwrap();
    assert_eq!(done["text"], "");
    assert_eq!(events.last().unwrap()["type"], "response.completed");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn shaping_flags_without_reply_deltas_are_refused() {
    for args in
        [&["--delta-bytes", "10"][..], &["--lean-final"], &["--reply-deltas", "2", "--delta-bytes", "0"]]
    {
        let output = Command::new(env!("CARGO_BIN_EXE_codex-fake")).args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(output.stdout.is_empty());
    }
}
