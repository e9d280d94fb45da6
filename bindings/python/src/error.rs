//! The one error type crossing into Python: the core's kind (for the exception class), MLflow's
//! REST `error_code` string (for `MlflowException.error_code`) and the message.

use mlflow_core::{Error, ErrorKind};

#[derive(Debug, uniffi::Error)]
pub enum NativeError {
    Failed { kind: String, error_code: String, message: String },
}

impl std::fmt::Display for NativeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let NativeError::Failed { message, error_code, .. } = self;
        write!(f, "{message} ({error_code})")
    }
}

impl std::error::Error for NativeError {}

impl From<Error> for NativeError {
    fn from(e: Error) -> Self {
        let ErrorFields { kind, error_code, message } = ErrorFields::from(&e);
        NativeError::Failed { kind, error_code, message }
    }
}

/// An error as plain fields, for results that carry a report *and* an error (close, sync) and
/// so cannot raise `NativeError` without losing the report. Python builds the same exception
/// from it as from `NativeError`.
#[derive(Debug, uniffi::Record)]
pub struct ErrorFields {
    pub kind: String,
    pub error_code: String,
    pub message: String,
}

impl From<&Error> for ErrorFields {
    fn from(e: &Error) -> Self {
        ErrorFields {
            kind: kind_name(e.kind()).to_string(),
            error_code: e.mlflow_code().to_string(),
            message: e.message().to_string(),
        }
    }
}

/// Stable names of the core's error kinds; the Python layer keys its handling on them (e.g.
/// `CLOSED` after fork()).
fn kind_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidArgument => "INVALID_ARGUMENT",
        ErrorKind::NotFound => "NOT_FOUND",
        ErrorKind::AlreadyExists => "ALREADY_EXISTS",
        ErrorKind::InvalidState => "INVALID_STATE",
        ErrorKind::SchemaMismatch => "SCHEMA_MISMATCH",
        ErrorKind::Storage => "STORAGE",
        ErrorKind::QueueFull => "QUEUE_FULL",
        ErrorKind::WriteFailed => "WRITE_FAILED",
        ErrorKind::Closed => "CLOSED",
        ErrorKind::Unavailable => "UNAVAILABLE",
        ErrorKind::PermissionDenied => "PERMISSION_DENIED",
        _ => "INTERNAL",
    }
}

pub type NativeResult<T> = std::result::Result<T, NativeError>;
