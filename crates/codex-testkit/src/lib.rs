//! Loopback fakes of the Codex backend and of the OpenAI OAuth server, strict and rude like the
//! real services, with scripted replies and faults; used by tests, benches and the offline demo.
//! Not published.
//!
//! **Status:** not implemented yet. This crate has no public items in this release.
