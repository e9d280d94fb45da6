//! JSON views for the C ABI and the bindings: the MLmodel as `yaml.safe_load` would give it, and
//! the one-call "save a model from a JSON spec".

use std::path::Path;

use crate::error::Result;
use crate::models::builder::{ModelBuilder, ModelSpec};
use crate::models::mlmodel::MlModel;
use crate::models::yaml::YamlValue;

/// The MLmodel document as JSON: the same keys and values `yaml.safe_load(MLmodel)` gives in
/// Python (the signature parts stay MLflow's JSON strings).
pub fn mlmodel_to_json(model: &MlModel) -> serde_json::Value {
    YamlValue::Map(model.to_map()).to_json()
}

/// Parses `spec_json` ([`ModelSpec`]), builds the model directory at `dest` (relative paths of the
/// spec taken from `base_dir`) and returns the MLmodel written — what `mlflow_model_save` does.
pub fn save_model_from_spec_json(spec_json: &str, dest: &Path, base_dir: &Path) -> Result<MlModel> {
    let spec = ModelSpec::from_json(spec_json)?;
    ModelBuilder::from_spec(&spec, base_dir)?.save(dest)
}
