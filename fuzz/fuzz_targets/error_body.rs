//! libFuzzer target: see [`oauth_codex_fuzz::error_body`].

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oauth_codex_fuzz::error_body(data));
