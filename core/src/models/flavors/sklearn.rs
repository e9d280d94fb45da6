//! The `sklearn` flavor (`mlflow/sklearn/__init__.py`, `save_model`) for a scikit-learn estimator
//! already serialized by the caller (the Python binding, with `skops.io.dump`, `cloudpickle.dump` or
//! `pickle.dump` exactly as MLflow's `_save_model`): copied as `model.skops` (format `skops`) or
//! `model.pkl` (`cloudpickle`, `pickle`), with MLflow's `sklearn` section (`pickled_model`,
//! `serialization_format`, `sklearn_version`, `skops_trusted_types`, `code`) and a
//! `python_function` section loading through `mlflow.sklearn` with `model_path` and `predict_fn`.
//! The serialized bytes are checked against the declared format (a skops file is a zip archive, a
//! pickle starts with the PROTO opcode) so a mislabeled file fails here, not in MLflow's loader.

use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};
use crate::models::flavors::{
    code_value, framework_version, place_model_file, string_option, FlavorInputs, FlavorPlan,
};
use crate::models::mlmodel::Flavor;
use crate::models::yaml::YamlValue;

/// `sklearn_version` and the `scikit-learn==` pin when the caller gives none: the release verified
/// with MLflow 3.17.2 here (research note §1.3). The Python binding pins the installed versions.
pub const DEFAULT_SKLEARN_VERSION: &str = "1.9.1";
/// The `skops==` pin of the default (skops) serialization when the caller gives none.
pub const DEFAULT_SKOPS_VERSION: &str = "0.16.0";
/// MLflow's `SUPPORTED_SERIALIZATION_FORMATS`, in its order (the first is the default here, as it
/// is MLflow's outside Databricks).
pub const SERIALIZATION_FORMATS: [&str; 3] = ["skops", "cloudpickle", "pickle"];

/// Options: `serialization_format` (default `skops`), `sklearn_version`, `skops_trusted_types`
/// (a list of type names, or null), `pyfunc_predict_fn` (default `predict`).
pub const OPTIONS: &[&str] = &["serialization_format", "sklearn_version", "skops_trusted_types", "pyfunc_predict_fn"];

pub fn default_pip_requirements() -> Vec<String> {
    vec![format!("scikit-learn=={DEFAULT_SKLEARN_VERSION}"), format!("skops=={DEFAULT_SKOPS_VERSION}")]
}

fn serialization_format(inputs: &FlavorInputs) -> Result<String> {
    let format = string_option(inputs, "serialization_format")?.unwrap_or_else(|| SERIALIZATION_FORMATS[0].into());
    if SERIALIZATION_FORMATS.contains(&format.as_str()) {
        Ok(format)
    } else {
        Err(Error::invalid(format!(
            "Unrecognized serialization format: {format}. Please specify one of the following supported formats: \
             {SERIALIZATION_FORMATS:?}."
        )))
    }
}

/// The first bytes of `path` match `format`: a zip archive for skops, a pickle (protocol 2+
/// starts with the PROTO opcode 0x80) otherwise.
fn check_serialized(path: &Path, format: &str) -> Result<()> {
    let mut head = [0u8; 4];
    let n = std::fs::File::open(path).and_then(|mut f| f.read(&mut head)).map_err(Error::from)?;
    let ok = match format {
        "skops" => n == 4 && head == *b"PK\x03\x04",
        _ => n >= 2 && head[0] == 0x80,
    };
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "{} is not a scikit-learn model serialized in the {format} format ({})",
            path.display(),
            if format == "skops" {
                "skops.io.dump writes a zip archive"
            } else {
                "expected a pickle, protocol 2 or newer"
            }
        )))
    }
}

fn trusted_types(inputs: &FlavorInputs) -> Result<YamlValue> {
    match inputs.options.get("skops_trusted_types") {
        None | Some(serde_json::Value::Null) => Ok(YamlValue::Null),
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .map(|t| match t {
                serde_json::Value::String(s) if !s.is_empty() => Ok(YamlValue::from(s.as_str())),
                other => Err(Error::invalid(format!("skops_trusted_types must be type names (strings), got {other}"))),
            })
            .collect::<Result<Vec<_>>>()
            .map(YamlValue::Seq),
        Some(other) => Err(Error::invalid(format!("skops_trusted_types must be a list of type names, got {other}"))),
    }
}

pub fn plan(inputs: &FlavorInputs) -> Result<FlavorPlan> {
    let format = serialization_format(inputs)?;
    let dest = if format == "skops" { "model.skops" } else { "model.pkl" };
    let model = place_model_file(
        inputs,
        "sklearn",
        &[dest],
        |p| {
            check_serialized(p, &format)?;
            Ok(dest.to_string())
        },
        false,
    )?;
    let trusted = trusted_types(inputs)?;
    if format != "skops" && trusted != YamlValue::Null {
        return Err(Error::invalid("skops_trusted_types only apply to the skops serialization format"));
    }
    let predict_fn = string_option(inputs, "pyfunc_predict_fn")?.unwrap_or_else(|| "predict".into());
    let version = framework_version(inputs, "sklearn_version", &["scikit-learn"], DEFAULT_SKLEARN_VERSION)?;
    let section = Flavor::new()
        .with("code", code_value(inputs.has_code))
        .with("pickled_model", model.data.as_str())
        .with("serialization_format", format.as_str())
        .with("sklearn_version", version)
        .with("skops_trusted_types", trusted);
    let mut pyfunc = Flavor::new()
        .with("loader_module", "mlflow.sklearn")
        .with("model_path", model.data.as_str())
        .with("predict_fn", predict_fn);
    if inputs.has_code {
        pyfunc = pyfunc.with("code", "code");
    }
    Ok(FlavorPlan {
        placements: model.placements,
        section: Some(("sklearn".into(), section)),
        pyfunc,
        size_counts_code: true,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    use super::*;

    fn inputs<'a>(
        files: &'a [PathBuf],
        options: &'a BTreeMap<String, serde_json::Value>,
        base: &'a Path,
    ) -> FlavorInputs<'a> {
        FlavorInputs {
            files,
            model_path: None,
            data: None,
            options,
            has_code: false,
            requirements: &[],
            base_dir: base,
        }
    }

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    #[test]
    fn skops_by_default_and_mlflow_sections() {
        let dir = tempfile::tempdir().unwrap();
        let files = [write(dir.path(), "est.skops", b"PK\x03\x04rest")];
        let options = BTreeMap::new();
        let plan = plan(&inputs(&files, &options, dir.path())).unwrap();
        assert_eq!(plan.placements[0].dest, "model.skops");
        let (name, section) = plan.section.unwrap();
        assert_eq!(name, "sklearn");
        assert_eq!(section.get_str("pickled_model"), Some("model.skops"));
        assert_eq!(section.get_str("serialization_format"), Some("skops"));
        assert_eq!(section.get_str("sklearn_version"), Some(DEFAULT_SKLEARN_VERSION));
        assert_eq!(plan.pyfunc.get_str("loader_module"), Some("mlflow.sklearn"));
        assert_eq!(plan.pyfunc.get_str("model_path"), Some("model.skops"));
        assert_eq!(plan.pyfunc.get_str("predict_fn"), Some("predict"));
    }

    #[test]
    fn pickle_formats_go_to_model_pkl_and_mislabeled_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let pickle = [write(dir.path(), "est.pkl", b"\x80\x05rest")];
        let mut options = BTreeMap::new();
        options.insert("serialization_format".to_string(), serde_json::json!("cloudpickle"));
        options.insert("pyfunc_predict_fn".to_string(), serde_json::json!("predict_proba"));
        let plan = plan(&inputs(&pickle, &options, dir.path())).unwrap();
        assert_eq!(plan.placements[0].dest, "model.pkl");
        assert_eq!(plan.pyfunc.get_str("predict_fn"), Some("predict_proba"));

        options.insert("serialization_format".to_string(), serde_json::json!("skops"));
        let err = super::plan(&inputs(&pickle, &options, dir.path())).unwrap_err();
        assert!(err.message().contains("skops"), "{err}");

        options.insert("serialization_format".to_string(), serde_json::json!("joblib"));
        let err = super::plan(&inputs(&pickle, &options, dir.path())).unwrap_err();
        assert!(err.message().contains("Unrecognized serialization format: joblib"), "{err}");
    }

    #[test]
    fn trusted_types_only_with_skops() {
        let dir = tempfile::tempdir().unwrap();
        let pickle = [write(dir.path(), "est.pkl", b"\x80\x05rest")];
        let mut options = BTreeMap::new();
        options.insert("serialization_format".to_string(), serde_json::json!("pickle"));
        options.insert("skops_trusted_types".to_string(), serde_json::json!(["a.B"]));
        assert!(plan(&inputs(&pickle, &options, dir.path())).is_err());
    }
}
