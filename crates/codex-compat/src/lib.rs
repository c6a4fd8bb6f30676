//! Local stand-ins for what the Codex backend lacks: it will hold persistent files, vector
//! stores with full-text search, conversation replay for `previous_response_id`, and local
//! input-token counting, safe for many threads and processes at once.
//!
//! **Status:** not implemented yet. This crate has no public items in this release; it stores
//! nothing. The OpenAI-shaped objects it will return are already defined in
//! `codex_schema::objects`.
