//! libFuzzer target: see [`oauth_codex_fuzz::sse_decoder`].

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oauth_codex_fuzz::sse_decoder(data));
