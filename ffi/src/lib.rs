//! libmlflow's stable C ABI. See `include/mlflow.h` (generated from this crate by cbindgen).
//!
//! Conventions: every fallible function returns an `mlflow_status` and never unwinds (a panic
//! becomes MLFLOW_ERR_PANIC); the message of the last failure on the calling thread is
//! `mlflow_last_error_message()`; results come back through out-parameters; every returned
//! string is freed with `mlflow_string_free`; every handle has a NULL-safe `_free`.
#![allow(non_camel_case_types)]
// The exported functions are the C contract: they take raw pointers from C callers, check
// them for NULL and document their requirements in mlflow.h, so they are not `unsafe fn`.
#![allow(clippy::not_unsafe_ptr_arg_deref, clippy::missing_safety_doc)]

pub mod artifacts;
pub mod boundary;
pub mod client;
pub mod models;
pub mod projects;

pub mod run;
pub mod spool;
pub mod status;
pub mod strings;
pub mod version;

pub use boundary::MLFLOW_NUL_TERMINATED;
