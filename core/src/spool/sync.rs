//! The explicit sync entry point: uploads a spool (or every spool in a directory) to a tracking
//! server — for machines that logged offline, or to finish what a crashed job left. Records of a
//! process that is still running are its own to deliver and are left alone.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::courier::Courier;
use super::delivery::{deliver_until, Delivery};
use super::file::{RunIdMapping, SpoolFile};
use super::SPOOL_SUFFIX;
use crate::error::{Error, Result};
use crate::store::rest::RestStore;
use crate::store::WriteFailure;

/// What a sync did.
#[derive(Debug, Clone, Default)]
pub struct SyncReport {
    /// Spool files looked at.
    pub files: Vec<PathBuf>,
    /// Logged items the server took.
    pub delivered_items: u64,
    /// Items still waiting (the server went away, or the timeout passed); a later sync resumes.
    pub remaining_items: u64,
    /// Records held by processes still running (they deliver them themselves).
    pub busy_records: u64,
    /// Records the server refused, set aside in the spool with the reason.
    pub failures: Vec<WriteFailure>,
    pub failed: u64,
    /// Every local run id of these spools and the server's id for it, if created there.
    pub run_ids: Vec<RunIdMapping>,
    /// Why items remain, when they do.
    pub last_error: Option<Error>,
}

impl SyncReport {
    pub fn is_complete(&self) -> bool {
        self.remaining_items == 0 && self.failed == 0
    }

    /// The report as JSON, the shape every binding hands to its users:
    /// `{"files", "delivered_items", "remaining_items", "busy_records", "failed", "failures":
    /// [{"what", "error"}], "run_ids": [{"local_id", "server_id"}], "last_error"}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "files": self.files.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            "delivered_items": self.delivered_items,
            "remaining_items": self.remaining_items,
            "busy_records": self.busy_records,
            "failed": self.failed,
            "failures": self.failures.iter()
                .map(|f| serde_json::json!({ "what": f.what, "error": f.error.message() }))
                .collect::<Vec<_>>(),
            "run_ids": self.run_ids.iter()
                .map(|m| serde_json::json!({ "local_id": m.local_id, "server_id": m.server_id }))
                .collect::<Vec<_>>(),
            "last_error": self.last_error.as_ref().map(|e| e.message().to_string()),
        })
    }

    /// What a caller should treat as the sync's failure: refused records first (they need a
    /// person), then items that remain (a later sync delivers them).
    pub fn error(&self) -> Option<Error> {
        if self.failed > 0 {
            return Some(
                crate::batcher::failures_error(&self.failures, self.failed)
                    .context("sync: the tracking server refused some records (set aside in the spool)"),
            );
        }
        if self.remaining_items > 0 {
            let cause = self.last_error.as_ref().map(|e| format!(": {}", e.message())).unwrap_or_default();
            return Some(Error::with_code(
                crate::error::ErrorKind::Unavailable,
                "TEMPORARILY_UNAVAILABLE",
                format!(
                    "sync: {} logged item(s) are still in the spool (kept; run the sync again){cause}",
                    self.remaining_items
                ),
            ));
        }
        None
    }
}

/// Delivers `spool` (a spool file, or a directory of them) to the server at `tracking_uri`,
/// retrying for at most `timeout`.
pub fn sync_spool(spool: &Path, tracking_uri: &str, timeout: Duration) -> Result<SyncReport> {
    let files = spool_files(spool)?;
    let rest = Arc::new(RestStore::new(tracking_uri)?);
    let deadline = Instant::now() + timeout;
    let mut report = SyncReport::default();
    for path in files {
        let file = Arc::new(SpoolFile::open(&path)?);
        let shared = Delivery::shared(file.clone(), Courier::new(file.clone(), rest.clone()));
        let error = deliver_until(&shared, deadline);
        let (failures, failed) = shared.take_failures();
        report.delivered_items += shared.delivered_items();
        report.remaining_items += file.pending().1;
        report.busy_records += file.pending_all_owners()?.saturating_sub(file.pending().0);
        report.failures.extend(failures);
        report.failed += failed;
        report.run_ids.extend(file.run_id_mappings()?);
        if error.is_some() {
            report.last_error = error;
        }
        report.files.push(path);
    }
    Ok(report)
}

/// The spool files `spool` names: itself if it is a file, else the spool files in the directory
/// (sorted); NotFound when it is neither.
pub fn spool_files(spool: &Path) -> Result<Vec<PathBuf>> {
    if spool.is_file() {
        return Ok(vec![spool.to_path_buf()]);
    }
    if !spool.is_dir() {
        return Err(Error::not_found(format!(
            "no spool at {} (neither a spool file nor a directory)",
            spool.display()
        )));
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(spool)
        .map_err(|e| Error::storage(format!("cannot list {}: {e}", spool.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.ends_with(SPOOL_SUFFIX)))
        .collect();
    files.sort();
    Ok(files)
}
