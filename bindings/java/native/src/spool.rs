//! Entry points of `NativeBridge` for the spool of a tracking-server client: the explicit sync
//! (offline machines, spools left by crashed jobs), local → server run ids, what is undelivered.

use std::path::PathBuf;
use std::time::Duration;

use jni::objects::{JClass, JObject, JObjectArray, JString, JValue};
use jni::sys::jlong;
use jni::{jni_sig, jni_str, Env, EnvUnowned};
use mlflow_core::spool::{default_spool_dir, sync_spool, SyncReport};
use mlflow_core::{tracking_uri, Client};

use crate::args::{opt_string, string};
use crate::failure::{kind_name, Failure, ThrowJava};
use crate::handles::borrow;

/// # Safety: the Java side passes a live client handle (see `handles`).
fn client<'a>(handle: jlong) -> Result<&'a Client, Failure> {
    unsafe { borrow::<Client>(handle, "client") }
}

/// A `String[]` whose elements may be null.
fn string_array<'l>(env: &mut Env<'l>, items: &[Option<&str>]) -> Result<JObjectArray<'l>, Failure> {
    let class = env.find_class(jni_str!("java/lang/String"))?;
    let out = env.new_object_array(items.len() as i32, &class, JObject::null())?;
    for (i, item) in items.iter().enumerate() {
        env.with_local_frame(4, |env| -> Result<(), Failure> {
            let element: JObject = match item {
                Some(s) => env.new_string(s)?.into(),
                None => JObject::null(),
            };
            out.set_element(env, i, &element)?;
            Ok(())
        })?;
    }
    Ok(out)
}

/// The report as `org.libmlflow.SyncReport`; its error (refused records, items left) travels
/// with it so Java can throw an exception that still holds the report.
fn sync_report<'l>(env: &mut Env<'l>, r: &SyncReport) -> Result<JObject<'l>, Failure> {
    let files: Vec<String> = r.files.iter().map(|p| p.display().to_string()).collect();
    let files = string_array(env, &files.iter().map(|f| Some(f.as_str())).collect::<Vec<_>>())?;
    let what = string_array(env, &r.failures.iter().map(|f| Some(f.what.as_str())).collect::<Vec<_>>())?;
    let why = string_array(env, &r.failures.iter().map(|f| Some(f.error.message())).collect::<Vec<_>>())?;
    let local = string_array(env, &r.run_ids.iter().map(|m| Some(m.local_id.as_str())).collect::<Vec<_>>())?;
    let server = string_array(env, &r.run_ids.iter().map(|m| m.server_id.as_deref()).collect::<Vec<_>>())?;
    let last_error = string_array(env, &[r.last_error.as_ref().map(|e| e.message())])?;
    let error = r.error();
    let error = string_array(
        env,
        &[
            error.as_ref().map(|e| e.mlflow_code()),
            error.as_ref().map(|e| kind_name(e.kind())),
            error.as_ref().map(|e| e.message()),
        ],
    )?;
    Ok(env.new_object(
        jni_str!("org/libmlflow/SyncReport"),
        jni_sig!("(JJJJ[Ljava/lang/String;[Ljava/lang/String;[Ljava/lang/String;[Ljava/lang/String;[Ljava/lang/String;[Ljava/lang/String;[Ljava/lang/String;)V"),
        &[
            JValue::Long(r.delivered_items as i64),
            JValue::Long(r.remaining_items as i64),
            JValue::Long(r.busy_records as i64),
            JValue::Long(r.failed as i64),
            JValue::Object(&files),
            JValue::Object(&what),
            JValue::Object(&why),
            JValue::Object(&local),
            JValue::Object(&server),
            JValue::Object(&last_error),
            JValue::Object(&error),
        ],
    )?)
}

/// Uploads a spool (file or directory; null: the default spool directory) to a tracking server
/// (null: `MLFLOW_TRACKING_URI`), retrying for at most `timeout_ms`. Errors that prevent a sync
/// (no spool there, a malformed URI) are thrown; the outcome of a sync is in the report.
#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_syncSpool<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    spool: JString<'l>,
    tracking_uri: JString<'l>,
    timeout_ms: jlong,
) -> JObject<'l> {
    env.with_env(|env| -> Result<_, Failure> {
        let spool = opt_string(env, &spool)?.map(PathBuf::from).unwrap_or_else(default_spool_dir);
        let uri = tracking_uri::resolve(opt_string(env, &tracking_uri)?.as_deref())?;
        let report = sync_spool(&spool, &uri, Duration::from_millis(timeout_ms.max(0) as u64))?;
        sync_report(env, &report)
    })
    .resolve::<ThrowJava>()
}

/// The server's id of a run started under a local id, or null while it waits in the spool (and
/// for ids that are not local ones, and for sqlite clients).
#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_clientServerRunId<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    run_id: JString<'l>,
) -> JString<'l> {
    env.with_env(|env| -> Result<_, Failure> {
        let id = string(env, &run_id, "runId")?;
        match client(handle)?.server_run_id(&id)? {
            Some(server_id) => Ok(env.new_string(server_id)?),
            None => Ok(JString::default()),
        }
    })
    .resolve::<ThrowJava>()
}

/// Logged items in the client's spool not delivered yet (0 for sqlite clients).
#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_clientUndelivered<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> jlong {
    env.with_env(|_env| -> Result<_, Failure> { Ok(client(handle)?.undelivered() as jlong) }).resolve::<ThrowJava>()
}

/// The client's spool file, or null for sqlite clients.
#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_clientSpoolPath<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> JString<'l> {
    env.with_env(|env| -> Result<_, Failure> {
        match client(handle)?.spool_path() {
            Some(path) => Ok(env.new_string(path.display().to_string())?),
            None => Ok(JString::default()),
        }
    })
    .resolve::<ThrowJava>()
}
