//! Where a store lives on disk.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Where a [`crate::CompatStore`] keeps its data.
///
/// Resolution order: an explicit directory ([`StorageLocation::Dir`]) wins; otherwise the
/// `CODEX_COMPAT_STORAGE_DIR` environment variable (when set and not empty); otherwise
/// `~/.oauth_codex/compat`.
///
/// ```
/// use std::path::PathBuf;
/// use codex_compat::StorageLocation;
///
/// // The environment and the home directory are injectable, so this reads neither.
/// let env = |name: &str| (name == "CODEX_COMPAT_STORAGE_DIR").then(|| "/srv/compat".into());
/// let home = || Some(PathBuf::from("/home/ada"));
/// assert_eq!(StorageLocation::Default.resolve_with(env, home)?, PathBuf::from("/srv/compat"));
/// assert_eq!(
///     StorageLocation::Default.resolve_with(|_| None, home)?,
///     PathBuf::from("/home/ada/.oauth_codex/compat"),
/// );
/// assert_eq!(StorageLocation::dir("/data").resolve_with(env, home)?, PathBuf::from("/data"));
/// # Ok::<(), codex_compat::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum StorageLocation {
    /// `CODEX_COMPAT_STORAGE_DIR`, else `~/.oauth_codex/compat`.
    #[default]
    Default,
    /// This directory (created if missing).
    Dir(PathBuf),
}

impl StorageLocation {
    /// The environment variable consulted by [`StorageLocation::Default`].
    pub const ENV_VAR: &'static str = "CODEX_COMPAT_STORAGE_DIR";

    /// An explicit directory.
    pub fn dir(path: impl Into<PathBuf>) -> Self {
        StorageLocation::Dir(path.into())
    }

    /// The directory, using the process environment and the user's home directory.
    pub fn resolve(&self) -> Result<PathBuf> {
        self.resolve_with(|name| std::env::var_os(name), dirs::home_dir)
    }

    /// The directory, with the environment lookup and the home directory supplied by the
    /// caller (for tests, or for programs that keep their own configuration).
    pub fn resolve_with<E, H>(&self, env: E, home: H) -> Result<PathBuf>
    where
        E: FnOnce(&str) -> Option<OsString>,
        H: FnOnce() -> Option<PathBuf>,
    {
        match self {
            StorageLocation::Dir(path) => {
                if path.as_os_str().is_empty() {
                    return Err(Error::invalid(
                        "location",
                        "the storage directory is empty; pass a directory path",
                    ));
                }
                Ok(path.clone())
            }
            StorageLocation::Default => {
                if let Some(dir) = env(Self::ENV_VAR).filter(|value| !value.is_empty()) {
                    return Ok(PathBuf::from(dir));
                }
                match home() {
                    Some(home) => Ok(home.join(".oauth_codex").join("compat")),
                    None => Err(Error::invalid(
                        "location",
                        format!(
                            "no home directory was found for the default storage location; \
                             set {} or pass a directory",
                            Self::ENV_VAR
                        ),
                    )),
                }
            }
        }
    }
}

impl From<PathBuf> for StorageLocation {
    fn from(path: PathBuf) -> Self {
        StorageLocation::Dir(path)
    }
}

impl From<&Path> for StorageLocation {
    fn from(path: &Path) -> Self {
        StorageLocation::Dir(path.to_owned())
    }
}
