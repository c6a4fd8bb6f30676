//! The pooled HTTPS client and the attempt loop shared by unary and streaming calls.

use std::borrow::Borrow;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_core::Stream;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Body as _, Incoming};
use hyper::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue, USER_AGENT};
use hyper::{HeaderMap, Method, Request, Response};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use serde_json::{Map, Value};
use tracing::Instrument;

use crate::auth::{AuthHeaders, Authenticator, Recovery};
use crate::config::{ProtectedHeaders, RootCertificates, TransportConfig, is_protected_header};
use crate::error::{ErrorKind, SdkRequestError, human_wait};
use crate::hooks::{AuthRefresh, ErrorEvent, Hooks, RequestEnd, RequestStart};
use crate::ratelimit::RateLimits;
use crate::retry::{RetryPolicy, Verdict, classify};
use crate::sse::{SseDecoder, SseFrame};
use crate::timer::{RequestTimer, after, silence_tick};

/// The largest error body read (more is cut off).
const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// Per-request options.
#[derive(Debug, Clone, Default)]
pub struct RequestOptions {
    /// Extra headers (the protected ones, such as `Authorization` and `ChatGPT-Account-ID`,
    /// cannot be replaced: see [`crate::PROTECTED_HEADERS`] and [`ProtectedHeaders`]).
    pub extra_headers: Vec<(String, String)>,
    /// Extra query parameters.
    pub extra_query: Vec<(String, String)>,
    /// JSON merged into an object body last (top-level keys replace; `null` removes).
    pub extra_body: Map<String, Value>,
    /// Overrides the request timeout (unary) or the wait for the response head (streams);
    /// `Duration::MAX` means none.
    pub timeout: Option<Duration>,
    /// Overrides the number of retries.
    pub max_retries: Option<u32>,
}

/// A request body.
#[derive(Debug, Clone, PartialEq)]
pub enum RequestBody {
    /// JSON (`application/json`); `extra_body` is merged into an object.
    Json(Value),
    /// A form (`application/x-www-form-urlencoded`), as OAuth token endpoints take.
    Form(Vec<(String, String)>),
    /// Bytes with their content type (for example `multipart/form-data`).
    Raw {
        /// The `Content-Type`.
        content_type: String,
        /// The bytes.
        bytes: Bytes,
    },
}

/// One request to send.
#[derive(Debug, Clone)]
pub struct HttpRequest {
    /// The method.
    pub method: Method,
    /// The path, joined to the base URL (`responses`, `models`, …), or an absolute
    /// `https://` URL (plain `http://` only for loopback hosts).
    pub path: String,
    /// Query parameters.
    pub query: Vec<(String, String)>,
    /// The body.
    pub body: Option<RequestBody>,
    /// The model, for hooks and traces.
    pub model: Option<String>,
    /// The conversation id, sent as `session_id`.
    pub session_id: Option<String>,
    /// Per-request options.
    pub options: RequestOptions,
}

impl HttpRequest {
    /// A request with no body.
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        HttpRequest {
            method,
            path: path.into(),
            query: Vec::new(),
            body: None,
            model: None,
            session_id: None,
            options: RequestOptions::default(),
        }
    }

    /// A `POST` with a JSON body.
    pub fn post_json(path: impl Into<String>, body: Value) -> Self {
        HttpRequest { body: Some(RequestBody::Json(body)), ..Self::new(Method::POST, path) }
    }

    /// A `POST` with a form body.
    pub fn post_form(path: impl Into<String>, fields: Vec<(String, String)>) -> Self {
        HttpRequest { body: Some(RequestBody::Form(fields)), ..Self::new(Method::POST, path) }
    }

    /// Adds a query parameter.
    pub fn query(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((key.into(), value.into()));
        self
    }

    /// Sets the model (for hooks and traces).
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// Sets the conversation id (`session_id` header).
    pub fn session_id(mut self, id: impl Into<String>) -> Self {
        self.session_id = Some(id.into());
        self
    }

    /// Sets the options.
    pub fn options(mut self, options: RequestOptions) -> Self {
        self.options = options;
        self
    }
}

/// A whole response of a unary call.
#[derive(Debug, Clone)]
pub struct JsonResponse {
    /// The status.
    pub status: u16,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
    /// The server's request id, else the client's.
    pub request_id: String,
}

impl JsonResponse {
    /// The body as JSON.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, SdkRequestError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| SdkRequestError::decode(e).with_request_id(Some(self.request_id.clone())))
    }
}

/// The frames of a streamed response.
type FrameStream = Pin<Box<dyn Stream<Item = Result<SseFrame, SdkRequestError>> + Send>>;

/// A streamed response: SSE frames as they arrive.
///
/// Dropping it stops reading and closes the connection, unless the body had ended; a caller
/// done with a stream whose body may still be ending (after the final event come the chunked
/// encoding's last bytes, sometimes a moment later) hands it to [`finish`](Self::finish) or
/// [`finish_in_background`](Self::finish_in_background) instead, so that the next request
/// reuses the connection. A silence longer than the idle timeout ends it with a `Timeout`
/// error; a broken connection with `StreamClosedEarly`.
pub struct EventStream {
    inner: FrameStream,
    status: u16,
    headers: HeaderMap,
    request_id: String,
}

impl std::fmt::Debug for EventStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream")
            .field("status", &self.status)
            .field("request_id", &self.request_id)
            .finish()
    }
}

impl EventStream {
    /// The status of the response.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The server's request id, else the client's.
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    /// Stops reading for the caller, who has all it wants (a response's final event), and
    /// lets the connection go back to the pool rather than be closed: what is left of the body
    /// (normally only the last bytes of the chunked encoding) is read and discarded, at once
    /// when it is already here, else on a background task for at most [`DRAIN_TIME`] and
    /// [`DRAIN_BYTES`], after which the connection is closed as dropping the stream closes
    /// it. Outside a Tokio runtime, what is not already here is not waited for.
    ///
    /// [`finish`](Self::finish) first gives the connection's task a turn to read what has
    /// arrived, which usually ends the body without a background task.
    pub fn finish_in_background(self) {
        let mut rest = self.rest();
        if rest.read_ready() {
            rest.read_in_background();
        }
    }

    /// [`finish_in_background`](Self::finish_in_background), after giving the runtime one
    /// turn: hyper's connection task reads the body's end only when asked for more, and it is
    /// usually already in its buffer. The connection is then back in the pool before the
    /// caller's next request looks for one, and no background task is needed.
    pub async fn finish(self) {
        let mut rest = self.rest();
        if !rest.read_ready() {
            return;
        }
        tokio::task::yield_now().await;
        if rest.read_ready() {
            rest.read_in_background();
        }
    }

    /// The frames nobody reads any more, counted by their data.
    fn rest(
        self,
    ) -> Rest<FrameStream, impl FnMut(&mut FrameStream, &mut Context<'_>) -> Poll<Option<usize>>> {
        Rest::new(self.inner, |inner: &mut FrameStream, cx: &mut Context<'_>| {
            inner.as_mut().poll_next(cx).map(|frame| match frame {
                Some(Ok(frame)) => Some(frame.data.len()),
                None | Some(Err(_)) => None,
            })
        })
    }
}

/// What is left of a response nobody reads any more, read to its end so that its connection
/// goes back to the pool: `poll` gives the size of each next piece, `None` at the end or on
/// an error. Reading stops past [`DRAIN_BYTES`] (the connection is then closed).
struct Rest<S, P> {
    source: S,
    poll: P,
    read: usize,
}

impl<S, P> Rest<S, P>
where
    S: Send + 'static,
    P: FnMut(&mut S, &mut Context<'_>) -> Poll<Option<usize>> + Send + 'static,
{
    fn new(source: S, poll: P) -> Self {
        Rest { source, poll, read: 0 }
    }

    /// Reads what has arrived: `false` when that was the end (or an error, or past
    /// [`DRAIN_BYTES`]), `true` when more is to come.
    fn read_ready(&mut self) -> bool {
        let mut context = Context::from_waker(std::task::Waker::noop());
        loop {
            match (self.poll)(&mut self.source, &mut context) {
                Poll::Ready(Some(size)) => {
                    self.read += size;
                    if self.read > DRAIN_BYTES {
                        return false;
                    }
                }
                Poll::Ready(None) => return false,
                Poll::Pending => return true,
            }
        }
    }

    /// Reads the rest on a background task, for at most [`DRAIN_TIME`]; without a Tokio
    /// runtime, drops it.
    fn read_in_background(mut self) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        runtime.spawn(async move {
            let drain = async {
                while let Some(size) = std::future::poll_fn(|cx| (self.poll)(&mut self.source, cx)).await {
                    self.read += size;
                    if self.read > DRAIN_BYTES {
                        return;
                    }
                }
            };
            let _ = tokio::time::timeout(DRAIN_TIME, drain).await;
        });
    }
}

/// Reads what is left of a body nobody wants any more (after `[DONE]`), as
/// [`EventStream::finish_in_background`] does.
fn finish_body(body: Incoming) {
    let mut rest = Rest::new(body, |body: &mut Incoming, cx: &mut Context<'_>| {
        Pin::new(body).poll_frame(cx).map(|frame| match frame {
            Some(Ok(frame)) => Some(frame.data_ref().map_or(0, Bytes::len)),
            None | Some(Err(_)) => None,
        })
    });
    if rest.read_ready() {
        rest.read_in_background();
    }
}

/// How long [`EventStream::finish_in_background`] waits for the end of a body.
pub const DRAIN_TIME: Duration = Duration::from_secs(5);

/// How much data [`EventStream::finish_in_background`] reads past the caller's end before it
/// closes the connection instead.
pub const DRAIN_BYTES: usize = 1024 * 1024;

impl Stream for EventStream {
    type Item = Result<SseFrame, SdkRequestError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

/// An error building the transport (bad base URL, bad CA certificate).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransportBuildError {
    /// The base URL is not usable.
    #[error("invalid base URL {url:?}: {reason}")]
    BaseUrl {
        /// The URL, without any userinfo.
        url: String,
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// An extra CA certificate could not be read.
    #[error("invalid extra CA certificate: {0}")]
    Certificate(String),
    /// A configured header (`user_agent`, `originator`) cannot be sent.
    #[error("invalid {name} header: {reason}")]
    Header {
        /// The header.
        name: &'static str,
        /// What is wrong and how to fix it.
        reason: String,
    },
}

struct Inner {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    config: TransportConfig,
    base: url::Url,
    auth: Arc<dyn Authenticator>,
    hooks: Hooks,
    rate_limits: Mutex<Option<RateLimits>>,
    /// `config.user_agent` and `config.originator` as header values, checked once.
    user_agent: HeaderValue,
    originator: HeaderValue,
    /// The URL of the last relative path without a query, parsed: a client sends nearly every
    /// request to one path, and parsing it is a measurable share of a short request.
    last_url: Mutex<Option<(String, url::Url)>>,
}

/// The HTTP client of the SDK: pooled connections (HTTP/1.1 and HTTP/2 by ALPN), rustls with
/// the `ring` provider, retries, hooks and rate-limit tracking. Cheap to clone.
#[derive(Clone)]
pub struct Transport {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport").field("base_url", &self.inner.base.as_str()).finish_non_exhaustive()
    }
}

fn is_loopback(host: Option<url::Host<&str>>) -> bool {
    match host {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Checks a base URL: http(s), no credentials in it, plain http only for loopback.
pub fn validate_base_url(base_url: &str) -> Result<url::Url, TransportBuildError> {
    let bad = |reason: &str| {
        let shown = url::Url::parse(base_url)
            .map(|mut u| {
                let _ = u.set_username("");
                let _ = u.set_password(None);
                u.to_string()
            })
            .unwrap_or_else(|_| "(unparsable)".to_owned());
        TransportBuildError::BaseUrl { url: shown, reason: reason.to_owned() }
    };
    let url = url::Url::parse(base_url)
        .map_err(|e| bad(&format!("{e}; use a full URL like https://chatgpt.com/backend-api/codex")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad(
            "it carries credentials (user:password@); remove them, the SDK authenticates itself",
        ));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(url.host()) => Ok(url),
        "http" => Err(bad("plain http is allowed only for loopback hosts; use https")),
        _ => Err(bad("the scheme must be https")),
    }
}

fn tls_config(config: &TransportConfig) -> Result<rustls::ClientConfig, TransportBuildError> {
    let mut roots = rustls::RootCertStore::empty();
    if matches!(config.roots, RootCertificates::WebPki | RootCertificates::WebPkiAndNative) {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    if matches!(config.roots, RootCertificates::Native | RootCertificates::WebPkiAndNative) {
        let native = rustls_native_certs::load_native_certs();
        for error in &native.errors {
            tracing::warn!(%error, "could not load a native root certificate");
        }
        let (added, ignored) = roots.add_parsable_certificates(native.certs);
        tracing::debug!(added, ignored, "native root certificates");
    }
    for pem in &config.extra_ca_pem {
        let mut found = 0;
        for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            let cert = cert.map_err(|e| TransportBuildError::Certificate(e.to_string()))?;
            roots.add(cert).map_err(|e| TransportBuildError::Certificate(e.to_string()))?;
            found += 1;
        }
        if found == 0 {
            return Err(TransportBuildError::Certificate("no PEM certificate found in the text".to_owned()));
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TransportBuildError::Certificate(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The server's request id, else ours.
fn server_request_id(headers: &HeaderMap, ours: &str) -> String {
    ["x-request-id", "x-oai-request-id"]
        .iter()
        .find_map(|name| headers.get(*name).and_then(|v| v.to_str().ok()).filter(|v| !v.is_empty()))
        .unwrap_or(ours)
        .to_owned()
}

/// What every attempt of one request shares.
struct Prepared {
    uri: hyper::Uri,
    body: Option<(Bytes, HeaderValue)>,
    extra: Vec<(HeaderName, HeaderValue)>,
    request_id: HeaderValue,
    stream: bool,
}

/// `originator`.
const ORIGINATOR: HeaderName = HeaderName::from_static("originator");
/// `x-client-request-id`.
const X_CLIENT_REQUEST_ID: HeaderName = HeaderName::from_static("x-client-request-id");
/// `chatgpt-account-id`.
const CHATGPT_ACCOUNT_ID: HeaderName = HeaderName::from_static("chatgpt-account-id");
/// `session_id`.
const SESSION_ID: HeaderName = HeaderName::from_static("session_id");

/// `value` as the value of the header `name`, or an error that says it cannot be one.
fn header_value(name: &str, value: &str) -> Result<HeaderValue, SdkRequestError> {
    HeaderValue::try_from(value).map_err(|_| {
        SdkRequestError::invalid_request(format!(
            "the {name} header cannot carry {value:?}: a header value is visible ASCII, spaces and tabs"
        ))
    })
}

/// What the attempt loop hands back on success.
struct Answer {
    response: Response<Incoming>,
    request_id: String,
    /// The request's timer: the body is read on it.
    timer: RequestTimer,
}

impl Transport {
    /// Builds a transport. `auth` supplies credentials; `hooks` observe requests.
    pub fn new(
        config: TransportConfig,
        auth: Arc<dyn Authenticator>,
        hooks: Hooks,
    ) -> Result<Self, TransportBuildError> {
        let base = validate_base_url(&config.base_url)?;
        let fixed = |name: &'static str, value: &str| {
            HeaderValue::try_from(value).map_err(|_| TransportBuildError::Header {
                name,
                reason: format!("{value:?} cannot be a header value; use visible ASCII, spaces and tabs"),
            })
        };
        let user_agent = fixed("user-agent", &config.user_agent)?;
        let originator = fixed("originator", &config.originator)?;
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(config.connect_timeout));
        http.set_nodelay(true);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls_config(&config)?)
            .https_or_http()
            .enable_all_versions()
            .wrap_connector(http);
        let client =
            Client::builder(TokioExecutor::new()).pool_idle_timeout(Duration::from_secs(90)).build(connector);
        Ok(Transport {
            inner: Arc::new(Inner {
                client,
                config,
                base,
                auth,
                hooks,
                rate_limits: Mutex::new(None),
                user_agent,
                originator,
                last_url: Mutex::new(None),
            }),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &TransportConfig {
        &self.inner.config
    }

    /// The rate-limit snapshot of the last response that carried one.
    pub fn rate_limits(&self) -> Option<RateLimits> {
        self.inner.rate_limits.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Sends a unary request and reads the whole answer.
    ///
    /// Takes the request or a reference to it: a caller that may send it again keeps it.
    pub async fn send(&self, request: impl Borrow<HttpRequest>) -> Result<JsonResponse, SdkRequestError> {
        let mut answer = self.execute(request.borrow(), false).await?;
        let (parts, body) = answer.response.into_parts();
        let status = parts.status.as_u16();
        let headers = parts.headers;
        let remaining = answer.timer.remaining();
        let body = match answer.timer.run(body.collect()).await {
            None => {
                return Err(SdkRequestError::timeout("reading the response", remaining)
                    .with_request_id(Some(answer.request_id)));
            }
            Some(Err(error)) => {
                return Err(SdkRequestError::network(error).with_request_id(Some(answer.request_id)));
            }
            Some(Ok(collected)) => collected.to_bytes(),
        };
        Ok(JsonResponse { status, headers, body, request_id: answer.request_id })
    }

    /// Sends a request whose answer is an SSE stream.
    ///
    /// Takes the request or a reference to it: a caller that may send it again keeps it.
    pub async fn stream(&self, request: impl Borrow<HttpRequest>) -> Result<EventStream, SdkRequestError> {
        let answer = self.execute(request.borrow(), true).await?;
        let (parts, mut body) = answer.response.into_parts();
        let status = parts.status.as_u16();
        let headers = parts.headers;
        let request_id = answer.request_id.clone();
        let idle = self.inner.config.stream_idle_timeout;
        let max_event_size = self.inner.config.max_event_size;
        let stream_request_id = request_id.clone();
        let inner = async_stream::stream! {
            let id = Some(stream_request_id);
            let mut decoder = SseDecoder::new().with_max_event_size(max_event_size);
            let mut frames = Vec::new();
            // One timer for the whole stream (the request's own, moved later), checked a few
            // times per idle timeout: arming a timer (or reading the clock) for every chunk
            // costs more than decoding a small event. The timeout fires at most a quarter of
            // `idle` late, never early.
            let mut quiet_since = tokio::time::Instant::now();
            let mut data_seen = false;
            let (mut silence, tick) = answer.timer.into_idle_checks(quiet_since);
            loop {
                let next = std::future::poll_fn(|cx| {
                    if let Poll::Ready(frame) = Pin::new(&mut body).poll_frame(cx) {
                        return Poll::Ready(Some(frame));
                    }
                    silence.as_mut().poll(cx).map(|()| None)
                })
                .await;
                match next {
                    None => {
                        let now = tokio::time::Instant::now();
                        if std::mem::take(&mut data_seen) {
                            quiet_since = now;
                        }
                        if now.duration_since(quiet_since) < idle {
                            silence.as_mut().reset(after(now, tick));
                            continue;
                        }
                        yield Err(SdkRequestError::timeout("waiting for the next stream event", idle).with_request_id(id.clone()));
                        return;
                    }
                    Some(None) => {
                        decoder.finish();
                        return;
                    }
                    Some(Some(Err(error))) => {
                        yield Err(SdkRequestError::stream_closed_early(format!("the connection broke: {error}")).with_request_id(id.clone()));
                        return;
                    }
                    Some(Some(Ok(frame))) => {
                        data_seen = true;
                        let Ok(data) = frame.into_data() else { continue };
                        if let Err(error) = decoder.feed_bytes(&data, &mut frames) {
                            for frame in frames.drain(..) {
                                yield Ok(frame);
                            }
                            yield Err(SdkRequestError::decode(error).with_request_id(id.clone()));
                            return;
                        }
                        for frame in frames.drain(..) {
                            yield Ok(frame);
                        }
                        if decoder.is_done() {
                            // The body's end follows `[DONE]`; it is read so that the
                            // connection serves the next request.
                            finish_body(body);
                            return;
                        }
                    }
                }
            }
        };
        Ok(EventStream { inner: Box::pin(inner), status, headers, request_id })
    }

    fn url(&self, request: &HttpRequest) -> Result<url::Url, SdkRequestError> {
        let absolute = request.path.starts_with("https://") || request.path.starts_with("http://");
        let mut url = if absolute {
            validate_base_url(&request.path).map_err(|e| SdkRequestError::invalid_request(e.to_string()))?
        } else {
            let no_query = request.query.is_empty() && request.options.extra_query.is_empty();
            let mut last = self.inner.last_url.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((_, url)) = last.as_ref().filter(|(path, _)| no_query && *path == request.path) {
                return Ok(url.clone());
            }
            let base = self.inner.base.as_str().trim_end_matches('/');
            let joined = format!("{base}/{}", request.path.trim_start_matches('/'));
            let url = url::Url::parse(&joined).map_err(|e| {
                SdkRequestError::invalid_request(format!("bad request path {:?}: {e}", request.path))
            })?;
            if no_query {
                *last = Some((request.path.clone(), url.clone()));
            }
            url
        };
        let query: Vec<&(String, String)> =
            request.query.iter().chain(&request.options.extra_query).collect();
        if !query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (key, value) in query {
                pairs.append_pair(key, value);
            }
        }
        Ok(url)
    }

    /// The body bytes and their content type.
    fn body(request: &HttpRequest) -> Result<Option<(Bytes, HeaderValue)>, SdkRequestError> {
        let Some(body) = request.body.as_ref() else { return Ok(None) };
        Ok(Some(match body {
            RequestBody::Json(body) => {
                // Copied only when `extra_body` changes it.
                let mut merged;
                let body = if request.options.extra_body.is_empty() {
                    body
                } else {
                    merged = body.clone();
                    if let Value::Object(map) = &mut merged {
                        for (key, value) in &request.options.extra_body {
                            if value.is_null() {
                                map.shift_remove(key);
                            } else {
                                map.insert(key.clone(), value.clone());
                            }
                        }
                    }
                    &merged
                };
                (
                    Bytes::from(serde_json::to_vec(body).expect("JSON values serialize")),
                    HeaderValue::from_static("application/json"),
                )
            }
            RequestBody::Form(fields) => {
                let encoded =
                    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
                (Bytes::from(encoded), HeaderValue::from_static("application/x-www-form-urlencoded"))
            }
            RequestBody::Raw { content_type, bytes } => {
                (bytes.clone(), header_value("content-type", content_type)?)
            }
        }))
    }

    fn extra_headers(
        &self,
        request: &HttpRequest,
    ) -> Result<Vec<(HeaderName, HeaderValue)>, SdkRequestError> {
        let mut out = Vec::new();
        for (name, value) in &request.options.extra_headers {
            let lower = name.to_ascii_lowercase();
            if is_protected_header(&lower) {
                match self.inner.config.protected_headers {
                    ProtectedHeaders::Warn => {
                        tracing::warn!(header = %lower, "extra_headers cannot replace a header the client owns; it was dropped");
                        continue;
                    }
                    ProtectedHeaders::Reject => {
                        return Err(SdkRequestError::invalid_request(format!(
                            "extra_headers cannot replace `{lower}`: the client sets it; remove it from extra_headers"
                        )));
                    }
                }
            }
            let name = HeaderName::try_from(lower.as_str()).map_err(|e| {
                SdkRequestError::invalid_request(format!("bad header name {lower:?} in extra_headers: {e}"))
            })?;
            let value = HeaderValue::try_from(value.as_str()).map_err(|e| {
                SdkRequestError::invalid_request(format!(
                    "bad value for header {lower:?} in extra_headers: {e}"
                ))
            })?;
            out.push((name, value));
        }
        Ok(out)
    }

    fn build(
        &self,
        request: &HttpRequest,
        prepared: &Prepared,
        auth: &AuthHeaders,
    ) -> Result<Request<Full<Bytes>>, SdkRequestError> {
        let Prepared { uri, body, extra, request_id, stream, .. } = prepared;
        let inner = &self.inner;
        let mut hyper_request =
            Request::new(Full::new(body.as_ref().map(|(bytes, _)| bytes.clone()).unwrap_or_default()));
        *hyper_request.method_mut() = request.method.clone();
        *hyper_request.uri_mut() = uri.clone();
        let headers = hyper_request.headers_mut();
        headers.reserve(8 + extra.len());
        headers.append(USER_AGENT, inner.user_agent.clone());
        headers.append(ORIGINATOR, inner.originator.clone());
        headers.append(
            ACCEPT,
            HeaderValue::from_static(if *stream { "text/event-stream" } else { "application/json" }),
        );
        headers.append(X_CLIENT_REQUEST_ID, request_id.clone());
        if let Some((_, content_type)) = body {
            headers.append(CONTENT_TYPE, content_type.clone());
        }
        if let Some(value) = auth.authorization() {
            let value = value.map_err(|()| {
                SdkRequestError::auth("the access token has characters a header cannot carry; sign in again")
            })?;
            headers.append(AUTHORIZATION, value);
        }
        if let Some(value) = auth.account_header() {
            let value = value.or_else(|account| header_value("chatgpt-account-id", account))?;
            headers.append(CHATGPT_ACCOUNT_ID, value);
        }
        if let Some(session) = &request.session_id {
            headers.append(SESSION_ID, header_value("session_id", session)?);
        }
        for (name, value) in extra {
            headers.append(name, value.clone());
        }
        Ok(hyper_request)
    }

    /// The attempt loop: credentials, send, 401 recovery, classification, backoff.
    async fn execute(&self, request: &HttpRequest, stream: bool) -> Result<Answer, SdkRequestError> {
        let inner = &self.inner;
        let client_request_id = new_request_id();
        let url = self.url(request)?;
        let path = url.path().to_owned();
        let prepared = Prepared {
            uri: url.as_str().parse().map_err(|e| {
                SdkRequestError::invalid_request(format!(
                    "the URL {:?} cannot be requested: {e}",
                    url.as_str()
                ))
            })?,
            body: Self::body(request)?,
            extra: self.extra_headers(request)?,
            request_id: header_value("x-client-request-id", &client_request_id)?,
            stream,
        };
        let policy = match request.options.max_retries {
            Some(max_retries) => RetryPolicy { max_retries, ..inner.config.retry },
            None => inner.config.retry,
        };
        let timeout = request.options.timeout.unwrap_or(inner.config.request_timeout);
        // A stream request's timer is set at most one idle check ahead, so that the stream's
        // first check moves it later (see `RequestTimer`).
        let step = if stream { silence_tick(inner.config.stream_idle_timeout) } else { Duration::MAX };
        let method = request.method.to_string();
        let mut delays = policy.delays();
        let mut recovered = false;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let auth = match inner.auth.ready_headers() {
                Some(auth) => auth,
                None => inner
                    .auth
                    .headers()
                    .await
                    .map_err(|e| e.with_request_id(Some(client_request_id.clone())))?,
            };
            let hyper_request = self.build(request, &prepared, &auth)?;
            inner.hooks.request_start(|| RequestStart {
                request_id: client_request_id.clone(),
                method: method.clone(),
                path: path.clone(),
                model: request.model.clone(),
                attempt,
            });
            let span = tracing::debug_span!(
                "http_request",
                method = %method,
                path = %path,
                attempt,
                status = tracing::field::Empty,
                duration_ms = tracing::field::Empty,
            );
            let started = Instant::now();
            let mut timer = RequestTimer::new(timeout, step);
            let sent = timer.run(inner.client.request(hyper_request).instrument(span.clone())).await;
            let duration = started.elapsed();
            span.record("duration_ms", duration.as_millis() as u64);
            let end = |status: Option<u16>| RequestEnd {
                request_id: client_request_id.clone(),
                method: method.clone(),
                path: path.clone(),
                model: request.model.clone(),
                attempt,
                status,
                duration,
            };
            let (error, headers) = match sent {
                None => {
                    inner.hooks.request_end(|| end(None));
                    (SdkRequestError::timeout("the request", timeout), None)
                }
                Some(Err(error)) => {
                    inner.hooks.request_end(|| end(None));
                    let chain = error_chain(&error);
                    let detail = if error.is_connect() && chain.ends_with("deadline has elapsed") {
                        format!("connecting timed out after {:?}", inner.config.connect_timeout)
                    } else {
                        chain
                    };
                    (SdkRequestError::network(detail), None)
                }
                Some(Ok(response)) => {
                    let status = response.status().as_u16();
                    span.record("status", status);
                    inner.hooks.request_end(|| end(Some(status)));
                    if let Some(limits) = RateLimits::from_headers(response.headers()) {
                        *inner.rate_limits.lock().unwrap_or_else(|p| p.into_inner()) = Some(limits);
                    }
                    let request_id = server_request_id(response.headers(), &client_request_id);
                    if response.status().is_success() {
                        return Ok(Answer { response, request_id, timer });
                    }
                    let headers = response.headers().clone();
                    let body = Limited::new(response.into_body(), ERROR_BODY_LIMIT);
                    let bytes = match timer.run(body.collect()).await {
                        Some(Ok(collected)) => collected.to_bytes(),
                        _ => Bytes::new(),
                    };
                    if status == 401 && !recovered {
                        recovered = true;
                        match inner.auth.recover(&auth).await {
                            Ok(Recovery::Retry) => {
                                inner.hooks.auth_refresh(|| AuthRefresh {
                                    request_id: client_request_id.clone(),
                                    attempt,
                                    success: true,
                                });
                                continue;
                            }
                            Ok(Recovery::GiveUp) => {}
                            Err(error) => {
                                inner.hooks.auth_refresh(|| AuthRefresh {
                                    request_id: client_request_id.clone(),
                                    attempt,
                                    success: false,
                                });
                                return Err(error.with_request_id(Some(request_id)));
                            }
                        }
                    }
                    (
                        SdkRequestError::from_response(status, &headers, &bytes, Some(request_id)),
                        Some(headers),
                    )
                }
            };
            let error = if error.request_id.is_none() {
                error.with_request_id(Some(client_request_id.clone()))
            } else {
                error
            };
            inner.hooks.error(|| ErrorEvent {
                request_id: client_request_id.clone(),
                method: method.clone(),
                path: path.clone(),
                model: request.model.clone(),
                attempt,
                status: error.status_code,
                provider_code: error.provider_code.clone(),
                kind: error.kind.name(),
                retryable: error.retryable,
            });
            let wait = match classify(headers.as_ref(), &error) {
                Verdict::Stop => return Err(error),
                Verdict::Retry(Some(server)) if server > policy.max_server_delay => {
                    return Err(too_long(error, server, policy.max_server_delay));
                }
                Verdict::Retry(server) => match delays.next() {
                    None => return Err(error),
                    Some(backoff) => server.unwrap_or(backoff),
                },
            };
            tracing::debug!(attempt, wait_ms = wait.as_millis() as u64, kind = error.kind.name(), "retrying");
            tokio::time::sleep(wait).await;
        }
    }
}

/// An error and its causes, innermost last ("client error (Connect): tcp connect error: connection
/// timed out"), skipping causes that repeat their parent's text.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if parts.last().is_none_or(|last| !last.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

/// The server asked for a longer wait than the client will make: say when to come back.
fn too_long(mut error: SdkRequestError, asked: Duration, cap: Duration) -> SdkRequestError {
    if let ErrorKind::RateLimited { retry_after } = &mut error.kind {
        *retry_after = Some(asked);
    }
    error.user_message = format!(
        "{}; the server asks to wait {} before retrying, longer than this client waits ({}), so it was not retried",
        error.user_message,
        human_wait(asked.as_secs().max(1)),
        human_wait(cap.as_secs().max(1)),
    );
    error
}
