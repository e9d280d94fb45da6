//! Entry points of `NativeBridge` for models: `saveModel` (the model builder: framework files and
//! a flavor → a complete MLflow model directory), `logModel` (MLflow 3's LoggedModel, optionally
//! registered in the same call), and `registerModel`. The Java side hands the
//! builder's spec and log_model's options over as the core's JSON forms (`ModelSpec`,
//! `LogModelOptions`), so every option the core documents reaches Java unchanged.

use std::path::Path;

use jni::objects::{JClass, JObject, JObjectArray, JString};
use jni::sys::jlong;
use jni::EnvUnowned;
use mlflow_core::log_model::LogModelOptions;
use mlflow_core::models::save_model_from_spec_json;
use mlflow_core::registry::ModelVersionTag;

use crate::args::{opt_string, pairs, string};
use crate::client::client;
use crate::entities::object;
use crate::failure::{Failure, ThrowJava};
use crate::progress::with_listener;

/// Builds the model `spec_json` describes at `dest_dir` (absent or empty; nothing is left on
/// failure). Relative paths in the spec are taken from `base_dir`. Returns the MLmodel text.
#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_saveModel<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    spec_json: JString<'l>,
    base_dir: JString<'l>,
    dest_dir: JString<'l>,
) -> JString<'l> {
    env.with_env(|env| -> Result<_, Failure> {
        let spec = string(env, &spec_json, "spec")?;
        let base = string(env, &base_dir, "baseDir")?;
        let dest = string(env, &dest_dir, "destDir")?;
        let model = save_model_from_spec_json(&spec, Path::new(&dest), Path::new(&base))?;
        Ok(env.new_string(model.to_yaml())?)
    })
    .resolve::<ThrowJava>()
}

/// Logs the model directory as a LoggedModel of `run_id` (null: of an experiment) with the
/// options `options_json` (`LogModelOptions`' JSON; null for none) and returns its `ModelInfo`.
#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_logModel<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    run_id: JString<'l>,
    model_dir: JString<'l>,
    options_json: JString<'l>,
    listener: JObject<'l>,
) -> JObject<'l> {
    env.with_env(|env| -> Result<_, Failure> {
        let run_id = opt_string(env, &run_id)?;
        let dir = string(env, &model_dir, "modelDir")?;
        let options = LogModelOptions::from_json(&opt_string(env, &options_json)?.unwrap_or_default())?;
        let c = client(handle)?;
        let info = with_listener(env, &listener, |progress| {
            c.log_model(run_id.as_deref(), Path::new(&dir), options.into_log_model(progress))
        })?;
        object(env, &info)
    })
    .resolve::<ThrowJava>()
}

/// `mlflow.register_model`: a new version of `name` (created if missing) from `model_uri`.
#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_registerModel<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    model_uri: JString<'l>,
    name: JString<'l>,
    tag_keys: JObjectArray<'l, JString<'l>>,
    tag_values: JObjectArray<'l, JString<'l>>,
) -> JObject<'l> {
    env.with_env(|env| -> Result<_, Failure> {
        let uri = string(env, &model_uri, "modelUri")?;
        let name = string(env, &name, "name")?;
        let tags: Vec<ModelVersionTag> = pairs(env, &tag_keys, &tag_values, "tags")?
            .into_iter()
            .map(|(key, value)| ModelVersionTag { key, value })
            .collect();
        let version = client(handle)?.register_model(&uri, &name, &tags)?;
        object(env, &version)
    })
    .resolve::<ThrowJava>()
}
