//! `codex-fake` starts both fakes and prints URLs that work.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::{client, request, send, sse_data, valid_body};
use hyper::Method;

#[tokio::test]
async fn codex_fake_prints_working_urls() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_codex-fake"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("codex-fake starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = std::collections::HashMap::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if line == "ready" {
            break;
        }
        if let Some((key, value)) = line.split_once('=') {
            printed.insert(key.to_owned(), value.to_owned());
        }
    }
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
