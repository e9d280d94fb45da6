//! The panic boundary every exported function goes through, and argument conversion
//! (NULL pointers, UTF-8, length-taking strings) into clear statuses.

use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::status::*;

/// Length value meaning "the string is NUL-terminated; measure it".
pub const MLFLOW_NUL_TERMINATED: usize = usize::MAX;

/// Runs `f`, turning an error or a panic into a status and a last-error message. Nothing
/// unwinds into the caller.
pub fn guard(f: impl FnOnce() -> Result<(), Failure>) -> mlflow_status {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => MLFLOW_OK,
        Ok(Err(failure)) => record(failure),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            record(Failure::new(MLFLOW_ERR_PANIC, format!("libmlflow panicked (please report this bug): {what}")))
        }
    }
}

/// A reference from a handle pointer, or NULL_ARGUMENT naming the parameter.
pub fn handle<'a, T>(ptr: *const T, name: &str) -> Result<&'a T, Failure> {
    // SAFETY: the caller promises a non-NULL pointer came from the matching constructor and
    // was not freed; NULL is checked here.
    unsafe { ptr.as_ref() }.ok_or_else(|| Failure::new(MLFLOW_ERR_NULL_ARGUMENT, format!("'{name}' is NULL")))
}

/// A required NUL-terminated UTF-8 string.
pub fn str_arg<'a>(ptr: *const c_char, name: &str) -> Result<&'a str, Failure> {
    if ptr.is_null() {
        return Err(Failure::new(MLFLOW_ERR_NULL_ARGUMENT, format!("'{name}' is NULL")));
    }
    // SAFETY: non-NULL and, by contract, NUL-terminated and alive for the call.
    let bytes = unsafe { CStr::from_ptr(ptr) }.to_bytes();
    utf8(bytes, name)
}

/// An optional NUL-terminated UTF-8 string (NULL means absent).
pub fn opt_str_arg<'a>(ptr: *const c_char, name: &str) -> Result<Option<&'a str>, Failure> {
    if ptr.is_null() {
        Ok(None)
    } else {
        str_arg(ptr, name).map(Some)
    }
}

/// A string given as pointer and length (`MLFLOW_NUL_TERMINATED` to measure it), for callers
/// whose strings carry no terminator (Java, R, Rust, string_view).
pub fn str_n_arg<'a>(ptr: *const c_char, len: usize, name: &str) -> Result<&'a str, Failure> {
    if len == MLFLOW_NUL_TERMINATED {
        return str_arg(ptr, name);
    }
    if len == 0 {
        return Ok("");
    }
    if ptr.is_null() {
        return Err(Failure::new(MLFLOW_ERR_NULL_ARGUMENT, format!("'{name}' is NULL")));
    }
    // SAFETY: the caller promises `len` readable bytes at `ptr` for the duration of the call.
    let bytes = unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len) };
    utf8(bytes, name)
}

fn utf8<'a>(bytes: &'a [u8], name: &str) -> Result<&'a str, Failure> {
    std::str::from_utf8(bytes).map_err(|e| {
        Failure::new(MLFLOW_ERR_INVALID_UTF8, format!("'{name}' is not valid UTF-8 (at byte {})", e.valid_up_to()))
    })
}

/// Writes `value` through an out-pointer, or NULL_ARGUMENT.
pub fn write_out<T>(out: *mut T, value: T, name: &str) -> Result<(), Failure> {
    if out.is_null() {
        return Err(Failure::new(MLFLOW_ERR_NULL_ARGUMENT, format!("'{name}' is NULL")));
    }
    // SAFETY: non-NULL; the caller provides writable storage for one T.
    unsafe { out.write(value) };
    Ok(())
}

/// Checks an out-pointer before any work is done, so a NULL one cannot lose a result.
pub fn require_out<T>(out: *mut T, name: &str) -> Result<(), Failure> {
    if out.is_null() {
        Err(Failure::new(MLFLOW_ERR_NULL_ARGUMENT, format!("'{name}' is NULL")))
    } else {
        Ok(())
    }
}
