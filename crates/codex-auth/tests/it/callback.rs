use codex_auth::{AuthError, OAuthState, parse_callback};
use proptest::prelude::*;

const STATE: &str = "Zx8mQ2vN4pR7tY1uW3eK5hJ9gF6dS0aLqBcXnVmTrEw";
const CODE: &str = "ac_SECRETCODE.value-123";

fn state() -> OAuthState {
    OAuthState::new(STATE)
}

fn parse_error(input: &str) -> String {
    match parse_callback(input, &state()) {
        Err(e @ AuthError::OAuthCallbackParse { .. }) => {
            let message = e.to_string();
            assert!(!message.contains(CODE) && !message.contains(STATE), "leaks a secret: {message}");
            message
        }
        other => panic!("expected OAuthCallbackParse for {input:?}, got {other:?}"),
    }
}

#[test]
fn accepts_a_full_callback_url() {
    let code =
        parse_callback(&format!("http://localhost:1455/auth/callback?code={CODE}&state={STATE}"), &state())
            .expect("valid callback");
    assert_eq!(code.expose_secret(), CODE);
}

#[test]
fn accepts_a_query_string_with_or_without_question_mark_and_whitespace() {
    for input in [
        format!("code={CODE}&state={STATE}"),
        format!("?state={STATE}&code={CODE}"),
        format!("  \n http://localhost:1457/auth/callback?code={CODE}&state={STATE}&scope=openid \t\n"),
        format!("code={CODE}&state={STATE}#fragment"),
    ] {
        let code = parse_callback(&input, &state()).unwrap_or_else(|e| panic!("{input:?}: {e}"));
        assert_eq!(code.expose_secret(), CODE);
    }
}

#[test]
fn percent_encoded_values_are_decoded() {
    let code = parse_callback(&format!("code=a%2Fb%2Bc&state={STATE}"), &state()).expect("valid");
    assert_eq!(code.expose_secret(), "a/b+c");
}

#[test]
fn wrong_or_missing_state_is_a_mismatch() {
    for input in [
        format!("code={CODE}&state=someone-elses-state"),
        format!("code={CODE}&state={}", &STATE[..STATE.len() - 1]),
        format!("code={CODE}"),
        format!("code={CODE}&state="),
        format!("http://localhost:1455/auth/callback?code={CODE}"),
    ] {
        let err = parse_callback(&input, &state()).expect_err("state mismatch");
        assert!(matches!(err, AuthError::OAuthStateMismatch), "{input}: {err:?}");
        let message = err.to_string();
        assert!(!message.contains(CODE) && !message.contains(STATE), "{message}");
    }
}

#[test]
fn a_mismatched_state_wins_over_a_provider_error() {
    let err = parse_callback("error=access_denied&state=forged", &state()).expect_err("mismatch");
    assert!(matches!(err, AuthError::OAuthStateMismatch), "{err:?}");
}

#[test]
fn missing_codex_entitlement_has_its_own_message() {
    let err = parse_callback(
        &format!(
            "http://localhost:1455/auth/callback?error=access_denied\
             &error_description=Missing_Codex_Entitlement%3A%20not%20allowed&state={STATE}"
        ),
        &state(),
    )
    .expect_err("denied");
    assert!(matches!(err, AuthError::CodexNotEnabledForWorkspace), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("Codex is not enabled for your workspace. Contact your workspace administrator")
    );
}

#[test]
fn other_provider_errors_are_reported_with_their_description() {
    let err = parse_callback(
        &format!("error=access_denied&error_description=The+user+said+no&state={STATE}"),
        &state(),
    )
    .expect_err("denied");
    match &err {
        AuthError::OAuthAuthorizationFailed { error, description } => {
            assert_eq!(error, "access_denied");
            assert_eq!(description.as_deref(), Some("The user said no"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "the sign-in was refused by the authorization server: access_denied (The user said no)"
    );

    let err = parse_callback(&format!("error=server_error&state={STATE}&code={CODE}"), &state())
        .expect_err("error");
    assert_eq!(err.to_string(), "the sign-in was refused by the authorization server: server_error");
}

#[test]
fn provider_text_is_stripped_of_control_characters_and_capped() {
    let long = "x".repeat(1000);
    let err =
        parse_callback(&format!("error=bad%0D%0Aline&error_description={long}&state={STATE}"), &state())
            .expect_err("error");
    let AuthError::OAuthAuthorizationFailed { error, description } = err else { panic!("wrong variant") };
    assert_eq!(error, "badline");
    assert!(description.expect("kept").chars().count() <= 301);
}

#[test]
fn missing_or_empty_code_is_reported() {
    assert!(parse_error(&format!("state={STATE}")).contains("no `code` parameter"));
    assert!(parse_error(&format!("code=&state={STATE}")).contains("`code` parameter is empty"));
}

#[test]
fn malformed_input_says_what_is_wrong() {
    assert!(parse_error("").contains("empty"));
    assert!(parse_error("   ").contains("empty"));
    assert!(parse_error(CODE).contains("bare code"));
    assert!(parse_error("http://localhost:1455/auth/callback").contains("no query string"));
    assert!(parse_error("http://localhost:1455/auth/callback?").contains("no query string"));
    assert!(parse_error("http://local host:1455/auth/callback?code=x").contains("not a valid"));
    let message = parse_error(&format!("code={CODE}&code=other&state={STATE}"));
    assert!(message.contains("`code` parameter appears more than once"), "{message}");
    let message = parse_error(&format!("code={CODE}&state={STATE}&state={STATE}"));
    assert!(message.contains("`state`"), "{message}");
    // Every parse error tells the user what to paste.
    assert!(parse_error("").contains("Paste the whole address"));
}

proptest! {
    #[test]
    fn parsing_never_panics_and_never_accepts_without_the_state(input in ".{0,300}") {
        let result = parse_callback(&input, &state());
        prop_assert!(result.is_err() || input.contains(STATE));
    }

    #[test]
    fn any_code_round_trips(code in "[A-Za-z0-9._~-]{1,100}") {
        let parsed = parse_callback(&format!("code={code}&state={STATE}"), &state()).expect("valid");
        prop_assert_eq!(parsed.expose_secret(), code.as_str());
    }
}
