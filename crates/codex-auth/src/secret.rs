//! Newtypes for the secrets of a sign-in.
//!
//! Each type holds its value in a [`zeroize::Zeroizing`] string, so the bytes are overwritten
//! when the value is dropped; prints as `[redacted]` through both `Debug` and `Display`, so a
//! secret never reaches a log line by accident; compares in constant time; and gives the raw
//! value only through an explicit `expose_secret()` call. They (de)serialize as the plain
//! string, which the token stores need.
//!
//! Zeroizing covers the value these types own. Copies made elsewhere (an HTTP body, a JSON
//! parser's scratch buffer, a `String` that was reallocated before it was wrapped) are outside
//! their reach.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::{AuthError, Result};

/// What the secret types print instead of their value.
pub const REDACTED: &str = "[redacted]";

/// Constant-time equality of two byte strings (the length is not hidden).
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

macro_rules! secret_common {
    ($name:ident) => {
        impl $name {
            /// The raw value. Every use is a place where the secret leaves this wrapper: keep
            /// it out of logs and error messages.
            #[must_use]
            pub fn expose_secret(&self) -> &str {
                self.0.as_str()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(REDACTED)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(REDACTED)
            }
        }

        /// Constant-time comparison of the values (only the length can leak through timing).
        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                ct_eq(self.0.as_bytes(), other.0.as_bytes())
            }
        }

        impl Eq for $name {}

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.expose_secret())
            }
        }
    };
}

macro_rules! plain_secret {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone)]
        pub struct $name(Zeroizing<String>);

        secret_common!($name);

        impl $name {
            /// Wraps a value. No check is made on its contents.
            #[must_use]
            pub fn new(value: impl Into<String>) -> Self {
                Self(Zeroizing::new(value.into()))
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self::new(value)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
                String::deserialize(deserializer).map(Self::new)
            }
        }
    };
}

plain_secret!(
    /// An OAuth access token: the bearer credential sent to the Codex backend.
    AccessToken
);
plain_secret!(
    /// An OAuth refresh token: long-lived, exchanged for new access tokens. The server rotates
    /// it: after a refresh only the new one is valid.
    RefreshToken
);
plain_secret!(
    /// An OpenID Connect ID token (a JWT describing the signed-in account).
    IdToken
);
plain_secret!(
    /// A one-time OAuth authorization code, exchanged (with the PKCE verifier) for tokens.
    AuthorizationCode
);
plain_secret!(
    /// The OAuth `state` of one sign-in attempt: an unguessable value sent with the
    /// authorization request and required back in the callback, so a callback from another
    /// attempt (or a forged one) is refused.
    OAuthState
);
plain_secret!(
    /// An OpenAI API key, as found in the Codex CLI's `auth.json`.
    ApiKey
);

/// A PKCE code verifier (RFC 7636 §4.1): 43 to 128 characters of `A-Z a-z 0-9 - . _ ~`.
///
/// Every constructor checks those bounds, so a value of this type is always a valid verifier.
#[derive(Clone)]
pub struct PkceVerifier(Zeroizing<String>);

secret_common!(PkceVerifier);

/// The shortest verifier RFC 7636 allows.
pub const PKCE_VERIFIER_MIN_LEN: usize = 43;
/// The longest verifier RFC 7636 allows.
pub const PKCE_VERIFIER_MAX_LEN: usize = 128;

impl PkceVerifier {
    /// Checks and wraps a verifier.
    ///
    /// # Errors
    ///
    /// [`AuthError::InvalidPkceVerifier`] when it is shorter than 43 or longer than 128
    /// characters, or has a character outside `A-Z a-z 0-9 - . _ ~`.
    pub fn new(value: impl Into<String>) -> Result<Self> {
        let value = Zeroizing::new(value.into());
        let len = value.len();
        if !(PKCE_VERIFIER_MIN_LEN..=PKCE_VERIFIER_MAX_LEN).contains(&len) {
            return Err(AuthError::InvalidPkceVerifier {
                reason: format!(
                    "it is {len} bytes long; RFC 7636 requires {PKCE_VERIFIER_MIN_LEN} to \
                     {PKCE_VERIFIER_MAX_LEN} characters"
                ),
            });
        }
        if let Some(position) = value.bytes().position(|b| !is_unreserved(b)) {
            return Err(AuthError::InvalidPkceVerifier {
                reason: format!(
                    "byte {} is not one of A-Z a-z 0-9 - . _ ~ (the only characters RFC 7636 allows)",
                    position + 1
                ),
            });
        }
        Ok(Self(value))
    }
}

impl TryFrom<String> for PkceVerifier {
    type Error = AuthError;

    fn try_from(value: String) -> Result<Self> {
        Self::new(value)
    }
}

impl<'de> Deserialize<'de> for PkceVerifier {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let value = String::deserialize(deserializer)?;
        Self::new(value).map_err(serde::de::Error::custom)
    }
}

/// RFC 3986 "unreserved" characters, the alphabet of a PKCE verifier.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}
