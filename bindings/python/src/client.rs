//! `NativeClient`: one core client (store + batching writer) shared by every Python thread.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use mlflow_core::client::close_report_error;
use mlflow_core::context::RunContext;
use mlflow_core::{json_api, Client, ClientOptions, Metric, Param, RunStatus, RunTag, StartRun};

use crate::chunk::{Chunk, RunSlots};
use crate::error::{ErrorFields, NativeResult};
use crate::keys::KeyTable;
use crate::run::NativeRun;
use crate::spool::{CloseSummary, RunIdPair};

/// A key/value pair (params, tags), in the caller's order.
#[derive(uniffi::Record)]
pub struct KeyValue {
    pub key: String,
    pub value: String,
}

/// One metric point of a batch; `timestamp` is milliseconds since the epoch.
#[derive(uniffi::Record)]
pub struct MetricPoint {
    pub key: String,
    pub value: f64,
    pub timestamp: i64,
    pub step: i64,
}

#[derive(uniffi::Object)]
pub struct NativeClient {
    client: Client,
    keys: Arc<KeyTable>,
    slots: RunSlots,
}

#[uniffi::export]
impl NativeClient {
    /// Opens the store named by `tracking_uri` (None: `MLFLOW_TRACKING_URI`, else
    /// `sqlite:///mlflow.db`). `source_name` is the user's script, recorded in
    /// `mlflow.source.name` as MLflow does for Python programs. Tracking server only:
    /// `spool_dir` (None: `LIBMLFLOW_SPOOL_DIR`, else the default) and `offline` (None:
    /// `LIBMLFLOW_OFFLINE`).
    #[uniffi::constructor]
    pub fn open(
        tracking_uri: Option<String>,
        source_name: Option<String>,
        spool_dir: Option<String>,
        offline: Option<bool>,
    ) -> NativeResult<Arc<Self>> {
        let context = source_name.map_or_else(RunContext::detect, RunContext::for_source);
        let options = ClientOptions {
            tracking_uri,
            spool_dir: spool_dir.filter(|d| !d.is_empty()).map(PathBuf::from),
            offline,
            context: Some(context),
            ..ClientOptions::default()
        };
        Ok(Arc::new(NativeClient { client: Client::open(options)?, keys: Arc::default(), slots: RunSlots::default() }))
    }

    /// The resolved tracking URI (`sqlite:///...`).
    pub fn tracking_uri(&self) -> String {
        self.client.tracking_uri().to_string()
    }

    /// Any MLflow REST method the core serves (see `json_api::METHODS`), JSON in and out.
    pub fn call(&self, method: String, request: String) -> NativeResult<String> {
        Ok(json_api::call(&self.client, &method, &request)?)
    }

    /// The experiment a run goes to when none is named (environment, else "0").
    pub fn default_experiment_id(&self) -> NativeResult<String> {
        Ok(self.client.default_experiment_id()?)
    }

    /// Starts a run (system tags, `mlflow.parentRunId` when `parent_run_id` is set).
    pub fn start_run(
        &self,
        experiment_id: Option<String>,
        run_name: Option<String>,
        parent_run_id: Option<String>,
        tags: Vec<KeyValue>,
    ) -> NativeResult<Arc<NativeRun>> {
        let run = self.client.start_run(StartRun {
            experiment_id,
            run_name,
            parent_run_id,
            tags: tags.into_iter().map(|t| RunTag { key: t.key, value: t.value }).collect(),
            start_time: None,
        })?;
        self.wrap(run)
    }

    /// Sets an existing run RUNNING again (MLflow's `start_run(run_id=...)`).
    pub fn resume_run(&self, run_id: String) -> NativeResult<Arc<NativeRun>> {
        self.wrap(self.client.resume_run(&run_id)?)
    }

    /// A handle for logging to an existing run by id without changing its status
    /// (`MlflowClient.log_metric(run_id, ...)`); refused when the run does not exist.
    pub fn attach_run(&self, run_id: String) -> NativeResult<Arc<NativeRun>> {
        self.wrap(self.client.attach_run(&run_id)?)
    }

    /// Queues a chunk of metric points buffered by the Python layer: packed native-endian
    /// arrays of run slots (u32, `NativeRun::slot`), key ids (u32, `intern_metric_key`),
    /// values (f64), timestamps (i64 ms) and steps (i64). Valid points are queued even when
    /// others are refused; the error says how many were refused and why.
    pub fn log_metric_chunk(
        &self,
        slots: Vec<u8>,
        keys: Vec<u8>,
        values: Vec<u8>,
        timestamps: Vec<u8>,
        steps: Vec<u8>,
    ) -> NativeResult<()> {
        let chunk = Chunk { slots: &slots, keys: &keys, values: &values, timestamps: &timestamps, steps: &steps };
        Ok(self.slots.log_chunk(&self.keys, &chunk)?)
    }

    /// Ends a run by id after its queued data is written. Returns whether the server has the
    /// end now; false when it waits in the spool for a tracking server that cannot be reached
    /// (it is delivered behind the run's data).
    pub fn end_run(&self, run_id: String, status: String, end_time: Option<i64>) -> NativeResult<bool> {
        Ok(self.client.end_run(&run_id, RunStatus::parse(&status)?, end_time)?.is_some())
    }

    /// Validates a metric key once and returns its id for `log_metric_chunk`.
    pub fn intern_metric_key(&self, key: String) -> NativeResult<u32> {
        Ok(self.keys.intern(&key)?)
    }

    pub fn log_metric(
        &self,
        run_id: String,
        key: String,
        value: f64,
        timestamp: Option<i64>,
        step: i64,
    ) -> NativeResult<()> {
        Ok(self.client.log_metric(&run_id, &key, value, timestamp, step)?)
    }

    pub fn log_param(&self, run_id: String, key: String, value: String) -> NativeResult<()> {
        Ok(self.client.log_param(&run_id, &key, &value)?)
    }

    pub fn set_tag(&self, run_id: String, key: String, value: String) -> NativeResult<()> {
        Ok(self.client.set_tag(&run_id, &key, &value)?)
    }

    /// Validated as a whole (MLflow's limits), then queued as one message.
    pub fn log_batch(
        &self,
        run_id: String,
        metrics: Vec<MetricPoint>,
        params: Vec<KeyValue>,
        tags: Vec<KeyValue>,
    ) -> NativeResult<()> {
        let (metrics, params, tags) = convert_batch(metrics, params, tags);
        Ok(self.client.log_batch(&run_id, &metrics, &params, &tags)?)
    }

    /// Returns when everything logged so far is durable; reports writes that failed.
    pub fn flush(&self, timeout_ms: u64) -> NativeResult<()> {
        Ok(self.client.flush(Duration::from_millis(timeout_ms))?)
    }

    /// Items queued and not yet written.
    pub fn pending_writes(&self) -> u64 {
        self.client.pending_writes()
    }

    /// Keeps the core client alive until the process ends. A forked child calls this on the
    /// client it inherited: dropping it there would close the parent's sqlite connection.
    pub fn keep_alive_forever(&self) {
        std::mem::forget(self.client.clone());
    }

    /// Ends runs this client started and left open, writes what is queued within the timeout
    /// and stops the writer. The summary's `error` says what could not be written.
    pub fn close(&self, timeout_ms: u64) -> CloseSummary {
        let report = self.client.close(Duration::from_millis(timeout_ms));
        CloseSummary {
            written: report.written,
            dropped: report.dropped,
            unwritten: report.unwritten,
            failed: report.failed,
            unsent: report.unsent,
            error: close_report_error(&report).as_ref().map(ErrorFields::from),
        }
    }

    /// Whether this client talks to a tracking server (and so has a spool).
    pub fn is_remote(&self) -> bool {
        self.client.is_remote()
    }

    /// The tracking server's id for a run started while it could not be reached (a local id);
    /// None while the run waits in the spool, and for ids that are not local.
    pub fn server_run_id(&self, run_id: String) -> NativeResult<Option<String>> {
        Ok(self.client.server_run_id(&run_id)?)
    }

    /// Every run started under a local id through this client's spool, with its server id once known.
    pub fn run_id_mappings(&self) -> NativeResult<Vec<RunIdPair>> {
        Ok(self
            .client
            .run_id_mappings()?
            .into_iter()
            .map(|m| RunIdPair { local_id: m.local_id, server_id: m.server_id })
            .collect())
    }

    /// Tracking server only: logged items in the spool not yet delivered (0 otherwise).
    pub fn undelivered(&self) -> u64 {
        self.client.undelivered()
    }

    /// Tracking server only: the spool file of this client.
    pub fn spool_path(&self) -> Option<String> {
        self.client.spool_path().map(|p| p.display().to_string())
    }
}

impl NativeClient {
    /// The core client (for the calls declared in other files, e.g. artifacts.rs).
    pub(crate) fn core(&self) -> &Client {
        &self.client
    }

    fn wrap(&self, run: mlflow_core::ActiveRun) -> NativeResult<Arc<NativeRun>> {
        let slot = self.slots.register(run.clone())?;
        Ok(Arc::new(NativeRun::new(run, slot)))
    }
}

pub(crate) fn convert_batch(
    metrics: Vec<MetricPoint>,
    params: Vec<KeyValue>,
    tags: Vec<KeyValue>,
) -> (Vec<Metric>, Vec<Param>, Vec<RunTag>) {
    (
        metrics
            .into_iter()
            .map(|m| Metric { key: m.key, value: m.value, timestamp: m.timestamp, step: m.step })
            .collect(),
        params.into_iter().map(|p| Param { key: p.key, value: p.value }).collect(),
        tags.into_iter().map(|t| RunTag { key: t.key, value: t.value }).collect(),
    )
}
