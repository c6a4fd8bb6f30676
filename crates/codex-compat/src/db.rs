//! The SQLite database: connections, the busy/retry discipline, and migrations.
//!
//! Every write runs in a `BEGIN IMMEDIATE` transaction, so writers queue for the one write lock
//! up front instead of failing on an upgrade from a read lock; every read runs in a (deferred)
//! transaction, so a read of several statements sees one snapshot. WAL mode lets readers run
//! while a writer writes. When SQLite still answers `SQLITE_BUSY`/`SQLITE_LOCKED` after its own
//! busy timeout, the whole transaction is retried with backoff, for up to [`BUSY_DEADLINE`].

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use rusqlite::{Connection, ErrorCode, OpenFlags, Transaction, TransactionBehavior};

use crate::error::{Error, Result};
use crate::ids::jitter;

/// How long SQLite's own busy handler waits for a lock before answering `SQLITE_BUSY`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a transaction is retried while the database stays busy.
pub(crate) const BUSY_DEADLINE: Duration = Duration::from_secs(120);
/// Idle connections kept per store.
const POOL_SIZE: usize = 8;

/// An error inside a transaction: SQLite's (retried when it means "busy") or the API's.
#[derive(Debug)]
pub(crate) enum TxError {
    Sql(rusqlite::Error),
    Api(Error),
    /// Another failure of the database's content (for example JSON that does not parse).
    Cause(crate::error::StorageCause),
}

impl From<rusqlite::Error> for TxError {
    fn from(e: rusqlite::Error) -> Self {
        TxError::Sql(e)
    }
}

impl From<Error> for TxError {
    fn from(e: Error) -> Self {
        TxError::Api(e)
    }
}

impl From<serde_json::Error> for TxError {
    fn from(e: serde_json::Error) -> Self {
        TxError::Cause(Box::new(e))
    }
}

pub(crate) type TxResult<T> = std::result::Result<T, TxError>;

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == ErrorCode::DatabaseBusy || f.code == ErrorCode::DatabaseLocked
    )
}

/// The schema, one entry per version; entry `i` migrates version `i` to `i + 1`. Released
/// entries are never edited: a change of schema appends a new entry.
const MIGRATIONS: &[&str] = &[
    // Version 1: files, chunks + FTS5 index, vector stores and their files, conversations.
    r#"
    CREATE TABLE files (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        id          TEXT NOT NULL UNIQUE,
        bytes       INTEGER NOT NULL,
        created_at  INTEGER NOT NULL,
        filename    TEXT NOT NULL,
        purpose     TEXT NOT NULL,
        metadata    TEXT,
        sha256      TEXT NOT NULL,
        text_state  TEXT NOT NULL DEFAULT 'pending'
                    CHECK (text_state IN ('pending', 'indexed', 'not_text')),
        text_bytes  INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX files_sha256 ON files(sha256);

    CREATE TABLE chunks (
        id        INTEGER PRIMARY KEY,
        file_seq  INTEGER NOT NULL REFERENCES files(seq),
        ord       INTEGER NOT NULL,
        text      TEXT NOT NULL
    );
    CREATE INDEX chunks_file ON chunks(file_seq, ord);

    CREATE VIRTUAL TABLE chunks_fts USING fts5(
        text,
        content = 'chunks',
        content_rowid = 'id',
        tokenize = 'porter unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER chunks_after_insert AFTER INSERT ON chunks BEGIN
        INSERT INTO chunks_fts(rowid, text) VALUES (new.id, new.text);
    END;
    CREATE TRIGGER chunks_after_delete AFTER DELETE ON chunks BEGIN
        INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);
    END;

    CREATE TABLE vector_stores (
        seq                 INTEGER PRIMARY KEY AUTOINCREMENT,
        id                  TEXT NOT NULL UNIQUE,
        created_at          INTEGER NOT NULL,
        name                TEXT,
        metadata            TEXT,
        expires_after_days  INTEGER,
        last_active_at      INTEGER NOT NULL
    );

    CREATE TABLE vector_store_files (
        seq          INTEGER PRIMARY KEY AUTOINCREMENT,
        store_seq    INTEGER NOT NULL REFERENCES vector_stores(seq),
        file_seq     INTEGER NOT NULL REFERENCES files(seq),
        created_at   INTEGER NOT NULL,
        status       TEXT NOT NULL CHECK (status IN ('in_progress', 'completed', 'cancelled', 'failed')),
        usage_bytes  INTEGER NOT NULL,
        last_error   TEXT,
        attributes   TEXT,
        UNIQUE (store_seq, file_seq)
    );
    CREATE INDEX vector_store_files_file ON vector_store_files(file_seq);

    CREATE TABLE conversations (
        id              TEXT PRIMARY KEY,
        last_active_ms  INTEGER NOT NULL
    );
    CREATE INDEX conversations_last_active ON conversations(last_active_ms);

    CREATE TABLE responses (
        seq              INTEGER PRIMARY KEY AUTOINCREMENT,
        id               TEXT NOT NULL UNIQUE,
        previous_seq     INTEGER REFERENCES responses(seq),
        conversation_id  TEXT NOT NULL REFERENCES conversations(id),
        input            TEXT NOT NULL,
        output           TEXT NOT NULL,
        created_at_ms    INTEGER NOT NULL
    );
    CREATE INDEX responses_previous ON responses(previous_seq);
    CREATE INDEX responses_conversation ON responses(conversation_id);
    "#,
    // Version 2: search moves from FTS5 to the search index (`crate::search`), fed by a log of
    // chunk changes. The index is built from the chunks on first use.
    r#"
    DROP TRIGGER chunks_after_insert;
    DROP TRIGGER chunks_after_delete;
    DROP TABLE chunks_fts;

    CREATE TABLE search_log (
        seq       INTEGER PRIMARY KEY AUTOINCREMENT,
        chunk_id  INTEGER NOT NULL
    );
    CREATE TABLE search_state (
        identity        TEXT NOT NULL,
        pruned_through  INTEGER NOT NULL
    );
    INSERT INTO search_state (identity, pruned_through) VALUES (lower(hex(randomblob(16))), 0);
    CREATE TRIGGER chunks_logged_insert AFTER INSERT ON chunks BEGIN
        INSERT INTO search_log (chunk_id) VALUES (new.id);
    END;
    CREATE TRIGGER chunks_logged_delete AFTER DELETE ON chunks BEGIN
        INSERT INTO search_log (chunk_id) VALUES (old.id);
    END;
    "#,
];

/// The schema version this build writes.
pub(crate) const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// A store's database: its path and a small pool of connections.
pub(crate) struct Db {
    path: PathBuf,
    pool: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("path", &self.path).finish_non_exhaustive()
    }
}

impl Db {
    /// Opens (creating if needed) the database, switches it to WAL and migrates it.
    pub(crate) fn open(path: &Path) -> Result<Db> {
        let db = Db { path: path.to_owned(), pool: Mutex::new(Vec::new()) };
        db.with_retry("open the database", |db| {
            let conn = db.connect()?;
            // Persistent in the file; needs a moment of exclusive access the first time.
            let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(TxError::Api(Error::storage(
                    "switch the database to WAL mode",
                    &db.path,
                    format!("SQLite kept journal mode `{mode}` (is the file on a network share?)"),
                )));
            }
            db.put_back(conn);
            Ok(())
        })?;
        db.migrate()?;
        Ok(db)
    }

    /// The database file.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    fn connect(&self) -> rusqlite::Result<Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(&self.path, flags)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // Keep one plan per statement: with STAT4 (compiled into the bundled SQLite) a cached
        // statement is otherwise parsed and planned again whenever a bound value changes,
        // which was a third of recording a conversation turn.
        conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
        conn.execute_batch(
            "PRAGMA foreign_keys = ON;
             PRAGMA synchronous = NORMAL;
             PRAGMA temp_store = MEMORY;
             PRAGMA cache_size = -16384;
             PRAGMA journal_size_limit = 67108864;",
        )?;
        Ok(conn)
    }

    fn take(&self) -> rusqlite::Result<Connection> {
        let pooled = self.pool.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).pop();
        match pooled {
            Some(conn) => Ok(conn),
            None => self.connect(),
        }
    }

    fn put_back(&self, conn: Connection) {
        let mut pool = self.pool.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if pool.len() < POOL_SIZE {
            pool.push(conn);
        }
    }

    fn with_retry<T>(&self, operation: &str, mut f: impl FnMut(&Self) -> TxResult<T>) -> Result<T> {
        let started = Instant::now();
        let mut attempt: u32 = 0;
        loop {
            match f(self) {
                Ok(value) => return Ok(value),
                Err(TxError::Api(e)) => return Err(e),
                Err(TxError::Sql(e)) if is_busy(&e) => {
                    if started.elapsed() >= BUSY_DEADLINE {
                        return Err(Error::storage(
                            format!(
                                "{operation}: the database stayed locked by other threads or \
                                 processes for over {} s",
                                BUSY_DEADLINE.as_secs()
                            ),
                            &self.path,
                            e,
                        ));
                    }
                    attempt = attempt.saturating_add(1);
                    let base = 1u64 << attempt.min(7); // 2 ms … 128 ms
                    tracing::debug!(operation, attempt, "compat store busy; retrying");
                    thread::sleep(Duration::from_millis(base + jitter(base)));
                }
                Err(TxError::Sql(e)) => return Err(Error::storage(operation, &self.path, e)),
                Err(TxError::Cause(e)) => return Err(Error::storage(operation, &self.path, e)),
            }
        }
    }

    /// Runs `f` in a `BEGIN IMMEDIATE` transaction and commits, retrying while busy. `f` may
    /// run more than once, so it must not have effects outside the transaction that a second
    /// run would repeat wrongly.
    pub(crate) fn write<T>(
        &self,
        operation: &str,
        mut f: impl FnMut(&Transaction<'_>) -> TxResult<T>,
    ) -> Result<T> {
        self.with_retry(operation, |db| {
            let mut conn = db.take()?;
            let result = (|| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let value = f(&tx)?;
                tx.commit()?;
                Ok(value)
            })();
            db.put_back(conn);
            result
        })
    }

    /// Runs `f` in a read transaction (one consistent snapshot), retrying while busy.
    pub(crate) fn read<T>(
        &self,
        operation: &str,
        mut f: impl FnMut(&Transaction<'_>) -> TxResult<T>,
    ) -> Result<T> {
        self.with_retry(operation, |db| {
            let mut conn = db.take()?;
            let result = (|| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
                let value = f(&tx)?;
                tx.finish()?;
                Ok(value)
            })();
            db.put_back(conn);
            result
        })
    }

    fn schema_version(tx: &Transaction<'_>) -> rusqlite::Result<i64> {
        let has_table: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version')",
            [],
            |row| row.get(0),
        )?;
        if !has_table {
            return Ok(0);
        }
        tx.query_row("SELECT COALESCE(MAX(version), 0) FROM schema_version", [], |row| row.get(0))
    }

    fn migrate(&self) -> Result<()> {
        let current = self.read("read the schema version", |tx| Ok(Self::schema_version(tx)?))?;
        if current == SCHEMA_VERSION {
            return Ok(());
        }
        self.write("migrate the database schema", |tx| {
            let version = Self::schema_version(tx)?;
            if version > SCHEMA_VERSION {
                return Err(TxError::Api(Error::storage(
                    "open the database",
                    &self.path,
                    format!(
                        "its schema version {version} is newer than this build of codex-compat \
                         understands ({SCHEMA_VERSION}); upgrade codex-compat or use another \
                         storage directory"
                    ),
                )));
            }
            tx.execute_batch(
                "CREATE TABLE IF NOT EXISTS schema_version (
                     version     INTEGER NOT NULL,
                     applied_at  INTEGER NOT NULL
                 )",
            )?;
            for (index, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
                tx.execute_batch(sql)?;
                tx.execute(
                    "INSERT INTO schema_version (version, applied_at) VALUES (?1, ?2)",
                    (index as i64 + 1, crate::ids::now_secs()),
                )?;
                tracing::info!(version = index + 1, path = %self.path.display(), "migrated compat store");
            }
            Ok(())
        })
    }
}
