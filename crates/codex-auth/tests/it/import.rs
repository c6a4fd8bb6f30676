//! The explicit import of the Codex CLI's sign-in.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use codex_auth::{
    AuthError, FileTokenStore, MemoryTokenStore, TokenStore, codex_cli_auth_path_with_env,
    import_codex_cli_login, import_codex_cli_login_with_env,
};
use serde_json::json;

use crate::keyring_store::assert_no_secret;
use crate::{NOW, SAMPLE_REFRESH_TOKEN, at, sample_access_token, sample_id_token};

fn codex_auth_json() -> String {
    serde_json::to_string_pretty(&json!({
        "OPENAI_API_KEY": null,
        "tokens": {
            "id_token": sample_id_token(),
            "access_token": sample_access_token(NOW + 3600),
            "refresh_token": SAMPLE_REFRESH_TOKEN,
            "account_id": "acct-123"
        },
        "last_refresh": "2025-01-01T00:00:00Z"
    }))
    .expect("JSON")
}

fn no_env(_: &str) -> Option<OsString> {
    None
}

fn write_codex_home(dir: &Path, contents: &str) -> PathBuf {
    let path = dir.join("auth.json");
    std::fs::write(&path, contents).expect("write");
    path
}

#[test]
fn imports_without_touching_the_codex_cli_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write_codex_home(dir.path(), &codex_auth_json());
    // An mtime well in the past, so any rewrite would show even within the same second.
    let old = SystemTime::now() - Duration::from_secs(86_400);
    std::fs::File::options().write(true).open(&path).expect("open").set_modified(old).expect("set mtime");
    let before = (std::fs::read(&path).expect("read"), std::fs::metadata(&path).expect("metadata"));

    let store = MemoryTokenStore::new();
    let tokens = import_codex_cli_login(Some(dir.path()), &store).expect("import");
    assert_eq!(tokens.access_token().expose_secret(), sample_access_token(NOW + 3600));
    assert_eq!(tokens.refresh_token().expose_secret(), SAMPLE_REFRESH_TOKEN);
    assert_eq!(tokens.account_id(), Some("acct-123"));
    assert_eq!(tokens.last_refresh(), Some(at(NOW)));
    assert_eq!(store.load().expect("load"), Some(tokens));

    let after = (std::fs::read(&path).expect("read"), std::fs::metadata(&path).expect("metadata"));
    assert_eq!(before.0, after.0, "bytes unchanged");
    assert_eq!(after.1.modified().expect("mtime"), old, "mtime unchanged");
    assert_eq!(before.1.permissions(), after.1.permissions());
    let names: Vec<_> =
        std::fs::read_dir(dir.path()).expect("dir").map(|e| e.expect("entry").file_name()).collect();
    assert_eq!(names, vec![OsString::from("auth.json")], "nothing created beside it");
}

#[test]
fn imports_into_a_file_store() {
    let codex = tempfile::tempdir().expect("temp dir");
    write_codex_home(codex.path(), &codex_auth_json());
    let ours = tempfile::tempdir().expect("temp dir");
    let store = FileTokenStore::new(ours.path().join("auth.json"));
    let tokens = import_codex_cli_login(Some(codex.path()), &store).expect("import");
    assert_eq!(store.load().expect("load"), Some(tokens));
}

#[test]
fn codex_home_comes_from_the_argument_then_the_environment_then_home() {
    let env = |name: &str| (name == "CODEX_HOME").then(|| OsString::from("/from/env"));
    assert_eq!(
        codex_cli_auth_path_with_env(Some(Path::new("/explicit")), &env).expect("path"),
        PathBuf::from("/explicit/auth.json")
    );
    assert_eq!(codex_cli_auth_path_with_env(None, &env).expect("path"), PathBuf::from("/from/env/auth.json"));
    let empty = |_: &str| Some(OsString::new());
    let home = dirs::home_dir().expect("home");
    for env in [&empty as &dyn Fn(&str) -> Option<OsString>, &no_env] {
        assert_eq!(
            codex_cli_auth_path_with_env(None, env).expect("path"),
            home.join(".codex").join("auth.json")
        );
    }

    // The import reads the environment through the same hook.
    let dir = tempfile::tempdir().expect("temp dir");
    write_codex_home(dir.path(), &codex_auth_json());
    let dir_path = dir.path().as_os_str().to_owned();
    let env = move |name: &str| (name == "CODEX_HOME").then(|| dir_path.clone());
    let store = MemoryTokenStore::new();
    import_codex_cli_login_with_env(None, &env, &store).expect("import via CODEX_HOME");
    assert!(store.load().expect("load").is_some());
}

fn import_error(contents: Option<&str>) -> AuthError {
    let dir = tempfile::tempdir().expect("temp dir");
    if let Some(contents) = contents {
        write_codex_home(dir.path(), contents);
    }
    let store = MemoryTokenStore::new();
    let error = import_codex_cli_login_with_env(Some(dir.path()), &no_env, &store).expect_err("fails");
    assert_eq!(store.load().expect("load"), None, "nothing saved");
    if let Some(contents) = contents {
        assert_eq!(std::fs::read_to_string(dir.path().join("auth.json")).expect("kept"), contents);
    }
    error
}

#[test]
fn a_missing_file_says_how_to_get_one() {
    let error = import_error(None);
    assert!(matches!(error, AuthError::TokenStoreRead { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("Codex CLI's sign-in file") && message.contains("does not exist"), "{message}");
    assert!(message.contains("codex login") && message.contains("CODEX_HOME"), "{message}");
}

#[test]
fn an_api_key_only_file_is_refused_without_quoting_the_key() {
    let error = import_error(Some(r#"{"auth_mode": "apikey", "OPENAI_API_KEY": "sk-proj-SECRET-KEY-123"}"#));
    let message = error.to_string();
    assert!(matches!(error, AuthError::TokenStoreRead { .. }), "{error:?}");
    assert!(message.contains("only an API key"), "{message}");
    assert_no_secret(&message, &["sk-proj-SECRET-KEY-123".to_owned()]);
    assert_no_secret(&format!("{error:?}"), &["sk-proj-SECRET-KEY-123".to_owned()]);

    let message = import_error(Some(r#"{"OPENAI_API_KEY": null}"#)).to_string();
    assert!(message.contains("no ChatGPT sign-in"), "{message}");
}

#[test]
fn a_malformed_file_is_refused_without_quoting_it() {
    let secrets = ["rt_SECRET-refresh".to_owned(), "sk-SECRET-key".to_owned(), "at_SECRET".to_owned()];
    for contents in [
        "rt_SECRET-refresh is not JSON",
        r#"{"OPENAI_API_KEY": "sk-SECRET-key", "tokens": 5}"#,
        r#"{"tokens": {"id_token": "x", "access_token": "at_SECRET"}}"#,
        r#"{"tokens": {"id_token": 7, "access_token": "at_SECRET", "refresh_token": "rt_SECRET-refresh"}}"#,
        "",
    ] {
        let error = import_error(Some(contents));
        assert!(matches!(error, AuthError::TokenStoreRead { .. }), "{error:?}");
        let message = error.to_string();
        assert!(
            message.contains("not a Codex CLI auth.json") && message.contains("not changed"),
            "{message}"
        );
        assert_no_secret(&message, &secrets);
        assert_no_secret(&format!("{error:?}"), &secrets);
    }
}

#[test]
fn an_unreadable_id_token_is_refused_without_quoting_it() {
    let contents = json!({
        "OPENAI_API_KEY": null,
        "tokens": {"id_token": "id-SECRET-not-a-jwt", "access_token": "at_SECRET", "refresh_token": "rt_SECRET"}
    })
    .to_string();
    let error = import_error(Some(&contents));
    let message = error.to_string();
    assert!(matches!(error, AuthError::TokenStoreRead { .. }), "{error:?}");
    assert!(message.contains("id_token") && message.contains("not a JWT"), "{message}");
    assert_no_secret(&message, &["SECRET".to_owned()]);
}

#[test]
fn a_failed_save_is_reported() {
    let codex = tempfile::tempdir().expect("temp dir");
    write_codex_home(codex.path(), &codex_auth_json());
    let blocker = codex.path().join("blocker");
    std::fs::write(&blocker, b"").expect("write");
    let store = FileTokenStore::new(blocker.join("auth.json"));
    let error = import_codex_cli_login(Some(codex.path()), &store).expect_err("cannot save");
    assert!(matches!(error, AuthError::TokenStoreWrite { .. }), "{error:?}");
}
