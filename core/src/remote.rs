//! A client's link to a tracking server: the REST store for calls that need the server's answer,
//! the spool and its delivery thread for everything logged, and local run ids for runs started
//! while the server cannot be reached (or in offline mode).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::batcher::failures_error;
use crate::entities::{RunStatus, RunTag};
use crate::error::{Error, ErrorKind, Result};
use crate::spool::courier::{create_run_body, create_run_once, with_server_parent, Courier};
use crate::spool::{spool_path, Delivery, SpoolFile, SpoolRecord, SpoolSink, CLIENT_RUN_ID_TAG};
use crate::store::rest::{FailureClass, RestStore};
use crate::store::{TrackingStore, WriteFailure, WriteSink};

/// How long `start_run` waits for the server to create a run before it starts the run in the
/// spool instead (a black-holed server must not hold training up for the full request timeout).
const QUICK_CREATE_TIMEOUT: Duration = Duration::from_secs(5);

/// A run to start on the server, or in the spool when the server cannot take it now.
pub(crate) struct RemoteStart {
    pub experiment_id: Option<String>,
    /// Used only when the id is unknown (offline with MLFLOW_EXPERIMENT_NAME): resolved at delivery.
    pub experiment_name: Option<String>,
    pub user_id: String,
    pub run_name: Option<String>,
    pub start_time: i64,
    pub tags: Vec<RunTag>,
}

pub(crate) struct Remote {
    pub rest: Arc<RestStore>,
    pub spool: Arc<SpoolFile>,
    /// None in offline mode: nothing is sent until a sync.
    pub delivery: Option<Arc<Delivery>>,
}

impl Remote {
    pub fn open(tracking_uri: &str, spool_dir: &Path, offline: bool) -> Result<Remote> {
        let rest = Arc::new(RestStore::new(tracking_uri)?);
        // Named after the normalised server URL, so `http://Host:5000/` and `http://host:5000` share one spool.
        let spool = Arc::new(SpoolFile::open(&spool_path(spool_dir, rest.base_url()))?);
        let delivery = if offline {
            None
        } else {
            let shared = Delivery::shared(spool.clone(), Courier::new(spool.clone(), rest.clone()));
            Some(Arc::new(Delivery::start(shared)?))
        };
        Ok(Remote { rest, spool, delivery })
    }

    pub fn sink(&self) -> Arc<dyn WriteSink> {
        Arc::new(SpoolSink { spool: self.spool.clone(), delivery: self.delivery.clone() })
    }

    pub fn is_offline(&self) -> bool {
        self.delivery.is_none()
    }

    /// Whether a call that needs the server should not even try (offline, or known down).
    pub fn unreachable(&self) -> bool {
        self.delivery.as_ref().is_none_or(|d| d.server_down())
    }

    /// Starts a run: on the server at once when it answers and nothing logged earlier is still
    /// waiting (which keeps the order); otherwise in the spool under a local id. The run carries
    /// the client-made id as a tag either way, so a create whose answer was lost is found again
    /// instead of being made twice.
    pub fn start_run(&self, req: RemoteStart) -> Result<String> {
        let local_id = uuid::Uuid::new_v4().simple().to_string();
        let mut tags = req.tags;
        tags.push(RunTag { key: CLIENT_RUN_ID_TAG.into(), value: local_id.clone() });
        let mut attempts = 0;
        if let (Some(experiment_id), false, 0) = (&req.experiment_id, self.unreachable(), self.spool.pending().0) {
            let server_tags = with_server_parent(&self.spool, tags.clone())?;
            let body =
                create_run_body(experiment_id, &req.user_id, req.run_name.as_deref(), req.start_time, &server_tags);
            match create_run_once(&self.rest, experiment_id, body, &local_id, false, Some(QUICK_CREATE_TIMEOUT)) {
                Ok(id) => return Ok(id),
                Err(f) if f.class == FailureClass::Fatal => return Err(f.error),
                // It may have been created before the failure: delivery looks it up first.
                Err(_) => attempts = 1,
            }
        }
        self.spool.register_local_run(&local_id)?;
        let record = SpoolRecord::CreateRun {
            local_id: local_id.clone(),
            experiment_id: req.experiment_id,
            experiment_name: req.experiment_name,
            user_id: req.user_id,
            run_name: req.run_name,
            start_time: req.start_time,
            tags,
        };
        self.spool.append_with_attempts(&[record], attempts)?;
        self.wake();
        Ok(local_id)
    }

    /// `MlflowClient.create_run` on the server, now (it returns the run), with MLflow's retry
    /// policy — and without the duplicate a retried `runs/create` could leave: the run carries a
    /// client-made id in its tags, looked up before every retry.
    pub fn create_run_now(&self, req: RemoteStart) -> Result<crate::entities::Run> {
        let experiment_id = req.experiment_id.clone().unwrap_or_else(|| "0".to_string());
        let local_id = uuid::Uuid::new_v4().simple().to_string();
        let mut tags = req.tags;
        tags.push(RunTag { key: CLIENT_RUN_ID_TAG.into(), value: local_id.clone() });
        let tags = with_server_parent(&self.spool, tags)?;
        let body = create_run_body(&experiment_id, &req.user_id, req.run_name.as_deref(), req.start_time, &tags);
        let mut attempts = 0;
        loop {
            attempts += 1;
            let failure = match create_run_once(&self.rest, &experiment_id, body.clone(), &local_id, attempts > 1, None)
            {
                Ok(id) => return self.rest.get_run(&id),
                Err(f) => f,
            };
            match self.rest.policy().after_failure(attempts, failure) {
                Ok(wait) => std::thread::sleep(wait),
                Err((error, false)) => return Err(error),
                Err((error, true)) => {
                    return Err(Error::with_code(
                        ErrorKind::Unavailable,
                        "TEMPORARILY_UNAVAILABLE",
                        format!("runs/create failed after {attempts} attempts: {}", error.message()),
                    ))
                }
            }
        }
    }

    /// Queues a status change after everything logged before it.
    pub fn end_run(&self, run_id: &str, status: RunStatus, end_time: i64) -> Result<()> {
        self.spool.append(&[SpoolRecord::UpdateRun { run_id: run_id.to_string(), status, end_time }])?;
        self.wake();
        Ok(())
    }

    fn wake(&self) {
        if let Some(d) = &self.delivery {
            d.wake();
        }
    }

    /// The server's id for `run_id` (a local id is translated once its run exists there).
    pub fn resolve_run_id(&self, run_id: &str) -> Result<String> {
        match self.spool.server_run_id(run_id)? {
            None => Ok(run_id.to_string()),
            Some(Some(server)) => Ok(server),
            Some(None) => Err(Error::with_code(
                ErrorKind::Unavailable,
                "TEMPORARILY_UNAVAILABLE",
                format!(
                    "run {run_id} was started while the tracking server could not be reached and is not on the \
                     server yet; its data is safe in the spool {} and is delivered when the server is back{}",
                    self.spool.path().display(),
                    if self.is_offline() {
                        " (offline mode: run the sync entry point, e.g. libmlflow-sync)"
                    } else {
                        ""
                    }
                ),
            )),
        }
    }

    /// Before a call that reads from the server: everything logged before it must be there.
    /// Does not wait for a server that cannot be reached; says so instead.
    pub fn before_server_call(&self, timeout: Duration) -> Result<()> {
        match &self.delivery {
            None => Err(Error::with_code(
                ErrorKind::Unavailable,
                "TEMPORARILY_UNAVAILABLE",
                format!(
                    "offline mode (LIBMLFLOW_OFFLINE): this call needs the tracking server at {}; logging works \
                     offline and is uploaded later by the sync entry point",
                    self.rest.base_url()
                ),
            )),
            Some(d) => {
                d.wait_delivered(timeout, true)?;
                self.failures_as_error()
            }
        }
    }

    /// Waits up to `timeout` for delivery (offline: the spool is the destination, nothing to wait for).
    pub fn flush(&self, timeout: Duration) -> Result<()> {
        if let Some(d) = &self.delivery {
            d.wait_delivered(timeout, false)?;
        }
        self.failures_as_error()
    }

    pub fn take_failures(&self) -> (Vec<WriteFailure>, u64) {
        self.delivery.as_ref().map(|d| d.take_failures()).unwrap_or_default()
    }

    fn failures_as_error(&self) -> Result<()> {
        let (records, count) = self.take_failures();
        if count == 0 {
            return Ok(());
        }
        Err(failures_error(&records, count).context("refused by the tracking server"))
    }

    /// Delivers until the spool is empty or `timeout` passes; returns the items left unsent
    /// (kept in the spool for the next client or a sync).
    pub fn close(&self, timeout: Duration) -> u64 {
        if let Some(d) = &self.delivery {
            d.close(timeout);
        }
        let unsent = self.spool.pending().1;
        // What is left is the next client's (or a sync's) to deliver, even in this process.
        self.spool.release_ownership();
        unsent
    }
}
