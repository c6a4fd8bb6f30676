//! The tokens of a signed-in user, and the token endpoint's response.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{AuthError, Result, json_problem};
use crate::jwt::{AccessTokenClaims, IdTokenClaims};
use crate::secret::{AccessToken, IdToken, RefreshToken};
use crate::time_format::{floor_to_second, rfc3339_opt, unix_seconds_opt};

/// A successful response of the token endpoint (to a code exchange or a refresh).
///
/// Build it with [`TokenResponse::from_json`]; it has no `Deserialize` impl on purpose, since
/// a JSON library's type errors can quote the offending value, and here that could be a
/// token.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenResponse {
    /// `access_token` (required).
    pub access_token: AccessToken,
    /// `refresh_token`: always sent on a code exchange with `offline_access`; on a refresh,
    /// sent when the server rotates it (OpenAI's does).
    pub refresh_token: Option<RefreshToken>,
    /// `id_token`: sent on a code exchange, and on a refresh by OpenAI's server.
    pub id_token: Option<IdToken>,
    /// `expires_in`, in seconds (a numeric string is accepted too).
    pub expires_in: Option<u64>,
    /// `token_type`, normally `Bearer`.
    pub token_type: Option<String>,
    /// `scope`, when the server says which scopes it granted.
    pub scope: Option<String>,
}

impl TokenResponse {
    /// Reads a token endpoint response body.
    ///
    /// `null` counts as absent. Empty token strings are refused.
    ///
    /// # Errors
    ///
    /// [`AuthError::InvalidTokenResponse`] when the body is not a JSON object, carries an OAuth
    /// `error` instead of tokens, lacks `access_token`, or has a field of the wrong type. The
    /// message names the field, never a value.
    pub fn from_json(body: impl AsRef<[u8]>) -> Result<Self> {
        let value: Value =
            serde_json::from_slice(body.as_ref()).map_err(|e| invalid_response(json_problem(&e)))?;
        let Value::Object(mut map) = value else {
            return Err(invalid_response("it is JSON but not an object".to_owned()));
        };
        if let Some(error) = map.get("error").and_then(Value::as_str)
            && !map.contains_key("access_token")
        {
            let description = map
                .get("error_description")
                .and_then(Value::as_str)
                .map(|d| format!(" ({d})"))
                .unwrap_or_default();
            return Err(invalid_response(format!("the server returned the error `{error}`{description}")));
        }
        let access_token = take_string(&mut map, "access_token")?
            .ok_or_else(|| invalid_response("it has no `access_token`".to_owned()))?;
        Ok(Self {
            access_token: AccessToken::new(access_token),
            refresh_token: take_string(&mut map, "refresh_token")?.map(RefreshToken::new),
            id_token: take_string(&mut map, "id_token")?.map(IdToken::new),
            expires_in: expires_in(&map)?,
            token_type: take_string(&mut map, "token_type")?,
            scope: take_string(&mut map, "scope")?,
        })
    }
}

fn invalid_response(reason: String) -> AuthError {
    AuthError::InvalidTokenResponse { reason }
}

/// Moves a string field out of the map (so a token is not copied).
fn take_string(map: &mut Map<String, Value>, field: &str) -> Result<Option<String>> {
    match map.remove(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Err(invalid_response(format!("`{field}` is empty"))),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(invalid_response(format!("`{field}` is not a string"))),
    }
}

fn expires_in(map: &Map<String, Value>) -> Result<Option<u64>> {
    let wrong = || invalid_response("`expires_in` is not a non-negative number of seconds".to_owned());
    match map.get("expires_in") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .or_else(|| n.as_f64().filter(|f| f.is_finite() && *f >= 0.0).map(|f| f as u64))
            .map(Some)
            .ok_or_else(wrong),
        Some(Value::String(s)) => s.trim().parse::<u64>().map(Some).map_err(|_| wrong()),
        Some(_) => Err(wrong()),
    }
}

/// The tokens of a signed-in user, with what their claims say.
///
/// `account_id`, `email` and `plan_type` come from the ID token's claims (the plan from the
/// access token's first); `expires_at` from the access token's `exp`, else from the response's
/// `expires_in`, rounded down to the second. Claims are read without verifying signatures:
/// see [`crate::jwt`].
///
/// `Debug` redacts the tokens. Serialization (used by the stores) writes the raw tokens,
/// `expires_at` as Unix seconds and `last_refresh` as RFC 3339.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSet {
    access_token: AccessToken,
    refresh_token: RefreshToken,
    id_token: IdToken,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    account_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    plan_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "unix_seconds_opt")]
    expires_at: Option<SystemTime>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "rfc3339_opt")]
    last_refresh: Option<SystemTime>,
}

/// The claims-derived fields of a [`TokenSet`].
struct Derived {
    account_id: Option<String>,
    plan_type: Option<String>,
    email: Option<String>,
    expires_at: Option<SystemTime>,
}

/// Reads what the tokens say. The ID token must be a JWT; an opaque access token is allowed.
fn derive(
    access_token: &AccessToken,
    id_token: Option<&IdToken>,
    expires_in: Option<u64>,
    now: SystemTime,
) -> Result<Derived> {
    let id = id_token.map(IdTokenClaims::parse).transpose()?.unwrap_or_default();
    let access = AccessTokenClaims::parse(access_token).unwrap_or_default();
    let expires_at = access
        .expires_at
        .or_else(|| expires_in.and_then(|secs| now.checked_add(Duration::from_secs(secs))))
        .map(floor_to_second);
    Ok(Derived {
        account_id: id.chatgpt_account_id.or(access.chatgpt_account_id),
        plan_type: access.chatgpt_plan_type.or(id.chatgpt_plan_type),
        email: id.email,
        expires_at,
    })
}

impl TokenSet {
    /// The tokens of a code-exchange response, refreshed now.
    ///
    /// # Errors
    ///
    /// As [`TokenSet::from_response_at`].
    pub fn from_response(response: TokenResponse) -> Result<Self> {
        Self::from_response_at(response, SystemTime::now())
    }

    /// The tokens of a code-exchange response received at `now` (which becomes
    /// `last_refresh`, and the base of `expires_in`).
    ///
    /// # Errors
    ///
    /// [`AuthError::InvalidTokenResponse`] when the response lacks a refresh token or an ID
    /// token; [`AuthError::InvalidToken`] when the ID token is not a readable JWT.
    pub fn from_response_at(response: TokenResponse, now: SystemTime) -> Result<Self> {
        let TokenResponse { access_token, refresh_token, id_token, expires_in, .. } = response;
        let refresh_token = refresh_token.ok_or_else(|| {
            invalid_response(
                "it has no `refresh_token` (was the `offline_access` scope requested?)".to_owned(),
            )
        })?;
        let id_token = id_token.ok_or_else(|| {
            invalid_response("it has no `id_token` (was the `openid` scope requested?)".to_owned())
        })?;
        Self::assemble(access_token, refresh_token, id_token, expires_in, now, Some(now))
    }

    /// A token set with the fields the tokens' claims give (`expires_in` counts from `now`).
    fn assemble(
        access_token: AccessToken,
        refresh_token: RefreshToken,
        id_token: IdToken,
        expires_in: Option<u64>,
        now: SystemTime,
        last_refresh: Option<SystemTime>,
    ) -> Result<Self> {
        let derived = derive(&access_token, Some(&id_token), expires_in, now)?;
        Ok(Self {
            access_token,
            refresh_token,
            id_token,
            account_id: derived.account_id,
            plan_type: derived.plan_type,
            email: derived.email,
            expires_at: derived.expires_at,
            last_refresh,
        })
    }

    /// Tokens obtained elsewhere (for example imported from the Codex CLI's `auth.json`), with
    /// the fields their claims give. `expires_at` comes from the access token's `exp` only.
    ///
    /// # Errors
    ///
    /// [`AuthError::InvalidToken`] when the ID token is not a readable JWT.
    pub fn from_tokens(
        access_token: AccessToken,
        refresh_token: RefreshToken,
        id_token: IdToken,
        last_refresh: Option<SystemTime>,
    ) -> Result<Self> {
        Self::assemble(access_token, refresh_token, id_token, None, SystemTime::now(), last_refresh)
    }

    /// Merges a refresh response received now: see [`TokenSet::apply_refresh_at`].
    ///
    /// # Errors
    ///
    /// As [`TokenSet::apply_refresh_at`].
    pub fn apply_refresh(&mut self, response: TokenResponse) -> Result<()> {
        self.apply_refresh_at(response, SystemTime::now())
    }

    /// Merges a refresh response received at `now`.
    ///
    /// Every token the response carries replaces the stored one: the access token always, the
    /// refresh token when the server rotated it (after which the old one is dead, so the result
    /// must be saved), the ID token when sent. Claims-derived fields are taken from the new
    /// tokens where they have them and kept otherwise; `expires_at` is recomputed from the new
    /// access token (or `expires_in`), and is `None` when neither gives it. `last_refresh`
    /// becomes `now`.
    ///
    /// # Errors
    ///
    /// [`AuthError::InvalidToken`] when the new ID token is not a readable JWT. On error the
    /// set is left unchanged.
    pub fn apply_refresh_at(&mut self, response: TokenResponse, now: SystemTime) -> Result<()> {
        let TokenResponse { access_token, refresh_token, id_token, expires_in, .. } = response;
        let derived = derive(&access_token, id_token.as_ref(), expires_in, now)?;
        self.access_token = access_token;
        if let Some(refresh_token) = refresh_token {
            self.refresh_token = refresh_token;
        }
        if let Some(id_token) = id_token {
            self.id_token = id_token;
        }
        if derived.account_id.is_some() {
            self.account_id = derived.account_id;
        }
        if derived.plan_type.is_some() {
            self.plan_type = derived.plan_type;
        }
        if derived.email.is_some() {
            self.email = derived.email;
        }
        self.expires_at = derived.expires_at;
        self.last_refresh = Some(now);
        Ok(())
    }

    /// Sets the account id when the claims gave none (the Codex CLI's `auth.json` stores it
    /// beside the tokens).
    pub(crate) fn with_account_id_if_missing(mut self, account_id: String) -> Self {
        if self.account_id.is_none() && !account_id.is_empty() {
            self.account_id = Some(account_id);
        }
        self
    }

    /// The access token.
    #[must_use]
    pub fn access_token(&self) -> &AccessToken {
        &self.access_token
    }

    /// The refresh token.
    #[must_use]
    pub fn refresh_token(&self) -> &RefreshToken {
        &self.refresh_token
    }

    /// The ID token.
    #[must_use]
    pub fn id_token(&self) -> &IdToken {
        &self.id_token
    }

    /// The ChatGPT account id (sent as `ChatGPT-Account-Id`), from the ID token.
    #[must_use]
    pub fn account_id(&self) -> Option<&str> {
        self.account_id.as_deref()
    }

    /// The ChatGPT plan, e.g. `plus`.
    #[must_use]
    pub fn plan_type(&self) -> Option<&str> {
        self.plan_type.as_deref()
    }

    /// The account's email.
    #[must_use]
    pub fn email(&self) -> Option<&str> {
        self.email.as_deref()
    }

    /// When the access token expires, if known.
    #[must_use]
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.expires_at
    }

    /// When these tokens were last obtained from the token endpoint, if known.
    #[must_use]
    pub fn last_refresh(&self) -> Option<SystemTime> {
        self.last_refresh
    }

    /// Whether the access token should no longer be used: it expires within `leeway` from now
    /// (`leeway` absorbs clock skew and request latency; `Duration::ZERO` means strictly
    /// expired). `false` when the expiry is unknown.
    #[must_use]
    pub fn is_expired(&self, leeway: Duration) -> bool {
        self.is_expired_at(SystemTime::now(), leeway)
    }

    /// [`TokenSet::is_expired`] at a given time.
    #[must_use]
    pub fn is_expired_at(&self, now: SystemTime, leeway: Duration) -> bool {
        self.expires_within_at(now, leeway)
    }

    /// Whether the access token expires within `window` from now: the test for refreshing
    /// ahead of expiry (e.g. with a window of a few minutes). `false` when the expiry is
    /// unknown. The same test as [`TokenSet::is_expired`]; the two names keep the intent of a
    /// call readable.
    #[must_use]
    pub fn expires_within(&self, window: Duration) -> bool {
        self.expires_within_at(SystemTime::now(), window)
    }

    /// [`TokenSet::expires_within`] at a given time.
    #[must_use]
    pub fn expires_within_at(&self, now: SystemTime, window: Duration) -> bool {
        match self.expires_at {
            None => false,
            Some(expires_at) => now.checked_add(window).is_none_or(|limit| limit >= expires_at),
        }
    }
}
