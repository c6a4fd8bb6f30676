//! `KeyringTokenStore`: with in-test backends, and against a real Secret Service when
//! `OAUTH_CODEX_KEYRING_TESTS=1` (set by `tests/keyring-session.sh`).

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::{Arc, Mutex, Once};

use codex_auth::{
    AuthError, DEFAULT_KEYRING_ACCOUNT, DEFAULT_KEYRING_SERVICE, KeyringBackend, KeyringError,
    KeyringErrorKind, KeyringTokenStore, SystemKeyring, TokenStore,
};
use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::{SAMPLE_REFRESH_TOKEN, sample_token_set};

/// A keyring in memory, recording every call, optionally failing some.
#[derive(Default)]
pub(crate) struct MemoryKeyring {
    pub(crate) entries: Mutex<HashMap<(String, String), Vec<u8>>>,
    pub(crate) calls: Mutex<Vec<String>>,
    /// Every call fails with this kind.
    pub(crate) fail_all: Option<KeyringErrorKind>,
    /// `set` fails (with `Other`).
    pub(crate) fail_set: bool,
    /// `delete` fails (with `Other`).
    pub(crate) fail_delete: bool,
}

impl MemoryKeyring {
    pub(crate) fn failing(kind: KeyringErrorKind) -> Self {
        Self { fail_all: Some(kind), ..Self::default() }
    }

    pub(crate) fn put(&self, service: &str, account: &str, secret: &[u8]) {
        self.entries.lock().expect("lock").insert((service.to_owned(), account.to_owned()), secret.to_vec());
    }

    pub(crate) fn value(&self, service: &str, account: &str) -> Option<Vec<u8>> {
        self.entries.lock().expect("lock").get(&(service.to_owned(), account.to_owned())).cloned()
    }

    pub(crate) fn clear(&self) {
        self.entries.lock().expect("lock").clear();
    }

    /// The calls made, as `get service`, `set service`, `delete service`.
    pub(crate) fn calls(&self) -> Vec<String> {
        self.calls.lock().expect("lock").clone()
    }

    fn record(&self, call: &str, service: &str) -> Result<(), KeyringError> {
        self.calls.lock().expect("lock").push(format!("{call} {service}"));
        match self.fail_all {
            Some(kind) => Err(KeyringError::new(kind, "the test keyring is out of order")),
            None => Ok(()),
        }
    }
}

impl KeyringBackend for MemoryKeyring {
    fn name(&self) -> String {
        "the test keyring".to_owned()
    }

    fn get(&self, service: &str, account: &str) -> Result<Option<Zeroizing<Vec<u8>>>, KeyringError> {
        self.record("get", service)?;
        Ok(self.value(service, account).map(Zeroizing::new))
    }

    fn set(&self, service: &str, account: &str, secret: &[u8]) -> Result<(), KeyringError> {
        self.record("set", service)?;
        if self.fail_set {
            return Err(KeyringError::new(KeyringErrorKind::Other, "the test keyring refuses writes"));
        }
        self.put(service, account, secret);
        Ok(())
    }

    fn delete(&self, service: &str, account: &str) -> Result<bool, KeyringError> {
        self.record("delete", service)?;
        if self.fail_delete {
            return Err(KeyringError::new(KeyringErrorKind::Other, "the test keyring refuses deletes"));
        }
        Ok(self.entries.lock().expect("lock").remove(&(service.to_owned(), account.to_owned())).is_some())
    }
}

/// Whether the real-keyring tests run: `OAUTH_CODEX_KEYRING_TESTS=1`. Otherwise prints a
/// one-line notice once (straight to stderr, past the test harness's capture).
pub(crate) fn real_keyring_tests() -> bool {
    static NOTICE: Once = Once::new();
    if std::env::var("OAUTH_CODEX_KEYRING_TESTS").as_deref() == Ok("1") {
        return true;
    }
    NOTICE.call_once(|| {
        let _ = writeln!(
            std::io::stderr(),
            "note: codex-auth's real-keyring tests were not run; run them with \
             crates/codex-auth/tests/keyring-session.sh cargo test -p codex-auth"
        );
    });
    false
}

/// A keyring service name of this test process only, so parallel tests and runs never share
/// an entry (and a developer's real `oauth-codex` entry is never touched).
pub(crate) fn test_service(tag: &str) -> String {
    format!("oauth-codex-test-{}-{tag}", std::process::id())
}

/// The secrets of the sample tokens, which no message may contain.
pub(crate) fn sample_secrets() -> Vec<String> {
    let tokens = sample_token_set();
    vec![
        tokens.access_token().expose_secret().to_owned(),
        tokens.id_token().expose_secret().to_owned(),
        SAMPLE_REFRESH_TOKEN.to_owned(),
    ]
}

pub(crate) fn assert_no_secret(text: &str, secrets: &[String]) {
    for secret in secrets {
        assert!(!text.contains(secret.as_str()), "a secret leaked into: {text}");
    }
}

fn expected_secret_json() -> Value {
    json!({ "version": 1, "tokens": serde_json::to_value(sample_token_set()).expect("serializes") })
}

#[test]
fn defaults() {
    assert_eq!(DEFAULT_KEYRING_SERVICE, "oauth-codex");
    assert_eq!(DEFAULT_KEYRING_ACCOUNT, "default");
    let store = KeyringTokenStore::new();
    assert_eq!((store.service(), store.account()), ("oauth-codex", "default"));
    let store = KeyringTokenStore::with_entry("svc", "acct");
    assert_eq!((store.service(), store.account()), ("svc", "acct"));
    // Creating a store connects to nothing.
    assert!(format!("{store:?}").contains("svc"));
}

#[test]
fn round_trip_stores_compact_versioned_json() {
    let backend = Arc::new(MemoryKeyring::default());
    let store = KeyringTokenStore::with_backend("svc", "acct", backend.clone());
    assert_eq!(store.load().expect("missing entry"), None);
    store.delete().expect("deleting a missing entry is fine");

    let tokens = sample_token_set();
    store.save(&tokens).expect("save");
    let raw = backend.value("svc", "acct").expect("saved under the entry");
    assert!(!raw.contains(&b'\n'), "compact JSON");
    assert_eq!(serde_json::from_slice::<Value>(&raw).expect("JSON"), expected_secret_json());
    assert_eq!(store.load().expect("load"), Some(tokens.clone()));

    store.save(&tokens).expect("save over a readable entry");
    store.delete().expect("delete");
    assert_eq!(backend.value("svc", "acct"), None);
    assert_eq!(store.load().expect("load"), None);
}

#[test]
fn unreadable_entry_is_reported_and_not_replaced() {
    let secrets = sample_secrets();
    for content in [
        b"not json, maybe a secret rt_sample-refresh-token-value".as_slice(),
        br#"{"version": 2, "tokens": {}}"#.as_slice(),
        br#"{"version": 1, "tokens": {"access_token": "rt_sample-refresh-token-value"}}"#.as_slice(),
    ] {
        let backend = Arc::new(MemoryKeyring::default());
        backend.put("svc", "acct", content);
        let store = KeyringTokenStore::with_backend("svc", "acct", backend.clone());

        let load = store.load().expect_err("unreadable");
        assert!(matches!(load, AuthError::TokenStoreRead { .. }), "{load:?}");
        let save = store.save(&sample_token_set()).expect_err("refuses to replace");
        assert!(matches!(save, AuthError::TokenStoreWrite { .. }), "{save:?}");
        assert!(save.to_string().contains("refusing to replace"), "{save}");
        for message in [load.to_string(), save.to_string(), format!("{load:?}"), format!("{save:?}")] {
            assert!(message.contains("`svc`") && message.contains("`acct`"), "{message}");
            assert_no_secret(&message, &secrets);
        }
        assert_eq!(backend.value("svc", "acct").as_deref(), Some(content), "left untouched");

        store.delete().expect("delete removes it");
        store.save(&sample_token_set()).expect("then saving works");
    }
}

#[test]
fn unavailable_keyring_errors_name_the_keyring_and_the_cause() {
    let store = KeyringTokenStore::with_backend(
        "svc",
        "acct",
        Arc::new(MemoryKeyring::failing(KeyringErrorKind::Unavailable)),
    );
    let load = store.load().expect_err("load");
    let save = store.save(&sample_token_set()).expect_err("save");
    let delete = store.delete().expect_err("delete");
    assert!(matches!(load, AuthError::TokenStoreRead { .. }));
    assert!(matches!(save, AuthError::TokenStoreWrite { .. }));
    assert!(matches!(delete, AuthError::TokenStoreDelete { .. }));
    for error in [load, save, delete] {
        let message = error.to_string();
        assert!(
            message.contains("keyring entry (service `svc`, account `acct`) in the test keyring"),
            "{message}"
        );
        assert!(message.contains("the test keyring is out of order"), "{message}");
        assert_no_secret(&message, &sample_secrets());
    }
}

#[test]
fn system_keyring_debug_shows_no_state() {
    let debug = format!("{:?}", SystemKeyring::new());
    assert!(debug.starts_with("SystemKeyring"), "{debug}");
}

// ---- A real Secret Service (tests/keyring-session.sh) ----

#[test]
fn real_keyring_is_reachable() {
    if !real_keyring_tests() {
        return;
    }
    let keyring = SystemKeyring::new();
    let service = test_service("probe");
    keyring.set(&service, "probe", b"x").expect("the Secret Service accepts a write");
    assert_eq!(keyring.get(&service, "probe").expect("read").as_deref().map(Vec::as_slice), Some(&b"x"[..]));
    assert!(keyring.delete(&service, "probe").expect("delete"));
}

#[test]
fn real_keyring_round_trip() {
    if !real_keyring_tests() {
        return;
    }
    let service = test_service("round-trip");
    let store = KeyringTokenStore::with_entry(service.as_str(), DEFAULT_KEYRING_ACCOUNT);
    assert_eq!(store.load().expect("a missing entry loads"), None);

    let tokens = sample_token_set();
    store.save(&tokens).expect("save");
    assert_eq!(store.load().expect("load"), Some(tokens.clone()));

    // The secret in the keyring is the versioned JSON, compact.
    let raw = SystemKeyring::new().get(&service, DEFAULT_KEYRING_ACCOUNT).expect("read").expect("present");
    assert!(!raw.contains(&b'\n'));
    assert_eq!(serde_json::from_slice::<Value>(&raw).expect("JSON"), expected_secret_json());

    // Saving again replaces the item rather than adding a second one.
    let mut refreshed = tokens.clone();
    refreshed
        .apply_refresh_at(
            codex_auth::TokenResponse::from_json(r#"{"access_token":"opaque","refresh_token":"rt_2"}"#)
                .expect("valid"),
            crate::at(crate::NOW + 10),
        )
        .expect("refresh");
    store.save(&refreshed).expect("save again");
    assert_eq!(store.load().expect("load"), Some(refreshed));

    store.delete().expect("delete");
    assert_eq!(store.load().expect("load after delete"), None);
    store.delete().expect("deleting a missing entry is fine");
}

#[test]
fn real_keyring_missing_entry_is_none() {
    if !real_keyring_tests() {
        return;
    }
    let store = KeyringTokenStore::with_entry(test_service("never-saved"), "nobody");
    assert_eq!(store.load().expect("load"), None);
    store.delete().expect("delete of nothing");
}

#[test]
fn real_keyring_refuses_to_replace_an_unreadable_entry() {
    if !real_keyring_tests() {
        return;
    }
    let service = test_service("unreadable");
    let keyring = SystemKeyring::new();
    keyring.set(&service, "default", b"{\"version\": 7}").expect("write");
    let store = KeyringTokenStore::with_entry(service.as_str(), "default");
    let error = store.load().expect_err("newer layout");
    assert!(error.to_string().contains("layout version 7"), "{error}");
    store.save(&sample_token_set()).expect_err("refuses");
    store.delete().expect("delete");
    assert_eq!(keyring.get(&service, "default").expect("read"), None);
}
