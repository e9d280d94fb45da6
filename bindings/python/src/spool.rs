//! The spool of a tracking-server client, for Python: the explicit sync entry point
//! (`libmlflow.sync_spool`) and what closing a client left unsent.

use std::path::PathBuf;
use std::time::Duration;

use mlflow_core::spool::{default_spool_dir, sync_spool as core_sync_spool};
use mlflow_core::tracking_uri;

use crate::error::{ErrorFields, NativeResult};

/// What a sync did: the core's report as JSON (`SyncReport::to_json`), and the sync's failure
/// (`SyncReport::error`: refused records, or items still waiting) when there is one. A sync
/// that could not start (no spool there, malformed URI) raises instead.
#[derive(uniffi::Record)]
pub struct SyncOutcome {
    pub report_json: String,
    pub error: Option<ErrorFields>,
}

/// Uploads `spool` (a spool file or a directory of them; None: `LIBMLFLOW_SPOOL_DIR`, else
/// `~/.local/share/libmlflow/spool`) to `tracking_uri` (None: `MLFLOW_TRACKING_URI`), retrying
/// for at most `timeout_ms`.
#[uniffi::export]
pub fn sync_spool(spool: Option<String>, tracking_uri: Option<String>, timeout_ms: u64) -> NativeResult<SyncOutcome> {
    let spool = spool.filter(|s| !s.is_empty()).map(PathBuf::from).unwrap_or_else(default_spool_dir);
    let uri = tracking_uri::resolve(tracking_uri.as_deref())?;
    let report = core_sync_spool(&spool, &uri, Duration::from_millis(timeout_ms))?;
    Ok(SyncOutcome { report_json: report.to_json().to_string(), error: report.error().as_ref().map(ErrorFields::from) })
}

/// What closing a client did (the core's `CloseReport` counts). `unsent`: items safe in the
/// spool but not delivered yet (a tracking server that could not be reached in time); they are
/// delivered by the next client on the same spool or by `sync_spool` and do not make the close
/// fail. `error` says what was lost or not written, if anything.
#[derive(uniffi::Record)]
pub struct CloseSummary {
    pub written: u64,
    pub dropped: u64,
    pub unwritten: u64,
    pub failed: u64,
    pub unsent: u64,
    pub error: Option<ErrorFields>,
}

/// A local run id and the tracking server's id for it, once the run was created there.
#[derive(uniffi::Record)]
pub struct RunIdPair {
    pub local_id: String,
    pub server_id: Option<String>,
}
