//! Reading the claims of the ID and access tokens.
//!
//! **No signature is verified.** The tokens come straight from the token endpoint over TLS,
//! which authenticates them; the claims are read for display and routing (email, account id,
//! plan, expiry), never to make a trust decision about a token from elsewhere.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::error::{AuthError, Result};
use crate::secret::{AccessToken, IdToken};

/// The claim namespace OpenAI puts its own claims in.
pub const OPENAI_AUTH_CLAIM: &str = "https://api.openai.com/auth";
/// The claim namespace of the profile claims (holds `email` when it is not top-level).
pub const OPENAI_PROFILE_CLAIM: &str = "https://api.openai.com/profile";

/// base64url, padding optional.
const URL_SAFE_ANY_PADDING: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The decoded payload of a JWT, which must be a JSON object.
fn decode_payload(token: &str, kind: &'static str) -> Result<Map<String, Value>> {
    let invalid = |reason: &str| AuthError::InvalidToken { token: kind, reason: reason.to_owned() };
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 || parts.iter().any(|part| part.is_empty()) {
        return Err(invalid("it is not a JWT (expected three non-empty parts separated by `.`)"));
    }
    let bytes = Zeroizing::new(
        URL_SAFE_ANY_PADDING
            .decode(parts[1])
            .map_err(|_| invalid("its payload (the middle part) is not base64url"))?,
    );
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(invalid("its payload is JSON but not an object")),
        Err(_) => Err(invalid("its payload is not JSON")),
    }
}

fn string_claim(map: &Map<String, Value>, name: &str) -> Option<String> {
    map.get(name).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned)
}

fn namespace<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a Map<String, Value>> {
    map.get(name).and_then(Value::as_object)
}

/// A Unix time in seconds (integer or fractional) as a [`SystemTime`]; `None` when it is not a
/// non-negative number that fits.
pub(crate) fn unix_seconds(value: &Value) -> Option<SystemTime> {
    let seconds = match value {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64().filter(|f| f.is_finite() && *f >= 0.0 && *f < u64::MAX as f64).map(|f| f as u64)
        })?,
        _ => return None,
    };
    UNIX_EPOCH.checked_add(Duration::from_secs(seconds))
}

/// What the ID token says about the signed-in account.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct IdTokenClaims {
    /// `email`, else `https://api.openai.com/profile`.`email`.
    pub email: Option<String>,
    /// `https://api.openai.com/auth`.`chatgpt_account_id`: the ChatGPT account (workspace)
    /// requests are made for.
    pub chatgpt_account_id: Option<String>,
    /// `https://api.openai.com/auth`.`chatgpt_plan_type`, e.g. `plus`, `pro`, `team`.
    pub chatgpt_plan_type: Option<String>,
    /// `https://api.openai.com/auth`.`chatgpt_user_id`, else `user_id`.
    pub chatgpt_user_id: Option<String>,
    /// `https://api.openai.com/auth`.`organization_id`.
    pub organization_id: Option<String>,
    /// `https://api.openai.com/auth`.`project_id`.
    pub project_id: Option<String>,
}

impl IdTokenClaims {
    /// Reads the claims of an ID token (without verifying its signature; see the
    /// [module docs](self)). Missing claims are `None`.
    ///
    /// # Errors
    ///
    /// [`AuthError::InvalidToken`] when the token is not a JWT with a base64url JSON-object
    /// payload.
    pub fn parse(token: &IdToken) -> Result<Self> {
        let payload = decode_payload(token.expose_secret(), "id_token")?;
        let email = string_claim(&payload, "email")
            .or_else(|| namespace(&payload, OPENAI_PROFILE_CLAIM).and_then(|p| string_claim(p, "email")));
        let auth = namespace(&payload, OPENAI_AUTH_CLAIM);
        let get = |name: &str| auth.and_then(|a| string_claim(a, name));
        Ok(Self {
            email,
            chatgpt_account_id: get("chatgpt_account_id"),
            chatgpt_plan_type: get("chatgpt_plan_type"),
            chatgpt_user_id: get("chatgpt_user_id").or_else(|| get("user_id")),
            organization_id: get("organization_id"),
            project_id: get("project_id"),
        })
    }
}

/// What the access token says about itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccessTokenClaims {
    /// The standard `exp` claim: when the token stops being accepted.
    pub expires_at: Option<SystemTime>,
    /// `https://api.openai.com/auth`.`chatgpt_plan_type`.
    pub chatgpt_plan_type: Option<String>,
    /// `https://api.openai.com/auth`.`chatgpt_account_id`.
    pub chatgpt_account_id: Option<String>,
}

impl AccessTokenClaims {
    /// Reads the claims of an access token (without verifying its signature; see the
    /// [module docs](self)). An `exp` that is not a non-negative number is treated as absent.
    ///
    /// # Errors
    ///
    /// [`AuthError::InvalidToken`] when the token is not a JWT with a base64url JSON-object
    /// payload. (Access tokens from other issuers may be opaque; callers that accept them
    /// treat this error as "no claims".)
    pub fn parse(token: &AccessToken) -> Result<Self> {
        let payload = decode_payload(token.expose_secret(), "access_token")?;
        let auth = namespace(&payload, OPENAI_AUTH_CLAIM);
        let get = |name: &str| auth.and_then(|a| string_claim(a, name));
        Ok(Self {
            expires_at: payload.get("exp").and_then(unix_seconds),
            chatgpt_plan_type: get("chatgpt_plan_type"),
            chatgpt_account_id: get("chatgpt_account_id"),
        })
    }
}
