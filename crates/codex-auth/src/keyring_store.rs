//! A token store in the operating system's keyring.
//!
//! [`KeyringTokenStore`] keeps the tokens as one secret in a keyring entry (service
//! [`DEFAULT_KEYRING_SERVICE`], account [`DEFAULT_KEYRING_ACCOUNT`] by default). The secret is
//! the same versioned JSON the token file holds, written compactly:
//! `{"version":1,"tokens":{…}}`.
//!
//! The keyring itself is reached through a [`KeyringBackend`]: [`SystemKeyring`] is the real
//! one (the Secret Service over D-Bus on Linux and the BSDs), and tests or embedders can
//! supply their own.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use crate::error::{AuthError, Result};
use crate::store::TokenStore;
use crate::store::{decode_versioned, encode_versioned};
use crate::tokens::TokenSet;

/// The keyring service oauth-codex keeps its sign-in under.
pub const DEFAULT_KEYRING_SERVICE: &str = "oauth-codex";

/// The keyring account (user name) oauth-codex keeps its sign-in under: a fixed name, since
/// one operating-system user has one oauth-codex sign-in (the Python original used the same).
pub const DEFAULT_KEYRING_ACCOUNT: &str = "default";

/// The label given to a keyring item when oauth-codex creates it (shown by keyring managers
/// such as Seahorse).
pub const KEYRING_ITEM_LABEL: &str = "oauth-codex: ChatGPT sign-in";

/// What kind of failure a [`KeyringError`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyringErrorKind {
    /// No keyring can be reached: no D-Bus session, no Secret Service running, or no keyring
    /// support on this platform. Nothing can be stored in it, and nothing stored in it can be
    /// seen.
    Unavailable,
    /// The keyring was reached but refused access, for example because it is locked and could
    /// not be unlocked.
    AccessDenied,
    /// Any other failure of a reachable keyring.
    Other,
}

/// A failure of a [`KeyringBackend`].
///
/// Its message describes the failure and must never contain a secret.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct KeyringError {
    kind: KeyringErrorKind,
    message: String,
}

impl KeyringError {
    /// A failure of `kind`, described by `message` (which must not contain a secret).
    #[must_use]
    pub fn new(kind: KeyringErrorKind, message: impl Into<String>) -> Self {
        Self { kind, message: message.into() }
    }

    /// A [`KeyringErrorKind::Unavailable`] failure.
    #[must_use]
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(KeyringErrorKind::Unavailable, message)
    }

    /// What kind of failure this is.
    #[must_use]
    pub fn kind(&self) -> KeyringErrorKind {
        self.kind
    }

    /// The description of the failure.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// Access to a keyring: secrets addressed by a service and an account name.
///
/// Implementations must not log or put into errors the secrets they handle.
pub trait KeyringBackend: Send + Sync {
    /// A short name for messages, e.g. `the Secret Service`.
    fn name(&self) -> String;

    /// The secret of the entry `service`/`account`, or `None` when there is no such entry.
    ///
    /// # Errors
    ///
    /// A [`KeyringError`] when the keyring cannot be read.
    fn get(&self, service: &str, account: &str) -> Result<Option<Zeroizing<Vec<u8>>>, KeyringError>;

    /// Creates or replaces the entry `service`/`account` with `secret`.
    ///
    /// # Errors
    ///
    /// A [`KeyringError`] when the keyring cannot be written.
    fn set(&self, service: &str, account: &str, secret: &[u8]) -> Result<(), KeyringError>;

    /// Removes the entry `service`/`account`. Returns whether there was one.
    ///
    /// # Errors
    ///
    /// A [`KeyringError`] when the keyring cannot be reached or the entry cannot be removed.
    fn delete(&self, service: &str, account: &str) -> Result<bool, KeyringError>;
}

impl<T: KeyringBackend + ?Sized> KeyringBackend for Arc<T> {
    fn name(&self) -> String {
        (**self).name()
    }

    fn get(&self, service: &str, account: &str) -> Result<Option<Zeroizing<Vec<u8>>>, KeyringError> {
        (**self).get(service, account)
    }

    fn set(&self, service: &str, account: &str, secret: &[u8]) -> Result<(), KeyringError> {
        (**self).set(service, account, secret)
    }

    fn delete(&self, service: &str, account: &str) -> Result<bool, KeyringError> {
        (**self).delete(service, account)
    }
}

/// How long a failed connection to the keyring is remembered before the next call tries
/// again, so a missing keyring costs one attempt, not one per call.
const RECONNECT_AFTER: Duration = Duration::from_secs(30);

/// The operating system's keyring.
///
/// * On Linux and the BSDs: the [Secret Service](https://specifications.freedesktop.org/secret-service/)
///   over the D-Bus session bus (GNOME Keyring, KeePassXC, KWallet's Secret Service bridge),
///   through the pure-Rust `zbus` stack: no C library is needed. Items are created in the
///   default collection (the "login" keyring) with the attributes `service` and `username`,
///   which is also how Python's `keyring` package stores its passwords, so entries written by
///   either are found by the other.
/// * Elsewhere: not supported yet; every call fails with [`KeyringErrorKind::Unavailable`]
///   (a [`FallbackTokenStore`](crate::FallbackTokenStore) then uses its file).
///
/// The connection is opened on first use and kept. A failed connection is remembered for a
/// short while (30 seconds), after which the next call tries again. Calls block: async
/// callers should run them on a blocking-capable thread.
pub struct SystemKeyring {
    state: Mutex<Connection>,
}

enum Connection {
    NotTried,
    #[cfg_attr(
        not(all(unix, not(any(target_os = "macos", target_os = "ios", target_os = "android")))),
        allow(dead_code)
    )]
    Open(Arc<keyring_core::api::CredentialStore>),
    Failed {
        at: Instant,
        reason: String,
    },
}

impl SystemKeyring {
    /// A keyring that connects on first use.
    #[must_use]
    pub fn new() -> Self {
        Self { state: Mutex::new(Connection::NotTried) }
    }

    /// The connection, opened if need be.
    fn store(&self) -> Result<Arc<keyring_core::api::CredentialStore>, KeyringError> {
        // The guarded value is replaced whole, so a panic elsewhere cannot have left it torn.
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        match &*state {
            Connection::Open(store) => return Ok(Arc::clone(store)),
            Connection::Failed { at, reason } if at.elapsed() < RECONNECT_AFTER => {
                return Err(KeyringError::unavailable(reason.clone()));
            }
            _ => {}
        }
        match connect() {
            Ok(store) => {
                *state = Connection::Open(Arc::clone(&store));
                Ok(store)
            }
            Err(error) => {
                *state = Connection::Failed { at: Instant::now(), reason: error.message.clone() };
                Err(error)
            }
        }
    }

    /// Forgets the connection after a failure that suggests it is broken (the keyring daemon
    /// went away), so the next call reconnects.
    fn forget_connection(&self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if matches!(*state, Connection::Open(_)) {
            *state = Connection::NotTried;
        }
    }

    fn entry(&self, service: &str, account: &str) -> Result<keyring_core::Entry, KeyringError> {
        let store = self.store()?;
        let modifiers = std::collections::HashMap::from([("label", KEYRING_ITEM_LABEL)]);
        keyring_core::Entry::new_in_store_with_modifiers(&store, service, account, &modifiers)
            .map_err(|e| self.classify(e))
    }

    /// Turns a keyring-core error into a [`KeyringError`] without ever quoting secret data
    /// (some variants carry the secret's bytes; they are wiped here).
    fn classify(&self, error: keyring_core::Error) -> KeyringError {
        use keyring_core::Error as E;
        match error {
            E::NoStorageAccess(cause) => KeyringError::new(
                KeyringErrorKind::AccessDenied,
                format!("the keyring refused access (is it locked?): {cause}"),
            ),
            E::PlatformFailure(cause) => {
                self.forget_connection();
                KeyringError::new(KeyringErrorKind::Other, format!("the keyring failed: {cause}"))
            }
            E::BadEncoding(bytes) => {
                drop(Zeroizing::new(bytes));
                KeyringError::new(KeyringErrorKind::Other, "the keyring returned a secret that is not UTF-8")
            }
            E::BadDataFormat(bytes, _) => {
                drop(Zeroizing::new(bytes));
                KeyringError::new(KeyringErrorKind::Other, "the keyring returned a malformed secret")
            }
            E::Ambiguous(entries) => KeyringError::new(
                KeyringErrorKind::Other,
                format!(
                    "{} keyring items match this service and account; remove the extra ones (for \
                     example with Seahorse or `secret-tool clear`)",
                    entries.len()
                ),
            ),
            E::NoDefaultStore => KeyringError::unavailable("no keyring is available"),
            E::NoEntry => KeyringError::new(KeyringErrorKind::Other, "the keyring item vanished"),
            other => KeyringError::new(KeyringErrorKind::Other, format!("the keyring failed: {other}")),
        }
    }
}

impl Default for SystemKeyring {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for SystemKeyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SystemKeyring").field("backend", &BACKEND_NAME).finish_non_exhaustive()
    }
}

#[cfg(all(unix, not(any(target_os = "macos", target_os = "ios", target_os = "android"))))]
const BACKEND_NAME: &str = "the Secret Service";
#[cfg(not(all(unix, not(any(target_os = "macos", target_os = "ios", target_os = "android")))))]
const BACKEND_NAME: &str = "the system keyring";

#[cfg(all(unix, not(any(target_os = "macos", target_os = "ios", target_os = "android"))))]
fn connect() -> Result<Arc<keyring_core::api::CredentialStore>, KeyringError> {
    match zbus_secret_service_keyring_store::Store::new() {
        Ok(store) => Ok(store),
        Err(error) => Err(KeyringError::unavailable(format!(
            "cannot reach the Secret Service on the D-Bus session bus ({}); is a keyring daemon \
             such as gnome-keyring running in this session?",
            cause_of(&error)
        ))),
    }
}

#[cfg(all(unix, not(any(target_os = "macos", target_os = "ios", target_os = "android"))))]
fn cause_of(error: &keyring_core::Error) -> String {
    match error {
        keyring_core::Error::PlatformFailure(cause) | keyring_core::Error::NoStorageAccess(cause) => {
            cause.to_string()
        }
        other => other.to_string(),
    }
}

#[cfg(not(all(unix, not(any(target_os = "macos", target_os = "ios", target_os = "android")))))]
fn connect() -> Result<Arc<keyring_core::api::CredentialStore>, KeyringError> {
    Err(KeyringError::unavailable("oauth-codex has no keyring support on this platform yet"))
}

impl KeyringBackend for SystemKeyring {
    fn name(&self) -> String {
        BACKEND_NAME.to_owned()
    }

    fn get(&self, service: &str, account: &str) -> Result<Option<Zeroizing<Vec<u8>>>, KeyringError> {
        match self.entry(service, account)?.get_secret() {
            Ok(secret) => Ok(Some(Zeroizing::new(secret))),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(self.classify(e)),
        }
    }

    fn set(&self, service: &str, account: &str, secret: &[u8]) -> Result<(), KeyringError> {
        self.entry(service, account)?.set_secret(secret).map_err(|e| self.classify(e))
    }

    fn delete(&self, service: &str, account: &str) -> Result<bool, KeyringError> {
        match self.entry(service, account)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring_core::Error::NoEntry) => Ok(false),
            Err(e) => Err(self.classify(e)),
        }
    }
}

/// A failure of a [`KeyringTokenStore`] operation, with whether the keyring was out of reach
/// (as opposed to reachable but failing, or holding something unreadable).
pub(crate) struct KeyringFailure {
    pub(crate) unavailable: bool,
    pub(crate) error: AuthError,
}

/// A store in the operating system's keyring: one entry, by default service
/// [`DEFAULT_KEYRING_SERVICE`] (`oauth-codex`) and account [`DEFAULT_KEYRING_ACCOUNT`]
/// (`default`), through [`SystemKeyring`] unless another [`KeyringBackend`] is given.
///
/// * The entry's secret is the versioned JSON of the token file, compact:
///   `{"version":1,"tokens":{…}}` (see [`FileTokenStore`](crate::FileTokenStore)).
/// * A missing entry loads as `None`; deleting a missing entry succeeds.
/// * A keyring that cannot be reached makes every call fail with the matching
///   [`AuthError::TokenStoreRead`], [`AuthError::TokenStoreWrite`] or
///   [`AuthError::TokenStoreDelete`], naming the keyring entry and the cause.
/// * **An entry that exists but cannot be understood is never replaced silently**: `load`
///   reports it and `save` refuses to write over it, as the file store does. `delete` removes
///   it.
///
/// Calls block (a D-Bus round trip or two): async callers should run them on a
/// blocking-capable thread.
#[derive(Clone)]
pub struct KeyringTokenStore {
    service: String,
    account: String,
    backend: Arc<dyn KeyringBackend>,
}

impl KeyringTokenStore {
    /// The default entry (`oauth-codex`/`default`) in the [`SystemKeyring`].
    #[must_use]
    pub fn new() -> Self {
        Self::with_entry(DEFAULT_KEYRING_SERVICE, DEFAULT_KEYRING_ACCOUNT)
    }

    /// The entry `service`/`account` in the [`SystemKeyring`].
    #[must_use]
    pub fn with_entry(service: impl Into<String>, account: impl Into<String>) -> Self {
        Self::with_backend(service, account, Arc::new(SystemKeyring::new()))
    }

    /// The entry `service`/`account` in `backend`.
    #[must_use]
    pub fn with_backend(
        service: impl Into<String>,
        account: impl Into<String>,
        backend: Arc<dyn KeyringBackend>,
    ) -> Self {
        Self { service: service.into(), account: account.into(), backend }
    }

    /// The keyring service.
    #[must_use]
    pub fn service(&self) -> &str {
        &self.service
    }

    /// The keyring account.
    #[must_use]
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The backend.
    #[must_use]
    pub fn backend(&self) -> &Arc<dyn KeyringBackend> {
        &self.backend
    }

    fn name(&self) -> String {
        format!(
            "the keyring entry (service `{}`, account `{}`) in {}",
            self.service,
            self.account,
            self.backend.name()
        )
    }

    fn failure(
        &self,
        error: &KeyringError,
        make: fn(String, String) -> AuthError,
        advice: &str,
    ) -> KeyringFailure {
        let unavailable = error.kind() == KeyringErrorKind::Unavailable;
        let reason = if unavailable { format!("{error}{advice}") } else { error.to_string() };
        KeyringFailure { unavailable, error: make(self.name(), reason) }
    }

    /// The entry's raw secret, or `None` when there is none.
    pub(crate) fn load_raw(&self) -> std::result::Result<Option<Zeroizing<Vec<u8>>>, KeyringFailure> {
        self.backend.get(&self.service, &self.account).map_err(|e| self.failure(&e, read_error, ""))
    }

    pub(crate) fn try_load(&self) -> std::result::Result<Option<TokenSet>, KeyringFailure> {
        let Some(bytes) = self.load_raw()? else {
            return Ok(None);
        };
        decode_versioned(&bytes).map(Some).map_err(|reason| KeyringFailure {
            unavailable: false,
            error: read_error(
                self.name(),
                format!("{reason}. The entry was left untouched; delete it (sign out) and sign in again"),
            ),
        })
    }

    pub(crate) fn try_save(&self, tokens: &TokenSet) -> std::result::Result<(), KeyringFailure> {
        let advice = "; the sign-in can be saved to a file instead (FallbackTokenStore)";
        match self.backend.get(&self.service, &self.account) {
            Ok(None) => {}
            Ok(Some(existing)) => {
                if let Err(reason) = decode_versioned(&existing) {
                    return Err(KeyringFailure {
                        unavailable: false,
                        error: write_error(
                            self.name(),
                            format!(
                                "refusing to replace the existing entry: {reason}. Delete it first \
                                 (sign out) if it can go"
                            ),
                        ),
                    });
                }
            }
            Err(e) => return Err(self.failure(&e, write_error, advice)),
        }
        let bytes = encode_versioned(tokens).map_err(|reason| KeyringFailure {
            unavailable: false,
            error: write_error(self.name(), reason),
        })?;
        self.backend
            .set(&self.service, &self.account, &bytes)
            .map_err(|e| self.failure(&e, write_error, advice))
    }

    /// Deletes the entry; `Ok(true)` when there was one.
    pub(crate) fn try_delete(&self) -> std::result::Result<bool, KeyringFailure> {
        self.backend.delete(&self.service, &self.account).map_err(|e| self.failure(&e, delete_error, ""))
    }
}

fn read_error(store: String, reason: String) -> AuthError {
    AuthError::TokenStoreRead { store, reason }
}

fn write_error(store: String, reason: String) -> AuthError {
    AuthError::TokenStoreWrite { store, reason }
}

fn delete_error(store: String, reason: String) -> AuthError {
    AuthError::TokenStoreDelete { store, reason }
}

impl Default for KeyringTokenStore {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for KeyringTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyringTokenStore")
            .field("service", &self.service)
            .field("account", &self.account)
            .field("backend", &self.backend.name())
            .finish()
    }
}

impl fmt::Display for KeyringTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl TokenStore for KeyringTokenStore {
    fn load(&self) -> Result<Option<TokenSet>> {
        self.try_load().map_err(|f| f.error)
    }

    fn save(&self, tokens: &TokenSet) -> Result<()> {
        self.try_save(tokens).map_err(|f| f.error)
    }

    fn delete(&self) -> Result<()> {
        self.try_delete().map(drop).map_err(|f| f.error)
    }
}
