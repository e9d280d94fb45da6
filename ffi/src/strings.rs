//! Strings libmlflow returns to C: allocated here, freed only by `mlflow_string_free`.

use std::ffi::{c_char, CString};

use crate::boundary::write_out;
use crate::status::{Failure, MLFLOW_ERR_INTERNAL};

/// Hands `s` to C through `out` (and its byte length through `out_len` when not NULL).
pub fn give_string(s: String, out: *mut *mut c_char, out_len: *mut usize, name: &str) -> Result<(), Failure> {
    let len = s.len();
    let c = CString::new(s).map_err(|_| Failure::new(MLFLOW_ERR_INTERNAL, "result contains a NUL byte"))?;
    write_out(out, c.into_raw(), name)?;
    if !out_len.is_null() {
        // SAFETY: non-NULL, caller-provided storage for one size_t.
        unsafe { out_len.write(len) };
    }
    Ok(())
}

/// Frees a string returned by libmlflow. NULL is fine; must not be called twice, and must not
/// be used on strings from anywhere else (they were not allocated by `malloc`).
#[no_mangle]
pub extern "C" fn mlflow_string_free(s: *mut c_char) {
    if s.is_null() {
        return;
    }
    let _ = std::panic::catch_unwind(|| {
        // SAFETY: `s` came from `CString::into_raw` in `give_string` and is freed once.
        drop(unsafe { CString::from_raw(s) });
    });
}
