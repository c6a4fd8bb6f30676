//! The wire layer of oauth-codex: it will hold the pooled HTTPS client (hyper 1, hyper-util and
//! hyper-rustls), the SSE decoder, the retry policy, timeouts, hooks, rate-limit headers and the
//! `SDKRequestError` model. It knows HTTP, not Codex types.
//!
//! **Status:** not implemented yet. This crate has no public items in this release; nothing in
//! it sends a request. Build request bodies and read recorded streams with `codex-schema` today.
