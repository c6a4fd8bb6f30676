//! `FallbackTokenStore`: keyring first, file fallback, legacy migration.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use codex_auth::{
    AuthError, DEFAULT_KEYRING_ACCOUNT, FallbackTokenStore, FileTokenStore, KeyringBackend as _,
    KeyringErrorKind, KeyringTokenStore, LEGACY_KEYRING_SERVICE, SystemKeyring, TokenSet, TokenStore,
    TokenStoreLocations,
};
use serde_json::{Value, json};

use crate::keyring_store::{
    MemoryKeyring, assert_no_secret, real_keyring_tests, sample_secrets, test_service,
};
use crate::{NOW, at, jwt, sample_id_token, sample_token_set};

const LEGACY: &str = "legacy-service";

fn locations(dir: &Path) -> TokenStoreLocations {
    TokenStoreLocations::new(dir.join("new").join("auth.json"))
        .with_keyring_entry("svc", "acct")
        .with_legacy_keyring_entry(LEGACY, DEFAULT_KEYRING_ACCOUNT)
        .with_legacy_file(dir.join("legacy").join("auth.json"))
}

fn store_with(dir: &Path, backend: &Arc<MemoryKeyring>) -> FallbackTokenStore {
    FallbackTokenStore::with_backend(locations(dir), backend.clone())
}

fn tokens_refreshed_at(seconds: u64) -> TokenSet {
    let mut tokens = sample_token_set();
    tokens
        .apply_refresh_at(
            codex_auth::TokenResponse::from_json(format!(
                r#"{{"access_token":"at_refreshed_{seconds}","refresh_token":"rt_refreshed_{seconds}"}}"#
            ))
            .expect("valid"),
            at(seconds),
        )
        .expect("refresh");
    tokens
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, bytes).expect("write");
}

fn versioned(tokens: &TokenSet) -> Vec<u8> {
    serde_json::to_vec(&json!({"version": 1, "tokens": tokens})).expect("JSON")
}

/// The Python original's flat layout.
fn flat_legacy(access_token: &str, id_token: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "access_token": access_token,
        "api_key": null,
        "refresh_token": "rt_legacy-refresh",
        "id_token": id_token,
        "token_type": "Bearer",
        "scope": "openid profile email offline_access",
        "expires_at": (NOW + 1800) as f64 + 0.75,
        "account_id": "acct-from-legacy-file",
        "last_refresh": NOW as f64 + 0.5,
    }))
    .expect("JSON")
}

/// Captures the log lines written while `f` runs.
fn logs_of<T>(f: impl FnOnce() -> T) -> (T, String) {
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("lock").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let sink = Sink::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .finish();
    let value = tracing::subscriber::with_default(subscriber, f);
    let text = String::from_utf8(sink.0.lock().expect("lock").clone()).expect("UTF-8 logs");
    (value, text)
}

#[test]
fn default_locations() {
    let locations = FallbackTokenStore::default_locations().expect("home directory");
    assert_eq!(
        (locations.keyring_service.as_str(), locations.keyring_account.as_str()),
        ("oauth-codex", "default")
    );
    assert!(locations.file.ends_with(".oauth_codex/auth.json"), "{}", locations.file.display());
    assert_eq!(locations.legacy_keyring, Some(("codex-oauth-llm".to_owned(), "default".to_owned())));
    assert_eq!(LEGACY_KEYRING_SERVICE, "codex-oauth-llm");
    let legacy_file = locations.legacy_file.expect("legacy file");
    assert!(legacy_file.ends_with(".codex_oauth_llm/auth.json"), "{}", legacy_file.display());
    assert_eq!(TokenStoreLocations::new("/x").without_legacy().legacy_file, None);
}

#[test]
fn uses_the_keyring_when_it_works() {
    let dir = tempfile::tempdir().expect("temp dir");
    let backend = Arc::new(MemoryKeyring::default());
    let store = store_with(dir.path(), &backend);
    assert_eq!(store.load().expect("empty"), None);

    let tokens = sample_token_set();
    store.save(&tokens).expect("save");
    assert!(backend.value("svc", "acct").is_some(), "saved in the keyring");
    assert!(!store.file().path().exists(), "not in the file");
    assert_eq!(store.load().expect("load"), Some(tokens));

    store.delete().expect("delete");
    assert_eq!(backend.value("svc", "acct"), None);
    assert_eq!(store.load().expect("load"), None);
}

#[test]
fn falls_back_to_the_file_when_the_keyring_fails() {
    for kind in [KeyringErrorKind::Unavailable, KeyringErrorKind::AccessDenied, KeyringErrorKind::Other] {
        let dir = tempfile::tempdir().expect("temp dir");
        let backend = Arc::new(MemoryKeyring::failing(kind));
        let store = store_with(dir.path(), &backend);
        assert_eq!(store.load().expect("a failing keyring is skipped"), None);

        let tokens = sample_token_set();
        store.save(&tokens).expect("saved to the file");
        let file: Value =
            serde_json::from_slice(&std::fs::read(store.file().path()).expect("file")).expect("JSON");
        assert_eq!(file["version"], json!(1));
        assert_eq!(store.load().expect("load"), Some(tokens.clone()));
        assert_eq!(
            FileTokenStore::new(store.file().path()).load().expect("file store reads it"),
            Some(tokens)
        );

        if kind == KeyringErrorKind::Unavailable {
            store.delete().expect("an unreachable keyring holds nothing that can be deleted");
        } else {
            let error = store.delete().expect_err("the keyring copy may be present");
            assert!(matches!(error, AuthError::TokenStoreDelete { .. }), "{error:?}");
        }
        assert!(!store.file().path().exists(), "the file copy is deleted either way");
    }
}

#[test]
fn warns_once_and_logs_no_secret() {
    let dir = tempfile::tempdir().expect("temp dir");
    let backend = Arc::new(MemoryKeyring::failing(KeyringErrorKind::Unavailable));
    let store = store_with(dir.path(), &backend);
    let tokens = sample_token_set();
    let ((), logs) = logs_of(|| {
        store.save(&tokens).expect("save");
        store.save(&tokens).expect("save again");
        assert!(store.load().expect("load").is_some());
    });
    let warnings: Vec<&str> = logs.lines().filter(|line| line.contains("WARN")).collect();
    assert_eq!(warnings.len(), 1, "one warning, then debug lines:\n{logs}");
    assert!(warnings[0].contains("saving the sign-in to the token file instead"), "{logs}");
    assert!(warnings[0].contains("the test keyring is out of order"), "{logs}");
    assert!(logs.lines().filter(|line| line.contains("DEBUG")).count() >= 2, "{logs}");
    assert_no_secret(&logs, &sample_secrets());
}

#[test]
fn the_more_recently_refreshed_copy_wins() {
    let dir = tempfile::tempdir().expect("temp dir");
    let backend = Arc::new(MemoryKeyring::default());
    let store = store_with(dir.path(), &backend);
    let older = tokens_refreshed_at(NOW + 10);
    let newer = tokens_refreshed_at(NOW + 20);

    // The keyring was away during the last save: the file holds the newer tokens.
    backend.put("svc", "acct", &versioned(&older));
    write(store.file().path(), &versioned(&newer));
    assert_eq!(store.load().expect("load"), Some(newer.clone()));

    // And the other way round.
    backend.put("svc", "acct", &versioned(&newer));
    std::fs::write(store.file().path(), versioned(&older)).expect("write");
    assert_eq!(store.load().expect("load"), Some(newer.clone()));

    // Ties go to the keyring.
    let mut other = newer.clone();
    other
        .apply_refresh_at(
            codex_auth::TokenResponse::from_json(r#"{"access_token":"at_other"}"#).expect("valid"),
            at(NOW + 20),
        )
        .expect("refresh");
    std::fs::write(store.file().path(), versioned(&other)).expect("write");
    assert_eq!(store.load().expect("load"), Some(newer));
}

#[test]
fn saving_to_the_keyring_removes_a_stale_file_copy() {
    let dir = tempfile::tempdir().expect("temp dir");
    let backend = Arc::new(MemoryKeyring::default());
    let store = store_with(dir.path(), &backend);
    write(store.file().path(), &versioned(&tokens_refreshed_at(NOW + 10)));

    let tokens = tokens_refreshed_at(NOW + 20);
    store.save(&tokens).expect("save");
    assert!(!store.file().path().exists(), "the stale file copy is gone");
    assert_eq!(store.load().expect("load"), Some(tokens));
}

#[test]
fn an_unreadable_file_is_an_error_unless_the_keyring_has_the_sign_in() {
    let dir = tempfile::tempdir().expect("temp dir");
    let backend = Arc::new(MemoryKeyring::default());
    let store = store_with(dir.path(), &backend);
    write(store.file().path(), b"{\"version\": 1, \"tokens\": 5}");

    let error = store.load().expect_err("the file is corrupt and the keyring empty");
    assert!(matches!(error, AuthError::TokenStoreRead { .. }), "{error:?}");

    let tokens = sample_token_set();
    store.save(&tokens).expect("save to the keyring");
    assert!(store.file().path().exists(), "an unreadable file is never removed implicitly");
    assert_eq!(store.load().expect("the keyring's copy is used"), Some(tokens));
}

#[test]
fn migrates_a_flat_legacy_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let backend = Arc::new(MemoryKeyring::default());
    let store = store_with(dir.path(), &backend);
    let legacy_path = locations(dir.path()).legacy_file.expect("legacy file");
    // An opaque access token: the expiry can only come from the legacy `expires_at`. An ID
    // token without an account id: the legacy `account_id` is used.
    let id_token = jwt(&json!({ "email": "legacy@example.com" }));
    write(&legacy_path, &flat_legacy("at_legacy-opaque", &id_token));

    let tokens = store.load().expect("load").expect("migrated");
    assert_eq!(tokens.access_token().expose_secret(), "at_legacy-opaque");
    assert_eq!(tokens.refresh_token().expose_secret(), "rt_legacy-refresh");
    assert_eq!(tokens.id_token().expose_secret(), id_token);
    assert_eq!(tokens.email(), Some("legacy@example.com"));
    assert_eq!(tokens.account_id(), Some("acct-from-legacy-file"));
    assert_eq!(tokens.expires_at(), Some(at(NOW + 1800)));
    assert_eq!(tokens.last_refresh(), Some(at(NOW) + std::time::Duration::from_millis(500)));

    assert!(backend.value("svc", "acct").is_some(), "saved in the new store");
    assert!(!legacy_path.exists(), "the legacy copy is removed after the save");
    assert_eq!(store.load().expect("load again"), Some(tokens), "now read from the new store");
}

#[test]
fn migrates_a_flat_legacy_file_with_a_jwt_access_token_and_text_times() {
    let dir = tempfile::tempdir().expect("temp dir");
    let backend = Arc::new(MemoryKeyring::default());
    let store = store_with(dir.path(), &backend);
    let legacy_path = locations(dir.path()).legacy_file.expect("legacy file");
    let access_token = crate::sample_access_token(NOW + 3600);
    let mut value: Value =
        serde_json::from_slice(&flat_legacy(&access_token, &sample_id_token())).expect("JSON");
    value["last_refresh"] = json!("2025-01-01T00:00:00Z");
    value["expires_at"] = json!(NOW + 60);
    write(&legacy_path, value.to_string().as_bytes());

    let tokens = store.load().expect("load").expect("migrated");
    assert_eq!(tokens.expires_at(), Some(at(NOW + 3600)), "the access token's own expiry wins");
    assert_eq!(tokens.account_id(), Some("acct-123"), "the ID token's account wins");
    assert_eq!(tokens.last_refresh(), Some(at(NOW)));
    assert!(!legacy_path.exists());
}

#[test]
fn migrates_a_versioned_legacy_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let backend = Arc::new(MemoryKeyring::default());
    let store = store_with(dir.path(), &backend);
    let legacy_path = locations(dir.path()).legacy_file.expect("legacy file");
    let tokens = sample_token_set();
    write(&legacy_path, &versioned(&tokens));

    assert_eq!(store.load().expect("load"), Some(tokens));
    assert!(!legacy_path.exists());
}

#[test]
fn migrates_the_legacy_keyring_entry_saving_before_deleting() {
    let dir = tempfile::tempdir().expect("temp dir");
    let backend = Arc::new(MemoryKeyring::default());
    let store = store_with(dir.path(), &backend);
    backend.put(LEGACY, DEFAULT_KEYRING_ACCOUNT, &flat_legacy("at_legacy-opaque", &sample_id_token()));
    // The legacy file is consulted only when the legacy keyring entry is empty.
    let legacy_path = locations(dir.path()).legacy_file.expect("legacy file");
    write(&legacy_path, &versioned(&tokens_refreshed_at(NOW + 99)));

    let tokens = store.load().expect("load").expect("migrated");
    assert_eq!(tokens.access_token().expose_secret(), "at_legacy-opaque");
    assert_eq!(backend.value(LEGACY, DEFAULT_KEYRING_ACCOUNT), None, "legacy entry removed");
    assert!(backend.value("svc", "acct").is_some());
    let calls = backend.calls();
    let saved = calls.iter().position(|c| c == "set svc").expect("saved");
    let deleted = calls.iter().position(|c| c == &format!("delete {LEGACY}")).expect("deleted");
    assert!(saved < deleted, "save first, then delete: {calls:?}");
    assert!(legacy_path.exists(), "the other legacy copy is not touched by the migration");
}

#[cfg(unix)]
#[test]
fn a_failed_migration_keeps_the_legacy_copy() {
    let dir = tempfile::tempdir().expect("temp dir");
    // The keyring refuses writes, and the new file cannot be created: its directory is a
    // dangling symbolic link (so the file reads as missing, but no directory can be made).
    let backend = Arc::new(MemoryKeyring { fail_set: true, ..MemoryKeyring::default() });
    let dangling = dir.path().join("dangling");
    std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).expect("symlink");
    let mut locations = locations(dir.path());
    locations.file = dangling.join("auth.json");
    let legacy_file = locations.legacy_file.clone().expect("legacy file");
    let store = FallbackTokenStore::with_backend(locations, backend.clone());

    let legacy_entry = flat_legacy("at_legacy-opaque", &sample_id_token());
    backend.put(LEGACY, DEFAULT_KEYRING_ACCOUNT, &legacy_entry);
    let (tokens, logs) = logs_of(|| store.load().expect("load"));
    let tokens = tokens.expect("the legacy sign-in is still returned");
    assert_eq!(tokens.access_token().expose_secret(), "at_legacy-opaque");
    assert_eq!(backend.value(LEGACY, DEFAULT_KEYRING_ACCOUNT), Some(legacy_entry), "legacy entry kept");
    assert!(!backend.calls().iter().any(|c| c.starts_with("delete")), "{:?}", backend.calls());
    assert!(logs.contains("could not be saved in the new location"), "{logs}");
    assert_no_secret(&logs, &["at_legacy-opaque".to_owned(), "rt_legacy-refresh".to_owned()]);

    // Same for a legacy file.
    backend.clear();
    let legacy_bytes = versioned(&sample_token_set());
    write(&legacy_file, &legacy_bytes);
    assert_eq!(store.load().expect("load"), Some(sample_token_set()));
    assert_eq!(std::fs::read(&legacy_file).expect("kept"), legacy_bytes);
}

#[test]
fn an_unusable_legacy_copy_is_left_alone() {
    let dir = tempfile::tempdir().expect("temp dir");
    let backend = Arc::new(MemoryKeyring::default());
    let store = store_with(dir.path(), &backend);
    let legacy_path = locations(dir.path()).legacy_file.expect("legacy file");
    for content in [
        // No refresh token: it could not stay signed in.
        json!({"access_token": "at_secret-legacy", "refresh_token": null, "id_token": sample_id_token()})
            .to_string(),
        "not JSON at_secret-legacy".to_owned(),
        json!({"access_token": "at_secret-legacy", "refresh_token": "rt_x", "id_token": "not-a-jwt"})
            .to_string(),
    ] {
        write(&legacy_path, content.as_bytes());
        let (loaded, logs) = logs_of(|| store.load().expect("load"));
        assert_eq!(loaded, None);
        assert_eq!(std::fs::read_to_string(&legacy_path).expect("kept"), content);
        assert!(logs.contains("cannot be read"), "{logs}");
        assert_no_secret(&logs, &["at_secret-legacy".to_owned(), sample_id_token()]);
    }
}

#[test]
fn delete_removes_every_copy_including_legacy_ones() {
    let dir = tempfile::tempdir().expect("temp dir");
    let backend = Arc::new(MemoryKeyring::default());
    let store = store_with(dir.path(), &backend);
    let legacy_path = locations(dir.path()).legacy_file.expect("legacy file");
    let bytes = versioned(&sample_token_set());
    backend.put("svc", "acct", &bytes);
    backend.put(LEGACY, DEFAULT_KEYRING_ACCOUNT, &bytes);
    write(store.file().path(), &bytes);
    write(&legacy_path, &bytes);

    store.delete().expect("delete");
    assert_eq!(backend.value("svc", "acct"), None);
    assert_eq!(backend.value(LEGACY, DEFAULT_KEYRING_ACCOUNT), None);
    assert!(!store.file().path().exists());
    assert!(!legacy_path.exists());
    assert_eq!(store.load().expect("nothing comes back"), None);
    store.delete().expect("deleting nothing is fine");
}

#[test]
fn delete_reports_copies_that_could_not_be_removed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let backend = Arc::new(MemoryKeyring { fail_delete: true, ..MemoryKeyring::default() });
    let mut locations = locations(dir.path());
    // A directory where the file should be: removing it as a file fails.
    std::fs::create_dir_all(&locations.file).expect("mkdir");
    locations.legacy_keyring = None;
    let store = FallbackTokenStore::with_backend(locations, backend);

    let error = store.delete().expect_err("two copies could not be removed");
    let AuthError::TokenStoreDelete { store: names, reason } = &error else {
        panic!("unexpected {error:?}");
    };
    assert!(names.contains("keyring entry") && names.contains("token file"), "{names}");
    assert!(reason.contains("the test keyring refuses deletes"), "{reason}");
}

/// Set in the child process of [`without_any_keyring_the_file_is_used`].
const CHILD_DIR: &str = "OAUTH_CODEX_TEST_NO_KEYRING_DIR";

/// The real keyring backend with no D-Bus session at all: run in a child process whose
/// `DBUS_SESSION_BUS_ADDRESS` points nowhere, so this process's environment is untouched.
#[test]
fn without_any_keyring_the_file_is_used() {
    if let Some(dir) = std::env::var_os(CHILD_DIR) {
        no_keyring_child(Path::new(&dir));
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let name = format!(
        "{}::without_any_keyring_the_file_is_used",
        module_path!().split_once("::").map_or("", |(_, path)| path)
    );
    let output = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args([name.as_str(), "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR, dir.path())
        .env("DBUS_SESSION_BUS_ADDRESS", format!("unix:path={}", dir.path().join("no-bus").display()))
        .env_remove("XDG_RUNTIME_DIR")
        .output()
        .expect("run the child");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "child failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed"), "the child ran the test:\n{stdout}");
    assert!(stdout.contains("CHILD-OK"), "{stdout}");
}

fn no_keyring_child(dir: &Path) {
    let file: PathBuf = dir.join("auth.json");
    let service = test_service("no-bus");
    let locations = TokenStoreLocations::new(&file).with_keyring_entry(service.as_str(), "default");

    // The keyring store alone reports the missing keyring, naming it and the cause.
    let keyring = KeyringTokenStore::with_entry(service.as_str(), "default");
    let error = keyring.load().expect_err("no keyring");
    let message = error.to_string();
    assert!(matches!(error, AuthError::TokenStoreRead { .. }), "{error:?}");
    assert!(message.contains("Secret Service") && message.contains("D-Bus"), "{message}");
    assert!(matches!(keyring.save(&sample_token_set()), Err(AuthError::TokenStoreWrite { .. })));
    assert!(matches!(keyring.delete(), Err(AuthError::TokenStoreDelete { .. })));
    assert_no_secret(&message, &sample_secrets());

    // The fallback store uses the file.
    let store = FallbackTokenStore::new(locations);
    assert_eq!(store.load().expect("load"), None);
    let tokens = sample_token_set();
    store.save(&tokens).expect("saved to the file");
    assert!(file.exists());
    assert_eq!(FileTokenStore::new(&file).load().expect("file"), Some(tokens.clone()));
    assert_eq!(store.load().expect("load"), Some(tokens));
    store.delete().expect("delete: the unreachable keyring is skipped");
    assert!(!file.exists());
    let _ = writeln!(std::io::stdout(), "CHILD-OK");
}

// ---- A real Secret Service (tests/keyring-session.sh) ----

#[test]
fn real_keyring_fallback_store_uses_the_keyring() {
    if !real_keyring_tests() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let service = test_service("fallback");
    let store = FallbackTokenStore::new(
        TokenStoreLocations::new(dir.path().join("auth.json"))
            .with_keyring_entry(service.as_str(), "default"),
    );
    let tokens = sample_token_set();
    store.save(&tokens).expect("save");
    assert!(!store.file().path().exists(), "saved in the keyring, not the file");
    assert_eq!(store.load().expect("load"), Some(tokens));
    store.delete().expect("delete");
    assert_eq!(KeyringTokenStore::with_entry(service.as_str(), "default").load().expect("load"), None);
}

#[test]
fn real_keyring_migrates_a_python_keyring_entry() {
    if !real_keyring_tests() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let service = test_service("new");
    let legacy = test_service("legacy");
    let keyring = SystemKeyring::new();
    // What Python's `keyring.set_password(service, "default", json.dumps(payload))` leaves.
    keyring
        .set(&legacy, "default", &flat_legacy("at_legacy-opaque", &sample_id_token()))
        .expect("write the legacy entry");

    let store = FallbackTokenStore::new(
        TokenStoreLocations::new(dir.path().join("auth.json"))
            .with_keyring_entry(service.as_str(), "default")
            .with_legacy_keyring_entry(legacy.as_str(), "default"),
    );
    let tokens = store.load().expect("load").expect("migrated");
    assert_eq!(tokens.access_token().expose_secret(), "at_legacy-opaque");
    assert_eq!(keyring.get(&legacy, "default").expect("read"), None, "legacy entry removed");
    assert!(keyring.get(&service, "default").expect("read").is_some(), "new entry written");
    assert!(!store.file().path().exists());
    store.delete().expect("clean up");
}
