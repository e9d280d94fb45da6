//! The spool of a tracking-server client from C: the explicit sync entry point (offline machines,
//! spools left by crashed jobs) and the map from local run ids to the server's.

use std::ffi::c_char;
use std::path::PathBuf;
use std::time::Duration;

use mlflow_core::spool::{default_spool_dir, sync_spool, RunIdMapping};
use mlflow_core::tracking_uri;

use crate::boundary::*;
use crate::client::mlflow_client;
use crate::status::*;
use crate::strings::give_string;

/// Counts of what `mlflow_sync_spool` did.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct mlflow_sync_report {
    /// Logged items the server took.
    pub delivered: u64,
    /// Items still in the spool (server unreachable or timeout); a later sync resumes.
    pub remaining: u64,
    /// Records that belong to processes still running (they deliver them themselves).
    pub busy: u64,
    /// Items the server refused; set aside in the spool with the reason.
    pub failed: u64,
}

/// Uploads a spool to a tracking server, in order, exactly once: `spool` is a spool file or a
/// directory of them (NULL: the default spool directory, `LIBMLFLOW_SPOOL_DIR` or
/// `~/.local/share/libmlflow/spool`); `tracking_uri` NULL means `MLFLOW_TRACKING_URI`. Retries
/// for at most `timeout_ms`. `report` (may be NULL) receives the counts; `out_json` (may be NULL)
/// the whole report as JSON, including every local run id and its server id (free with
/// `mlflow_string_free`). Returns MLFLOW_OK when everything was delivered, MLFLOW_ERR_UNAVAILABLE
/// when items remain, MLFLOW_ERR_WRITE_FAILED when the server refused some.
#[no_mangle]
pub extern "C" fn mlflow_sync_spool(
    spool: *const c_char,
    tracking_uri: *const c_char,
    timeout_ms: u64,
    report: *mut mlflow_sync_report,
    out_json: *mut *mut c_char,
    out_len: *mut usize,
) -> mlflow_status {
    guard(|| {
        let spool = opt_str_arg(spool, "spool")?.map(PathBuf::from).unwrap_or_else(default_spool_dir);
        let uri = tracking_uri::resolve(opt_str_arg(tracking_uri, "tracking_uri")?)?;
        let r = sync_spool(&spool, &uri, Duration::from_millis(timeout_ms))?;
        if !report.is_null() {
            let counts = mlflow_sync_report {
                delivered: r.delivered_items,
                remaining: r.remaining_items,
                busy: r.busy_records,
                failed: r.failed,
            };
            // SAFETY: non-NULL, caller-provided storage.
            unsafe { report.write(counts) };
        }
        if !out_json.is_null() {
            give_string(r.to_json().to_string(), out_json, out_len, "out_json")?;
        }
        match r.error() {
            Some(e) => Err(e.into()),
            None => Ok(()),
        }
    })
}

/// The tracking server's id for a run started while the server could not be reached (a local
/// id). `*out` receives it (free with `mlflow_string_free`). MLFLOW_ERR_UNAVAILABLE while the run
/// waits in the spool; MLFLOW_ERR_NOT_FOUND when `run_id` is not a local id of this client's spool
/// (then it is already the server's id, or unknown).
#[no_mangle]
pub extern "C" fn mlflow_client_server_run_id(
    client: *const mlflow_client,
    run_id: *const c_char,
    out: *mut *mut c_char,
    out_len: *mut usize,
) -> mlflow_status {
    guard(|| {
        let c = &handle(client, "client")?.client;
        let id = str_arg(run_id, "run_id")?;
        match c.run_id_mapping(id)? {
            Some(RunIdMapping { server_id: Some(server), .. }) => give_string(server, out, out_len, "out"),
            Some(_) => Err(Failure::new(
                MLFLOW_ERR_UNAVAILABLE,
                format!("run {id} waits in the spool: it is not on the tracking server yet"),
            )),
            None => {
                Err(Failure::new(MLFLOW_ERR_NOT_FOUND, format!("{id} is not a local run id of this client's spool")))
            }
        }
    })
}

/// Tracking server only: logged items in the spool not yet delivered (0 for sqlite stores).
#[no_mangle]
pub extern "C" fn mlflow_client_undelivered(client: *const mlflow_client, out: *mut u64) -> mlflow_status {
    guard(|| {
        let n = handle(client, "client")?.client.undelivered();
        write_out(out, n, "out")
    })
}
