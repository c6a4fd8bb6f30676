//! Where a sign-in's tokens are kept between runs.
//!
//! The stores are synchronous for now: every call is a small local operation (a file read or an
//! atomic file replace). Async callers run them on a blocking-capable thread (for example
//! `tokio::task::spawn_blocking`) if they care about the few milliseconds. Coordination between
//! processes (one refresh at a time across processes) is not part of this module yet.

use std::fmt;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{AuthError, Result, json_problem};
use crate::tokens::TokenSet;

/// A place to keep a [`TokenSet`].
///
/// The trait is synchronous for now: every call is a small local operation (a file read, an
/// atomic file replace). Async callers can run it on a blocking-capable thread (for example
/// `tokio::task::spawn_blocking`). Stores do not coordinate between processes yet.
///
/// Implementations must not print or log token values.
pub trait TokenStore: Send + Sync {
    /// The saved tokens, or `None` when nothing is saved.
    ///
    /// # Errors
    ///
    /// [`AuthError::TokenStoreRead`] when something is saved but cannot be read or understood.
    fn load(&self) -> Result<Option<TokenSet>>;

    /// Saves `tokens`, replacing what was saved.
    ///
    /// # Errors
    ///
    /// [`AuthError::TokenStoreWrite`] when the tokens cannot be saved.
    fn save(&self, tokens: &TokenSet) -> Result<()>;

    /// Removes the saved tokens. Removing from an empty store succeeds.
    ///
    /// # Errors
    ///
    /// [`AuthError::TokenStoreDelete`] when the saved tokens cannot be removed.
    fn delete(&self) -> Result<()>;

    /// Where processes sharing this store take their refresh lock, when the store lives in a
    /// place other processes can reach (a file beside a file store). `None`: the token manager
    /// uses its default lock file.
    fn lock_path(&self) -> Option<PathBuf> {
        None
    }
}

impl<T: TokenStore + ?Sized> TokenStore for Arc<T> {
    fn lock_path(&self) -> Option<PathBuf> {
        (**self).lock_path()
    }

    fn load(&self) -> Result<Option<TokenSet>> {
        (**self).load()
    }

    fn save(&self, tokens: &TokenSet) -> Result<()> {
        (**self).save(tokens)
    }

    fn delete(&self) -> Result<()> {
        (**self).delete()
    }
}

impl<T: TokenStore + ?Sized> TokenStore for Box<T> {
    fn lock_path(&self) -> Option<PathBuf> {
        (**self).lock_path()
    }

    fn load(&self) -> Result<Option<TokenSet>> {
        (**self).load()
    }

    fn save(&self, tokens: &TokenSet) -> Result<()> {
        (**self).save(tokens)
    }

    fn delete(&self) -> Result<()> {
        (**self).delete()
    }
}

/// A store in memory, for tests and for programs that keep nothing on disk.
#[derive(Debug, Default)]
pub struct MemoryTokenStore {
    tokens: Mutex<Option<TokenSet>>,
}

impl MemoryTokenStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A store holding `tokens`.
    #[must_use]
    pub fn with_tokens(tokens: TokenSet) -> Self {
        Self { tokens: Mutex::new(Some(tokens)) }
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<TokenSet>> {
        // The guarded value is replaced whole, never left half-written, so a panic elsewhere
        // while the lock was held cannot have corrupted it.
        self.tokens.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl TokenStore for MemoryTokenStore {
    fn load(&self) -> Result<Option<TokenSet>> {
        Ok(self.slot().clone())
    }

    fn save(&self, tokens: &TokenSet) -> Result<()> {
        *self.slot() = Some(tokens.clone());
        Ok(())
    }

    fn delete(&self) -> Result<()> {
        *self.slot() = None;
        Ok(())
    }
}

/// The version of the token file's layout this crate writes and reads.
pub const TOKEN_FILE_VERSION: u32 = 1;

/// The token file's directory under the home directory.
pub const DEFAULT_TOKEN_DIR: &str = ".oauth_codex";
/// The token file's name.
pub const DEFAULT_TOKEN_FILE: &str = "auth.json";

#[derive(Serialize)]
struct VersionedRef<'a> {
    version: u32,
    tokens: &'a TokenSet,
}

#[derive(Deserialize)]
struct Versioned {
    tokens: TokenSet,
}

#[derive(Deserialize)]
struct VersionProbe {
    version: u32,
}

/// The versioned layout every store writes, compact: `{"version":1,"tokens":{…}}`.
pub(crate) fn encode_versioned(tokens: &TokenSet) -> std::result::Result<Zeroizing<Vec<u8>>, String> {
    // Room for three JWTs up front, so the buffer is unlikely to be reallocated (which would
    // leave an unwiped copy of part of it behind).
    let mut bytes = Zeroizing::new(Vec::with_capacity(16 * 1024));
    serde_json::to_writer(&mut *bytes, &VersionedRef { version: TOKEN_FILE_VERSION, tokens })
        .map_err(|e| format!("cannot encode the tokens ({})", json_problem(&e)))?;
    Ok(bytes)
}

/// Whether `bytes` look like the versioned layout (a JSON object with a numeric `version`).
pub(crate) fn is_versioned(bytes: &[u8]) -> bool {
    serde_json::from_slice::<VersionProbe>(bytes).is_ok()
}

/// Reads the versioned layout; the error says what is wrong without quoting the value.
pub(crate) fn decode_versioned(bytes: &[u8]) -> std::result::Result<TokenSet, String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err("it is empty".to_owned());
    }
    let probe: VersionProbe = serde_json::from_slice(bytes)
        .map_err(|e| format!("it is not a sign-in written by oauth-codex ({})", json_problem(&e)))?;
    if probe.version != TOKEN_FILE_VERSION {
        return Err(format!(
            "it has layout version {}, but this version of oauth-codex reads only version \
             {TOKEN_FILE_VERSION} (was it written by a newer release?)",
            probe.version
        ));
    }
    let contents: Versioned = serde_json::from_slice(bytes)
        .map_err(|e| format!("it is not a valid saved sign-in ({})", json_problem(&e)))?;
    Ok(contents.tokens)
}

/// A store in a JSON file, by default `~/.oauth_codex/auth.json`.
///
/// * The directory is created with mode `0700` and the file written with mode `0600` (on
///   Unix; elsewhere the platform's defaults apply).
/// * Writes are atomic: the tokens go to a temporary file in the same directory, which is
///   flushed to disk (`fsync`) and renamed over the file, and the directory is then flushed
///   too. A crash leaves either the old file or the new one, never a mix; the temporary file
///   of a save that was killed (it holds tokens) is removed by the next save.
/// * **A file that exists but cannot be read or understood is never replaced silently.**
///   [`TokenStore::load`] reports it as [`AuthError::TokenStoreRead`] and leaves it as it is, and
///   [`TokenStore::save`] refuses to write over it ([`AuthError::TokenStoreWrite`]). To start
///   over, call [`TokenStore::delete`] (or remove the file) and then save. The same holds for a
///   file written in a newer layout version.
/// * A missing file loads as `None`; deleting a missing file succeeds.
///
/// Processes sharing the file do not coordinate yet: the last save wins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileTokenStore {
    path: PathBuf,
}

impl FileTokenStore {
    /// A store in the file at `path`.
    #[must_use]
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// A store at [`FileTokenStore::default_path`].
    ///
    /// # Errors
    ///
    /// As [`FileTokenStore::default_path`].
    pub fn at_default_path() -> Result<Self> {
        Ok(Self::new(Self::default_path()?))
    }

    /// `~/.oauth_codex/auth.json`.
    ///
    /// # Errors
    ///
    /// [`AuthError::InvalidConfig`] when the home directory cannot be determined.
    pub fn default_path() -> Result<PathBuf> {
        let home = dirs::home_dir().ok_or_else(|| AuthError::InvalidConfig {
            setting: "token file path".to_owned(),
            reason: "the home directory cannot be determined; give the token file's path explicitly"
                .to_owned(),
        })?;
        Ok(home.join(DEFAULT_TOKEN_DIR).join(DEFAULT_TOKEN_FILE))
    }

    /// The file's path.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn name(&self) -> String {
        format!("the token file {}", self.path.display())
    }

    fn read_error(&self, reason: String) -> AuthError {
        AuthError::TokenStoreRead { store: self.name(), reason }
    }

    fn write_error(&self, reason: String) -> AuthError {
        AuthError::TokenStoreWrite { store: self.name(), reason }
    }

    /// The directory the file is in.
    fn dir(&self) -> &Path {
        match self.path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        }
    }

    /// The file's bytes, or `None` when it does not exist.
    fn read_bytes(&self) -> io::Result<Option<Zeroizing<Vec<u8>>>> {
        match std::fs::read(&self.path) {
            Ok(bytes) => Ok(Some(Zeroizing::new(bytes))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    #[cfg(unix)]
    fn warn_if_readable_by_others(&self) {
        use std::os::unix::fs::PermissionsExt as _;
        if let Ok(metadata) = std::fs::metadata(&self.path) {
            let mode = metadata.permissions().mode();
            if mode & 0o077 != 0 {
                tracing::warn!(
                    path = %self.path.display(),
                    mode = format_args!("{:o}", mode & 0o777),
                    "the token file can be read by other users; run `chmod 600` on it"
                );
            }
        }
    }

    #[cfg(not(unix))]
    fn warn_if_readable_by_others(&self) {}

    fn create_dir(dir: &Path) -> io::Result<()> {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt as _;
            builder.mode(0o700);
        }
        builder.create(dir)
    }

    /// The name prefix of the temporary files a save writes: `.auth.json.`.
    fn temp_prefix(&self) -> String {
        format!(".{}.", self.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default())
    }

    /// Writes `bytes` to a temporary file in `dir`, flushes it and renames it over the file.
    ///
    /// A process killed mid-save leaves its temporary file (holding tokens) behind; each save
    /// first removes such leftovers. On Unix a save holds an advisory lock on its temporary file
    /// while it writes, which is how a leftover is told from another process's save in progress.
    fn replace_atomically(&self, dir: &Path, bytes: &[u8]) -> io::Result<()> {
        let prefix = self.temp_prefix();
        remove_abandoned_temp_files(dir, &prefix);
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".tmp");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            builder.permissions(std::fs::Permissions::from_mode(0o600));
        }
        // On any error below, dropping the temporary file removes it.
        let mut temp = claim_temp_file(&builder, dir)?;
        temp.write_all(bytes)?;
        temp.as_file().sync_all()?;
        temp.persist(&self.path).map_err(|e| e.error)?;
        sync_dir(dir)
    }
}

/// Creates a temporary file in `dir` and, on Unix, locks it, making sure another save's
/// clean-up did not remove it between the two steps (if it did, a new one is made).
fn claim_temp_file(builder: &tempfile::Builder<'_, '_>, dir: &Path) -> io::Result<tempfile::NamedTempFile> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        let mut attempts = 0;
        loop {
            let temp = builder.tempfile_in(dir)?;
            temp.as_file().lock()?;
            let held = temp.as_file().metadata()?;
            match std::fs::symlink_metadata(temp.path()) {
                Ok(named) if named.ino() == held.ino() && named.dev() == held.dev() => return Ok(temp),
                // Removed (as abandoned) before the lock was taken: the name is no longer ours,
                // so it must not be removed on drop either.
                _ if attempts < 8 => {
                    let _ = temp.into_temp_path().keep();
                    attempts += 1;
                }
                _ => {
                    return Err(io::Error::other(
                        "temporary files kept disappearing while being created; is another program \
                         removing files in this directory?",
                    ));
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        builder.tempfile_in(dir)
    }
}

/// Removes the temporary files of saves that were killed before they finished (best effort).
/// A file whose lock another process holds is a save in progress and is left alone.
#[cfg(unix)]
fn remove_abandoned_temp_files(dir: &Path, prefix: &str) {
    use std::os::unix::fs::MetadataExt as _;
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with(prefix) && name.ends_with(".tmp")) {
            continue;
        }
        let path = entry.path();
        let Ok(file) = std::fs::File::open(&path) else { continue };
        if file.try_lock().is_err() {
            continue; // a save in progress
        }
        let same = match (file.metadata(), std::fs::symlink_metadata(&path)) {
            (Ok(held), Ok(named)) => held.ino() == named.ino() && held.dev() == named.dev(),
            _ => false,
        };
        if same && std::fs::remove_file(&path).is_ok() {
            tracing::debug!(file = %name, "removed a temporary token file left by an interrupted save");
        }
    }
}

/// Without advisory locks there is no telling a leftover from a save in progress: nothing is
/// removed.
#[cfg(not(unix))]
fn remove_abandoned_temp_files(_dir: &Path, _prefix: &str) {}

/// Flushes a directory's entries (the rename) to disk. A no-op where directories cannot be
/// opened as files.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

impl TokenStore for FileTokenStore {
    fn lock_path(&self) -> Option<PathBuf> {
        let mut name = self.path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
        name.push(".lock");
        Some(self.path.with_file_name(name))
    }

    fn load(&self) -> Result<Option<TokenSet>> {
        let bytes =
            self.read_bytes().map_err(|e| self.read_error(format!("{e}; check that it is readable")))?;
        let Some(bytes) = bytes else {
            return Ok(None);
        };
        self.warn_if_readable_by_others();
        let tokens = decode_versioned(&bytes).map_err(|reason| {
            self.read_error(format!(
                "{reason}. The file was left untouched; delete it (sign out) and sign in again"
            ))
        })?;
        Ok(Some(tokens))
    }

    fn save(&self, tokens: &TokenSet) -> Result<()> {
        match self.read_bytes() {
            Ok(None) => {}
            Ok(Some(bytes)) => {
                if let Err(reason) = decode_versioned(&bytes) {
                    return Err(self.write_error(format!(
                        "refusing to replace the existing file: {reason}. Delete it first (sign \
                         out, or remove the file) if it can go"
                    )));
                }
            }
            Err(e) => {
                return Err(self.write_error(format!(
                    "refusing to replace the existing file, which cannot be read ({e}). Fix its \
                     permissions, or delete it first if it can go"
                )));
            }
        }

        let dir = self.dir();
        Self::create_dir(dir)
            .map_err(|e| self.write_error(format!("cannot create the directory {} ({e})", dir.display())))?;

        // Room for three JWTs up front, so the buffer is unlikely to be reallocated (which would
        // leave an unwiped copy of part of it behind).
        let mut bytes = Zeroizing::new(Vec::with_capacity(16 * 1024));
        serde_json::to_writer_pretty(&mut *bytes, &VersionedRef { version: TOKEN_FILE_VERSION, tokens })
            .map_err(|e| self.write_error(format!("cannot encode the tokens ({})", json_problem(&e))))?;
        bytes.push(b'\n');

        self.replace_atomically(dir, &bytes)
            .map_err(|e| self.write_error(format!("cannot write a new file in {} ({e})", dir.display())))
    }

    fn delete(&self) -> Result<()> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => {
                // The file is gone; flushing the directory entry is best effort.
                let _ = sync_dir(self.dir());
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(AuthError::TokenStoreDelete { store: self.name(), reason: e.to_string() }),
        }
    }
}

impl fmt::Display for FileTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}
