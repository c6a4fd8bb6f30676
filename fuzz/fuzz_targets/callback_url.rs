//! libFuzzer target: see [`oauth_codex_fuzz::callback_url`].

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oauth_codex_fuzz::callback_url(data));
