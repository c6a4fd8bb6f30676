use std::path::Path;
use std::sync::Arc;

use codex_auth::{AuthError, FileTokenStore, MemoryTokenStore, TokenStore};
use serde_json::json;

use crate::sample_token_set;

fn store_in(dir: &Path) -> FileTokenStore {
    FileTokenStore::new(dir.join("nested").join("deeper").join("auth.json"))
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("readable dir")
        .map(|entry| entry.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn memory_store_round_trip() {
    let store = MemoryTokenStore::new();
    assert_eq!(store.load().expect("load"), None);
    let tokens = sample_token_set();
    store.save(&tokens).expect("save");
    assert_eq!(store.load().expect("load"), Some(tokens.clone()));
    store.delete().expect("delete");
    assert_eq!(store.load().expect("load"), None);
    store.delete().expect("deleting nothing is fine");
    assert_eq!(MemoryTokenStore::with_tokens(tokens.clone()).load().expect("load"), Some(tokens));
}

#[test]
fn stores_work_behind_arc_and_box() {
    let stores: Vec<Box<dyn TokenStore>> =
        vec![Box::new(Arc::new(MemoryTokenStore::new())), Box::new(MemoryTokenStore::new())];
    for store in stores {
        store.save(&sample_token_set()).expect("save");
        assert!(store.load().expect("load").is_some());
    }
}

#[test]
fn file_store_round_trip() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = store_in(dir.path());
    assert_eq!(store.load().expect("missing file"), None);
    let tokens = sample_token_set();
    store.save(&tokens).expect("save");
    assert_eq!(store.load().expect("load"), Some(tokens.clone()));

    let mut refreshed = tokens.clone();
    refreshed
        .apply_refresh_at(
            codex_auth::TokenResponse::from_json(r#"{"access_token":"opaque","refresh_token":"rt_2"}"#)
                .expect("valid"),
            crate::at(crate::NOW + 10),
        )
        .expect("refresh");
    store.save(&refreshed).expect("save over a valid file");
    assert_eq!(store.load().expect("load"), Some(refreshed));
}

#[test]
fn file_layout_is_versioned_json() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = FileTokenStore::new(dir.path().join("auth.json"));
    let tokens = sample_token_set();
    store.save(&tokens).expect("save");
    let value: serde_json::Value =
        serde_json::from_slice(&std::fs::read(store.path()).expect("file")).expect("JSON");
    assert_eq!(value["version"], json!(1));
    assert_eq!(value["tokens"], serde_json::to_value(&tokens).expect("serializes"));
}

#[cfg(unix)]
#[test]
fn file_is_0600_and_new_directories_0700() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().expect("temp dir");
    let store = store_in(dir.path());
    store.save(&sample_token_set()).expect("save");
    let mode = |path: &Path| std::fs::metadata(path).expect("metadata").permissions().mode() & 0o777;
    assert_eq!(mode(store.path()), 0o600);
    assert_eq!(mode(&dir.path().join("nested")), 0o700);
    assert_eq!(mode(&dir.path().join("nested/deeper")), 0o700);

    // Replacing a file that had looser permissions leaves a 0600 file.
    std::fs::set_permissions(store.path(), std::fs::Permissions::from_mode(0o644)).expect("chmod");
    store.save(&sample_token_set()).expect("save");
    assert_eq!(mode(store.path()), 0o600);
}

#[test]
fn writes_leave_no_temporary_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = FileTokenStore::new(dir.path().join("auth.json"));
    for _ in 0..5 {
        store.save(&sample_token_set()).expect("save");
    }
    assert_eq!(entries(dir.path()), ["auth.json"]);
}

#[test]
fn a_corrupt_file_is_a_read_error_and_is_never_overwritten() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = FileTokenStore::new(dir.path().join("auth.json"));
    for corrupt in [&b"{ not json"[..], b"", b"   \n", br#"{"version":1}"#, br#"{"tokens":{}}"#, b"\xff\xfe"]
    {
        std::fs::write(store.path(), corrupt).expect("write");

        let err = store.load().expect_err("corrupt");
        assert!(matches!(err, AuthError::TokenStoreRead { .. }), "{err:?}");
        let message = err.to_string();
        assert!(message.contains(&store.path().display().to_string()), "{message}");
        assert!(message.contains("delete it"), "{message}");

        let err = store.save(&sample_token_set()).expect_err("refuses to overwrite");
        assert!(matches!(err, AuthError::TokenStoreWrite { .. }), "{err:?}");
        assert!(err.to_string().contains("refusing to replace"), "{err}");
        assert_eq!(std::fs::read(store.path()).expect("still there"), corrupt, "untouched");
        assert_eq!(entries(dir.path()), ["auth.json"]);
    }

    // Deleting first is the way to start over.
    store.delete().expect("delete");
    store.save(&sample_token_set()).expect("save after delete");
    assert_eq!(store.load().expect("load"), Some(sample_token_set()));
}

#[test]
fn a_newer_layout_is_neither_read_nor_overwritten() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = FileTokenStore::new(dir.path().join("auth.json"));
    let newer = json!({"version": 2, "tokens": {"something": "else"}}).to_string();
    std::fs::write(store.path(), &newer).expect("write");
    let err = store.load().expect_err("newer");
    assert!(err.to_string().contains("layout version 2"), "{err}");
    assert!(store.save(&sample_token_set()).is_err());
    assert_eq!(std::fs::read_to_string(store.path()).expect("file"), newer);
}

#[test]
fn an_unreadable_path_is_a_read_error_and_blocks_saving() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = FileTokenStore::new(dir.path().join("auth.json"));
    std::fs::create_dir(store.path()).expect("a directory where the file should be");
    let err = store.load().expect_err("cannot read a directory");
    assert!(matches!(err, AuthError::TokenStoreRead { .. }), "{err:?}");
    let err = store.save(&sample_token_set()).expect_err("cannot read, so no overwrite");
    assert!(matches!(err, AuthError::TokenStoreWrite { .. }), "{err:?}");
    assert!(err.to_string().contains("cannot be read"), "{err}");
    assert_eq!(entries(dir.path()), ["auth.json"], "no temporary file left behind");
    let err = store.delete().expect_err("remove_file does not remove directories");
    assert!(matches!(err, AuthError::TokenStoreDelete { .. }), "{err:?}");
    assert!(err.to_string().contains(&store.path().display().to_string()), "{err}");
}

#[test]
fn errors_never_contain_tokens() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = FileTokenStore::new(dir.path().join("auth.json"));
    let tokens = sample_token_set();
    // A file holding real-looking tokens, with one field of the wrong type.
    let mut value = json!({"version": 1, "tokens": serde_json::to_value(&tokens).expect("serializes")});
    value["tokens"]["expires_at"] = json!(tokens.refresh_token().expose_secret());
    std::fs::write(store.path(), value.to_string()).expect("write");
    let message = store.load().expect_err("wrong type").to_string();
    assert!(!message.contains(tokens.refresh_token().expose_secret()), "{message}");
    assert!(!message.contains(tokens.access_token().expose_secret()), "{message}");
}

#[test]
fn deleting_a_missing_file_is_ok() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = store_in(dir.path());
    store.delete().expect("nothing to delete");
    store.save(&sample_token_set()).expect("save");
    store.delete().expect("delete");
    assert!(!store.path().exists());
    assert_eq!(store.load().expect("load"), None);
}

#[test]
fn default_path_is_under_the_home_directory() {
    let path = FileTokenStore::default_path().expect("home is known here");
    assert!(path.ends_with(".oauth_codex/auth.json"), "{}", path.display());
    assert_eq!(FileTokenStore::at_default_path().expect("home").path(), path);
}
