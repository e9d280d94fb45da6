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
use crate::remote::{Remote, RemoteStart};
use crate::store::rest::RestStore;
use crate::store::sqlite::CreateRun;
use crate::store::{
    LoggedModelStore, RegistryStore, RunWrite, SqliteStore, TrackingStore, WriteFailure, WriteItem, WriteSink,
};
use crate::tracking_uri::StoreKind;
use crate::util::{absolute, now_ms};
use crate::{exit, tracking_uri, validation};

/// The tag MLflow's UI nests child runs by.
pub const PARENT_RUN_ID_TAG: &str = "mlflow.parentRunId";

/// How a client is opened. `Default` reads the environment like MLflow's client.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// `sqlite:///path` or `http(s)://host:port` of a tracking server; `None` means
    /// `MLFLOW_TRACKING_URI`, else `sqlite:///mlflow.db`.
    pub tracking_uri: Option<String>,
    /// Where the model registry lives: `None` means `MLFLOW_REGISTRY_URI`, else the tracking URI
    /// (as MLflow's client resolves it).
    pub registry_uri: Option<String>,
    /// Tracking server only: where the spool of undelivered data lives; `None` means
    /// `LIBMLFLOW_SPOOL_DIR`, else `~/.local/share/libmlflow/spool` (see `spool::default_spool_dir`).
    pub spool_dir: Option<std::path::PathBuf>,
    /// Tracking server only: never contact the server, keep everything in the spool for a later
    /// sync. `None` means `LIBMLFLOW_OFFLINE` (true/1/yes).
    pub offline: Option<bool>,
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
            registry_uri: None,
            spool_dir: None,
            offline: None,
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
    pub(crate) store: Arc<dyn TrackingStore>,
    /// LoggedModels live in the tracking store (the same database or server).
    pub(crate) logged_models: Arc<dyn LoggedModelStore>,
    /// The model registry (the tracking store unless MLFLOW_REGISTRY_URI names another).
    pub(crate) registry: Arc<dyn RegistryStore>,
    registry_uri: String,
    /// Set for a tracking server: the spool, its delivery and local run ids.
    remote: Option<Arc<Remote>>,
    batcher: Batcher,
    context: RunContext,
    tracking_uri: String,
    options: ClientOptions,
    /// Runs this client started and has not ended: ended as FINISHED at close/exit, as MLflow
    /// ends an active run at interpreter exit.
    open_runs: Mutex<HashSet<String>>,
    /// Connections kept for artifact transfers (proxy endpoints, object stores).
    artifact_transports: crate::artifacts::Transports,
}

/// What a tracking URI opens: the store for calls, the sink for the batching writer, and for a
/// tracking server the spool side of it.
struct Backend {
    store: Arc<dyn TrackingStore>,
    sink: Arc<dyn WriteSink>,
    logged_models: Arc<dyn LoggedModelStore>,
    registry: Arc<dyn RegistryStore>,
    remote: Option<Arc<Remote>>,
}

impl Backend {
    fn open(uri: &str, options: &ClientOptions) -> Result<Backend> {
        Ok(match tracking_uri::classify(uri)? {
            StoreKind::Sqlite(location) => {
                let artifact_root = match &options.artifact_root {
                    Some(r) if !r.is_empty() => r.clone(),
                    _ => absolute(std::path::Path::new("mlruns")).to_string_lossy().into_owned(),
                };
                let sqlite = Arc::new(SqliteStore::open(location, artifact_root)?);
                Backend {
                    store: sqlite.clone(),
                    sink: sqlite.clone(),
                    logged_models: sqlite.clone(),
                    registry: sqlite,
                    remote: None,
                }
            }
            StoreKind::Rest => {
                let dir = options.spool_dir.clone().unwrap_or_else(crate::spool::default_spool_dir);
                let offline = options.offline.unwrap_or_else(|| env_flag("LIBMLFLOW_OFFLINE"));
                let remote = Arc::new(Remote::open(uri, &dir, offline)?);
                Backend {
                    store: remote.rest.clone(),
                    sink: remote.sink(),
                    logged_models: remote.rest.clone(),
                    registry: remote.rest.clone(),
                    remote: Some(remote),
                }
            }
        })
    }
}

/// A registry at another URI than the tracking store (MLFLOW_REGISTRY_URI): its own store,
/// without a spool (registry calls are synchronous everywhere).
fn open_registry(uri: &str, options: &ClientOptions) -> Result<Arc<dyn RegistryStore>> {
    Ok(match tracking_uri::classify(uri)? {
        StoreKind::Sqlite(location) => {
            let root = options.artifact_root.clone().filter(|r| !r.is_empty());
            let root = root.unwrap_or_else(|| absolute(std::path::Path::new("mlruns")).to_string_lossy().into_owned());
            Arc::new(SqliteStore::open(location, root)?)
        }
        StoreKind::Rest => Arc::new(RestStore::new(uri)?),
    })
}

/// A thread-safe MLflow client. Cloning shares the same store and writer.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<ClientInner>,
}

impl Client {
    /// Opens a client configured from the environment (MLFLOW_TRACKING_URI ...).
    pub fn from_env() -> Result<Client> {
        Client::open(ClientOptions::default())
    }

    pub fn open(options: ClientOptions) -> Result<Client> {
        let uri = tracking_uri::resolve(options.tracking_uri.as_deref())?;
        let Backend { store, sink, logged_models, registry, remote } = Backend::open(&uri, &options)?;
        let registry_uri = options
            .registry_uri
            .clone()
            .filter(|u| !u.is_empty())
            .or_else(|| env_nonempty("MLFLOW_REGISTRY_URI"))
            .unwrap_or_else(|| uri.clone());
        let registry = if registry_uri == uri { registry } else { open_registry(&registry_uri, &options)? };
        let batcher = Batcher::start(
            sink,
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
            logged_models,
            registry,
            registry_uri,
            remote,
            batcher,
            context,
            tracking_uri: uri,
            options,
            open_runs: Mutex::new(HashSet::new()),
            artifact_transports: crate::artifacts::Transports::default(),
        });
        exit::register(Arc::downgrade(&inner));
        Ok(Client { inner })
    }

    pub fn tracking_uri(&self) -> &str {
        &self.inner.tracking_uri
    }

    /// The model registry's URI (MLFLOW_REGISTRY_URI, else the tracking URI).
    pub fn registry_uri(&self) -> &str {
        &self.inner.registry_uri
    }

    /// The source-context tags (`mlflow.user`, `mlflow.source.*`) this client gives new runs and
    /// logged models.
    pub(crate) fn context_tags(&self) -> Vec<RunTag> {
        self.inner.context.tags()
    }

    /// The connections this client keeps for artifact transfers.
    pub(crate) fn artifact_transports(&self) -> &crate::artifacts::Transports {
        &self.inner.artifact_transports
    }

    /// The store behind this client (sqlite, or the tracking server's REST API). Calls on it
    /// bypass the queue and the spool.
    pub fn store(&self) -> &dyn TrackingStore {
        &*self.inner.store
    }

    /// Whether this client talks to a tracking server (and so has a spool).
    pub fn is_remote(&self) -> bool {
        self.inner.remote.is_some()
    }

    /// For a run started while the server could not be reached: the id the server gave it once
    /// delivered (`None` while it waits in the spool, and for ids that are not local).
    pub fn server_run_id(&self, run_id: &str) -> Result<Option<String>> {
        Ok(self.run_id_mapping(run_id)?.and_then(|m| m.server_id))
    }

    /// The spool's record of `run_id` if it is a local id (a run started while the server could
    /// not be reached): its server id once delivered. `None` for ids that are not local.
    pub fn run_id_mapping(&self, run_id: &str) -> Result<Option<crate::spool::RunIdMapping>> {
        match &self.inner.remote {
            Some(r) => Ok(r
                .spool
                .server_run_id(run_id)?
                .map(|server_id| crate::spool::RunIdMapping { local_id: run_id.to_string(), server_id })),
            None => Ok(None),
        }
    }

    /// Every run started locally through this client's spool file, with its server id once known.
    pub fn run_id_mappings(&self) -> Result<Vec<crate::spool::RunIdMapping>> {
        match &self.inner.remote {
            Some(r) => r.spool.run_id_mappings(),
            None => Ok(Vec::new()),
        }
    }

    /// The spool file of a tracking-server client.
    pub fn spool_path(&self) -> Option<std::path::PathBuf> {
        self.inner.remote.as_ref().map(|r| r.spool.path().to_path_buf())
    }

    /// A run id as the store knows it: a local id of a run created on the server is translated.
    pub(crate) fn store_run_id(&self, run_id: &str) -> Result<String> {
        match &self.inner.remote {
            Some(r) => r.resolve_run_id(run_id),
            None => Ok(run_id.to_string()),
        }
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
        if let Some(remote) = self.inner.remote.clone() {
            return self.start_remote_run(&remote, req);
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
        merge_tags(&mut tags, req.tags);
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

    /// `start_run` on a tracking server: never waits for a server that cannot be reached — the run
    /// then starts in the spool under a local id (see [`Remote::start_run`]).
    fn start_remote_run(&self, remote: &Remote, req: StartRun) -> Result<ActiveRun> {
        self.inner.batcher.check_usable()?;
        let (experiment_id, experiment_name) = match req.experiment_id {
            Some(id) => (Some(id), None),
            None if remote.unreachable() => offline_default_experiment(),
            None => match self.default_experiment_id() {
                Ok(id) => (Some(id), None),
                Err(e) if e.kind() == ErrorKind::Unavailable => offline_default_experiment(),
                Err(e) => return Err(e),
            },
        };
        let mut tags = self.inner.context.tags();
        if let Some(parent) = &req.parent_run_id {
            validation::validate_run_id(parent)?;
            // A parent that is itself waiting in the spool, or a server that cannot be reached
            // now, cannot be checked; the server checks nothing either (the tag is just a tag).
            let local_parent = remote.spool.server_run_id(parent)?.is_some();
            if !local_parent && !remote.unreachable() {
                match self.get_run(parent) {
                    Ok(_) => {}
                    Err(e) if e.kind() == ErrorKind::Unavailable => {}
                    Err(e) => return Err(e.context("parent run")),
                }
            }
            tags.push(RunTag { key: PARENT_RUN_ID_TAG.into(), value: parent.clone() });
        }
        merge_tags(&mut tags, req.tags);
        // Items queued before this run stay before it in the spool.
        self.inner.batcher.flush(self.inner.options.flush_timeout)?;
        let run_id = remote.start_run(RemoteStart {
            experiment_id,
            experiment_name,
            user_id: self.inner.context.user.clone(),
            run_name: req.run_name,
            start_time: req.start_time.unwrap_or_else(now_ms),
            tags,
        })?;
        Ok(self.active_run(run_id, true))
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
        if let Some(remote) = &self.inner.remote {
            return remote.create_run_now(RemoteStart {
                experiment_id: Some(experiment_id.to_string()),
                experiment_name: None,
                user_id,
                run_name,
                start_time: start_time.unwrap_or_else(now_ms),
                tags,
            });
        }
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
        self.inner.store.update_run(&self.store_run_id(run_id)?, Some(RunStatus::Running), None, None)?;
        Ok(self.active_run(run_id.to_string(), true))
    }

    /// A handle for logging to an existing run without changing its status; it is not ended
    /// at close or exit.
    pub fn attach_run(&self, run_id: &str) -> Result<ActiveRun> {
        validation::validate_run_id(run_id)?;
        let unverifiable = match &self.inner.remote {
            // A run waiting in the spool, or a server that cannot be asked now: the data waits
            // in the spool either way and a wrong id is reported when it is delivered.
            Some(r) => r.unreachable() || r.spool.server_run_id(run_id)?.is_some(),
            None => false,
        };
        if !unverifiable {
            self.get_run(run_id)?;
        }
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
        self.inner.store.get_run(&self.store_run_id(run_id)?)
    }

    /// Ends a run: waits until everything logged to it is written, then sets status and end time.
    /// Returns the ended run's info — or, on a tracking server that cannot be reached now, `None`:
    /// the end then waits in the spool behind the run's data and is delivered with it.
    pub fn end_run(&self, run_id: &str, status: RunStatus, end_time: Option<i64>) -> Result<Option<RunInfo>> {
        let end_time = end_time.unwrap_or_else(now_ms);
        if let Some(remote) = &self.inner.remote {
            self.inner.batcher.check_usable()?;
            let queued = self.inner.batcher.flush(self.inner.options.flush_timeout);
            remote.end_run(run_id, status, end_time)?;
            self.forget_open_run(run_id);
            queued?;
            return match remote.before_server_call(self.inner.options.flush_timeout) {
                Ok(()) => Ok(Some(self.inner.store.get_run(&self.store_run_id(run_id)?)?.info)),
                Err(e) if e.kind() == ErrorKind::Unavailable => Ok(None),
                Err(e) => Err(e),
            };
        }
        let flushed = self.sync();
        let info = self.inner.store.update_run(run_id, Some(status), Some(end_time), None)?;
        self.forget_open_run(run_id);
        flushed.map(|_| Some(info))
    }

    pub fn update_run(
        &self,
        run_id: &str,
        status: Option<RunStatus>,
        end_time: Option<i64>,
        run_name: Option<&str>,
    ) -> Result<RunInfo> {
        self.sync()?;
        let info = self.inner.store.update_run(&self.store_run_id(run_id)?, status, end_time, run_name)?;
        // A run the caller ended explicitly is no longer this client's to end at close or exit
        // (closing would otherwise overwrite, say, FAILED with FINISHED).
        if status.is_some_and(RunStatus::is_terminal) {
            self.forget_open_run(run_id);
        }
        Ok(info)
    }

    pub fn delete_run(&self, run_id: &str) -> Result<()> {
        self.sync()?;
        self.inner.store.delete_run(&self.store_run_id(run_id)?)?;
        // A deleted run is not ended at close or exit: MLflow refuses updates to deleted runs, and
        // close would report that refusal as lost data.
        self.forget_open_run(run_id);
        Ok(())
    }

    pub fn restore_run(&self, run_id: &str) -> Result<()> {
        self.sync()?;
        self.inner.store.restore_run(&self.store_run_id(run_id)?)
    }

    pub fn delete_tag(&self, run_id: &str, key: &str) -> Result<()> {
        self.sync()?;
        self.inner.store.delete_tag(&self.store_run_id(run_id)?, key)
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
        self.inner.store.get_metric_history(&self.store_run_id(run_id)?, key, max_results, page_token)
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

    /// Waits until everything logged so far is durable — for a tracking server, delivered to it
    /// (an `Unavailable` error after `timeout` says what still waits in the spool) — and reports
    /// items that failed.
    pub fn flush(&self, timeout: Duration) -> Result<()> {
        let start = std::time::Instant::now();
        self.inner.batcher.flush(timeout)?;
        match &self.inner.remote {
            Some(r) => r.flush(timeout.saturating_sub(start.elapsed())),
            None => Ok(()),
        }
    }

    /// Failures recorded by the writer (and the delivery) and not reported yet (the caller takes them).
    pub fn take_write_failures(&self) -> Vec<WriteFailure> {
        let mut failures = self.inner.batcher.take_failures().0;
        if let Some(r) = &self.inner.remote {
            failures.extend(r.take_failures().0);
        }
        failures
    }

    /// Ends the runs this client started and left open (FINISHED), writes what is queued
    /// within `timeout`, stops the writer and reports what could not be written.
    pub fn close(&self, timeout: Duration) -> CloseReport {
        self.inner.close(timeout)
    }

    /// Queued items not yet written (for a tracking server: not yet in the spool).
    pub fn pending_writes(&self) -> u64 {
        self.inner.batcher.pending()
    }

    /// Tracking server only: logged items in the spool not yet delivered (0 otherwise).
    pub fn undelivered(&self) -> u64 {
        self.inner.remote.as_ref().map_or(0, |r| r.spool.pending().1)
    }

    /// Makes queued writes durable before a synchronous call (read-your-writes, ordering).
    pub(crate) fn sync(&self) -> Result<()> {
        // Also refuses a forked child: the store's connection is the parent's (README: fork()).
        self.inner.batcher.check_usable()?;
        if self.inner.batcher.pending() > 0 || self.inner.batcher.has_failures() {
            self.inner.batcher.flush(self.inner.options.flush_timeout)?;
        }
        match &self.inner.remote {
            Some(r) => r.before_server_call(self.inner.options.flush_timeout),
            None => Ok(()),
        }
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
                let ended = match &self.remote {
                    Some(r) => r.end_run(&run_id, RunStatus::Finished, now_ms()),
                    None => self.store.end_run_within(&run_id, RunStatus::Finished, now_ms(), left),
                };
                if let Err(e) = ended {
                    report_extra.push(WriteFailure { what: format!("ending run {run_id}"), error: e });
                }
            }
        }
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let mut report = self.batcher.close(left);
        if let Some(r) = &self.remote {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            report.unsent = r.close(left);
            let (failures, failed) = r.take_failures();
            report.failed += failed;
            report.failures.extend(failures);
        }
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
    /// `Ok(None)` when the end waits in the spool for an unreachable tracking server (see `Client::end_run`).
    pub fn end(&self, status: RunStatus) -> Result<Option<RunInfo>> {
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

/// The caller's tags override the system tags of the same key.
fn merge_tags(tags: &mut Vec<RunTag>, overrides: Vec<RunTag>) {
    for t in overrides {
        tags.retain(|s| s.key != t.key);
        tags.push(t);
    }
}

/// The default experiment when the server cannot be asked: `MLFLOW_EXPERIMENT_ID` as given,
/// else `MLFLOW_EXPERIMENT_NAME` resolved (or created) at delivery, else "0".
fn offline_default_experiment() -> (Option<String>, Option<String>) {
    match (env_nonempty("MLFLOW_EXPERIMENT_ID"), env_nonempty("MLFLOW_EXPERIMENT_NAME")) {
        (Some(id), _) => (Some(id), None),
        (None, Some(name)) => (None, Some(name)),
        (None, None) => (Some("0".to_string()), None),
    }
}

/// A boolean environment variable as MLflow reads them (`true`/`1`/`yes`, any case).
fn env_flag(name: &str) -> bool {
    env_nonempty(name).is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes"))
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
