use codex_auth::{AuthError, CodexAuthJson};
use serde_json::json;

use crate::{NOW, at, jwt, sample_access_token, sample_id_token};

fn codex_file(tokens: serde_json::Value) -> String {
    json!({
        "auth_mode": "chatgpt",
        "OPENAI_API_KEY": null,
        "tokens": tokens,
        "last_refresh": "2025-01-01T02:00:00+02:00",
        "agent_identity": {"some": "future field"}
    })
    .to_string()
}

#[test]
fn reads_a_codex_cli_auth_json() {
    let file = CodexAuthJson::from_json(&codex_file(json!({
        "id_token": sample_id_token(),
        "access_token": sample_access_token(NOW + 60),
        "refresh_token": "rt_codex",
        "account_id": "acct-123"
    })))
    .expect("valid file");
    assert_eq!(file.auth_mode.as_deref(), Some("chatgpt"));
    assert_eq!(file.openai_api_key, None);
    assert_eq!(file.last_refresh, Some(at(NOW)), "offsets are honoured");
    let tokens = file.to_token_set().expect("has tokens");
    assert_eq!(tokens.refresh_token().expose_secret(), "rt_codex");
    assert_eq!(tokens.account_id(), Some("acct-123"));
    assert_eq!(tokens.email(), Some("person@example.com"));
    assert_eq!(tokens.expires_at(), Some(at(NOW + 60)));
    assert_eq!(tokens.last_refresh(), Some(at(NOW)));
}

#[test]
fn the_file_account_id_fills_in_when_the_claims_lack_it() {
    let file = CodexAuthJson::from_json(&codex_file(json!({
        "id_token": jwt(&json!({"email": "x@example.com"})),
        "access_token": "opaque",
        "refresh_token": "r",
        "account_id": "acct-from-file"
    })))
    .expect("valid file");
    assert_eq!(file.to_token_set().expect("tokens").account_id(), Some("acct-from-file"));
}

#[test]
fn an_api_key_only_file_has_no_token_set() {
    let file = CodexAuthJson::from_json(r#"{"OPENAI_API_KEY":"sk-SECRET"}"#).expect("valid file");
    assert_eq!(file.openai_api_key.as_ref().map(|k| k.expose_secret()), Some("sk-SECRET"));
    let err = file.to_token_set().expect_err("no tokens");
    assert!(err.to_string().contains("no ChatGPT sign-in"), "{err}");
    assert!(!format!("{file:?}").contains("sk-SECRET"));
}

#[test]
fn writes_the_codex_layout() {
    let file = CodexAuthJson::from_json(&codex_file(json!({
        "id_token": "i", "access_token": "a", "refresh_token": "r"
    })))
    .expect("valid file");
    let value = serde_json::to_value(&file).expect("serializes");
    assert_eq!(
        value,
        json!({
            "auth_mode": "chatgpt",
            "OPENAI_API_KEY": null,
            "tokens": {"id_token": "i", "access_token": "a", "refresh_token": "r"},
            "last_refresh": "2025-01-01T00:00:00Z"
        })
    );
}

#[test]
fn malformed_files_are_refused_without_quoting_them() {
    for text in [
        "{",
        r#"{"tokens": {"id_token": "SECRETVALUE"}}"#,
        r#"{"tokens": {"id_token": 5, "access_token": "SECRETVALUE", "refresh_token": "SECRETVALUE"}}"#,
        r#"{"OPENAI_API_KEY": 5, "last_refresh": "SECRETVALUE"}"#,
    ] {
        let err = CodexAuthJson::from_json(text).expect_err("malformed");
        assert!(matches!(err, AuthError::InvalidToken { token: "auth.json", .. }), "{err:?}");
        assert!(!err.to_string().contains("SECRETVALUE"), "{err}");
    }
    let err = CodexAuthJson::from_json(r#"{"tokens": {"id_token": "x"}}"#).expect_err("missing field");
    assert!(err.to_string().contains("`access_token` is missing"), "{err}");
}
