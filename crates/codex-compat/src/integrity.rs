//! [`crate::CompatStore::check_integrity`].

use std::io;

use sha2::{Digest, Sha256};

use crate::error::Result;
use crate::ids::hex;
use crate::store::Inner;

/// What [`crate::CompatStore::check_integrity`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct IntegrityReport {
    /// Files whose blob was checked.
    pub files_checked: u64,
    /// Vector-store memberships checked.
    pub memberships_checked: u64,
    /// Every problem found, in words; empty when the store is sound.
    pub problems: Vec<String>,
}

impl IntegrityReport {
    /// Whether no problem was found.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

struct FileRow {
    id: String,
    bytes: i64,
    sha256: String,
    text_state: String,
    text_bytes: i64,
    chunks: i64,
}

pub(crate) fn check(inner: &Inner) -> Result<IntegrityReport> {
    let mut report = IntegrityReport::default();
    let index = inner.search.opened(&inner.db)?;
    // A write transaction: the search index is caught up and compared with the chunks while
    // no other writer can change them.
    let (problems, files, memberships) = inner.db.write("check the database's integrity", |tx| {
        let mut problems = Vec::new();
        let results: Vec<String> = tx
            .prepare("PRAGMA integrity_check")?
            .query_map([], |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        if results != ["ok"] {
            problems.extend(results.into_iter().map(|r| format!("sqlite integrity_check: {r}")));
        }
        let fk_violations: i64 =
            tx.query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |row| row.get(0))?;
        if fk_violations > 0 {
            problems.push(format!("{fk_violations} foreign key violations"));
        }
        inner.search.catch_up_in(tx, &index)?;
        let indexed = index.chunk_ids().map_err(|e| inner.search.error("read the search index", e))?;
        let chunks: Vec<i64> = tx
            .prepare("SELECT id FROM chunks ORDER BY id")?
            .query_map([], |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        if indexed != chunks {
            let indexed_set: std::collections::HashSet<i64> = indexed.iter().copied().collect();
            let chunk_set: std::collections::HashSet<i64> = chunks.iter().copied().collect();
            let missing = chunk_set.difference(&indexed_set).count();
            let extra = indexed.len() - (chunks.len() - missing);
            problems.push(format!(
                "the search index disagrees with the chunks ({missing} missing, {extra} extra); \
                 delete {} and it is rebuilt on the next search",
                inner.search.dir().display()
            ));
        }
        let files: Vec<FileRow> = tx
            .prepare(
                "SELECT f.id, f.bytes, f.sha256, f.text_state, f.text_bytes,
                        (SELECT COUNT(*) FROM chunks c WHERE c.file_seq = f.seq)
                 FROM files f ORDER BY f.seq",
            )?
            .query_map([], |r| {
                Ok(FileRow {
                    id: r.get(0)?,
                    bytes: r.get(1)?,
                    sha256: r.get(2)?,
                    text_state: r.get(3)?,
                    text_bytes: r.get(4)?,
                    chunks: r.get(5)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let memberships: Vec<(String, String, String, i64, i64, String)> = tx
            .prepare(
                "SELECT s.id, f.id, m.status, m.usage_bytes, f.text_bytes, f.text_state
                 FROM vector_store_files m
                 JOIN vector_stores s ON s.seq = m.store_seq
                 JOIN files f ON f.seq = m.file_seq",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let orphan_memberships: i64 = tx.query_row(
            "SELECT COUNT(*) FROM vector_store_files m
             WHERE NOT EXISTS (SELECT 1 FROM files f WHERE f.seq = m.file_seq)
                OR NOT EXISTS (SELECT 1 FROM vector_stores s WHERE s.seq = m.store_seq)",
            [],
            |row| row.get(0),
        )?;
        if orphan_memberships > 0 {
            problems
                .push(format!("{orphan_memberships} vector-store files point at a missing file or store"));
        }
        let orphan_chunks: i64 = tx.query_row(
            "SELECT COUNT(*) FROM chunks c WHERE NOT EXISTS (SELECT 1 FROM files f WHERE f.seq = c.file_seq)",
            [],
            |row| row.get(0),
        )?;
        if orphan_chunks > 0 {
            problems.push(format!("{orphan_chunks} chunks belong to no file"));
        }
        Ok((problems, files, memberships))
    })?;
    report.problems = problems;

    for file in &files {
        match file.text_state.as_str() {
            "indexed" if file.text_bytes > 0 && file.chunks == 0 => {
                report.problems.push(format!("file {} is indexed but has no chunks", file.id));
            }
            "pending" | "not_text" if file.chunks > 0 => {
                report
                    .problems
                    .push(format!("file {} has chunks but is marked {}", file.id, file.text_state));
            }
            _ => {}
        }
        match inner.blobs.read(&file.sha256) {
            Ok(bytes) => {
                if bytes.len() as i64 != file.bytes {
                    report.problems.push(format!(
                        "file {}: blob has {} bytes, record says {}",
                        file.id,
                        bytes.len(),
                        file.bytes
                    ));
                } else if hex(&Sha256::digest(&bytes)) != file.sha256 {
                    report.problems.push(format!("file {}: blob content does not match its hash", file.id));
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                // Unless the file was deleted meanwhile, its bytes are gone.
                let still_there = inner.db.read("look up a file", |tx| {
                    Ok(tx.query_row(
                        "SELECT EXISTS (SELECT 1 FROM files WHERE id = ?1)",
                        [&file.id],
                        |r| r.get::<_, bool>(0),
                    )?)
                })?;
                if still_there {
                    report.problems.push(format!("file {} has no blob", file.id));
                }
            }
            Err(e) => report.problems.push(format!("file {}: cannot read its blob: {e}", file.id)),
        }
        report.files_checked += 1;
    }
    for (store, file, status, usage, text_bytes, text_state) in &memberships {
        let expected = if text_state == "indexed" { ("completed", *text_bytes) } else { ("failed", 0) };
        if (status.as_str(), *usage) != expected {
            report.problems.push(format!(
                "file {file} in {store}: status {status} / usage {usage}, expected {} / {}",
                expected.0, expected.1
            ));
        }
        report.memberships_checked += 1;
    }
    Ok(report)
}
