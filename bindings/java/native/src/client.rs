//! Entry points of `NativeBridge` that act on a client: open/close, experiments, runs by id,
//! logging by run id (queued), searches and the JSON entry point for the rest of MLflow's API.

use std::time::Duration;

use jni::objects::{JClass, JDoubleArray, JLongArray, JObject, JObjectArray, JString};
use jni::sys::{jboolean, jdouble, jint, jlong};
use jni::EnvUnowned;
use mlflow_core::client::close_report_error;
use mlflow_core::context::RunContext;
use mlflow_core::{
    json_api, Client, ClientOptions, Error, ErrorKind, ExperimentTag, LifecycleStage, Metric, Overflow, Param, Run,
    RunData, RunInfo, RunStatus, RunTag, StartRun, ViewType,
};

use crate::args::{doubles, longs, opt_string, pairs, string, strings, with_str};
use crate::entities::{object, page};
use crate::failure::{Failure, ThrowJava};
use crate::handles::{borrow, free, into_handle};

/// # Safety: the Java side passes a live client handle (see `handles`).
pub(crate) fn client<'a>(handle: jlong) -> Result<&'a Client, Failure> {
    unsafe { borrow::<Client>(handle, "client") }
}

fn millis(ms: jlong) -> Duration {
    Duration::from_millis(ms.max(0) as u64)
}

/// Opens a client. Non-positive numbers keep the core's defaults; a null string means the default.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_org_libmlflow_NativeBridge_clientOpen<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    tracking_uri: JString<'l>,
    artifact_root: JString<'l>,
    source_name: JString<'l>,
    queue_capacity: jint,
    enqueue_timeout_ms: jlong,
    drop_when_full: jboolean,
    close_timeout_ms: jlong,
    spool_dir: JString<'l>,
    offline: jint,
) -> jlong {
    env.with_env(|env| -> Result<jlong, Failure> {
        let mut options = ClientOptions {
            tracking_uri: opt_string(env, &tracking_uri)?,
            artifact_root: opt_string(env, &artifact_root)?,
            ..ClientOptions::default()
        };
        if queue_capacity > 0 {
            options.queue_capacity = queue_capacity as usize;
        }
        if enqueue_timeout_ms >= 0 {
            options.enqueue_timeout = millis(enqueue_timeout_ms);
        }
        if drop_when_full {
            options.overflow = Overflow::Drop;
        }
        if close_timeout_ms >= 0 {
            options.close_timeout = millis(close_timeout_ms);
        }
        options.spool_dir = opt_string(env, &spool_dir)?.map(std::path::PathBuf::from);
        // < 0: unset (`LIBMLFLOW_OFFLINE` decides), 0: online, > 0: offline.
        options.offline = (offline >= 0).then_some(offline > 0);
        if let Some(name) = opt_string(env, &source_name)?.filter(|n| !n.is_empty()) {
            // The JVM's executable is `java`; the user's main class says what ran.
            options.context = Some(RunContext::for_source(name));
        }
        Ok(into_handle(Client::open(options)?))
    })
    .resolve::<ThrowJava>()
}

/// Ends the client's open runs, writes what is queued (within the timeout), stops the writer and
/// frees the client. Returns `{written, unsent}` (unsent: items safe in a tracking server's
/// spool, not delivered yet — not a failure). Throws `DATA_LOSS` if anything accepted could not
/// be written.
#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_clientClose<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    timeout_ms: jlong,
) -> JLongArray<'l> {
    env.with_env(|env| -> Result<JLongArray<'l>, Failure> {
        // SAFETY: the Java side has zeroed its copy of the handle under its write lock.
        let Some(client) = (unsafe { free::<Client>(handle) }) else { return Ok(JLongArray::null()) };
        let report = client.close(millis(timeout_ms));
        drop(client);
        if let Some(e) = close_report_error(&report) {
            return Err(e.into());
        }
        let counts = env.new_long_array(2)?;
        counts.set_region(env, 0, &[report.written as jlong, report.unsent as jlong])?;
        Ok(counts)
    })
    .resolve::<ThrowJava>()
}

#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_clientTrackingUri<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> JString<'l> {
    env.with_env(|env| -> Result<_, Failure> { Ok(env.new_string(client(handle)?.tracking_uri())?) })
        .resolve::<ThrowJava>()
}

#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_clientFlush<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    timeout_ms: jlong,
) {
    env.with_env(|_env| -> Result<(), Failure> { Ok(client(handle)?.flush(millis(timeout_ms))?) })
        .resolve::<ThrowJava>()
}

// ---- experiments -------------------------------------------------------------------------

#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_createExperiment<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    name: JString<'l>,
    artifact_location: JString<'l>,
    tag_keys: JObjectArray<'l, JString<'l>>,
    tag_values: JObjectArray<'l, JString<'l>>,
) -> JString<'l> {
    env.with_env(|env| -> Result<_, Failure> {
        let name = string(env, &name, "name")?;
        let location = opt_string(env, &artifact_location)?;
        let tags: Vec<ExperimentTag> = pairs(env, &tag_keys, &tag_values, "tags")?
            .into_iter()
            .map(|(key, value)| ExperimentTag { key, value })
            .collect();
        let id = client(handle)?.create_experiment(&name, location.as_deref(), &tags)?;
        Ok(env.new_string(id)?)
    })
    .resolve::<ThrowJava>()
}

#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_getExperiment<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    experiment_id: JString<'l>,
) -> JObject<'l> {
    env.with_env(|env| -> Result<_, Failure> {
        let id = string(env, &experiment_id, "experimentId")?;
        let experiment = client(handle)?.get_experiment(&id)?;
        object(env, &experiment)
    })
    .resolve::<ThrowJava>()
}

/// The experiment of that name, or null.
#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_getExperimentByName<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    name: JString<'l>,
) -> JObject<'l> {
    env.with_env(|env| -> Result<_, Failure> {
        let name = string(env, &name, "name")?;
        match client(handle)?.get_experiment_by_name(&name)? {
            Some(experiment) => object(env, &experiment),
            None => Ok(JObject::null()),
        }
    })
    .resolve::<ThrowJava>()
}

#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_org_libmlflow_NativeBridge_searchExperiments<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    filter: JString<'l>,
    view_type: jint,
    max_results: jlong,
    order_by: JObjectArray<'l, JString<'l>>,
    page_token: JString<'l>,
) -> JObject<'l> {
    env.with_env(|env| -> Result<_, Failure> {
        let filter = opt_string(env, &filter)?.unwrap_or_default();
        let order_by = strings(env, &order_by, "orderBy")?;
        let token = opt_string(env, &page_token)?;
        let view = ViewType::from_number(view_type.into())?;
        let result = client(handle)?.search_experiments(&filter, view, max_results, &order_by, token.as_deref())?;
        page(env, &result)
    })
    .resolve::<ThrowJava>()
}

/// What to do to an experiment by id: the few calls taking just an id (and a name).
fn experiment_call(
    env: EnvUnowned,
    handle: jlong,
    experiment_id: JString,
    f: impl FnOnce(&Client, &str) -> Result<(), Error>,
) {
    let mut env = env;
    env.with_env(|env| -> Result<(), Failure> {
        let id = string(env, &experiment_id, "experimentId")?;
        Ok(f(client(handle)?, &id)?)
    })
    .resolve::<ThrowJava>()
}

#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_deleteExperiment<'l>(
    env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    experiment_id: JString<'l>,
) {
    experiment_call(env, handle, experiment_id, |c, id| c.delete_experiment(id))
}

#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_restoreExperiment<'l>(
    env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    experiment_id: JString<'l>,
) {
    experiment_call(env, handle, experiment_id, |c, id| c.restore_experiment(id))
}

#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_renameExperiment<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    experiment_id: JString<'l>,
    new_name: JString<'l>,
) {
    env.with_env(|env| -> Result<(), Failure> {
        let id = string(env, &experiment_id, "experimentId")?;
        let name = string(env, &new_name, "newName")?;
        Ok(client(handle)?.rename_experiment(&id, &name)?)
    })
    .resolve::<ThrowJava>()
}

#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_setExperimentTag<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    experiment_id: JString<'l>,
    key: JString<'l>,
    value: JString<'l>,
) {
    env.with_env(|env| -> Result<(), Failure> {
        let id = string(env, &experiment_id, "experimentId")?;
        let key = string(env, &key, "key")?;
        let value = string(env, &value, "value")?;
        Ok(client(handle)?.set_experiment_tag(&id, &key, &value)?)
    })
    .resolve::<ThrowJava>()
}

// ---- runs --------------------------------------------------------------------------------

fn start_request(
    env: &mut jni::Env,
    experiment_id: &JString,
    run_name: &JString,
    parent_run_id: &JString,
    start_time: jlong,
    tag_keys: &JObjectArray<JString>,
    tag_values: &JObjectArray<JString>,
) -> Result<StartRun, Failure> {
    Ok(StartRun {
        experiment_id: opt_string(env, experiment_id)?,
        run_name: opt_string(env, run_name)?.filter(|n| !n.is_empty()),
        parent_run_id: opt_string(env, parent_run_id)?,
        tags: pairs(env, tag_keys, tag_values, "tags")?.into_iter().map(|(key, value)| RunTag { key, value }).collect(),
        start_time: (start_time >= 0).then_some(start_time),
    })
}

/// Creates a run and returns its `Run` (the official client's `createRun`).
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_org_libmlflow_NativeBridge_createRun<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    experiment_id: JString<'l>,
    run_name: JString<'l>,
    parent_run_id: JString<'l>,
    start_time: jlong,
    tag_keys: JObjectArray<'l, JString<'l>>,
    tag_values: JObjectArray<'l, JString<'l>>,
) -> JObject<'l> {
    env.with_env(|env| -> Result<_, Failure> {
        let request =
            start_request(env, &experiment_id, &run_name, &parent_run_id, start_time, &tag_keys, &tag_values)?;
        let c = client(handle)?;
        let (experiment_id, run_name, tags) =
            (request.experiment_id.clone(), request.run_name.clone(), request.tags.clone());
        let start_time = request.start_time.unwrap_or_else(|| {
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
        });
        let started = c.start_run(request)?;
        match c.get_run(started.run_id()) {
            Ok(run) => object(env, &run),
            // A tracking server that cannot be reached: the run waits in the spool under a local id
            // that works for logging; return what this client knows of it instead of failing a
            // create that did happen.
            Err(e) if e.kind() == ErrorKind::Unavailable && c.is_remote() => {
                let id = started.run_id().to_string();
                let info = RunInfo {
                    run_id: id.clone(),
                    run_uuid: id,
                    run_name: run_name.unwrap_or_default(),
                    experiment_id: experiment_id.unwrap_or_default(),
                    user_id: String::new(),
                    status: RunStatus::Running,
                    start_time,
                    end_time: None,
                    artifact_uri: String::new(),
                    lifecycle_stage: LifecycleStage::Active,
                };
                let data = RunData { tags, ..RunData::default() };
                object(env, &Run { info, data, inputs: Default::default(), outputs: Default::default() })
            }
            Err(e) => Err(e.into()),
        }
    })
    .resolve::<ThrowJava>()
}

/// Starts a run and returns a handle on it (`ActiveRun`), freed by `runClose`.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_org_libmlflow_NativeBridge_startRun<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    experiment_id: JString<'l>,
    run_name: JString<'l>,
    parent_run_id: JString<'l>,
    tag_keys: JObjectArray<'l, JString<'l>>,
    tag_values: JObjectArray<'l, JString<'l>>,
) -> jlong {
    env.with_env(|env| -> Result<_, Failure> {
        let request = start_request(env, &experiment_id, &run_name, &parent_run_id, -1, &tag_keys, &tag_values)?;
        Ok(into_handle(client(handle)?.start_run(request)?))
    })
    .resolve::<ThrowJava>()
}

#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_getRun<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    run_id: JString<'l>,
) -> JObject<'l> {
    env.with_env(|env| -> Result<_, Failure> {
        let run = with_str(env, &run_id, "runId", |id| Ok(client(handle)?.get_run(id)?))?;
        object(env, &run)
    })
    .resolve::<ThrowJava>()
}

/// Ends a run by id with a status (`setTerminated`); `end_time` < 0 means now. Returns its RunInfo.
#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_setTerminated<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    run_id: JString<'l>,
    status: JString<'l>,
    end_time: jlong,
) -> JObject<'l> {
    env.with_env(|env| -> Result<_, Failure> {
        let id = string(env, &run_id, "runId")?;
        let status = RunStatus::parse(&string(env, &status, "status")?)?;
        // None: the end waits in the spool for an unreachable tracking server (Java gets null).
        match client(handle)?.end_run(&id, status, (end_time >= 0).then_some(end_time))? {
            Some(info) => object(env, &info),
            None => Ok(JObject::null()),
        }
    })
    .resolve::<ThrowJava>()
}

/// The few run calls taking a run id and one optional string.
fn run_call(env: EnvUnowned, handle: jlong, run_id: JString, f: impl FnOnce(&Client, &str) -> Result<(), Error>) {
    let mut env = env;
    env.with_env(|env| -> Result<(), Failure> { with_str(env, &run_id, "runId", |id| Ok(f(client(handle)?, id)?)) })
        .resolve::<ThrowJava>()
}

#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_deleteRun<'l>(
    env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    run_id: JString<'l>,
) {
    run_call(env, handle, run_id, |c, id| c.delete_run(id))
}

#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_restoreRun<'l>(
    env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    run_id: JString<'l>,
) {
    run_call(env, handle, run_id, |c, id| c.restore_run(id))
}

#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_setRunName<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    run_id: JString<'l>,
    name: JString<'l>,
) {
    env.with_env(|env| -> Result<(), Failure> {
        let id = string(env, &run_id, "runId")?;
        let name = string(env, &name, "name")?;
        client(handle)?.update_run(&id, None, None, Some(&name))?;
        Ok(())
    })
    .resolve::<ThrowJava>()
}

#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_deleteTag<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    run_id: JString<'l>,
    key: JString<'l>,
) {
    env.with_env(|env| -> Result<(), Failure> {
        let id = string(env, &run_id, "runId")?;
        let key = string(env, &key, "key")?;
        Ok(client(handle)?.delete_tag(&id, &key)?)
    })
    .resolve::<ThrowJava>()
}

#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_org_libmlflow_NativeBridge_searchRuns<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    experiment_ids: JObjectArray<'l, JString<'l>>,
    filter: JString<'l>,
    view_type: jint,
    max_results: jlong,
    order_by: JObjectArray<'l, JString<'l>>,
    page_token: JString<'l>,
) -> JObject<'l> {
    env.with_env(|env| -> Result<_, Failure> {
        let ids = strings(env, &experiment_ids, "experimentIds")?;
        let filter = opt_string(env, &filter)?.unwrap_or_default();
        let order_by = strings(env, &order_by, "orderBy")?;
        let token = opt_string(env, &page_token)?;
        let view = ViewType::from_number(view_type.into())?;
        let result = client(handle)?.search_runs(&ids, &filter, view, max_results, &order_by, token.as_deref())?;
        page(env, &result)
    })
    .resolve::<ThrowJava>()
}

/// One page of a metric's history; `max_results` <= 0 means all points.
#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_getMetricHistory<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    run_id: JString<'l>,
    key: JString<'l>,
    max_results: jlong,
    page_token: JString<'l>,
) -> JObject<'l> {
    env.with_env(|env| -> Result<_, Failure> {
        let id = string(env, &run_id, "runId")?;
        let key = string(env, &key, "key")?;
        let token = opt_string(env, &page_token)?;
        let max = (max_results > 0).then_some(max_results);
        let result = client(handle)?.get_metric_history(&id, &key, max, token.as_deref())?;
        page(env, &result)
    })
    .resolve::<ThrowJava>()
}

// ---- logging by run id (queued) ----------------------------------------------------------

#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_org_libmlflow_NativeBridge_logMetric<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    run_id: JString<'l>,
    key: JString<'l>,
    value: jdouble,
    timestamp: jlong,
    step: jlong,
) {
    env.with_env(|env| -> Result<(), Failure> {
        let c = client(handle)?;
        with_str(env, &run_id, "runId", |id| {
            with_str(env, &key, "key", |key| Ok(c.log_metric(id, key, value, Some(timestamp), step)?))
        })
    })
    .resolve::<ThrowJava>()
}

#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_logParam<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    run_id: JString<'l>,
    key: JString<'l>,
    value: JString<'l>,
) {
    env.with_env(|env| -> Result<(), Failure> {
        let c = client(handle)?;
        with_str(env, &run_id, "runId", |id| {
            with_str(env, &key, "key", |key| with_str(env, &value, "value", |value| Ok(c.log_param(id, key, value)?)))
        })
    })
    .resolve::<ThrowJava>()
}

#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_setTag<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    run_id: JString<'l>,
    key: JString<'l>,
    value: JString<'l>,
) {
    env.with_env(|env| -> Result<(), Failure> {
        let c = client(handle)?;
        with_str(env, &run_id, "runId", |id| {
            with_str(env, &key, "key", |key| with_str(env, &value, "value", |value| Ok(c.set_tag(id, key, value)?)))
        })
    })
    .resolve::<ThrowJava>()
}

/// A batch as parallel arrays (no per-item Java objects cross the boundary).
pub struct Batch {
    pub metrics: Vec<Metric>,
    pub params: Vec<Param>,
    pub tags: Vec<RunTag>,
}

#[allow(clippy::too_many_arguments)]
pub fn read_batch(
    env: &mut jni::Env,
    metric_keys: &JObjectArray<JString>,
    metric_values: &JDoubleArray,
    metric_timestamps: &JLongArray,
    metric_steps: &JLongArray,
    param_keys: &JObjectArray<JString>,
    param_values: &JObjectArray<JString>,
    tag_keys: &JObjectArray<JString>,
    tag_values: &JObjectArray<JString>,
) -> Result<Batch, Failure> {
    let keys = strings(env, metric_keys, "metric key")?;
    let values = doubles(env, metric_values, "metric values")?;
    let timestamps = longs(env, metric_timestamps, "metric timestamps")?;
    let steps = longs(env, metric_steps, "metric steps")?;
    if values.len() != keys.len() || timestamps.len() != keys.len() || steps.len() != keys.len() {
        return Err(Error::invalid("metric keys, values, timestamps and steps differ in length").into());
    }
    let metrics = keys
        .into_iter()
        .enumerate()
        .map(|(i, key)| Metric { key, value: values[i], timestamp: timestamps[i], step: steps[i] })
        .collect();
    let params = pairs(env, param_keys, param_values, "params")?.into_iter().map(|(key, value)| Param { key, value });
    let tags = pairs(env, tag_keys, tag_values, "tags")?.into_iter().map(|(key, value)| RunTag { key, value });
    Ok(Batch { metrics, params: params.collect(), tags: tags.collect() })
}

#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_org_libmlflow_NativeBridge_logBatch<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    run_id: JString<'l>,
    metric_keys: JObjectArray<'l, JString<'l>>,
    metric_values: JDoubleArray<'l>,
    metric_timestamps: JLongArray<'l>,
    metric_steps: JLongArray<'l>,
    param_keys: JObjectArray<'l, JString<'l>>,
    param_values: JObjectArray<'l, JString<'l>>,
    tag_keys: JObjectArray<'l, JString<'l>>,
    tag_values: JObjectArray<'l, JString<'l>>,
) {
    env.with_env(|env| -> Result<(), Failure> {
        let id = string(env, &run_id, "runId")?;
        let batch = read_batch(
            env,
            &metric_keys,
            &metric_values,
            &metric_timestamps,
            &metric_steps,
            &param_keys,
            &param_values,
            &tag_keys,
            &tag_values,
        )?;
        Ok(client(handle)?.log_batch(&id, &batch.metrics, &batch.params, &batch.tags)?)
    })
    .resolve::<ThrowJava>()
}

/// MLflow's REST JSON for any method of `json_api::METHODS` (the official client's `sendPost`).
#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_callJson<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    method: JString<'l>,
    request: JString<'l>,
) -> JString<'l> {
    env.with_env(|env| -> Result<_, Failure> {
        let method = string(env, &method, "method")?;
        let request = string(env, &request, "json")?;
        let response = json_api::call(client(handle)?, &method, &request)?;
        Ok(env.new_string(response)?)
    })
    .resolve::<ThrowJava>()
}
