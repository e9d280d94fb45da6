//! `NativeRun`: a handle on a run being logged to. Metrics logged from Python usually arrive in
//! chunks through `NativeClient::log_metric_chunk`, addressed by this run's `slot`.

use mlflow_core::{ActiveRun, RunStatus};

use crate::client::{convert_batch, KeyValue, MetricPoint};
use crate::error::NativeResult;

#[derive(uniffi::Object)]
pub struct NativeRun {
    run: ActiveRun,
    slot: u32,
}

impl NativeRun {
    pub(crate) fn new(run: ActiveRun, slot: u32) -> Self {
        NativeRun { run, slot }
    }
}

#[uniffi::export]
impl NativeRun {
    pub fn run_id(&self) -> String {
        self.run.run_id().to_string()
    }

    /// This run's number in `NativeClient::log_metric_chunk`.
    pub fn slot(&self) -> u32 {
        self.slot
    }

    /// One metric point, validated and queued now (`timestamp` None: now, in milliseconds).
    pub fn log_metric(&self, key: String, value: f64, timestamp: Option<i64>, step: i64) -> NativeResult<()> {
        Ok(self.run.log_metric(&key, value, timestamp, step)?)
    }

    /// A param; a changed value for a key already logged through this handle is refused here.
    pub fn log_param(&self, key: String, value: String) -> NativeResult<()> {
        Ok(self.run.log_param(&key, &value)?)
    }

    pub fn set_tag(&self, key: String, value: String) -> NativeResult<()> {
        Ok(self.run.set_tag(&key, &value)?)
    }

    pub fn log_batch(&self, metrics: Vec<MetricPoint>, params: Vec<KeyValue>, tags: Vec<KeyValue>) -> NativeResult<()> {
        let (metrics, params, tags) = convert_batch(metrics, params, tags);
        Ok(self.run.log_batch(&metrics, &params, &tags)?)
    }

    /// Ends the run with `status` (FINISHED, FAILED, KILLED) after its data is written. Returns
    /// whether the server has the end now (false: it waits in the spool for an unreachable server).
    pub fn end(&self, status: String) -> NativeResult<bool> {
        Ok(self.run.end(RunStatus::parse(&status)?)?.is_some())
    }

    pub fn is_ended(&self) -> bool {
        self.run.is_ended()
    }
}
