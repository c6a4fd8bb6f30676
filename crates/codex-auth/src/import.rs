//! An explicit, opt-in import of the Codex CLI's ChatGPT sign-in (`$CODEX_HOME/auth.json`).
//!
//! Nothing in this crate reads the Codex CLI's files unless one of these functions is called,
//! and nothing ever writes to them.

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::codex_file::CodexAuthJson;
use crate::error::{AuthError, Result, json_problem};
use crate::store::TokenStore;
use crate::tokens::TokenSet;

/// The environment variable that moves the Codex CLI's home directory (default `~/.codex`).
pub const CODEX_HOME_ENV: &str = "CODEX_HOME";

/// The Codex CLI's home directory under the home directory, when [`CODEX_HOME_ENV`] is unset.
pub const DEFAULT_CODEX_HOME_DIR: &str = ".codex";

/// The name of the Codex CLI's sign-in file in its home directory.
pub const CODEX_AUTH_FILE: &str = "auth.json";

/// The Codex CLI's `auth.json`: `codex_home` when given, else `$CODEX_HOME` (when set and not
/// empty), else `~/.codex`, joined with `auth.json`.
///
/// # Errors
///
/// [`AuthError::InvalidConfig`] when the home directory is needed and cannot be determined.
pub fn codex_cli_auth_path(codex_home: Option<&Path>) -> Result<PathBuf> {
    codex_cli_auth_path_with_env(codex_home, &|name| std::env::var_os(name))
}

/// [`codex_cli_auth_path`] with the environment read through `env` (for tests, or to take the
/// value from somewhere else).
///
/// # Errors
///
/// As [`codex_cli_auth_path`].
pub fn codex_cli_auth_path_with_env(
    codex_home: Option<&Path>,
    env: &dyn Fn(&str) -> Option<OsString>,
) -> Result<PathBuf> {
    let home = match codex_home {
        Some(dir) => dir.to_path_buf(),
        None => match env(CODEX_HOME_ENV).filter(|value| !value.is_empty()) {
            Some(dir) => PathBuf::from(dir),
            None => dirs::home_dir()
                .ok_or_else(|| AuthError::InvalidConfig {
                    setting: format!("Codex home directory ({CODEX_HOME_ENV})"),
                    reason: format!(
                        "the home directory cannot be determined; set {CODEX_HOME_ENV} or give the \
                         Codex home directory explicitly"
                    ),
                })?
                .join(DEFAULT_CODEX_HOME_DIR),
        },
    };
    Ok(home.join(CODEX_AUTH_FILE))
}

/// Imports the Codex CLI's ChatGPT sign-in into `into`: reads `auth.json` from `codex_home`
/// (else `$CODEX_HOME`, else `~/.codex`; see [`codex_cli_auth_path`]), converts it with
/// [`CodexAuthJson::to_token_set`], saves it into `into`, and returns it.
///
/// This is an explicit opt-in: call it only when the user asked to reuse their Codex CLI
/// sign-in. The Codex CLI's file is only read, never written, moved or locked. The two
/// programs then refresh independently: since the server rotates refresh tokens, whichever
/// refreshes second may find its copy outdated and need a new sign-in.
///
/// # Errors
///
/// * [`AuthError::TokenStoreRead`] naming the Codex CLI's file when it does not exist, cannot
///   be read, is not a Codex `auth.json`, holds only an API key (no ChatGPT sign-in), or its
///   tokens cannot be read. Messages never quote the file's content.
/// * [`AuthError::InvalidConfig`] as [`codex_cli_auth_path`].
/// * Whatever `into.save` returns (normally [`AuthError::TokenStoreWrite`]).
pub fn import_codex_cli_login(codex_home: Option<&Path>, into: &dyn TokenStore) -> Result<TokenSet> {
    import_codex_cli_login_with_env(codex_home, &|name| std::env::var_os(name), into)
}

/// [`import_codex_cli_login`] with the environment read through `env`.
///
/// # Errors
///
/// As [`import_codex_cli_login`].
pub fn import_codex_cli_login_with_env(
    codex_home: Option<&Path>,
    env: &dyn Fn(&str) -> Option<OsString>,
    into: &dyn TokenStore,
) -> Result<TokenSet> {
    let path = codex_cli_auth_path_with_env(codex_home, env)?;
    let tokens = read_codex_cli_login(&path)?;
    into.save(&tokens)?;
    Ok(tokens)
}

/// Reads and converts the Codex CLI's `auth.json` at `path`, without saving it anywhere.
///
/// # Errors
///
/// As the [`AuthError::TokenStoreRead`] cases of [`import_codex_cli_login`].
pub fn read_codex_cli_login(path: &Path) -> Result<TokenSet> {
    let error = |reason: String| AuthError::TokenStoreRead {
        store: format!("the Codex CLI's sign-in file {}", path.display()),
        reason,
    };
    let bytes = match std::fs::read(path) {
        Ok(bytes) => Zeroizing::new(bytes),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(error(format!(
                "it does not exist. Sign in with the Codex CLI first (`codex login`), or point \
                 {CODEX_HOME_ENV} at its home directory. (A Codex CLI set to keep its sign-in in the \
                 system keyring has no such file to import.)"
            )));
        }
        Err(e) => return Err(error(format!("{e}; check that it is readable"))),
    };
    let auth: CodexAuthJson = serde_json::from_slice(&bytes).map_err(|e| {
        error(format!("it is not a Codex CLI auth.json ({}); the file was not changed", json_problem(&e)))
    })?;
    drop(bytes);
    if auth.tokens.is_none() {
        let reason = if auth.openai_api_key.is_some() {
            "it holds only an API key, no ChatGPT sign-in; sign in to the Codex CLI with ChatGPT \
             (`codex login`), or sign in with oauth-codex directly"
        } else {
            "it holds no ChatGPT sign-in; sign in to the Codex CLI with ChatGPT (`codex login`), or \
             sign in with oauth-codex directly"
        };
        return Err(error(reason.to_owned()));
    }
    auth.to_token_set().map_err(|e| match e {
        AuthError::InvalidToken { token, reason } if token != "auth.json" => {
            error(format!("its {token} cannot be read ({reason}); sign in to the Codex CLI again"))
        }
        AuthError::InvalidToken { reason, .. } => error(reason),
        other => other,
    })
}
