//! The content-addressed blob directory that holds file bytes.
//!
//! A blob is named by the SHA-256 of its bytes: `blobs/<first two hex digits>/<hex>`. It is
//! written to `tmp/` first, flushed to disk, and renamed into place, so a blob is either whole
//! or absent. The rename happens inside the database transaction that inserts the file's row
//! (under SQLite's write lock), and blobs are removed only under that lock too, when no row
//! refers to them; so a committed row always has its blob, and a blob with no row is an
//! orphan (left by a crash) that [`Blobs::collect_garbage`] may remove.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::ids::{hex, new_id};

/// Temporary files older than this are left over from a crash and may be removed.
const STALE_TMP_AGE: Duration = Duration::from_secs(24 * 60 * 60);

#[derive(Debug)]
pub(crate) struct Blobs {
    dir: PathBuf,
    tmp: PathBuf,
}

/// Bytes written to a temporary file and hashed, not yet in place.
#[derive(Debug)]
pub(crate) struct Staged {
    tmp_path: PathBuf,
    pub(crate) sha256: String,
    pub(crate) bytes: u64,
}

impl Drop for Staged {
    fn drop(&mut self) {
        // Gone already when the blob was moved into place.
        let _ = fs::remove_file(&self.tmp_path);
    }
}

pub(crate) fn create_private_dir(path: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(path)
}

fn sync_dir(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(path)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

impl Blobs {
    pub(crate) fn new(root: &Path) -> Result<Blobs> {
        let blobs = Blobs { dir: root.join("blobs"), tmp: root.join("tmp") };
        for dir in [&blobs.dir, &blobs.tmp] {
            create_private_dir(dir).map_err(|e| Error::storage("create the blob directory", dir, e))?;
        }
        Ok(blobs)
    }

    /// Where the blob with this hash lives.
    pub(crate) fn path(&self, sha256: &str) -> PathBuf {
        self.dir.join(&sha256[..2]).join(sha256)
    }

    /// Copies `reader` to a temporary file, hashing as it goes, and flushes it to disk.
    pub(crate) fn stage(&self, reader: &mut dyn Read, source: &Path) -> Result<Staged> {
        let tmp_path = self.tmp.join(format!("{}.part", new_id("")));
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file =
            options.open(&tmp_path).map_err(|e| Error::storage("create a temporary file", &tmp_path, e))?;
        let mut staged = Staged { tmp_path, sha256: String::new(), bytes: 0 };
        let mut hasher = Sha256::new();
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let n = match reader.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::storage("read the file to upload", source, e)),
            };
            hasher.update(&buffer[..n]);
            file.write_all(&buffer[..n])
                .map_err(|e| Error::storage("write a temporary file", &staged.tmp_path, e))?;
            staged.bytes += n as u64;
        }
        file.sync_all().map_err(|e| Error::storage("flush a temporary file", &staged.tmp_path, e))?;
        staged.sha256 = hex(&hasher.finalize());
        Ok(staged)
    }

    /// Moves a staged blob into place (a no-op when an identical blob is there already).
    /// Called with the database write lock held.
    pub(crate) fn commit(&self, staged: &Staged) -> Result<()> {
        let target = self.path(&staged.sha256);
        if target.exists() {
            return Ok(());
        }
        let parent = target.parent().unwrap_or(&self.dir);
        create_private_dir(parent).map_err(|e| Error::storage("create a blob directory", parent, e))?;
        fs::rename(&staged.tmp_path, &target)
            .map_err(|e| Error::storage("move a blob into place", &target, e))?;
        sync_dir(parent).map_err(|e| Error::storage("flush a blob directory", parent, e))?;
        Ok(())
    }

    /// The blob's bytes.
    pub(crate) fn read(&self, sha256: &str) -> io::Result<Vec<u8>> {
        fs::read(self.path(sha256))
    }

    /// Removes a blob (absent is fine). Called with the database write lock held.
    pub(crate) fn remove(&self, sha256: &str) -> Result<()> {
        let path = self.path(sha256);
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::storage("remove a blob", &path, e)),
        }
    }

    /// Every blob's hash.
    pub(crate) fn all(&self) -> Result<Vec<String>> {
        let mut hashes = Vec::new();
        let read_dir = |dir: &Path| fs::read_dir(dir).map_err(|e| Error::storage("list blobs", dir, e));
        for shard in read_dir(&self.dir)? {
            let shard = shard.map_err(|e| Error::storage("list blobs", &self.dir, e))?;
            if !shard.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                continue;
            }
            for entry in read_dir(&shard.path())? {
                let entry = entry.map_err(|e| Error::storage("list blobs", shard.path(), e))?;
                if let Some(name) = entry.file_name().to_str()
                    && name.len() == 64
                    && name.bytes().all(|b| b.is_ascii_hexdigit())
                {
                    hashes.push(name.to_owned());
                }
            }
        }
        Ok(hashes)
    }

    /// Removes blobs for which `is_referenced` says no, and temporary files left by crashes.
    /// Called with the database write lock held. Returns how many blobs were removed.
    pub(crate) fn collect_garbage(&self, mut is_referenced: impl FnMut(&str) -> Result<bool>) -> Result<u64> {
        let mut removed = 0;
        for hash in self.all()? {
            if !is_referenced(&hash)? {
                self.remove(&hash)?;
                removed += 1;
            }
        }
        if let Ok(entries) = fs::read_dir(&self.tmp) {
            let now = SystemTime::now();
            for entry in entries.flatten() {
                let stale = entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .map(|modified| now.duration_since(modified).unwrap_or_default() > STALE_TMP_AGE)
                    .unwrap_or(false);
                if stale {
                    let _ = fs::remove_file(entry.path());
                }
            }
        }
        Ok(removed)
    }
}
