//! The search index mirrors the chunks in SQLite: rebuilt when missing, broken or from before
//! an upgrade, and brought up to date with writes made through other handles.

use std::path::Path;

use codex_compat::{
    CompatStore, DATABASE_FILE, FileSource, SearchParams, StorageLocation, VectorStoreCreateParams,
};

const INDEX_DIR: &str = "search-index";

/// A store with three files in one vector store; returns the root, the store and its id.
fn fixture(dir: &Path) -> (CompatStore, String) {
    let store = CompatStore::open(StorageLocation::dir(dir)).expect("open");
    let texts = [
        ("lighthouse.txt", "The lighthouse keeper trims the lamp wick before the storm."),
        ("glacier.txt", "A glacier carves valleys as it creeps downhill over centuries."),
        ("orchard.txt", "Apple orchards need bees, pruning, and a cold winter to fruit."),
    ];
    let ids: Vec<String> = texts
        .iter()
        .map(|(name, text)| {
            store.files().create(FileSource::bytes(*name, *text), "assistants", None).expect("file").id
        })
        .collect();
    let vs = store.vector_stores().create(&VectorStoreCreateParams::new().file_ids(ids)).expect("vs");
    (store, vs.id)
}

/// The (filename, score) pairs a query finds.
fn hits(store: &CompatStore, vs: &str, query: &str) -> Vec<(String, f64)> {
    let page = store.vector_stores().search(vs, &SearchParams::new(query)).expect("search");
    page.data.into_iter().map(|hit| (hit.filename, hit.score)).collect()
}

const QUERIES: [&str; 3] = ["lamp storm", "valleys centuries bees", "cold winter glacier"];

/// Builds the fixture, searches, closes it, does `damage` to its index directory, reopens it
/// and expects the same results (scores included) and a sound store.
fn results_survive(damage: impl FnOnce(&Path)) {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("compat");
    let (store, vs) = fixture(&root);
    let before: Vec<_> = QUERIES.iter().map(|q| hits(&store, &vs, q)).collect();
    assert_eq!(before[0][0].0, "lighthouse.txt");
    drop(store);

    damage(&root.join(INDEX_DIR));
    let store = CompatStore::open(StorageLocation::dir(&root)).expect("reopen");
    let after: Vec<_> = QUERIES.iter().map(|q| hits(&store, &vs, q)).collect();
    assert_eq!(before, after);
    assert!(store.check_integrity().expect("check").is_ok());
}

#[test]
fn a_deleted_index_is_rebuilt_with_the_same_results() {
    results_survive(|index| std::fs::remove_dir_all(index).expect("remove the index"));
}

#[test]
fn a_broken_index_is_rebuilt_with_the_same_results() {
    results_survive(|index| std::fs::write(index.join("meta.json"), b"{ not json").expect("break meta.json"));
}

#[test]
fn an_index_of_another_database_is_rebuilt() {
    results_survive(|index| {
        // Another store, as far into its log as this one (three chunks), with other words.
        let other_root = index.parent().expect("root").with_extension("other");
        let other = CompatStore::open(StorageLocation::dir(&other_root)).expect("open the other store");
        let ids: Vec<String> = ["lamp lamp lamp", "storm", "nothing alike"]
            .iter()
            .map(|text| {
                other.files().create(FileSource::bytes("x.txt", *text), "assistants", None).expect("file").id
            })
            .collect();
        other.vector_stores().create(&VectorStoreCreateParams::new().file_ids(ids)).expect("vector store");
        drop(other);
        std::fs::remove_dir_all(index).expect("remove the index");
        copy_dir(&other_root.join(INDEX_DIR), index);
    });
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        if entry.file_type().expect("type").is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
        }
    }
}

#[test]
fn writes_through_another_handle_are_searchable_and_deletions_vanish() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("compat");
    let (reader, vs) = fixture(&root);
    assert!(hits(&reader, &vs, "zeppelin").is_empty());

    // A second handle has its own index reader, as another process would.
    let writer = CompatStore::open(StorageLocation::dir(&root)).expect("second handle");
    let file = writer
        .files()
        .create(FileSource::bytes("airship.txt", "A zeppelin drifts over the harbour."), "assistants", None)
        .expect("file");
    writer.vector_stores().attach_file(&vs, &file.id, None).expect("attach");
    assert_eq!(hits(&reader, &vs, "zeppelin")[0].0, "airship.txt");

    writer.files().delete(&file.id).expect("delete");
    assert!(hits(&reader, &vs, "zeppelin").is_empty());
    assert!(reader.check_integrity().expect("check").is_ok());
}

#[test]
fn a_store_from_before_the_search_index_is_upgraded_and_indexed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("compat");
    let (store, vs) = fixture(&root);
    let expected: Vec<String> = hits(&store, &vs, "lamp glacier").into_iter().map(|(name, _)| name).collect();
    drop(store);
    // Turn the database back into schema version 1: FTS5 search, no search log.
    std::fs::remove_dir_all(root.join(INDEX_DIR)).expect("remove the index");
    let db = rusqlite::Connection::open(root.join(DATABASE_FILE)).expect("db");
    db.execute_batch(
        "DROP TRIGGER chunks_logged_insert;
         DROP TRIGGER chunks_logged_delete;
         DROP TABLE search_log;
         DROP TABLE search_state;
         DELETE FROM schema_version WHERE version = 2;
         CREATE VIRTUAL TABLE chunks_fts USING fts5(
             text, content = 'chunks', content_rowid = 'id',
             tokenize = 'porter unicode61 remove_diacritics 2'
         );
         INSERT INTO chunks_fts(chunks_fts) VALUES ('rebuild');
         CREATE TRIGGER chunks_after_insert AFTER INSERT ON chunks BEGIN
             INSERT INTO chunks_fts(rowid, text) VALUES (new.id, new.text);
         END;
         CREATE TRIGGER chunks_after_delete AFTER DELETE ON chunks BEGIN
             INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);
         END;",
    )
    .expect("downgrade");
    drop(db);

    let store = CompatStore::open(StorageLocation::dir(&root)).expect("upgrade");
    let found: Vec<String> = hits(&store, &vs, "lamp glacier").into_iter().map(|(name, _)| name).collect();
    assert_eq!(found, expected);
    let db = rusqlite::Connection::open(root.join(DATABASE_FILE)).expect("db");
    let fts: i64 = db
        .query_row("SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'chunks_fts%'", [], |r| r.get(0))
        .expect("count");
    assert_eq!(fts, 0, "the FTS5 index is dropped");
}
