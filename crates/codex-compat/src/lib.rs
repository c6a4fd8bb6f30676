//! Local stand-ins for what the Codex backend lacks: persistent files, vector stores with
//! full-text search, conversation replay for `previous_response_id`, and input-token counting.
//!
//! The Codex backend answers `responses.create` and little else. This crate supplies the rest
//! of the OpenAI surface on the caller's machine, returning the OpenAI-shaped objects of
//! [`codex_schema::objects`]:
//!
//! * [`Files`]: `create` (from a path, bytes or a reader), `retrieve`, `list`, `delete`,
//!   `content`. Bytes live in a content-addressed blob directory.
//! * [`VectorStores`]: `create`, `retrieve`, `list`, `update`, `delete`, `attach_file`,
//!   `retrieve_file`, `update_file_attributes`, `list_files`, `detach_file`, `search`. UTF-8
//!   files are chunked into SQLite and indexed with tantivy; search ranks with BM25 — a lexical
//!   search, not embeddings — with OpenAI's attribute [`Filter`]s and a score threshold.
//! * [`Conversations`]: `record` each completed response, `expand` a `previous_response_id`
//!   to the full item history; conversations expire after a configurable idle time.
//! * [`count_input_tokens`]: exact `o200k_base` BPE counts plus the chat-format overhead (the
//!   rule is in [`tokens`]); [`CompatStore::count_input_tokens`] also expands
//!   `previous_response_id`.
//!
//! Everything lives in one directory ([`StorageLocation`]: an explicit path, else
//! `CODEX_COMPAT_STORAGE_DIR`, else `~/.oauth_codex/compat`; mode 0700) holding an SQLite
//! database in WAL mode and the blobs. Any number of threads and processes may use one store
//! at once: writes are serialised by SQLite's write lock (`BEGIN IMMEDIATE`), busy databases
//! are waited for and retried, and every change is one transaction, so a crash at any moment
//! leaves whole records only.
//!
//! The API is synchronous and does blocking disk I/O; from async code call it through
//! `tokio::task::spawn_blocking` (the `oauth-codex` facade does).
//!
//! ```
//! use codex_compat::{CompatStore, FileSource, SearchParams, StorageLocation, VectorStoreCreateParams};
//! use codex_schema::{Item, Message};
//!
//! let dir = tempfile::tempdir()?;
//! let store = CompatStore::open(StorageLocation::dir(dir.path()))?;
//!
//! // Files and a vector store.
//! let file = store.files().create(
//!     FileSource::bytes("bread.txt", "A sourdough starter is flour and water, fermented."),
//!     "assistants",
//!     None,
//! )?;
//! assert_eq!(file.object, "file");
//! let vs = store.vector_stores().create(&VectorStoreCreateParams::new().name("kitchen").file_ids([&file.id]))?;
//! assert_eq!(vs.file_counts.completed, 1);
//! let page = store.vector_stores().search(&vs.id, &SearchParams::new("how do I ferment a starter?"))?;
//! assert_eq!(page.data[0].file_id, file.id);
//!
//! // Conversation replay.
//! let conversations = store.conversations();
//! conversations.record("resp_1", None, &[Message::user("Hi").into()], &[Message::assistant("Hello!").into()])?;
//! let history = conversations.expand("resp_1", &[Item::from(Message::user("And now?"))])?;
//! assert_eq!(history.len(), 3);
//!
//! // Token counting.
//! assert_eq!(codex_compat::count_text_tokens("hello world"), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! What is not here: embeddings (search is lexical), OpenAI's `rewrite_query` and
//! `ranking_options.ranker`, file batches, asynchronous indexing (a file is indexed when it is
//! attached, so statuses are `completed` or `failed`), and search-result paging (`next_page`
//! is always `null`).

mod blobs;
mod chunk;
mod db;
mod error;
mod files;
mod filter;
mod ids;
mod integrity;
mod list;
mod location;
mod search;
mod store;
mod validate;

pub mod conversations;
pub mod tokens;
pub mod vector_stores;

pub use conversations::{Conversations, ResponseRecord};
pub use error::{Error, ResourceKind, Result, StorageCause};
pub use files::{FILES_LIST_MAX_LIMIT, FileSource, Files};
pub use filter::{Filter, FilterValue};
pub use integrity::IntegrityReport;
pub use list::{ListParams, Order};
pub use location::StorageLocation;
pub use store::{CompatStore, DATABASE_FILE, StoreOptions};
pub use tokens::{
    InputTokenCount, REPLY_PRIMING_TOKENS, TOKENS_PER_MESSAGE, count_input_tokens, count_item_tokens,
    count_request_tokens, count_text_tokens, count_tool_tokens, preload_encoder,
};
pub use vector_stores::{
    RankingOptions, SEARCH_DEFAULT_RESULTS, SEARCH_MAX_RESULTS, SearchParams,
    VECTOR_STORES_LIST_DEFAULT_LIMIT, VECTOR_STORES_LIST_MAX_LIMIT, VectorStoreCreateParams,
    VectorStoreUpdateParams, VectorStores,
};

/// The OpenAI-shaped objects this crate returns, re-exported from [`codex_schema::objects`].
pub use codex_schema::objects;
