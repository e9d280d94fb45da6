//! The client every binding wraps: tracking URI and environment resolution, system tags on new
//! runs, the batching writer for logging calls, and synchronous calls for everything else.
//!
//! Consistency: logging calls (`log_metric`, `log_param`, `set_tag`, `log_batch`) return once
//! the item is validated and queued. Every other call first waits for the queue to drain, so a
//! read sees what this client logged before it and a run is ended only after its data is written.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use crate::batcher::{failures_error, Batcher, BatcherOptions, CloseReport, Overflow};
use crate::context::RunContext;
use crate::entities::*;
use crate::error::{Error, ErrorKind, Result};
use crate::store::sqlite::CreateRun;
use crate::store::{RunWrite, SqliteStore, WriteFailure, WriteItem};
use crate::util::{absolute, now_ms};
use crate::{exit, tracking_uri, validation};

/// The tag MLflow's UI nests child runs by.
pub const PARENT_RUN_ID_TAG: &str = "mlflow.parentRunId";

/// How a client is opened. `Default` reads the environment like MLflow's client.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// `sqlite:///path`; `None` means `MLFLOW_TRACKING_URI`, else `sqlite:///mlflow.db`.
    pub tracking_uri: Option<String>,
    /// Where new experiments put artifacts; `None` means `./mlruns` made absolute.
    pub artifact_root: Option<String>,
    pub queue_capacity: usize,
    pub enqueue_timeout: Duration,
    pub overflow: Overflow,
    /// How long closing (explicitly, on drop, or at process exit) may take to write what is queued.
    pub close_timeout: Duration,
    /// How long a synchronous call waits for queued writes before it proceeds.
    pub flush_timeout: Duration,
    /// Overrides the detected source context (bindings that know the user's script set it).
    pub context: Option<RunContext>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        let batching = BatcherOptions::default();
        ClientOptions {
            tracking_uri: None,
            artifact_root: None,
            queue_capacity: batching.capacity,
            enqueue_timeout: batching.enqueue_timeout,
            overflow: batching.overflow,
            close_timeout: Duration::from_secs(30),
            flush_timeout: Duration::from_secs(60),
            context: None,
        }
    }
}

/// Options of a new run.
#[derive(Debug, Clone, Default)]
pub struct StartRun {
    /// `None`: `MLFLOW_EXPERIMENT_ID`, else `MLFLOW_EXPERIMENT_NAME` (created if missing), else "0".
    pub experiment_id: Option<String>,
    pub run_name: Option<String>,
    /// Makes this a nested run (tag `mlflow.parentRunId`).
    pub parent_run_id: Option<String>,
    pub tags: Vec<RunTag>,
    /// Milliseconds; `None` is now.
    pub start_time: Option<i64>,
}

pub(crate) struct ClientInner {
    pub(crate) store: Arc<SqliteStore>,
    batcher: Batcher,
    context: RunContext,
    tracking_uri: String,
    options: ClientOptions,
    /// Runs this client started and has not ended: ended as FINISHED at close/exit, as MLflow
    /// ends an active run at interpreter exit.
    open_runs: Mutex<HashSet<String>>,
}

/// A thread-safe MLflow client. Cloning shares the same store and writer.
#[derive(Clone)]
pub struct Client {
    inner: Arc<ClientInner>,
}

impl Client {
    /// Opens a client configured from the environment (MLFLOW_TRACKING_URI ...).
    pub fn from_env() -> Result<Client> {
        Client::open(ClientOptions::default())
    }

    pub fn open(options: ClientOptions) -> Result<Client> {
        let uri = tracking_uri::resolve(options.tracking_uri.as_deref())?;
        let location = tracking_uri::sqlite_location(&uri)?;
        let artifact_root = match &options.artifact_root {
            Some(r) if !r.is_empty() => r.clone(),
            _ => absolute(std::path::Path::new("mlruns")).to_string_lossy().into_owned(),
        };
        let store = Arc::new(SqliteStore::open(location, artifact_root)?);
        let batcher = Batcher::start(
            store.clone(),
            BatcherOptions {
                capacity: options.queue_capacity,
                enqueue_timeout: options.enqueue_timeout,
                overflow: options.overflow,
                ..BatcherOptions::default()
            },
        )?;
        let context = options.context.clone().unwrap_or_else(RunContext::detect);
        let inner = Arc::new(ClientInner {
            store,
            batcher,
            context,
            tracking_uri: uri,
            options,
            open_runs: Mutex::new(HashSet::new()),
        });
        exit::register(Arc::downgrade(&inner));
        Ok(Client { inner })
    }

    pub fn tracking_uri(&self) -> &str {
        &self.inner.tracking_uri
    }

    pub fn store(&self) -> &SqliteStore {
        &self.inner.store
    }

    // ---- experiments ---------------------------------------------------------------------

    pub fn create_experiment(
        &self,
        name: &str,
        artifact_location: Option<&str>,
        tags: &[ExperimentTag],
    ) -> Result<String> {
        self.sync()?;
        self.inner.store.create_experiment(name, artifact_location, tags)
    }

    pub fn get_experiment(&self, experiment_id: &str) -> Result<Experiment> {
        self.sync()?;
        self.inner.store.get_experiment(experiment_id)
    }

    pub fn get_experiment_by_name(&self, name: &str) -> Result<Option<Experiment>> {
        self.sync()?;
        self.inner.store.get_experiment_by_name(name)
    }

    pub fn search_experiments(
        &self,
        filter: &str,
        view: ViewType,
        max_results: i64,
        order_by: &[String],
        page_token: Option<&str>,
    ) -> Result<Page<Experiment>> {
        self.sync()?;
        self.inner.store.search_experiments(filter, view, max_results, order_by, page_token)
    }

    pub fn rename_experiment(&self, experiment_id: &str, new_name: &str) -> Result<()> {
        self.sync()?;
        self.inner.store.rename_experiment(experiment_id, new_name)
    }

    pub fn delete_experiment(&self, experiment_id: &str) -> Result<()> {
        self.sync()?;
        self.inner.store.delete_experiment(experiment_id)
    }

    pub fn restore_experiment(&self, experiment_id: &str) -> Result<()> {
        self.sync()?;
        self.inner.store.restore_experiment(experiment_id)
    }

    pub fn set_experiment_tag(&self, experiment_id: &str, key: &str, value: &str) -> Result<()> {
        self.sync()?;
        self.inner.store.set_experiment_tag(experiment_id, key, value)
    }

    pub fn delete_experiment_tag(&self, experiment_id: &str, key: &str) -> Result<()> {
        self.sync()?;
        self.inner.store.delete_experiment_tag(experiment_id, key)
    }

    /// The experiment a run goes to when none is named, as MLflow's client resolves it.
    pub fn default_experiment_id(&self) -> Result<String> {
        let by_id = env_nonempty("MLFLOW_EXPERIMENT_ID");
        let by_name = env_nonempty("MLFLOW_EXPERIMENT_NAME");
        match (by_id, by_name) {
            (Some(id), name) => {
                let exp = self.get_experiment(&id).map_err(|e| e.context("MLFLOW_EXPERIMENT_ID"))?;
                if let Some(name) = name {
                    if exp.name != name {
                        return Err(Error::invalid(format!(
                            "MLFLOW_EXPERIMENT_ID={id} names experiment '{}' but MLFLOW_EXPERIMENT_NAME is '{name}'; \
                             set one of them, or make them agree",
                            exp.name
                        )));
                    }
                }
                Ok(id)
            }
            (None, Some(name)) => match self.get_experiment_by_name(&name)? {
                Some(exp) => Ok(exp.experiment_id),
                None => match self.create_experiment(&name, None, &[]) {
                    Ok(id) => Ok(id),
                    // Another process created it between our look-up and insert.
                    Err(e) if e.kind() == ErrorKind::AlreadyExists => self
                        .get_experiment_by_name(&name)?
                        .map(|e| e.experiment_id)
                        .ok_or_else(|| Error::internal("experiment vanished after creation")),
                    Err(e) => Err(e),
                },
            },
            (None, None) => Ok("0".to_string()),
        }
    }

    // ---- runs ----------------------------------------------------------------------------

    /// Starts a run (or, the first time in a process where `MLFLOW_RUN_ID` is set and no
    /// experiment is named, resumes that run as MLflow's `start_run()` does).
    pub fn start_run(&self, req: StartRun) -> Result<ActiveRun> {
        if req.experiment_id.is_none() && req.parent_run_id.is_none() {
            if let Some(run_id) = take_env_run_id() {
                return self.resume_run(&run_id);
            }
        }
        let experiment_id = match req.experiment_id {
            Some(id) => id,
            None => self.default_experiment_id()?,
        };
        let mut tags = self.inner.context.tags();
        if let Some(parent) = &req.parent_run_id {
            validation::validate_run_id(parent)?;
            self.get_run(parent).map_err(|e| e.context("parent run"))?;
            tags.push(RunTag { key: PARENT_RUN_ID_TAG.into(), value: parent.clone() });
        }
        // The caller's tags override the system tags of the same key.
        for t in req.tags {
            tags.retain(|s| s.key != t.key);
            tags.push(t);
        }
        self.sync()?;
        let run = self.inner.store.create_run(&CreateRun {
            experiment_id,
            user_id: self.inner.context.user.clone(),
            start_time: req.start_time.unwrap_or_else(now_ms),
            tags,
            run_name: req.run_name,
        })?;
        Ok(self.active_run(run.info.run_id, true))
    }

    /// `MlflowClient.create_run` (and REST `runs/create`): a run with exactly the given tags — no
    /// system tags — that this client does not end by itself at close or exit. The user is
    /// `user_id`, else the `mlflow.user` tag, else "unknown", as MLflow's client decides it.
    pub fn create_run(
        &self,
        experiment_id: &str,
        run_name: Option<String>,
        start_time: Option<i64>,
        tags: Vec<RunTag>,
        user_id: Option<String>,
    ) -> Result<Run> {
        let user_id = user_id
            .or_else(|| tags.iter().find(|t| t.key == crate::context::USER_TAG).map(|t| t.value.clone()))
            .unwrap_or_else(|| "unknown".into());
        self.sync()?;
        self.inner.store.create_run(&CreateRun {
            experiment_id: experiment_id.to_string(),
            user_id,
            start_time: start_time.unwrap_or_else(now_ms),
            tags,
            run_name,
        })
    }

    /// Sets an existing run RUNNING again and returns a handle on it.
    pub fn resume_run(&self, run_id: &str) -> Result<ActiveRun> {
        validation::validate_run_id(run_id)?;
        self.sync()?;
        self.inner.store.update_run(run_id, Some(RunStatus::Running), None, None)?;
        Ok(self.active_run(run_id.to_string(), true))
    }

    /// A handle for logging to an existing run without changing its status; it is not ended
    /// at close or exit.
    pub fn attach_run(&self, run_id: &str) -> Result<ActiveRun> {
        validation::validate_run_id(run_id)?;
        self.get_run(run_id)?;
        Ok(self.active_run(run_id.to_string(), false))
    }

    fn active_run(&self, run_id: String, owned: bool) -> ActiveRun {
        if owned {
            if let Ok(mut open) = self.inner.open_runs.lock() {
                open.insert(run_id.clone());
            }
        }
        ActiveRun {
            client: self.clone(),
            run_id: Arc::from(run_id.as_str()),
            state: Arc::new(RunState { ended: AtomicBool::new(false), params: Mutex::new(HashMap::new()) }),
        }
    }

    /// The run is no longer this client's to end at close or exit (ended or deleted explicitly).
    fn forget_open_run(&self, run_id: &str) {
        if let Ok(mut open) = self.inner.open_runs.lock() {
            open.remove(run_id);
        }
    }

    pub fn get_run(&self, run_id: &str) -> Result<Run> {
        self.sync()?;
        self.inner.store.get_run(run_id)
    }

    /// Ends a run: waits until everything logged to it is written, then sets status and end time.
    pub fn end_run(&self, run_id: &str, status: RunStatus, end_time: Option<i64>) -> Result<RunInfo> {
        let flushed = self.sync();
        let info = self.inner.store.update_run(run_id, Some(status), Some(end_time.unwrap_or_else(now_ms)), None)?;
        self.forget_open_run(run_id);
        flushed.map(|_| info)
    }

    pub fn update_run(
        &self,
        run_id: &str,
        status: Option<RunStatus>,
        end_time: Option<i64>,
        run_name: Option<&str>,
    ) -> Result<RunInfo> {
        self.sync()?;
        let info = self.inner.store.update_run(run_id, status, end_time, run_name)?;
        // A run the caller ended explicitly is no longer this client's to end at close or exit
        // (closing would otherwise overwrite, say, FAILED with FINISHED).
        if status.is_some_and(RunStatus::is_terminal) {
            self.forget_open_run(run_id);
        }
        Ok(info)
    }

    pub fn delete_run(&self, run_id: &str) -> Result<()> {
        self.sync()?;
        self.inner.store.delete_run(run_id)?;
        // A deleted run is not ended at close or exit: MLflow refuses updates to deleted runs, and
        // close would report that refusal as lost data.
        self.forget_open_run(run_id);
        Ok(())
    }

    pub fn restore_run(&self, run_id: &str) -> Result<()> {
        self.sync()?;
        self.inner.store.restore_run(run_id)
    }

    pub fn delete_tag(&self, run_id: &str, key: &str) -> Result<()> {
        self.sync()?;
        self.inner.store.delete_tag(run_id, key)
    }

    pub fn search_runs(
        &self,
        experiment_ids: &[String],
        filter: &str,
        view: ViewType,
        max_results: i64,
        order_by: &[String],
        page_token: Option<&str>,
    ) -> Result<Page<Run>> {
        self.sync()?;
        self.inner.store.search_runs(experiment_ids, filter, view, max_results, order_by, page_token)
    }

    pub fn get_metric_history(
        &self,
        run_id: &str,
        key: &str,
        max_results: Option<i64>,
        page_token: Option<&str>,
    ) -> Result<Page<Metric>> {
        self.sync()?;
        self.inner.store.get_metric_history(run_id, key, max_results, page_token)
    }

    // ---- logging by run id (queued) -------------------------------------------------------

    pub fn log_metric(&self, run_id: &str, key: &str, value: f64, timestamp: Option<i64>, step: i64) -> Result<()> {
        validation::validate_run_id(run_id)?;
        self.enqueue(Arc::from(run_id), metric_item(key, value, timestamp, step)?)
    }

    pub fn log_param(&self, run_id: &str, key: &str, value: &str) -> Result<()> {
        validation::validate_run_id(run_id)?;
        self.enqueue(Arc::from(run_id), param_item(key, value)?)
    }

    pub fn set_tag(&self, run_id: &str, key: &str, value: &str) -> Result<()> {
        validation::validate_run_id(run_id)?;
        self.enqueue(Arc::from(run_id), tag_item(key, value)?)
    }

    /// Validates the whole batch as MLflow's log_batch does, then queues it as one message.
    pub fn log_batch(&self, run_id: &str, metrics: &[Metric], params: &[Param], tags: &[RunTag]) -> Result<()> {
        validation::validate_run_id(run_id)?;
        let writes = batch_items(&Arc::from(run_id), metrics, params, tags)?;
        self.inner.batcher.enqueue_many(writes)
    }

    fn enqueue(&self, run_id: Arc<str>, item: WriteItem) -> Result<()> {
        self.inner.batcher.enqueue(RunWrite { run_id, item })
    }

    // ---- lifecycle -----------------------------------------------------------------------

    /// Waits until everything logged so far is durable; reports items that failed.
    pub fn flush(&self, timeout: Duration) -> Result<()> {
        self.inner.batcher.flush(timeout)
    }

    /// Failures recorded by the writer and not reported yet (the caller takes them).
    pub fn take_write_failures(&self) -> Vec<WriteFailure> {
        self.inner.batcher.take_failures().0
    }

    /// Ends the runs this client started and left open (FINISHED), writes what is queued
    /// within `timeout`, stops the writer and reports what could not be written.
    pub fn close(&self, timeout: Duration) -> CloseReport {
        self.inner.close(timeout)
    }

    /// Queued items not yet written.
    pub fn pending_writes(&self) -> u64 {
        self.inner.batcher.pending()
    }

    /// Makes queued writes durable before a synchronous call (read-your-writes, ordering).
    fn sync(&self) -> Result<()> {
        // Also refuses a forked child: the store's connection is the parent's (README: fork()).
        self.inner.batcher.check_usable()?;
        if self.inner.batcher.pending() == 0 && !self.inner.batcher.has_failures() {
            return Ok(());
        }
        self.inner.batcher.flush(self.inner.options.flush_timeout)
    }
}

impl ClientInner {
    pub(crate) fn close_timeout(&self) -> Duration {
        self.options.close_timeout
    }

    pub(crate) fn close(&self, timeout: Duration) -> CloseReport {
        if self.batcher.is_closed() {
            return CloseReport::default();
        }
        if self.batcher.is_forked() {
            // A forked child (e.g. at its exit) must not end the parent's runs through the
            // parent's connection; the parent ends them itself.
            return self.batcher.close(timeout);
        }
        let open: Vec<String> = self.open_runs.lock().map(|mut s| s.drain().collect()).unwrap_or_default();
        let deadline = std::time::Instant::now() + timeout;
        let mut report_extra = Vec::new();
        if !open.is_empty() {
            // Their data first, then their status, as end_run does — all within the timeout.
            let _ = self.batcher.flush(timeout);
            for run_id in open {
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                if let Err(e) = self.store.end_run_within(&run_id, RunStatus::Finished, now_ms(), left) {
                    report_extra.push(WriteFailure { what: format!("ending run {run_id}"), error: e });
                }
            }
        }
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let mut report = self.batcher.close(left);
        report.failed += report_extra.len() as u64;
        report.failures.extend(report_extra);
        report
    }
}

impl Drop for ClientInner {
    fn drop(&mut self) {
        let timeout = self.options.close_timeout;
        self.close(timeout);
    }
}

struct RunState {
    ended: AtomicBool,
    /// Params logged through this handle, so a changed value is refused at the call.
    params: Mutex<HashMap<String, String>>,
}

/// A run being logged to. Cheap to clone; all clones share the ended state.
#[derive(Clone)]
pub struct ActiveRun {
    client: Client,
    run_id: Arc<str>,
    state: Arc<RunState>,
}

impl ActiveRun {
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    fn check_open(&self) -> Result<()> {
        if self.state.ended.load(Ordering::Acquire) {
            return Err(Error::with_code(
                ErrorKind::InvalidState,
                "INVALID_STATE",
                format!("run {} was already ended through this handle; start or resume a run to log more", self.run_id),
            ));
        }
        Ok(())
    }

    /// Queues one metric point (`timestamp` None = now). The hot path: validation and enqueue only.
    pub fn log_metric(&self, key: &str, value: f64, timestamp: Option<i64>, step: i64) -> Result<()> {
        self.check_open()?;
        self.client.enqueue(self.run_id.clone(), metric_item(key, value, timestamp, step)?)
    }

    pub fn log_param(&self, key: &str, value: &str) -> Result<()> {
        self.check_open()?;
        let item = param_item(key, value)?;
        if let WriteItem::Param(p) = &item {
            self.remember_param(p)?;
        }
        self.client.enqueue(self.run_id.clone(), item)
    }

    pub fn set_tag(&self, key: &str, value: &str) -> Result<()> {
        self.check_open()?;
        self.client.enqueue(self.run_id.clone(), tag_item(key, value)?)
    }

    pub fn log_batch(&self, metrics: &[Metric], params: &[Param], tags: &[RunTag]) -> Result<()> {
        self.check_open()?;
        let writes = batch_items(&self.run_id, metrics, params, tags)?;
        for w in &writes {
            if let WriteItem::Param(p) = &w.item {
                self.remember_param(p)?;
            }
        }
        self.client.inner.batcher.enqueue_many(writes)
    }

    fn remember_param(&self, p: &Param) -> Result<()> {
        let mut seen = self.state.params.lock().map_err(|_| Error::internal("param cache lock poisoned"))?;
        match seen.get(&p.key) {
            Some(old) if *old != p.value => Err(Error::invalid(format!(
                "Changing param values is not allowed. Param with key='{}' was already logged with value='{}' \
                 for run ID='{}'. Attempted logging new value '{}'.",
                p.key, old, self.run_id, p.value
            ))),
            Some(_) => Ok(()),
            None => {
                seen.insert(p.key.clone(), p.value.clone());
                Ok(())
            }
        }
    }

    /// Ends the run with `status` after its queued data is written. Reports (as an error) items
    /// logged to any run that failed to write; the run is ended all the same.
    pub fn end(&self, status: RunStatus) -> Result<RunInfo> {
        if self.state.ended.swap(true, Ordering::AcqRel) {
            return Err(Error::with_code(
                ErrorKind::InvalidState,
                "INVALID_STATE",
                format!("run {} was already ended", self.run_id),
            ));
        }
        self.client.end_run(&self.run_id, status, None)
    }

    pub fn is_ended(&self) -> bool {
        self.state.ended.load(Ordering::Acquire)
    }
}

fn metric_item(key: &str, value: f64, timestamp: Option<i64>, step: i64) -> Result<WriteItem> {
    let timestamp = timestamp.unwrap_or_else(now_ms);
    validation::validate_metric(key, value, timestamp, step)?;
    Ok(WriteItem::Metric(Metric { key: key.to_owned(), value, timestamp, step }))
}

fn param_item(key: &str, value: &str) -> Result<WriteItem> {
    validation::validate_param_key(key)?;
    let value = validation::truncate_param_value(key, value)?.into_owned();
    Ok(WriteItem::Param(Param { key: key.to_owned(), value }))
}

fn tag_item(key: &str, value: &str) -> Result<WriteItem> {
    validation::validate_tag_key(key)?;
    let value = validation::truncate_tag_value(key, value)?.into_owned();
    Ok(WriteItem::Tag(RunTag { key: key.to_owned(), value }))
}

/// Validates a log_batch request as MLflow does (limits, duplicate params, every key and value)
/// and turns it into queued writes: params, then metrics, then tags, MLflow's order.
fn batch_items(run_id: &Arc<str>, metrics: &[Metric], params: &[Param], tags: &[RunTag]) -> Result<Vec<RunWrite>> {
    validation::validate_batch_limits(metrics.len(), params.len(), tags.len())?;
    validation::validate_param_keys_unique(params)?;
    let mut writes = Vec::with_capacity(metrics.len() + params.len() + tags.len());
    for p in params {
        writes.push(RunWrite { run_id: run_id.clone(), item: param_item(&p.key, &p.value)? });
    }
    for m in metrics {
        writes
            .push(RunWrite { run_id: run_id.clone(), item: metric_item(&m.key, m.value, Some(m.timestamp), m.step)? });
    }
    for t in tags {
        writes.push(RunWrite { run_id: run_id.clone(), item: tag_item(&t.key, &t.value)? });
    }
    Ok(writes)
}

fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// `MLFLOW_RUN_ID` is honoured once per process (MLflow removes the variable after use; changing
/// the environment is not thread-safe in a native process, so we remember instead).
fn take_env_run_id() -> Option<String> {
    static CONSUMED: AtomicBool = AtomicBool::new(false);
    let id = env_nonempty("MLFLOW_RUN_ID")?;
    if CONSUMED.swap(true, Ordering::AcqRel) {
        return None;
    }
    Some(id)
}

/// Reports a close that left work undone as an error (for bindings whose close returns a status).
pub fn close_report_error(report: &CloseReport) -> Option<Error> {
    if report.is_clean() {
        return None;
    }
    let mut parts = Vec::new();
    if report.unwritten > 0 {
        parts.push(format!("{} queued item(s) were not written before the close timeout", report.unwritten));
    }
    if report.dropped > 0 {
        parts.push(format!("{} item(s) were dropped because the queue was full (drop policy)", report.dropped));
    }
    if report.failed > 0 {
        parts.push(failures_error(&report.failures, report.failed).message().to_string());
    }
    Some(Error::new(ErrorKind::WriteFailed, parts.join("; ")))
}

pub(crate) type WeakClient = Weak<ClientInner>;
