//! The `onnx` flavor (`mlflow/onnx/__init__.py`): `model.onnx` at the model root — MLflow's
//! loader opens the MLmodel next to the `data` file, so it cannot sit in a subdirectory — plus any
//! external-data files the model references, copied next to it under their own names (ONNX records
//! their locations relative to the model file).

use std::path::{Component, Path};

use crate::error::{Error, Result};
use crate::models::flavors::onnx_external::external_data_locations;
use crate::models::flavors::{
    code_value, framework_version, place_model_file, yaml_from_json, FlavorInputs, FlavorPlan,
};
use crate::models::mlmodel::Flavor;
use crate::models::yaml::YamlValue;

/// `onnx_version` written when the caller gives none and does not pin `onnx`: the release MLflow
/// 3.17.2 was verified with here (research note §3.4).
pub const DEFAULT_ONNX_VERSION: &str = "1.23.2";
/// The onnxruntime release verified with MLflow 3.17.2 (research note §3.4).
pub const DEFAULT_ONNXRUNTIME_VERSION: &str = "1.32.0";
/// numpy: MLflow's ONNX wrapper imports it, and MLflow's own inference lists it (note Appendix A).
pub const DEFAULT_NUMPY_VERSION: &str = "2.4.6";
/// MLflow's default `providers` (`onnx/__init__.py`); a missing CUDA is dropped at load with a warning.
pub const DEFAULT_PROVIDERS: [&str; 2] = ["CUDAExecutionProvider", "CPUExecutionProvider"];

/// Options: `onnx_execution_providers` (list of provider names), `onnx_session_options` (object:
/// `inter_op_num_threads`, `intra_op_num_threads`, `execution_mode`, `graph_optimization_level`,
/// `extra_session_config`), `onnx_version`.
pub const OPTIONS: &[&str] = &["onnx_execution_providers", "onnx_session_options", "onnx_version"];

pub fn default_pip_requirements() -> Vec<String> {
    vec![
        format!("numpy=={DEFAULT_NUMPY_VERSION}"),
        format!("onnx=={DEFAULT_ONNX_VERSION}"),
        format!("onnxruntime=={DEFAULT_ONNXRUNTIME_VERSION}"),
    ]
}

pub fn plan(inputs: &FlavorInputs) -> Result<FlavorPlan> {
    let model = place_model_file(inputs, "onnx", &["model.onnx"], |_| Ok("model.onnx".to_string()), true)?;
    if model.data.contains('/') {
        return Err(Error::invalid(format!(
            "the ONNX model file must sit at the model directory's root (MLflow's loader looks for MLmodel next \
             to it), got {:?}",
            model.data
        )));
    }
    let mut placements = model.placements;
    let model_src = match inputs.model_path {
        Some(dir) => dir.join(&model.data),
        None => placements[0].src.clone(),
    };
    let bytes = std::fs::read(&model_src)
        .map_err(|e| Error::from(e).context(format!("cannot read {}", model_src.display())))?;
    let locations = external_data_locations(&bytes)
        .map_err(|e| Error::invalid(format!("{} is not an ONNX model: {}", model_src.display(), e.message())))?;
    for location in locations {
        let rel = Path::new(&location);
        if rel.is_absolute() || rel.components().any(|c| matches!(c, Component::ParentDir)) {
            return Err(Error::invalid(format!(
                "the ONNX model references external data at {location:?}, outside the model's directory: save it \
                 with a location relative to the model file"
            )));
        }
        match inputs.model_path {
            Some(dir) => {
                if !dir.join(rel).is_file() {
                    return Err(Error::invalid(format!(
                        "the ONNX model references its external data file {location:?}, which is not in model_path {}",
                        dir.display()
                    )));
                }
            }
            None => {
                let wanted = rel.file_name();
                let Some(sidecar) = placements[1..].iter_mut().find(|p| p.src.file_name() == wanted) else {
                    return Err(Error::invalid(format!(
                        "the ONNX model references its external data file {location:?}: add it to `files` after the \
                         model file"
                    )));
                };
                sidecar.dest = location.clone();
            }
        }
    }
    let providers = match inputs.options.get("onnx_execution_providers") {
        None | Some(serde_json::Value::Null) => DEFAULT_PROVIDERS.iter().map(|p| YamlValue::from(*p)).collect(),
        Some(serde_json::Value::Array(list)) if !list.is_empty() && list.iter().all(|p| p.is_string()) => {
            list.iter().map(yaml_from_json).collect()
        }
        Some(other) => {
            return Err(Error::invalid(format!(
                "option \"onnx_execution_providers\" must be a non-empty list of provider names, got {other}"
            )))
        }
    };
    let session_options = match inputs.options.get("onnx_session_options") {
        None | Some(serde_json::Value::Null) => YamlValue::Null,
        Some(v @ serde_json::Value::Object(_)) => yaml_from_json(v),
        Some(other) => {
            return Err(Error::invalid(format!("option \"onnx_session_options\" must be an object, got {other}")))
        }
    };
    let version = framework_version(inputs, "onnx_version", &["onnx"], DEFAULT_ONNX_VERSION)?;
    let section = Flavor::new()
        .with("code", code_value(inputs.has_code))
        .with("data", model.data.as_str())
        .with("onnx_session_options", session_options)
        .with("onnx_version", version)
        .with("providers", YamlValue::Seq(providers));
    let mut pyfunc = Flavor::new().with("data", model.data.as_str()).with("loader_module", "mlflow.onnx");
    if inputs.has_code {
        pyfunc = pyfunc.with("code", "code");
    }
    Ok(FlavorPlan { placements, section: Some(("onnx".into(), section)), pyfunc, size_counts_code: true })
}
