//! MLflow models for Python: the core's model builder (`ModelSpec` JSON → a model directory, as
//! MLflow's `save_model` writes it), `log_model` (a LoggedModel, optionally registered),
//! `register_model`, and the MLmodel reader. Everything crosses as JSON (the spec, MLflow's
//! `ModelInfo` fields, the MLmodel as a mapping), so the Python layer builds MLflow's objects
//! from the same shapes the C ABI uses. Paths cross as bytes (`os.fsencode`).

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;

use mlflow_core::log_model::LogModelOptions;
use mlflow_core::models::{save_model_from_spec_json, validate_model_dir, MlModel};
use mlflow_core::registry::ModelVersionTag;

use crate::artifacts::ProgressListener;
use crate::client::{KeyValue, NativeClient};
use crate::error::NativeResult;

fn local_path(bytes: Vec<u8>) -> PathBuf {
    PathBuf::from(OsString::from_vec(bytes))
}

/// The MLmodel as MLflow's `Model.to_dict()` (JSON text).
fn mlmodel_json(model: &MlModel) -> String {
    mlflow_core::models::mlmodel_to_json(model).to_string()
}

/// `mlflow.<flavor>.save_model`: builds the model directory `dest` (absent or empty) from the JSON
/// spec (see `mlflow_core::models::ModelSpec`; relative paths resolve against `base_dir`) and
/// returns the MLmodel written, as JSON. Nothing is left at `dest` on error.
#[uniffi::export]
pub fn save_model(spec_json: String, base_dir_bytes: Vec<u8>, dest_bytes: Vec<u8>) -> NativeResult<String> {
    let model = save_model_from_spec_json(&spec_json, &local_path(dest_bytes), &local_path(base_dir_bytes))?;
    Ok(mlmodel_json(&model))
}

/// Reads and checks a model directory (or an MLmodel file's directory) as `log_model` would:
/// the MLmodel as JSON.
#[uniffi::export]
pub fn read_mlmodel(model_dir_bytes: Vec<u8>) -> NativeResult<String> {
    Ok(mlmodel_json(&validate_model_dir(&local_path(model_dir_bytes))?))
}

#[uniffi::export]
impl NativeClient {
    /// `log_model` of a complete model directory: a LoggedModel of `run_id` (or of the options'
    /// experiment when None), files uploaded, finalized READY, optionally registered. `options_json`
    /// is `mlflow_core::log_model::LogModelOptions`; returns `ModelInfo::to_json`.
    pub fn log_model(
        &self,
        run_id: Option<String>,
        model_dir_bytes: Vec<u8>,
        options_json: String,
        progress: Option<Box<dyn ProgressListener>>,
    ) -> NativeResult<String> {
        let options = LogModelOptions::from_json(&options_json)?;
        let dir = local_path(model_dir_bytes);
        let info = match progress {
            Some(listener) => {
                let report = move |done: u64, total: u64| listener.report(done, total);
                self.core().log_model(run_id.as_deref(), &dir, options.into_log_model(Some(&report)))?
            }
            None => self.core().log_model(run_id.as_deref(), &dir, options.into_log_model(None))?,
        };
        Ok(info.to_json().to_string())
    }

    /// `mlflow.register_model`: a new version of `name` (created if missing) from `model_uri`;
    /// returns the version as MLflow's REST JSON.
    pub fn register_model(&self, model_uri: String, name: String, tags: Vec<KeyValue>) -> NativeResult<String> {
        let tags: Vec<ModelVersionTag> =
            tags.into_iter().map(|t| ModelVersionTag { key: t.key, value: t.value }).collect();
        let version = self.core().register_model(&model_uri, &name, &tags)?;
        Ok(serde_json::to_string(&version).map_err(|e| mlflow_core::Error::invalid(e.to_string()))?)
    }
}
