//! Run artifacts: MLflow's `log_artifact`, `log_artifacts`, `log_text`, a bytes variant,
//! `list_artifacts` and `mlflow.artifacts.download_artifacts`, stored where MLflow stores them
//! (`<run artifact_uri>/<artifact path>`: local paths, `file:`, or a tracking server's
//! `mlflow-artifacts:` proxy). Artifact paths are relative POSIX paths; `..`, absolute paths and
//! symlinks leading outside a logged directory are refused with MLFLOW_ERR_INVALID_ARGUMENT.

use std::ffi::{c_char, c_void};
use std::path::Path;

use crate::boundary::*;
use crate::client::mlflow_client;
use crate::status::*;
use crate::strings::give_string;

/// Progress of a transfer: called on the calling thread, during the call, with the bytes moved
/// so far and the bytes the whole call moves (`total` is 0 while unknown), at most about once per
/// MiB and always once at the start and at the end (`done == total`). `user_data` is what the
/// caller passed beside the callback. The callback must return normally (no longjmp, no C++
/// exception through it) and must not free the client.
pub type mlflow_progress_callback = Option<extern "C" fn(user_data: *mut c_void, done: u64, total: u64)>;

/// Calls `callback` with its `user_data` from the core's progress reports.
pub(crate) fn progress_of(callback: mlflow_progress_callback, user_data: *mut c_void) -> Option<impl Fn(u64, u64)> {
    let user_data = user_data as usize;
    callback.map(move |f| move |done: u64, total: u64| f(user_data as *mut c_void, done, total))
}

/// Stores the local file `local_path` as `<artifact_path>/<its file name>` in the run's
/// artifacts; `artifact_path` NULL or "" is the artifact root. MLFLOW_ERR_NOT_FOUND if the file
/// does not exist. `progress` (may be NULL) hears the bytes sent, with `progress_data`.
#[no_mangle]
pub extern "C" fn mlflow_client_log_artifact(
    client: *const mlflow_client,
    run_id: *const c_char,
    local_path: *const c_char,
    artifact_path: *const c_char,
    progress: mlflow_progress_callback,
    progress_data: *mut c_void,
) -> mlflow_status {
    guard(|| {
        let c = &handle(client, "client")?.client;
        let local = Path::new(str_arg(local_path, "local_path")?);
        let report = progress_of(progress, progress_data);
        let report = report.as_ref().map(|f| f as &dyn Fn(u64, u64));
        c.log_artifact(str_arg(run_id, "run_id")?, local, opt_str_arg(artifact_path, "artifact_path")?, report)?;
        Ok(())
    })
}

/// Stores every file under the local directory `local_dir` at `<artifact_path>/<path under
/// local_dir>`. The tree is checked first: a symlink leading outside `local_dir` fails the call
/// (MLFLOW_ERR_INVALID_ARGUMENT) before anything is stored. `progress` (may be NULL) hears the
/// bytes sent out of the whole tree's size, with `progress_data`.
#[no_mangle]
pub extern "C" fn mlflow_client_log_artifacts(
    client: *const mlflow_client,
    run_id: *const c_char,
    local_dir: *const c_char,
    artifact_path: *const c_char,
    progress: mlflow_progress_callback,
    progress_data: *mut c_void,
) -> mlflow_status {
    guard(|| {
        let c = &handle(client, "client")?.client;
        let local = Path::new(str_arg(local_dir, "local_dir")?);
        let report = progress_of(progress, progress_data);
        let report = report.as_ref().map(|f| f as &dyn Fn(u64, u64));
        c.log_artifacts(str_arg(run_id, "run_id")?, local, opt_str_arg(artifact_path, "artifact_path")?, report)?;
        Ok(())
    })
}

/// `log_text`: `text_len` bytes of UTF-8 (`MLFLOW_NUL_TERMINATED` if NUL-terminated) stored as
/// the artifact `artifact_file` (`dir/name.txt`).
#[no_mangle]
pub extern "C" fn mlflow_client_log_text(
    client: *const mlflow_client,
    run_id: *const c_char,
    text: *const c_char,
    text_len: usize,
    artifact_file: *const c_char,
) -> mlflow_status {
    guard(|| {
        let c = &handle(client, "client")?.client;
        let text = str_n_arg(text, text_len, "text")?;
        c.log_text(str_arg(run_id, "run_id")?, text, str_arg(artifact_file, "artifact_file")?)?;
        Ok(())
    })
}

/// `len` bytes at `data` (any content; NULL only with `len` 0) stored as the artifact
/// `artifact_file`.
#[no_mangle]
pub extern "C" fn mlflow_client_log_bytes(
    client: *const mlflow_client,
    run_id: *const c_char,
    data: *const u8,
    len: usize,
    artifact_file: *const c_char,
) -> mlflow_status {
    guard(|| {
        let c = &handle(client, "client")?.client;
        let bytes: &[u8] = if len == 0 {
            &[]
        } else if data.is_null() {
            return Err(Failure::new(MLFLOW_ERR_NULL_ARGUMENT, "'data' is NULL"));
        } else {
            // SAFETY: non-NULL; the caller promises `len` readable bytes for the call.
            unsafe { std::slice::from_raw_parts(data, len) }
        };
        c.log_bytes(str_arg(run_id, "run_id")?, bytes, str_arg(artifact_file, "artifact_file")?)?;
        Ok(())
    })
}

/// `MlflowClient.list_artifacts`: one level of the directory `path` (NULL or "" for the root).
/// `*out_json` receives a JSON array of MLflow FileInfo objects — `{"path": "dir/f.txt",
/// "is_dir": false, "file_size": 12}`, paths relative to the run's artifact root, `file_size`
/// absent for directories — to free with `mlflow_string_free`; `out_len` may be NULL.
#[no_mangle]
pub extern "C" fn mlflow_client_list_artifacts(
    client: *const mlflow_client,
    run_id: *const c_char,
    path: *const c_char,
    out_json: *mut *mut c_char,
    out_len: *mut usize,
) -> mlflow_status {
    guard(|| {
        require_out(out_json, "out_json")?;
        let c = &handle(client, "client")?.client;
        let files = c.list_artifacts(str_arg(run_id, "run_id")?, opt_str_arg(path, "path")?)?;
        let json = serde_json::to_string(&files)
            .map_err(|e| Failure::new(MLFLOW_ERR_INTERNAL, format!("cannot encode the listing: {e}")))?;
        give_string(json, out_json, out_len, "out_json")
    })
}

/// `mlflow.artifacts.download_artifacts`: give exactly one of `run_id` (with `artifact_path`,
/// NULL for the whole run) or `artifact_uri` (`runs:/<run_id>/<path>`, a local path, `file:`,
/// `mlflow-artifacts:`, an http(s) artifact-proxy URL). The file or directory is written under
/// `dst_path` (created if missing) by its own name; with `dst_path` NULL, local artifacts are
/// returned where they are and remote ones go to a new temporary directory. `*out_path`
/// receives the local path (free with `mlflow_string_free`). A listing from a server naming
/// paths outside the destination fails with MLFLOW_ERR_INVALID_ARGUMENT before anything is
/// written; a failed transfer leaves no partial file. `progress` (may be NULL) hears the bytes
/// received out of the whole download's size, with `progress_data`.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn mlflow_client_download_artifacts(
    client: *const mlflow_client,
    run_id: *const c_char,
    artifact_path: *const c_char,
    artifact_uri: *const c_char,
    dst_path: *const c_char,
    progress: mlflow_progress_callback,
    progress_data: *mut c_void,
    out_path: *mut *mut c_char,
    out_len: *mut usize,
) -> mlflow_status {
    guard(|| {
        require_out(out_path, "out_path")?;
        let c = &handle(client, "client")?.client;
        let dst = opt_str_arg(dst_path, "dst_path")?.map(Path::new);
        let report = progress_of(progress, progress_data);
        let report = report.as_ref().map(|f| f as &dyn Fn(u64, u64));
        let got = c.download_artifacts(
            opt_str_arg(run_id, "run_id")?,
            opt_str_arg(artifact_path, "artifact_path")?,
            opt_str_arg(artifact_uri, "artifact_uri")?,
            dst,
            report,
        )?;
        let got = got
            .into_os_string()
            .into_string()
            .map_err(|p| Failure::new(MLFLOW_ERR_INVALID_UTF8, format!("the downloaded path {p:?} is not UTF-8")))?;
        give_string(got, out_path, out_len, "out_path")
    })
}
