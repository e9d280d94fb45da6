//! Checks a model directory before it is logged (so libmlflow never uploads one MLflow cannot
//! load), and stamps a logged model's MLmodel as MLflow 3's `Model.log` does.
//!
//! Rules (each one a failure MLflow would hit later, with a worse message):
//! - the MLmodel parses (YAML, signature) and names at least one flavor;
//! - `python_function`, when present, names a `loader_module`, and every file it names (`data`,
//!   `code`, `model_path`, `model_code_path`'s base name, `python_model`) exists;
//! - the known flavors (`onnx`, `xgboost`, `lightgbm`, `sklearn`) find their model file; the ONNX
//!   file sits at the root (MLflow's loader opens the MLmodel next to it); a `python_function`
//!   whose loader is `mlflow.onnx`, `mlflow.xgboost` or `mlflow.lightgbm` has that flavor's section
//!   (MLflow fails without it: an AttributeError for ONNX, "Model does not have the xgboost flavor");
//! - a saved input example's files exist and its `type` is one MLflow reads.
//!
//! A model with no `python_function` flavor is accepted when it has another flavor: MLflow itself
//! logs such models (loadable with `mlflow.<flavor>.load_model`, not with pyfunc), and refusing
//! them would stop a user logging what MLflow logs. Only a model with no flavor at all is refused.

use std::path::{Component, Path};

use crate::error::{Error, Result};
use crate::models::mlmodel::{Flavor, MlModel, MLMODEL_FILE_NAME};

/// The example `type`s MLflow's `_read_example` knows.
const EXAMPLE_TYPES: [&str; 5] = ["ndarray", "dataframe", "json_object", "sparse_matrix_csc", "sparse_matrix_csr"];

fn bad(dir: &Path, msg: impl std::fmt::Display) -> Error {
    Error::invalid(format!("model directory {} cannot be loaded by MLflow: {msg}", dir.display()))
}

/// A relative path inside the model directory (no absolute path, no `..`).
fn inside(dir: &Path, rel: &str, what: &str) -> Result<std::path::PathBuf> {
    let p = Path::new(rel);
    if p.is_absolute() || p.components().any(|c| matches!(c, Component::ParentDir)) {
        return Err(bad(dir, format!("{what} {rel:?} must be a path inside the model directory")));
    }
    Ok(dir.join(p))
}

fn must_exist(dir: &Path, flavor: &Flavor, key: &str, flavor_name: &str) -> Result<()> {
    if let Some(rel) = flavor.get_str(key) {
        let path = inside(dir, rel, &format!("{flavor_name}.{key}"))?;
        if !path.exists() {
            return Err(bad(dir, format!("{flavor_name}.{key} names {rel:?}, which does not exist")));
        }
    }
    Ok(())
}

/// Reads and checks `<dir>/MLmodel` (see the module docs); returns the parsed MLmodel.
pub fn validate_model_dir(dir: &Path) -> Result<MlModel> {
    if !dir.is_dir() {
        return Err(Error::invalid(format!("model directory {} does not exist or is not a directory", dir.display())));
    }
    if !dir.join(MLMODEL_FILE_NAME).is_file() {
        return Err(bad(dir, format!("it has no {MLMODEL_FILE_NAME} file")));
    }
    let model = MlModel::load(dir)?;
    if model.flavors.is_empty() {
        return Err(bad(dir, "its MLmodel names no flavors"));
    }
    if let Some(pf) = model.flavors.get("python_function") {
        let loader =
            pf.get_str("loader_module").ok_or_else(|| bad(dir, "python_function has no loader_module (a string)"))?;
        for key in ["data", "code", "model_path", "python_model"] {
            must_exist(dir, pf, key, "python_function")?;
        }
        if let Some(code_path) = pf.get_str("model_code_path") {
            // The loader joins only the base name to the model directory.
            let name = Path::new(code_path).file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.is_empty() || !dir.join(name).is_file() {
                return Err(bad(
                    dir,
                    format!("python_function.model_code_path names {code_path:?}, not in the model root"),
                ));
            }
        }
        for (module, flavor) in
            [("mlflow.onnx", "onnx"), ("mlflow.xgboost", "xgboost"), ("mlflow.lightgbm", "lightgbm")]
        {
            if loader == module && !model.flavors.contains_key(flavor) {
                return Err(bad(dir, format!("python_function loads with {module} but there is no `{flavor}` flavor")));
            }
        }
    }
    for (name, key) in [("onnx", "data"), ("xgboost", "data"), ("lightgbm", "data"), ("sklearn", "pickled_model")] {
        let Some(flavor) = model.flavors.get(name) else { continue };
        let Some(rel) = flavor.get_str(key) else {
            return Err(bad(dir, format!("the {name} flavor names no model file ({key})")));
        };
        let path = inside(dir, rel, &format!("{name}.{key}"))?;
        if !path.is_file() {
            return Err(bad(dir, format!("the {name} flavor's model file {rel:?} does not exist")));
        }
        if name == "onnx" && Path::new(rel).components().count() != 1 {
            return Err(bad(dir, format!("the ONNX model file {rel:?} must sit at the model directory's root")));
        }
    }
    if let Some(info) = &model.saved_input_example_info {
        let get = |k: &str| info.get(k).and_then(|v| v.as_str());
        match get("type") {
            Some(t) if EXAMPLE_TYPES.contains(&t) => {}
            other => {
                return Err(bad(dir, format!("saved_input_example_info.type {other:?} is not one MLflow reads")));
            }
        }
        for key in ["artifact_path", "serving_input_path"] {
            if let Some(rel) = get(key) {
                if !inside(dir, rel, &format!("saved_input_example_info.{key}"))?.is_file() {
                    return Err(bad(dir, format!("the input example file {rel:?} does not exist")));
                }
            }
        }
    }
    Ok(model)
}

/// What `Model.log` (MLflow 3) records in a logged model's MLmodel: `artifact_path` = the
/// LoggedModel's artifact location, `model_id`, `model_uuid` = the model id, and the run (if any).
pub fn stamp_logged(mlmodel: &mut MlModel, model_id: &str, run_id: Option<&str>, artifact_location: &str) {
    mlmodel.artifact_path = Some(artifact_location.to_string());
    mlmodel.model_id = Some(model_id.to_string());
    mlmodel.model_uuid = Some(model_id.to_string());
    mlmodel.run_id = run_id.map(str::to_string);
}
