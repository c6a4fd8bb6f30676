//! OpenAI-shaped objects for the local stand-ins: files, vector stores, list pages and search
//! results, exactly as OpenAI's API writes them.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A stored file (`object: "file"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct FileObject {
    /// `file-…`.
    pub id: String,
    /// Always `"file"`.
    pub object: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Unix seconds.
    pub created_at: i64,
    /// The file's name.
    pub filename: String,
    /// What it is for (`assistants`, `user_data`, …).
    pub purpose: String,
    /// Caller-supplied metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
}

/// The answer to deleting a file (`object: "file"`, `deleted`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct FileDeleted {
    /// The file's id.
    pub id: String,
    /// Always `"file"`.
    pub object: String,
    /// Whether it was deleted.
    pub deleted: bool,
}

/// Counts of a vector store's files by status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct FileCounts {
    /// Being indexed.
    pub in_progress: u64,
    /// Indexed.
    pub completed: u64,
    /// Failed to index (or not searchable).
    pub failed: u64,
    /// Cancelled.
    pub cancelled: u64,
    /// All files.
    pub total: u64,
}

/// When a vector store expires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct ExpiresAfter {
    /// Always `"last_active_at"`.
    pub anchor: String,
    /// Days after the anchor.
    pub days: u32,
}

/// A vector store (`object: "vector_store"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct VectorStore {
    /// `vs_…`.
    pub id: String,
    /// Always `"vector_store"`.
    pub object: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
    /// Bytes used by its files.
    pub usage_bytes: u64,
    /// Its files by status.
    pub file_counts: FileCounts,
    /// `expired`, `in_progress` or `completed`.
    pub status: String,
    /// Expiry policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_after: Option<ExpiresAfter>,
    /// When it expires, Unix seconds.
    #[serde(default)]
    pub expires_at: Option<i64>,
    /// When it was last used, Unix seconds.
    #[serde(default)]
    pub last_active_at: Option<i64>,
    /// Caller-supplied metadata.
    #[serde(default)]
    pub metadata: Option<Map<String, Value>>,
}

/// The answer to deleting a vector store (`object: "vector_store.deleted"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct VectorStoreDeleted {
    /// The store's id.
    pub id: String,
    /// Always `"vector_store.deleted"`.
    pub object: String,
    /// Whether it was deleted.
    pub deleted: bool,
}

/// A file attached to a vector store (`object: "vector_store.file"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct VectorStoreFile {
    /// The file's id.
    pub id: String,
    /// Always `"vector_store.file"`.
    pub object: String,
    /// Unix seconds.
    pub created_at: i64,
    /// The store's id.
    pub vector_store_id: String,
    /// `in_progress`, `completed`, `cancelled` or `failed`.
    pub status: String,
    /// Bytes of the file's indexed content.
    pub usage_bytes: u64,
    /// Why indexing failed (for example: not UTF-8 text).
    #[serde(default)]
    pub last_error: Option<Value>,
    /// Attributes used by search filters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Map<String, Value>>,
}

/// A page of a list (`object: "list"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct ListPage<T> {
    /// Always `"list"`.
    pub object: String,
    /// The entries.
    pub data: Vec<T>,
    /// The first entry's id.
    pub first_id: Option<String>,
    /// The last entry's id.
    pub last_id: Option<String>,
    /// Whether more entries follow.
    pub has_more: bool,
}

/// A text chunk in a search result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct SearchContent {
    /// Always `"text"`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The chunk.
    pub text: String,
}

/// One vector-store search hit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct VectorStoreSearchResult {
    /// The file the hit is in.
    pub file_id: String,
    /// The file's name.
    pub filename: String,
    /// Relevance, 0 to 1.
    pub score: f64,
    /// The file's attributes.
    #[serde(default)]
    pub attributes: Option<Map<String, Value>>,
    /// The matching chunks.
    pub content: Vec<SearchContent>,
}

/// A page of search hits (`object: "vector_store.search_results.page"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct VectorStoreSearchPage {
    /// Always `"vector_store.search_results.page"`.
    pub object: String,
    /// The query.
    pub search_query: String,
    /// The hits, best first.
    pub data: Vec<VectorStoreSearchResult>,
    /// Whether more hits follow.
    pub has_more: bool,
    /// A cursor to the next page.
    #[serde(default)]
    pub next_page: Option<String>,
}
