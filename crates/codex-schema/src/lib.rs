//! The vocabulary of oauth-codex: the typed Responses API request and response, conversation
//! items, the Codex backend's SSE events, stream events v1, the mapper between them, the
//! accumulator that makes a [`Response`] of a stream, and the parameter policy that validates
//! and shapes request bodies per profile.
//!
//! This crate is pure: no I/O, no async runtime. It is useful alone, for example to build and
//! check a Codex request body, or to turn recorded backend events into a [`Response`]:
//!
//! ```
//! use codex_schema::{
//!     prepare_request, BackendEvent, EventMapper, Profile, RequestPolicy, ResponseAccumulator,
//!     ResponseCreateParams,
//! };
//!
//! // Request side: what the Codex backend will receive.
//! let params = ResponseCreateParams::new("gpt-5.2-codex", "Say hi").instructions("Be brief.");
//! let prepared = prepare_request(&params, &RequestPolicy::new(Profile::Codex))?;
//! assert_eq!(prepared.body["stream"], true);
//! assert_eq!(prepared.body["input"][0]["content"][0]["text"], "Say hi");
//!
//! // Response side: backend SSE payloads → stream events v1 → Response.
//! let mut mapper = EventMapper::new();
//! let mut acc = ResponseAccumulator::new();
//! for data in [
//!     r#"{"type":"response.created","response":{"id":"resp_1"}}"#,
//!     r#"{"type":"response.output_text.delta","item_id":"m1","delta":"Hi!"}"#,
//!     r#"{"type":"response.completed","response":{"id":"resp_1"}}"#,
//! ] {
//!     for event in mapper.map(&BackendEvent::parse(None, data)?) {
//!         acc.push(&event);
//!     }
//! }
//! assert_eq!(acc.finish().output_text, "Hi!");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Reading is lenient (unknown items, content parts, tools and events keep their raw JSON and
//! round-trip unchanged; missing optional fields default); writing is exact.

mod tagged;

pub mod backend;
pub mod capabilities;
pub mod items;
pub mod objects;
pub mod policy;
pub mod raw;
pub mod request;
pub mod response;
pub mod stream;

pub use backend::{BackendEvent, BackendResponse, NotJsonError};
/// The shared UTF-8 string of [`StreamEvent::delta`] and of SSE frame data (from the `bytestring` crate).
pub use bytestring::ByteString;
pub use capabilities::ModelCapabilities;
pub use items::{
    ContentPart, FunctionCall, FunctionCallOutput, FunctionOutput, InputImage, InputText, Item, Message,
    MessageContent, OutputText, ReasoningItem, Refusal, Role, ToolResult,
};
pub use objects::{
    ExpiresAfter, FileCounts, FileDeleted, FileObject, ListPage, SearchContent, VectorStore,
    VectorStoreDeleted, VectorStoreFile, VectorStoreSearchPage, VectorStoreSearchResult,
};
pub use policy::{
    ParameterValidationError, PreparedRequest, Profile, RequestPolicy, StoreBehavior, ValidationMode,
    ValidationWarning, WarningCode, codex_body_bytes, prepare_request, shape_for_codex, validate_body,
};
pub use raw::RawJson;
pub use request::{
    FunctionTool, Input, Reasoning, ReasoningEffort, ReasoningSummary, ResponseCreateParams, ResponseFormat,
    Tool, ToolChoice, Truncation, Verbosity,
};
pub use response::{
    BackendUsage, FinishReason, Response, ResponseError, TokenDetails, ToolCall, ToolCallKind, Usage,
};
pub use stream::{
    EventMapper, ResponseAccumulator, SchemaVersion, StreamClosedEarly, StreamEvent, StreamEventType,
};

/// Every error this crate returns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A request parameter was refused by the policy.
    #[error(transparent)]
    ParameterValidation(#[from] ParameterValidationError),
    /// An SSE payload was not JSON.
    #[error(transparent)]
    NotJson(#[from] NotJsonError),
    /// The stream ended before the response.
    #[error(transparent)]
    StreamClosedEarly(#[from] StreamClosedEarly),
}
