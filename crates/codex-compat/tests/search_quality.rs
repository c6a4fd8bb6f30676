//! Search quality on a small committed corpus (`tests/corpus/*.txt`) with labelled queries
//! (`tests/corpus/queries.tsv`): the labelled file must be the top result of each query.

use std::path::PathBuf;

use codex_compat::{CompatStore, SearchParams, StorageLocation, VectorStoreCreateParams};

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests").join("corpus")
}

#[test]
fn labelled_queries_find_their_file_first() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = CompatStore::open(StorageLocation::dir(dir.path())).expect("open");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("corpus")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 10, "corpus too small: {}", paths.len());
    let ids: Vec<String> = paths
        .iter()
        .map(|p| store.files().create(p.as_path(), "assistants", None).expect("upload").id)
        .collect();
    let vs = store
        .vector_stores()
        .create(&VectorStoreCreateParams::new().name("corpus").file_ids(ids))
        .expect("vs");
    assert_eq!(vs.file_counts.completed, paths.len() as u64);

    let queries = std::fs::read_to_string(corpus_dir().join("queries.tsv")).expect("queries");
    let mut failures = Vec::new();
    let mut checked = 0;
    for line in queries.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let (query, expected) = line.split_once('\t').expect("query<TAB>file");
        let page = store.vector_stores().search(&vs.id, &SearchParams::new(query)).expect("search");
        let top = page.data.first().map(|hit| hit.filename.as_str()).unwrap_or("<nothing>");
        if top != expected {
            let ranked: Vec<String> =
                page.data.iter().take(3).map(|h| format!("{} ({:.3})", h.filename, h.score)).collect();
            failures.push(format!("{query:?}: expected {expected}, got {ranked:?}"));
        }
        checked += 1;
    }
    assert!(checked >= 15, "too few labelled queries: {checked}");
    assert!(failures.is_empty(), "{} of {checked} queries missed:\n{}", failures.len(), failures.join("\n"));
}
