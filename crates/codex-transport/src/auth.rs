//! The [`Authenticator`] seam: where credentials come from, and how a 401 is recovered.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use crate::error::SdkRequestError;

/// A boxed, sendable future (the trait must be object-safe).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The credentials of one request: a bearer token and, for ChatGPT sign-ins, the account id.
///
/// `Debug` never prints the token.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthHeaders {
    bearer: Option<String>,
    account_id: Option<String>,
}

impl AuthHeaders {
    /// No credentials (for servers that need none).
    pub fn none() -> Self {
        AuthHeaders { bearer: None, account_id: None }
    }

    /// A bearer token, and the ChatGPT account id when known.
    pub fn bearer(token: impl Into<String>, account_id: Option<String>) -> Self {
        AuthHeaders { bearer: Some(token.into()), account_id }
    }

    /// The raw token. Every use is a place where the secret leaves this wrapper.
    pub fn expose_bearer(&self) -> Option<&str> {
        self.bearer.as_deref()
    }

    /// The ChatGPT account id (sent as `ChatGPT-Account-ID`).
    pub fn account_id(&self) -> Option<&str> {
        self.account_id.as_deref()
    }
}

impl fmt::Debug for AuthHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthHeaders")
            .field("bearer", &self.bearer.as_ref().map(|_| "[redacted]"))
            .field("account_id", &self.account_id)
            .finish()
    }
}

/// What an authenticator did about a 401.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// New credentials are ready: send the request again.
    Retry,
    /// Nothing to recover: the request ends with the server's 401.
    GiveUp,
}

/// Supplies credentials and recovers from a 401.
///
/// `recover` receives the credentials that were refused, so an implementation can tell a stale
/// token (someone already refreshed: nothing to do) from the current one (refresh now); two
/// concurrent 401s then cost one refresh.
pub trait Authenticator: Send + Sync + 'static {
    /// The credentials for the next request.
    fn headers(&self) -> BoxFuture<'_, Result<AuthHeaders, SdkRequestError>>;

    /// Called once after a 401 with the refused credentials. [`Recovery::Retry`] sends the
    /// request again; [`Recovery::GiveUp`] ends it with the server's 401; an error (a failed
    /// refresh) ends it with that error.
    fn recover<'a>(&'a self, refused: &'a AuthHeaders) -> BoxFuture<'a, Result<Recovery, SdkRequestError>>;
}

/// Sends no credentials; a 401 is final.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoAuth;

impl Authenticator for NoAuth {
    fn headers(&self) -> BoxFuture<'_, Result<AuthHeaders, SdkRequestError>> {
        Box::pin(async { Ok(AuthHeaders::none()) })
    }

    fn recover<'a>(&'a self, _refused: &'a AuthHeaders) -> BoxFuture<'a, Result<Recovery, SdkRequestError>> {
        Box::pin(async { Ok(Recovery::GiveUp) })
    }
}

/// A fixed bearer token (an API key, or a token managed elsewhere); a 401 is final.
#[derive(Clone)]
pub struct StaticBearer(AuthHeaders);

impl StaticBearer {
    /// A fixed token and optional account id.
    pub fn new(token: impl Into<String>, account_id: Option<String>) -> Self {
        StaticBearer(AuthHeaders::bearer(token, account_id))
    }
}

impl fmt::Debug for StaticBearer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("StaticBearer").field(&self.0).finish()
    }
}

impl Authenticator for StaticBearer {
    fn headers(&self) -> BoxFuture<'_, Result<AuthHeaders, SdkRequestError>> {
        let headers = self.0.clone();
        Box::pin(async move { Ok(headers) })
    }

    fn recover<'a>(&'a self, _refused: &'a AuthHeaders) -> BoxFuture<'a, Result<Recovery, SdkRequestError>> {
        Box::pin(async { Ok(Recovery::GiveUp) })
    }
}
