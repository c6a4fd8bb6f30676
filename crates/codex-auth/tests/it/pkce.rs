use std::collections::HashSet;

use codex_auth::{AuthError, OAuthState, PkceCodes, PkceVerifier};
use proptest::prelude::*;

const UNRESERVED: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";

fn is_base64url(text: &str) -> bool {
    text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// RFC 7636 Appendix B: this verifier's S256 challenge is `E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM`
/// (checked independently: base64url(SHA-256(verifier)) gives the same).
#[test]
fn rfc7636_appendix_b_vector() {
    let verifier = PkceVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").expect("valid verifier");
    assert_eq!(verifier.challenge(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    let codes = PkceCodes::from_verifier(verifier);
    assert_eq!(codes.challenge(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    assert_eq!(codes.challenge_method(), "S256");
    assert_eq!(codes.verifier().expose_secret(), "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
}

#[test]
fn verifier_length_bounds() {
    for len in [43, 128] {
        PkceVerifier::new("a".repeat(len)).unwrap_or_else(|e| panic!("{len} should be accepted: {e}"));
    }
    for len in [0, 42, 129] {
        let err = PkceVerifier::new("a".repeat(len)).expect_err("out of bounds");
        assert!(matches!(err, AuthError::InvalidPkceVerifier { .. }), "{err:?}");
        assert!(err.to_string().contains("43 to 128"), "{err}");
    }
}

#[test]
fn verifier_rejects_characters_outside_the_unreserved_set() {
    for bad in [' ', '+', '/', '=', '%', 'é', '\n'] {
        let mut text = "a".repeat(50);
        text.insert(10, bad);
        let err = PkceVerifier::new(text.clone()).expect_err("bad character");
        assert!(matches!(err, AuthError::InvalidPkceVerifier { .. }), "{err:?}");
        assert!(!err.to_string().contains(&text), "the message must not quote the verifier");
    }
    PkceVerifier::new(format!("{UNRESERVED}{UNRESERVED}")[..128].to_owned())
        .expect("every unreserved character");
}

#[test]
fn generated_verifier_is_86_base64url_characters_and_matches_its_challenge() {
    let codes = PkceCodes::generate().expect("randomness");
    let verifier = codes.verifier().expose_secret();
    assert_eq!(verifier.len(), 86);
    assert!(is_base64url(verifier), "{verifier}");
    assert_eq!(codes.challenge().len(), 43);
    assert!(is_base64url(codes.challenge()));
    assert_eq!(codes.challenge(), codes.verifier().challenge());
    assert_ne!(PkceCodes::generate().expect("randomness"), codes);
}

#[test]
fn state_is_43_base64url_characters_and_unique() {
    let states: HashSet<String> =
        (0..200).map(|_| OAuthState::generate().expect("randomness").expose_secret().to_owned()).collect();
    assert_eq!(states.len(), 200);
    for state in &states {
        assert_eq!(state.len(), 43, "32 random bytes");
        assert!(is_base64url(state), "{state}");
    }
}

#[test]
fn state_matches_only_itself() {
    let state = OAuthState::new("abc");
    assert!(state.matches("abc"));
    assert!(!state.matches("abd"));
    assert!(!state.matches("ab"));
    assert!(!state.matches(""));
}

#[test]
fn verifier_deserialization_checks_the_bounds() {
    let ok: PkceVerifier = serde_json::from_str(&format!("\"{}\"", "b".repeat(43))).expect("valid");
    assert_eq!(ok.expose_secret().len(), 43);
    let err = serde_json::from_str::<PkceVerifier>("\"short\"").expect_err("too short");
    assert!(!err.to_string().contains("short\""), "{err}");
}

proptest! {
    #[test]
    fn any_unreserved_string_of_valid_length_is_a_verifier(text in "[A-Za-z0-9._~-]{43,128}") {
        let verifier = PkceVerifier::new(text.clone()).expect("valid");
        let challenge = verifier.challenge();
        prop_assert_eq!(challenge.len(), 43);
        prop_assert!(is_base64url(&challenge));
        prop_assert_eq!(verifier.expose_secret(), text.as_str());
    }

    #[test]
    fn verifier_validation_never_panics(text in ".{0,200}") {
        let valid = (43..=128).contains(&text.len()) && text.bytes().all(|b| UNRESERVED.as_bytes().contains(&b));
        prop_assert_eq!(PkceVerifier::new(text).is_ok(), valid);
    }
}
