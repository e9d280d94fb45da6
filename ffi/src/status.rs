//! The C status codes, the one place core errors are mapped to them, and the per-thread
//! message of the last failure.

use std::cell::RefCell;
use std::ffi::{c_char, CString};

use mlflow_core::{Error, ErrorKind};

/// Result of every fallible libmlflow call. Values are stable and never reused; new codes are
/// only ever appended.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum mlflow_status {
    /// Success.
    MLFLOW_OK = 0,
    /// A key, value, id, filter or option is malformed or outside MLflow's limits.
    MLFLOW_ERR_INVALID_ARGUMENT = 1,
    /// The experiment, run or tag does not exist.
    MLFLOW_ERR_NOT_FOUND = 2,
    /// An experiment with that name already exists (also while deleted).
    MLFLOW_ERR_ALREADY_EXISTS = 3,
    /// Wrong state: the run was ended or deleted, the experiment is deleted.
    MLFLOW_ERR_INVALID_STATE = 4,
    /// The database is at another schema revision than MLflow 3.17.2's.
    MLFLOW_ERR_SCHEMA_MISMATCH = 5,
    /// The store cannot read or write (I/O, disk full, read-only, corrupt file).
    MLFLOW_ERR_STORAGE = 6,
    /// The logging queue stayed full for the whole enqueue timeout; the item was not accepted.
    MLFLOW_ERR_QUEUE_FULL = 7,
    /// Items accepted earlier could not be written; the message names them.
    MLFLOW_ERR_WRITE_FAILED = 8,
    /// The client is closed, or was opened before fork() in this child process.
    MLFLOW_ERR_CLOSED = 9,
    /// A required pointer argument was NULL.
    MLFLOW_ERR_NULL_ARGUMENT = 10,
    /// A string argument is not valid UTF-8.
    MLFLOW_ERR_INVALID_UTF8 = 11,
    /// libmlflow panicked; the call had no effect beyond what the message says. Please report it.
    MLFLOW_ERR_PANIC = 12,
    /// Any other internal error.
    MLFLOW_ERR_INTERNAL = 13,
    /// The tracking server could not be reached, or kept failing past the retry budget.
    /// Logged data is not lost: it waits in the spool and is delivered when the server is back.
    MLFLOW_ERR_UNAVAILABLE = 14,
    /// The tracking server refused the credentials (401) or the permission (403).
    MLFLOW_ERR_PERMISSION_DENIED = 15,
}

pub use mlflow_status::*;

/// Maps a core error kind to its C status (the only such mapping in the C library).
pub fn status_of(kind: ErrorKind) -> mlflow_status {
    match kind {
        ErrorKind::InvalidArgument => MLFLOW_ERR_INVALID_ARGUMENT,
        ErrorKind::NotFound => MLFLOW_ERR_NOT_FOUND,
        ErrorKind::AlreadyExists => MLFLOW_ERR_ALREADY_EXISTS,
        ErrorKind::InvalidState => MLFLOW_ERR_INVALID_STATE,
        ErrorKind::SchemaMismatch => MLFLOW_ERR_SCHEMA_MISMATCH,
        ErrorKind::Storage => MLFLOW_ERR_STORAGE,
        ErrorKind::QueueFull => MLFLOW_ERR_QUEUE_FULL,
        ErrorKind::WriteFailed => MLFLOW_ERR_WRITE_FAILED,
        ErrorKind::Closed => MLFLOW_ERR_CLOSED,
        ErrorKind::Unavailable => MLFLOW_ERR_UNAVAILABLE,
        ErrorKind::PermissionDenied => MLFLOW_ERR_PERMISSION_DENIED,
        _ => MLFLOW_ERR_INTERNAL,
    }
}

/// A failed call: its status and the message to keep for `mlflow_last_error_message`.
pub struct Failure {
    pub status: mlflow_status,
    pub message: String,
}

impl Failure {
    pub fn new(status: mlflow_status, message: impl Into<String>) -> Self {
        Failure { status, message: message.into() }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure { status: status_of(e.kind()), message: format!("{} [{}]", e.message(), e.mlflow_code()) }
    }
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// Remembers the message of a failure on this thread and returns its status.
pub fn record(f: Failure) -> mlflow_status {
    let msg = CString::new(f.message.replace('\0', "\\0")).unwrap_or_default();
    LAST_ERROR.with(|slot| *slot.borrow_mut() = msg);
    f.status
}

/// The message of the last failed libmlflow call on this thread ("" if none failed yet). The
/// pointer stays valid until the next failing libmlflow call on the same thread; copy it to
/// keep it. Never NULL.
#[no_mangle]
pub extern "C" fn mlflow_last_error_message() -> *const c_char {
    LAST_ERROR.with(|slot| slot.borrow().as_ptr())
}

/// A static, NUL-terminated name for a status ("MLFLOW_ERR_NOT_FOUND"); never NULL.
#[no_mangle]
pub extern "C" fn mlflow_status_name(status: i32) -> *const c_char {
    let name: &'static [u8] = match status {
        0 => b"MLFLOW_OK\0",
        1 => b"MLFLOW_ERR_INVALID_ARGUMENT\0",
        2 => b"MLFLOW_ERR_NOT_FOUND\0",
        3 => b"MLFLOW_ERR_ALREADY_EXISTS\0",
        4 => b"MLFLOW_ERR_INVALID_STATE\0",
        5 => b"MLFLOW_ERR_SCHEMA_MISMATCH\0",
        6 => b"MLFLOW_ERR_STORAGE\0",
        7 => b"MLFLOW_ERR_QUEUE_FULL\0",
        8 => b"MLFLOW_ERR_WRITE_FAILED\0",
        9 => b"MLFLOW_ERR_CLOSED\0",
        10 => b"MLFLOW_ERR_NULL_ARGUMENT\0",
        11 => b"MLFLOW_ERR_INVALID_UTF8\0",
        12 => b"MLFLOW_ERR_PANIC\0",
        13 => b"MLFLOW_ERR_INTERNAL\0",
        14 => b"MLFLOW_ERR_UNAVAILABLE\0",
        15 => b"MLFLOW_ERR_PERMISSION_DENIED\0",
        _ => b"MLFLOW_ERR_UNKNOWN_STATUS\0",
    };
    name.as_ptr().cast()
}
