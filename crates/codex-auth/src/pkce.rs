//! PKCE (RFC 7636, method `S256`) and the OAuth `state`, generated the way the Codex CLI does.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use zeroize::Zeroizing;

use crate::error::{AuthError, Result};
use crate::secret::{OAuthState, PkceVerifier};

/// Random bytes behind a generated verifier; base64url without padding makes them 86
/// characters, as the Codex CLI's.
pub const PKCE_VERIFIER_RANDOM_BYTES: usize = 64;
/// Random bytes behind a generated `state` (43 characters once encoded).
pub const STATE_RANDOM_BYTES: usize = 32;

/// The only PKCE method this crate uses.
pub const CODE_CHALLENGE_METHOD: &str = "S256";

/// base64url-without-padding of `n` bytes from the operating system's random number generator.
fn random_base64url(n: usize) -> Result<Zeroizing<String>> {
    let mut bytes = Zeroizing::new(vec![0u8; n]);
    getrandom::fill(&mut bytes).map_err(|e| AuthError::RandomUnavailable { reason: e.to_string() })?;
    Ok(Zeroizing::new(URL_SAFE_NO_PAD.encode(&*bytes)))
}

impl PkceVerifier {
    /// A fresh verifier: base64url (no padding) of 64 random bytes, 86 characters.
    ///
    /// # Errors
    ///
    /// [`AuthError::RandomUnavailable`] when the operating system's random number generator
    /// fails.
    pub fn generate() -> Result<Self> {
        let text = random_base64url(PKCE_VERIFIER_RANDOM_BYTES)?;
        Self::new(text.as_str())
    }

    /// The `S256` challenge of this verifier: base64url (no padding) of its SHA-256 digest.
    #[must_use]
    pub fn challenge(&self) -> String {
        ::pkce::code_challenge(self.expose_secret().as_bytes())
    }
}

impl OAuthState {
    /// A fresh state: base64url (no padding) of 32 random bytes, 43 characters.
    ///
    /// # Errors
    ///
    /// [`AuthError::RandomUnavailable`] when the operating system's random number generator
    /// fails.
    pub fn generate() -> Result<Self> {
        let text = random_base64url(STATE_RANDOM_BYTES)?;
        Ok(Self::new(text.as_str()))
    }

    /// Whether `received` is this state, compared in constant time (only the length can leak
    /// through timing).
    #[must_use]
    pub fn matches(&self, received: &str) -> bool {
        crate::secret::ct_eq(self.expose_secret().as_bytes(), received.as_bytes())
    }
}

/// A PKCE verifier with its `S256` challenge.
///
/// `Debug` shows the challenge (it is sent in the authorization URL and is not secret) and
/// redacts the verifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PkceCodes {
    verifier: PkceVerifier,
    challenge: String,
}

impl PkceCodes {
    /// A fresh verifier (86 characters from 64 random bytes) and its challenge.
    ///
    /// # Errors
    ///
    /// [`AuthError::RandomUnavailable`] when the operating system's random number generator
    /// fails.
    pub fn generate() -> Result<Self> {
        Ok(Self::from_verifier(PkceVerifier::generate()?))
    }

    /// The pair for a given verifier (for example one handed out by the device-code flow).
    #[must_use]
    pub fn from_verifier(verifier: PkceVerifier) -> Self {
        let challenge = verifier.challenge();
        Self { verifier, challenge }
    }

    /// The verifier, sent only to the token endpoint with the authorization code.
    #[must_use]
    pub fn verifier(&self) -> &PkceVerifier {
        &self.verifier
    }

    /// The challenge, sent in the authorization URL.
    #[must_use]
    pub fn challenge(&self) -> &str {
        &self.challenge
    }

    /// Always `S256`.
    #[must_use]
    pub fn challenge_method(&self) -> &'static str {
        CODE_CHALLENGE_METHOD
    }
}
