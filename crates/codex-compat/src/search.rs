//! The search index: BM25 over every indexed chunk, kept with tantivy in `<root>/search-index`.
//!
//! SQLite stays the one source of truth. Every insert or delete of a chunk appends a row to
//! `search_log` in the same transaction (triggers), and the index records in its commit
//! payload the last log entry it has applied. The index catches up after the bulk writes
//! (`vector_stores.create`/`update` with files) and before every search that finds it behind
//! (so single attachments and deletions are taken in one commit at the next search), always
//! while holding SQLite's write lock, so one thread of one process at a time updates it. A tantivy commit is atomic:
//! a crash leaves the previous commit, which the next catch-up brings forward. An index that is
//! missing, unreadable, of another database, or behind a pruned log is rebuilt from the chunks;
//! nothing is ever lost with it.
//!
//! Ranking uses tantivy's BM25 with block-max WAND, which skips matches that cannot reach the
//! top results instead of scoring all of them (SQLite FTS5, used before, scores every match).

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use rusqlite::{OptionalExtension, Transaction};
use tantivy::collector::TopDocs;
use tantivy::directory::MmapDirectory;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{FAST, Field, INDEXED, IndexRecordOption, Schema, TextFieldIndexing, TextOptions};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use crate::blobs::create_private_dir;
use crate::db::{Db, TxError, TxResult};
use crate::error::{Error, Result};

/// The index directory inside a store's root.
const INDEX_DIR: &str = "search-index";
/// The analyzer's name in the index schema.
const TOKENIZER: &str = "compat_en";
/// Tokens longer than this many bytes are not indexed (nor searched for).
const MAX_TOKEN_BYTES: usize = 255;
/// Memory the writer may use before it writes a segment out.
const WRITER_MEMORY: usize = 64 << 20;
/// `applied` before the index was first read.
const UNKNOWN: i64 = -1;

/// The words of a text as the index sees them: split at every character that is not a letter
/// or digit, lowercased, folded to ASCII where a folding exists, stemmed (English Snowball).
fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES + 1))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(Language::English))
        .build()
}

/// The index's fields.
#[derive(Clone, Copy)]
struct Fields {
    /// The chunk's row id in SQLite (`chunks.id`).
    chunk: Field,
    /// The chunk's text: indexed with term frequencies (no positions, no stored copy).
    text: Field,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let chunk = builder.add_u64_field("chunk", INDEXED | FAST);
    let text = builder.add_text_field(
        "text",
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(TOKENIZER)
                .set_index_option(IndexRecordOption::WithFreqs),
        ),
    );
    (builder.build(), Fields { chunk, text })
}

/// One hit: the chunk's row id and its BM25 score (higher is better).
pub(crate) struct Hit {
    pub(crate) chunk_id: i64,
    pub(crate) score: f32,
}

/// The index, opened on first use (a store used only for conversations never opens it).
pub(crate) struct SearchIndex {
    dir: PathBuf,
    opened: Mutex<Option<Arc<Opened>>>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex").field("dir", &self.dir).finish_non_exhaustive()
    }
}

/// An open index and the reader searches use.
pub(crate) struct Opened {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    /// The last `search_log` entry the reader's view is known to include, or [`UNKNOWN`].
    applied: AtomicI64,
}

impl SearchIndex {
    pub(crate) fn new(root: &Path) -> SearchIndex {
        SearchIndex { dir: root.join(INDEX_DIR), opened: Mutex::new(None) }
    }

    /// The index directory.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// A storage error about the index directory.
    pub(crate) fn error(&self, operation: &str, e: impl Into<crate::error::StorageCause>) -> Error {
        Error::storage(operation, &self.dir, e)
    }

    /// The open index, opening (or, when unreadable, recreating) it on first use.
    pub(crate) fn opened(&self, db: &Db) -> Result<Arc<Opened>> {
        let mut slot = self.opened.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(opened) = &*slot {
            return Ok(Arc::clone(opened));
        }
        // Under the database's write lock, so that two processes never create or replace the
        // directory at once.
        let opened = db.write("open the search index", |_tx| Ok(self.open_or_recreate()?))?;
        let opened = Arc::new(opened);
        *slot = Some(Arc::clone(&opened));
        Ok(opened)
    }

    fn open_or_recreate(&self) -> Result<Opened> {
        match self.open() {
            Ok(opened) => Ok(opened),
            Err(e) => {
                // The index only mirrors the database: a fresh one is rebuilt from the chunks.
                tracing::warn!(
                    error = %e, dir = %self.dir.display(),
                    "the search index could not be opened; rebuilding it from the database"
                );
                fs::remove_dir_all(&self.dir)
                    .map_err(|e| self.error("remove an unreadable search index", e))?;
                self.open().map_err(|e| self.error("create the search index", e))
            }
        }
    }

    fn open(&self) -> std::result::Result<Opened, crate::error::StorageCause> {
        create_private_dir(&self.dir)?;
        let (schema, fields) = schema();
        let index = Index::open_or_create(MmapDirectory::open(&self.dir)?, schema)?;
        index.tokenizers().register(TOKENIZER, analyzer());
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(Opened { index, reader, fields, applied: AtomicI64::new(UNKNOWN) })
    }

    /// Brings the index up to date with the database (see the module docs).
    pub(crate) fn catch_up(&self, db: &Db) -> Result<()> {
        let opened = self.opened(db)?;
        db.write("update the search index", |tx| self.catch_up_in(tx, &opened))
    }

    /// The index, caught up first if the database has changed since it was last read.
    pub(crate) fn current(&self, db: &Db) -> Result<Arc<Opened>> {
        let opened = self.opened(db)?;
        let head = db.read("read the search log", |tx| Ok(log_head(tx)?))?;
        if opened.applied.load(Ordering::Acquire) != head {
            db.write("update the search index", |tx| self.catch_up_in(tx, &opened))?;
        }
        Ok(opened)
    }

    /// Runs inside a write transaction: applies the log entries the index lacks (or rebuilds
    /// it), commits the index with the new position, and prunes the applied entries.
    pub(crate) fn catch_up_in(&self, tx: &Transaction<'_>, opened: &Opened) -> TxResult<()> {
        let (identity, pruned_through): (String, i64) =
            tx.query_row("SELECT identity, pruned_through FROM search_state", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
        let head = log_head(tx)?;
        let metas = opened.index.load_metas().map_err(|e| self.error("read the search index", e))?;
        let position = metas
            .payload
            .as_deref()
            .and_then(|payload| payload.split_once(' '))
            .filter(|(id, _)| *id == identity)
            .and_then(|(_, seq)| seq.parse::<i64>().ok())
            .filter(|seq| (pruned_through..=head).contains(seq));
        if position != Some(head) {
            if position.is_none() && metas.payload.is_some() {
                tracing::info!("the search index does not match the database; rebuilding it");
            }
            self.rewrite(tx, opened, position, &format!("{identity} {head}"))?;
            tx.prepare_cached("DELETE FROM search_log WHERE seq <= ?1")?.execute([head])?;
            tx.prepare_cached("UPDATE search_state SET pruned_through = ?1")?.execute([head])?;
        }
        opened.reader.reload().map_err(|e| self.error("reload the search index", e))?;
        opened.applied.store(head, Ordering::Release);
        Ok(())
    }

    /// Applies the chunks changed since `from` (every chunk, after clearing the index, when
    /// `from` is `None`) and commits the index with `payload` as its position.
    fn rewrite(
        &self,
        tx: &Transaction<'_>,
        opened: &Opened,
        from: Option<i64>,
        payload: &str,
    ) -> TxResult<()> {
        let fail =
            |operation: &'static str| move |e: tantivy::TantivyError| TxError::Api(self.error(operation, e));
        let mut writer: IndexWriter<TantivyDocument> = opened
            .index
            .writer_with_num_threads(1, WRITER_MEMORY)
            .map_err(fail("open the search index's writer"))?;
        let chunk = opened.fields.chunk;
        let text = opened.fields.text;
        let add = |writer: &IndexWriter<TantivyDocument>, id: i64, body: String| -> TxResult<()> {
            let mut document = TantivyDocument::new();
            document.add_u64(chunk, id as u64);
            document.add_text(text, body);
            writer.add_document(document).map_err(fail("add a chunk to the search index"))?;
            Ok(())
        };
        match from {
            Some(from) => {
                // Every chunk touched since `from`, as it is now: deleted, then added back if
                // it still exists (row ids can be reused, so order does not matter).
                let mut changed = tx.prepare(
                    "SELECT l.chunk_id, c.text FROM (SELECT DISTINCT chunk_id FROM search_log WHERE seq > ?1) l
                     LEFT JOIN chunks c ON c.id = l.chunk_id",
                )?;
                let mut rows = changed.query([from])?;
                while let Some(row) = rows.next()? {
                    let id: i64 = row.get(0)?;
                    writer.delete_term(Term::from_field_u64(chunk, id as u64));
                    if let Some(body) = row.get::<_, Option<String>>(1)? {
                        add(&writer, id, body)?;
                    }
                }
            }
            None => {
                writer.delete_all_documents().map_err(fail("clear the search index"))?;
                let mut all = tx.prepare("SELECT id, text FROM chunks")?;
                let mut rows = all.query([])?;
                while let Some(row) = rows.next()? {
                    add(&writer, row.get(0)?, row.get(1)?)?;
                }
            }
        }
        let mut prepared = writer.prepare_commit().map_err(fail("commit the search index"))?;
        prepared.set_payload(payload);
        prepared.commit().map_err(fail("commit the search index"))?;
        // Merges finish before the write lock is released, so no other process's writer finds
        // the index locked.
        writer.wait_merging_threads().map_err(fail("merge the search index's segments"))?;
        Ok(())
    }
}

/// The highest `search_log` sequence number ever given (pruning does not lower it).
fn log_head(tx: &Transaction<'_>) -> rusqlite::Result<i64> {
    Ok(tx
        .prepare_cached("SELECT seq FROM sqlite_sequence WHERE name = 'search_log'")?
        .query_row([], |r| r.get(0))
        .optional()?
        .unwrap_or(0))
}

/// The distinct index terms of `text`, in order of first appearance, at most `max`.
pub(crate) fn query_terms(text: &str, max: usize) -> Vec<String> {
    let mut analyzer = analyzer();
    let mut stream = analyzer.token_stream(text);
    let mut terms: Vec<String> = Vec::new();
    while terms.len() < max && stream.advance() {
        let token = &stream.token().text;
        if !terms.contains(token) {
            terms.push(token.clone());
        }
    }
    terms
}

impl Opened {
    /// The `limit` best chunks for any of `terms`, best first (ties in index order).
    pub(crate) fn top(&self, terms: &[String], limit: usize) -> tantivy::Result<Vec<Hit>> {
        let searcher = self.reader.searcher();
        let clauses: Vec<(Occur, Box<dyn Query>)> = terms
            .iter()
            .map(|term| {
                let term = Term::from_field_text(self.fields.text, term);
                (
                    Occur::Should,
                    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)) as Box<dyn Query>,
                )
            })
            .collect();
        let query = BooleanQuery::new(clauses);
        let top = searcher.search(&query, &TopDocs::with_limit(limit))?;
        let mut columns = Vec::with_capacity(searcher.segment_readers().len());
        for segment in searcher.segment_readers() {
            columns.push(segment.fast_fields().u64("chunk")?);
        }
        Ok(top
            .into_iter()
            .filter_map(|(score, address)| {
                let id = columns[address.segment_ord as usize].first(address.doc_id)?;
                Some(Hit { chunk_id: id as i64, score })
            })
            .collect())
    }

    /// Every chunk id in the index (for the integrity check), sorted.
    pub(crate) fn chunk_ids(&self) -> tantivy::Result<Vec<i64>> {
        let searcher = self.reader.searcher();
        let mut ids = Vec::new();
        for segment in searcher.segment_readers() {
            let column = segment.fast_fields().u64("chunk")?;
            ids.extend(segment.doc_ids_alive().filter_map(|doc| column.first(doc)).map(|id| id as i64));
        }
        ids.sort_unstable();
        Ok(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_terms_are_distinct_folded_stems_and_ignore_punctuation() {
        assert_eq!(query_terms("hello world", 64), ["hello", "world"]);
        // Query syntax of any kind is plain text.
        assert_eq!(query_terms("NEAR(a b) AND \"x\" OR y*", 64), ["near", "a", "b", "and", "x", "or", "y"]);
        assert_eq!(query_terms("Hello hello HELLO", 64), ["hello"]);
        assert_eq!(query_terms("Dances dancing dance", 64), ["danc"]);
        assert!(query_terms("?!.,;:-()[]{}*\"'^", 64).is_empty());
        assert!(query_terms("", 64).is_empty());
        assert_eq!(query_terms("café naïve", 64), ["cafe", "naiv"]);
        assert_eq!(query_terms("a b c d", 2), ["a", "b"]);
        assert!(query_terms(&"x".repeat(MAX_TOKEN_BYTES + 1), 64).is_empty());
        assert_eq!(query_terms(&"x".repeat(MAX_TOKEN_BYTES), 64).len(), 1);
    }
}
