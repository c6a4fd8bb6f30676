//! [`CompatStore`]: opening a store and handing out its resources.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use codex_schema::ResponseCreateParams;

use crate::blobs::{Blobs, create_private_dir};
use crate::conversations::Conversations;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::files::Files;
use crate::integrity::IntegrityReport;
use crate::location::StorageLocation;
use crate::tokens::{InputTokenCount, count_input_tokens};
use crate::vector_stores::VectorStores;

/// The database's file name inside the storage directory.
pub const DATABASE_FILE: &str = "compat.sqlite3";

/// Settings of a [`CompatStore`]; [`StoreOptions::default`] suits most programs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoreOptions {
    /// How long a conversation (a chain of recorded responses) is kept after its last recorded
    /// response. Default: 30 days.
    pub conversation_ttl: Duration,
    /// The largest chunk of text indexed for search, in bytes. Default: 3,200 (about 800
    /// tokens of English, OpenAI's default chunk size).
    pub chunk_size: usize,
    /// How many bytes a chunk repeats from the end of the one before. Default: 800 (a quarter of
    /// a chunk); at most half of `chunk_size`.
    pub chunk_overlap: usize,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            conversation_ttl: Duration::from_secs(30 * 24 * 60 * 60),
            chunk_size: 3_200,
            chunk_overlap: 800,
        }
    }
}

impl StoreOptions {
    /// Sets [`StoreOptions::conversation_ttl`].
    pub fn conversation_ttl(mut self, ttl: Duration) -> Self {
        self.conversation_ttl = ttl;
        self
    }

    /// Sets [`StoreOptions::chunk_size`] and [`StoreOptions::chunk_overlap`].
    pub fn chunking(mut self, chunk_size: usize, chunk_overlap: usize) -> Self {
        self.chunk_size = chunk_size;
        self.chunk_overlap = chunk_overlap;
        self
    }

    fn check(&self) -> Result<()> {
        if !(100..=1_000_000).contains(&self.chunk_size) {
            return Err(Error::invalid(
                "chunk_size",
                format!("must be between 100 and 1000000 bytes (got {})", self.chunk_size),
            ));
        }
        if self.chunk_overlap > self.chunk_size / 2 {
            return Err(Error::invalid(
                "chunk_overlap",
                format!(
                    "must be at most half of chunk_size ({}), got {}",
                    self.chunk_size / 2,
                    self.chunk_overlap
                ),
            ));
        }
        Ok(())
    }
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) root: PathBuf,
    pub(crate) db: Db,
    pub(crate) blobs: Blobs,
    pub(crate) options: StoreOptions,
    /// When this handle last purged expired conversations (Unix ms; 0: never).
    pub(crate) last_purge_ms: std::sync::atomic::AtomicI64,
    /// The search index over every file's chunks.
    pub(crate) search: crate::search::SearchIndex,
}

impl Inner {
    /// Brings the search index up to date after a write that changed chunks. A failure is
    /// logged, not returned: the write itself is committed, and the next search catches up.
    pub(crate) fn refresh_search_index(&self) {
        if let Err(e) = self.search.catch_up(&self.db) {
            tracing::warn!(error = %e, "could not update the search index; the next search will retry");
        }
    }
}

/// A local store of files, vector stores and conversations, shared safely by any number of
/// threads and processes.
///
/// Cheap to clone (an `Arc`); `Send + Sync`. Every method blocks on disk I/O: from async code
/// call it through `tokio::task::spawn_blocking` (the `oauth-codex` facade does).
#[derive(Debug, Clone)]
pub struct CompatStore {
    pub(crate) inner: Arc<Inner>,
}

impl CompatStore {
    /// `true` when both are clones of one opened handle (not merely the same directory).
    pub fn same_handle(&self, other: &CompatStore) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// Opens (creating if needed) the store at `location` with default options.
    pub fn open(location: StorageLocation) -> Result<Self> {
        Self::open_with(location, StoreOptions::default())
    }

    /// Opens the store at the default location: `CODEX_COMPAT_STORAGE_DIR`, else
    /// `~/.oauth_codex/compat`.
    pub fn open_default() -> Result<Self> {
        Self::open(StorageLocation::Default)
    }

    /// Opens (creating if needed) the store at `location`.
    ///
    /// Creates the directory with mode 0700 (and narrows an existing one to 0700), creates or
    /// migrates the database, then tidies up: conversations past their TTL are purged, and
    /// blobs left unreferenced by an interrupted write are removed.
    pub fn open_with(location: StorageLocation, options: StoreOptions) -> Result<Self> {
        options.check()?;
        let root = location.resolve()?;
        create_private_dir(&root).map_err(|e| Error::storage("create the storage directory", &root, e))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o700))
                .map_err(|e| Error::storage("restrict the storage directory to its owner", &root, e))?;
        }
        let blobs = Blobs::new(&root)?;
        let db = Db::open(&root.join(DATABASE_FILE))?;
        let search = crate::search::SearchIndex::new(&root);
        let store = CompatStore {
            inner: Arc::new(Inner {
                root,
                db,
                blobs,
                options,
                last_purge_ms: std::sync::atomic::AtomicI64::new(0),
                search,
            }),
        };
        store.conversations().purge_expired()?;
        store.collect_garbage()?;
        Ok(store)
    }

    /// The storage directory.
    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// The options the store was opened with.
    pub fn options(&self) -> &StoreOptions {
        &self.inner.options
    }

    /// Files: upload, read, list, delete.
    pub fn files(&self) -> Files {
        Files { inner: Arc::clone(&self.inner) }
    }

    /// Vector stores: create, list, update, delete, attach files, search.
    pub fn vector_stores(&self) -> VectorStores {
        VectorStores { inner: Arc::clone(&self.inner) }
    }

    /// Recorded responses, for `previous_response_id`.
    pub fn conversations(&self) -> Conversations {
        Conversations { inner: Arc::clone(&self.inner) }
    }

    /// Counts a request's input tokens locally (see [`crate::tokens`] for the rule), first
    /// expanding `previous_response_id` from this store's conversations.
    ///
    /// Fails with [`Error::NotFound`] when `previous_response_id` names no recorded response.
    pub fn count_input_tokens(&self, params: &ResponseCreateParams) -> Result<InputTokenCount> {
        let input = params.input.clone().into_items();
        let items = match &params.previous_response_id {
            Some(previous) => self.conversations().expand(previous, &input)?,
            None => input,
        };
        Ok(count_input_tokens(params.instructions.as_deref(), &items, &params.tools))
    }

    /// Removes blobs that no file refers to (left behind by a crash or an interrupted delete)
    /// and stale temporary files. Returns how many blobs were removed. Runs on open too.
    pub fn collect_garbage(&self) -> Result<u64> {
        let inner = &self.inner;
        inner.db.write("collect unreferenced blobs", |tx| {
            let mut statement = tx.prepare_cached("SELECT EXISTS (SELECT 1 FROM files WHERE sha256 = ?1)")?;
            let removed = inner.blobs.collect_garbage(|hash| {
                statement
                    .query_row([hash], |row| row.get::<_, bool>(0))
                    .map_err(|e| Error::storage("look up a blob's files", inner.db.path(), e))
            })?;
            if removed > 0 {
                tracing::info!(removed, "removed unreferenced blobs from the compat store");
            }
            Ok(removed)
        })
    }

    /// Checks the whole store: SQLite's `integrity_check` and foreign keys, the search index
    /// against its chunks, every file's blob (present, right size, right SHA-256), and that
    /// every vector-store file's status agrees with its file's text. Reads every blob, so it
    /// takes time on a large store.
    pub fn check_integrity(&self) -> Result<IntegrityReport> {
        crate::integrity::check(&self.inner)
    }
}
