//! MLflow entities of the core as plain Java objects (`org.libmlflow.Run`, `Metric`, ...), built
//! through their package-private constructors. Each array element is built in its own local
//! reference frame so a search returning thousands of runs never exhausts local references.

use jni::objects::{JClass, JObject, JObjectArray, JString, JValue};
use jni::strings::JNIStr;
use jni::{jni_sig, jni_str, Env};
use mlflow_core::artifacts::FileInfo;
use mlflow_core::{Experiment, ExperimentTag, Metric, Page, Param, Run, RunData, RunInfo, RunTag};

use crate::failure::Failure;

/// A core value that has a Java counterpart of class `CLASS`.
pub trait ToJava {
    const CLASS: &'static JNIStr;
    fn to_java<'l>(&self, env: &mut Env<'l>, class: &JClass) -> Result<JObject<'l>, Failure>;
}

pub(crate) fn jstr<'l>(env: &mut Env<'l>, s: &str) -> Result<JString<'l>, Failure> {
    Ok(env.new_string(s)?)
}

/// A Java string, or null for `None`.
pub(crate) fn opt_jstr<'l>(env: &mut Env<'l>, s: Option<&str>) -> Result<JObject<'l>, Failure> {
    match s {
        Some(s) => Ok(env.new_string(s)?.into()),
        None => Ok(JObject::null()),
    }
}

/// A Java array of `T::CLASS` with one element per item.
pub fn array<'l, T: ToJava>(env: &mut Env<'l>, items: &[T]) -> Result<JObjectArray<'l>, Failure> {
    let class = env.find_class(T::CLASS)?;
    let out = env.new_object_array(items.len() as i32, &class, JObject::null())?;
    for (i, item) in items.iter().enumerate() {
        env.with_local_frame(16, |env| -> Result<(), Failure> {
            let element = item.to_java(env, &class)?;
            out.set_element(env, i, &element)?;
            Ok(())
        })?;
    }
    Ok(out)
}

/// One object of `T::CLASS`.
pub fn object<'l, T: ToJava>(env: &mut Env<'l>, item: &T) -> Result<JObject<'l>, Failure> {
    let class = env.find_class(T::CLASS)?;
    item.to_java(env, &class)
}

/// A page of results as `org.libmlflow.PageData(Object[] items, String nextPageToken)`.
pub fn page<'l, T: ToJava>(env: &mut Env<'l>, page: &Page<T>) -> Result<JObject<'l>, Failure> {
    let items = array(env, &page.items)?;
    let token = opt_jstr(env, page.next_page_token.as_deref())?;
    Ok(env.new_object(
        jni_str!("org/libmlflow/PageData"),
        jni_sig!("([Ljava/lang/Object;Ljava/lang/String;)V"),
        &[JValue::Object(&items), JValue::Object(&token)],
    )?)
}

pub(crate) fn key_value<'l>(env: &mut Env<'l>, class: &JClass, key: &str, value: &str) -> Result<JObject<'l>, Failure> {
    let key = jstr(env, key)?;
    let value = jstr(env, value)?;
    Ok(env.new_object(
        class,
        jni_sig!("(Ljava/lang/String;Ljava/lang/String;)V"),
        &[JValue::Object(&key), JValue::Object(&value)],
    )?)
}

impl ToJava for Metric {
    const CLASS: &'static JNIStr = jni_str!("org/libmlflow/Metric");
    fn to_java<'l>(&self, env: &mut Env<'l>, class: &JClass) -> Result<JObject<'l>, Failure> {
        let key = jstr(env, &self.key)?;
        Ok(env.new_object(
            class,
            jni_sig!("(Ljava/lang/String;DJJ)V"),
            &[JValue::Object(&key), JValue::Double(self.value), JValue::Long(self.timestamp), JValue::Long(self.step)],
        )?)
    }
}

impl ToJava for Param {
    const CLASS: &'static JNIStr = jni_str!("org/libmlflow/Param");
    fn to_java<'l>(&self, env: &mut Env<'l>, class: &JClass) -> Result<JObject<'l>, Failure> {
        key_value(env, class, &self.key, &self.value)
    }
}

impl ToJava for RunTag {
    const CLASS: &'static JNIStr = jni_str!("org/libmlflow/RunTag");
    fn to_java<'l>(&self, env: &mut Env<'l>, class: &JClass) -> Result<JObject<'l>, Failure> {
        key_value(env, class, &self.key, &self.value)
    }
}

impl ToJava for ExperimentTag {
    const CLASS: &'static JNIStr = jni_str!("org/libmlflow/ExperimentTag");
    fn to_java<'l>(&self, env: &mut Env<'l>, class: &JClass) -> Result<JObject<'l>, Failure> {
        key_value(env, class, &self.key, &self.value)
    }
}

impl ToJava for Experiment {
    const CLASS: &'static JNIStr = jni_str!("org/libmlflow/Experiment");
    fn to_java<'l>(&self, env: &mut Env<'l>, class: &JClass) -> Result<JObject<'l>, Failure> {
        let id = jstr(env, &self.experiment_id)?;
        let name = jstr(env, &self.name)?;
        let location = opt_jstr(env, self.artifact_location.as_deref())?;
        let stage = jstr(env, self.lifecycle_stage.as_str())?;
        let tags = array(env, &self.tags)?;
        Ok(env.new_object(
            class,
            jni_sig!(
                "(Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;JJ[Lorg/libmlflow/ExperimentTag;)V"
            ),
            &[
                JValue::Object(&id),
                JValue::Object(&name),
                JValue::Object(&location),
                JValue::Object(&stage),
                JValue::Long(self.last_update_time.unwrap_or(0)),
                JValue::Long(self.creation_time.unwrap_or(0)),
                JValue::Object(&tags),
            ],
        )?)
    }
}

impl ToJava for RunInfo {
    const CLASS: &'static JNIStr = jni_str!("org/libmlflow/RunInfo");
    fn to_java<'l>(&self, env: &mut Env<'l>, class: &JClass) -> Result<JObject<'l>, Failure> {
        let run_id = jstr(env, &self.run_id)?;
        let run_name = jstr(env, &self.run_name)?;
        let experiment_id = jstr(env, &self.experiment_id)?;
        let user_id = jstr(env, &self.user_id)?;
        let status = jstr(env, self.status.as_str())?;
        let artifact_uri = jstr(env, &self.artifact_uri)?;
        let stage = jstr(env, self.lifecycle_stage.as_str())?;
        Ok(env.new_object(
            class,
            jni_sig!(
                "(Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;JJZLjava/lang/String;Ljava/lang/String;)V"
            ),
            &[
                JValue::Object(&run_id),
                JValue::Object(&run_name),
                JValue::Object(&experiment_id),
                JValue::Object(&user_id),
                JValue::Object(&status),
                JValue::Long(self.start_time),
                JValue::Long(self.end_time.unwrap_or(0)),
                JValue::Bool(self.end_time.is_some()),
                JValue::Object(&artifact_uri),
                JValue::Object(&stage),
            ],
        )?)
    }
}

impl ToJava for RunData {
    const CLASS: &'static JNIStr = jni_str!("org/libmlflow/RunData");
    fn to_java<'l>(&self, env: &mut Env<'l>, class: &JClass) -> Result<JObject<'l>, Failure> {
        let metrics = array(env, &self.metrics)?;
        let params = array(env, &self.params)?;
        let tags = array(env, &self.tags)?;
        Ok(env.new_object(
            class,
            jni_sig!("([Lorg/libmlflow/Metric;[Lorg/libmlflow/Param;[Lorg/libmlflow/RunTag;)V"),
            &[JValue::Object(&metrics), JValue::Object(&params), JValue::Object(&tags)],
        )?)
    }
}

impl ToJava for Run {
    const CLASS: &'static JNIStr = jni_str!("org/libmlflow/Run");
    fn to_java<'l>(&self, env: &mut Env<'l>, class: &JClass) -> Result<JObject<'l>, Failure> {
        let info = object(env, &self.info)?;
        let data = object(env, &self.data)?;
        Ok(env.new_object(
            class,
            jni_sig!("(Lorg/libmlflow/RunInfo;Lorg/libmlflow/RunData;)V"),
            &[JValue::Object(&info), JValue::Object(&data)],
        )?)
    }
}

impl ToJava for FileInfo {
    const CLASS: &'static JNIStr = jni_str!("org/libmlflow/FileInfo");
    fn to_java<'l>(&self, env: &mut Env<'l>, class: &JClass) -> Result<JObject<'l>, Failure> {
        let path = jstr(env, &self.path)?;
        Ok(env.new_object(
            class,
            jni_sig!("(Ljava/lang/String;ZJZ)V"),
            &[
                JValue::Object(&path),
                JValue::Bool(self.is_dir),
                JValue::Long(self.file_size.unwrap_or(0)),
                JValue::Bool(self.file_size.is_some()),
            ],
        )?)
    }
}
