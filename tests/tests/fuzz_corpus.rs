//! Replays every committed fuzz corpus file (`fuzz/corpus/<target>/`) through the same entry
//! functions the libFuzzer targets call, so the corpus guards against regressions on stable
//! Rust without libFuzzer. Each input found to crash a target is kept in the corpus and checked
//! here; the property tests in `hostile_input.rs` cover fresh random input.

#[path = "../../fuzz/src/lib.rs"]
#[allow(unreachable_pub)]
mod entries;

use std::path::{Path, PathBuf};

fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the corpus {} cannot be read: {e}", dir.display()))
        .map(|entry| entry.expect("a corpus entry").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "the corpus {} is empty", dir.display());
    files
}

/// Runs every file of a target's corpus; names the file that failed.
fn replay(target: &str, entry: fn(&[u8])) {
    for path in corpus(target) {
        let data = std::fs::read(&path).expect("a corpus file");
        let outcome = std::panic::catch_unwind(|| entry(&data));
        assert!(outcome.is_ok(), "{target}: the corpus file {} fails", path.display());
    }
}

#[test]
fn sse_decoder_corpus() {
    replay("sse_decoder", entries::sse_decoder);
}

#[test]
fn backend_event_corpus() {
    replay("backend_event", entries::backend_event);
}

#[test]
fn jwt_claims_corpus() {
    replay("jwt_claims", entries::jwt_claims);
}

#[test]
fn callback_url_corpus() {
    replay("callback_url", entries::callback_url);
}

#[test]
fn error_body_corpus() {
    replay("error_body", entries::error_body);
}

/// Inputs at the edges of the targets' input formats pass their checks.
#[test]
fn edge_inputs_pass_the_checks() {
    // A chunk size of 1 against a whole-input decode of a well-formed stream agrees.
    entries::sse_decoder(b"\x00\x00data: a\n\ndata: b\r\n\r\n");
    // An input too short for a target's header is ignored, not a failure.
    entries::sse_decoder(b"\x00");
    entries::error_body(b"\x01");
    // A forged callback with the expected state but a duplicated state is refused.
    entries::callback_url(b"&state=expected-state-value");
}
