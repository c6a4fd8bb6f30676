//! Vector stores: create, retrieve, list, update, delete, attach and detach files, search.
//!
//! "Vector store" is OpenAI's name; locally the index is lexical: each UTF-8 file is split into
//! overlapping chunks (see [`crate::StoreOptions`]) indexed with tantivy (English stemming,
//! Unicode case folding and ASCII folding of accents), and search ranks chunks with BM25.
//! SQLite keeps the chunks; the search index mirrors them (see `search.rs`). Indexing happens
//! when a file is first attached to any store, synchronously, so a vector-store file is never
//! `in_progress`: it is `completed`, or `failed` when the file is not UTF-8 text. A file's
//! chunks are shared by every store it is attached to.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use codex_schema::{
    ExpiresAfter, FileCounts, FileDeleted, ListPage, SearchContent, VectorStore, VectorStoreDeleted,
    VectorStoreFile, VectorStoreSearchPage, VectorStoreSearchResult,
};
use rusqlite::{OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::chunk::{Extracted, extract, not_text_error};
use crate::db::{TxError, TxResult};
use crate::error::{Error, ResourceKind, Result};
use crate::filter::Filter;
use crate::ids::{new_id, now_secs};
use crate::list::{ListParams, list_page, page_seqs};
use crate::search::{Opened, query_terms};
use crate::store::Inner;
use crate::validate;

/// Largest `limit` of [`VectorStores::list`] and [`VectorStores::list_files`].
pub const VECTOR_STORES_LIST_MAX_LIMIT: u32 = 100;
/// Default `limit` of [`VectorStores::list`] and [`VectorStores::list_files`].
pub const VECTOR_STORES_LIST_DEFAULT_LIMIT: u32 = 20;
/// Largest `max_num_results` of [`VectorStores::search`].
pub const SEARCH_MAX_RESULTS: u32 = 50;
/// Default `max_num_results` of [`VectorStores::search`].
pub const SEARCH_DEFAULT_RESULTS: u32 = 10;
/// At most this many distinct words of a query are searched for.
pub const SEARCH_MAX_TERMS: usize = 64;
/// A search refreshes a store's `last_active_at` when it is older than this many seconds (so
/// that searching does not cost a write every time).
const TOUCH_INTERVAL_SECS: i64 = 60;
const DAY_SECS: i64 = 24 * 60 * 60;

/// The arguments of [`VectorStores::create`].
///
/// ```
/// use codex_compat::VectorStoreCreateParams;
/// let params = VectorStoreCreateParams::new().name("docs").file_ids(["file-abc"]);
/// assert_eq!(params.file_ids, vec!["file-abc".to_owned()]);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VectorStoreCreateParams {
    /// A name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Files to attach at once (without attributes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub file_ids: Vec<String>,
    /// Up to 16 string pairs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
    /// Expiry after a number of days without activity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_after: Option<ExpiresAfter>,
}

impl VectorStoreCreateParams {
    /// No name, no files, no metadata, no expiry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `name`.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets `file_ids`.
    pub fn file_ids<I: IntoIterator<Item = S>, S: Into<String>>(mut self, ids: I) -> Self {
        self.file_ids = ids.into_iter().map(Into::into).collect();
        self
    }

    /// Sets `metadata`.
    pub fn metadata(mut self, metadata: Map<String, Value>) -> Self {
        self.metadata = Some(metadata);
        self
    }

    /// Sets `expires_after` to `days` days after last activity.
    pub fn expires_after_days(mut self, days: u32) -> Self {
        self.expires_after = Some(ExpiresAfter { anchor: "last_active_at".to_owned(), days });
        self
    }
}

/// The arguments of [`VectorStores::update`]: each field left `None` is left unchanged.
///
/// ```
/// use codex_compat::VectorStoreUpdateParams;
/// let params = VectorStoreUpdateParams::new().name("renamed").clear_expires_after();
/// assert_eq!(params.name, Some(Some("renamed".to_owned())));
/// assert_eq!(params.expires_after, Some(None));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct VectorStoreUpdateParams {
    /// `Some(Some(name))` renames, `Some(None)` removes the name.
    pub name: Option<Option<String>>,
    /// `Some(Some(map))` replaces the metadata, `Some(None)` removes it.
    pub metadata: Option<Option<Map<String, Value>>>,
    /// The complete new set of files: missing ones are attached, others detached.
    pub file_ids: Option<Vec<String>>,
    /// `Some(Some(policy))` sets the expiry, `Some(None)` removes it.
    pub expires_after: Option<Option<ExpiresAfter>>,
}

impl VectorStoreUpdateParams {
    /// Changes nothing (yet).
    pub fn new() -> Self {
        Self::default()
    }

    /// Renames the store.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(Some(name.into()));
        self
    }

    /// Removes the name.
    pub fn clear_name(mut self) -> Self {
        self.name = Some(None);
        self
    }

    /// Replaces the metadata.
    pub fn metadata(mut self, metadata: Map<String, Value>) -> Self {
        self.metadata = Some(Some(metadata));
        self
    }

    /// Removes the metadata.
    pub fn clear_metadata(mut self) -> Self {
        self.metadata = Some(None);
        self
    }

    /// Replaces the set of files.
    pub fn file_ids<I: IntoIterator<Item = S>, S: Into<String>>(mut self, ids: I) -> Self {
        self.file_ids = Some(ids.into_iter().map(Into::into).collect());
        self
    }

    /// Sets the expiry to `days` days after last activity.
    pub fn expires_after_days(mut self, days: u32) -> Self {
        self.expires_after = Some(Some(ExpiresAfter { anchor: "last_active_at".to_owned(), days }));
        self
    }

    /// Removes the expiry.
    pub fn clear_expires_after(mut self) -> Self {
        self.expires_after = Some(None);
        self
    }
}

/// Ranking settings of a search.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RankingOptions {
    /// Only hits scoring at least this much (0 to 1) are returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_threshold: Option<f64>,
}

/// The arguments of [`VectorStores::search`], in OpenAI's JSON shape (`rewrite_query` and
/// `ranking_options.ranker` are not supported and are ignored when read from JSON).
///
/// ```
/// use codex_compat::{Filter, SearchParams};
/// let params = SearchParams::new("sourdough starter")
///     .max_num_results(5)
///     .filters(Filter::eq("lang", "en"))
///     .score_threshold(0.2);
/// assert_eq!(params.max_num_results, Some(5));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SearchParams {
    /// What to look for, in plain words. Query syntax has no meaning here: every word is
    /// searched for as written, and any one word may match (more matching words rank higher).
    /// OpenAI's list-of-strings form is read too (the strings are joined with spaces).
    #[serde(deserialize_with = "query_text")]
    pub query: String,
    /// 1 to 50 (default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_num_results: Option<u32>,
    /// Only files whose attributes pass this filter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<Filter>,
    /// Ranking settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ranking_options: Option<RankingOptions>,
}

fn query_text<'de, D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Query {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Query::deserialize(deserializer)? {
        Query::One(text) => text,
        Query::Many(texts) => texts.join(" "),
    })
}

impl SearchParams {
    /// A search for `query` with the defaults.
    pub fn new(query: impl Into<String>) -> Self {
        SearchParams { query: query.into(), ..Self::default() }
    }

    /// Sets `max_num_results`.
    pub fn max_num_results(mut self, n: u32) -> Self {
        self.max_num_results = Some(n);
        self
    }

    /// Sets `filters`.
    pub fn filters(mut self, filter: Filter) -> Self {
        self.filters = Some(filter);
        self
    }

    /// Sets `ranking_options.score_threshold`.
    pub fn score_threshold(mut self, threshold: f64) -> Self {
        self.ranking_options.get_or_insert_with(RankingOptions::default).score_threshold = Some(threshold);
        self
    }
}

/// A BM25 score (higher is better, unbounded) mapped onto 0..1 as `s / (1 + s)`. Monotonic, so
/// ranking is unchanged; absolute, so a threshold means the same across queries.
pub(crate) fn normalise_score(score: f32) -> f64 {
    let s = f64::from(score).max(0.0);
    if s.is_finite() { s / (1.0 + s) } else { 1.0 }
}

/// The vector stores of a [`crate::CompatStore`]: `store.vector_stores()`.
#[derive(Debug, Clone)]
pub struct VectorStores {
    pub(crate) inner: Arc<Inner>,
}

/// A file row's facts needed to attach it.
struct FileFacts {
    seq: i64,
    sha256: String,
    text_state: String,
}

fn file_facts(tx: &Transaction<'_>, file_id: &str) -> TxResult<FileFacts> {
    tx.prepare_cached("SELECT seq, sha256, text_state FROM files WHERE id = ?1")?
        .query_row([file_id], |row| {
            Ok(FileFacts { seq: row.get(0)?, sha256: row.get(1)?, text_state: row.get(2)? })
        })
        .optional()?
        .ok_or_else(|| Error::not_found(ResourceKind::File, file_id).into())
}

struct StoreRow {
    seq: i64,
    id: String,
    created_at: i64,
    name: Option<String>,
    metadata: Option<String>,
    expires_after_days: Option<u32>,
    last_active_at: i64,
}

impl StoreRow {
    fn expires_at(&self) -> Option<i64> {
        self.expires_after_days.map(|days| self.last_active_at + i64::from(days) * DAY_SECS)
    }
}

const STORE_COLUMNS: &str = "seq, id, created_at, name, metadata, expires_after_days, last_active_at";

fn store_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoreRow> {
    Ok(StoreRow {
        seq: row.get(0)?,
        id: row.get(1)?,
        created_at: row.get(2)?,
        name: row.get(3)?,
        metadata: row.get(4)?,
        expires_after_days: row.get(5)?,
        last_active_at: row.get(6)?,
    })
}

fn store_by_id(tx: &Transaction<'_>, id: &str) -> TxResult<StoreRow> {
    tx.prepare_cached(&format!("SELECT {STORE_COLUMNS} FROM vector_stores WHERE id = ?1"))?
        .query_row([id], store_from_row)
        .optional()?
        .ok_or_else(|| Error::not_found(ResourceKind::VectorStore, id).into())
}

fn store_by_seq(tx: &Transaction<'_>, seq: i64) -> TxResult<StoreRow> {
    Ok(tx
        .prepare_cached(&format!("SELECT {STORE_COLUMNS} FROM vector_stores WHERE seq = ?1"))?
        .query_row([seq], store_from_row)?)
}

/// The OpenAI object of a store, with counts computed from its files (so they are always true).
fn store_object(tx: &Transaction<'_>, row: StoreRow) -> TxResult<VectorStore> {
    let mut counts = FileCounts::default();
    let mut usage_bytes = 0u64;
    let mut statement = tx.prepare_cached(
        "SELECT status, COUNT(*), COALESCE(SUM(usage_bytes), 0)
         FROM vector_store_files WHERE store_seq = ?1 GROUP BY status",
    )?;
    let mut rows = statement.query([row.seq])?;
    while let Some(r) = rows.next()? {
        let status: String = r.get(0)?;
        let count = r.get::<_, i64>(1)? as u64;
        usage_bytes += r.get::<_, i64>(2)? as u64;
        match status.as_str() {
            "in_progress" => counts.in_progress += count,
            "completed" => counts.completed += count,
            "cancelled" => counts.cancelled += count,
            _ => counts.failed += count,
        }
        counts.total += count;
    }
    let expires_at = row.expires_at();
    let expired = expires_at.is_some_and(|at| at <= now_secs());
    Ok(VectorStore {
        object: "vector_store".to_owned(),
        created_at: row.created_at,
        name: row.name,
        usage_bytes,
        file_counts: counts,
        status: if expired { "expired" } else { "completed" }.to_owned(),
        expires_after: row
            .expires_after_days
            .map(|days| ExpiresAfter { anchor: "last_active_at".to_owned(), days }),
        expires_at,
        last_active_at: Some(row.last_active_at),
        metadata: validate::map_from_sql(row.metadata)?,
        id: row.id,
    })
}

fn membership_object(tx: &Transaction<'_>, store_id: &str, membership_seq: i64) -> TxResult<VectorStoreFile> {
    let (id, created_at, status, usage_bytes, last_error, attributes): (
        String,
        i64,
        String,
        i64,
        Option<String>,
        Option<String>,
    ) = tx
        .prepare_cached(
            "SELECT f.id, m.created_at, m.status, m.usage_bytes, m.last_error, m.attributes
             FROM vector_store_files m JOIN files f ON f.seq = m.file_seq WHERE m.seq = ?1",
        )?
        .query_row([membership_seq], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
        })?;
    Ok(VectorStoreFile {
        id,
        object: "vector_store.file".to_owned(),
        created_at,
        vector_store_id: store_id.to_owned(),
        status,
        usage_bytes: usage_bytes as u64,
        last_error: last_error.map(|e| serde_json::from_str(&e)).transpose()?,
        attributes: validate::map_from_sql(attributes)?,
    })
}

fn membership_seq(tx: &Transaction<'_>, store_seq: i64, file_id: &str) -> TxResult<Option<i64>> {
    Ok(tx
        .prepare_cached(
            "SELECT m.seq FROM vector_store_files m JOIN files f ON f.seq = m.file_seq
             WHERE m.store_seq = ?1 AND f.id = ?2",
        )?
        .query_row((store_seq, file_id), |row| row.get(0))
        .optional()?)
}

fn touch(tx: &Transaction<'_>, store_seq: i64) -> rusqlite::Result<()> {
    tx.prepare_cached("UPDATE vector_stores SET last_active_at = MAX(last_active_at, ?2) WHERE seq = ?1")?
        .execute((store_seq, now_secs()))?;
    Ok(())
}

fn dedup_ids(parameter: &str, ids: &[String]) -> Result<Vec<String>> {
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        validate::id(parameter, id)?;
        if seen.insert(id.as_str()) {
            out.push(id.clone());
        }
    }
    Ok(out)
}

impl VectorStores {
    /// Reads and chunks, outside the write lock, the files among `file_ids` that were never
    /// indexed. Fails with `NotFound` for an unknown file.
    fn prepare(&self, file_ids: &[String]) -> Result<HashMap<String, Extracted>> {
        let inner = &self.inner;
        let pending: Vec<(String, String)> = inner.db.read("look up files to index", |tx| {
            let mut pending = Vec::new();
            for id in file_ids {
                let facts = file_facts(tx, id)?;
                if facts.text_state == "pending" {
                    pending.push((id.clone(), facts.sha256));
                }
            }
            Ok(pending)
        })?;
        let mut prepared = HashMap::with_capacity(pending.len());
        for (id, hash) in pending {
            // A file deleted meanwhile is reported by the write transaction.
            if let Ok(bytes) = inner.blobs.read(&hash) {
                let extracted = extract(&bytes, inner.options.chunk_size, inner.options.chunk_overlap);
                prepared.insert(id, extracted);
            }
        }
        Ok(prepared)
    }

    /// Indexes the file if it never was; returns its `(text_state, text_bytes)`.
    fn ensure_indexed(
        &self,
        tx: &Transaction<'_>,
        file_id: &str,
        facts: &FileFacts,
        prepared: &HashMap<String, Extracted>,
    ) -> TxResult<(String, i64)> {
        if facts.text_state != "pending" {
            let text_bytes: i64 = tx
                .prepare_cached("SELECT text_bytes FROM files WHERE seq = ?1")?
                .query_row([facts.seq], |row| row.get(0))?;
            return Ok((facts.text_state.clone(), text_bytes));
        }
        let inner = &self.inner;
        let computed;
        let extracted = match prepared.get(file_id) {
            Some(extracted) => extracted,
            None => {
                let bytes = inner.blobs.read(&facts.sha256).map_err(|e| {
                    Error::storage("read a file to index it", inner.blobs.path(&facts.sha256), e)
                })?;
                computed = extract(&bytes, inner.options.chunk_size, inner.options.chunk_overlap);
                &computed
            }
        };
        match extracted {
            Extracted::Text { chunks, text_bytes } => {
                let mut insert =
                    tx.prepare_cached("INSERT INTO chunks (file_seq, ord, text) VALUES (?1, ?2, ?3)")?;
                for (ord, chunk) in chunks.iter().enumerate() {
                    insert.execute((facts.seq, ord as i64, chunk))?;
                }
                let text_bytes = *text_bytes as i64;
                tx.prepare_cached("UPDATE files SET text_state = 'indexed', text_bytes = ?2 WHERE seq = ?1")?
                    .execute((facts.seq, text_bytes))?;
                Ok(("indexed".to_owned(), text_bytes))
            }
            Extracted::NotText => {
                tx.prepare_cached("UPDATE files SET text_state = 'not_text', text_bytes = 0 WHERE seq = ?1")?
                    .execute([facts.seq])?;
                Ok(("not_text".to_owned(), 0))
            }
        }
    }

    /// Attaches a file (indexing it if needed); with `attributes`, replaces the attributes of
    /// a file already attached. Returns the membership's row number.
    fn attach_in_tx(
        &self,
        tx: &Transaction<'_>,
        store_seq: i64,
        file_id: &str,
        attributes: Option<&Map<String, Value>>,
        prepared: &HashMap<String, Extracted>,
    ) -> TxResult<i64> {
        let facts = file_facts(tx, file_id)?;
        if let Some(seq) = membership_seq(tx, store_seq, file_id)? {
            if let Some(attributes) = attributes {
                tx.prepare_cached("UPDATE vector_store_files SET attributes = ?2 WHERE seq = ?1")?
                    .execute((seq, validate::map_to_sql(Some(attributes))))?;
            }
            return Ok(seq);
        }
        let (state, text_bytes) = self.ensure_indexed(tx, file_id, &facts, prepared)?;
        let (status, usage_bytes, last_error) = match state.as_str() {
            "indexed" => ("completed", text_bytes, None),
            _ => ("failed", 0, Some(not_text_error().to_string())),
        };
        tx.prepare_cached(
            "INSERT INTO vector_store_files
                 (store_seq, file_seq, created_at, status, usage_bytes, last_error, attributes)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute((
            store_seq,
            facts.seq,
            now_secs(),
            status,
            usage_bytes,
            last_error,
            validate::map_to_sql(attributes),
        ))?;
        Ok(tx.last_insert_rowid())
    }

    /// Creates a vector store, attaching `file_ids` (all or none: an unknown file id fails the
    /// whole call with [`Error::NotFound`]).
    pub fn create(&self, params: &VectorStoreCreateParams) -> Result<VectorStore> {
        validate::metadata(params.metadata.as_ref())?;
        validate::expires_after(params.expires_after.as_ref())?;
        let file_ids = dedup_ids("file_ids", &params.file_ids)?;
        let prepared = self.prepare(&file_ids)?;
        let id = new_id("vs_");
        let metadata = validate::map_to_sql(params.metadata.as_ref());
        let days = params.expires_after.as_ref().map(|e| e.days);
        let store = self.inner.db.write("create a vector store", |tx| {
            let now = now_secs();
            tx.prepare_cached(
                "INSERT INTO vector_stores (id, created_at, name, metadata, expires_after_days, last_active_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?2)",
            )?
            .execute((&id, now, &params.name, &metadata, days))?;
            let seq = tx.last_insert_rowid();
            for file_id in &file_ids {
                self.attach_in_tx(tx, seq, file_id, None, &prepared)?;
            }
            store_object(tx, store_by_seq(tx, seq)?)
        })?;
        if !file_ids.is_empty() {
            self.inner.refresh_search_index();
        }
        Ok(store)
    }

    /// A vector store, with its current file counts and usage.
    pub fn retrieve(&self, vector_store_id: &str) -> Result<VectorStore> {
        validate::id("vector_store_id", vector_store_id)?;
        self.inner.db.read("read a vector store", |tx| store_object(tx, store_by_id(tx, vector_store_id)?))
    }

    /// A page of vector stores, newest first by default. `limit` is 1 to 100 (default 20).
    pub fn list(&self, params: &ListParams) -> Result<ListPage<VectorStore>> {
        let limit = params.checked_limit(VECTOR_STORES_LIST_DEFAULT_LIMIT, VECTOR_STORES_LIST_MAX_LIMIT)?;
        self.inner.db.read("list vector stores", |tx| {
            let cursor = |parameter: &str, id: &Option<String>| -> TxResult<Option<i64>> {
                let Some(id) = id else { return Ok(None) };
                match store_by_id(tx, id) {
                    Ok(row) => Ok(Some(row.seq)),
                    Err(TxError::Api(Error::NotFound { .. })) => Err(Error::invalid(
                        parameter,
                        format!("`{id}` is not the id of a vector store in this store (it may have been deleted); list again without `{parameter}`"),
                    )
                    .into()),
                    Err(e) => Err(e),
                }
            };
            let after = cursor("after", &params.after)?;
            let before = cursor("before", &params.before)?;
            let page = page_seqs(tx, "vector_stores", None, params.order, limit, after, before)?;
            let data = page
                .seqs
                .iter()
                .map(|seq| store_object(tx, store_by_seq(tx, *seq)?))
                .collect::<TxResult<Vec<_>>>()?;
            Ok(list_page(data, page.has_more, |s| &s.id))
        })
    }

    /// Changes a vector store's name, metadata, files or expiry (see
    /// [`VectorStoreUpdateParams`]), and marks it active.
    pub fn update(&self, vector_store_id: &str, params: &VectorStoreUpdateParams) -> Result<VectorStore> {
        validate::id("vector_store_id", vector_store_id)?;
        if let Some(metadata) = &params.metadata {
            validate::metadata(metadata.as_ref())?;
        }
        if let Some(expires_after) = &params.expires_after {
            validate::expires_after(expires_after.as_ref())?;
        }
        let file_ids = params.file_ids.as_deref().map(|ids| dedup_ids("file_ids", ids)).transpose()?;
        let prepared = match &file_ids {
            Some(ids) => self.prepare(ids)?,
            None => HashMap::new(),
        };
        let store = self.inner.db.write("update a vector store", |tx| {
            let row = store_by_id(tx, vector_store_id)?;
            if let Some(name) = &params.name {
                tx.prepare_cached("UPDATE vector_stores SET name = ?2 WHERE seq = ?1")?
                    .execute((row.seq, name))?;
            }
            if let Some(metadata) = &params.metadata {
                tx.prepare_cached("UPDATE vector_stores SET metadata = ?2 WHERE seq = ?1")?
                    .execute((row.seq, validate::map_to_sql(metadata.as_ref())))?;
            }
            if let Some(expires_after) = &params.expires_after {
                tx.prepare_cached("UPDATE vector_stores SET expires_after_days = ?2 WHERE seq = ?1")?
                    .execute((row.seq, expires_after.as_ref().map(|e| e.days)))?;
            }
            if let Some(file_ids) = &file_ids {
                let wanted: HashSet<&str> = file_ids.iter().map(String::as_str).collect();
                let current: Vec<(i64, String)> = tx
                    .prepare_cached(
                        "SELECT m.seq, f.id FROM vector_store_files m JOIN files f ON f.seq = m.file_seq
                         WHERE m.store_seq = ?1",
                    )?
                    .query_map([row.seq], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<_>>()?;
                let mut remove = tx.prepare_cached("DELETE FROM vector_store_files WHERE seq = ?1")?;
                for (seq, id) in &current {
                    if !wanted.contains(id.as_str()) {
                        remove.execute([seq])?;
                    }
                }
                for file_id in file_ids {
                    self.attach_in_tx(tx, row.seq, file_id, None, &prepared)?;
                }
            }
            touch(tx, row.seq)?;
            store_object(tx, store_by_seq(tx, row.seq)?)
        })?;
        if file_ids.as_ref().is_some_and(|ids| !ids.is_empty()) {
            self.inner.refresh_search_index();
        }
        Ok(store)
    }

    /// Deletes a vector store. Its files stay (delete them with [`crate::Files::delete`]).
    pub fn delete(&self, vector_store_id: &str) -> Result<VectorStoreDeleted> {
        validate::id("vector_store_id", vector_store_id)?;
        self.inner.db.write("delete a vector store", |tx| {
            let row = store_by_id(tx, vector_store_id)?;
            tx.prepare_cached("DELETE FROM vector_store_files WHERE store_seq = ?1")?.execute([row.seq])?;
            tx.prepare_cached("DELETE FROM vector_stores WHERE seq = ?1")?.execute([row.seq])?;
            Ok(())
        })?;
        Ok(VectorStoreDeleted {
            id: vector_store_id.to_owned(),
            object: "vector_store.deleted".to_owned(),
            deleted: true,
        })
    }

    /// Attaches a file to a vector store (OpenAI's `vector_stores.files.create`), indexing it
    /// if this is its first store. Attaching a file that is attached already keeps it, and
    /// replaces its attributes when `attributes` is given. Attributes: up to 16 pairs of
    /// string keys and string, number or boolean values. The chunks are stored at once; the
    /// search index takes them at the next search, so that a burst of attachments costs one
    /// index commit.
    pub fn attach_file(
        &self,
        vector_store_id: &str,
        file_id: &str,
        attributes: Option<Map<String, Value>>,
    ) -> Result<VectorStoreFile> {
        validate::id("vector_store_id", vector_store_id)?;
        validate::id("file_id", file_id)?;
        validate::attributes(attributes.as_ref())?;
        let prepared = self.prepare(&[file_id.to_owned()])?;
        // The search index takes the new chunks at the next search (one commit for a burst of
        // attachments); `create` and `update`, which attach in bulk, bring it up to date at once.
        self.inner.db.write("attach a file to a vector store", |tx| {
            let row = store_by_id(tx, vector_store_id)?;
            let seq = self.attach_in_tx(tx, row.seq, file_id, attributes.as_ref(), &prepared)?;
            touch(tx, row.seq)?;
            membership_object(tx, &row.id, seq)
        })
    }

    /// A file's membership in a vector store.
    pub fn retrieve_file(&self, vector_store_id: &str, file_id: &str) -> Result<VectorStoreFile> {
        validate::id("vector_store_id", vector_store_id)?;
        validate::id("file_id", file_id)?;
        self.inner.db.read("read a vector store file", |tx| {
            let row = store_by_id(tx, vector_store_id)?;
            let seq = membership_seq(tx, row.seq, file_id)?
                .ok_or_else(|| Error::not_found(ResourceKind::VectorStoreFile, file_id))?;
            membership_object(tx, &row.id, seq)
        })
    }

    /// Replaces (or with `None`, removes) the attributes of a file in a vector store.
    pub fn update_file_attributes(
        &self,
        vector_store_id: &str,
        file_id: &str,
        attributes: Option<Map<String, Value>>,
    ) -> Result<VectorStoreFile> {
        validate::id("vector_store_id", vector_store_id)?;
        validate::id("file_id", file_id)?;
        validate::attributes(attributes.as_ref())?;
        self.inner.db.write("update a vector store file's attributes", |tx| {
            let row = store_by_id(tx, vector_store_id)?;
            let seq = membership_seq(tx, row.seq, file_id)?
                .ok_or_else(|| Error::not_found(ResourceKind::VectorStoreFile, file_id))?;
            tx.prepare_cached("UPDATE vector_store_files SET attributes = ?2 WHERE seq = ?1")?
                .execute((seq, validate::map_to_sql(attributes.as_ref())))?;
            touch(tx, row.seq)?;
            membership_object(tx, &row.id, seq)
        })
    }

    /// A page of a vector store's files, newest first by default. `limit` is 1 to 100
    /// (default 20); `after`/`before` are file ids.
    pub fn list_files(
        &self,
        vector_store_id: &str,
        params: &ListParams,
    ) -> Result<ListPage<VectorStoreFile>> {
        validate::id("vector_store_id", vector_store_id)?;
        let limit = params.checked_limit(VECTOR_STORES_LIST_DEFAULT_LIMIT, VECTOR_STORES_LIST_MAX_LIMIT)?;
        self.inner.db.read("list a vector store's files", |tx| {
            let row = store_by_id(tx, vector_store_id)?;
            let cursor = |parameter: &str, id: &Option<String>| -> TxResult<Option<i64>> {
                let Some(id) = id else { return Ok(None) };
                match membership_seq(tx, row.seq, id)? {
                    Some(seq) => Ok(Some(seq)),
                    None => Err(Error::invalid(
                        parameter,
                        format!("`{id}` is not a file of vector store `{vector_store_id}` (it may have been detached); list again without `{parameter}`"),
                    )
                    .into()),
                }
            };
            let after = cursor("after", &params.after)?;
            let before = cursor("before", &params.before)?;
            let page =
                page_seqs(tx, "vector_store_files", Some(("store_seq", row.seq)), params.order, limit, after, before)?;
            let data = page
                .seqs
                .iter()
                .map(|seq| membership_object(tx, &row.id, *seq))
                .collect::<TxResult<Vec<_>>>()?;
            Ok(list_page(data, page.has_more, |f| &f.id))
        })
    }

    /// Detaches a file from a vector store (the file itself stays). Answers OpenAI's
    /// `{"id", "object": "vector_store.file.deleted", "deleted": true}`.
    pub fn detach_file(&self, vector_store_id: &str, file_id: &str) -> Result<FileDeleted> {
        validate::id("vector_store_id", vector_store_id)?;
        validate::id("file_id", file_id)?;
        self.inner.db.write("detach a file from a vector store", |tx| {
            let row = store_by_id(tx, vector_store_id)?;
            let seq = membership_seq(tx, row.seq, file_id)?
                .ok_or_else(|| Error::not_found(ResourceKind::VectorStoreFile, file_id))?;
            tx.prepare_cached("DELETE FROM vector_store_files WHERE seq = ?1")?.execute([seq])?;
            touch(tx, row.seq)?;
            Ok(())
        })?;
        Ok(FileDeleted {
            id: file_id.to_owned(),
            object: "vector_store.file.deleted".to_owned(),
            deleted: true,
        })
    }

    /// Searches a vector store's chunks, best first: one result per matching chunk (a file can
    /// appear more than once), with BM25 scores mapped onto 0..1 (`s / (1 + s)`; statistics are
    /// those of every indexed file in this store directory). Words longer than 255 bytes are
    /// not indexed, so they match nothing. The search sees every chunk committed before it
    /// began: when the search index lacks some (files attached with [`Self::attach_file`] or
    /// deleted since, here or in another process), the search first takes the database's
    /// write lock and brings the index up to date.
    ///
    /// A query with no word in it (only punctuation, say) finds nothing; an empty query is an
    /// error. Searching an expired store is an error (update the store to renew it).
    pub fn search(&self, vector_store_id: &str, params: &SearchParams) -> Result<VectorStoreSearchPage> {
        validate::id("vector_store_id", vector_store_id)?;
        if params.query.trim().is_empty() {
            return Err(Error::invalid("query", "must not be empty; pass the words to look for"));
        }
        let max = match params.max_num_results {
            None => SEARCH_DEFAULT_RESULTS,
            Some(n) if (1..=SEARCH_MAX_RESULTS).contains(&n) => n,
            Some(n) => {
                return Err(Error::invalid(
                    "max_num_results",
                    format!("must be between 1 and {SEARCH_MAX_RESULTS} (got {n})"),
                ));
            }
        } as usize;
        let threshold = params.ranking_options.as_ref().and_then(|o| o.score_threshold);
        if let Some(t) = threshold
            && !(0.0..=1.0).contains(&t)
        {
            return Err(Error::invalid(
                "ranking_options.score_threshold",
                format!("must be between 0 and 1 (got {t})"),
            ));
        }
        let terms = query_terms(&params.query, SEARCH_MAX_TERMS);
        // Caught up before the read, so the search sees every chunk committed before it began.
        let index = if terms.is_empty() { None } else { Some(self.inner.search.current(&self.inner.db)?) };
        let (data, has_more, store_seq, last_active_at) =
            self.inner.db.read("search a vector store", |tx| {
                let row = store_by_id(tx, vector_store_id)?;
                if let Some(at) = row.expires_at()
                    && at <= now_secs()
                {
                    return Err(Error::invalid(
                        "vector_store_id",
                        format!(
                            "vector store `{}` expired at {at} (Unix time) after {} days without \
                         activity; update it (any change renews it) or create a new one",
                            row.id,
                            row.expires_after_days.unwrap_or_default()
                        ),
                    )
                    .into());
                }
                let Some(index) = &index else { return Ok((Vec::new(), false, row.seq, row.last_active_at)) };
                let (data, has_more) =
                    self.run_search(tx, index, row.seq, &terms, max, threshold, params.filters.as_ref())?;
                Ok((data, has_more, row.seq, row.last_active_at))
            })?;
        if now_secs() - last_active_at >= TOUCH_INTERVAL_SECS
            && let Err(e) = self.inner.db.write("mark a vector store active", |tx| Ok(touch(tx, store_seq)?))
        {
            tracing::warn!(error = %e, "could not update the vector store's last_active_at");
        }
        Ok(VectorStoreSearchPage {
            object: "vector_store.search_results.page".to_owned(),
            search_query: params.query.clone(),
            data,
            has_more,
            next_page: None,
        })
    }

    /// The page of results: the index's best chunks, best first, kept when they belong to
    /// this store (completed) and pass the filter, until `max` are found and one more shows
    /// `has_more`. When the index's best chunks run out of kept ones before that, the search
    /// asks the index for four times as many and starts over.
    #[allow(clippy::too_many_arguments)]
    fn run_search(
        &self,
        tx: &Transaction<'_>,
        index: &Opened,
        store_seq: i64,
        terms: &[String],
        max: usize,
        threshold: Option<f64>,
        filter: Option<&Filter>,
    ) -> TxResult<(Vec<VectorStoreSearchResult>, bool)> {
        struct FileInfo {
            id: String,
            filename: String,
            attributes: Option<Map<String, Value>>,
            passes: bool,
        }
        let mut files: HashMap<i64, FileInfo> = HashMap::new();
        let mut file_statement = tx.prepare_cached(
            "SELECT f.id, f.filename, m.attributes FROM files f
             JOIN vector_store_files m ON m.file_seq = f.seq AND m.store_seq = ?2
             WHERE f.seq = ?1",
        )?;
        let mut chunk_statement = tx.prepare_cached(
            "SELECT c.file_seq, c.text FROM chunks c
             JOIN vector_store_files m
               ON m.file_seq = c.file_seq AND m.store_seq = ?2 AND m.status = 'completed'
             WHERE c.id = ?1",
        )?;
        // Chunks found outside this store, so that a second pass does not look them up again.
        let mut outside: HashSet<i64> = HashSet::new();
        let mut limit = (max + 1) * 2;
        loop {
            let hits =
                index.top(terms, limit).map_err(|e| self.inner.search.error("search the search index", e))?;
            let exhausted = hits.len() < limit;
            let mut results = Vec::new();
            for hit in hits {
                let score = normalise_score(hit.score);
                if threshold.is_some_and(|t| score < t) {
                    return Ok((results, false)); // Scores only fall from here.
                }
                if outside.contains(&hit.chunk_id) {
                    continue;
                }
                let Some((file_seq, text)) = chunk_statement
                    .query_row((hit.chunk_id, store_seq), |r| {
                        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
                    })
                    .optional()?
                else {
                    // A chunk of a file outside this store (or deleted meanwhile).
                    outside.insert(hit.chunk_id);
                    continue;
                };
                let info = match files.entry(file_seq) {
                    Entry::Occupied(entry) => entry.into_mut(),
                    Entry::Vacant(entry) => {
                        let (id, filename, attributes): (String, String, Option<String>) = file_statement
                            .query_row((file_seq, store_seq), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
                        let attributes = validate::map_from_sql(attributes)?;
                        let passes = filter.is_none_or(|f| f.matches(attributes.as_ref()));
                        entry.insert(FileInfo { id, filename, attributes, passes })
                    }
                };
                if !info.passes {
                    continue;
                }
                if results.len() == max {
                    return Ok((results, true));
                }
                results.push(VectorStoreSearchResult {
                    file_id: info.id.clone(),
                    filename: info.filename.clone(),
                    score,
                    attributes: info.attributes.clone(),
                    content: vec![SearchContent { kind: "text".to_owned(), text }],
                });
            }
            if exhausted {
                return Ok((results, false));
            }
            limit = limit.saturating_mul(4);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_normalisation_is_monotonic_and_bounded() {
        assert_eq!(normalise_score(0.0), 0.0);
        assert!(normalise_score(1.0) < normalise_score(2.0));
        assert!(normalise_score(1e30) <= 1.0);
        assert_eq!(normalise_score(-3.0), 0.0);
        assert_eq!(normalise_score(f32::INFINITY), 1.0);
    }
}
