//! A model's Python environment files — `requirements.txt`, `conda.yaml`, `python_env.yaml` — as
//! MLflow 3.17.2 writes them (`mlflow/utils/environment.py`), and the requirement list they share.
//!
//! MLflow computes the pins by inspecting the Python interpreter that saves the model
//! (`infer_pip_requirements`). A native program has no interpreter to inspect, so each flavor
//! declares documented default pins (the versions MLflow 3.17.2 was verified with, see the flavor
//! modules) and the caller may replace, extend or re-pin them.

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::models::yaml::{to_pyyaml_string, YamlValue};
use crate::models::MLFLOW_VERSION;

/// `python_version` / `python:` when the caller gives none: the interpreter MLflow 3.17.2's own
/// test environment here ran (3.11.7). MLflow always writes the full `X.Y.Z` of the interpreter
/// that saved the model; env managers (virtualenv, uv) install exactly this version.
pub const DEFAULT_PYTHON_VERSION: &str = "3.11.7";
/// `pip==` build dependency and conda's `pip<=` bound: pip of that same reference environment.
pub const DEFAULT_PIP_VERSION: &str = "23.2.1";
/// `setuptools==` build dependency: setuptools of that same reference environment.
pub const DEFAULT_SETUPTOOLS_VERSION: &str = "65.5.0";

/// The file names MLflow gives the environment files (and writes into `python_function.env`).
pub const REQUIREMENTS_FILE_NAME: &str = "requirements.txt";
pub const CONDA_ENV_FILE_NAME: &str = "conda.yaml";
pub const PYTHON_ENV_FILE_NAME: &str = "python_env.yaml";

/// The requirement MLflow always puts first (`_generate_mlflow_version_pinning`).
pub fn mlflow_requirement() -> String {
    format!("mlflow=={MLFLOW_VERSION}")
}

/// A requirement's distribution name, normalised as pip compares them (lower case, `_`/`.` → `-`):
/// `XGBoost[scikit-learn]>=3` → `xgboost`.
pub fn requirement_name(req: &str) -> String {
    let end = req.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))).unwrap_or(req.len());
    req[..end].to_ascii_lowercase().replace(['_', '.'], "-")
}

/// The version a requirement pins with `==`, if it does (`onnx==1.23.2` → `1.23.2`).
pub fn pinned_version(req: &str) -> Option<&str> {
    let (_, version) = req.split_once("==")?;
    let version = version.split(';').next().unwrap_or("").trim();
    (!version.is_empty() && !version.contains(',')).then_some(version)
}

fn check_requirement(req: &str) -> Result<()> {
    let trimmed = req.trim();
    if trimmed.is_empty() {
        return Err(Error::invalid("a pip requirement must not be empty"));
    }
    if req.contains(['\n', '\r']) {
        return Err(Error::invalid(format!("a pip requirement must be one line, got {req:?}")));
    }
    if trimmed.starts_with("-c") || trimmed.starts_with("--constraint") {
        return Err(Error::invalid(format!(
            "pip constraint files ({req:?}) are not supported: list the pinned requirements themselves"
        )));
    }
    Ok(())
}

/// The final requirement list, MLflow's `_process_pip_requirements` for a native caller:
/// - `pip_requirements` (MLflow's keyword of that name) REPLACES the flavor's defaults, in the
///   caller's order;
/// - `extra_pip_requirements` ADDS to the defaults; an extra naming a package the defaults already
///   pin (`xgboost==3.1.0`) REPLACES that pin in place instead of being added twice;
/// - with neither, the flavor's defaults sorted as strings (MLflow sorts its inferred set);
/// - `mlflow==3.17.2` goes first unless the list already names mlflow; duplicates are dropped.
///
/// Both lists at once is refused, as MLflow refuses it.
pub fn resolve_requirements(
    defaults: &[String],
    pip_requirements: Option<&[String]>,
    extra_pip_requirements: Option<&[String]>,
) -> Result<Vec<String>> {
    let mut reqs: Vec<String> = match (pip_requirements, extra_pip_requirements) {
        (Some(_), Some(_)) => {
            return Err(Error::invalid("only one of `pip_requirements` and `extra_pip_requirements` can be specified"))
        }
        (Some(replace), None) => {
            replace.iter().try_for_each(|r| check_requirement(r))?;
            replace.iter().map(|r| r.trim().to_string()).collect()
        }
        (None, extra) => {
            let mut base: Vec<String> = defaults.to_vec();
            base.sort();
            for req in extra.unwrap_or_default() {
                check_requirement(req)?;
                let req = req.trim().to_string();
                let name = requirement_name(&req);
                match base.iter_mut().find(|d| requirement_name(d) == name) {
                    Some(existing) => *existing = req,
                    None => base.push(req),
                }
            }
            base
        }
    };
    if !reqs.iter().any(|r| requirement_name(r) == "mlflow") {
        reqs.insert(0, mlflow_requirement());
    }
    let mut seen = std::collections::HashSet::new();
    reqs.retain(|r| seen.insert(r.clone()));
    Ok(reqs)
}

/// `requirements.txt`: one requirement per line, no trailing newline (MLflow's `"\n".join`).
pub fn requirements_txt(reqs: &[String]) -> String {
    reqs.join("\n")
}

/// Checks a Python version is a full `X.Y.Z` (what MLflow writes; `3.10` would also be read back by
/// YAML as the float 3.1).
pub fn check_python_version(version: &str) -> Result<()> {
    let parts: Vec<&str> = version.split('.').collect();
    if parts.len() == 3 && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())) {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "python_version must be a full version such as {DEFAULT_PYTHON_VERSION} (MLflow writes the saving \
             interpreter's X.Y.Z), got {version:?}"
        )))
    }
}

/// `conda.yaml` (`_mlflow_conda_env` + `yaml.safe_dump`, sorted keys).
pub fn conda_yaml(python_version: &str, reqs: &[String]) -> String {
    let s = |v: String| YamlValue::Str(v);
    let pip = BTreeMap::from([("pip".to_string(), YamlValue::Seq(reqs.iter().cloned().map(s).collect()))]);
    let doc = BTreeMap::from([
        ("channels".to_string(), YamlValue::Seq(vec![s("conda-forge".into())])),
        (
            "dependencies".to_string(),
            YamlValue::Seq(vec![
                s(format!("python={python_version}")),
                s(format!("pip<={DEFAULT_PIP_VERSION}")),
                YamlValue::Map(pip),
            ]),
        ),
        ("name".to_string(), s("mlflow-env".into())),
    ]);
    to_pyyaml_string(&doc)
}

/// `python_env.yaml` (`_PythonEnv.to_yaml`, `sort_keys=False`): `python`, `build_dependencies`,
/// `dependencies` in that order — written key by key so each keeps PyYAML's quoting.
pub fn python_env_yaml(python_version: &str) -> String {
    let s = |v: String| YamlValue::Str(v);
    let parts = [
        ("python", s(python_version.to_string())),
        (
            "build_dependencies",
            YamlValue::Seq(vec![
                s(format!("pip=={DEFAULT_PIP_VERSION}")),
                s(format!("setuptools=={DEFAULT_SETUPTOOLS_VERSION}")),
                s("wheel".into()),
            ]),
        ),
        ("dependencies", YamlValue::Seq(vec![s(format!("-r {REQUIREMENTS_FILE_NAME}"))])),
    ];
    parts.into_iter().map(|(k, v)| to_pyyaml_string(&BTreeMap::from([(k.to_string(), v)]))).collect()
}
