//! One error type for the whole core, and the few public kinds every binding maps from.
//!
//! Internally an error carries MLflow's own error code (the `error_code` string of its REST
//! responses) so messages and codes round-trip with the official client. Bindings do not look at
//! the code: they map [`ErrorKind`] — a short, stable list — in one place each (C status enum,
//! Python exceptions, Java exceptions, R conditions).

use std::fmt;

/// What went wrong, in the few categories a caller can act on. Values are stable: the C status
/// enum mirrors them and never reuses a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A key, value, id, filter or option is malformed or out of MLflow's limits.
    InvalidArgument,
    /// The experiment, run, metric or tag named does not exist.
    NotFound,
    /// An experiment with that name already exists (also while it is deleted).
    AlreadyExists,
    /// The entity exists but is in the wrong state (run ended or deleted, experiment deleted).
    InvalidState,
    /// The database is at another schema revision than MLflow 3.17.2's head.
    SchemaMismatch,
    /// The store could not read or write (I/O, disk full, read-only file, corrupt database).
    Storage,
    /// The logging queue stayed full for the whole backpressure timeout; the item was not accepted.
    QueueFull,
    /// Writes that had been accepted failed later in the background writer.
    WriteFailed,
    /// The client was closed, or is being used in a forked child without its writer.
    Closed,
    /// A bug in libmlflow (including a caught panic).
    Internal,
    /// The tracking server could not be reached or kept failing (connection refused or reset,
    /// timeouts, MLflow's retryable statuses after the retry budget). Logged data is not lost:
    /// it waits in the spool.
    Unavailable,
    /// The tracking server refused the credentials (401) or the permission (403).
    PermissionDenied,
}

impl ErrorKind {
    /// MLflow's REST `error_code` for this kind, used when no more precise code is known.
    pub fn default_mlflow_code(self) -> &'static str {
        match self {
            ErrorKind::InvalidArgument => "INVALID_PARAMETER_VALUE",
            ErrorKind::NotFound => "RESOURCE_DOES_NOT_EXIST",
            ErrorKind::AlreadyExists => "RESOURCE_ALREADY_EXISTS",
            ErrorKind::InvalidState => "INVALID_STATE",
            ErrorKind::SchemaMismatch => "INVALID_STATE",
            ErrorKind::Storage => "INTERNAL_ERROR",
            ErrorKind::QueueFull => "RESOURCE_EXHAUSTED",
            ErrorKind::WriteFailed => "DATA_LOSS",
            ErrorKind::Closed => "INVALID_STATE",
            ErrorKind::Internal => "INTERNAL_ERROR",
            ErrorKind::Unavailable => "TEMPORARILY_UNAVAILABLE",
            ErrorKind::PermissionDenied => "PERMISSION_DENIED",
        }
    }
}

/// The core's error: a kind, MLflow's error code and a message that says what to do.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    kind: ErrorKind,
    mlflow_code: &'static str,
    message: String,
    /// The failure may pass by itself (disk full, lock contention, I/O): the batching writer
    /// keeps the items and retries instead of reporting them lost.
    retryable: bool,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error { kind, mlflow_code: kind.default_mlflow_code(), message: message.into(), retryable: false }
    }

    /// An error with an explicit MLflow error code (e.g. `INVALID_PARAMETER_VALUE` for a bad
    /// key, where the kind alone would not say which REST code MLflow uses).
    pub fn with_code(kind: ErrorKind, mlflow_code: &'static str, message: impl Into<String>) -> Self {
        Error { kind, mlflow_code, message: message.into(), retryable: false }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidArgument, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::NotFound, message)
    }

    pub fn already_exists(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::AlreadyExists, message)
    }

    pub fn invalid_state(message: impl Into<String>) -> Self {
        // MLflow reports writes to inactive runs as INVALID_PARAMETER_VALUE; keep its code.
        Error::with_code(ErrorKind::InvalidState, "INVALID_PARAMETER_VALUE", message)
    }

    pub fn storage(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Storage, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Internal, message)
    }

    pub fn is_retryable(&self) -> bool {
        self.retryable
    }

    pub(crate) fn retryable(mut self) -> Self {
        self.retryable = true;
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub fn mlflow_code(&self) -> &'static str {
        self.mlflow_code
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// The same error with more context in front of the message.
    pub fn context(mut self, what: impl fmt::Display) -> Self {
        self.message = format!("{what}: {}", self.message);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.mlflow_code)
    }
}

impl std::error::Error for Error {}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode as C;
        if let rusqlite::Error::SqliteFailure(f, _) = &e {
            let hint = match f.code {
                C::DiskFull => "the disk is full; free space and retry (nothing accepted was dropped)",
                C::ReadOnly => "the database is read-only; open it from a writable location or only read it",
                C::CannotOpen => {
                    "the database file cannot be opened; check that its directory exists and is accessible"
                }
                C::DatabaseCorrupt | C::NotADatabase => "the file is not a valid sqlite database",
                C::DatabaseBusy | C::DatabaseLocked => {
                    "the database stayed locked by another writer past the busy timeout"
                }
                C::PermissionDenied => "permission denied on the database file",
                _ => "",
            };
            let transient = matches!(
                f.code,
                C::DatabaseBusy
                    | C::DatabaseLocked
                    | C::DiskFull
                    | C::SystemIoFailure
                    | C::CannotOpen
                    | C::ReadOnly
                    | C::OutOfMemory
                    | C::FileLockingProtocolFailed
            );
            let err = if hint.is_empty() {
                Error::storage(format!("sqlite: {e}"))
            } else {
                Error::storage(format!("sqlite: {e} — {hint}"))
            };
            return if transient { err.retryable() } else { err };
        }
        Error::storage(format!("sqlite: {e}"))
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::storage(format!("I/O: {e}")).retryable()
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::invalid(format!("malformed JSON: {e}"))
    }
}
