use std::io::Cursor;

use codex_compat::{CompatStore, FileSource, ListParams, Order, ResourceKind, StorageLocation};
use serde_json::json;

use crate::{invalid_parameter, map, not_found, open_store};

#[test]
fn create_from_bytes_returns_openai_file_object() {
    let (_dir, store) = open_store();
    let file = store
        .files()
        .create(FileSource::bytes("notes.txt", "hello there"), "assistants", Some(map(json!({"k": "v"}))))
        .expect("create");
    assert!(file.id.starts_with("file-"), "{}", file.id);
    assert_eq!(file.object, "file");
    assert_eq!(file.bytes, 11);
    assert!(file.created_at > 1_600_000_000);
    assert_eq!(file.filename, "notes.txt");
    assert_eq!(file.purpose, "assistants");
    assert_eq!(file.metadata, Some(map(json!({"k": "v"}))));
    let wire = serde_json::to_value(&file).expect("serializes");
    for key in ["id", "object", "bytes", "created_at", "filename", "purpose"] {
        assert!(wire.get(key).is_some(), "missing {key} in {wire}");
    }
    assert_eq!(store.files().retrieve(&file.id).expect("retrieve"), file);
    assert_eq!(store.files().content(&file.id).expect("content"), b"hello there");
}

#[test]
fn create_from_path_and_reader() {
    let (dir, store) = open_store();
    let path = dir.path().join("report.md");
    std::fs::write(&path, "# Report\n").expect("write");
    let from_path = store.files().create(path.as_path(), "user_data", None).expect("from path");
    assert_eq!(from_path.filename, "report.md");
    assert_eq!(from_path.bytes, 9);
    assert_eq!(store.files().content(&from_path.id).expect("content"), b"# Report\n");

    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let from_reader = store
        .files()
        .create(FileSource::reader("blob.bin", Cursor::new(big.clone())), "user_data", None)
        .expect("from reader");
    assert_eq!(from_reader.bytes, big.len() as u64);
    assert_eq!(store.files().content(&from_reader.id).expect("content"), big);

    let empty =
        store.files().create(FileSource::bytes("empty.txt", Vec::new()), "user_data", None).expect("empty");
    assert_eq!(empty.bytes, 0);
    assert!(store.files().content(&empty.id).expect("content").is_empty());
}

#[test]
fn bad_arguments_name_the_parameter() {
    let (dir, store) = open_store();
    let files = store.files();
    assert_eq!(invalid_parameter(files.create(FileSource::bytes("a.txt", "x"), "", None)), "purpose");
    assert_eq!(invalid_parameter(files.create(FileSource::bytes("a.txt", "x"), "  ", None)), "purpose");
    assert_eq!(invalid_parameter(files.create(FileSource::bytes("", "x"), "assistants", None)), "file");
    assert_eq!(invalid_parameter(files.create(dir.path().join("missing.txt"), "assistants", None)), "file");
    assert_eq!(
        invalid_parameter(files.create(
            FileSource::bytes("a.txt", "x"),
            "assistants",
            Some(map(json!({"n": 1})))
        )),
        "metadata"
    );
    let too_many = map(serde_json::Value::Object((0..17).map(|i| (format!("k{i}"), json!("v"))).collect()));
    assert_eq!(
        invalid_parameter(files.create(FileSource::bytes("a.txt", "x"), "assistants", Some(too_many))),
        "metadata"
    );
    assert_eq!(invalid_parameter(files.retrieve("")), "file_id");
    // Nothing was stored by the failed calls.
    assert!(files.list(&ListParams::new()).expect("list").data.is_empty());
}

#[test]
fn unknown_ids_are_not_found() {
    let (_dir, store) = open_store();
    let files = store.files();
    assert_eq!(not_found(files.retrieve("file-nope")), (ResourceKind::File, "file-nope".to_owned()));
    assert_eq!(not_found(files.content("file-nope")).0, ResourceKind::File);
    assert_eq!(not_found(files.delete("file-nope")).0, ResourceKind::File);
    let err = files.retrieve("file-nope").expect_err("missing");
    assert_eq!(err.status_code(), 404);
    assert_eq!(err.provider_code(), "not_found");
    assert!(err.to_string().contains("file-nope"), "{err}");
}

#[test]
fn delete_removes_the_file_and_keeps_shared_bytes() {
    let (dir, store) = open_store();
    let files = store.files();
    let a = files.create(FileSource::bytes("a.txt", "same bytes"), "assistants", None).expect("a");
    let b = files.create(FileSource::bytes("b.txt", "same bytes"), "assistants", None).expect("b");
    let deleted = files.delete(&a.id).expect("delete");
    assert_eq!(
        (deleted.id.as_str(), deleted.object.as_str(), deleted.deleted),
        (a.id.as_str(), "file", true)
    );
    assert!(not_found(files.retrieve(&a.id)).1 == a.id);
    assert!(files.content(&a.id).is_err());
    assert!(files.delete(&a.id).is_err(), "deleting twice is NotFound");
    // Content-addressed: b still has its bytes.
    assert_eq!(files.content(&b.id).expect("b content"), b"same bytes");
    files.delete(&b.id).expect("delete b");
    let blobs = walk_files(&dir.path().join("compat").join("blobs"));
    assert!(blobs.is_empty(), "unreferenced blobs remain: {blobs:?}");
    assert!(store.check_integrity().expect("check").is_ok());
}

fn walk_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        if entry.path().is_dir() {
            out.extend(walk_files(&entry.path()));
        } else {
            out.push(entry.path());
        }
    }
    out
}

fn create_n(store: &CompatStore, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            store.files().create(
                FileSource::bytes(format!("f{i}.txt"), format!("file {i}")),
                "assistants",
                None,
            )
        })
        .map(|r| r.expect("create").id)
        .collect()
}

#[test]
fn list_pagination_edges() {
    let (_dir, store) = open_store();
    let files = store.files();

    let empty = files.list(&ListParams::new()).expect("empty list");
    assert_eq!(empty.object, "list");
    assert!(empty.data.is_empty());
    assert_eq!((empty.first_id, empty.last_id, empty.has_more), (None, None, false));

    let ids = create_n(&store, 5); // oldest first
    let newest_first: Vec<String> = ids.iter().rev().cloned().collect();

    let all = files.list(&ListParams::new()).expect("list");
    assert_eq!(all.data.iter().map(|f| f.id.clone()).collect::<Vec<_>>(), newest_first, "desc by default");
    assert_eq!(all.first_id.as_deref(), Some(newest_first[0].as_str()));
    assert_eq!(all.last_id.as_deref(), Some(ids[0].as_str()));
    assert!(!all.has_more);

    let asc = files.list(&ListParams::new().order(Order::Asc)).expect("asc");
    assert_eq!(asc.data.iter().map(|f| f.id.clone()).collect::<Vec<_>>(), ids);

    let one = files.list(&ListParams::new().limit(1)).expect("limit 1");
    assert_eq!(one.data.len(), 1);
    assert_eq!(one.data[0].id, newest_first[0]);
    assert!(one.has_more);

    // Walk the whole list one by one with `after`.
    let mut walked = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut params = ListParams::new().limit(2).order(Order::Asc);
        if let Some(after) = &after {
            params = params.after(after.clone());
        }
        let page = files.list(&params).expect("page");
        walked.extend(page.data.iter().map(|f| f.id.clone()));
        if !page.has_more {
            break;
        }
        after = page.last_id;
    }
    assert_eq!(walked, ids);

    let after_last =
        files.list(&ListParams::new().order(Order::Asc).after(ids[4].clone())).expect("after last");
    assert!(after_last.data.is_empty());
    assert!(!after_last.has_more);
    assert_eq!(after_last.first_id, None);

    let before_first =
        files.list(&ListParams::new().order(Order::Asc).before(ids[0].clone())).expect("before first");
    assert!(before_first.data.is_empty() && !before_first.has_more);

    // `before` alone: the nearest `limit` entries before the cursor, in the requested order.
    let before =
        files.list(&ListParams::new().order(Order::Asc).before(ids[4].clone()).limit(2)).expect("before");
    assert_eq!(
        before.data.iter().map(|f| f.id.clone()).collect::<Vec<_>>(),
        vec![ids[2].clone(), ids[3].clone()]
    );
    assert!(before.has_more);
    let before_desc = files.list(&ListParams::new().before(ids[1].clone()).limit(2)).expect("before desc");
    assert_eq!(
        before_desc.data.iter().map(|f| f.id.clone()).collect::<Vec<_>>(),
        vec![ids[3].clone(), ids[2].clone()],
        "desc: the two newer than ids[1], nearest first in desc order"
    );
    assert!(before_desc.has_more);

    // Both cursors: strictly between them.
    let between = files
        .list(&ListParams::new().order(Order::Asc).after(ids[0].clone()).before(ids[3].clone()))
        .expect("between");
    assert_eq!(
        between.data.iter().map(|f| f.id.clone()).collect::<Vec<_>>(),
        vec![ids[1].clone(), ids[2].clone()]
    );

    assert_eq!(invalid_parameter(files.list(&ListParams::new().limit(0))), "limit");
    assert_eq!(invalid_parameter(files.list(&ListParams::new().limit(10_001))), "limit");
    assert!(files.list(&ListParams::new().limit(10_000)).is_ok());
    assert_eq!(invalid_parameter(files.list(&ListParams::new().after("file-unknown"))), "after");
    assert_eq!(invalid_parameter(files.list(&ListParams::new().before("file-unknown"))), "before");
}

#[test]
fn files_persist_across_reopen() {
    let (dir, store) = open_store();
    let file =
        store.files().create(FileSource::bytes("keep.txt", "kept"), "assistants", None).expect("create");
    drop(store);
    let reopened = CompatStore::open(StorageLocation::dir(dir.path().join("compat"))).expect("reopen");
    assert_eq!(reopened.files().retrieve(&file.id).expect("retrieve"), file);
    assert_eq!(reopened.files().content(&file.id).expect("content"), b"kept");
}

#[test]
fn garbage_collection_removes_orphan_blobs_only() {
    let (dir, store) = open_store();
    let kept =
        store.files().create(FileSource::bytes("kept.txt", "kept"), "assistants", None).expect("create");
    // An orphan, as a crash between moving a blob into place and committing its row leaves.
    let orphan_hash = "ab".repeat(32);
    let shard = dir.path().join("compat").join("blobs").join("ab");
    std::fs::create_dir_all(&shard).expect("shard");
    std::fs::write(shard.join(&orphan_hash), "orphan").expect("orphan");
    assert_eq!(store.collect_garbage().expect("gc"), 1);
    assert!(!shard.join(&orphan_hash).exists());
    assert_eq!(store.collect_garbage().expect("gc again"), 0);
    assert_eq!(store.files().content(&kept.id).expect("content"), b"kept");
}

#[test]
fn integrity_check_reports_missing_and_altered_blobs() {
    let (dir, store) = open_store();
    let a = store.files().create(FileSource::bytes("a.txt", "alpha"), "assistants", None).expect("a");
    let b = store.files().create(FileSource::bytes("b.txt", "bravo"), "assistants", None).expect("b");
    assert!(store.check_integrity().expect("check").is_ok());
    let blobs = walk_files(&dir.path().join("compat").join("blobs"));
    assert_eq!(blobs.len(), 2);
    std::fs::remove_file(&blobs[0]).expect("remove a blob");
    std::fs::write(&blobs[1], "tampered").expect("alter a blob");
    let report = store.check_integrity().expect("check");
    assert_eq!(report.files_checked, 2);
    assert_eq!(report.problems.len(), 2, "{:?}", report.problems);
    assert!(report.problems.iter().any(|p| p.contains("has no blob")), "{:?}", report.problems);
    assert!(!report.is_ok());
    // Reading a file whose blob vanished is a storage error naming the path, not a panic.
    let missing =
        [&a.id, &b.id].into_iter().find(|id| store.files().content(id).is_err()).expect("one is missing");
    let err = store.files().content(missing).expect_err("missing blob");
    assert_eq!(err.status_code(), 500);
    assert!(err.to_string().contains("blob"), "{err}");
}
