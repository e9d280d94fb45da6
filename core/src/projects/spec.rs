//! The MLproject file: finding it, parsing it as PyYAML reads it, and checking it, with MLflow's
//! rules for environments (`python_env`, `conda_env`, `docker_env`, and the implicit
//! `python_env.yaml` / `conda.yaml`) and for entry points that are script files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::models::yaml::{self, YamlValue};

/// MLflow looks for this name case-insensitively in the project root.
pub const MLPROJECT_FILE_NAME: &str = "MLproject";
/// Implicit environment files, in MLflow's order of precedence.
pub const DEFAULT_PYTHON_ENV_FILE: &str = "python_env.yaml";
pub const DEFAULT_CONDA_FILE: &str = "conda.yaml";

/// The environment a project declares.
#[derive(Debug, Clone, PartialEq)]
pub enum ProjectEnv {
    /// `python_env` (or an implicit `python_env.yaml`); `None`: no file, the machine's Python.
    Python(Option<PathBuf>),
    /// `conda_env` (or an implicit `conda.yaml`).
    Conda(PathBuf),
    Docker(DockerEnv),
}

#[derive(Debug, Clone, PartialEq)]
pub struct DockerEnv {
    pub image: String,
    pub volumes: Vec<String>,
    /// `"VAR"` copies a variable from the host; `["NAME", "value"]` sets one.
    pub environment: Vec<DockerEnvVar>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DockerEnvVar {
    Copy(String),
    Set(String, String),
}

/// A declared parameter: its type name (MLflow checks only `path` and `uri`; other names,
/// including `float` and `int`, pass values through unchecked) and its default, already in the
/// text form Python's `str()` gives the YAML value. `None`: the parameter is required.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    pub name: String,
    pub type_name: String,
    pub default: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EntryPoint {
    pub name: String,
    /// In the order the MLproject declares them.
    pub parameters: Vec<Parameter>,
    /// The command template (`{name}` placeholders, `{{`/`}}` for literal braces).
    pub command: String,
}

/// A loaded project.
#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    pub directory: PathBuf,
    /// The MLproject file, or None for a directory without one (only script entry points run).
    pub mlproject_path: Option<PathBuf>,
    pub name: Option<String>,
    pub env: ProjectEnv,
    /// In the order the MLproject declares them.
    pub entry_points: Vec<EntryPoint>,
}

impl Project {
    /// The entry point called `name`, or, as MLflow does, a script file in the project taken as
    /// one: `*.py` runs with `python`, `*.sh` with `$SHELL` (else bash), `*.R` with `Rscript`.
    pub fn entry_point(&self, name: &str) -> Result<EntryPoint> {
        if let Some(ep) = self.entry_points.iter().find(|e| e.name == name) {
            return Ok(ep.clone());
        }
        let quoted = super::params::shell_quote(name);
        let command = match Path::new(name).extension().and_then(|e| e.to_str()) {
            Some("py") => format!("python {quoted}"),
            Some("sh") => {
                let shell = std::env::var("SHELL").ok().filter(|s| !s.is_empty()).unwrap_or_else(|| "bash".into());
                format!("{shell} {quoted}")
            }
            Some("R") => format!("Rscript -e \"mlflow::mlflow_source('{quoted}')\" --args"),
            _ => {
                let declared: Vec<String> = self.entry_points.iter().map(|e| format!("'{}'", e.name)).collect();
                let mut message = format!(
                    "Could not find {name} among entry points [{}] or interpret {name} as a runnable script. \
                     Supported script file extensions: ['.py', '.sh']",
                    declared.join(", ")
                );
                if self.mlproject_path.is_none() {
                    message.push_str(&format!(" (there is no MLproject file in {})", self.directory.display()));
                }
                return Err(Error::invalid(message));
            }
        };
        // MLflow finds a missing script only when the command fails; we say so before a run exists.
        if !self.directory.join(name).is_file() {
            let also = match self.mlproject_path {
                None => format!(" and there is no MLproject file in {}", self.directory.display()),
                Some(_) => String::new(),
            };
            return Err(Error::not_found(format!(
                "entry point '{name}' is not declared in the MLproject and no script file {name} exists in {}{also}",
                self.directory.display()
            )));
        }
        Ok(EntryPoint { name: name.to_string(), parameters: Vec::new(), command })
    }
}

/// The MLproject file in `directory` (name matched case-insensitively), if there is one.
pub fn find_mlproject(directory: &Path) -> Result<Option<PathBuf>> {
    let entries = std::fs::read_dir(directory)
        .map_err(|e| Error::not_found(format!("cannot read project directory {}: {e}", directory.display())))?;
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().eq_ignore_ascii_case(MLPROJECT_FILE_NAME) {
            return Ok(Some(entry.path()));
        }
    }
    Ok(None)
}

/// Loads the project in `directory`. A directory without an MLproject file is a project whose
/// only entry points are its script files (MLflow's rule); everything else in the file is checked.
pub fn load_project(directory: &Path) -> Result<Project> {
    if !directory.is_dir() {
        return Err(Error::not_found(format!("project directory {} does not exist", directory.display())));
    }
    let mlproject_path = find_mlproject(directory)?;
    let root = match &mlproject_path {
        None => BTreeMap::new(),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Error::invalid(format!("cannot read {}: {e}", path.display())))?;
            parse_root(&text, path)?
        }
    };
    let order = mlproject_path
        .as_ref()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .map(|t| declared_order(&t))
        .unwrap_or_default();
    build_project(directory, mlproject_path, &root, &order)
}

fn parse_root(text: &str, path: &Path) -> Result<BTreeMap<String, YamlValue>> {
    let what = path.display();
    match yaml::safe_load(text) {
        Err(e) => Err(Error::invalid(format!("invalid YAML in {what}: {e}"))),
        Ok(None) | Ok(Some(YamlValue::Null)) => Ok(BTreeMap::new()),
        Ok(Some(YamlValue::Map(m))) => Ok(m),
        Ok(Some(other)) => Err(Error::invalid(format!(
            "invalid MLproject {what}: the file must be a mapping (name, entry_points, ...), not {}",
            other.kind()
        ))),
    }
}

fn invalid(mlproject: &Option<PathBuf>, message: String) -> Error {
    let file = mlproject.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| MLPROJECT_FILE_NAME.into());
    Error::invalid(format!("Project configuration (MLproject file {file}) was invalid: {message}"))
}

fn build_project(
    directory: &Path,
    mlproject_path: Option<PathBuf>,
    root: &BTreeMap<String, YamlValue>,
    order: &DeclaredOrder,
) -> Result<Project> {
    let bad = |m: String| invalid(&mlproject_path, m);
    let env_keys: Vec<&str> =
        ["python_env", "conda_env", "docker_env"].into_iter().filter(|k| root.contains_key(*k)).collect();
    if env_keys.len() > 1 {
        return Err(bad(format!("Project cannot contain multiple environment fields: {}", env_keys.join(", "))));
    }
    if root.contains_key("databricks_spark_job") {
        return Err(bad("databricks_spark_job projects run only on Databricks".into()));
    }
    let name = match root.get("name") {
        None | Some(YamlValue::Null) => None,
        Some(YamlValue::Str(s)) => Some(s.clone()),
        Some(other) => Some(super::params::python_str(other)),
    };
    let env = project_env(directory, root, &bad)?;
    let mut entry_points = Vec::new();
    match root.get("entry_points") {
        None | Some(YamlValue::Null) => {}
        Some(YamlValue::Map(map)) => {
            let names = ordered_keys(map, order.entry_points.iter().map(|(n, _)| n.as_str()));
            for ep_name in names {
                let params_order = order.entry_points.iter().find(|(n, _)| n == ep_name).map(|(_, p)| p.as_slice());
                entry_points.push(entry_point(ep_name, &map[ep_name], params_order.unwrap_or(&[]), &bad)?);
            }
        }
        Some(other) => {
            return Err(bad(format!("entry_points must be a mapping of names to entry points, not {}", other.kind())))
        }
    }
    Ok(Project { directory: directory.to_path_buf(), mlproject_path, name, env, entry_points })
}

fn project_env(
    directory: &Path,
    root: &BTreeMap<String, YamlValue>,
    bad: &dyn Fn(String) -> Error,
) -> Result<ProjectEnv> {
    // MLflow treats an empty value (null, "") of an env key as absent.
    let present = |k: &str| root.get(k).filter(|v| !matches!(v, YamlValue::Null) && v.as_str() != Some(""));
    if let Some(docker) = present("docker_env") {
        return docker_env(docker, bad).map(ProjectEnv::Docker);
    }
    let env_file = |key: &str, what: &str| -> Result<Option<PathBuf>> {
        match present(key) {
            None => Ok(None),
            Some(YamlValue::Str(rel)) => {
                let path = directory.join(rel);
                if !path.exists() {
                    return Err(Error::not_found(format!(
                        "Project specified {what} file {}, but no such file was found.",
                        path.display()
                    )));
                }
                Ok(Some(path))
            }
            Some(other) => Err(bad(format!("{key} must be the path of a file, not {}", other.kind()))),
        }
    };
    if let Some(path) = env_file("python_env", "python_env")? {
        return Ok(ProjectEnv::Python(Some(path)));
    }
    if let Some(path) = env_file("conda_env", "conda environment")? {
        return Ok(ProjectEnv::Conda(path));
    }
    let implicit_python = directory.join(DEFAULT_PYTHON_ENV_FILE);
    if implicit_python.exists() {
        return Ok(ProjectEnv::Python(Some(implicit_python)));
    }
    let implicit_conda = directory.join(DEFAULT_CONDA_FILE);
    if implicit_conda.exists() {
        return Ok(ProjectEnv::Conda(implicit_conda));
    }
    Ok(ProjectEnv::Python(None))
}

fn docker_env(value: &YamlValue, bad: &dyn Fn(String) -> Error) -> Result<DockerEnv> {
    let map = value.as_map().ok_or_else(|| bad(format!("docker_env must be a mapping, not {}", value.kind())))?;
    let image = match map.get("image") {
        Some(YamlValue::Str(s)) if !s.is_empty() => s.clone(),
        _ => return Err(bad("Docker environment specified but no image attribute found.".into())),
    };
    let volumes = match map.get("volumes") {
        None | Some(YamlValue::Null) => Vec::new(),
        Some(YamlValue::Seq(items)) if items.iter().all(|i| i.as_str().is_some()) => {
            items.iter().filter_map(|i| i.as_str().map(str::to_string)).collect()
        }
        Some(_) => {
            return Err(bad(
                "Docker volumes must be a list of strings, e.g.: '[\"/path1/:/path1\", \"/path2/:/path2\"])".into(),
            ))
        }
    };
    let env_error = || {
        bad("environment must be a list containing either strings (to copy environment variables from host \
             system) or lists of string pairs (to define new environment variables). \
             E.g.: '[[\"NEW_VAR\", \"new_value\"], \"VAR_TO_COPY_FROM_HOST\"])"
            .into())
    };
    let mut environment = Vec::new();
    match map.get("environment") {
        None | Some(YamlValue::Null) => {}
        Some(YamlValue::Seq(items)) => {
            for item in items {
                environment.push(match item {
                    YamlValue::Str(s) => DockerEnvVar::Copy(s.clone()),
                    YamlValue::Seq(pair) if pair.len() == 2 => {
                        DockerEnvVar::Set(super::params::python_str(&pair[0]), super::params::python_str(&pair[1]))
                    }
                    _ => return Err(env_error()),
                });
            }
        }
        Some(_) => return Err(env_error()),
    }
    Ok(DockerEnv { image, volumes, environment })
}

fn entry_point(
    name: &str,
    value: &YamlValue,
    param_order: &[String],
    bad: &dyn Fn(String) -> Error,
) -> Result<EntryPoint> {
    let map = value
        .as_map()
        .ok_or_else(|| bad(format!("entry point '{name}' must be a mapping with a command, not {}", value.kind())))?;
    let command = match map.get("command") {
        Some(YamlValue::Str(s)) => s.clone(),
        None | Some(YamlValue::Null) => return Err(bad(format!("entry point '{name}' has no command"))),
        Some(other) => {
            return Err(bad(format!("the command of entry point '{name}' must be a string, not {}", other.kind())))
        }
    };
    let mut parameters = Vec::new();
    match map.get("parameters") {
        None | Some(YamlValue::Null) => {}
        Some(YamlValue::Map(params)) => {
            for p in ordered_keys(params, param_order.iter().map(String::as_str)) {
                parameters.push(parameter(name, p, &params[p], bad)?);
            }
        }
        Some(other) => {
            return Err(bad(format!("the parameters of entry point '{name}' must be a mapping, not {}", other.kind())))
        }
    }
    Ok(EntryPoint { name: name.to_string(), parameters, command })
}

fn parameter(ep: &str, name: &str, value: &YamlValue, bad: &dyn Fn(String) -> Error) -> Result<Parameter> {
    match value {
        // A bare type name: `alpha: float`, required.
        YamlValue::Str(type_name) => Ok(Parameter { name: name.into(), type_name: type_name.clone(), default: None }),
        YamlValue::Map(spec) => {
            let type_name = match spec.get("type") {
                None => "string".to_string(),
                Some(YamlValue::Str(t)) => t.clone(),
                Some(other) => {
                    return Err(bad(format!(
                        "the type of parameter '{name}' of entry point '{ep}' must be a type name, not {}",
                        other.kind()
                    )))
                }
            };
            // `default: null` (or an empty value) is no default, as in MLflow.
            let default = match spec.get("default") {
                None | Some(YamlValue::Null) => None,
                Some(v) => Some(super::params::python_str(v)),
            };
            Ok(Parameter { name: name.into(), type_name, default })
        }
        other => Err(bad(format!(
            "parameter '{name}' of entry point '{ep}' must be a type name (e.g. `{name}: float`) or a mapping \
             with `type` and `default`, not {}",
            other.kind()
        ))),
    }
}

/// The keys of `map` in declaration order when it is known, else sorted.
fn ordered_keys<'a>(map: &'a BTreeMap<String, YamlValue>, declared: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut keys: Vec<&str> = Vec::new();
    for k in declared {
        if let Some((key, _)) = map.get_key_value(k) {
            if !keys.contains(&key.as_str()) {
                keys.push(key.as_str());
            }
        }
    }
    for k in map.keys() {
        if !keys.contains(&k.as_str()) {
            keys.push(k.as_str());
        }
    }
    keys
}

/// Entry point names and their parameter names in the order the file declares them (PyYAML's
/// dicts keep it; it decides MLflow's message for missing parameters and the download index of
/// `path` parameters). Best effort: a shape this cannot read falls back to sorted order.
#[derive(Debug, Default)]
struct DeclaredOrder {
    entry_points: Vec<(String, Vec<String>)>,
}

fn declared_order(text: &str) -> DeclaredOrder {
    #[derive(serde::Deserialize, Default)]
    struct Root {
        #[serde(default)]
        entry_points: Option<Ordered<EntryPointKeys>>,
    }
    #[derive(serde::Deserialize, Default)]
    struct EntryPointKeys {
        #[serde(default)]
        parameters: Option<Ordered<serde::de::IgnoredAny>>,
    }
    let Ok(root) = yaml::from_str::<Root>(text, "MLproject") else { return DeclaredOrder::default() };
    let entry_points = root
        .entry_points
        .map(|eps| {
            eps.0
                .into_iter()
                .map(|(name, ep)| {
                    (name, ep.parameters.map(|p| p.0.into_iter().map(|(k, _)| k).collect()).unwrap_or_default())
                })
                .collect()
        })
        .unwrap_or_default();
    DeclaredOrder { entry_points }
}

/// A mapping read as a list of pairs, keeping the file's order.
struct Ordered<T>(Vec<(String, T)>);

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Ordered<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct Visit<T>(std::marker::PhantomData<T>);
        impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for Visit<T> {
            type Value = Ordered<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut access: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                let mut pairs = Vec::new();
                while let Some((k, v)) = access.next_entry::<String, T>()? {
                    pairs.push((k, v));
                }
                Ok(Ordered(pairs))
            }
        }
        deserializer.deserialize_map(Visit(std::marker::PhantomData))
    }
}
