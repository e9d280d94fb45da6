//! The model builder: framework files + a flavor → a complete MLflow model directory (`MLmodel`,
//! `python_env.yaml`, `requirements.txt`, `conda.yaml`, input example files) as the MLflow 3.17.2
//! flavor's `save_model` writes it, so `mlflow.pyfunc.load_model` and `mlflow models serve` take it.
//!
//! Like `save_model`, the destination must be absent or an empty directory. Everything is checked
//! before anything is written (each file the flavor names must exist: MLflow's own XGBoost loader,
//! given a missing file, reports a misleading "Could not find an MLmodel configuration file"), and
//! the directory is built in a hidden sibling then renamed into place, so a failure leaves nothing.
//!
//! Two ways in: the Rust builder ([`ModelBuilder::new`] and its setters) and the JSON spec
//! ([`ModelSpec`], [`ModelBuilder::from_spec`]) that the C ABI and the bindings pass through.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::models::env::{
    check_python_version, conda_yaml, python_env_yaml, requirements_txt, resolve_requirements, CONDA_ENV_FILE_NAME,
    DEFAULT_PYTHON_VERSION, PYTHON_ENV_FILE_NAME, REQUIREMENTS_FILE_NAME,
};
use crate::models::example::{InputExample, InputExampleSpec, EXAMPLE_FILE_NAME, SERVING_EXAMPLE_FILE_NAME};
use crate::models::flavors::{file_name_of, yaml_from_json, FlavorInputs, FlavorKind, Placement};
use crate::models::mlmodel::MlModel;
use crate::models::signature::ModelSignature;
use crate::models::yaml::YamlValue;

/// The JSON model spec (one C call: `mlflow_model_save(spec_json, dest_dir, &out_mlmodel_json)`).
/// Field names follow MLflow's `save_model` keyword arguments. Unknown fields are refused.
///
/// ```json
/// {
///   "flavor": "xgboost",                      // onnx | xgboost | lightgbm | python_function | sklearn
///   "files": ["booster.json"],                // framework files: the first is the model; for onnx
///                                             //   further files are its external-data files
///   "model_path": "dir",                      // or: a directory whose content becomes the model dir
///   "data": "model.json",                     // with model_path: the model file in it; for
///                                             //   python_function: MLflow's data_path (copied to data/)
///   "options": {"model_class": "..."},        // per flavor, see FlavorKind::option_names
///   "signature": {"inputs": "[...]", "outputs": [...], "params": null},  // MLflow JSON strings or arrays
///   "input_example": {"type": "dataframe", "columns": ["f0"], "data": [[1.0]], "params": {"k": 1}},
///   "pip_requirements": ["xgboost==3.2.0"],   // replaces the flavor's default pins
///   "extra_pip_requirements": ["pandas"],     // or: adds to them (a same-named pin replaces the default)
///   "python_version": "3.11.7",
///   "metadata": {"any": "object"},
///   "code_paths": ["my_loader.py"]            // copied into code/
/// }
/// ```
/// Relative paths are resolved against the `base_dir` given to [`ModelBuilder::from_spec`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    pub flavor: String,
    #[serde(default)]
    pub files: Vec<String>,
    #[serde(default)]
    pub model_path: Option<String>,
    #[serde(default)]
    pub data: Option<String>,
    #[serde(default)]
    pub options: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub signature: Option<SignatureSpec>,
    #[serde(default)]
    pub input_example: Option<InputExampleSpec>,
    #[serde(default)]
    pub pip_requirements: Option<Vec<String>>,
    #[serde(default)]
    pub extra_pip_requirements: Option<Vec<String>>,
    #[serde(default)]
    pub python_version: Option<String>,
    #[serde(default)]
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    pub code_paths: Vec<String>,
}

/// `signature` in a [`ModelSpec`]: each part MLflow's JSON string (as in an MLmodel), the same JSON
/// as an array, or null.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureSpec {
    #[serde(default)]
    pub inputs: Option<serde_json::Value>,
    #[serde(default)]
    pub outputs: Option<serde_json::Value>,
    #[serde(default)]
    pub params: Option<serde_json::Value>,
}

impl SignatureSpec {
    pub fn to_signature(&self) -> Result<ModelSignature> {
        fn part(v: &Option<serde_json::Value>, what: &str) -> Result<Option<String>> {
            match v {
                None | Some(serde_json::Value::Null) => Ok(None),
                Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
                Some(a @ serde_json::Value::Array(_)) => Ok(Some(a.to_string())),
                Some(other) => Err(Error::invalid(format!(
                    "malformed model signature {what}: expected MLflow's JSON string or a JSON list, got {other}"
                ))),
            }
        }
        let (i, o, p) = (part(&self.inputs, "inputs")?, part(&self.outputs, "outputs")?, part(&self.params, "params")?);
        ModelSignature::from_json_strings(i.as_deref(), o.as_deref(), p.as_deref())
    }
}

impl ModelSpec {
    /// Parses the JSON spec; errors name the offending field.
    pub fn from_json(text: &str) -> Result<ModelSpec> {
        serde_json::from_str(text).map_err(|e| Error::invalid(format!("malformed model spec: {e}")))
    }
}

/// Builds one model directory. Setters only record; [`ModelBuilder::save`] checks and writes.
#[derive(Debug, Clone)]
pub struct ModelBuilder {
    flavor: FlavorKind,
    files: Vec<PathBuf>,
    model_path: Option<PathBuf>,
    data: Option<PathBuf>,
    options: BTreeMap<String, serde_json::Value>,
    code_paths: Vec<PathBuf>,
    signature: Option<ModelSignature>,
    input_example: Option<InputExample>,
    metadata: Option<YamlValue>,
    pip_requirements: Option<Vec<String>>,
    extra_pip_requirements: Option<Vec<String>>,
    python_version: Option<String>,
    base_dir: PathBuf,
}

impl ModelBuilder {
    /// A builder for the flavor of that MLflow name (`onnx`, `xgboost`, `lightgbm`,
    /// `python_function`); an unknown name is an InvalidArgument listing the known ones.
    pub fn new(flavor: &str) -> Result<ModelBuilder> {
        Ok(ModelBuilder {
            flavor: FlavorKind::from_name(flavor)?,
            files: Vec::new(),
            model_path: None,
            data: None,
            options: BTreeMap::new(),
            code_paths: Vec::new(),
            signature: None,
            input_example: None,
            metadata: None,
            pip_requirements: None,
            extra_pip_requirements: None,
            python_version: None,
            base_dir: PathBuf::new(),
        })
    }

    /// The builder a [`ModelSpec`] describes; relative paths are taken from `base_dir`.
    pub fn from_spec(spec: &ModelSpec, base_dir: &Path) -> Result<ModelBuilder> {
        let mut b = ModelBuilder::new(&spec.flavor)?;
        b.base_dir = base_dir.to_path_buf();
        b.files = spec.files.iter().map(|f| base_dir.join(f)).collect();
        b.model_path = spec.model_path.as_ref().map(|p| base_dir.join(p));
        b.data = spec.data.as_ref().map(|d| match b.flavor {
            // For framework flavors `data` is relative to model_path, not base_dir.
            FlavorKind::PythonFunction => base_dir.join(d),
            _ => PathBuf::from(d),
        });
        b.options = spec.options.clone();
        b.code_paths = spec.code_paths.iter().map(|p| base_dir.join(p)).collect();
        b.signature = spec.signature.as_ref().map(SignatureSpec::to_signature).transpose()?;
        b.input_example = spec.input_example.as_ref().map(|e| e.0.clone());
        b.metadata = spec.metadata.as_ref().map(|m| yaml_from_json(&serde_json::Value::Object(m.clone())));
        b.pip_requirements = spec.pip_requirements.clone();
        b.extra_pip_requirements = spec.extra_pip_requirements.clone();
        b.python_version = spec.python_version.clone();
        Ok(b)
    }

    pub fn flavor(&self) -> FlavorKind {
        self.flavor
    }

    /// Adds a framework file (the first is the model file).
    pub fn file(mut self, path: impl Into<PathBuf>) -> Self {
        self.files.push(path.into());
        self
    }

    /// A directory whose content becomes the model directory.
    pub fn model_path(mut self, dir: impl Into<PathBuf>) -> Self {
        self.model_path = Some(dir.into());
        self
    }

    /// With `model_path`: the model file inside it. python_function: MLflow's `data_path`.
    pub fn data(mut self, path: impl Into<PathBuf>) -> Self {
        self.data = Some(path.into());
        self
    }

    /// A flavor option (see [`FlavorKind::option_names`]).
    pub fn option(mut self, key: &str, value: serde_json::Value) -> Self {
        self.options.insert(key.to_string(), value);
        self
    }

    /// A file or directory copied into `code/` (`code: code` in the MLmodel).
    pub fn code_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.code_paths.push(path.into());
        self
    }

    pub fn signature(mut self, signature: ModelSignature) -> Self {
        self.signature = Some(signature);
        self
    }

    pub fn input_example(mut self, example: InputExample) -> Self {
        self.input_example = Some(example);
        self
    }

    /// The MLmodel's `metadata` (a mapping in MLflow).
    pub fn metadata(mut self, metadata: BTreeMap<String, YamlValue>) -> Self {
        self.metadata = Some(YamlValue::Map(metadata));
        self
    }

    /// Replaces the flavor's default requirements (MLflow's `pip_requirements`).
    pub fn pip_requirements(mut self, reqs: Vec<String>) -> Self {
        self.pip_requirements = Some(reqs);
        self
    }

    /// Adds to (or re-pins) the flavor's default requirements (MLflow's `extra_pip_requirements`).
    pub fn extra_pip_requirements(mut self, reqs: Vec<String>) -> Self {
        self.extra_pip_requirements = Some(reqs);
        self
    }

    /// The full `X.Y.Z` Python version to record (default [`DEFAULT_PYTHON_VERSION`]).
    pub fn python_version(mut self, version: &str) -> Self {
        self.python_version = Some(version.to_string());
        self
    }

    /// The requirement list the model would get.
    pub fn requirements(&self) -> Result<Vec<String>> {
        resolve_requirements(
            &self.flavor.default_pip_requirements(),
            self.pip_requirements.as_deref(),
            self.extra_pip_requirements.as_deref(),
        )
    }

    /// Checks everything, then writes the model directory at `dest` (absent or empty) and returns
    /// the MLmodel written. On any error nothing is left at or next to `dest`.
    pub fn save(&self, dest: &Path) -> Result<MlModel> {
        // ---- checks: nothing is written before all of them pass
        let python_version = self.python_version.as_deref().unwrap_or(DEFAULT_PYTHON_VERSION);
        check_python_version(python_version)?;
        if let Some(sig) = &self.signature {
            sig.validate()?;
        }
        let example = self.input_example.as_ref().map(InputExample::save_form).transpose()?;
        if let Some(m) = &self.metadata {
            if !matches!(m, YamlValue::Map(_)) {
                return Err(Error::invalid("model metadata must be a mapping"));
            }
        }
        let reqs = self.requirements()?;
        let mut code_names = std::collections::HashSet::new();
        for code in &self.code_paths {
            if !code.exists() {
                return Err(Error::invalid(format!("code path {} does not exist", code.display())));
            }
            let name = file_name_of(code)?;
            if !code_names.insert(name.clone()) {
                return Err(Error::invalid(format!("two code paths are both named {name:?} inside code/")));
            }
        }
        let plan = self.flavor.plan(&FlavorInputs {
            files: &self.files,
            model_path: self.model_path.as_deref(),
            data: self.data.as_deref(),
            options: &self.options,
            has_code: !self.code_paths.is_empty(),
            requirements: &reqs,
            base_dir: &self.base_dir,
        })?;
        if !self.code_paths.is_empty()
            && plan.placements.iter().any(|p| p.dest == "code" || p.dest.starts_with("code/"))
        {
            return Err(Error::invalid("a model file would be copied to code/, where code_paths go"));
        }
        check_destination(dest)?;

        // ---- the MLmodel (time and uuid as Model() makes them)
        let mut model = MlModel::new();
        if let Some((name, section)) = &plan.section {
            model.flavors.insert(name.clone(), section.clone());
        }
        let env = BTreeMap::from([
            ("conda".to_string(), YamlValue::from(CONDA_ENV_FILE_NAME)),
            ("virtualenv".to_string(), YamlValue::from(PYTHON_ENV_FILE_NAME)),
        ]);
        let pyfunc = plan.pyfunc.clone().with("env", YamlValue::Map(env)).with("python_version", python_version);
        model.flavors.insert("python_function".into(), pyfunc);
        model.signature = self.signature.clone();
        model.metadata = self.metadata.clone();
        model.saved_input_example_info = example.as_ref().map(|e| e.info.clone());

        // ---- write into a hidden sibling, then rename into place
        let parent = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent)
            .map_err(|e| Error::from(e).context(format!("cannot create {}", parent.display())))?;
        let base = dest.file_name().and_then(|n| n.to_str()).unwrap_or("model");
        let tmp = parent.join(format!(".{base}.tmp-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir(&tmp).map_err(|e| Error::from(e).context(format!("cannot create {}", tmp.display())))?;
        let written = (|| -> Result<()> {
            for p in &plan.placements {
                copy_placement(p, &tmp)?;
            }
            let code_dir = tmp.join("code");
            if !self.code_paths.is_empty() {
                std::fs::create_dir(&code_dir)?;
                for code in &self.code_paths {
                    copy_any(code, &code_dir.join(file_name_of(code)?))?;
                }
            }
            if let Some(e) = &example {
                std::fs::write(tmp.join(EXAMPLE_FILE_NAME), &e.input_example_json)?;
                std::fs::write(tmp.join(SERVING_EXAMPLE_FILE_NAME), &e.serving_input_json)?;
            }
            // get_total_file_size, taken when MLflow takes it (see FlavorPlan::size_counts_code).
            let mut size = total_file_size(&tmp)?;
            if !plan.size_counts_code && code_dir.exists() {
                size -= total_file_size(&code_dir)?;
            }
            model.model_size_bytes = (size > 0).then_some(size);
            model.save(&tmp)?;
            std::fs::write(tmp.join(REQUIREMENTS_FILE_NAME), requirements_txt(&reqs))?;
            std::fs::write(tmp.join(CONDA_ENV_FILE_NAME), conda_yaml(python_version, &reqs))?;
            std::fs::write(tmp.join(PYTHON_ENV_FILE_NAME), python_env_yaml(python_version))?;
            // An empty destination directory is replaced by the rename (rename(2) allows it).
            std::fs::rename(&tmp, dest)
                .map_err(|e| Error::from(e).context(format!("cannot move the model into {}", dest.display())))
        })();
        if let Err(e) = written {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e.context(format!("cannot write the model directory {}", dest.display())));
        }
        Ok(model)
    }
}

/// MLflow's `_validate_and_prepare_target_save_path`: absent, or an empty directory.
fn check_destination(dest: &Path) -> Result<()> {
    match std::fs::symlink_metadata(dest) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::from(e).context(format!("cannot inspect {}", dest.display()))),
        Ok(meta) if !meta.is_dir() => {
            Err(Error::already_exists(format!("path '{}' already exists and is not a directory", dest.display())))
        }
        Ok(_) => {
            let mut entries = std::fs::read_dir(dest)?;
            if entries.next().is_some() {
                Err(Error::already_exists(format!("path '{}' already exists and is not empty", dest.display())))
            } else {
                Ok(())
            }
        }
    }
}

fn copy_placement(p: &Placement, root: &Path) -> Result<()> {
    if p.dest.is_empty() {
        for entry in std::fs::read_dir(&p.src)? {
            let entry = entry?;
            copy_any(&entry.path(), &root.join(entry.file_name()))?;
        }
        return Ok(());
    }
    let target = root.join(&p.dest);
    if let Some(dir) = target.parent() {
        std::fs::create_dir_all(dir)?;
    }
    copy_any(&p.src, &target)
}

/// Copies a file, or a directory recursively (symlinks followed, as `shutil.copytree` copies content).
fn copy_any(src: &Path, dst: &Path) -> Result<()> {
    let meta = std::fs::metadata(src).map_err(|e| Error::from(e).context(format!("cannot read {}", src.display())))?;
    if meta.is_dir() {
        std::fs::create_dir_all(dst)?;
        for entry in std::fs::read_dir(src)? {
            let entry = entry?;
            copy_any(&entry.path(), &dst.join(entry.file_name()))?;
        }
    } else {
        std::fs::copy(src, dst)
            .map_err(|e| Error::from(e).context(format!("cannot copy {} to {}", src.display(), dst.display())))?;
    }
    Ok(())
}

/// `mlflow.utils.file_utils.get_total_file_size`: the sizes of all files below `dir`.
pub fn total_file_size(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let meta = std::fs::metadata(entry.path())?;
        total += if meta.is_dir() { total_file_size(&entry.path())? } else { meta.len() };
    }
    Ok(total)
}
