//! Entry points of `NativeBridge` that act on a run handle (`ActiveRun` in Java): the fluent
//! style's hot path. A handle refuses logging once the run was ended through it.

use jni::objects::{JClass, JDoubleArray, JLongArray, JObject, JObjectArray, JString};
use jni::sys::{jboolean, jdouble, jlong};
use jni::EnvUnowned;
use mlflow_core::{ActiveRun, ErrorKind, RunStatus};

use crate::args::{string, with_str};
use crate::client::read_batch;
use crate::entities::object;
use crate::failure::{Failure, ThrowJava};
use crate::handles::{borrow, free};

fn run<'a>(handle: jlong) -> Result<&'a ActiveRun, Failure> {
    // SAFETY: the Java side passes a live run handle (see `handles`).
    unsafe { borrow::<ActiveRun>(handle, "run") }
}

#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_runId<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> JString<'l> {
    env.with_env(|env| -> Result<_, Failure> { Ok(env.new_string(run(handle)?.run_id())?) }).resolve::<ThrowJava>()
}

#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_runIsEnded<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> jboolean {
    env.with_env(|_env| -> Result<_, Failure> { Ok(run(handle)?.is_ended()) }).resolve::<ThrowJava>()
}

/// Queues one metric point; `timestamp` is milliseconds (the Java side fills in now).
#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_runLogMetric<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    key: JString<'l>,
    value: jdouble,
    timestamp: jlong,
    step: jlong,
) {
    env.with_env(|env| -> Result<(), Failure> {
        let r = run(handle)?;
        with_str(env, &key, "key", |key| Ok(r.log_metric(key, value, Some(timestamp), step)?))
    })
    .resolve::<ThrowJava>()
}

#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_runLogParam<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    key: JString<'l>,
    value: JString<'l>,
) {
    env.with_env(|env| -> Result<(), Failure> {
        let r = run(handle)?;
        with_str(env, &key, "key", |key| with_str(env, &value, "value", |value| Ok(r.log_param(key, value)?)))
    })
    .resolve::<ThrowJava>()
}

#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_runSetTag<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    key: JString<'l>,
    value: JString<'l>,
) {
    env.with_env(|env| -> Result<(), Failure> {
        let r = run(handle)?;
        with_str(env, &key, "key", |key| with_str(env, &value, "value", |value| Ok(r.set_tag(key, value)?)))
    })
    .resolve::<ThrowJava>()
}

#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_org_libmlflow_NativeBridge_runLogBatch<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
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
        Ok(run(handle)?.log_batch(&batch.metrics, &batch.params, &batch.tags)?)
    })
    .resolve::<ThrowJava>()
}

/// Ends the run with `status` once its data is written; returns its `RunInfo`.
#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_runEnd<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    status: JString<'l>,
) -> JObject<'l> {
    env.with_env(|env| -> Result<_, Failure> {
        let status = RunStatus::parse(&string(env, &status, "status")?)?;
        // None: the end waits in the spool for an unreachable tracking server (Java gets null).
        match run(handle)?.end(status)? {
            Some(info) => object(env, &info),
            None => Ok(JObject::null()),
        }
    })
    .resolve::<ThrowJava>()
}

/// Frees a run handle, ending the run FINISHED first if it is still open through it. A closed
/// client has already ended its runs, so that case is not an error.
#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_runClose<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) {
    env.with_env(|_env| -> Result<(), Failure> {
        // SAFETY: the Java side has zeroed its copy of the handle under its write lock.
        let Some(run) = (unsafe { free::<ActiveRun>(handle) }) else { return Ok(()) };
        if run.is_ended() {
            return Ok(());
        }
        match run.end(RunStatus::Finished) {
            Err(e) if e.kind() == ErrorKind::Closed => Ok(()),
            Err(e) => Err(e.into()),
            Ok(_) => Ok(()),
        }
    })
    .resolve::<ThrowJava>()
}
