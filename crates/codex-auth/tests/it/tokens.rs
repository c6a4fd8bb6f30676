use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use codex_auth::{
    AccessToken, AccessTokenClaims, AuthError, IdToken, IdTokenClaims, RefreshToken, TokenResponse, TokenSet,
};
use serde_json::json;

use crate::{
    NOW, SAMPLE_REFRESH_TOKEN, at, jwt, sample_access_token, sample_id_token, sample_response_body,
    sample_token_set,
};

fn response(value: serde_json::Value) -> TokenResponse {
    TokenResponse::from_json(value.to_string()).expect("valid response")
}

fn invalid_token_reason(result: codex_auth::Result<IdTokenClaims>) -> String {
    match result {
        Err(AuthError::InvalidToken { token, reason }) => {
            assert_eq!(token, "id_token");
            reason
        }
        other => panic!("expected InvalidToken, got {other:?}"),
    }
}

#[test]
fn id_token_claims_are_read() {
    let claims = IdTokenClaims::parse(&IdToken::new(sample_id_token())).expect("valid JWT");
    assert_eq!(claims.email.as_deref(), Some("person@example.com"));
    assert_eq!(claims.chatgpt_account_id.as_deref(), Some("acct-123"));
    assert_eq!(claims.chatgpt_plan_type.as_deref(), Some("plus"));
    assert_eq!(claims.chatgpt_user_id.as_deref(), Some("user-456"));
    assert_eq!(claims.organization_id.as_deref(), Some("org-789"));
    assert_eq!(claims.project_id.as_deref(), Some("proj-1"));
}

#[test]
fn id_token_claims_fall_back_to_profile_email_and_user_id() {
    let token = jwt(&json!({
        "https://api.openai.com/profile": { "email": "profile@example.com" },
        "https://api.openai.com/auth": { "user_id": "user-legacy" }
    }));
    let claims = IdTokenClaims::parse(&IdToken::new(token)).expect("valid JWT");
    assert_eq!(claims.email.as_deref(), Some("profile@example.com"));
    assert_eq!(claims.chatgpt_user_id.as_deref(), Some("user-legacy"));
    assert_eq!(claims.chatgpt_account_id, None);

    let empty = IdTokenClaims::parse(&IdToken::new(jwt(&json!({})))).expect("valid JWT");
    assert_eq!(empty, IdTokenClaims::default());
}

#[test]
fn padded_payloads_are_tolerated() {
    // A payload whose base64url form needs padding, written with it.
    let payload = json!({"email": "a@b.c"}).to_string();
    assert_ne!(payload.len() % 3, 0);
    let token = format!("e30.{}.sig", URL_SAFE.encode(&payload));
    assert!(token.contains('='));
    let claims = IdTokenClaims::parse(&IdToken::new(token)).expect("padding tolerated");
    assert_eq!(claims.email.as_deref(), Some("a@b.c"));
}

#[test]
fn malformed_jwts_are_refused_without_quoting_them() {
    let good_payload = URL_SAFE_NO_PAD.encode(r#"{"email":"x@y.z"}"#);
    let cases = [
        ("opaque-token-value".to_owned(), "not a JWT"),
        (format!("a.{good_payload}"), "not a JWT"),
        (format!("a.{good_payload}.b.c"), "not a JWT"),
        (format!(".{good_payload}.b"), "not a JWT"),
        ("a..b".to_owned(), "not a JWT"),
        ("a.!!!not-base64!!!.b".to_owned(), "not base64url"),
        (format!("a.{}.b", URL_SAFE_NO_PAD.encode("not json")), "not JSON"),
        (format!("a.{}.b", URL_SAFE_NO_PAD.encode("[1,2]")), "not an object"),
    ];
    for (token, expected) in cases {
        let reason = invalid_token_reason(IdTokenClaims::parse(&IdToken::new(token.clone())));
        assert!(reason.contains(expected), "{token}: {reason}");
        assert!(!reason.contains(&token));
    }
}

#[test]
fn access_token_claims_give_expiry_and_plan() {
    let claims = AccessTokenClaims::parse(&AccessToken::new(sample_access_token(NOW))).expect("valid JWT");
    assert_eq!(claims.expires_at, Some(at(NOW)));
    assert_eq!(claims.chatgpt_plan_type.as_deref(), Some("pro"));
    assert_eq!(claims.chatgpt_account_id.as_deref(), Some("acct-123"));

    for exp in [json!("soon"), json!(-5), json!(null)] {
        let claims =
            AccessTokenClaims::parse(&AccessToken::new(jwt(&json!({ "exp": exp })))).expect("valid JWT");
        assert_eq!(claims.expires_at, None, "exp {exp}");
    }
    let claims = AccessTokenClaims::parse(&AccessToken::new(jwt(&json!({ "exp": 1000.75 })))).expect("valid");
    assert_eq!(claims.expires_at, Some(at(1000)));
}

#[test]
fn token_set_from_a_code_exchange_response() {
    let tokens = sample_token_set();
    assert_eq!(tokens.refresh_token().expose_secret(), SAMPLE_REFRESH_TOKEN);
    assert_eq!(tokens.id_token().expose_secret(), sample_id_token());
    assert_eq!(tokens.access_token().expose_secret(), sample_access_token(NOW + 3600));
    assert_eq!(tokens.account_id(), Some("acct-123"));
    assert_eq!(tokens.email(), Some("person@example.com"));
    assert_eq!(tokens.plan_type(), Some("pro"), "the access token's plan comes first");
    assert_eq!(tokens.expires_at(), Some(at(NOW + 3600)));
    assert_eq!(tokens.last_refresh(), Some(at(NOW)));
}

#[test]
fn expiry_falls_back_to_expires_in_for_opaque_access_tokens() {
    let response = response(json!({
        "access_token": "opaque-access-token",
        "refresh_token": "r",
        "id_token": jwt(&json!({"https://api.openai.com/auth": {"chatgpt_plan_type": "team"}})),
        "expires_in": "120"
    }));
    assert_eq!(response.expires_in, Some(120));
    let now = at(NOW) + Duration::from_millis(500);
    let tokens = TokenSet::from_response_at(response, now).expect("valid");
    assert_eq!(tokens.expires_at(), Some(at(NOW + 120)), "rounded down to the second");
    assert_eq!(tokens.plan_type(), Some("team"), "the ID token's plan when the access token has none");
    assert_eq!(tokens.last_refresh(), Some(now));

    let no_expiry = response_without_expiry();
    assert_eq!(TokenSet::from_response_at(no_expiry, at(NOW)).expect("valid").expires_at(), None);
}

fn response_without_expiry() -> TokenResponse {
    response(json!({"access_token": "opaque", "refresh_token": "r", "id_token": jwt(&json!({}))}))
}

#[test]
fn a_code_exchange_response_needs_refresh_and_id_tokens() {
    let err = TokenSet::from_response_at(
        response(json!({"access_token": "a", "id_token": sample_id_token()})),
        at(NOW),
    )
    .expect_err("no refresh token");
    assert!(err.to_string().contains("refresh_token"), "{err}");
    let err =
        TokenSet::from_response_at(response(json!({"access_token": "a", "refresh_token": "r"})), at(NOW))
            .expect_err("no id token");
    assert!(err.to_string().contains("id_token"), "{err}");
    let err = TokenSet::from_response_at(
        response(json!({"access_token": "a", "refresh_token": "r", "id_token": "opaque"})),
        at(NOW),
    )
    .expect_err("id token not a JWT");
    assert!(matches!(err, AuthError::InvalidToken { token: "id_token", .. }), "{err:?}");
}

#[test]
fn token_response_parsing_errors_never_quote_values() {
    let cases = [
        ("not json at all SECRETVALUE".to_owned(), "not valid JSON"),
        ("[\"SECRETVALUE\"]".to_owned(), "not an object"),
        (r#"{"refresh_token":"SECRETVALUE"}"#.to_owned(), "no `access_token`"),
        (r#"{"access_token":""}"#.to_owned(), "`access_token` is empty"),
        (r#"{"access_token":42,"refresh_token":"SECRETVALUE"}"#.to_owned(), "`access_token` is not a string"),
        (r#"{"access_token":"SECRETVALUE","expires_in":"SECRETVALUE"}"#.to_owned(), "`expires_in`"),
        (
            r#"{"access_token":"SECRETVALUE","id_token":["SECRETVALUE"]}"#.to_owned(),
            "`id_token` is not a string",
        ),
        (
            r#"{"error":"invalid_grant","error_description":"refresh token already used"}"#.to_owned(),
            "the server returned the error `invalid_grant` (refresh token already used)",
        ),
    ];
    for (body, expected) in cases {
        let err = TokenResponse::from_json(&body).expect_err("invalid");
        assert!(matches!(err, AuthError::InvalidTokenResponse { .. }), "{err:?}");
        let message = err.to_string();
        assert!(message.contains(expected), "{body}: {message}");
        assert!(!message.contains("SECRETVALUE"), "{message}");
    }
}

#[test]
fn token_response_fields_are_read() {
    let parsed = TokenResponse::from_json(sample_response_body(NOW)).expect("valid");
    assert_eq!(parsed.expires_in, Some(3600));
    assert_eq!(parsed.token_type.as_deref(), Some("Bearer"));
    assert_eq!(parsed.scope, None);
    assert_eq!(parsed.refresh_token.as_ref().map(RefreshToken::expose_secret), Some(SAMPLE_REFRESH_TOKEN));
    let nulls =
        response(json!({"access_token": "a", "refresh_token": null, "id_token": null, "expires_in": null}));
    assert_eq!((nulls.refresh_token, nulls.id_token, nulls.expires_in), (None, None, None));
}

#[test]
fn refresh_replaces_every_token_it_carries() {
    let mut tokens = sample_token_set();
    let new_id = jwt(&json!({
        "email": "new@example.com",
        "https://api.openai.com/auth": {"chatgpt_account_id": "acct-new", "chatgpt_plan_type": "team"}
    }));
    let new_access = jwt(&json!({"exp": NOW + 7200}));
    tokens
        .apply_refresh_at(
            response(json!({"access_token": new_access, "refresh_token": "rt_rotated", "id_token": new_id})),
            at(NOW + 3000),
        )
        .expect("valid refresh");
    assert_eq!(tokens.access_token().expose_secret(), new_access);
    assert_eq!(tokens.refresh_token().expose_secret(), "rt_rotated", "refresh tokens rotate");
    assert_eq!(tokens.id_token().expose_secret(), new_id);
    assert_eq!(tokens.account_id(), Some("acct-new"));
    assert_eq!(tokens.email(), Some("new@example.com"));
    assert_eq!(tokens.plan_type(), Some("team"));
    assert_eq!(tokens.expires_at(), Some(at(NOW + 7200)));
    assert_eq!(tokens.last_refresh(), Some(at(NOW + 3000)));
}

#[test]
fn refresh_keeps_what_the_response_lacks() {
    let mut tokens = sample_token_set();
    tokens
        .apply_refresh_at(response(json!({"access_token": "opaque-new", "expires_in": 60})), at(NOW + 100))
        .expect("valid refresh");
    assert_eq!(tokens.access_token().expose_secret(), "opaque-new");
    assert_eq!(tokens.refresh_token().expose_secret(), SAMPLE_REFRESH_TOKEN);
    assert_eq!(tokens.id_token().expose_secret(), sample_id_token());
    assert_eq!(tokens.account_id(), Some("acct-123"));
    assert_eq!(tokens.email(), Some("person@example.com"));
    assert_eq!(tokens.plan_type(), Some("pro"));
    assert_eq!(tokens.expires_at(), Some(at(NOW + 160)));

    // No exp and no expires_in: the old expiry belonged to the old token.
    tokens.apply_refresh_at(response(json!({"access_token": "opaque-2"})), at(NOW + 200)).expect("valid");
    assert_eq!(tokens.expires_at(), None);
}

#[test]
fn a_failed_refresh_changes_nothing() {
    let mut tokens = sample_token_set();
    let before = tokens.clone();
    let err = tokens
        .apply_refresh_at(response(json!({"access_token": "new", "id_token": "not-a-jwt"})), at(NOW + 10))
        .expect_err("bad id token");
    assert!(matches!(err, AuthError::InvalidToken { .. }));
    assert_eq!(tokens, before);
}

#[test]
fn expiry_checks() {
    let tokens = sample_token_set(); // expires at NOW + 3600
    let minute = Duration::from_secs(60);
    assert!(!tokens.is_expired_at(at(NOW), Duration::ZERO));
    assert!(!tokens.is_expired_at(at(NOW + 3599), Duration::ZERO));
    assert!(tokens.is_expired_at(at(NOW + 3600), Duration::ZERO));
    assert!(tokens.is_expired_at(at(NOW + 3570), Duration::from_secs(30)));
    assert!(!tokens.is_expired_at(at(NOW + 3569), Duration::from_secs(30)));
    assert!(tokens.expires_within_at(at(NOW + 3300), 5 * minute));
    assert!(!tokens.expires_within_at(at(NOW + 3299), 5 * minute));
    assert!(tokens.expires_within_at(at(NOW), Duration::MAX), "overflow counts as within");
    assert!(!tokens.is_expired(Duration::ZERO) || std::time::SystemTime::now() >= at(NOW + 3600));

    let unknown = TokenSet::from_response_at(response_without_expiry(), at(NOW)).expect("valid");
    assert!(!unknown.is_expired_at(at(NOW + 1_000_000), minute));
    assert!(!unknown.expires_within(Duration::MAX));
}

#[test]
fn token_set_serializes_for_the_stores() {
    let tokens = sample_token_set();
    let value = serde_json::to_value(&tokens).expect("serializes");
    assert_eq!(value["refresh_token"], SAMPLE_REFRESH_TOKEN);
    assert_eq!(value["expires_at"], NOW + 3600);
    assert_eq!(value["last_refresh"], "2025-01-01T00:00:00Z");
    assert_eq!(value["account_id"], "acct-123");
    let back: TokenSet = serde_json::from_value(value).expect("deserializes");
    assert_eq!(back, tokens);

    let sub_second = TokenSet::from_response_at(
        TokenResponse::from_json(sample_response_body(NOW + 3600)).expect("valid"),
        at(NOW) + Duration::from_nanos(123_456_789),
    )
    .expect("valid");
    let text = serde_json::to_string(&sub_second).expect("serializes");
    assert!(text.contains("2025-01-01T00:00:00.123456789Z"), "{text}");
    assert_eq!(serde_json::from_str::<TokenSet>(&text).expect("deserializes"), sub_second);
}

#[test]
fn from_tokens_reads_the_claims() {
    let tokens = TokenSet::from_tokens(
        AccessToken::new(sample_access_token(NOW)),
        RefreshToken::new("r"),
        IdToken::new(sample_id_token()),
        None,
    )
    .expect("valid");
    assert_eq!(tokens.expires_at(), Some(at(NOW)));
    assert_eq!(tokens.account_id(), Some("acct-123"));
    assert_eq!(tokens.last_refresh(), None);
}
