//! The default token store: the keyring first, a file when the keyring cannot be used, and a
//! one-time migration of the Python original's (`codex-oauth-llm`) saved sign-in.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{AuthError, Result, json_problem};
use crate::keyring_store::{
    DEFAULT_KEYRING_ACCOUNT, DEFAULT_KEYRING_SERVICE, KeyringBackend, KeyringFailure, KeyringTokenStore,
    SystemKeyring,
};
use crate::secret::{AccessToken, IdToken, RefreshToken};
use crate::store::{FileTokenStore, TokenStore};
use crate::store::{decode_versioned, is_versioned};
use crate::time_format::{from_rfc3339, from_unix_seconds, to_unix_seconds};
use crate::tokens::TokenSet;

/// The keyring service of the Python original (`codex-oauth-llm`), migrated from.
pub const LEGACY_KEYRING_SERVICE: &str = "codex-oauth-llm";

/// The token file's directory of the Python original under the home directory
/// (`~/.codex_oauth_llm/auth.json`), migrated from.
pub const LEGACY_TOKEN_DIR: &str = ".codex_oauth_llm";

/// Where a [`FallbackTokenStore`] keeps a sign-in, and where it looks for one left by the
/// Python original.
///
/// [`FallbackTokenStore::default_locations`] gives the real ones; tests and embedders build
/// their own with [`TokenStoreLocations::new`] and the `with_*` methods.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenStoreLocations {
    /// The keyring service (default [`DEFAULT_KEYRING_SERVICE`], `oauth-codex`).
    pub keyring_service: String,
    /// The keyring account (default [`DEFAULT_KEYRING_ACCOUNT`], `default`).
    pub keyring_account: String,
    /// The token file used when the keyring cannot be (default `~/.oauth_codex/auth.json`).
    pub file: PathBuf,
    /// The legacy keyring entry (service, account) to migrate from, if any (default
    /// `codex-oauth-llm`/`default`).
    pub legacy_keyring: Option<(String, String)>,
    /// The legacy token file to migrate from, if any (default `~/.codex_oauth_llm/auth.json`).
    pub legacy_file: Option<PathBuf>,
}

impl TokenStoreLocations {
    /// The default keyring entry, the token file at `file`, and no legacy locations.
    #[must_use]
    pub fn new(file: impl Into<PathBuf>) -> Self {
        Self {
            keyring_service: DEFAULT_KEYRING_SERVICE.to_owned(),
            keyring_account: DEFAULT_KEYRING_ACCOUNT.to_owned(),
            file: file.into(),
            legacy_keyring: None,
            legacy_file: None,
        }
    }

    /// Uses the keyring entry `service`/`account`.
    #[must_use]
    pub fn with_keyring_entry(mut self, service: impl Into<String>, account: impl Into<String>) -> Self {
        self.keyring_service = service.into();
        self.keyring_account = account.into();
        self
    }

    /// Migrates from the legacy keyring entry `service`/`account`.
    #[must_use]
    pub fn with_legacy_keyring_entry(
        mut self,
        service: impl Into<String>,
        account: impl Into<String>,
    ) -> Self {
        self.legacy_keyring = Some((service.into(), account.into()));
        self
    }

    /// Migrates from the legacy token file at `path`.
    #[must_use]
    pub fn with_legacy_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.legacy_file = Some(path.into());
        self
    }

    /// Looks in no legacy location.
    #[must_use]
    pub fn without_legacy(mut self) -> Self {
        self.legacy_keyring = None;
        self.legacy_file = None;
        self
    }
}

/// The default token store: the keyring first, else a file, with a one-time migration from
/// the Python original.
///
/// * [`load`](TokenStore::load) reads the keyring entry and the file. When only one holds a
///   sign-in, that one is used; when both do (a save fell back to the file while the keyring
///   was away, and the keyring still holds an older copy), the more recently refreshed one
///   (`last_refresh`, then `expires_at`) wins, ties going to the keyring, so a refresh token
///   rotated in one copy is never replaced by the stale other. A keyring that fails is
///   skipped: the file decides. A file that cannot be read is an error unless the keyring
///   holds the sign-in.
/// * [`save`](TokenStore::save) writes to the keyring and then removes a readable file copy
///   (which is now stale). When the keyring fails, it saves to the file instead and logs a
///   warning (the first time per store; later ones at debug level). Log lines never carry a
///   token.
/// * [`delete`](TokenStore::delete) (signing out) removes every copy: the keyring entry, the
///   file, and the legacy copies (otherwise the next load would migrate the old sign-in back).
///   It fails only when a copy that is (or, in a locked keyring, may be) present could not be
///   removed, naming every such copy; a keyring that cannot be reached at all holds nothing
///   this process could remove, so it is logged and skipped.
///
/// # Migration from the Python original
///
/// When neither the keyring entry nor the file holds a sign-in, `load` looks in the legacy
/// keyring entry (`codex-oauth-llm`/`default`) and then the legacy file
/// (`~/.codex_oauth_llm/auth.json`). Both may hold either this crate's versioned layout
/// (`{"version":1,"tokens":{…}}`) or the Python original's flat object
/// `{"access_token", "refresh_token", "id_token", "expires_at"?, "account_id"?,
/// "last_refresh"?, …}` (other fields such as `api_key`, `token_type` and `scope` are ignored;
/// `expires_at` and `last_refresh` may be Unix seconds, integer or fractional, or RFC 3339
/// text; a flat sign-in without a refresh token or ID token cannot be used and is left alone).
/// A legacy sign-in found is saved to the new store **first**, and the legacy copy is deleted
/// only after that save succeeded. When the save fails, the legacy copy stays, a warning is
/// logged, and the sign-in is still returned. A legacy copy that cannot be read is logged and
/// left alone.
#[derive(Debug)]
pub struct FallbackTokenStore {
    locations: TokenStoreLocations,
    keyring: KeyringTokenStore,
    file: FileTokenStore,
    legacy_keyring: Option<KeyringTokenStore>,
    legacy_file: Option<FileTokenStore>,
    keyring_warned: AtomicBool,
}

impl FallbackTokenStore {
    /// A store at `locations`, using the [`SystemKeyring`].
    #[must_use]
    pub fn new(locations: TokenStoreLocations) -> Self {
        Self::with_backend(locations, Arc::new(SystemKeyring::new()))
    }

    /// A store at `locations`, using `backend` for the keyring entries (new and legacy).
    #[must_use]
    pub fn with_backend(locations: TokenStoreLocations, backend: Arc<dyn KeyringBackend>) -> Self {
        let keyring = KeyringTokenStore::with_backend(
            locations.keyring_service.clone(),
            locations.keyring_account.clone(),
            Arc::clone(&backend),
        );
        let legacy_keyring = locations.legacy_keyring.as_ref().map(|(service, account)| {
            KeyringTokenStore::with_backend(service.clone(), account.clone(), Arc::clone(&backend))
        });
        Self {
            file: FileTokenStore::new(locations.file.clone()),
            legacy_file: locations.legacy_file.clone().map(FileTokenStore::new),
            keyring,
            legacy_keyring,
            locations,
            keyring_warned: AtomicBool::new(false),
        }
    }

    /// A store at [`FallbackTokenStore::default_locations`], using the [`SystemKeyring`].
    ///
    /// # Errors
    ///
    /// As [`FallbackTokenStore::default_locations`].
    pub fn at_default_locations() -> Result<Self> {
        Ok(Self::new(Self::default_locations()?))
    }

    /// The real locations: the keyring entry `oauth-codex`/`default`, the file
    /// `~/.oauth_codex/auth.json`, and the legacy `codex-oauth-llm`/`default` keyring entry and
    /// `~/.codex_oauth_llm/auth.json` file.
    ///
    /// # Errors
    ///
    /// [`AuthError::InvalidConfig`] when the home directory cannot be determined.
    pub fn default_locations() -> Result<TokenStoreLocations> {
        let file = FileTokenStore::default_path()?;
        let home = dirs::home_dir().ok_or_else(|| AuthError::InvalidConfig {
            setting: "token file path".to_owned(),
            reason: "the home directory cannot be determined; give the token file's path explicitly"
                .to_owned(),
        })?;
        Ok(TokenStoreLocations::new(file)
            .with_legacy_keyring_entry(LEGACY_KEYRING_SERVICE, DEFAULT_KEYRING_ACCOUNT)
            .with_legacy_file(home.join(LEGACY_TOKEN_DIR).join(crate::store::DEFAULT_TOKEN_FILE)))
    }

    /// The locations this store uses.
    #[must_use]
    pub fn locations(&self) -> &TokenStoreLocations {
        &self.locations
    }

    /// The keyring part.
    #[must_use]
    pub fn keyring(&self) -> &KeyringTokenStore {
        &self.keyring
    }

    /// The file part.
    #[must_use]
    pub fn file(&self) -> &FileTokenStore {
        &self.file
    }

    /// Logs a keyring failure: a warning the first time for this store, then at debug level.
    fn note_keyring_failure(&self, failure: &KeyringFailure, consequence: &str) {
        if self.keyring_warned.swap(true, Ordering::Relaxed) {
            tracing::debug!(error = %failure.error, "{consequence}");
        } else {
            tracing::warn!(error = %failure.error, "{consequence}");
        }
    }

    fn migrate_legacy(&self) -> Option<TokenSet> {
        if let Some(legacy) = &self.legacy_keyring {
            match legacy.load_raw() {
                Ok(Some(bytes)) => match parse_legacy(&bytes) {
                    Ok(tokens) => return Some(self.adopt_legacy(tokens, legacy)),
                    Err(reason) => tracing::warn!(
                        store = %legacy,
                        "a sign-in left by codex-oauth-llm cannot be read ({reason}); it was left as it is"
                    ),
                },
                Ok(None) => {}
                Err(failure) if failure.unavailable => {
                    tracing::debug!(error = %failure.error, "the legacy keyring entry cannot be checked");
                }
                Err(failure) => {
                    tracing::warn!(error = %failure.error, "the legacy keyring entry cannot be read; skipped");
                }
            }
        }
        if let Some(legacy) = &self.legacy_file {
            match read_optional(legacy.path()) {
                Ok(Some(bytes)) => match parse_legacy(&bytes) {
                    Ok(tokens) => return Some(self.adopt_legacy(tokens, legacy)),
                    Err(reason) => tracing::warn!(
                        path = %legacy.path().display(),
                        "a sign-in left by codex-oauth-llm cannot be read ({reason}); it was left as it is"
                    ),
                },
                Ok(None) => {}
                Err(error) => tracing::warn!(
                    path = %legacy.path().display(),
                    "the legacy token file cannot be read ({error}); skipped"
                ),
            }
        }
        None
    }

    /// Saves a legacy sign-in to the new store, and then (only then) deletes the legacy copy.
    fn adopt_legacy(&self, tokens: TokenSet, legacy: &dyn LegacyCopy) -> TokenSet {
        match self.save(&tokens) {
            Ok(()) => match legacy.remove() {
                Ok(()) => {
                    tracing::info!(from = %legacy.describe(), "migrated the sign-in of codex-oauth-llm")
                }
                Err(error) => tracing::warn!(
                    %error,
                    "migrated the sign-in of codex-oauth-llm, but its old copy could not be removed"
                ),
            },
            Err(error) => tracing::warn!(
                %error,
                from = %legacy.describe(),
                "the sign-in of codex-oauth-llm could not be saved in the new location; the old copy \
                 was kept and is used as it is"
            ),
        }
        tokens
    }

    fn name(&self) -> String {
        format!("{} or {}", self.keyring, self.file)
    }
}

/// A legacy copy that can be removed once migrated.
trait LegacyCopy {
    fn describe(&self) -> String;
    fn remove(&self) -> Result<()>;
}

impl LegacyCopy for KeyringTokenStore {
    fn describe(&self) -> String {
        self.to_string()
    }

    fn remove(&self) -> Result<()> {
        TokenStore::delete(self)
    }
}

impl LegacyCopy for FileTokenStore {
    fn describe(&self) -> String {
        self.to_string()
    }

    fn remove(&self) -> Result<()> {
        TokenStore::delete(self)
    }
}

/// Orders two copies of a sign-in by how recently they were refreshed.
fn freshness(tokens: &TokenSet) -> (Option<SystemTime>, Option<SystemTime>) {
    (tokens.last_refresh(), tokens.expires_at())
}

impl TokenStore for FallbackTokenStore {
    fn lock_path(&self) -> Option<std::path::PathBuf> {
        self.file().lock_path()
    }

    fn load(&self) -> Result<Option<TokenSet>> {
        let from_keyring = match self.keyring.try_load() {
            Ok(tokens) => tokens,
            Err(failure) => {
                self.note_keyring_failure(&failure, "the keyring cannot be read; using the token file");
                None
            }
        };
        match (from_keyring, self.file.load()) {
            (Some(keyring), Ok(Some(file))) => {
                Ok(Some(if freshness(&file) > freshness(&keyring) { file } else { keyring }))
            }
            (Some(keyring), Ok(None)) => Ok(Some(keyring)),
            (Some(keyring), Err(error)) => {
                tracing::warn!(%error, "the token file cannot be read; using the sign-in in the keyring");
                Ok(Some(keyring))
            }
            (None, Ok(Some(file))) => Ok(Some(file)),
            (None, Err(error)) => Err(error),
            (None, Ok(None)) => Ok(self.migrate_legacy()),
        }
    }

    fn save(&self, tokens: &TokenSet) -> Result<()> {
        match self.keyring.try_save(tokens) {
            Ok(()) => {
                // A readable file copy is now stale; an unreadable file is left alone, as the
                // file store never removes what it cannot read unless asked to.
                if let Ok(Some(_)) = self.file.load()
                    && let Err(error) = self.file.delete()
                {
                    tracing::warn!(%error, "saved to the keyring, but the older copy in the token file remains");
                }
                Ok(())
            }
            Err(failure) => {
                self.note_keyring_failure(
                    &failure,
                    "the keyring cannot be used; saving the sign-in to the token file instead",
                );
                self.file.save(tokens)
            }
        }
    }

    fn delete(&self) -> Result<()> {
        let mut failures: Vec<AuthError> = Vec::new();
        for keyring in std::iter::once(&self.keyring).chain(self.legacy_keyring.as_ref()) {
            match keyring.try_delete() {
                Ok(_) => {}
                Err(failure) if failure.unavailable => tracing::warn!(
                    error = %failure.error,
                    "the keyring cannot be reached; a sign-in saved in it (if any) was not deleted"
                ),
                Err(failure) => failures.push(failure.error),
            }
        }
        for file in std::iter::once(&self.file).chain(self.legacy_file.as_ref()) {
            if let Err(error) = file.delete() {
                failures.push(error);
            }
        }
        match failures.len() {
            0 => Ok(()),
            1 => Err(failures.remove(0)),
            _ => {
                let (stores, reasons): (Vec<String>, Vec<String>) = failures
                    .into_iter()
                    .map(|error| match error {
                        AuthError::TokenStoreDelete { store, reason } => (store, reason),
                        other => (String::new(), other.to_string()),
                    })
                    .unzip();
                Err(AuthError::TokenStoreDelete { store: stores.join(" and "), reason: reasons.join("; ") })
            }
        }
    }
}

impl fmt::Display for FallbackTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// The bytes of the file at `path`, or `None` when it does not exist.
fn read_optional(path: &Path) -> io::Result<Option<Zeroizing<Vec<u8>>>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(Zeroizing::new(bytes))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// The Python original's flat layout.
#[derive(Deserialize)]
struct LegacyFlat {
    access_token: AccessToken,
    #[serde(default)]
    refresh_token: Option<RefreshToken>,
    #[serde(default)]
    id_token: Option<IdToken>,
    #[serde(default)]
    expires_at: Option<LegacyTime>,
    #[serde(default)]
    account_id: Option<String>,
    #[serde(default)]
    last_refresh: Option<LegacyTime>,
}

/// A time in the legacy layout: Unix seconds (integer or fractional) or RFC 3339 text.
#[derive(Deserialize)]
#[serde(untagged)]
enum LegacyTime {
    Seconds(f64),
    Text(String),
}

impl LegacyTime {
    fn to_system_time(&self, field: &str) -> std::result::Result<SystemTime, String> {
        let invalid = || format!("`{field}` is not a time (Unix seconds or RFC 3339 text)");
        match self {
            Self::Seconds(seconds) if *seconds >= 0.0 => Duration::try_from_secs_f64(*seconds)
                .ok()
                .and_then(|after| UNIX_EPOCH.checked_add(after))
                .ok_or_else(invalid),
            Self::Seconds(seconds) if seconds.is_finite() => {
                from_unix_seconds(seconds.floor() as i64).ok_or_else(invalid)
            }
            Self::Seconds(_) => Err(invalid()),
            Self::Text(text) => from_rfc3339(text.trim()).map_err(|_| invalid()),
        }
    }
}

/// Reads a legacy sign-in, versioned or flat. The error never quotes the value.
fn parse_legacy(bytes: &[u8]) -> std::result::Result<TokenSet, String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err("it is empty".to_owned());
    }
    if is_versioned(bytes) {
        return decode_versioned(bytes);
    }
    let flat: LegacyFlat = serde_json::from_slice(bytes)
        .map_err(|e| format!("it is neither layout oauth-codex knows ({})", json_problem(&e)))?;
    let refresh_token = flat
        .refresh_token
        .filter(|t| !t.expose_secret().is_empty())
        .ok_or("it has no refresh token, so it cannot be kept signed in; sign in again")?;
    let id_token =
        flat.id_token.filter(|t| !t.expose_secret().is_empty()).ok_or("it has no ID token; sign in again")?;
    if flat.access_token.expose_secret().is_empty() {
        return Err("its access token is empty; sign in again".to_owned());
    }
    let last_refresh = flat.last_refresh.as_ref().map(|t| t.to_system_time("last_refresh")).transpose()?;
    let expires_at = flat.expires_at.as_ref().map(|t| t.to_system_time("expires_at")).transpose()?;
    let mut tokens = TokenSet::from_tokens(flat.access_token, refresh_token, id_token, last_refresh)
        .map_err(|e| match e {
            AuthError::InvalidToken { token, reason } => format!("its {token} cannot be read ({reason})"),
            other => other.to_string(),
        })?;
    if let Some(account_id) = flat.account_id {
        tokens = tokens.with_account_id_if_missing(account_id);
    }
    if let (None, Some(expires_at)) = (tokens.expires_at(), expires_at) {
        tokens = with_expires_at(&tokens, expires_at)?;
    }
    Ok(tokens)
}

/// `tokens` with `expires_at` set (for an opaque access token, whose expiry only the legacy
/// layout records). Goes through the serialized form, in a buffer that is wiped.
fn with_expires_at(tokens: &TokenSet, expires_at: SystemTime) -> std::result::Result<TokenSet, String> {
    #[derive(Serialize)]
    struct Patched<'a> {
        #[serde(flatten)]
        tokens: &'a TokenSet,
        expires_at: i64,
    }
    let mut bytes = Zeroizing::new(Vec::with_capacity(16 * 1024));
    serde_json::to_writer(&mut *bytes, &Patched { tokens, expires_at: to_unix_seconds(expires_at) })
        .map_err(|e| format!("cannot convert it ({})", json_problem(&e)))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("cannot convert it ({})", json_problem(&e)))
}
