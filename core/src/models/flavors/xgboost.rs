//! The `xgboost` flavor (`mlflow/xgboost/__init__.py`) for a Booster saved by XGBoost itself
//! (`XGBoosterSaveModel` in C, `booster.save_model` in Python): `model.json` or `model.ubj`.
//! XGBoost picks the format from the file name, so the extension decides `model_format`; the
//! legacy binary format (any other extension) is refused, as MLflow 3 only writes json/ubj.

use std::path::Path;

use crate::error::{Error, Result};
use crate::models::flavors::{
    code_value, framework_version, place_model_file, string_option, FlavorInputs, FlavorPlan,
};
use crate::models::mlmodel::Flavor;

/// `xgb_version` and the `xgboost==` pin when the caller gives none: the release verified with
/// MLflow 3.17.2 here (`xgboost-cpu==3.2.0` provides the same `xgboost` module; research note §3.4).
pub const DEFAULT_XGBOOST_VERSION: &str = "3.2.0";
/// MLflow's default `model_class`: a plain Booster (what the C API saves).
pub const DEFAULT_MODEL_CLASS: &str = "xgboost.core.Booster";

/// Options: `model_class` (e.g. `xgboost.sklearn.XGBClassifier`), `xgb_version`.
pub const OPTIONS: &[&str] = &["model_class", "xgb_version"];

pub fn default_pip_requirements() -> Vec<String> {
    vec![format!("xgboost=={DEFAULT_XGBOOST_VERSION}")]
}

/// `json` or `ubj` from the file's extension.
fn model_format(path: &Path) -> Result<&'static str> {
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("json") => Ok("json"),
        Some("ubj") => Ok("ubj"),
        _ => Err(Error::invalid(format!(
            "the XGBoost model file {} must end in .json or .ubj (XGBoost chooses the format by extension; \
             MLflow's model_format is json or ubj, the legacy binary format is not supported)",
            path.display()
        ))),
    }
}

pub fn plan(inputs: &FlavorInputs) -> Result<FlavorPlan> {
    let model = place_model_file(
        inputs,
        "xgboost",
        &["model.ubj", "model.json"],
        |p| model_format(p).map(|f| format!("model.{f}")),
        false,
    )?;
    let format = model_format(Path::new(&model.data))?;
    let version = framework_version(inputs, "xgb_version", &["xgboost", "xgboost-cpu"], DEFAULT_XGBOOST_VERSION)?;
    let model_class = string_option(inputs, "model_class")?.unwrap_or_else(|| DEFAULT_MODEL_CLASS.to_string());
    let section = Flavor::new()
        .with("code", code_value(inputs.has_code))
        .with("data", model.data.as_str())
        .with("model_class", model_class)
        .with("model_format", format)
        .with("xgb_version", version);
    let mut pyfunc = Flavor::new().with("data", model.data.as_str()).with("loader_module", "mlflow.xgboost");
    if inputs.has_code {
        pyfunc = pyfunc.with("code", "code");
    }
    Ok(FlavorPlan {
        placements: model.placements,
        section: Some(("xgboost".into(), section)),
        pyfunc,
        size_counts_code: true,
    })
}
