//! The sign-in of oauth-codex: it will hold the OAuth configuration (environment overrides and
//! discovery), PKCE, the loopback, paste and device-code sign-in flows, token exchange and
//! refresh, JWT claims, token stores (keyring, file, fallback, legacy migration) and
//! single-flight, cross-process refresh.
//!
//! **Status:** not implemented yet. This crate has no public items in this release; it cannot
//! sign anyone in.
