//! MLflow Projects, natively: `mlflow.projects.run` / `mlflow run` for the local backend. A
//! project (a directory or a git URI with an `MLproject` file) is fetched, its entry point and
//! parameters are checked, an environment is made ready, a run is created and tagged as MLflow
//! tags it, and the entry point runs with `MLFLOW_RUN_ID`, `MLFLOW_TRACKING_URI` and
//! `MLFLOW_EXPERIMENT_ID` set, so code inside (libmlflow or MLflow's Python client) logs into it.
//!
//! Unlike MLflow, every check that can be made before the run exists is made first (project,
//! entry point, parameters, environment, the command's program), and any later failure ends the
//! run FAILED: no error leaves a run RUNNING.

pub mod env;
pub mod fetch;
pub mod launch;
pub mod params;
pub mod spec;
pub mod submitted;

use std::path::{Path, PathBuf};

use crate::client::{Client, PARENT_RUN_ID_TAG};
use crate::context::{GIT_BRANCH_TAG, GIT_COMMIT_TAG, GIT_REPO_URL_TAG, SOURCE_NAME_TAG, SOURCE_TYPE_TAG, USER_TAG};
use crate::entities::{Param, RunStatus, RunTag};
use crate::error::{Error, ErrorKind, Result};

pub use env::{EnvManager, PythonEnv};
pub use fetch::FetchedProject;
pub use spec::{load_project, DockerEnv, DockerEnvVar, EntryPoint, Parameter, Project, ProjectEnv};
pub use submitted::SubmittedRun;

/// Tag names `mlflow run` writes (`mlflow.utils.mlflow_tags`).
pub const PROJECT_ENTRY_POINT_TAG: &str = "mlflow.project.entryPoint";
pub const PROJECT_ENV_TAG: &str = "mlflow.project.env";
pub const PROJECT_BACKEND_TAG: &str = "mlflow.project.backend";
pub const SOURCE_TYPE_PROJECT: &str = "PROJECT";

/// The arguments of `mlflow.projects.run` (local backend).
#[derive(Debug, Clone)]
pub struct ProjectRun {
    /// A directory, `file://` URI, or git URI (`https://…`, `ssh://…`, `user@host:path`, a bare
    /// repository path), with an optional `#subdir`.
    pub uri: String,
    /// An entry point of the MLproject, or a `.py` / `.sh` / `.R` file of the project.
    pub entry_point: String,
    /// Git commit, tag or branch to check out (git projects only).
    pub version: Option<String>,
    /// `-P key=value` in order; later values of a repeated key win.
    pub parameters: Vec<(String, String)>,
    pub experiment_name: Option<String>,
    pub experiment_id: Option<String>,
    /// Where `path` parameters given as remote URIs are downloaded (default: a temporary directory).
    pub storage_dir: Option<PathBuf>,
    /// Run in an existing run instead of creating one (MLflow then adds no source tags or params).
    pub run_id: Option<String>,
    pub run_name: Option<String>,
    /// Nests the new run under this one (MLflow uses the active run of the calling process).
    pub parent_run_id: Option<String>,
    /// `None`: MLflow's default, `virtualenv` for Python projects (`conda` for conda ones).
    pub env_manager: Option<EnvManager>,
    /// Wait for the entry point to finish (and return an error if it failed).
    pub synchronous: bool,
    /// The cache of virtual environments (default [`env::default_env_root`]).
    pub env_root: Option<PathBuf>,
}

impl Default for ProjectRun {
    fn default() -> Self {
        ProjectRun {
            uri: String::new(),
            entry_point: "main".into(),
            version: None,
            parameters: Vec::new(),
            experiment_name: None,
            experiment_id: None,
            storage_dir: None,
            run_id: None,
            run_name: None,
            parent_run_id: None,
            env_manager: None,
            synchronous: true,
            env_root: None,
        }
    }
}

impl ProjectRun {
    pub fn new(uri: impl Into<String>) -> Self {
        ProjectRun { uri: uri.into(), ..ProjectRun::default() }
    }
}

/// Everything checked and ready before a run is created.
struct Plan {
    /// False when running in an existing run.
    log_params: bool,
    logged_params: Vec<(String, String)>,
    env_tag: Option<&'static str>,
    shell_line: String,
    experiment_id: String,
}

/// Runs a project as `mlflow run` does. Synchronous: waits and returns the finished run's handle,
/// or an error if the entry point failed (the run is then FAILED). Otherwise returns at once.
pub fn run(client: &Client, request: &ProjectRun) -> Result<SubmittedRun> {
    let submitted = submit(client, request)?;
    if request.synchronous {
        let status = submitted.wait()?;
        if status != RunStatus::Finished {
            return Err(submitted::failed_error(&submitted, status));
        }
    }
    Ok(submitted)
}

/// Starts a project run without waiting for it (`synchronous` is ignored).
pub fn submit(client: &Client, request: &ProjectRun) -> Result<SubmittedRun> {
    let cwd =
        std::env::current_dir().map_err(|e| Error::internal(format!("cannot read the current directory: {e}")))?;
    let fetched = fetch::fetch_project(&request.uri, request.version.as_deref(), &cwd)?;
    let plan = plan(client, request, &fetched, &cwd);
    let run_id = plan.and_then(|plan| Ok((create_run(client, request, &fetched, &plan.experiment_id)?, plan)));
    let (run_id, plan) = match run_id {
        Ok(created) => created,
        Err(e) => {
            fetched.remove_clone();
            return Err(e);
        }
    };
    // From here on a failure ends the run FAILED.
    let launched = record_and_launch(client, &run_id, &plan, &fetched.directory);
    match launched {
        Ok(child) => match SubmittedRun::watch(client.clone(), run_id.clone(), child, plan.shell_line, fetched) {
            Ok(submitted) => Ok(submitted),
            Err(e) => {
                let _ = submitted::end_unless_ended(client, &run_id, RunStatus::Failed);
                Err(e.context(format!("run {run_id} was ended FAILED")))
            }
        },
        Err(e) => {
            fetched.remove_clone();
            let ended = submitted::end_unless_ended(client, &run_id, RunStatus::Failed);
            Err(match ended {
                Ok(()) => e.context(format!("run {run_id} was ended FAILED")),
                Err(end) => e.context(format!("run {run_id} could not be ended FAILED either ({end})")),
            })
        }
    }
}

fn plan(client: &Client, request: &ProjectRun, fetched: &FetchedProject, cwd: &Path) -> Result<Plan> {
    let project = load_project(&fetched.directory)?;
    let entry_point = project.entry_point(&request.entry_point)?;
    let mut resolved = params::resolve(&entry_point, &request.parameters, cwd)?;
    let logged_params = resolved.logged();
    for (key, _) in &logged_params {
        crate::validation::validate_param_key(key).map_err(|e| e.context(format!("parameter '{key}'")))?;
    }
    let manager = env::choose_manager(&project, request.env_manager)?;
    // The command is checked (placeholders) before anything is downloaded or built.
    params::compute_command(&entry_point, &resolved)?;
    let experiment_id = resolve_experiment(client, request)?;
    if let Some(run_id) = &request.run_id {
        client.get_run(run_id).map_err(|e| e.context("run_id"))?;
    }
    let env_root = request.env_root.clone().unwrap_or_else(env::default_env_root);
    let prepared = env::prepare(&project, manager, &env_root)?;
    download_path_params(client, &mut resolved, request.storage_dir.as_deref())?;
    let command = params::compute_command(&entry_point, &resolved)?;
    launch::check_program(&command, &fetched.directory, prepared.bin_dir.as_deref(), &entry_point.name)?;
    let shell_line = launch::shell_line(prepared.activate.as_deref(), &command);
    Ok(Plan {
        log_params: request.run_id.is_none(),
        logged_params,
        env_tag: prepared.env_tag,
        shell_line,
        experiment_id,
    })
}

/// MLflow's `_resolve_experiment_id`: the id, else the name (created if missing), else the default.
fn resolve_experiment(client: &Client, request: &ProjectRun) -> Result<String> {
    match (&request.experiment_id, &request.experiment_name) {
        (Some(_), Some(_)) => Err(Error::invalid("Specify only one of 'experiment_name' or 'experiment_id'.")),
        (Some(id), None) => Ok(client.get_experiment(id)?.experiment_id),
        (None, Some(name)) => match client.get_experiment_by_name(name)? {
            Some(exp) => Ok(exp.experiment_id),
            None => match client.create_experiment(name, None, &[]) {
                Err(e) if e.kind() == ErrorKind::AlreadyExists => client
                    .get_experiment_by_name(name)?
                    .map(|e| e.experiment_id)
                    .ok_or_else(|| Error::internal("experiment vanished after creation")),
                other => other,
            },
        },
        (None, None) => client.default_experiment_id(),
    }
}

/// `path` parameters given as remote URIs are downloaded into `<storage>/param_<index>`.
fn download_path_params(
    client: &Client,
    resolved: &mut params::ResolvedParams,
    storage_dir: Option<&Path>,
) -> Result<()> {
    if resolved.declared.iter().all(|p| p.download.is_none()) {
        return Ok(());
    }
    let base = match storage_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| Error::storage(format!("{}: {e}", dir.display())))?;
            dir.to_path_buf()
        }
        None => std::env::temp_dir(),
    };
    let storage = temp_dir_in(&base, "libmlflow-params-")?;
    for (index, p) in resolved.declared.iter_mut().enumerate() {
        let Some(uri) = p.download.clone() else { continue };
        let target = storage.join(format!("param_{index}"));
        let local = client
            .download_artifacts(None, None, Some(&uri), Some(&target), None)
            .map_err(|e| e.context(format!("downloading parameter {} ({uri})", p.name)))?;
        p.value = local.to_string_lossy().into_owned();
    }
    Ok(())
}

fn create_run(client: &Client, request: &ProjectRun, fetched: &FetchedProject, experiment_id: &str) -> Result<String> {
    if let Some(run_id) = &request.run_id {
        return Ok(run_id.clone());
    }
    let user = crate::context::RunContext::for_source(fetched.directory.to_string_lossy()).user;
    let mut tags = vec![
        RunTag { key: USER_TAG.into(), value: user.clone() },
        RunTag { key: SOURCE_NAME_TAG.into(), value: fetched.source_name.clone() },
        RunTag { key: SOURCE_TYPE_TAG.into(), value: SOURCE_TYPE_PROJECT.into() },
        RunTag { key: PROJECT_ENTRY_POINT_TAG.into(), value: request.entry_point.clone() },
    ];
    let optional = [
        (GIT_COMMIT_TAG, fetched.git_commit.clone()),
        (PARENT_RUN_ID_TAG, request.parent_run_id.clone()),
        (GIT_REPO_URL_TAG, fetched.git_repo_url.clone()),
        (GIT_BRANCH_TAG, fetched.git_branch.clone()),
    ];
    tags.extend(optional.into_iter().filter_map(|(k, v)| v.map(|value| RunTag { key: k.into(), value })));
    let run = client.create_run(experiment_id, request.run_name.clone(), None, tags, Some(user))?;
    Ok(run.info.run_id)
}

fn record_and_launch(client: &Client, run_id: &str, plan: &Plan, work_dir: &Path) -> Result<std::process::Child> {
    let params: Vec<Param> =
        plan.logged_params.iter().map(|(k, v)| Param { key: k.clone(), value: v.clone() }).collect();
    let mut tags = Vec::new();
    if let Some(env_tag) = plan.env_tag {
        tags.push(RunTag { key: PROJECT_ENV_TAG.into(), value: env_tag.into() });
    }
    tags.push(RunTag { key: PROJECT_BACKEND_TAG.into(), value: "local".into() });
    // In an existing run (`run_id`) MLflow logs no parameters: whoever created it did.
    let params = if plan.log_params { params } else { Vec::new() };
    for chunk in params.chunks(100) {
        client.log_batch(run_id, &[], chunk, &[])?;
    }
    client.log_batch(run_id, &[], &[], &tags)?;
    // Written before the child starts, so what it reads (or overwrites) is in place.
    client.sync()?;
    let run_env = launch::RunEnv {
        run_id: run_id.to_string(),
        tracking_uri: launch::child_tracking_uri(client.tracking_uri()),
        experiment_id: plan.experiment_id.clone(),
    };
    launch::spawn(&plan.shell_line, work_dir, &run_env)
}

/// A new, empty directory under the system temporary directory.
pub(crate) fn temp_dir(prefix: &str) -> Result<PathBuf> {
    temp_dir_in(&std::env::temp_dir(), prefix)
}

fn temp_dir_in(base: &Path, prefix: &str) -> Result<PathBuf> {
    let dir = base.join(format!("{prefix}{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir(&dir).map_err(|e| Error::storage(format!("cannot create {}: {e}", dir.display())))?;
    Ok(dir)
}
