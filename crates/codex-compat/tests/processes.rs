//! Many processes on one store: concurrent writers, and writers killed with SIGKILL.
//!
//! The parent tests re-execute this test binary as child processes (`--exact <worker test>`)
//! with `CODEX_COMPAT_TEST_ROLE` naming the worker's role; without that variable, the worker
//! tests return at once, so a normal `cargo test` run only runs the parents.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use codex_compat::{
    CompatStore, DATABASE_FILE, FileSource, ListParams, Order, SearchParams, StorageLocation,
    VectorStoreCreateParams, VectorStoreUpdateParams,
};
use codex_schema::{ContentPart, Item, Message};
use serde_json::json;

const ROLE: &str = "CODEX_COMPAT_TEST_ROLE";
const DIR: &str = "CODEX_COMPAT_TEST_DIR";
const WORKER: &str = "CODEX_COMPAT_TEST_WORKER";
const VECTOR_STORE: &str = "CODEX_COMPAT_TEST_VECTOR_STORE";

const WRITERS: usize = 8;
const FILES_PER_WRITER: usize = 200;

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is set for workers"))
}

fn spawn_worker(test_name: &str, role: &str, dir: &Path, worker: usize, vector_store: &str) -> Child {
    Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", test_name, "--nocapture", "--test-threads", "1"])
        .env(ROLE, role)
        .env(DIR, dir)
        .env(WORKER, worker.to_string())
        .env(VECTOR_STORE, vector_store)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn worker")
}

fn file_text(worker: usize, i: usize) -> String {
    format!("worker {worker} wrote item {i}; its unique word is w{worker}x{i}.\n")
}

/// The writer role: 200 × (create a file, attach it with attributes), renaming the shared
/// vector store every 20 files.
#[test]
fn writer_worker() {
    if std::env::var(ROLE).as_deref() != Ok("writer") {
        return;
    }
    let worker: usize = env(WORKER).parse().expect("worker number");
    let vs_id = env(VECTOR_STORE);
    let store = CompatStore::open(StorageLocation::dir(env(DIR))).expect("open in worker");
    for i in 0..FILES_PER_WRITER {
        let metadata = json!({"worker": worker.to_string(), "i": i.to_string()});
        let file = store
            .files()
            .create(
                FileSource::bytes(format!("w{worker}-{i}.txt"), file_text(worker, i)),
                "assistants",
                metadata.as_object().cloned(),
            )
            .expect("files.create in worker");
        let attributes = json!({"worker": worker, "i": i});
        store
            .vector_stores()
            .attach_file(&vs_id, &file.id, attributes.as_object().cloned())
            .expect("attach in worker");
        if i % 20 == 0 {
            store
                .vector_stores()
                .update(&vs_id, &VectorStoreUpdateParams::new().name(format!("last touched by {worker}")))
                .expect("update in worker");
        }
    }
}

fn wait_ok(children: Vec<Child>) {
    for child in children {
        let output = child.wait_with_output().expect("wait");
        assert!(
            output.status.success(),
            "worker failed: {}\n{}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn eight_processes_write_at_once_and_nothing_is_lost() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("compat");
    let store = CompatStore::open(StorageLocation::dir(&root)).expect("open");
    let vs =
        store.vector_stores().create(&VectorStoreCreateParams::new().name("shared")).expect("vector store");

    let children: Vec<Child> =
        (0..WRITERS).map(|worker| spawn_worker("writer_worker", "writer", &root, worker, &vs.id)).collect();
    wait_ok(children);

    let total = WRITERS * FILES_PER_WRITER;
    let files = store.files().list(&ListParams::new()).expect("list files");
    assert_eq!(files.data.len(), total);
    assert!(!files.has_more);
    let names: HashSet<String> = files.data.iter().map(|f| f.filename.clone()).collect();
    let mut expected_bytes = 0u64;
    for worker in 0..WRITERS {
        for i in 0..FILES_PER_WRITER {
            assert!(names.contains(&format!("w{worker}-{i}.txt")), "missing w{worker}-{i}.txt");
            expected_bytes += file_text(worker, i).len() as u64;
        }
    }

    let after = store.vector_stores().retrieve(&vs.id).expect("retrieve");
    assert_eq!(after.file_counts.total, total as u64);
    assert_eq!(after.file_counts.completed, total as u64);
    assert_eq!(after.file_counts.failed, 0);
    assert_eq!(after.usage_bytes, expected_bytes);
    assert!(after.name.as_deref().is_some_and(|n| n.starts_with("last touched by")));

    // Every membership, paged through 100 at a time.
    let mut seen = HashSet::new();
    let mut params = ListParams::new().limit(100).order(Order::Asc);
    loop {
        let page = store.vector_stores().list_files(&vs.id, &params).expect("list files");
        for file in &page.data {
            assert!(seen.insert(file.id.clone()), "listed twice: {}", file.id);
            assert_eq!(file.status, "completed");
        }
        match (page.has_more, page.last_id) {
            (true, Some(last)) => params = ListParams::new().limit(100).order(Order::Asc).after(last),
            _ => break,
        }
    }
    assert_eq!(seen.len(), total);

    // A few files are found by their unique words.
    for (worker, i) in [(0, 0), (3, 117), (7, 199)] {
        let page = store
            .vector_stores()
            .search(&vs.id, &SearchParams::new(format!("w{worker}x{i}")))
            .expect("search");
        assert_eq!(page.data.len(), 1, "w{worker}x{i}");
        assert_eq!(page.data[0].filename, format!("w{worker}-{i}.txt"));
    }
    let report = store.check_integrity().expect("integrity");
    assert!(report.is_ok(), "{:?}", report.problems);
    assert_eq!(report.files_checked, total as u64);
}

/// The crash role: writes without end (files of varied sizes, attachments, searches that
/// update the search index, conversation records, deletions), printing a line after each
/// whole step, until it is killed.
#[test]
fn crash_worker() {
    if std::env::var(ROLE).as_deref() != Ok("crasher") {
        return;
    }
    let worker: usize = env(WORKER).parse().expect("worker number");
    let vs_id = env(VECTOR_STORE);
    let store = CompatStore::open(StorageLocation::dir(env(DIR))).expect("open in worker");
    let mut created = Vec::new();
    let mut previous: Option<String> = None;
    let mut stdout = std::io::stdout();
    // Bounded, so that a parent that fails to kill it does not leave it running for ever.
    for i in 0..5_000usize {
        let size = [200, 20_000, 300_000, 2_000_000][i % 4];
        let mut text = format!("crash worker {worker} step {i} marker c{worker}s{i} ");
        while text.len() < size {
            text.push_str("filler words to make the file longer and the write window wider ");
        }
        let bytes = if i % 5 == 4 { vec![0xff; size] } else { text.into_bytes() };
        let file = store
            .files()
            .create(FileSource::bytes(format!("c{worker}-{i}.txt"), bytes), "assistants", None)
            .expect("create in crasher");
        store.vector_stores().attach_file(&vs_id, &file.id, None).expect("attach in crasher");
        // A search brings the search index up to date, so kills also land in its commits.
        store
            .vector_stores()
            .search(&vs_id, &SearchParams::new(format!("c{worker}s{i}")))
            .expect("search in crasher");
        let response_id = format!("resp_{worker}_{i}");
        let input: Item = Message::user(vec![ContentPart::input_text(format!("step {i}"))]).into();
        let output: Item = Message::assistant(vec![ContentPart::output_text(format!("done {i}"))]).into();
        store.conversations().record(&response_id, previous.as_deref(), &[input], &[output]).expect("record");
        previous = Some(response_id);
        created.push(file.id);
        if i % 3 == 2 {
            let victim = created.remove(0);
            store.files().delete(&victim).expect("delete in crasher");
        }
        writeln!(stdout, "progress {i}").expect("stdout");
        stdout.flush().expect("flush");
    }
}

/// Kills its children when dropped, so a failing test leaves no writer running.
struct KillOnDrop(Vec<Child>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Reads the child's stdout until it reported `steps` whole steps.
fn wait_for_progress(child: &mut Child, steps: usize) {
    let stdout = child.stdout.as_mut().expect("piped stdout");
    let mut reader = BufReader::new(stdout);
    let mut seen = 0;
    let mut line = String::new();
    while seen < steps {
        line.clear();
        let n = reader.read_line(&mut line).expect("read progress");
        assert!(n > 0, "crash worker exited early");
        if line.starts_with("progress ") {
            seen += 1;
        }
    }
}

#[test]
fn writers_killed_mid_write_leave_only_whole_records() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("compat");
    let store = CompatStore::open(StorageLocation::dir(&root)).expect("open");
    let vs =
        store.vector_stores().create(&VectorStoreCreateParams::new().name("crash")).expect("vector store");
    drop(store);

    for round in 0..4 {
        let mut children = KillOnDrop(
            (0..2)
                .map(|worker| spawn_worker("crash_worker", "crasher", &root, round * 2 + worker, &vs.id))
                .collect(),
        );
        // Let them get going (a varying number of steps), then kill both mid-stream.
        wait_for_progress(&mut children.0[0], 3 + round * 2);
        for child in &mut children.0 {
            child.kill().expect("SIGKILL"); // Child::kill is SIGKILL on Unix.
            let status = child.wait().expect("reap");
            assert!(!status.success(), "the worker was killed, not finished");
        }
    }

    // What the kills interrupted (informational: where each kill lands is up to the scheduler).
    let leftover_tmp = std::fs::read_dir(root.join("tmp")).map(|d| d.count()).unwrap_or(0);
    let wal_bytes =
        std::fs::metadata(root.join(format!("{DATABASE_FILE}-wal"))).map(|m| m.len()).unwrap_or(0);
    eprintln!("after the kills: {leftover_tmp} temporary upload files left, WAL of {wal_bytes} bytes");

    // SQLite's own check, on a plain connection.
    let db = rusqlite::Connection::open(root.join(DATABASE_FILE)).expect("open db");
    db.busy_timeout(std::time::Duration::from_secs(10)).expect("busy timeout");
    let check: String =
        db.query_row("PRAGMA integrity_check", [], |row| row.get(0)).expect("integrity_check");
    assert_eq!(check, "ok");
    drop(db);

    // The store opens (tidying up what the kills left) and holds only whole records.
    let store = CompatStore::open(StorageLocation::dir(&root)).expect("reopen after crashes");
    let report = store.check_integrity().expect("integrity");
    assert!(report.is_ok(), "{:?}", report.problems);
    assert!(report.files_checked > 0);

    let files = store.files().list(&ListParams::new()).expect("list");
    for file in &files.data {
        let content = store.files().content(&file.id).expect("every listed file has its bytes");
        assert_eq!(content.len() as u64, file.bytes);
    }
    let counts = store.vector_stores().retrieve(&vs.id).expect("vector store").file_counts;
    assert_eq!(counts.completed + counts.failed, counts.total);
    let mut listed = 0u64;
    let mut searched = 0;
    let mut params = ListParams::new().limit(100);
    loop {
        let page = store.vector_stores().list_files(&vs.id, &params).expect("list files");
        listed += page.data.len() as u64;
        // The search index agrees: every indexed file is found by its marker word.
        for member in page.data.iter().filter(|m| m.status == "completed") {
            let name = store.files().retrieve(&member.id).expect("file").filename;
            let marker = name.trim_end_matches(".txt").replacen('-', "s", 1);
            let hits = store.vector_stores().search(&vs.id, &SearchParams::new(&marker)).expect("search");
            assert_eq!(hits.data.first().map(|h| h.filename.as_str()), Some(name.as_str()), "{marker}");
            searched += 1;
        }
        match (page.has_more, page.last_id) {
            (true, Some(last)) => params = ListParams::new().limit(100).after(last),
            _ => break,
        }
    }
    assert_eq!(listed, counts.total);
    assert!(searched > 0);
    assert!(counts.total <= files.data.len() as u64);
    // Every recorded response of every worker expands to a whole chain.
    let db = rusqlite::Connection::open(root.join(DATABASE_FILE)).expect("open db");
    let ids: Vec<String> = db
        .prepare("SELECT id FROM responses")
        .expect("prepare")
        .query_map([], |row| row.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("ids");
    drop(db);
    assert!(!ids.is_empty());
    for id in ids {
        let history = store.conversations().expand(&id, &[]).expect("expand");
        let step: usize = id.rsplit('_').next().and_then(|s| s.parse().ok()).expect("step");
        assert_eq!(history.len(), 2 * (step + 1), "{id}");
    }
}
