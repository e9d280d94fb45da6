//! Entry points of `NativeBridge` for the model registry (registered models, versions, stages,
//! aliases) with MlflowClient's semantics: each calls the core's `Client` method of the same
//! name, which checks names, stages and aliases before anything is sent or written. Versions
//! arrive as Java strings (as in the official Java client) and are parsed as MLflow parses them.

use jni::objects::{JClass, JObject, JObjectArray, JString};
use jni::sys::{jboolean, jlong};
use jni::{Env, EnvUnowned};
use mlflow_core::registry::{CreateModelVersion, ModelVersionTag, RegisteredModelTag};
use mlflow_core::validation::parse_model_version;
use mlflow_core::{Client, Page};

use crate::args::{opt_string, pairs, string, strings};
use crate::client::client;
use crate::entities::{array, object, page, ToJava};
use crate::failure::{Failure, ThrowJava};

fn version(env: &Env, v: &JString) -> Result<i64, Failure> {
    Ok(parse_model_version(&string(env, v, "version")?)?)
}

/// Runs `f` with the client and returns its entity as a Java object.
fn returning<'l, T: ToJava>(
    mut env: EnvUnowned<'l>,
    handle: jlong,
    f: impl FnOnce(&mut Env<'l>, &Client) -> Result<T, Failure>,
) -> JObject<'l> {
    env.with_env(|env| -> Result<_, Failure> {
        let value = f(env, client(handle)?)?;
        object(env, &value)
    })
    .resolve::<ThrowJava>()
}

/// Runs `f` with the client, for calls without an answer.
fn void(mut env: EnvUnowned, handle: jlong, f: impl FnOnce(&mut Env, &Client) -> Result<(), Failure>) {
    env.with_env(|env| -> Result<(), Failure> { f(env, client(handle)?) }).resolve::<ThrowJava>()
}

/// One page of a registry search: the filter, `max_results` (<= 0: MLflow's default), order_by
/// and page token read from Java and handed to `search` with the client.
fn search_page<'l, T: ToJava>(
    mut env: EnvUnowned<'l>,
    handle: jlong,
    filter: &JString,
    max_results: jlong,
    order_by: &JObjectArray<JString>,
    page_token: &JString,
    search: impl FnOnce(&Client, &str, Option<i64>, &[String], Option<&str>) -> mlflow_core::Result<Page<T>>,
) -> JObject<'l> {
    env.with_env(|env| -> Result<_, Failure> {
        let filter = opt_string(env, filter)?.unwrap_or_default();
        let order_by = strings(env, order_by, "orderBy")?;
        let token = opt_string(env, page_token)?;
        let max = (max_results > 0).then_some(max_results);
        let result = search(client(handle)?, &filter, max, &order_by, token.as_deref())?;
        page(env, &result)
    })
    .resolve::<ThrowJava>()
}

// ---- registered models -------------------------------------------------------------------

#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_createRegisteredModel<'l>(
    env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    name: JString<'l>,
    tag_keys: JObjectArray<'l, JString<'l>>,
    tag_values: JObjectArray<'l, JString<'l>>,
    description: JString<'l>,
) -> JObject<'l> {
    returning(env, handle, |env, c| {
        let name = string(env, &name, "name")?;
        let tags: Vec<RegisteredModelTag> = pairs(env, &tag_keys, &tag_values, "tags")?
            .into_iter()
            .map(|(key, value)| RegisteredModelTag { key, value })
            .collect();
        let description = opt_string(env, &description)?;
        Ok(c.create_registered_model(&name, &tags, description.as_deref())?)
    })
}

#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_getRegisteredModel<'l>(
    env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    name: JString<'l>,
) -> JObject<'l> {
    returning(env, handle, |env, c| Ok(c.get_registered_model(&string(env, &name, "name")?)?))
}

#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_renameRegisteredModel<'l>(
    env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    name: JString<'l>,
    new_name: JString<'l>,
) -> JObject<'l> {
    returning(env, handle, |env, c| {
        Ok(c.rename_registered_model(&string(env, &name, "name")?, &string(env, &new_name, "newName")?)?)
    })
}

/// Sets the description (null clears it, as MLflow's `description=None`).
#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_updateRegisteredModel<'l>(
    env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    name: JString<'l>,
    description: JString<'l>,
) -> JObject<'l> {
    returning(env, handle, |env, c| {
        let description = opt_string(env, &description)?;
        Ok(c.update_registered_model(&string(env, &name, "name")?, description.as_deref())?)
    })
}

#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_deleteRegisteredModel<'l>(
    env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    name: JString<'l>,
) {
    void(env, handle, |env, c| Ok(c.delete_registered_model(&string(env, &name, "name")?)?))
}

/// One page of registered models; `max_results` <= 0 means MLflow's default (100).
#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_searchRegisteredModels<'l>(
    env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    filter: JString<'l>,
    max_results: jlong,
    order_by: JObjectArray<'l, JString<'l>>,
    page_token: JString<'l>,
) -> JObject<'l> {
    search_page(env, handle, &filter, max_results, &order_by, &page_token, |c, filter, max, order_by, token| {
        c.search_registered_models(filter, max, order_by, token)
    })
}

#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_setRegisteredModelTag<'l>(
    env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    name: JString<'l>,
    key: JString<'l>,
    value: JString<'l>,
) {
    void(env, handle, |env, c| {
        let (name, key) = (string(env, &name, "name")?, string(env, &key, "key")?);
        Ok(c.set_registered_model_tag(&name, &key, &string(env, &value, "value")?)?)
    })
}

#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_deleteRegisteredModelTag<'l>(
    env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    name: JString<'l>,
    key: JString<'l>,
) {
    void(env, handle, |env, c| {
        Ok(c.delete_registered_model_tag(&string(env, &name, "name")?, &string(env, &key, "key")?)?)
    })
}

/// The newest version in each stage asked for (all four when `stages` is empty).
#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_getLatestVersions<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    name: JString<'l>,
    stages: JObjectArray<'l, JString<'l>>,
) -> JObjectArray<'l> {
    env.with_env(|env| -> Result<_, Failure> {
        let name = string(env, &name, "name")?;
        let stages = strings(env, &stages, "stages")?;
        let stages: Vec<&str> = stages.iter().map(String::as_str).collect();
        let versions = client(handle)?.get_latest_versions(&name, &stages)?;
        array(env, &versions)
    })
    .resolve::<ThrowJava>()
}

// ---- model versions ----------------------------------------------------------------------

#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_org_libmlflow_NativeBridge_createModelVersion<'l>(
    env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    name: JString<'l>,
    source: JString<'l>,
    run_id: JString<'l>,
    tag_keys: JObjectArray<'l, JString<'l>>,
    tag_values: JObjectArray<'l, JString<'l>>,
    run_link: JString<'l>,
    description: JString<'l>,
    model_id: JString<'l>,
) -> JObject<'l> {
    returning(env, handle, |env, c| {
        let tags: Vec<ModelVersionTag> = pairs(env, &tag_keys, &tag_values, "tags")?
            .into_iter()
            .map(|(key, value)| ModelVersionTag { key, value })
            .collect();
        Ok(c.create_model_version(&CreateModelVersion {
            name: string(env, &name, "name")?,
            source: string(env, &source, "source")?,
            run_id: opt_string(env, &run_id)?,
            tags,
            run_link: opt_string(env, &run_link)?,
            description: opt_string(env, &description)?,
            model_id: opt_string(env, &model_id)?,
        })?)
    })
}

#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_getModelVersion<'l>(
    env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    name: JString<'l>,
    version_: JString<'l>,
) -> JObject<'l> {
    returning(env, handle, |env, c| Ok(c.get_model_version(&string(env, &name, "name")?, version(env, &version_)?)?))
}

#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_updateModelVersion<'l>(
    env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    name: JString<'l>,
    version_: JString<'l>,
    description: JString<'l>,
) -> JObject<'l> {
    returning(env, handle, |env, c| {
        let description = opt_string(env, &description)?;
        Ok(c.update_model_version(&string(env, &name, "name")?, version(env, &version_)?, description.as_deref())?)
    })
}

#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_deleteModelVersion<'l>(
    env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    name: JString<'l>,
    version_: JString<'l>,
) {
    void(env, handle, |env, c| Ok(c.delete_model_version(&string(env, &name, "name")?, version(env, &version_)?)?))
}

#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_transitionModelVersionStage<'l>(
    env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    name: JString<'l>,
    version_: JString<'l>,
    stage: JString<'l>,
    archive_existing_versions: jboolean,
) -> JObject<'l> {
    returning(env, handle, |env, c| {
        let (name, v) = (string(env, &name, "name")?, version(env, &version_)?);
        Ok(c.transition_model_version_stage(&name, v, &string(env, &stage, "stage")?, archive_existing_versions)?)
    })
}

/// One page of model versions; `max_results` <= 0 means MLflow's default (10,000).
#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_searchModelVersions<'l>(
    env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    filter: JString<'l>,
    max_results: jlong,
    order_by: JObjectArray<'l, JString<'l>>,
    page_token: JString<'l>,
) -> JObject<'l> {
    search_page(env, handle, &filter, max_results, &order_by, &page_token, |c, filter, max, order_by, token| {
        c.search_model_versions(filter, max, order_by, token)
    })
}

#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_getModelVersionDownloadUri<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    name: JString<'l>,
    version_: JString<'l>,
) -> JString<'l> {
    env.with_env(|env| -> Result<_, Failure> {
        let uri =
            client(handle)?.get_model_version_download_uri(&string(env, &name, "name")?, version(env, &version_)?)?;
        Ok(env.new_string(uri)?)
    })
    .resolve::<ThrowJava>()
}

#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_setModelVersionTag<'l>(
    env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    name: JString<'l>,
    version_: JString<'l>,
    key: JString<'l>,
    value: JString<'l>,
) {
    void(env, handle, |env, c| {
        let (name, v, key) = (string(env, &name, "name")?, version(env, &version_)?, string(env, &key, "key")?);
        Ok(c.set_model_version_tag(&name, v, &key, &string(env, &value, "value")?)?)
    })
}

#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_deleteModelVersionTag<'l>(
    env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    name: JString<'l>,
    version_: JString<'l>,
    key: JString<'l>,
) {
    void(env, handle, |env, c| {
        let (name, v) = (string(env, &name, "name")?, version(env, &version_)?);
        Ok(c.delete_model_version_tag(&name, v, &string(env, &key, "key")?)?)
    })
}

// ---- aliases -----------------------------------------------------------------------------

#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_setRegisteredModelAlias<'l>(
    env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    name: JString<'l>,
    alias: JString<'l>,
    version_: JString<'l>,
) {
    void(env, handle, |env, c| {
        let (name, alias) = (string(env, &name, "name")?, string(env, &alias, "alias")?);
        Ok(c.set_registered_model_alias(&name, &alias, version(env, &version_)?)?)
    })
}

#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_deleteRegisteredModelAlias<'l>(
    env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    name: JString<'l>,
    alias: JString<'l>,
) {
    void(env, handle, |env, c| {
        Ok(c.delete_registered_model_alias(&string(env, &name, "name")?, &string(env, &alias, "alias")?)?)
    })
}

#[no_mangle]
pub extern "system" fn Java_org_libmlflow_NativeBridge_getModelVersionByAlias<'l>(
    env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    name: JString<'l>,
    alias: JString<'l>,
) -> JObject<'l> {
    returning(env, handle, |env, c| {
        Ok(c.get_model_version_by_alias(&string(env, &name, "name")?, &string(env, &alias, "alias")?)?)
    })
}
