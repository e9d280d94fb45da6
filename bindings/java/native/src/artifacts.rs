//! Entry points of `NativeBridge` for a run's artifacts: log a file, a tree or bytes (Java's
//! `logText` encodes its text and sends bytes), list one level, download by run id or URI.
//! Transfers take an optional `ProgressListener` (see [`crate::progress`]). Paths arrive absolute from Java (`File.getAbsolutePath()`), so
//! `user.dir` and the process's working directory cannot disagree.

use std::path::Path;

use jni::objects::{JByteArray, JClass, JObject, JObjectArray, JString};
use jni::sys::jlong;
use jni::EnvUnowned;
use mlflow_core::artifacts::{FileInfo, ProgressFn};
use mlflow_core::{Client, Error};

use crate::args::{bytes, opt_string, string};
use crate::client::client;
use crate::entities::array;
use crate::failure::{Failure, ThrowJava};
use crate::progress::with_listener;

/// `Client::log_artifact` or `Client::log_artifacts`: same arguments, a file or a directory.
type LogLocal = fn(&Client, &str, &Path, Option<&str>, Option<ProgressFn<'_>>) -> mlflow_core::Result<()>;

fn log_local(
    mut env: EnvUnowned,
    handle: jlong,
    run_id: JString,
    local_path: JString,
    artifact_path: JString,
    listener: JObject,
    log: LogLocal,
) {
    env.with_env(|env| -> Result<(), Failure> {
        let run_id = string(env, &run_id, "runId")?;
        let local_path = string(env, &local_path, "localFile")?;
        let artifact_path = opt_string(env, &artifact_path)?;
        let c = client(handle)?;
        with_listener(env, &listener, |progress| {
            log(c, &run_id, Path::new(&local_path), artifact_path.as_deref(), progress)
        })
    })
    .resolve::<ThrowJava>()
}

#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_logArtifact<'l>(
    env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    run_id: JString<'l>,
    local_file: JString<'l>,
    artifact_path: JString<'l>,
    listener: JObject<'l>,
) {
    log_local(env, handle, run_id, local_file, artifact_path, listener, Client::log_artifact)
}

#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_logArtifacts<'l>(
    env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    run_id: JString<'l>,
    local_dir: JString<'l>,
    artifact_path: JString<'l>,
    listener: JObject<'l>,
) {
    log_local(env, handle, run_id, local_dir, artifact_path, listener, Client::log_artifacts)
}

#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_logBytes<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    run_id: JString<'l>,
    data: JByteArray<'l>,
    artifact_file: JString<'l>,
) {
    env.with_env(|env| -> Result<(), Failure> {
        let run_id = string(env, &run_id, "runId")?;
        let data = bytes(env, &data, "bytes")?;
        let artifact_file = string(env, &artifact_file, "artifactFile")?;
        Ok(client(handle)?.log_bytes(&run_id, &data, &artifact_file)?)
    })
    .resolve::<ThrowJava>()
}

/// One level of a run's artifacts as `FileInfo[]`; a null `path` is the root.
#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_listArtifacts<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    run_id: JString<'l>,
    path: JString<'l>,
) -> JObjectArray<'l> {
    env.with_env(|env| -> Result<_, Failure> {
        let run_id = string(env, &run_id, "runId")?;
        let path = opt_string(env, &path)?;
        let infos: Vec<FileInfo> = client(handle)?.list_artifacts(&run_id, path.as_deref())?;
        array(env, &infos)
    })
    .resolve::<ThrowJava>()
}

/// `mlflow.artifacts.download_artifacts`: exactly one of `run_id` (with an optional
/// `artifact_path`) or `artifact_uri`; returns the local path of what was asked for.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_org_libmlflow_NativeBridge_downloadArtifacts<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    run_id: JString<'l>,
    artifact_path: JString<'l>,
    artifact_uri: JString<'l>,
    dst_path: JString<'l>,
    listener: JObject<'l>,
) -> JString<'l> {
    env.with_env(|env| -> Result<_, Failure> {
        let run_id = opt_string(env, &run_id)?;
        let artifact_path = opt_string(env, &artifact_path)?;
        let artifact_uri = opt_string(env, &artifact_uri)?;
        let dst_path = opt_string(env, &dst_path)?;
        let c = client(handle)?;
        let local = with_listener(env, &listener, |progress| {
            c.download_artifacts(
                run_id.as_deref(),
                artifact_path.as_deref(),
                artifact_uri.as_deref(),
                dst_path.as_deref().map(Path::new),
                progress,
            )
        })?;
        let local = local
            .to_str()
            .ok_or_else(|| Error::invalid(format!("the downloaded path {} is not valid UTF-8", local.display())))?;
        Ok(env.new_string(local)?)
    })
    .resolve::<ThrowJava>()
}
