//! The [`Authenticator`] seam: where credentials come from, and how a 401 is recovered.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use hyper::header::HeaderValue;

use crate::error::SdkRequestError;

/// A boxed, sendable future (the trait must be object-safe).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The credentials of one request: a bearer token and, for ChatGPT sign-ins, the account id.
///
/// Their header values are made once, when the credentials are: an authenticator that keeps
/// its `AuthHeaders` (as `TokenManager` and [`StaticBearer`] do) hands out clones that share
/// them, so a request neither copies the token nor checks it again.
///
/// `Debug` never prints the token.
#[derive(Clone)]
pub struct AuthHeaders {
    bearer: Option<Arc<Bearer>>,
    account: Option<Arc<Account>>,
}

/// A token and its `Authorization` value (`None` when the token cannot be one).
struct Bearer {
    token: String,
    header: Option<HeaderValue>,
}

/// An account id and its `ChatGPT-Account-ID` value (`None` when the id cannot be one).
struct Account {
    id: String,
    header: Option<HeaderValue>,
}

impl AuthHeaders {
    /// No credentials (for servers that need none).
    pub fn none() -> Self {
        AuthHeaders { bearer: None, account: None }
    }

    /// A bearer token, and the ChatGPT account id when known.
    pub fn bearer(token: impl Into<String>, account_id: Option<String>) -> Self {
        let token = token.into();
        let value = Bytes::from_owner(Wiped(format!("Bearer {token}").into_bytes()));
        let header = HeaderValue::from_maybe_shared(value).ok().map(|mut value| {
            value.set_sensitive(true);
            value
        });
        let account = account_id.map(|id| {
            let header = HeaderValue::try_from(id.as_str()).ok();
            Arc::new(Account { id, header })
        });
        AuthHeaders { bearer: Some(Arc::new(Bearer { token, header })), account }
    }

    /// The raw token. Every use is a place where the secret leaves this wrapper.
    pub fn expose_bearer(&self) -> Option<&str> {
        self.bearer.as_ref().map(|bearer| bearer.token.as_str())
    }

    /// The ChatGPT account id (sent as `ChatGPT-Account-ID`).
    pub fn account_id(&self) -> Option<&str> {
        self.account.as_ref().map(|account| account.id.as_str())
    }

    /// The `Authorization` value: `None` without a token, `Err` when the token cannot be a
    /// header value.
    pub(crate) fn authorization(&self) -> Option<Result<HeaderValue, ()>> {
        self.bearer.as_ref().map(|bearer| bearer.header.clone().ok_or(()))
    }

    /// The `ChatGPT-Account-ID` value: `None` without an account id, `Err` (with the id) when
    /// the id cannot be a header value.
    pub(crate) fn account_header(&self) -> Option<Result<HeaderValue, &str>> {
        self.account.as_ref().map(|account| account.header.clone().ok_or(account.id.as_str()))
    }
}

/// Equal when they carry the same token and account id.
impl PartialEq for AuthHeaders {
    fn eq(&self, other: &Self) -> bool {
        self.expose_bearer() == other.expose_bearer() && self.account_id() == other.account_id()
    }
}

impl Eq for AuthHeaders {}

impl Drop for Bearer {
    /// The token is wiped when the last clone is gone (its header value by [`Wiped`]).
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.token);
    }
}

/// Bytes wiped when the last header value sharing them is dropped.
struct Wiped(Vec<u8>);

impl AsRef<[u8]> for Wiped {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for Wiped {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl fmt::Debug for AuthHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthHeaders")
            .field("bearer", &self.bearer.as_ref().map(|_| "[redacted]"))
            .field("account_id", &self.account_id())
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

    /// The credentials for the next request when they are at hand without waiting (a
    /// cached, fresh token, say). The transport asks this first and awaits
    /// [`headers`](Self::headers) only on `None`, which is the default: an implementation
    /// that returns `Some` must return what `headers` would.
    fn ready_headers(&self) -> Option<AuthHeaders> {
        None
    }

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

    fn ready_headers(&self) -> Option<AuthHeaders> {
        Some(AuthHeaders::none())
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

    fn ready_headers(&self) -> Option<AuthHeaders> {
        Some(self.0.clone())
    }

    fn recover<'a>(&'a self, _refused: &'a AuthHeaders) -> BoxFuture<'a, Result<Recovery, SdkRequestError>> {
        Box::pin(async { Ok(Recovery::GiveUp) })
    }
}
