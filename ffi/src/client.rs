//! Client options, opening and closing a client, flush, experiments by name, and the JSON
//! entry point for the rest of the API.

use std::ffi::c_char;
use std::time::Duration;

use mlflow_core::context::RunContext;
use mlflow_core::{json_api, Client, ClientOptions, Overflow};

use crate::boundary::*;
use crate::status::*;
use crate::strings::give_string;

/// Options for `mlflow_client_open`. Create with `mlflow_options_new`, free with
/// `mlflow_options_free`; the client copies what it needs, so options may be freed after open.
pub struct mlflow_options {
    pub(crate) inner: ClientOptions,
}

/// A thread-safe MLflow client: every function taking a `const mlflow_client*` may be called
/// from any number of threads at once.
pub struct mlflow_client {
    pub(crate) client: Client,
}

/// What closing a client did: items written over its lifetime, dropped (drop policy only),
/// left unwritten at the close deadline, and failed (refused by the store or not writable).
/// `unsent` (tracking server only): items safe in the spool but not delivered yet — the next
/// client on the same spool or `mlflow_sync_spool` delivers them; they do not make close fail.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct mlflow_close_report {
    pub written: u64,
    pub dropped: u64,
    pub unwritten: u64,
    pub failed: u64,
    pub unsent: u64,
}

/// New options with the defaults (environment-driven tracking URI, blocking backpressure).
/// Never returns NULL except when out of memory.
#[no_mangle]
pub extern "C" fn mlflow_options_new() -> *mut mlflow_options {
    std::panic::catch_unwind(|| Box::into_raw(Box::new(mlflow_options { inner: ClientOptions::default() })))
        .unwrap_or(std::ptr::null_mut())
}

/// Frees options. NULL is fine; must not be called twice.
#[no_mangle]
pub extern "C" fn mlflow_options_free(options: *mut mlflow_options) {
    if !options.is_null() {
        // SAFETY: came from mlflow_options_new and is freed once.
        let _ = std::panic::catch_unwind(|| drop(unsafe { Box::from_raw(options) }));
    }
}

fn with_options(
    options: *mut mlflow_options,
    f: impl FnOnce(&mut ClientOptions) -> Result<(), Failure>,
) -> mlflow_status {
    guard(|| {
        // SAFETY: NULL is checked; the caller promises exclusive use of the options during the call.
        let opts =
            unsafe { options.as_mut() }.ok_or_else(|| Failure::new(MLFLOW_ERR_NULL_ARGUMENT, "'options' is NULL"))?;
        f(&mut opts.inner)
    })
}

/// The tracking URI (`sqlite:///path/to/mlflow.db`); NULL restores the default
/// (`MLFLOW_TRACKING_URI`, else `sqlite:///mlflow.db`).
#[no_mangle]
pub extern "C" fn mlflow_options_set_tracking_uri(options: *mut mlflow_options, uri: *const c_char) -> mlflow_status {
    with_options(options, |o| {
        o.tracking_uri = opt_str_arg(uri, "uri")?.map(str::to_owned);
        Ok(())
    })
}

/// The model registry's URI (`sqlite:///…` or a tracking server); NULL restores the default:
/// `MLFLOW_REGISTRY_URI`, else the tracking URI.
#[no_mangle]
pub extern "C" fn mlflow_options_set_registry_uri(options: *mut mlflow_options, uri: *const c_char) -> mlflow_status {
    with_options(options, |o| {
        o.registry_uri = opt_str_arg(uri, "uri")?.map(str::to_owned);
        Ok(())
    })
}

/// Where new experiments put their artifacts; NULL restores the default (`./mlruns`, absolute).
#[no_mangle]
pub extern "C" fn mlflow_options_set_artifact_root(options: *mut mlflow_options, root: *const c_char) -> mlflow_status {
    with_options(options, |o| {
        o.artifact_root = opt_str_arg(root, "root")?.map(str::to_owned);
        Ok(())
    })
}

/// Capacity of the logging queue, in calls (default 100000).
#[no_mangle]
pub extern "C" fn mlflow_options_set_queue_capacity(options: *mut mlflow_options, capacity: usize) -> mlflow_status {
    with_options(options, |o| {
        if capacity == 0 {
            return Err(Failure::new(MLFLOW_ERR_INVALID_ARGUMENT, "queue capacity must be at least 1"));
        }
        o.queue_capacity = capacity;
        Ok(())
    })
}

/// How long a logging call waits for room in a full queue before failing with
/// MLFLOW_ERR_QUEUE_FULL (default 10000 ms).
#[no_mangle]
pub extern "C" fn mlflow_options_set_enqueue_timeout_ms(
    options: *mut mlflow_options,
    timeout_ms: u64,
) -> mlflow_status {
    with_options(options, |o| {
        o.enqueue_timeout = Duration::from_millis(timeout_ms);
        Ok(())
    })
}

/// Latency first: when the queue is full, drop the item at once instead of waiting. Drops are
/// counted and reported by `mlflow_client_close`. Off by default (nothing is dropped).
#[no_mangle]
pub extern "C" fn mlflow_options_set_drop_when_full(
    options: *mut mlflow_options,
    drop_when_full: bool,
) -> mlflow_status {
    with_options(options, |o| {
        o.overflow = if drop_when_full { Overflow::Drop } else { Overflow::Block };
        Ok(())
    })
}

/// Tracking server only: the directory of the spool that keeps logged data until the server has
/// it. NULL restores the default (`LIBMLFLOW_SPOOL_DIR`, else `~/.local/share/libmlflow/spool`).
#[no_mangle]
pub extern "C" fn mlflow_options_set_spool_dir(options: *mut mlflow_options, dir: *const c_char) -> mlflow_status {
    with_options(options, |o| {
        o.spool_dir = opt_str_arg(dir, "dir")?.map(std::path::PathBuf::from);
        Ok(())
    })
}

/// Tracking server only: offline mode — never contact the server; runs get local ids and
/// everything stays in the spool until `mlflow_sync_spool` (or the `libmlflow-sync` program)
/// uploads it. The default follows `LIBMLFLOW_OFFLINE`.
#[no_mangle]
pub extern "C" fn mlflow_options_set_offline(options: *mut mlflow_options, offline: bool) -> mlflow_status {
    with_options(options, |o| {
        o.offline = Some(offline);
        Ok(())
    })
}

/// How long closing may take when it happens implicitly (`mlflow_client_free` without close,
/// process exit); default 30000 ms.
#[no_mangle]
pub extern "C" fn mlflow_options_set_close_timeout_ms(options: *mut mlflow_options, timeout_ms: u64) -> mlflow_status {
    with_options(options, |o| {
        o.close_timeout = Duration::from_millis(timeout_ms);
        Ok(())
    })
}

/// The `mlflow.source.name` tag of new runs (default: this program's path). Bindings set it
/// to the user's script.
#[no_mangle]
pub extern "C" fn mlflow_options_set_source_name(
    options: *mut mlflow_options,
    source_name: *const c_char,
) -> mlflow_status {
    with_options(options, |o| {
        let name = str_arg(source_name, "source_name")?;
        o.context = Some(RunContext::for_source(name));
        Ok(())
    })
}

/// Opens a client. `options` may be NULL for the defaults. On success `*out` owns a client to
/// release with `mlflow_client_free`; on failure `*out` is set to NULL.
#[no_mangle]
pub extern "C" fn mlflow_client_open(options: *const mlflow_options, out: *mut *mut mlflow_client) -> mlflow_status {
    guard(|| {
        require_out(out, "out")?;
        // SAFETY: out is non-NULL (checked above).
        unsafe { out.write(std::ptr::null_mut()) };
        // SAFETY: NULL means defaults; otherwise a live options object.
        let opts = unsafe { options.as_ref() }.map(|o| o.inner.clone()).unwrap_or_default();
        let client = Client::open(opts)?;
        write_out(out, Box::into_raw(Box::new(mlflow_client { client })), "out")
    })
}

/// Waits until everything logged before this call is durable (committed at the store's
/// documented sync level), at most `timeout_ms`. Returns MLFLOW_ERR_WRITE_FAILED naming items
/// that failed since the last report, MLFLOW_ERR_STORAGE if the timeout passed first (the items
/// are kept and still written).
#[no_mangle]
pub extern "C" fn mlflow_client_flush(client: *const mlflow_client, timeout_ms: u64) -> mlflow_status {
    guard(|| {
        handle(client, "client")?.client.flush(Duration::from_millis(timeout_ms))?;
        Ok(())
    })
}

/// Closes the client: ends runs it started and left open (FINISHED), writes what is queued
/// within `timeout_ms`, stops the writer. `report` (may be NULL) receives the counts. Returns
/// MLFLOW_OK if everything accepted was written, else MLFLOW_ERR_WRITE_FAILED with a message
/// saying what was not. Later calls on the client fail with MLFLOW_ERR_CLOSED; it must still be
/// freed with `mlflow_client_free`.
#[no_mangle]
pub extern "C" fn mlflow_client_close(
    client: *const mlflow_client,
    timeout_ms: u64,
    report: *mut mlflow_close_report,
) -> mlflow_status {
    guard(|| {
        let r = handle(client, "client")?.client.close(Duration::from_millis(timeout_ms));
        if !report.is_null() {
            let counts = mlflow_close_report {
                written: r.written,
                dropped: r.dropped,
                unwritten: r.unwritten,
                failed: r.failed,
                unsent: r.unsent,
            };
            // SAFETY: non-NULL, caller-provided storage.
            unsafe { report.write(counts) };
        }
        match mlflow_core::client::close_report_error(&r) {
            Some(e) => Err(e.into()),
            None => Ok(()),
        }
    })
}

/// Frees a client. If it was not closed, it is closed with the options' close timeout first
/// (once the last run handle using it is freed too). NULL is fine; must not be called twice.
#[no_mangle]
pub extern "C" fn mlflow_client_free(client: *mut mlflow_client) {
    if !client.is_null() {
        // SAFETY: came from mlflow_client_open and is freed once.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(unsafe { Box::from_raw(client) })));
    }
}

/// Creates an experiment; `artifact_location` may be NULL (then `<artifact root>/<id>`).
/// `*out_id` receives the new id, to free with `mlflow_string_free`.
#[no_mangle]
pub extern "C" fn mlflow_client_create_experiment(
    client: *const mlflow_client,
    name: *const c_char,
    artifact_location: *const c_char,
    out_id: *mut *mut c_char,
) -> mlflow_status {
    guard(|| {
        require_out(out_id, "out_id")?;
        let c = &handle(client, "client")?.client;
        let id =
            c.create_experiment(str_arg(name, "name")?, opt_str_arg(artifact_location, "artifact_location")?, &[])?;
        give_string(id, out_id, std::ptr::null_mut(), "out_id")
    })
}

/// The id of the experiment with this name (MLFLOW_ERR_NOT_FOUND if none), to free with
/// `mlflow_string_free`.
#[no_mangle]
pub extern "C" fn mlflow_client_get_experiment_id(
    client: *const mlflow_client,
    name: *const c_char,
    out_id: *mut *mut c_char,
) -> mlflow_status {
    guard(|| {
        require_out(out_id, "out_id")?;
        let c = &handle(client, "client")?.client;
        let name = str_arg(name, "name")?;
        match c.get_experiment_by_name(name)? {
            Some(e) => give_string(e.experiment_id, out_id, std::ptr::null_mut(), "out_id"),
            None => Err(Failure::new(MLFLOW_ERR_NOT_FOUND, format!("Could not find experiment with name '{name}'"))),
        }
    })
}

/// `mlflow.set_experiment(name)`: the id of the experiment with this name, created if missing.
/// Fails with MLFLOW_ERR_INVALID_STATE if that experiment is deleted.
#[no_mangle]
pub extern "C" fn mlflow_client_set_experiment(
    client: *const mlflow_client,
    name: *const c_char,
    out_id: *mut *mut c_char,
) -> mlflow_status {
    guard(|| {
        require_out(out_id, "out_id")?;
        let c = &handle(client, "client")?.client;
        let name = str_arg(name, "name")?;
        let id = match c.get_experiment_by_name(name)? {
            Some(e) if e.lifecycle_stage == mlflow_core::LifecycleStage::Deleted => {
                return Err(Failure::new(
                    MLFLOW_ERR_INVALID_STATE,
                    format!("Cannot set a deleted experiment '{name}' as the active experiment. Restore it or choose another name."),
                ))
            }
            Some(e) => e.experiment_id,
            None => match c.create_experiment(name, None, &[]) {
                Err(e) if e.kind() == mlflow_core::ErrorKind::AlreadyExists => c
                    .get_experiment_by_name(name)?
                    .map(|e| e.experiment_id)
                    .ok_or_else(|| Failure::new(MLFLOW_ERR_INTERNAL, "experiment vanished after creation"))?,
                other => other?,
            },
        };
        give_string(id, out_id, std::ptr::null_mut(), "out_id")
    })
}

/// Any MLflow REST call, by its path under `/api/2.0/mlflow/` ("runs/search",
/// "experiments/get", "metrics/get-history", ...), with the request and the response in
/// MLflow's REST JSON shapes. `request` is `request_len` bytes of UTF-8 JSON
/// (`MLFLOW_NUL_TERMINATED` if NUL-terminated). On success `*out_json` receives the response
/// (free with `mlflow_string_free`) and `*out_len` its length (`out_len` may be NULL).
#[no_mangle]
pub extern "C" fn mlflow_client_call(
    client: *const mlflow_client,
    method: *const c_char,
    request: *const c_char,
    request_len: usize,
    out_json: *mut *mut c_char,
    out_len: *mut usize,
) -> mlflow_status {
    guard(|| {
        require_out(out_json, "out_json")?;
        let c = &handle(client, "client")?.client;
        let response = json_api::call(c, str_arg(method, "method")?, str_n_arg(request, request_len, "request")?)?;
        give_string(response, out_json, out_len, "out_json")
    })
}
