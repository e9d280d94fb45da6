//! Stores: where tracking data lives. [`TrackingStore`] is every tracking operation the client
//! needs; MLflow's sqlite database ([`SqliteStore`]) and a tracking server over REST
//! ([`rest::RestStore`]) implement it. Logged items reach a store through [`WriteSink`]: the
//! sqlite store writes them directly, a REST client appends them to its spool first.

pub mod logged_models;
pub mod registry;
pub mod rest;
pub mod sqlite;
pub mod writes;

use std::time::Duration;

pub use logged_models::LoggedModelStore;
pub use registry::RegistryStore;
pub use sqlite::{CreateRun, SqliteStore};
pub use writes::{RunWrite, WriteFailure, WriteItem};

use crate::entities::*;
use crate::error::Result;

/// Every tracking operation of the core, with MLflow's semantics and error codes.
pub trait TrackingStore: Send + Sync {
    fn create_experiment(&self, name: &str, artifact_location: Option<&str>, tags: &[ExperimentTag]) -> Result<String>;
    fn get_experiment(&self, experiment_id: &str) -> Result<Experiment>;
    /// `None` when no experiment has that name (MLflow's REST 404 is mapped to `None`, as its client does).
    fn get_experiment_by_name(&self, name: &str) -> Result<Option<Experiment>>;
    fn search_experiments(
        &self,
        filter: &str,
        view: ViewType,
        max_results: i64,
        order_by: &[String],
        page_token: Option<&str>,
    ) -> Result<Page<Experiment>>;
    fn rename_experiment(&self, experiment_id: &str, new_name: &str) -> Result<()>;
    fn delete_experiment(&self, experiment_id: &str) -> Result<()>;
    fn restore_experiment(&self, experiment_id: &str) -> Result<()>;
    fn set_experiment_tag(&self, experiment_id: &str, key: &str, value: &str) -> Result<()>;
    fn delete_experiment_tag(&self, experiment_id: &str, key: &str) -> Result<()>;

    fn create_run(&self, req: &CreateRun) -> Result<Run>;
    fn get_run(&self, run_id: &str) -> Result<Run>;
    fn update_run(
        &self,
        run_id: &str,
        status: Option<RunStatus>,
        end_time: Option<i64>,
        run_name: Option<&str>,
    ) -> Result<RunInfo>;
    /// Ends a run waiting at most `timeout` (closing and process exit must never hang).
    fn end_run_within(&self, run_id: &str, status: RunStatus, end_time: i64, timeout: Duration) -> Result<()>;
    fn delete_run(&self, run_id: &str) -> Result<()>;
    fn restore_run(&self, run_id: &str) -> Result<()>;
    fn delete_tag(&self, run_id: &str, key: &str) -> Result<()>;
    fn search_runs(
        &self,
        experiment_ids: &[String],
        filter: &str,
        view: ViewType,
        max_results: i64,
        order_by: &[String],
        page_token: Option<&str>,
    ) -> Result<Page<Run>>;
    fn get_metric_history(
        &self,
        run_id: &str,
        key: &str,
        max_results: Option<i64>,
        page_token: Option<&str>,
    ) -> Result<Page<Metric>>;
    /// MLflow's log_batch: all or nothing, validated as MLflow validates it.
    fn log_batch(&self, run_id: &str, metrics: &[Metric], params: &[Param], tags: &[RunTag]) -> Result<()>;
}

/// Where the batching writer puts what it drained from the queue.
pub trait WriteSink: Send + Sync {
    /// Applies `writes` in order. `Ok` lists the items refused one by one (a deleted run, a
    /// changed param); `Err` means nothing was applied and, if retryable, the writer retries.
    fn apply_writes(&self, writes: &[RunWrite]) -> Result<Vec<WriteFailure>>;
}

impl WriteSink for SqliteStore {
    fn apply_writes(&self, writes: &[RunWrite]) -> Result<Vec<WriteFailure>> {
        SqliteStore::apply_writes(self, writes)
    }
}

impl TrackingStore for SqliteStore {
    fn create_experiment(&self, name: &str, artifact_location: Option<&str>, tags: &[ExperimentTag]) -> Result<String> {
        SqliteStore::create_experiment(self, name, artifact_location, tags)
    }
    fn get_experiment(&self, experiment_id: &str) -> Result<Experiment> {
        SqliteStore::get_experiment(self, experiment_id)
    }
    fn get_experiment_by_name(&self, name: &str) -> Result<Option<Experiment>> {
        SqliteStore::get_experiment_by_name(self, name)
    }
    fn search_experiments(
        &self,
        filter: &str,
        view: ViewType,
        max_results: i64,
        order_by: &[String],
        page_token: Option<&str>,
    ) -> Result<Page<Experiment>> {
        SqliteStore::search_experiments(self, filter, view, max_results, order_by, page_token)
    }
    fn rename_experiment(&self, experiment_id: &str, new_name: &str) -> Result<()> {
        SqliteStore::rename_experiment(self, experiment_id, new_name)
    }
    fn delete_experiment(&self, experiment_id: &str) -> Result<()> {
        SqliteStore::delete_experiment(self, experiment_id)
    }
    fn restore_experiment(&self, experiment_id: &str) -> Result<()> {
        SqliteStore::restore_experiment(self, experiment_id)
    }
    fn set_experiment_tag(&self, experiment_id: &str, key: &str, value: &str) -> Result<()> {
        SqliteStore::set_experiment_tag(self, experiment_id, key, value)
    }
    fn delete_experiment_tag(&self, experiment_id: &str, key: &str) -> Result<()> {
        SqliteStore::delete_experiment_tag(self, experiment_id, key)
    }
    fn create_run(&self, req: &CreateRun) -> Result<Run> {
        SqliteStore::create_run(self, req)
    }
    fn get_run(&self, run_id: &str) -> Result<Run> {
        SqliteStore::get_run(self, run_id)
    }
    fn update_run(
        &self,
        run_id: &str,
        status: Option<RunStatus>,
        end_time: Option<i64>,
        run_name: Option<&str>,
    ) -> Result<RunInfo> {
        SqliteStore::update_run(self, run_id, status, end_time, run_name)
    }
    fn end_run_within(&self, run_id: &str, status: RunStatus, end_time: i64, timeout: Duration) -> Result<()> {
        SqliteStore::end_run_within(self, run_id, status, end_time, timeout)
    }
    fn delete_run(&self, run_id: &str) -> Result<()> {
        SqliteStore::delete_run(self, run_id)
    }
    fn restore_run(&self, run_id: &str) -> Result<()> {
        SqliteStore::restore_run(self, run_id)
    }
    fn delete_tag(&self, run_id: &str, key: &str) -> Result<()> {
        SqliteStore::delete_tag(self, run_id, key)
    }
    fn search_runs(
        &self,
        experiment_ids: &[String],
        filter: &str,
        view: ViewType,
        max_results: i64,
        order_by: &[String],
        page_token: Option<&str>,
    ) -> Result<Page<Run>> {
        SqliteStore::search_runs(self, experiment_ids, filter, view, max_results, order_by, page_token)
    }
    fn get_metric_history(
        &self,
        run_id: &str,
        key: &str,
        max_results: Option<i64>,
        page_token: Option<&str>,
    ) -> Result<Page<Metric>> {
        SqliteStore::get_metric_history(self, run_id, key, max_results, page_token)
    }
    fn log_batch(&self, run_id: &str, metrics: &[Metric], params: &[Param], tags: &[RunTag]) -> Result<()> {
        SqliteStore::log_batch(self, run_id, metrics, params, tags)
    }
}
