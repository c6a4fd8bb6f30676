//! The layout of the Codex CLI's `auth.json` (`~/.codex/auth.json`), for an explicit, opt-in
//! import of an existing Codex sign-in. Nothing here reads or writes that file by itself.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::error::{AuthError, Result, json_problem};
use crate::secret::{AccessToken, ApiKey, IdToken, RefreshToken};
use crate::time_format::rfc3339_opt;
use crate::tokens::TokenSet;

/// The Codex CLI's `auth.json`:
/// `{"auth_mode"?: "chatgpt", "OPENAI_API_KEY": string|null, "tokens"?: {…}, "last_refresh"?: RFC 3339}`.
///
/// Fields this type does not know (newer Codex releases add some) are ignored when reading.
/// `Debug` redacts the API key and tokens.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CodexAuthJson {
    /// `auth_mode`: `chatgpt` for a ChatGPT sign-in, `apikey` for an API key; absent in files
    /// written by older releases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_mode: Option<String>,
    /// `OPENAI_API_KEY`: written as `null` when there is none.
    #[serde(rename = "OPENAI_API_KEY", default)]
    pub openai_api_key: Option<ApiKey>,
    /// `tokens`: the ChatGPT sign-in, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens: Option<CodexTokenData>,
    /// `last_refresh`: when the tokens were last refreshed.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "rfc3339_opt")]
    pub last_refresh: Option<SystemTime>,
}

/// The `tokens` object of the Codex CLI's `auth.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CodexTokenData {
    /// `id_token`, the raw JWT.
    pub id_token: IdToken,
    /// `access_token`.
    pub access_token: AccessToken,
    /// `refresh_token`.
    pub refresh_token: RefreshToken,
    /// `account_id`: the ChatGPT account id, when Codex stored it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
}

impl CodexAuthJson {
    /// Reads the contents of a Codex `auth.json`.
    ///
    /// # Errors
    ///
    /// [`AuthError::InvalidToken`] (with `token` = `auth.json`) naming the problem's kind,
    /// line and column, never a value from the file.
    pub fn from_json(text: &str) -> Result<Self> {
        serde_json::from_str(text)
            .map_err(|e| AuthError::InvalidToken { token: "auth.json", reason: json_problem(&e) })
    }

    /// The ChatGPT sign-in of this file as a [`TokenSet`]: claims are read from the tokens,
    /// `last_refresh` is kept, and the file's `account_id` is used when the ID token has none.
    ///
    /// # Errors
    ///
    /// [`AuthError::InvalidToken`] when the file has no `tokens` (an API-key-only file) or its
    /// ID token is not a readable JWT.
    pub fn to_token_set(&self) -> Result<TokenSet> {
        let tokens = self.tokens.as_ref().ok_or_else(|| AuthError::InvalidToken {
            token: "auth.json",
            reason: "it holds no ChatGPT sign-in (`tokens` is missing); sign in instead".to_owned(),
        })?;
        let set = TokenSet::from_tokens(
            tokens.access_token.clone(),
            tokens.refresh_token.clone(),
            tokens.id_token.clone(),
            self.last_refresh,
        )?;
        Ok(match (&tokens.account_id, set.account_id()) {
            (Some(account_id), None) => set.with_account_id_if_missing(account_id.clone()),
            _ => set,
        })
    }
}
