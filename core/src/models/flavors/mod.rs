//! The ready-made flavors a non-Python program can write: each says its name, which files it needs
//! and where they go in the model directory, its MLmodel section and its `python_function` section,
//! exactly as the MLflow 3.17.2 flavor of that name writes them (`mlflow/<flavor>/__init__.py`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::models::env::{
    pinned_version, requirement_name, CONDA_ENV_FILE_NAME, PYTHON_ENV_FILE_NAME, REQUIREMENTS_FILE_NAME,
};
use crate::models::example::{EXAMPLE_FILE_NAME, SERVING_EXAMPLE_FILE_NAME};
use crate::models::mlmodel::{Flavor, MLMODEL_FILE_NAME};
use crate::models::yaml::YamlValue;

pub mod lightgbm;
pub mod onnx;
pub mod onnx_external;
pub mod pyfunc;
pub mod sklearn;
pub mod xgboost;

/// The flavors this crate can build, by the name MLflow gives them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlavorKind {
    Onnx,
    XGBoost,
    LightGbm,
    /// A custom `python_function` model: loader module, or models-from-code.
    PythonFunction,
    /// A scikit-learn estimator serialized by the caller (skops, cloudpickle or pickle).
    Sklearn,
}

/// Flavor names [`FlavorKind::from_name`] accepts.
pub const KNOWN_FLAVORS: [&str; 5] = ["onnx", "xgboost", "lightgbm", "python_function", "sklearn"];

/// A file or directory to copy into the model directory. `dest` is relative to the model root;
/// an empty `dest` copies the contents of the directory `src` into the root.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    pub src: PathBuf,
    pub dest: String,
}

/// What the builder hands a flavor. Paths are already resolved (absolute or relative to the cwd).
#[derive(Debug, Clone, Copy)]
pub struct FlavorInputs<'a> {
    /// Framework files: the first is the model; further ones are copied next to it by file name
    /// (ONNX external-data files); for python_function, files copied into the model root.
    pub files: &'a [PathBuf],
    /// A directory whose whole content becomes the model directory.
    pub model_path: Option<&'a Path>,
    /// Framework flavors with `model_path`: the model file's path inside it. python_function:
    /// MLflow's `data_path` (a file or directory copied under `data/`).
    pub data: Option<&'a Path>,
    pub options: &'a BTreeMap<String, serde_json::Value>,
    /// Whether code paths are copied into `code/` (then `code: code`, else `code: null`).
    pub has_code: bool,
    /// The final requirement list (framework versions default to their `==` pin there).
    pub requirements: &'a [String],
    /// Where relative paths inside `options` (`python_model`, `artifacts`) are resolved.
    pub base_dir: &'a Path,
}

impl FlavorInputs<'_> {
    /// `path` resolved against `base_dir` (absolute paths stay as they are).
    pub fn resolve(&self, path: &Path) -> PathBuf {
        self.base_dir.join(path)
    }
}

/// A flavor's contribution to the model directory.
#[derive(Debug, Clone, PartialEq)]
pub struct FlavorPlan {
    pub placements: Vec<Placement>,
    /// The flavor's own section (`onnx`, `xgboost`, `lightgbm`); None for python_function.
    pub section: Option<(String, Flavor)>,
    /// The `python_function` section without `env` and `python_version` (the builder adds them).
    pub pyfunc: Flavor,
    /// MLflow's custom pyfunc computes `model_size_bytes` before copying `code/`; the framework
    /// flavors after.
    pub size_counts_code: bool,
}

impl FlavorKind {
    /// The flavor of that MLflow name; unknown names are refused with the list of known ones.
    pub fn from_name(name: &str) -> Result<FlavorKind> {
        match name {
            "onnx" => Ok(FlavorKind::Onnx),
            "xgboost" => Ok(FlavorKind::XGBoost),
            "lightgbm" => Ok(FlavorKind::LightGbm),
            "python_function" | "pyfunc" => Ok(FlavorKind::PythonFunction),
            "sklearn" => Ok(FlavorKind::Sklearn),
            other => Err(Error::invalid(format!(
                "unknown model flavor {other:?}: the flavors that can be built are {}",
                KNOWN_FLAVORS.join(", ")
            ))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            FlavorKind::Onnx => "onnx",
            FlavorKind::XGBoost => "xgboost",
            FlavorKind::LightGbm => "lightgbm",
            FlavorKind::PythonFunction => "python_function",
            FlavorKind::Sklearn => "sklearn",
        }
    }

    /// The documented default pins (see each flavor module for where the versions come from).
    pub fn default_pip_requirements(self) -> Vec<String> {
        match self {
            FlavorKind::Onnx => onnx::default_pip_requirements(),
            FlavorKind::XGBoost => xgboost::default_pip_requirements(),
            FlavorKind::LightGbm => lightgbm::default_pip_requirements(),
            FlavorKind::PythonFunction => pyfunc::default_pip_requirements(),
            FlavorKind::Sklearn => sklearn::default_pip_requirements(),
        }
    }

    /// The `options` keys the flavor takes.
    pub fn option_names(self) -> &'static [&'static str] {
        match self {
            FlavorKind::Onnx => onnx::OPTIONS,
            FlavorKind::XGBoost => xgboost::OPTIONS,
            FlavorKind::LightGbm => lightgbm::OPTIONS,
            FlavorKind::PythonFunction => pyfunc::OPTIONS,
            FlavorKind::Sklearn => sklearn::OPTIONS,
        }
    }

    /// Checks the inputs (every named file exists, options are known and well typed) and says
    /// what goes where. Writes nothing.
    pub fn plan(self, inputs: &FlavorInputs) -> Result<FlavorPlan> {
        if let Some(unknown) = inputs.options.keys().find(|k| !self.option_names().contains(&k.as_str())) {
            return Err(Error::invalid(format!(
                "unknown option {unknown:?} for the {} flavor: known options are {}",
                self.name(),
                self.option_names().join(", ")
            )));
        }
        if !inputs.files.is_empty() && inputs.model_path.is_some() {
            return Err(Error::invalid("give the model as either `files` or `model_path`, not both"));
        }
        match self {
            FlavorKind::Onnx => onnx::plan(inputs),
            FlavorKind::XGBoost => xgboost::plan(inputs),
            FlavorKind::LightGbm => lightgbm::plan(inputs),
            FlavorKind::PythonFunction => pyfunc::plan(inputs),
            FlavorKind::Sklearn => sklearn::plan(inputs),
        }
    }
}

/// Names the builder writes itself; a framework file may not take them.
pub const RESERVED_NAMES: [&str; 6] = [
    MLMODEL_FILE_NAME,
    CONDA_ENV_FILE_NAME,
    PYTHON_ENV_FILE_NAME,
    REQUIREMENTS_FILE_NAME,
    EXAMPLE_FILE_NAME,
    SERVING_EXAMPLE_FILE_NAME,
];

/// `code: code` when code paths are copied, `code: null` otherwise (MLflow writes the key either way).
pub(crate) fn code_value(has_code: bool) -> YamlValue {
    if has_code {
        YamlValue::from("code")
    } else {
        YamlValue::Null
    }
}

/// A flavor option that must be a string.
pub(crate) fn string_option(inputs: &FlavorInputs, key: &str) -> Result<Option<String>> {
    match inputs.options.get(key) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.clone())),
        Some(other) => Err(Error::invalid(format!("option {key:?} must be a non-empty string, got {other}"))),
    }
}

/// The framework version for `*_version`: the caller's option, else the `==` pin of one of
/// `packages` in the final requirements, else `default`.
pub(crate) fn framework_version(inputs: &FlavorInputs, key: &str, packages: &[&str], default: &str) -> Result<String> {
    if let Some(v) = string_option(inputs, key)? {
        return Ok(v);
    }
    let pinned = inputs
        .requirements
        .iter()
        .find(|r| packages.contains(&requirement_name(r).as_str()))
        .and_then(|r| pinned_version(r));
    Ok(pinned.unwrap_or(default).to_string())
}

/// JSON option values as YAML (integers stay integers, floats floats).
pub(crate) fn yaml_from_json(v: &serde_json::Value) -> YamlValue {
    match v {
        serde_json::Value::Null => YamlValue::Null,
        serde_json::Value::Bool(b) => YamlValue::Bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => YamlValue::Int(i),
            None => YamlValue::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(s) => YamlValue::Str(s.clone()),
        serde_json::Value::Array(a) => YamlValue::Seq(a.iter().map(yaml_from_json).collect()),
        serde_json::Value::Object(o) => YamlValue::Map(o.iter().map(|(k, v)| (k.clone(), yaml_from_json(v))).collect()),
    }
}

fn must_be_file(path: &Path, what: &str) -> Result<()> {
    if path.is_file() {
        Ok(())
    } else if path.exists() {
        Err(Error::invalid(format!("{what} {} is not a regular file", path.display())))
    } else {
        Err(Error::invalid(format!("{what} {} does not exist", path.display())))
    }
}

pub(crate) fn file_name_of(path: &Path) -> Result<String> {
    path.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_string)
        .ok_or_else(|| Error::invalid(format!("{} has no usable file name", path.display())))
}

/// The model file of a framework flavor and where it goes.
pub(crate) struct ModelFile {
    pub placements: Vec<Placement>,
    /// Its path relative to the model root (`data:`).
    pub data: String,
}

/// Places a framework flavor's model file: from `files` (first = the model, copied as
/// `dest_name(file)`; the rest copied next to it by name when `sidecars_allowed`) or from
/// `model_path` (the whole directory; the model is `data` or the one of `candidates` present).
pub(crate) fn place_model_file(
    inputs: &FlavorInputs,
    flavor: &str,
    candidates: &[&str],
    dest_name: impl Fn(&Path) -> Result<String>,
    sidecars_allowed: bool,
) -> Result<ModelFile> {
    let what = format!("the {flavor} model file");
    if let Some(dir) = inputs.model_path {
        if !dir.is_dir() {
            return Err(Error::invalid(format!("model_path {} is not a directory", dir.display())));
        }
        if let Some(reserved) = RESERVED_NAMES.iter().find(|n| dir.join(n).exists()) {
            return Err(Error::invalid(format!(
                "model_path {} already contains {reserved}, which the builder writes itself",
                dir.display()
            )));
        }
        let data = match inputs.data {
            Some(rel) => {
                let rel_str = rel.to_str().ok_or_else(|| Error::invalid("`data` is not valid UTF-8"))?;
                if rel.is_absolute() || rel.components().any(|c| matches!(c, std::path::Component::ParentDir)) {
                    return Err(Error::invalid(format!(
                        "`data` must name the model file relative to model_path, got {rel_str:?}"
                    )));
                }
                rel_str.to_string()
            }
            None => {
                let present: Vec<&&str> = candidates.iter().filter(|c| dir.join(c).is_file()).collect();
                match present.as_slice() {
                    [one] => one.to_string(),
                    [] => {
                        return Err(Error::invalid(format!(
                            "model_path {} has no {flavor} model file: expected one of {} or set `data`",
                            dir.display(),
                            candidates.join(", ")
                        )))
                    }
                    _ => {
                        return Err(Error::invalid(format!(
                            "model_path {} has several candidate {flavor} model files; set `data` to choose one",
                            dir.display()
                        )))
                    }
                }
            }
        };
        let file = dir.join(&data);
        must_be_file(&file, &what)?;
        // The name decides the format for some flavors: check it as for `files`.
        dest_name(&file)?;
        return Ok(ModelFile { placements: vec![Placement { src: dir.to_path_buf(), dest: String::new() }], data });
    }
    if inputs.data.is_some() {
        return Err(Error::invalid(format!(
            "`data` names the model file inside `model_path`; with `files` the first file is the {flavor} model"
        )));
    }
    let Some((model, sidecars)) = inputs.files.split_first() else {
        return Err(Error::invalid(format!("the {flavor} flavor needs its model file: give `files` or `model_path`")));
    };
    must_be_file(model, &what)?;
    let data = dest_name(model)?;
    if !sidecars.is_empty() && !sidecars_allowed {
        return Err(Error::invalid(format!(
            "the {flavor} flavor takes exactly one model file, got {}",
            inputs.files.len()
        )));
    }
    let mut placements = vec![Placement { src: model.clone(), dest: data.clone() }];
    for sidecar in sidecars {
        must_be_file(sidecar, &format!("the {flavor} data file"))?;
        let name = file_name_of(sidecar)?;
        if name == data || RESERVED_NAMES.contains(&name.as_str()) || placements.iter().any(|p| p.dest == name) {
            return Err(Error::invalid(format!(
                "file name {name:?} ({}) clashes with another file of the model directory",
                sidecar.display()
            )));
        }
        placements.push(Placement { src: sidecar.clone(), dest: name });
    }
    Ok(ModelFile { placements, data })
}
