//! The model registry's entities and `ModelInfo` as plain Java objects
//! (`org.libmlflow.RegisteredModel`, `ModelVersion`, ...), built like the tracking entities in
//! [`crate::entities`]. Timestamps MLflow leaves unset arrive in Java as 0; versions travel as
//! strings, as in MLflow's REST messages and the official Java client.

use jni::objects::{JClass, JObject, JObjectArray, JValue};
use jni::strings::JNIStr;
use jni::{jni_sig, jni_str, Env};
use mlflow_core::log_model::ModelInfo;
use mlflow_core::registry::{ModelVersion, ModelVersionTag, RegisteredModel, RegisteredModelAlias, RegisteredModelTag};

use crate::entities::{array, jstr, key_value, object, opt_jstr, ToJava};
use crate::failure::Failure;

/// A Java `String[]`.
pub fn string_array<'l>(env: &mut Env<'l>, items: &[String]) -> Result<JObjectArray<'l>, Failure> {
    let out = env.new_object_array(items.len() as i32, jni_str!("java/lang/String"), JObject::null())?;
    for (i, item) in items.iter().enumerate() {
        let s = jstr(env, item)?;
        out.set_element(env, i, &s)?;
        env.delete_local_ref(s);
    }
    Ok(out)
}

impl ToJava for RegisteredModelTag {
    const CLASS: &'static JNIStr = jni_str!("org/libmlflow/RegisteredModelTag");
    fn to_java<'l>(&self, env: &mut Env<'l>, class: &JClass) -> Result<JObject<'l>, Failure> {
        key_value(env, class, &self.key, &self.value)
    }
}

impl ToJava for ModelVersionTag {
    const CLASS: &'static JNIStr = jni_str!("org/libmlflow/ModelVersionTag");
    fn to_java<'l>(&self, env: &mut Env<'l>, class: &JClass) -> Result<JObject<'l>, Failure> {
        key_value(env, class, &self.key, &self.value)
    }
}

impl ToJava for RegisteredModelAlias {
    const CLASS: &'static JNIStr = jni_str!("org/libmlflow/RegisteredModelAlias");
    fn to_java<'l>(&self, env: &mut Env<'l>, class: &JClass) -> Result<JObject<'l>, Failure> {
        key_value(env, class, &self.alias, &self.version.to_string())
    }
}

impl ToJava for ModelVersion {
    const CLASS: &'static JNIStr = jni_str!("org/libmlflow/ModelVersion");
    fn to_java<'l>(&self, env: &mut Env<'l>, class: &JClass) -> Result<JObject<'l>, Failure> {
        let name = jstr(env, &self.name)?;
        let version = jstr(env, &self.version.to_string())?;
        let user_id = opt_jstr(env, self.user_id.as_deref())?;
        let stage = jstr(env, self.current_stage.as_str())?;
        let description = opt_jstr(env, self.description.as_deref())?;
        let source = opt_jstr(env, self.source.as_deref())?;
        let run_id = opt_jstr(env, self.run_id.as_deref())?;
        let status = jstr(env, self.status.as_str())?;
        let status_message = opt_jstr(env, self.status_message.as_deref())?;
        let tags = array(env, &self.tags)?;
        let run_link = opt_jstr(env, self.run_link.as_deref())?;
        let aliases = string_array(env, &self.aliases)?;
        let model_id = opt_jstr(env, self.model_id.as_deref())?;
        Ok(env.new_object(
            class,
            jni_sig!(
                "(Ljava/lang/String;Ljava/lang/String;JJLjava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;[Lorg/libmlflow/ModelVersionTag;Ljava/lang/String;[Ljava/lang/String;Ljava/lang/String;)V"
            ),
            &[
                JValue::Object(&name),
                JValue::Object(&version),
                JValue::Long(self.creation_timestamp.unwrap_or(0)),
                JValue::Long(self.last_updated_timestamp.unwrap_or(0)),
                JValue::Object(&user_id),
                JValue::Object(&stage),
                JValue::Object(&description),
                JValue::Object(&source),
                JValue::Object(&run_id),
                JValue::Object(&status),
                JValue::Object(&status_message),
                JValue::Object(&tags),
                JValue::Object(&run_link),
                JValue::Object(&aliases),
                JValue::Object(&model_id),
            ],
        )?)
    }
}

impl ToJava for RegisteredModel {
    const CLASS: &'static JNIStr = jni_str!("org/libmlflow/RegisteredModel");
    fn to_java<'l>(&self, env: &mut Env<'l>, class: &JClass) -> Result<JObject<'l>, Failure> {
        let name = jstr(env, &self.name)?;
        let user_id = opt_jstr(env, self.user_id.as_deref())?;
        let description = opt_jstr(env, self.description.as_deref())?;
        let latest = array(env, &self.latest_versions)?;
        let tags = array(env, &self.tags)?;
        let aliases = array(env, &self.aliases)?;
        Ok(env.new_object(
            class,
            jni_sig!(
                "(Ljava/lang/String;JJLjava/lang/String;Ljava/lang/String;[Lorg/libmlflow/ModelVersion;[Lorg/libmlflow/RegisteredModelTag;[Lorg/libmlflow/RegisteredModelAlias;)V"
            ),
            &[
                JValue::Object(&name),
                JValue::Long(self.creation_timestamp.unwrap_or(0)),
                JValue::Long(self.last_updated_timestamp.unwrap_or(0)),
                JValue::Object(&user_id),
                JValue::Object(&description),
                JValue::Object(&latest),
                JValue::Object(&tags),
                JValue::Object(&aliases),
            ],
        )?)
    }
}

impl ToJava for ModelInfo {
    const CLASS: &'static JNIStr = jni_str!("org/libmlflow/ModelInfo");
    fn to_java<'l>(&self, env: &mut Env<'l>, class: &JClass) -> Result<JObject<'l>, Failure> {
        let m = &self.mlmodel;
        let model_id = jstr(env, &self.model_id)?;
        let model_uri = jstr(env, &self.model_uri)?;
        let name = jstr(env, &self.name)?;
        let artifact_path = jstr(env, &self.artifact_location)?;
        let run_id = opt_jstr(env, self.run_id.as_deref())?;
        let experiment_id = jstr(env, &self.experiment_id)?;
        let model_uuid = opt_jstr(env, m.model_uuid.as_deref())?;
        let utc_time_created = jstr(env, &m.utc_time_created)?;
        let mlflow_version = opt_jstr(env, m.mlflow_version.as_deref())?;
        let flavors = string_array(env, &m.flavors.keys().cloned().collect::<Vec<_>>())?;
        let signature = m.signature.as_ref();
        let inputs = opt_jstr(env, signature.and_then(|s| s.inputs_json()).as_deref())?;
        let outputs = opt_jstr(env, signature.and_then(|s| s.outputs_json()).as_deref())?;
        let params = opt_jstr(env, signature.and_then(|s| s.params_json()).as_deref())?;
        let version = match &self.registered_model_version {
            Some(v) => object(env, v)?,
            None => JObject::null(),
        };
        let mlmodel = jstr(env, &m.to_yaml())?;
        Ok(env.new_object(
            class,
            jni_sig!(
                "(Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;[Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Lorg/libmlflow/ModelVersion;Ljava/lang/String;)V"
            ),
            &[
                JValue::Object(&model_id),
                JValue::Object(&model_uri),
                JValue::Object(&name),
                JValue::Object(&artifact_path),
                JValue::Object(&run_id),
                JValue::Object(&experiment_id),
                JValue::Object(&model_uuid),
                JValue::Object(&utc_time_created),
                JValue::Object(&mlflow_version),
                JValue::Object(&flavors),
                JValue::Object(&inputs),
                JValue::Object(&outputs),
                JValue::Object(&params),
                JValue::Object(&version),
                JValue::Object(&mlmodel),
            ],
        )?)
    }
}
