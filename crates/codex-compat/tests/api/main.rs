//! The public API of codex-compat, operation by operation, against stores in temporary
//! directories (never the real home directory).

mod conversations;
mod files;
mod location;
mod search_index;
mod tokens;
mod vector_stores;

use codex_compat::{CompatStore, StorageLocation, StoreOptions};
use serde_json::{Map, Value};

/// A store in a fresh temporary directory (kept alive by the returned guard).
pub(crate) fn open_store() -> (tempfile::TempDir, CompatStore) {
    open_store_with(StoreOptions::default())
}

pub(crate) fn open_store_with(options: StoreOptions) -> (tempfile::TempDir, CompatStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store =
        CompatStore::open_with(StorageLocation::dir(dir.path().join("compat")), options).expect("open");
    (dir, store)
}

/// A JSON object literal as a map.
pub(crate) fn map(value: Value) -> Map<String, Value> {
    value.as_object().cloned().expect("an object")
}

/// The parameter of an `InvalidArgument`, or a panic naming what came instead.
pub(crate) fn invalid_parameter<T: std::fmt::Debug>(result: codex_compat::Result<T>) -> String {
    match result {
        Err(codex_compat::Error::InvalidArgument { parameter, message }) => {
            assert!(!message.is_empty());
            parameter
        }
        other => panic!("expected InvalidArgument, got {other:?}"),
    }
}

/// The kind and id of a `NotFound`, or a panic naming what came instead.
pub(crate) fn not_found<T: std::fmt::Debug>(
    result: codex_compat::Result<T>,
) -> (codex_compat::ResourceKind, String) {
    match result {
        Err(codex_compat::Error::NotFound { kind, id }) => (kind, id),
        other => panic!("expected NotFound, got {other:?}"),
    }
}
