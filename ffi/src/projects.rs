//! MLflow Projects from C: `mlflow.projects.run` as `mlflow_client_run_project` with its options
//! as one JSON object (as `mlflow_client_log_model` takes its options: the argument list of
//! `mlflow run` is long and grows, and every binding already speaks JSON), returning an
//! `mlflow_submitted_run` handle with MLflow's `SubmittedRun` calls: id, wait, get_status, cancel.

use std::ffi::{c_char, CString};
use std::path::PathBuf;
use std::time::Duration;

use mlflow_core::projects::{self, EnvManager, ProjectRun, SubmittedRun};
use mlflow_core::RunStatus;
use serde_json::{Map, Value};

use crate::boundary::*;
use crate::client::mlflow_client;
use crate::status::*;

/// Pass as `timeout_ms` to `mlflow_submitted_run_wait` to wait until the run has ended.
pub const MLFLOW_WAIT_FOREVER: i64 = -1;

/// A project run started by `mlflow_client_run_project`. Thread-safe: one thread may wait
/// while another cancels. The entry point's process is watched by libmlflow, which ends the run
/// FINISHED, FAILED or KILLED when it exits whether or not the handle is still alive.
pub struct mlflow_submitted_run {
    run: SubmittedRun,
    id: CString,
    /// The command line run in bash (after substitution), for messages about the run.
    command: CString,
}

/// The options of `mlflow_client_run_project`, read from its JSON object.
fn project_run(uri: &str, options_json: Option<&str>) -> Result<ProjectRun, Failure> {
    let invalid = |m: String| Failure::new(MLFLOW_ERR_INVALID_ARGUMENT, m);
    let mut request = ProjectRun::new(uri);
    let text = options_json.unwrap_or("").trim();
    if text.is_empty() {
        return Ok(request);
    }
    let options: Map<String, Value> = match serde_json::from_str(text) {
        Ok(Value::Object(map)) => map,
        Ok(_) => return Err(invalid("run_project options: expected a JSON object".into())),
        Err(e) => return Err(invalid(format!("run_project options: {e}"))),
    };
    for (key, value) in &options {
        let text = || -> Result<Option<String>, Failure> {
            match value {
                Value::Null => Ok(None),
                Value::String(s) => Ok(Some(s.clone())),
                other => Err(invalid(format!("run_project options: \"{key}\" must be a string, not {other}"))),
            }
        };
        match key.as_str() {
            "entry_point" => request.entry_point = text()?.unwrap_or_else(|| "main".into()),
            "version" => request.version = text()?,
            "experiment_name" => request.experiment_name = text()?,
            "experiment_id" => request.experiment_id = text()?,
            "storage_dir" => request.storage_dir = text()?.map(PathBuf::from),
            "run_id" => request.run_id = text()?,
            "run_name" => request.run_name = text()?,
            "parent_run_id" => request.parent_run_id = text()?,
            "env_root" => request.env_root = text()?.map(PathBuf::from),
            "env_manager" => request.env_manager = text()?.map(|m| m.parse::<EnvManager>()).transpose()?,
            "synchronous" => {
                request.synchronous = match value {
                    Value::Bool(b) => *b,
                    Value::Null => true,
                    other => {
                        return Err(invalid(format!(
                            "run_project options: \"synchronous\" must be true or false, not {other}"
                        )))
                    }
                }
            }
            "parameters" => request.parameters = parameters(value)?,
            other => return Err(invalid(format!("run_project options: unknown option \"{other}\""))),
        }
    }
    Ok(request)
}

/// `"parameters"`: an object (values strings or numbers; taken in key order) or, to keep an
/// order of its own, an array of `"name=value"` strings as `mlflow run -P` takes them.
fn parameters(value: &Value) -> Result<Vec<(String, String)>, Failure> {
    let invalid = |m: String| Failure::new(MLFLOW_ERR_INVALID_ARGUMENT, m);
    match value {
        Value::Null => Ok(Vec::new()),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                Value::Number(n) => Ok((k.clone(), n.to_string())),
                other => {
                    Err(invalid(format!("run_project parameter \"{k}\" must be a string or a number, not {other}")))
                }
            })
            .collect(),
        Value::Array(items) => {
            let texts = items
                .iter()
                .map(|item| match item {
                    Value::String(s) => Ok(s.as_str()),
                    other => {
                        Err(invalid(format!("run_project parameters: expected \"name=value\" strings, not {other}")))
                    }
                })
                .collect::<Result<Vec<&str>, Failure>>()?;
            Ok(projects::params::parse_cli_params(&texts)?)
        }
        other => {
            Err(invalid(format!("run_project options: \"parameters\" must be an object or an array, not {other}")))
        }
    }
}

/// `mlflow.projects.run` (local backend): runs the project at `uri` — a directory, a `file://`
/// URI or a git URI, with an optional `#subdir` — as `mlflow run` does: the MLproject, entry point
/// and parameters are checked, the environment made ready, a run created with MLflow's tags
/// (`mlflow.source.type` PROJECT, `mlflow.project.entryPoint`, git commit, …) and the parameters,
/// and the entry point started with `MLFLOW_RUN_ID`, `MLFLOW_TRACKING_URI` and
/// `MLFLOW_EXPERIMENT_ID` set, its output going to this process's stdout and stderr.
///
/// `options_json` (NULL or "" for none) is a JSON object with any of: `"entry_point"` (default
/// "main"; also a `.py`/`.sh` file of the project), `"parameters"` (an object of strings or
/// numbers, or an array of `"name=value"` strings to keep their order), `"version"` (git),
/// `"experiment_name"`, `"experiment_id"`, `"run_name"`, `"run_id"` (run in that existing run),
/// `"parent_run_id"`, `"env_manager"` ("local", "virtualenv", "uv"; "conda" is refused),
/// `"storage_dir"`, `"env_root"` (the virtualenv cache), `"synchronous"` (default true).
///
/// Synchronous: returns once the entry point has ended. If it failed (or was killed), the
/// status is MLFLOW_ERR_INVALID_STATE, the run is FAILED (KILLED) and `*out` STILL receives the
/// handle, so its run id can be read; free it (the same if the run's end could not be recorded,
/// with that error's status). Any other error (a missing MLproject, an unknown
/// entry point, a missing or invalid parameter, a command not found, an unknown experiment) is
/// reported before the run is created, or ends the run FAILED; `*out` is then NULL. No error
/// leaves a run RUNNING. Not synchronous: returns once the entry point has started.
#[no_mangle]
pub extern "C" fn mlflow_client_run_project(
    client: *const mlflow_client,
    uri: *const c_char,
    options_json: *const c_char,
    out: *mut *mut mlflow_submitted_run,
) -> mlflow_status {
    guard(|| {
        require_out(out, "out")?;
        // SAFETY: non-NULL, checked above.
        unsafe { out.write(std::ptr::null_mut()) };
        let c = &handle(client, "client")?.client;
        let request = project_run(str_arg(uri, "uri")?, opt_str_arg(options_json, "options_json")?)?;
        let run = projects::submit(c, &request)?;
        let id = CString::new(run.run_id()).map_err(|_| Failure::new(MLFLOW_ERR_INTERNAL, "run id contains NUL"))?;
        // Parameters are C strings, so a NUL cannot reach the command; lossy all the same.
        let command = CString::new(run.command().replace('\0', "")).unwrap_or_default();
        let submitted = Box::new(mlflow_submitted_run { run, id, command });
        let ended = if request.synchronous { Some(submitted.run.wait()) } else { None };
        let failure = match &ended {
            Some(Ok(RunStatus::Finished)) | None => None,
            Some(Ok(status)) => Some(failed(&submitted.run, *status)),
            Some(Err(e)) => Some(Failure::from(e.clone())),
        };
        write_out(out, Box::into_raw(submitted), "out")?;
        failure.map_or(Ok(()), Err)
    })
}

/// The error of a synchronous run whose entry point did not succeed (MLflow raises the same).
fn failed(run: &SubmittedRun, status: RunStatus) -> Failure {
    Failure::from(run.failure(status))
}

/// The run's id (32 hex characters), valid until the handle is freed; NULL if `run` is NULL.
#[no_mangle]
pub extern "C" fn mlflow_submitted_run_id(run: *const mlflow_submitted_run) -> *const c_char {
    // SAFETY: NULL-checked; a live handle otherwise.
    match unsafe { run.as_ref() } {
        Some(r) => r.id.as_ptr(),
        None => std::ptr::null(),
    }
}

/// The command line the entry point runs (`bash -c` after parameter substitution; with a python
/// environment, prefixed by its activation), as MLflow's `SubmittedRun.command`. Valid until the
/// handle is freed; NULL if `run` is NULL.
#[no_mangle]
pub extern "C" fn mlflow_submitted_run_command(run: *const mlflow_submitted_run) -> *const c_char {
    // SAFETY: NULL-checked; a live handle otherwise.
    match unsafe { run.as_ref() } {
        Some(r) => r.command.as_ptr(),
        None => std::ptr::null(),
    }
}

/// The entry point's exit code: `*out_code` receives 0–255 once it exited, or -1 while it is
/// still running or when a signal ended it (a cancelled run, for one). For the message of a
/// failed run, as MLflow's ("... failed with exit code 3 ...").
#[no_mangle]
pub extern "C" fn mlflow_submitted_run_exit_code(
    run: *const mlflow_submitted_run,
    out_code: *mut i32,
) -> mlflow_status {
    guard(|| {
        let r = &handle(run, "run")?.run;
        write_out(out_code, r.exit_code().unwrap_or(-1), "out_code")
    })
}

/// Waits at most `timeout_ms` milliseconds (MLFLOW_WAIT_FOREVER: until the end) for the entry
/// point to exit and the run to be ended. `*out_status` receives an `mlflow_run_status`:
/// MLFLOW_RUN_FINISHED (exit code 0), MLFLOW_RUN_FAILED, MLFLOW_RUN_KILLED (cancelled), or
/// MLFLOW_RUN_RUNNING when the timeout passed first. An error status means the run's end could
/// not be recorded in the tracking store.
#[no_mangle]
pub extern "C" fn mlflow_submitted_run_wait(
    run: *const mlflow_submitted_run,
    timeout_ms: i64,
    out_status: *mut i32,
) -> mlflow_status {
    guard(|| {
        require_out(out_status, "out_status")?;
        let r = &handle(run, "run")?.run;
        let status = match timeout_ms {
            MLFLOW_WAIT_FOREVER => r.wait()?,
            ms if ms >= 0 => r.wait_timeout(Duration::from_millis(ms as u64))?.unwrap_or(RunStatus::Running),
            ms => {
                return Err(Failure::new(
                    MLFLOW_ERR_INVALID_ARGUMENT,
                    format!("timeout_ms must be >= 0 or MLFLOW_WAIT_FOREVER, got {ms}"),
                ))
            }
        };
        write_out(out_status, status as i32, "out_status")
    })
}

/// The status without waiting: MLFLOW_RUN_RUNNING until the entry point has exited and the run
/// has been ended, then MLFLOW_RUN_FINISHED, MLFLOW_RUN_FAILED or MLFLOW_RUN_KILLED (by exit
/// code, as MLflow's `get_status`).
#[no_mangle]
pub extern "C" fn mlflow_submitted_run_get_status(
    run: *const mlflow_submitted_run,
    out_status: *mut i32,
) -> mlflow_status {
    guard(|| {
        let r = &handle(run, "run")?.run;
        write_out(out_status, r.get_status() as i32, "out_status")
    })
}

/// Stops the entry point and everything it started (SIGTERM to its process group, SIGKILL after
/// 10 s) and waits until the run is ended KILLED. A run that already ended keeps its status.
/// `*out_status` (may be NULL) receives the final `mlflow_run_status`.
#[no_mangle]
pub extern "C" fn mlflow_submitted_run_cancel(run: *const mlflow_submitted_run, out_status: *mut i32) -> mlflow_status {
    guard(|| {
        let status = handle(run, "run")?.run.cancel()?;
        if !out_status.is_null() {
            write_out(out_status, status as i32, "out_status")?;
        }
        Ok(())
    })
}

/// Frees the handle. It neither waits for nor stops the entry point: libmlflow still ends the
/// run when the process exits. NULL is fine; must not be called twice.
#[no_mangle]
pub extern "C" fn mlflow_submitted_run_free(run: *mut mlflow_submitted_run) {
    if !run.is_null() {
        // SAFETY: came from `mlflow_client_run_project` and is freed once.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(unsafe { Box::from_raw(run) })));
    }
}
