//! The `lightgbm` flavor (`mlflow/lightgbm/__init__.py`) for a Booster saved in LightGBM's text
//! format (`LGBM_BoosterSaveModel` in C, `booster.save_model` in Python), copied as `model.lgb`.

use std::io::Read;

use crate::error::{Error, Result};
use crate::models::flavors::{code_value, framework_version, place_model_file, FlavorInputs, FlavorPlan};
use crate::models::mlmodel::Flavor;
use crate::models::yaml::YamlValue;

/// `lgb_version` and the `lightgbm==` pin when the caller gives none: the release verified with
/// MLflow 3.17.2 here (research note §3.4; LightGBM's C API has no version call).
pub const DEFAULT_LIGHTGBM_VERSION: &str = "4.7.0";

/// The keys MLflow 3.17.2 writes for every LightGBM model, Booster included, where they mean
/// nothing (a Booster is always loaded from its text file): written the same for identical output.
const SKOPS_TRUSTED_TYPES: [&str; 4] = [
    "lightgbm.sklearn.LGBMClassifier",
    "lightgbm.basic.Booster",
    "collections.OrderedDict",
    "lightgbm.sklearn.LGBMRegressor",
];

/// Options: `lgb_version`.
pub const OPTIONS: &[&str] = &["lgb_version"];

pub fn default_pip_requirements() -> Vec<String> {
    vec![format!("lightgbm=={DEFAULT_LIGHTGBM_VERSION}")]
}

/// LightGBM's text model starts with the line `tree`; anything else (a binary or another
/// framework's file) would only fail later inside MLflow's loader.
fn check_text_model(path: &std::path::Path) -> Result<()> {
    let mut head = [0u8; 5];
    let n = std::fs::File::open(path).and_then(|mut f| f.read(&mut head)).map_err(Error::from)?;
    if n >= 4 && &head[..4] == b"tree" && (n == 4 || matches!(head[4], b'\n' | b'\r')) {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "{} is not a LightGBM text model (it must start with the line \"tree\", as LGBM_BoosterSaveModel writes)",
            path.display()
        )))
    }
}

pub fn plan(inputs: &FlavorInputs) -> Result<FlavorPlan> {
    let model = place_model_file(
        inputs,
        "lightgbm",
        &["model.lgb"],
        |p| {
            check_text_model(p)?;
            Ok("model.lgb".to_string())
        },
        false,
    )?;
    let version = framework_version(inputs, "lgb_version", &["lightgbm"], DEFAULT_LIGHTGBM_VERSION)?;
    let section = Flavor::new()
        .with("code", code_value(inputs.has_code))
        .with("data", model.data.as_str())
        .with("lgb_version", version)
        .with("model_class", "lightgbm.basic.Booster")
        .with("serialization_format", "skops")
        .with("skops_trusted_types", YamlValue::Seq(SKOPS_TRUSTED_TYPES.iter().map(|t| YamlValue::from(*t)).collect()));
    let mut pyfunc = Flavor::new().with("data", model.data.as_str()).with("loader_module", "mlflow.lightgbm");
    if inputs.has_code {
        pyfunc = pyfunc.with("code", "code");
    }
    Ok(FlavorPlan {
        placements: model.placements,
        section: Some(("lightgbm".into(), section)),
        pyfunc,
        size_counts_code: true,
    })
}
