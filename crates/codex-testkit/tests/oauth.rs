//! The fake OAuth server: discovery, authorize, PKCE code exchange, rotating refresh, device
//! code, revoke, and tokens the fake backend accepts.

mod common;

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use codex_testkit::{CODEX_CLIENT_ID, FakeCodex, FakeOAuth, RefreshFailure, s256};
use common::{client, request, send, valid_body};
use hyper::Method;
use serde_json::{Value, json};

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const REDIRECT: &str = "http://localhost:1455/auth/callback";

fn claims(jwt: &str) -> Value {
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3);
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap()
}

fn authorize_url(oauth: &FakeOAuth, overrides: &[(&str, Option<&str>)]) -> String {
    let challenge = s256(VERIFIER);
    let mut params: Vec<(&str, Option<&str>)> = vec![
        ("response_type", Some("code")),
        ("client_id", Some(CODEX_CLIENT_ID)),
        ("redirect_uri", Some(REDIRECT)),
        ("scope", Some("openid profile email offline_access")),
        ("code_challenge", Some(challenge.as_str())),
        ("code_challenge_method", Some("S256")),
        ("state", Some("st4te")),
    ];
    for (key, value) in overrides {
        match params.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = *value,
            None => params.push((key, *value)),
        }
    }
    let mut url = url::Url::parse(&oauth.authorization_endpoint()).unwrap();
    for (key, value) in params {
        if let Some(value) = value {
            url.query_pairs_mut().append_pair(key, value);
        }
    }
    url.to_string()
}

/// Follows authorize and returns the redirect's query pairs.
async fn authorize(oauth: &FakeOAuth, overrides: &[(&str, Option<&str>)]) -> (u16, Vec<(String, String)>) {
    let reply = send(&client(), request(Method::GET, &authorize_url(oauth, overrides), &[], "")).await;
    let pairs = reply
        .header("location")
        .map(|location| url::Url::parse(location).unwrap().query_pairs().into_owned().collect())
        .unwrap_or_default();
    (reply.status, pairs)
}

fn value<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

async fn exchange(oauth: &FakeOAuth, code: &str, verifier: &str, redirect: &str) -> common::Reply {
    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "authorization_code")
        .append_pair("code", code)
        .append_pair("redirect_uri", redirect)
        .append_pair("client_id", CODEX_CLIENT_ID)
        .append_pair("code_verifier", verifier)
        .finish();
    send(
        &client(),
        request(
            Method::POST,
            &oauth.token_endpoint(),
            &[("content-type", "application/x-www-form-urlencoded")],
            form,
        ),
    )
    .await
}

async fn refresh(oauth: &FakeOAuth, token: &str) -> common::Reply {
    let body = json!({"client_id": CODEX_CLIENT_ID, "grant_type": "refresh_token", "refresh_token": token});
    send(
        &client(),
        request(
            Method::POST,
            &oauth.token_endpoint(),
            &[("content-type", "application/json")],
            body.to_string(),
        ),
    )
    .await
}

#[tokio::test]
async fn discovery_can_be_switched_off() {
    let oauth = FakeOAuth::start().await;
    let on = send(&client(), request(Method::GET, &oauth.discovery_url(), &[], "")).await;
    assert_eq!(on.status, 200);
    assert_eq!(on.json()["token_endpoint"], oauth.token_endpoint());
    assert_eq!(on.json()["code_challenge_methods_supported"], json!(["S256"]));
    oauth.set_discovery(false);
    assert_eq!(send(&client(), request(Method::GET, &oauth.discovery_url(), &[], "")).await.status, 404);
}

#[tokio::test]
async fn authorize_checks_every_parameter() {
    let oauth = FakeOAuth::start().await;
    let (status, pairs) = authorize(&oauth, &[]).await;
    assert_eq!(status, 302);
    assert_eq!(value(&pairs, "state"), Some("st4te"));
    assert!(value(&pairs, "code").is_some());

    for bad in [
        ("client_id", Some("someone-else")),
        ("code_challenge_method", Some("plain")),
        ("code_challenge", None),
        ("state", None),
        ("response_type", Some("token")),
        ("redirect_uri", Some("https://evil.example/auth/callback")),
        ("redirect_uri", None),
    ] {
        let (status, _) = authorize(&oauth, &[bad]).await;
        assert_eq!(status, 400, "{bad:?} must be refused");
    }
    let (status, _) =
        authorize(&oauth, &[("redirect_uri", Some("http://127.0.0.1:1457/auth/callback"))]).await;
    assert_eq!(status, 302, "the fallback port is allowed");

    oauth.deny_next_authorization();
    let (status, pairs) = authorize(&oauth, &[]).await;
    assert_eq!((status, value(&pairs, "error")), (302, Some("access_denied")));
    assert_eq!(value(&pairs, "state"), Some("st4te"));
    assert!(value(&pairs, "code").is_none());
}

#[tokio::test]
async fn code_exchange_verifies_pkce_and_is_single_use() {
    let oauth = FakeOAuth::start().await;
    let (_, pairs) = authorize(&oauth, &[]).await;
    let code = value(&pairs, "code").unwrap().to_owned();

    let wrong_verifier =
        exchange(&oauth, &code, "wrong-verifier-wrong-verifier-wrong-verifier-x", REDIRECT).await;
    assert_eq!(
        (wrong_verifier.status, wrong_verifier.json()["error"].as_str()),
        (400, Some("invalid_grant"))
    );

    let (_, pairs) = authorize(&oauth, &[]).await;
    let code = value(&pairs, "code").unwrap().to_owned();
    let wrong_redirect = exchange(&oauth, &code, VERIFIER, "http://localhost:1457/auth/callback").await;
    assert_eq!(wrong_redirect.status, 400);

    let (_, pairs) = authorize(&oauth, &[]).await;
    let code = value(&pairs, "code").unwrap().to_owned();
    let tokens = exchange(&oauth, &code, VERIFIER, REDIRECT).await;
    assert_eq!(tokens.status, 200, "{}", tokens.text());
    let tokens = tokens.json();
    let access = claims(tokens["access_token"].as_str().unwrap());
    assert!(access["exp"].as_u64().unwrap() > access["iat"].as_u64().unwrap());
    assert_eq!(access["https://api.openai.com/auth"]["chatgpt_account_id"], "acct_fake_0001");
    assert_eq!(access["https://api.openai.com/auth"]["chatgpt_plan_type"], "plus");
    let id = claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id["email"], "user@example.com");
    assert!(tokens["refresh_token"].as_str().is_some() && tokens["expires_in"].as_u64().is_some());
    assert_eq!(oauth.registry().exchanges(), 1);

    let again = exchange(&oauth, &code, VERIFIER, REDIRECT).await;
    assert_eq!(again.status, 400, "a code works once");

    let json_exchange = send(
        &client(),
        request(
            Method::POST,
            &oauth.token_endpoint(),
            &[("content-type", "application/json")],
            json!({"grant_type": "authorization_code", "code": "x"}).to_string(),
        ),
    )
    .await;
    assert_eq!(json_exchange.status, 400, "the code exchange is form-encoded");
}

#[tokio::test]
async fn refresh_tokens_rotate_and_reuse_is_refused() {
    let oauth = FakeOAuth::start().await;
    let first = oauth.mint_refresh_token();
    let rotated = refresh(&oauth, &first).await;
    assert_eq!(rotated.status, 200);
    let second = rotated.json()["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(first, second);

    let reused = refresh(&oauth, &first).await;
    assert_eq!(reused.status, 401);
    assert_eq!(reused.json()["error"]["code"], "refresh_token_reused");
    assert_eq!(refresh(&oauth, &second).await.status, 200, "the newest token still works");
    assert_eq!(oauth.registry().refreshes(), 3);

    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "refresh_token")
        .append_pair("refresh_token", &oauth.mint_refresh_token())
        .append_pair("client_id", CODEX_CLIENT_ID)
        .finish();
    let standard = send(
        &client(),
        request(
            Method::POST,
            &oauth.token_endpoint(),
            &[("content-type", "application/x-www-form-urlencoded")],
            form,
        ),
    )
    .await;
    assert_eq!(standard.status, 200, "RFC 6749 form refresh is accepted too");
}

#[tokio::test]
async fn refresh_failures_on_demand() {
    let oauth = FakeOAuth::start().await;
    for (failure, status, code) in [
        (RefreshFailure::Expired, 401, Some("refresh_token_expired")),
        (RefreshFailure::Invalidated, 401, Some("refresh_token_invalidated")),
        (RefreshFailure::ServerError, 500, None),
    ] {
        let token = oauth.mint_refresh_token();
        oauth.registry().fail_next_refresh(failure);
        let reply = refresh(&oauth, &token).await;
        assert_eq!(reply.status, status);
        if let Some(code) = code {
            assert_eq!(reply.json()["error"]["code"], code);
        }
        assert_eq!(refresh(&oauth, &token).await.status, 200, "a failed attempt did not use the token up");
    }
}

#[tokio::test]
async fn revoke_invalidates_a_refresh_token() {
    let oauth = FakeOAuth::start().await;
    let token = oauth.mint_refresh_token();
    let body = json!({"token": token, "token_type_hint": "refresh_token", "client_id": CODEX_CLIENT_ID});
    let url = format!("{}/oauth/revoke", oauth.issuer());
    assert_eq!(
        send(
            &client(),
            request(Method::POST, &url, &[("content-type", "application/json")], body.to_string())
        )
        .await
        .status,
        200
    );
    assert_eq!(oauth.registry().revocations(), 1);
    assert_eq!(refresh(&oauth, &token).await.json()["error"]["code"], "refresh_token_invalidated");
}

#[tokio::test]
async fn device_code_flow() {
    let oauth = FakeOAuth::start().await;
    oauth.set_device_interval(5);
    let start_url = format!("{}/api/accounts/deviceauth/usercode", oauth.issuer());
    let started = send(
        &client(),
        request(
            Method::POST,
            &start_url,
            &[("content-type", "application/json")],
            json!({"client_id": CODEX_CLIENT_ID}).to_string(),
        ),
    )
    .await
    .json();
    assert_eq!(started["interval"], "5", "the interval is a string, as the real server sends it");
    let (id, user_code) =
        (started["device_auth_id"].as_str().unwrap(), started["user_code"].as_str().unwrap());

    let poll_url = format!("{}/api/accounts/deviceauth/token", oauth.issuer());
    let poll = || {
        request(
            Method::POST,
            &poll_url,
            &[("content-type", "application/json")],
            json!({"device_auth_id": id, "user_code": user_code}).to_string(),
        )
    };
    assert_eq!(send(&client(), poll()).await.status, 403, "pending");
    assert!(oauth.approve_device(user_code));
    let approved = send(&client(), poll()).await.json();
    let code = approved["authorization_code"].as_str().unwrap();
    let verifier = approved["code_verifier"].as_str().unwrap();
    assert_eq!(approved["code_challenge"], s256(verifier));

    let redirect = format!("{}/deviceauth/callback", oauth.issuer());
    let tokens = exchange(&oauth, code, verifier, &redirect).await;
    assert_eq!(tokens.status, 200, "{}", tokens.text());
    assert_eq!(send(&client(), poll()).await.status, 404, "the device code is spent");
}

#[tokio::test]
async fn tokens_from_the_oauth_fake_work_at_the_backend_fake_until_they_expire() {
    let oauth = FakeOAuth::start().await;
    let codex = FakeCodex::builder().registry(oauth.registry().clone()).start().await;
    let (_, pairs) = authorize(&oauth, &[]).await;
    let tokens = exchange(&oauth, value(&pairs, "code").unwrap(), VERIFIER, REDIRECT).await.json();
    let bearer = format!("Bearer {}", tokens["access_token"].as_str().unwrap());
    let url = format!("{}/responses", codex.base_url());
    let ok =
        send(&client(), request(Method::POST, &url, &[("authorization", &bearer)], valid_body().to_string()))
            .await;
    assert_eq!(ok.status, 200);

    oauth.registry().set_access_token_lifetime(Duration::ZERO);
    let expired = refresh(&oauth, tokens["refresh_token"].as_str().unwrap()).await.json();
    assert_eq!(expired["expires_in"], 0);
    let bearer = format!("Bearer {}", expired["access_token"].as_str().unwrap());
    let refused =
        send(&client(), request(Method::POST, &url, &[("authorization", &bearer)], valid_body().to_string()))
            .await;
    assert_eq!(refused.status, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_uses_of_one_refresh_token_let_exactly_one_win() {
    let oauth = FakeOAuth::start().await;
    let token = oauth.mint_refresh_token();
    let attempts = 16;
    let body = json!({"client_id": CODEX_CLIENT_ID, "grant_type": "refresh_token", "refresh_token": token});
    let tasks: Vec<_> = (0..attempts)
        .map(|_| {
            let url = oauth.token_endpoint();
            let body = body.to_string();
            tokio::spawn(async move {
                let headers = [("content-type", "application/json")];
                send(&client(), request(Method::POST, &url, &headers, body)).await
            })
        })
        .collect();
    let mut replies = Vec::new();
    for task in tasks {
        replies.push(task.await.unwrap());
    }
    let won = replies.iter().filter(|r| r.status == 200).count();
    let reused = replies
        .iter()
        .filter(|r| r.status == 401 && r.json()["error"]["code"] == "refresh_token_reused")
        .count();
    assert_eq!((won, reused), (1, attempts - 1));
    assert_eq!(oauth.registry().refresh_reuses(), (attempts - 1) as u64, "every reuse is counted");
    assert_eq!(oauth.registry().refreshes(), attempts as u64);
}
