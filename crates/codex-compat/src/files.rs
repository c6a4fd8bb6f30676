//! Files: `files.create`, `retrieve`, `list`, `delete`, `content`.

use std::fmt;
use std::fs::File;
use std::io::{self, Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use codex_schema::{FileDeleted, FileObject, ListPage};
use rusqlite::{OptionalExtension, Row, Transaction};
use serde_json::{Map, Value};

use crate::db::TxResult;
use crate::error::{Error, ResourceKind, Result};
use crate::ids::{new_id, now_secs};
use crate::list::{ListParams, list_page, page_seqs};
use crate::store::Inner;
use crate::validate;

/// Default and largest `limit` of [`Files::list`] (OpenAI's).
pub const FILES_LIST_MAX_LIMIT: u32 = 10_000;

/// What to upload: a path, bytes with a file name, or a reader with a file name.
///
/// ```
/// use codex_compat::FileSource;
/// let from_bytes = FileSource::bytes("notes.txt", b"hello".to_vec());
/// let from_path = FileSource::from(std::path::Path::new("report.md"));
/// let from_reader = FileSource::reader("stdin.txt", std::io::empty());
/// # let _ = (from_bytes, from_path, from_reader);
/// ```
pub enum FileSource {
    /// A file on disk; its name becomes the file name.
    Path(PathBuf),
    /// Bytes in memory.
    Bytes {
        /// The file name to record.
        filename: String,
        /// The content.
        data: Vec<u8>,
    },
    /// Anything readable, read to its end.
    Reader {
        /// The file name to record.
        filename: String,
        /// The content.
        reader: Box<dyn Read + Send>,
    },
}

impl FileSource {
    /// A file on disk.
    pub fn path(path: impl Into<PathBuf>) -> Self {
        FileSource::Path(path.into())
    }

    /// Bytes with a file name.
    pub fn bytes(filename: impl Into<String>, data: impl Into<Vec<u8>>) -> Self {
        FileSource::Bytes { filename: filename.into(), data: data.into() }
    }

    /// A reader with a file name.
    pub fn reader(filename: impl Into<String>, reader: impl Read + Send + 'static) -> Self {
        FileSource::Reader { filename: filename.into(), reader: Box::new(reader) }
    }
}

impl fmt::Debug for FileSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileSource::Path(path) => f.debug_tuple("Path").field(path).finish(),
            FileSource::Bytes { filename, data } => {
                f.debug_struct("Bytes").field("filename", filename).field("len", &data.len()).finish()
            }
            FileSource::Reader { filename, .. } => {
                f.debug_struct("Reader").field("filename", filename).finish_non_exhaustive()
            }
        }
    }
}

impl From<PathBuf> for FileSource {
    fn from(path: PathBuf) -> Self {
        FileSource::Path(path)
    }
}

impl From<&Path> for FileSource {
    fn from(path: &Path) -> Self {
        FileSource::Path(path.to_owned())
    }
}

/// The files of a [`crate::CompatStore`]: `store.files()`.
#[derive(Debug, Clone)]
pub struct Files {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) const FILE_COLUMNS: &str = "id, bytes, created_at, filename, purpose, metadata";

pub(crate) fn file_from_row(row: &Row<'_>) -> rusqlite::Result<FileObject> {
    let metadata: Option<String> = row.get(5)?;
    let metadata = validate::map_from_sql(metadata).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(5, rusqlite::types::Type::Text, Box::new(e))
    })?;
    Ok(FileObject {
        id: row.get(0)?,
        object: "file".to_owned(),
        bytes: row.get::<_, i64>(1)? as u64,
        created_at: row.get(2)?,
        filename: row.get(3)?,
        purpose: row.get(4)?,
        metadata,
    })
}

/// A file's internal row number and blob hash.
pub(crate) fn file_seq_and_hash(tx: &Transaction<'_>, id: &str) -> TxResult<(i64, String)> {
    tx.prepare_cached("SELECT seq, sha256 FROM files WHERE id = ?1")?
        .query_row([id], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?
        .ok_or_else(|| Error::not_found(ResourceKind::File, id).into())
}

impl Files {
    /// Uploads a file. `purpose` must not be empty (OpenAI's are `assistants`, `user_data`,
    /// `batch`, `fine-tune`, `vision`, `evals`; any non-empty value is accepted); `metadata` is
    /// at most 16 string pairs.
    ///
    /// The bytes are streamed to a temporary file while hashed, flushed to disk, and moved into
    /// the blob directory in the same transaction that records the file, so the file is either
    /// whole and listed, or absent.
    pub fn create(
        &self,
        file: impl Into<FileSource>,
        purpose: &str,
        metadata: Option<Map<String, Value>>,
    ) -> Result<FileObject> {
        let purpose = purpose.trim();
        if purpose.is_empty() {
            return Err(Error::invalid(
                "purpose",
                "must not be empty; use e.g. \"assistants\" or \"user_data\"",
            ));
        }
        validate::metadata(metadata.as_ref())?;
        let (filename, mut reader, source): (String, Box<dyn Read + Send>, PathBuf) = match file.into() {
            FileSource::Path(path) => {
                let filename = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let opened = File::open(&path).map_err(|e| match e.kind() {
                    io::ErrorKind::NotFound => Error::invalid(
                        "file",
                        format!("{} does not exist; pass the path of a readable file", path.display()),
                    ),
                    _ => Error::storage("open the file to upload", &path, e),
                })?;
                (filename, Box::new(opened), path)
            }
            FileSource::Bytes { filename, data } => (filename, Box::new(Cursor::new(data)), PathBuf::new()),
            FileSource::Reader { filename, reader } => (filename, reader, PathBuf::new()),
        };
        if filename.trim().is_empty() {
            return Err(Error::invalid("file", "the file name must not be empty; give the upload a name"));
        }
        let source = if source.as_os_str().is_empty() { PathBuf::from(&filename) } else { source };
        let inner = &self.inner;
        let staged = inner.blobs.stage(&mut reader, &source)?;
        let object = FileObject {
            id: new_id("file-"),
            object: "file".to_owned(),
            bytes: staged.bytes,
            created_at: now_secs(),
            filename,
            purpose: purpose.to_owned(),
            metadata,
        };
        let metadata_sql = validate::map_to_sql(object.metadata.as_ref());
        inner.db.write("record a new file", |tx| {
            inner.blobs.commit(&staged)?;
            tx.prepare_cached(
                "INSERT INTO files (id, bytes, created_at, filename, purpose, metadata, sha256)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute((
                &object.id,
                object.bytes as i64,
                object.created_at,
                &object.filename,
                &object.purpose,
                &metadata_sql,
                &staged.sha256,
            ))?;
            Ok(())
        })?;
        tracing::debug!(id = %object.id, bytes = object.bytes, "created file");
        Ok(object)
    }

    /// A file's object.
    pub fn retrieve(&self, file_id: &str) -> Result<FileObject> {
        validate::id("file_id", file_id)?;
        self.inner.db.read("read a file", |tx| {
            tx.prepare_cached(&format!("SELECT {FILE_COLUMNS} FROM files WHERE id = ?1"))?
                .query_row([file_id], file_from_row)
                .optional()?
                .ok_or_else(|| Error::not_found(ResourceKind::File, file_id).into())
        })
    }

    /// A page of files, newest first by default. `limit` is 1 to 10,000 (default 10,000).
    pub fn list(&self, params: &ListParams) -> Result<ListPage<FileObject>> {
        let limit = params.checked_limit(FILES_LIST_MAX_LIMIT, FILES_LIST_MAX_LIMIT)?;
        self.inner.db.read("list files", |tx| {
            let cursor = |parameter: &str, id: &Option<String>| -> TxResult<Option<i64>> {
                let Some(id) = id else { return Ok(None) };
                let seq = tx
                    .prepare_cached("SELECT seq FROM files WHERE id = ?1")?
                    .query_row([id], |row| row.get(0))
                    .optional()?;
                match seq {
                    Some(seq) => Ok(Some(seq)),
                    None => Err(Error::invalid(
                        parameter,
                        format!("`{id}` is not the id of a file in this store (it may have been deleted); list again without `{parameter}`"),
                    )
                    .into()),
                }
            };
            let after = cursor("after", &params.after)?;
            let before = cursor("before", &params.before)?;
            let page = page_seqs(tx, "files", None, params.order, limit, after, before)?;
            let mut statement =
                tx.prepare_cached(&format!("SELECT {FILE_COLUMNS} FROM files WHERE seq = ?1"))?;
            let data = page
                .seqs
                .iter()
                .map(|seq| statement.query_row([seq], file_from_row))
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(list_page(data, page.has_more, |f| &f.id))
        })
    }

    /// Deletes a file: its record, its search chunks, its place in every vector store (whose
    /// counts drop accordingly), and its bytes unless another file has the same content.
    pub fn delete(&self, file_id: &str) -> Result<FileDeleted> {
        validate::id("file_id", file_id)?;
        let inner = &self.inner;
        let hash = inner.db.write("delete a file", |tx| {
            let (seq, hash) = file_seq_and_hash(tx, file_id)?;
            tx.prepare_cached("DELETE FROM vector_store_files WHERE file_seq = ?1")?.execute([seq])?;
            // The search index drops the chunks at its next update; until then a search skips
            // them, as it skips every chunk the database no longer holds.
            tx.prepare_cached("DELETE FROM chunks WHERE file_seq = ?1")?.execute([seq])?;
            tx.prepare_cached("DELETE FROM files WHERE seq = ?1")?.execute([seq])?;
            Ok(hash)
        })?;
        // A second transaction, so that a crash can only leave an orphan blob (removed on the
        // next open), never a file without its bytes.
        let removed = inner.db.write("remove an unused blob", |tx| {
            let used: bool = tx
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM files WHERE sha256 = ?1)")?
                .query_row([&hash], |row| row.get(0))?;
            if !used {
                inner.blobs.remove(&hash)?;
            }
            Ok(())
        });
        if let Err(e) = removed {
            tracing::warn!(error = %e, "file deleted, but its blob stays until the next garbage collection");
        }
        Ok(FileDeleted { id: file_id.to_owned(), object: "file".to_owned(), deleted: true })
    }

    /// A file's bytes.
    pub fn content(&self, file_id: &str) -> Result<Vec<u8>> {
        validate::id("file_id", file_id)?;
        let inner = &self.inner;
        let (_, hash) = inner.db.read("read a file", |tx| file_seq_and_hash(tx, file_id))?;
        match inner.blobs.read(&hash) {
            Ok(bytes) => Ok(bytes),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                // Deleted between the lookup and the read?
                inner.db.read("read a file", |tx| file_seq_and_hash(tx, file_id))?;
                Err(Error::storage("read a file's bytes (its blob is missing)", inner.blobs.path(&hash), e))
            }
            Err(e) => Err(Error::storage("read a file's bytes", inner.blobs.path(&hash), e)),
        }
    }
}
