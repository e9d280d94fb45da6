//! libmlflow for Python: the core's client exposed through uniffi. maturin builds this crate into
//! the native module `libmlflow._native`; the Python package around it (`python/libmlflow`) adds
//! MLflow's fluent API, entities and exceptions as a thin skin.
//!
//! The surface is small on purpose: typed calls for the hot path (metrics, params, tags, batches,
//! run lifecycle) and one JSON entry point (`NativeClient::call`, MLflow's REST shapes) for
//! everything else, so entities are declared once — in Python, from the same JSON MLflow uses.
//! ctypes (which uniffi's Python code calls through) releases the GIL for every native call, so
//! blocking calls (flush, search, close) never stall other Python threads.

uniffi::setup_scaffolding!();

mod artifacts;
mod chunk;
mod client;
mod error;
mod keys;
mod models;
mod projects;
mod run;
mod spool;
#[cfg(sqlite_linked)]
mod sqlite_compat;
mod sqlite_library;

pub use artifacts::{ArtifactFile, ProgressListener};
pub use client::{KeyValue, MetricPoint, NativeClient};
pub use error::{ErrorFields, NativeError};
pub use models::{read_mlmodel, save_model};
pub use projects::{NativeSubmittedRun, ProjectRunOptions};
pub use run::NativeRun;
pub use spool::{sync_spool, CloseSummary, RunIdPair, SyncOutcome};
pub use sqlite_library::{
    sqlite_hold_allocator, sqlite_library_address, sqlite_library_version, sqlite_release_allocator,
};
