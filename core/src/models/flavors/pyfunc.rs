//! A custom `python_function` model (`mlflow/pyfunc/__init__.py`), in the two forms a program
//! without a Python interpreter can write:
//! - **loader module** (`mlflow.pyfunc.save_model(loader_module=..., data_path=..., code_paths=...)`):
//!   option `loader_module` names a module (usually shipped in `code_paths`, copied to `code/`) whose
//!   `_load_pyfunc(data_path)` returns an object with `predict`; `data` (a file or directory) is
//!   copied under `data/`.
//! - **models from code** (`save_model(python_model="model.py")`): option `python_model` is a Python
//!   file that calls `mlflow.models.set_model(...)`; it is copied to the model root and recorded
//!   as `model_code_path: <file name>` (the loader only uses the base name); option `artifacts`
//!   (`{"name": "path"}`) copies each into `artifacts/` for `context.artifacts`.
//!
//! `files` / `model_path` add files to the model root as they are. MLflow's default requirement
//! for these models is `cloudpickle`; a native caller lists what its Python code imports instead,
//! so the default here is `mlflow` alone.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::models::flavors::{
    code_value, file_name_of, string_option, FlavorInputs, FlavorPlan, Placement, RESERVED_NAMES,
};
use crate::models::mlmodel::Flavor;
use crate::models::yaml::YamlValue;

/// Options: `loader_module` or `python_model` (one of them), `artifacts`, `streamable`,
/// `cloudpickle_version` (written only when given; informational).
pub const OPTIONS: &[&str] = &["loader_module", "python_model", "artifacts", "streamable", "cloudpickle_version"];

/// The loader MLflow records for models from code.
pub const CODE_MODEL_LOADER: &str = "mlflow.pyfunc.loaders.code_model";

pub fn default_pip_requirements() -> Vec<String> {
    Vec::new()
}

fn is_module_name(name: &str) -> bool {
    name.split('.').all(|part| {
        let mut chars = part.chars();
        matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
            && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
    })
}

fn exists(path: &Path, what: &str) -> Result<()> {
    if path.exists() {
        Ok(())
    } else {
        Err(Error::invalid(format!("{what} {} does not exist", path.display())))
    }
}

pub fn plan(inputs: &FlavorInputs) -> Result<FlavorPlan> {
    let mut placements: Vec<Placement> = Vec::new();
    let take = |placements: &mut Vec<Placement>, src: PathBuf, dest: String| -> Result<()> {
        let top = dest.split('/').next().unwrap_or("").to_string();
        if RESERVED_NAMES.contains(&top.as_str()) || placements.iter().any(|p| p.dest == dest) {
            return Err(Error::invalid(format!(
                "{} would be copied to {dest:?}, which clashes with another file of the model directory",
                src.display()
            )));
        }
        placements.push(Placement { src, dest });
        Ok(())
    };
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
        placements.push(Placement { src: dir.to_path_buf(), dest: String::new() });
    }
    for file in inputs.files {
        exists(file, "the python_function file")?;
        take(&mut placements, file.clone(), file_name_of(file)?)?;
    }

    let loader_module = string_option(inputs, "loader_module")?;
    let python_model = string_option(inputs, "python_model")?;
    let streamable = match inputs.options.get("streamable") {
        None | Some(serde_json::Value::Null) => false,
        Some(serde_json::Value::Bool(b)) => *b,
        Some(other) => return Err(Error::invalid(format!("option \"streamable\" must be true or false, got {other}"))),
    };
    let mut pyfunc =
        Flavor::new().with("code", code_value(inputs.has_code)).with("streamable", YamlValue::Bool(streamable));
    if let Some(v) = string_option(inputs, "cloudpickle_version")? {
        pyfunc = pyfunc.with("cloudpickle_version", v);
    }
    match (loader_module, python_model) {
        (Some(_), Some(_)) | (None, None) => {
            return Err(Error::invalid(
                "the python_function flavor needs exactly one of the options `loader_module` (a module with \
                 _load_pyfunc(data_path)) and `python_model` (a models-from-code Python file)",
            ))
        }
        (Some(module), None) => {
            if !is_module_name(&module) {
                return Err(Error::invalid(format!("loader_module {module:?} is not a Python module name")));
            }
            if inputs.options.contains_key("artifacts") {
                return Err(Error::invalid(
                    "`artifacts` go with `python_model` (models from code), not `loader_module`",
                ));
            }
            pyfunc = pyfunc.with("loader_module", module);
            if let Some(data) = inputs.data {
                exists(data, "the python_function data path")?;
                let dest = format!("data/{}", file_name_of(data)?);
                take(&mut placements, data.to_path_buf(), dest.clone())?;
                pyfunc = pyfunc.with("data", dest);
            }
        }
        (None, Some(code_file)) => {
            if inputs.data.is_some() {
                return Err(Error::invalid("`data` goes with `loader_module`; models from code use `artifacts`"));
            }
            let src = inputs.resolve(Path::new(&code_file));
            if !src.is_file() {
                return Err(Error::invalid(format!("the python_model file {} does not exist", src.display())));
            }
            let name = file_name_of(&src)?;
            take(&mut placements, src, name.clone())?;
            pyfunc = pyfunc.with("loader_module", CODE_MODEL_LOADER).with("model_code_path", name);
            match inputs.options.get("artifacts") {
                None | Some(serde_json::Value::Null) => {}
                Some(serde_json::Value::Object(artifacts)) => {
                    let mut recorded = BTreeMap::new();
                    for (key, value) in artifacts {
                        let Some(path) = value.as_str() else {
                            return Err(Error::invalid(format!("artifact {key:?} must be a path string, got {value}")));
                        };
                        let src = inputs.resolve(Path::new(path));
                        exists(&src, &format!("artifact {key:?}"))?;
                        let dest = format!("artifacts/{}", file_name_of(&src)?);
                        take(&mut placements, src.clone(), dest.clone())?;
                        let entry = BTreeMap::from([
                            ("path".to_string(), YamlValue::from(dest)),
                            ("uri".to_string(), YamlValue::from(src.display().to_string())),
                        ]);
                        recorded.insert(key.clone(), YamlValue::Map(entry));
                    }
                    pyfunc = pyfunc.with("artifacts", YamlValue::Map(recorded));
                }
                Some(other) => {
                    return Err(Error::invalid(format!(
                        "option \"artifacts\" must be an object of names to paths, got {other}"
                    )))
                }
            }
        }
    }
    Ok(FlavorPlan { placements, section: None, pyfunc, size_counts_code: false })
}
