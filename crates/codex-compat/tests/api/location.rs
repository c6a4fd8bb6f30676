use std::ffi::OsString;
use std::path::PathBuf;

use codex_compat::{CompatStore, StorageLocation};

use crate::invalid_parameter;

fn env_with(value: Option<&str>) -> impl FnOnce(&str) -> Option<OsString> {
    let value = value.map(OsString::from);
    move |name| {
        assert_eq!(name, "CODEX_COMPAT_STORAGE_DIR");
        value
    }
}

#[test]
fn precedence_explicit_then_env_then_home() {
    let home = || Some(PathBuf::from("/home/test"));
    assert_eq!(
        StorageLocation::dir("/explicit").resolve_with(env_with(Some("/from-env")), home).expect("explicit"),
        PathBuf::from("/explicit")
    );
    assert_eq!(
        StorageLocation::Default.resolve_with(env_with(Some("/from-env")), home).expect("env"),
        PathBuf::from("/from-env")
    );
    assert_eq!(
        StorageLocation::Default.resolve_with(env_with(None), home).expect("home"),
        PathBuf::from("/home/test/.oauth_codex/compat")
    );
    assert_eq!(
        StorageLocation::Default.resolve_with(env_with(Some("")), home).expect("empty env is unset"),
        PathBuf::from("/home/test/.oauth_codex/compat")
    );
    assert_eq!(invalid_parameter(StorageLocation::Default.resolve_with(env_with(None), || None)), "location");
    assert_eq!(invalid_parameter(StorageLocation::dir("").resolve_with(env_with(None), || None)), "location");
}

#[cfg(unix)]
#[test]
fn the_directory_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("nested").join("compat");
    let store = CompatStore::open(StorageLocation::dir(&root)).expect("open");
    assert_eq!(store.root(), root.as_path());
    let mode = std::fs::metadata(&root).expect("metadata").permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    // An existing, wider directory is narrowed.
    let wide = dir.path().join("wide");
    std::fs::create_dir(&wide).expect("mkdir");
    std::fs::set_permissions(&wide, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    CompatStore::open(StorageLocation::dir(&wide)).expect("open wide");
    assert_eq!(std::fs::metadata(&wide).expect("metadata").permissions().mode() & 0o777, 0o700);
}

#[test]
fn a_newer_schema_is_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("compat");
    drop(CompatStore::open(StorageLocation::dir(&root)).expect("open"));
    let db = rusqlite::Connection::open(root.join(codex_compat::DATABASE_FILE)).expect("db");
    db.execute("INSERT INTO schema_version (version, applied_at) VALUES (999, 0)", []).expect("bump");
    drop(db);
    let err = CompatStore::open(StorageLocation::dir(&root)).expect_err("newer schema");
    assert!(matches!(err, codex_compat::Error::Storage { .. }), "{err:?}");
    assert!(err.to_string().contains("newer"), "{err}");
}

#[test]
fn a_store_is_clone_send_sync_and_threads_share_it() {
    fn assert_traits<T: Clone + Send + Sync + 'static>() {}
    assert_traits::<CompatStore>();
    let (_dir, store) = crate::open_store();
    let vs = store.vector_stores().create(&codex_compat::VectorStoreCreateParams::new()).expect("vs");
    std::thread::scope(|scope| {
        for t in 0..4 {
            let store = store.clone();
            let vs_id = vs.id.clone();
            scope.spawn(move || {
                for i in 0..25 {
                    let file = store
                        .files()
                        .create(
                            codex_compat::FileSource::bytes(
                                format!("{t}-{i}.txt"),
                                format!("thread {t} file {i}"),
                            ),
                            "assistants",
                            None,
                        )
                        .expect("create");
                    store.vector_stores().attach_file(&vs_id, &file.id, None).expect("attach");
                }
            });
        }
    });
    let after = store.vector_stores().retrieve(&vs.id).expect("retrieve");
    assert_eq!(after.file_counts.total, 100);
    assert_eq!(after.file_counts.completed, 100);
    assert_eq!(store.files().list(&codex_compat::ListParams::new()).expect("list").data.len(), 100);
}
