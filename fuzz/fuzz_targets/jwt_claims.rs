//! libFuzzer target: see [`oauth_codex_fuzz::jwt_claims`].

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oauth_codex_fuzz::jwt_claims(data));
