//! Run handles and the typed logging fast paths.

use std::ffi::{c_char, CString};

use mlflow_core::{ActiveRun, Metric, Param, RunStatus, RunTag, StartRun};

use crate::boundary::*;
use crate::client::mlflow_client;
use crate::status::*;

/// Pass as `timestamp_ms` to stamp a metric with the current time.
pub const MLFLOW_TIMESTAMP_NOW: i64 = -1;

/// A run being logged to. Thread-safe: several threads may log to one run handle at once.
/// Holds its client alive until freed.
pub struct mlflow_run {
    run: ActiveRun,
    id: CString,
}

/// Run status for `mlflow_run_end`, MLflow's numbering.
#[repr(C)]
#[allow(non_camel_case_types)]
pub enum mlflow_run_status {
    MLFLOW_RUN_RUNNING = 1,
    MLFLOW_RUN_SCHEDULED = 2,
    MLFLOW_RUN_FINISHED = 3,
    MLFLOW_RUN_FAILED = 4,
    MLFLOW_RUN_KILLED = 5,
}

/// One metric point for `mlflow_run_log_batch`. `key_len` may be `MLFLOW_NUL_TERMINATED`.
#[repr(C)]
pub struct mlflow_metric {
    pub key: *const c_char,
    pub key_len: usize,
    pub value: f64,
    /// Milliseconds since the epoch, or MLFLOW_TIMESTAMP_NOW.
    pub timestamp_ms: i64,
    pub step: i64,
}

/// A key/value pair (param or tag) for `mlflow_run_log_batch`. Lengths may be
/// `MLFLOW_NUL_TERMINATED`.
#[repr(C)]
pub struct mlflow_kv {
    pub key: *const c_char,
    pub key_len: usize,
    pub value: *const c_char,
    pub value_len: usize,
}

fn give_run(run: ActiveRun, out: *mut *mut mlflow_run) -> Result<(), Failure> {
    let id = CString::new(run.run_id()).map_err(|_| Failure::new(MLFLOW_ERR_INTERNAL, "run id contains NUL"))?;
    write_out(out, Box::into_raw(Box::new(mlflow_run { run, id })), "out")
}

fn clear_out(out: *mut *mut mlflow_run) -> Result<(), Failure> {
    require_out(out, "out")?;
    // SAFETY: non-NULL, checked above.
    unsafe { out.write(std::ptr::null_mut()) };
    Ok(())
}

/// Starts a run. Every string may be NULL: `experiment_id` NULL uses `MLFLOW_EXPERIMENT_ID`,
/// `MLFLOW_EXPERIMENT_NAME` or the Default experiment "0" (and, the first time in a process
/// where `MLFLOW_RUN_ID` is set, resumes that run instead); `run_name` NULL generates one;
/// `parent_run_id` makes a nested run. The run gets MLflow's system tags (user, source, git
/// commit). It is ended by `mlflow_run_end`, else FINISHED when the client closes or the
/// process exits. Free the handle with `mlflow_run_free`.
#[no_mangle]
pub extern "C" fn mlflow_client_start_run(
    client: *const mlflow_client,
    experiment_id: *const c_char,
    run_name: *const c_char,
    parent_run_id: *const c_char,
    out: *mut *mut mlflow_run,
) -> mlflow_status {
    guard(|| {
        clear_out(out)?;
        let c = &handle(client, "client")?.client;
        let run = c.start_run(StartRun {
            experiment_id: opt_str_arg(experiment_id, "experiment_id")?.map(str::to_owned),
            run_name: opt_str_arg(run_name, "run_name")?.map(str::to_owned),
            parent_run_id: opt_str_arg(parent_run_id, "parent_run_id")?.map(str::to_owned),
            ..StartRun::default()
        })?;
        give_run(run, out)
    })
}

/// Sets an existing run RUNNING again and returns a handle on it (ended like a started run).
#[no_mangle]
pub extern "C" fn mlflow_client_resume_run(
    client: *const mlflow_client,
    run_id: *const c_char,
    out: *mut *mut mlflow_run,
) -> mlflow_status {
    guard(|| {
        clear_out(out)?;
        let run = handle(client, "client")?.client.resume_run(str_arg(run_id, "run_id")?)?;
        give_run(run, out)
    })
}

/// A handle for logging to an existing run without changing its status; it is not ended
/// implicitly.
#[no_mangle]
pub extern "C" fn mlflow_client_attach_run(
    client: *const mlflow_client,
    run_id: *const c_char,
    out: *mut *mut mlflow_run,
) -> mlflow_status {
    guard(|| {
        clear_out(out)?;
        let run = handle(client, "client")?.client.attach_run(str_arg(run_id, "run_id")?)?;
        give_run(run, out)
    })
}

/// The run's id (32 hex characters), valid until the handle is freed; NULL if `run` is NULL.
#[no_mangle]
pub extern "C" fn mlflow_run_id(run: *const mlflow_run) -> *const c_char {
    // SAFETY: NULL-checked; a live handle otherwise.
    match unsafe { run.as_ref() } {
        Some(r) => r.id.as_ptr(),
        None => std::ptr::null(),
    }
}

fn timestamp(ts: i64) -> Option<i64> {
    (ts != MLFLOW_TIMESTAMP_NOW).then_some(ts)
}

/// Queues one metric point and returns (the hot path: validation and enqueue, no I/O).
/// `timestamp_ms` may be MLFLOW_TIMESTAMP_NOW. NaN and ±inf are accepted and stored as MLflow
/// stores them.
#[no_mangle]
pub extern "C" fn mlflow_run_log_metric(
    run: *const mlflow_run,
    key: *const c_char,
    value: f64,
    timestamp_ms: i64,
    step: i64,
) -> mlflow_status {
    guard(|| {
        handle(run, "run")?.run.log_metric(str_arg(key, "key")?, value, timestamp(timestamp_ms), step)?;
        Ok(())
    })
}

/// `mlflow_run_log_metric` with a key of `key_len` bytes (not necessarily NUL-terminated).
#[no_mangle]
pub extern "C" fn mlflow_run_log_metric_n(
    run: *const mlflow_run,
    key: *const c_char,
    key_len: usize,
    value: f64,
    timestamp_ms: i64,
    step: i64,
) -> mlflow_status {
    guard(|| {
        handle(run, "run")?.run.log_metric(str_n_arg(key, key_len, "key")?, value, timestamp(timestamp_ms), step)?;
        Ok(())
    })
}

/// Queues a param. Values over 6000 characters are truncated as MLflow does; logging a key
/// again with another value fails with MLFLOW_ERR_INVALID_ARGUMENT.
#[no_mangle]
pub extern "C" fn mlflow_run_log_param(
    run: *const mlflow_run,
    key: *const c_char,
    value: *const c_char,
) -> mlflow_status {
    mlflow_run_log_param_n(run, key, MLFLOW_NUL_TERMINATED, value, MLFLOW_NUL_TERMINATED)
}

/// `mlflow_run_log_param` with explicit byte lengths (each may be `MLFLOW_NUL_TERMINATED`).
#[no_mangle]
pub extern "C" fn mlflow_run_log_param_n(
    run: *const mlflow_run,
    key: *const c_char,
    key_len: usize,
    value: *const c_char,
    value_len: usize,
) -> mlflow_status {
    guard(|| {
        let r = handle(run, "run")?;
        r.run.log_param(str_n_arg(key, key_len, "key")?, str_n_arg(value, value_len, "value")?)?;
        Ok(())
    })
}

/// Queues a tag (upsert). Values over 8000 characters are truncated as MLflow does.
#[no_mangle]
pub extern "C" fn mlflow_run_set_tag(
    run: *const mlflow_run,
    key: *const c_char,
    value: *const c_char,
) -> mlflow_status {
    mlflow_run_set_tag_n(run, key, MLFLOW_NUL_TERMINATED, value, MLFLOW_NUL_TERMINATED)
}

/// `mlflow_run_set_tag` with explicit byte lengths (each may be `MLFLOW_NUL_TERMINATED`).
#[no_mangle]
pub extern "C" fn mlflow_run_set_tag_n(
    run: *const mlflow_run,
    key: *const c_char,
    key_len: usize,
    value: *const c_char,
    value_len: usize,
) -> mlflow_status {
    guard(|| {
        let r = handle(run, "run")?;
        r.run.set_tag(str_n_arg(key, key_len, "key")?, str_n_arg(value, value_len, "value")?)?;
        Ok(())
    })
}

fn slice<'a, T>(ptr: *const T, len: usize, name: &str) -> Result<&'a [T], Failure> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(Failure::new(MLFLOW_ERR_NULL_ARGUMENT, format!("'{name}' is NULL but its count is {len}")));
    }
    // SAFETY: the caller promises `len` readable elements.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

fn kv_pairs(items: &[mlflow_kv], what: &str) -> Result<Vec<(String, String)>, Failure> {
    items
        .iter()
        .enumerate()
        .map(|(i, kv)| {
            Ok((
                str_n_arg(kv.key, kv.key_len, &format!("{what}[{i}].key"))?.to_owned(),
                str_n_arg(kv.value, kv.value_len, &format!("{what}[{i}].value"))?.to_owned(),
            ))
        })
        .collect()
}

/// Queues metrics, params and tags as one batch, validated as MLflow's log_batch validates
/// (at most 1000 metrics, 100 params, 100 tags; no duplicate param keys). All or nothing: if
/// anything is invalid, nothing is queued.
#[no_mangle]
pub extern "C" fn mlflow_run_log_batch(
    run: *const mlflow_run,
    metrics: *const mlflow_metric,
    n_metrics: usize,
    params: *const mlflow_kv,
    n_params: usize,
    tags: *const mlflow_kv,
    n_tags: usize,
) -> mlflow_status {
    guard(|| {
        let r = handle(run, "run")?;
        let now = mlflow_core::util::now_ms();
        let metrics = slice(metrics, n_metrics, "metrics")?
            .iter()
            .enumerate()
            .map(|(i, m)| {
                Ok(Metric {
                    key: str_n_arg(m.key, m.key_len, &format!("metrics[{i}].key"))?.to_owned(),
                    value: m.value,
                    timestamp: timestamp(m.timestamp_ms).unwrap_or(now),
                    step: m.step,
                })
            })
            .collect::<Result<Vec<_>, Failure>>()?;
        let params: Vec<Param> = kv_pairs(slice(params, n_params, "params")?, "params")?
            .into_iter()
            .map(|(key, value)| Param { key, value })
            .collect();
        let tags: Vec<RunTag> = kv_pairs(slice(tags, n_tags, "tags")?, "tags")?
            .into_iter()
            .map(|(key, value)| RunTag { key, value })
            .collect();
        r.run.log_batch(&metrics, &params, &tags)?;
        Ok(())
    })
}

/// Ends the run with `status` (an `mlflow_run_status`) once everything logged before is
/// written. Later logging through this handle fails with MLFLOW_ERR_INVALID_STATE. Returns
/// MLFLOW_ERR_WRITE_FAILED (the run is ended all the same) if queued items failed to write.
#[no_mangle]
pub extern "C" fn mlflow_run_end(run: *const mlflow_run, status: i32) -> mlflow_status {
    guard(|| {
        let r = handle(run, "run")?;
        let status = RunStatus::from_number(status as i64)?;
        r.run.end(status)?;
        Ok(())
    })
}

/// Frees a run handle. It does not end the run (see `mlflow_run_end`). NULL is fine; must not
/// be called twice.
#[no_mangle]
pub extern "C" fn mlflow_run_free(run: *mut mlflow_run) {
    if !run.is_null() {
        // SAFETY: came from a start/resume/attach call and is freed once.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(unsafe { Box::from_raw(run) })));
    }
}
