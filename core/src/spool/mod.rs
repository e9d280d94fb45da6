//! The durable spool of a REST client: what the tracking server has not acknowledged yet, on
//! local disk, delivered in order when the server can take it — so training never waits for the
//! network and nothing logged is lost while the server is slow, restarting or unreachable.
//!
//! - [`file`]: the spool database (records, run id map, set-aside records, owners).
//! - [`record`] / [`packer`]: what a record holds; drained items packed into log-batch records.
//! - [`courier`]: delivers one record (idempotently); [`delivery`]: the loop and its thread.
//! - [`sync`]: the explicit entry point that uploads a spool later (offline machines).
//!
//! Runs started while the server cannot be reached get a local id (32 hex digits, like MLflow's
//! own). Callers use it as any run id; on delivery the run is created on the server and the map
//! local id → server id is kept in the spool file for good (see [`file::RunIdMapping`]); the
//! client translates local ids in every later call.

mod checksum;
pub mod courier;
pub mod delivery;
pub mod file;
pub mod packer;
pub mod record;
pub mod sync;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use delivery::Delivery;
pub use file::{RunIdMapping, SetAsideRecord, SpoolFile};
pub use record::{SpoolRecord, CLIENT_RUN_ID_TAG};
pub use sync::{spool_files, sync_spool, SyncReport};

use crate::error::Result;
use crate::store::{RunWrite, WriteFailure, WriteSink};

/// File name suffix of spool databases of this format.
pub const SPOOL_SUFFIX: &str = ".spool-v1.db";

/// Where spools live unless configured: `LIBMLFLOW_SPOOL_DIR`, else `$XDG_DATA_HOME/libmlflow/spool`,
/// else `~/.local/share/libmlflow/spool` (data, not cache: it may hold the only copy of a run).
pub fn default_spool_dir() -> PathBuf {
    let env = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(dir) = env("LIBMLFLOW_SPOOL_DIR") {
        return dir;
    }
    if let Some(data) = env("XDG_DATA_HOME") {
        return data.join("libmlflow").join("spool");
    }
    match env("HOME") {
        Some(home) => home.join(".local").join("share").join("libmlflow").join("spool"),
        None => PathBuf::from(".libmlflow-spool"),
    }
}

/// The spool file of one tracking server in `dir`: named after the server's host, port and path
/// (never its credentials), so all jobs of a machine logging to one server share it.
pub fn spool_path(dir: &Path, tracking_uri: &str) -> PathBuf {
    let without_scheme = tracking_uri.split_once("://").map_or(tracking_uri, |(_, rest)| rest);
    let without_userinfo = match without_scheme.split_once('/') {
        Some((authority, _)) => {
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            let path = &without_scheme[authority.len()..];
            format!("{host}{path}")
        }
        None => without_scheme.rsplit_once('@').map_or(without_scheme, |(_, h)| h).to_string(),
    };
    let name: String = without_userinfo
        .trim_end_matches('/')
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' })
        .collect();
    dir.join(format!("{name}{SPOOL_SUFFIX}"))
}

/// The batching writer's sink for a REST client: drained items become log-batch records in the
/// spool (local and fast); the delivery thread takes them from there.
pub(crate) struct SpoolSink {
    pub spool: Arc<SpoolFile>,
    pub delivery: Option<Arc<Delivery>>,
}

impl WriteSink for SpoolSink {
    fn apply_writes(&self, writes: &[RunWrite]) -> Result<Vec<WriteFailure>> {
        self.spool.append(&packer::pack(writes))?;
        if let Some(d) = &self.delivery {
            d.wake();
        }
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spool_names_carry_the_server_but_never_credentials() {
        let dir = Path::new("/s");
        assert_eq!(spool_path(dir, "http://127.0.0.1:5000"), Path::new("/s/127.0.0.1_5000.spool-v1.db"));
        assert_eq!(
            spool_path(dir, "https://alice:secret@mlflow.example.com/prefix/"),
            Path::new("/s/mlflow.example.com_prefix.spool-v1.db")
        );
    }
}
