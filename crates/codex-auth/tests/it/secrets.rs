use codex_auth::{
    AccessToken, ApiKey, AuthorizationCode, AuthorizationRequest, CodexAuthJson, IdToken, MemoryTokenStore,
    OAuthConfig, OAuthState, PkceCodes, PkceVerifier, REDACTED, RefreshToken, TokenResponse,
};

use crate::{SAMPLE_REFRESH_TOKEN, sample_token_set};

const RAW: &str = "s3cr3t-value-that-must-never-print-0123456789";

fn assert_redacted(debug: String, display: String) {
    assert_eq!(debug, REDACTED);
    assert_eq!(display, REDACTED);
}

#[test]
fn every_secret_type_prints_redacted() {
    assert_redacted(format!("{:?}", AccessToken::new(RAW)), format!("{}", AccessToken::new(RAW)));
    assert_redacted(format!("{:?}", RefreshToken::new(RAW)), format!("{}", RefreshToken::new(RAW)));
    assert_redacted(format!("{:?}", IdToken::new(RAW)), format!("{}", IdToken::new(RAW)));
    assert_redacted(format!("{:?}", AuthorizationCode::new(RAW)), format!("{}", AuthorizationCode::new(RAW)));
    assert_redacted(format!("{:?}", OAuthState::new(RAW)), format!("{}", OAuthState::new(RAW)));
    assert_redacted(format!("{:?}", ApiKey::new(RAW)), format!("{}", ApiKey::new(RAW)));
    let verifier = PkceVerifier::new(RAW).expect("valid verifier");
    assert_redacted(format!("{verifier:?}"), format!("{verifier}"));
    // Alternate and padded forms too.
    assert_eq!(format!("{:#?}", AccessToken::new(RAW)), REDACTED);
    assert_eq!(format!("{:>60}", AccessToken::new(RAW)), REDACTED);
}

#[test]
fn expose_secret_gives_the_value() {
    assert_eq!(AccessToken::new(RAW).expose_secret(), RAW);
    assert_eq!(RefreshToken::from(RAW.to_owned()).expose_secret(), RAW);
    assert_eq!(PkceVerifier::try_from(RAW.to_owned()).expect("valid").expose_secret(), RAW);
}

#[test]
fn secrets_serialize_as_the_raw_string() {
    let json = serde_json::to_string(&AccessToken::new(RAW)).expect("serializes");
    assert_eq!(json, format!("\"{RAW}\""));
    let back: RefreshToken = serde_json::from_str(&json).expect("deserializes");
    assert_eq!(back.expose_secret(), RAW);
    let back: OAuthState = serde_json::from_str(&json).expect("deserializes");
    assert_eq!(back.expose_secret(), RAW);
    let back: PkceVerifier = serde_json::from_str(&json).expect("deserializes");
    assert_eq!(back.expose_secret(), RAW);
}

#[test]
fn equality_compares_values() {
    assert_eq!(IdToken::new(RAW), IdToken::new(RAW));
    assert_ne!(IdToken::new(RAW), IdToken::new("other"));
    assert_ne!(IdToken::new(RAW), IdToken::new(&RAW[1..]));
}

#[test]
fn structs_holding_secrets_print_none_of_them() {
    let tokens = sample_token_set();
    let secrets = [
        tokens.access_token().expose_secret().to_owned(),
        tokens.refresh_token().expose_secret().to_owned(),
        tokens.id_token().expose_secret().to_owned(),
    ];
    let request = AuthorizationRequest::new(&OAuthConfig::default()).expect("valid");
    let state = request.state().expose_secret().to_owned();
    let verifier = request.pkce().verifier().expose_secret().to_owned();
    let codex = CodexAuthJson::from_json(&format!(
        r#"{{"OPENAI_API_KEY":"{RAW}","tokens":{{"id_token":"{}","access_token":"{}","refresh_token":"{}"}}}}"#,
        secrets[2], secrets[0], secrets[1]
    ))
    .expect("valid file");
    let response = TokenResponse::from_json(format!(
        r#"{{"access_token":"{}","refresh_token":"{}","id_token":"{}"}}"#,
        secrets[0], secrets[1], secrets[2]
    ))
    .expect("valid response");
    let pkce = PkceCodes::from_verifier(PkceVerifier::new(RAW).expect("valid"));

    let printed = [
        format!("{tokens:?}"),
        format!("{tokens:#?}"),
        format!("{request:?}"),
        format!("{request:#?}"),
        format!("{codex:?}"),
        format!("{response:?}"),
        format!("{pkce:?}"),
        format!("{:?}", MemoryTokenStore::with_tokens(tokens.clone())),
    ];
    for text in &printed {
        for secret in secrets.iter().chain([&state, &verifier, &RAW.to_owned()]) {
            assert!(!text.contains(secret.as_str()), "{text} contains a secret");
        }
        assert!(text.contains(REDACTED), "{text}");
    }
    // The non-secret parts are still there to debug with.
    assert!(printed[0].contains("person@example.com"), "{}", printed[0]);
    assert!(printed[2].contains("https://auth.openai.com/oauth/authorize"), "{}", printed[2]);
    assert!(printed[6].contains(pkce.challenge()), "{}", printed[6]);
    assert!(!printed[0].contains(SAMPLE_REFRESH_TOKEN));
}
