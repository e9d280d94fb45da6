//! Entry points of `NativeBridge` for MLflow Projects: `MlflowClient.runProject` (MLflow's
//! `mlflow.projects.run`, local backend) and the calls of the `SubmittedRun` it returns.
//!
//! A submitted run is a `Box<SubmittedRun>` behind a Java `long`. Freeing it never kills the
//! entry point: core's watcher thread ends the run when the process exits, handle or not.

use std::path::PathBuf;
use std::time::Duration;

use jni::objects::{JClass, JObjectArray, JString, JValue};
use jni::sys::{jboolean, jlong};
use jni::{jni_sig, jni_str, Env, EnvUnowned};
use mlflow_core::projects::{self, EnvManager, ProjectRun, SubmittedRun};
use mlflow_core::RunStatus;

use crate::args::{opt_string, pairs, string};
use crate::client::client;
use crate::failure::{kind_name, Failure, ThrowJava};
use crate::handles::{borrow, free, into_handle};

fn submitted<'a>(handle: jlong) -> Result<&'a SubmittedRun, Failure> {
    // SAFETY: the Java side passes a live submitted-run handle (see `handles`).
    unsafe { borrow::<SubmittedRun>(handle, "submitted run") }
}

/// Starts a project run; returns the `SubmittedRun` handle. Synchronous: waits for the entry
/// point first, and if it did not succeed throws `ProjectRunFailedException` (with the run id)
/// instead. Every check that can be made before the run exists is made first, so bad input
/// throws `MlflowClientException` and leaves no run behind.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_org_libmlflow_NativeBridge_runProject<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    uri: JString<'l>,
    entry_point: JString<'l>,
    version: JString<'l>,
    param_keys: JObjectArray<'l, JString<'l>>,
    param_values: JObjectArray<'l, JString<'l>>,
    experiment_name: JString<'l>,
    experiment_id: JString<'l>,
    storage_dir: JString<'l>,
    run_id: JString<'l>,
    run_name: JString<'l>,
    parent_run_id: JString<'l>,
    env_manager: JString<'l>,
    env_root: JString<'l>,
    synchronous: jboolean,
) -> jlong {
    env.with_env(|env| -> Result<jlong, Failure> {
        let c = client(handle)?;
        let request = ProjectRun {
            uri: string(env, &uri, "uri")?,
            entry_point: opt_string(env, &entry_point)?.unwrap_or_else(|| "main".into()),
            version: opt_string(env, &version)?,
            parameters: pairs(env, &param_keys, &param_values, "parameters")?,
            experiment_name: opt_string(env, &experiment_name)?,
            experiment_id: opt_string(env, &experiment_id)?,
            storage_dir: opt_string(env, &storage_dir)?.map(PathBuf::from),
            run_id: opt_string(env, &run_id)?,
            run_name: opt_string(env, &run_name)?,
            parent_run_id: opt_string(env, &parent_run_id)?,
            env_manager: opt_string(env, &env_manager)?.map(|m| m.parse::<EnvManager>()).transpose()?,
            synchronous,
            env_root: opt_string(env, &env_root)?.map(PathBuf::from),
        };
        let run = projects::submit(c, &request)?;
        if synchronous {
            let status = run.wait()?;
            if status != RunStatus::Finished {
                // The process has ended: dropping the handle here loses nothing.
                throw_failed(env, &run, status)?;
                return Err(Failure::Jni(jni::errors::Error::JavaException));
            }
        }
        Ok(into_handle(run))
    })
    .resolve::<ThrowJava>()
}

/// Throws `ProjectRunFailedException` for a synchronous run whose entry point did not succeed,
/// with MLflow's message (`ExecutionException`: "Run (ID '…') failed").
fn throw_failed(env: &mut Env, run: &SubmittedRun, status: RunStatus) -> Result<(), Failure> {
    let error = run.failure(status);
    let code = env.new_string(error.mlflow_code())?;
    let kind = env.new_string(kind_name(error.kind()))?;
    let message = env.new_string(error.message())?;
    let run_id = env.new_string(run.run_id())?;
    let status = env.new_string(status.as_str())?;
    let exit_code = run.exit_code().unwrap_or(-1);
    let exception = env.new_object(
        jni_str!("org/libmlflow/ProjectRunFailedException"),
        jni_sig!("(Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;I)V"),
        &[
            JValue::Object(&code),
            JValue::Object(&kind),
            JValue::Object(&message),
            JValue::Object(&run_id),
            JValue::Object(&status),
            JValue::Int(exit_code),
        ],
    )?;
    let exception = env.cast_local::<jni::objects::JThrowable>(exception)?;
    // Err(JavaException) once the exception is pending: that is the point.
    let _ = env.throw(exception);
    Ok(())
}

#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_submittedRunId<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> JString<'l> {
    env.with_env(|env| -> Result<_, Failure> { Ok(env.new_string(submitted(handle)?.run_id())?) })
        .resolve::<ThrowJava>()
}

/// Waits at most `timeout_ms` (negative: until the end); returns the final status's name, or
/// null if the run is still going.
#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_submittedRunWait<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    timeout_ms: jlong,
) -> JString<'l> {
    env.with_env(|env| -> Result<_, Failure> {
        let run = submitted(handle)?;
        let status = if timeout_ms < 0 {
            Some(run.wait()?)
        } else {
            run.wait_timeout(Duration::from_millis(timeout_ms as u64))?
        };
        match status {
            Some(status) => Ok(env.new_string(status.as_str())?),
            None => Ok(JString::null()),
        }
    })
    .resolve::<ThrowJava>()
}

#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_submittedRunStatus<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> JString<'l> {
    env.with_env(|env| -> Result<_, Failure> { Ok(env.new_string(submitted(handle)?.get_status().as_str())?) })
        .resolve::<ThrowJava>()
}

/// Stops the entry point's process group and waits until the run is ended KILLED (a run that
/// already ended keeps its status, which is returned).
#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_submittedRunCancel<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> JString<'l> {
    env.with_env(|env| -> Result<_, Failure> { Ok(env.new_string(submitted(handle)?.cancel()?.as_str())?) })
        .resolve::<ThrowJava>()
}

/// Frees the handle; the entry point keeps running and its run is still ended by the watcher.
#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_submittedRunFree<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) {
    env.with_env(|_env| -> Result<(), Failure> {
        // SAFETY: the Java side has zeroed its copy of the handle under its write lock.
        drop(unsafe { free::<SubmittedRun>(handle) });
        Ok(())
    })
    .resolve::<ThrowJava>()
}
