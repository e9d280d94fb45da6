//! What the spool holds: the tracking writes a REST client owes the server, in order. Each
//! record becomes one request when delivered (`runs/log-batch`, `runs/create`, `runs/update`).
//! Records are JSON in the spool so a person can read a spool with `sqlite3`.

use serde::{Deserialize, Serialize};

use crate::entities::{Metric, Param, RunStatus, RunTag};
use crate::error::{Error, Result};

/// The tag a run created through libmlflow carries: a client-made id, so a `runs/create` whose
/// answer was lost is found on the server instead of being created twice.
pub const CLIENT_RUN_ID_TAG: &str = "libmlflow.client_run_id";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SpoolRecord {
    /// Part of one run's logged data, within the server's log-batch limits.
    Batch {
        run_id: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        metrics: Vec<Metric>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        params: Vec<Param>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        tags: Vec<RunTag>,
    },
    /// A run started while the server could not be reached: `local_id` is what the caller got.
    CreateRun {
        local_id: String,
        /// The experiment by id, or by name when even that could not be resolved (offline).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        experiment_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        experiment_name: Option<String>,
        user_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        run_name: Option<String>,
        start_time: i64,
        #[serde(default)]
        tags: Vec<RunTag>,
    },
    /// A run ended (or its status changed) after the data logged before it.
    UpdateRun { run_id: String, status: RunStatus, end_time: i64 },
}

impl SpoolRecord {
    pub fn kind(&self) -> &'static str {
        match self {
            SpoolRecord::Batch { .. } => "batch",
            SpoolRecord::CreateRun { .. } => "create_run",
            SpoolRecord::UpdateRun { .. } => "update_run",
        }
    }

    /// Logged items it carries (what "unsent" counts): a batch's entries, 1 for the others.
    pub fn items(&self) -> u64 {
        match self {
            SpoolRecord::Batch { metrics, params, tags, .. } => (metrics.len() + params.len() + tags.len()) as u64,
            SpoolRecord::CreateRun { .. } | SpoolRecord::UpdateRun { .. } => 1,
        }
    }

    pub fn encode(&self) -> Result<Vec<u8>> {
        serde_json::to_vec(self).map_err(|e| Error::internal(format!("cannot encode a spool record: {e}")))
    }

    pub fn decode(body: &[u8]) -> Result<SpoolRecord> {
        serde_json::from_slice(body).map_err(|e| Error::storage(format!("unreadable spool record: {e}")))
    }

    /// A short description for failure reports.
    pub fn describe(&self) -> String {
        match self {
            SpoolRecord::Batch { run_id, metrics, params, tags } => format!(
                "a batch of {} metric(s), {} param(s), {} tag(s) for run {run_id}",
                metrics.len(),
                params.len(),
                tags.len()
            ),
            SpoolRecord::CreateRun { local_id, .. } => format!("the creation of run {local_id}"),
            SpoolRecord::UpdateRun { run_id, status, .. } => {
                format!("setting run {run_id} to {}", status.as_str())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_nan_and_infinities() {
        let rec = SpoolRecord::Batch {
            run_id: "r".into(),
            metrics: vec![
                Metric { key: "a".into(), value: f64::NAN, timestamp: 1, step: 0 },
                Metric { key: "b".into(), value: f64::INFINITY, timestamp: 1, step: 0 },
            ],
            params: vec![],
            tags: vec![],
        };
        let back = SpoolRecord::decode(&rec.encode().unwrap()).unwrap();
        match back {
            SpoolRecord::Batch { metrics, .. } => {
                assert!(metrics[0].value.is_nan());
                assert_eq!(metrics[1].value, f64::INFINITY);
            }
            other => panic!("{other:?}"),
        }
    }
}
