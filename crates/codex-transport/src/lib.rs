//! The wire layer of oauth-codex: it turns the Codex backend's HTTP responses into what the rest
//! of the SDK reads. Today that is the Server-Sent Events decoder, [`SseDecoder`], which cuts a
//! streamed response body (`text/event-stream`) into [`SseFrame`]s following the WHATWG
//! EventSource parsing rules, stops at `data: [DONE]`, and bounds the memory one event may take.
//! It knows SSE and HTTP, not Codex types: `codex_schema::BackendEvent::parse` reads a frame's
//! `event` and `data`.
//!
//! ```
//! use codex_transport::{SseDecoder, SseFrame};
//!
//! let mut decoder = SseDecoder::new();
//! let mut frames: Vec<SseFrame> = Vec::new();
//! // Chunks arrive split anywhere, here in the middle of a line and of a CRLF.
//! for chunk in [
//!     &b"event: response.output_text.delta\r\ndata: {\"delta\":\"Hel"[..],
//!     b"lo\"}\r\n\r",
//!     b"\n: keep-alive comment\n\ndata: {\"delta\":\"!\"}\n\ndata: [DONE]\n\n",
//! ] {
//!     decoder.feed(chunk, &mut frames)?;
//! }
//! assert!(decoder.is_done());
//! assert!(!decoder.finish());
//!
//! assert_eq!(frames.len(), 2);
//! assert_eq!(frames[0].event.as_deref(), Some("response.output_text.delta"));
//! assert_eq!(&*frames[0].data, r#"{"delta":"Hello"}"#);
//! assert_eq!(frames[1].event_type(), "message");
//! assert_eq!(&*frames[1].data, r#"{"delta":"!"}"#);
//! # Ok::<(), codex_transport::SseError>(())
//! ```
//!
//! The HTTP side: [`Transport`] sends requests through a pooled hyper client (HTTP/1.1 and
//! HTTP/2 by ALPN, rustls with the `ring` provider, webpki or native roots plus extra CAs),
//! asks an [`Authenticator`] for credentials and for recovery after a 401, retries by
//! [`RetryPolicy`] (backoff with jitter, server delays honoured up to a cap, usage limits
//! never), fires [`Hooks`], records [`RateLimits`] from every response, and reports failures as
//! [`SdkRequestError`] with a typed [`ErrorKind`]. Streams come back as an [`EventStream`] of
//! SSE frames, never buffered whole, with an idle timeout that never cuts a healthy stream.
//!
//! ```no_run
//! use std::sync::Arc;
//! use codex_transport::{HttpRequest, Hooks, StaticBearer, Transport, TransportConfig};
//! use futures_util::StreamExt;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let transport = Transport::new(
//!     TransportConfig::new("https://chatgpt.com/backend-api/codex"),
//!     Arc::new(StaticBearer::new("<access token>", Some("<account id>".into()))),
//!     Hooks::new().on_error(|e| eprintln!("attempt {} failed: {}", e.attempt, e.kind)),
//! )?;
//! let body = serde_json::json!({"model": "gpt-5.2-codex", "instructions": "Be brief.", "input": [],
//!     "store": false, "stream": true});
//! let mut events = transport.stream(HttpRequest::post_json("responses", body)).await?;
//! while let Some(frame) = events.next().await {
//!     println!("{}: {}", frame?.event_type(), transport.rate_limits().is_some());
//! }
//! # Ok(()) }
//! ```

mod auth;
mod client;
mod config;
mod error;
mod hooks;
mod ratelimit;
mod retry;
pub mod sse;
mod timer;

pub use auth::{AuthHeaders, Authenticator, BoxFuture, NoAuth, Recovery, StaticBearer};
/// The shared UTF-8 string of [`SseFrame::data`] (from the `bytestring` crate).
pub use bytestring::ByteString;
pub use client::{
    DRAIN_BYTES, DRAIN_TIME, EventStream, HttpRequest, JsonResponse, RequestBody, RequestOptions, Transport,
    TransportBuildError, validate_base_url,
};
pub use config::{
    PROTECTED_HEADERS, ProtectedHeaders, RootCertificates, TransportConfig, default_user_agent,
    is_protected_header,
};
pub use error::{ErrorDetails, ErrorKind, SdkRequestError};
pub use hooks::{AuthRefresh, ErrorEvent, Hooks, RequestEnd, RequestStart};
pub use hyper::{HeaderMap, Method};
pub use ratelimit::{RateLimitCredits, RateLimitWindow, RateLimits};
pub use retry::RetryPolicy;
pub use sse::{SseDecoder, SseError, SseFrame};
