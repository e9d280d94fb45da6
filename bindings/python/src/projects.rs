//! MLflow Projects for Python: `mlflow.projects.run` over the core's project runner. The native
//! side only submits (never waits): the Python layer waits in short slices so Ctrl-C reaches it
//! (MLflow cancels the run on KeyboardInterrupt) and raises `ExecutionException` itself.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use mlflow_core::projects::{self, EnvManager, ProjectRun, SubmittedRun};

use crate::client::{KeyValue, NativeClient};
use crate::error::NativeResult;

/// The arguments of `mlflow.projects.run` the local backend uses (the Python layer refuses the
/// others). Parameter values arrive already as strings (`str(value)`, as MLflow formats them).
#[derive(uniffi::Record)]
pub struct ProjectRunOptions {
    pub uri: String,
    pub entry_point: String,
    pub version: Option<String>,
    pub parameters: Vec<KeyValue>,
    pub experiment_name: Option<String>,
    pub experiment_id: Option<String>,
    pub storage_dir: Option<String>,
    pub run_id: Option<String>,
    pub run_name: Option<String>,
    pub parent_run_id: Option<String>,
    pub env_manager: Option<String>,
}

impl ProjectRunOptions {
    fn into_request(self) -> NativeResult<ProjectRun> {
        let env_manager = match self.env_manager {
            Some(name) => Some(name.parse::<EnvManager>()?),
            None => None,
        };
        Ok(ProjectRun {
            uri: self.uri,
            entry_point: self.entry_point,
            version: self.version,
            parameters: self.parameters.into_iter().map(|p| (p.key, p.value)).collect(),
            experiment_name: self.experiment_name,
            experiment_id: self.experiment_id,
            storage_dir: self.storage_dir.map(PathBuf::from),
            run_id: self.run_id,
            run_name: self.run_name,
            parent_run_id: self.parent_run_id,
            env_manager,
            // Waiting is the Python layer's (see the module comment).
            synchronous: false,
            env_root: None,
        })
    }
}

/// A launched entry point. Dropping it never stops the process: the core's watcher thread still
/// ends the run when the process exits.
#[derive(uniffi::Object)]
pub struct NativeSubmittedRun {
    run: SubmittedRun,
}

#[uniffi::export]
impl NativeClient {
    /// Checks the project, entry point, parameters and environment (an error here creates no
    /// run), creates and tags the run, and starts the entry point without waiting for it.
    pub fn submit_project(&self, options: ProjectRunOptions) -> NativeResult<Arc<NativeSubmittedRun>> {
        let request = options.into_request()?;
        Ok(Arc::new(NativeSubmittedRun { run: projects::submit(self.core(), &request)? }))
    }
}

#[uniffi::export]
impl NativeSubmittedRun {
    pub fn run_id(&self) -> String {
        self.run.run_id().to_string()
    }

    /// Waits at most `timeout_ms` for the run to end: its status (FINISHED, FAILED, KILLED), or
    /// None while it is still going. An error means the end could not be recorded.
    pub fn wait_timeout(&self, timeout_ms: u64) -> NativeResult<Option<String>> {
        let status = self.run.wait_timeout(Duration::from_millis(timeout_ms))?;
        Ok(status.map(|s| s.as_str().to_string()))
    }

    /// RUNNING, then FINISHED / FAILED / KILLED by the process's exit.
    pub fn get_status(&self) -> String {
        self.run.get_status().as_str().to_string()
    }

    /// Stops the process group (SIGTERM, SIGKILL after a grace period) and waits for the run to
    /// be ended KILLED; a run already ended keeps its status, which is returned.
    pub fn cancel(&self) -> NativeResult<String> {
        Ok(self.run.cancel()?.as_str().to_string())
    }

    /// The exit code of the entry point's shell (None while running or when killed by a signal).
    pub fn exit_code(&self) -> Option<i32> {
        self.run.exit_code()
    }

    /// The shell line run, with parameters substituted.
    pub fn command(&self) -> String {
        self.run.command().to_string()
    }

    /// The process id of the entry point's shell (also its process group).
    pub fn pid(&self) -> i32 {
        self.run.pid()
    }
}
