//! Library and ABI versions, so a program can check at run time that the library it loaded
//! matches the header it was compiled with.

use std::ffi::c_char;

/// The ABI major version: bumped on any incompatible change to `mlflow.h`.
pub const MLFLOW_ABI_VERSION_MAJOR: u32 = 0;
/// The ABI minor version: bumped when functions are added.
pub const MLFLOW_ABI_VERSION_MINOR: u32 = 1;

/// The library version ("0.1.0"), static, never NULL.
#[no_mangle]
pub extern "C" fn mlflow_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// The ABI version of the loaded library: `(major << 16) | minor`. A program compiled against
/// the header is compatible when the majors are equal and the library's minor is at least
/// the header's (see `MLFLOW_ABI_COMPATIBLE()` in mlflow.h).
#[no_mangle]
pub extern "C" fn mlflow_abi_version() -> u32 {
    (MLFLOW_ABI_VERSION_MAJOR << 16) | MLFLOW_ABI_VERSION_MINOR
}
