//! The crate's one error type.

use std::fmt;
use std::path::PathBuf;

/// The cause of a [`Error::Storage`]: an I/O, SQLite or JSON error, boxed so that the public
/// API does not depend on the storage libraries' versions.
pub type StorageCause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What kind of object an id named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResourceKind {
    /// A file (`file-…`).
    File,
    /// A vector store (`vs_…`).
    VectorStore,
    /// A file's membership in a vector store.
    VectorStoreFile,
    /// A recorded response (for `previous_response_id`).
    Response,
}

impl ResourceKind {
    /// OpenAI's spelling of the object type: `file`, `vector_store`, `vector_store.file`,
    /// `response`.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::File => "file",
            ResourceKind::VectorStore => "vector_store",
            ResourceKind::VectorStoreFile => "vector_store.file",
            ResourceKind::Response => "response",
        }
    }

    fn human(self) -> &'static str {
        match self {
            ResourceKind::File => "file",
            ResourceKind::VectorStore => "vector store",
            ResourceKind::VectorStoreFile => "vector store file",
            ResourceKind::Response => "response",
        }
    }

    fn hint(self) -> &'static str {
        match self {
            ResourceKind::File => "check the id, or list files to find it",
            ResourceKind::VectorStore => "check the id, or list vector stores to find it",
            ResourceKind::VectorStoreFile => {
                "attach the file to the vector store first, or list the store's files"
            }
            ResourceKind::Response => {
                "it was never recorded in this store, or its conversation expired; \
                 send the full conversation as input instead"
            }
        }
    }
}

impl fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.human())
    }
}

/// Every error this crate returns.
///
/// The facade maps [`Error::NotFound`] to a 404-style request error with provider code
/// `not_found`, [`Error::InvalidArgument`] to a 400-style one, and [`Error::Storage`] to a
/// local failure; [`Error::status_code`] and [`Error::provider_code`] give those mappings.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No object of this kind has this id.
    #[error("no {kind} with id `{id}` in the local compat store: {hint}", hint = kind.hint())]
    NotFound {
        /// What the id was meant to name.
        kind: ResourceKind,
        /// The id that was asked for.
        id: String,
    },
    /// An argument was refused; the message says how to fix it.
    #[error("invalid `{parameter}`: {message}")]
    InvalidArgument {
        /// The parameter's name, as in OpenAI's API (`purpose`, `limit`, `after`, …).
        parameter: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The store's files or database could not be read or written.
    #[error("local compat store could not {operation} ({path}): {source}")]
    Storage {
        /// What the store was doing.
        operation: String,
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: StorageCause,
    },
}

impl Error {
    /// The HTTP-style status an API would answer with: 404, 400 or 500.
    pub fn status_code(&self) -> u16 {
        match self {
            Error::NotFound { .. } => 404,
            Error::InvalidArgument { .. } => 400,
            Error::Storage { .. } => 500,
        }
    }

    /// The provider code an API would answer with: `not_found`, `invalid_argument` or
    /// `storage_error`.
    pub fn provider_code(&self) -> &'static str {
        match self {
            Error::NotFound { .. } => "not_found",
            Error::InvalidArgument { .. } => "invalid_argument",
            Error::Storage { .. } => "storage_error",
        }
    }

    /// Whether this is [`Error::NotFound`].
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. })
    }

    pub(crate) fn not_found(kind: ResourceKind, id: impl Into<String>) -> Self {
        Error::NotFound { kind, id: id.into() }
    }

    pub(crate) fn invalid(parameter: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidArgument { parameter: parameter.into(), message: message.into() }
    }

    pub(crate) fn storage(
        operation: impl Into<String>,
        path: impl Into<PathBuf>,
        source: impl Into<StorageCause>,
    ) -> Self {
        Error::Storage { operation: operation.into(), path: path.into(), source: source.into() }
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
