//! Workspace-level end-to-end tests of oauth-codex live in `tests/tests/`; this library is
//! empty on purpose (it only anchors the test crate).
