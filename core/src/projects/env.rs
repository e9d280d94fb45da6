//! Environment managers: `local` runs in the caller's environment; `virtualenv` and `uv` build a
//! Python virtual environment from the project's `python_env.yaml` with a Python already on this
//! machine, cached under a directory named by a hash of everything that shapes it; `conda` and
//! docker environments are refused with a clear error (no conda or docker support here).

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;

use super::spec::{Project, ProjectEnv};
use crate::error::{Error, Result};
use crate::models::yaml::{self, YamlValue};

/// MLflow's `--env-manager` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvManager {
    Local,
    Virtualenv,
    Uv,
    Conda,
}

impl EnvManager {
    pub fn as_str(self) -> &'static str {
        match self {
            EnvManager::Local => "local",
            EnvManager::Virtualenv => "virtualenv",
            EnvManager::Uv => "uv",
            EnvManager::Conda => "conda",
        }
    }
}

impl fmt::Display for EnvManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EnvManager {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "local" => Ok(EnvManager::Local),
            "virtualenv" => Ok(EnvManager::Virtualenv),
            "uv" => Ok(EnvManager::Uv),
            "conda" => Ok(EnvManager::Conda),
            other => Err(Error::invalid(format!(
                "Invalid value for `env_manager`: {other}. Must be one of ['local', 'virtualenv', 'uv', 'conda']"
            ))),
        }
    }
}

/// `python_env.yaml`: the Python version and the packages to install.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PythonEnv {
    /// `None`: the machine's `python3`.
    pub python: Option<String>,
    pub build_dependencies: Vec<String>,
    pub dependencies: Vec<String>,
}

impl PythonEnv {
    pub fn from_file(path: &Path) -> Result<PythonEnv> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::invalid(format!("cannot read {}: {e}", path.display())))?;
        let what = path.display().to_string();
        let map = yaml::mapping_from_str(&text, &what)?;
        let list = |key: &str| -> Result<Vec<String>> {
            match map.get(key) {
                None | Some(YamlValue::Null) => Ok(Vec::new()),
                Some(YamlValue::Seq(items)) => Ok(items.iter().map(super::params::python_str).collect()),
                Some(other) => Err(Error::invalid(format!("{what}: `{key}` must be a list, not {}", other.kind()))),
            }
        };
        let python = match map.get("python") {
            None | Some(YamlValue::Null) => None,
            Some(YamlValue::Str(s)) => Some(s.clone()),
            Some(other) => {
                return Err(Error::invalid(format!(
                    "{what}: `python` must be a version string such as \"3.11\" (quote it), not {}",
                    other.kind()
                )))
            }
        };
        Ok(PythonEnv { python, build_dependencies: list("build_dependencies")?, dependencies: list("dependencies")? })
    }
}

/// What running inside the chosen environment takes.
#[derive(Debug, Clone, Default)]
pub struct PreparedEnv {
    /// Run before the command with `&&` (`source <venv>/bin/activate`).
    pub activate: Option<String>,
    /// Searched first for the command (the venv's `bin`).
    pub bin_dir: Option<PathBuf>,
    /// The `mlflow.project.env` tag MLflow writes (none for `local`).
    pub env_tag: Option<&'static str>,
}

/// The env manager MLflow picks when none is given, and MLflow's refusals.
pub fn choose_manager(project: &Project, requested: Option<EnvManager>) -> Result<EnvManager> {
    if let ProjectEnv::Docker(docker) = &project.env {
        // MLflow runs docker_env projects in docker whatever the env manager says.
        return Err(Error::invalid(format!(
            "this project declares docker_env (image {}): running projects in docker is not supported by libmlflow \
             on this machine; run it with `mlflow run`, or remove docker_env to run it with --env-manager local",
            docker.image
        )));
    }
    let manager =
        match (requested, &project.env) {
            (Some(EnvManager::Conda), ProjectEnv::Python(_)) => return Err(Error::invalid(
                "python_env project cannot be executed using conda. Set `--env-manager` to 'virtualenv' or 'local' to \
                 execute this project.",
            )),
            (Some(m), _) => m,
            (None, ProjectEnv::Conda(_)) => EnvManager::Conda,
            (None, _) => EnvManager::Virtualenv,
        };
    match (manager, &project.env) {
        (EnvManager::Conda, _) => Err(Error::invalid(
            "the conda environment manager is not supported by libmlflow on this machine (conda_env / conda.yaml \
             projects); run with env_manager 'local' in an environment you prepared, or use `mlflow run`",
        )),
        (EnvManager::Virtualenv | EnvManager::Uv, ProjectEnv::Conda(path)) => Err(Error::invalid(format!(
            "building a {manager} environment from the conda file {} is not supported by libmlflow; add a \
             python_env.yaml to the project or run with env_manager 'local'",
            path.display()
        ))),
        _ => Ok(manager),
    }
}

/// Makes (or finds in the cache) the environment to run in.
pub fn prepare(project: &Project, manager: EnvManager, env_root: &Path) -> Result<PreparedEnv> {
    let python_env = match &project.env {
        ProjectEnv::Python(Some(path)) if manager != EnvManager::Local => PythonEnv::from_file(path)?,
        _ => PythonEnv::default(),
    };
    match manager {
        EnvManager::Local => Ok(PreparedEnv::default()),
        EnvManager::Virtualenv | EnvManager::Uv => {
            let env_dir = virtualenv(&python_env, manager, &project.directory, env_root)?;
            Ok(PreparedEnv {
                activate: Some(format!(
                    "source {}",
                    super::params::shell_quote(&env_dir.join("bin/activate").to_string_lossy())
                )),
                bin_dir: Some(env_dir.join("bin")),
                env_tag: Some(manager.as_str()),
            })
        }
        EnvManager::Conda => Err(Error::invalid("the conda environment manager is not supported by libmlflow")),
    }
}

/// The default cache of environments: `LIBMLFLOW_ENV_ROOT`, else `$XDG_CACHE_HOME/libmlflow/envs`,
/// else `~/.cache/libmlflow/envs`.
pub fn default_env_root() -> PathBuf {
    if let Some(root) = std::env::var_os("LIBMLFLOW_ENV_ROOT").filter(|v| !v.is_empty()) {
        return PathBuf::from(root);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    cache.join("libmlflow/envs")
}

/// Is `program` an executable file on PATH?
pub fn find_on_path(program: &str, extra_first: Option<&Path>) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs = extra_first.map(Path::to_path_buf).into_iter().chain(std::env::split_paths(&path));
    dirs.map(|d| d.join(program)).find(|p| is_executable(p))
}

pub fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// `major.minor.micro` of a Python interpreter.
fn python_version(exe: &Path) -> Option<String> {
    let out = Command::new(exe)
        .args(["-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"])
        .stdin(std::process::Stdio::null())
        .output()
        .ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// A Python on this machine whose version starts with the requested components (`3.11` takes any
/// 3.11.x, `3.11.4` only that release); MLflow would install a missing one with pyenv, we do not.
fn find_python(requested: Option<&str>) -> Result<(PathBuf, String)> {
    let mut candidates: Vec<String> = Vec::new();
    if let Some(v) = requested {
        let parts: Vec<&str> = v.split('.').collect();
        if parts.len() < 2
            || parts.len() > 3
            || parts.iter().any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(Error::invalid(format!(
                "python_env.yaml: python version '{v}' is not a version like 3.11 or 3.11.4"
            )));
        }
        candidates.push(format!("python{}.{}", parts[0], parts[1]));
        candidates.push(format!("python{}", parts[0]));
    }
    candidates.extend(["python3".to_string(), "python".to_string()]);
    let mut seen = Vec::new();
    for name in &candidates {
        let Some(exe) = find_on_path(name, None) else { continue };
        let Some(version) = python_version(&exe) else { continue };
        let matches = match requested {
            None => true,
            Some(r) => version == r || version.starts_with(&format!("{r}.")),
        };
        if matches {
            return Ok((exe, version));
        }
        seen.push(format!("{} is {version}", exe.display()));
    }
    Err(Error::not_found(format!(
        "python_env.yaml asks for Python {}, which is not installed on this machine ({}); install it (or use \
         env_manager 'local' in an environment you prepared)",
        requested.unwrap_or("3"),
        if seen.is_empty() { "no python on PATH".to_string() } else { format!("found: {}", seen.join(", ")) }
    )))
}

/// 128-bit FNV-1a: names cache directories (not a security boundary; the full key is stored in
/// the directory and compared before reuse).
fn fnv1a_128(data: &[u8]) -> u128 {
    let mut hash: u128 = 0x6c62272e07bb014262b821756295c58d;
    for b in data {
        hash ^= *b as u128;
        hash = hash.wrapping_mul(0x0000000001000000000000000000013B);
    }
    hash
}

const KEY_FILE: &str = "libmlflow-env-key.txt";

/// The requirement lines to install, with `-r`/`-c` file references made absolute against the
/// project directory (MLflow resolves them there too).
fn requirement_lines(deps: &[String], project_dir: &Path) -> Vec<String> {
    deps.iter()
        .map(|d| {
            let t = d.trim();
            for flag in ["-r ", "-c ", "--requirement ", "--constraint "] {
                if let Some(file) = t.strip_prefix(flag) {
                    return format!(
                        "{flag}{}",
                        super::params::absolute_against(project_dir, Path::new(file.trim())).display()
                    );
                }
            }
            t.to_string()
        })
        .collect()
}

/// What decides an environment's content: interpreter, manager, packages and the files referenced.
fn env_key(python_exe: &Path, version: &str, manager: EnvManager, build: &[String], deps: &[String]) -> String {
    let mut key = format!("manager={manager}\npython={}\nversion={version}\n", python_exe.display());
    for (section, lines) in [("build", build), ("deps", deps)] {
        for line in lines {
            key.push_str(&format!("{section}: {line}\n"));
            if let Some(file) = line.strip_prefix("-r ").or_else(|| line.strip_prefix("--requirement ")) {
                key.push_str(&std::fs::read_to_string(file.trim()).unwrap_or_default());
                key.push('\n');
            }
        }
    }
    key
}

fn virtualenv(env: &PythonEnv, manager: EnvManager, project_dir: &Path, env_root: &Path) -> Result<PathBuf> {
    let uv = if manager == EnvManager::Uv {
        Some(find_on_path("uv", None).ok_or_else(|| {
            Error::not_found(
                "env_manager 'uv' needs the `uv` program, which is not on PATH; install uv or use 'virtualenv'",
            )
        })?)
    } else {
        None
    };
    let (python_exe, version) = find_python(env.python.as_deref())?;
    let build = requirement_lines(&env.build_dependencies, project_dir);
    let deps = requirement_lines(&env.dependencies, project_dir);
    let key = env_key(&python_exe, &version, manager, &build, &deps);
    let env_dir = env_root.join(format!("mlflow-{:032x}", fnv1a_128(key.as_bytes())));
    std::fs::create_dir_all(env_root)
        .map_err(|e| Error::storage(format!("cannot create the environment cache {}: {e}", env_root.display())))?;
    // One creator at a time per environment: other processes wait on the lock, then reuse.
    let _lock = FileLock::acquire(
        &env_root.join(format!("{}.lock", env_dir.file_name().unwrap_or_default().to_string_lossy())),
    )?;
    let key_path = env_dir.join(KEY_FILE);
    if std::fs::read_to_string(&key_path).ok().as_deref() == Some(key.as_str()) {
        return Ok(env_dir);
    }
    // A leftover of a failed creation (no key file) or a hash collision: start afresh.
    let _ = std::fs::remove_dir_all(&env_dir);
    let created = create_env(&env_dir, &python_exe, uv.as_deref(), &build, &deps, project_dir).and_then(|_| {
        std::fs::write(&key_path, &key).map_err(|e| Error::storage(format!("{}: {e}", key_path.display())))
    });
    if let Err(e) = created {
        let _ = std::fs::remove_dir_all(&env_dir);
        return Err(e);
    }
    Ok(env_dir)
}

fn run_step(mut cmd: Command, what: &str) -> Result<()> {
    let out =
        cmd.stdin(std::process::Stdio::null()).output().map_err(|e| Error::not_found(format!("cannot {what}: {e}")))?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let tail: Vec<&str> = stderr.lines().rev().take(15).collect::<Vec<_>>().into_iter().rev().collect();
    Err(Error::invalid(format!("cannot {what} ({}):\n{}", out.status, tail.join("\n"))))
}

fn create_env(
    env_dir: &Path,
    python: &Path,
    uv: Option<&Path>,
    build: &[String],
    deps: &[String],
    project_dir: &Path,
) -> Result<()> {
    let env_python = env_dir.join("bin/python");
    match uv {
        Some(uv) => {
            let mut cmd = Command::new(uv);
            cmd.arg("venv").arg(env_dir).arg(format!("--python={}", python.display()));
            run_step(cmd, &format!("create a uv environment in {}", env_dir.display()))?;
        }
        None => {
            let mut cmd = Command::new(python);
            cmd.args(["-m", "venv"]).arg(env_dir);
            run_step(cmd, &format!("create a virtualenv in {} with {}", env_dir.display(), python.display()))?;
        }
    }
    for lines in [build, deps] {
        if lines.is_empty() {
            continue;
        }
        let requirements = env_dir.join("libmlflow-requirements.txt");
        std::fs::write(&requirements, lines.join("\n") + "\n")
            .map_err(|e| Error::storage(format!("{}: {e}", requirements.display())))?;
        let mut cmd = match uv {
            Some(uv) => {
                let mut c = Command::new(uv);
                c.args(["pip", "install", "--python"]).arg(&env_python);
                c
            }
            None => {
                let mut c = Command::new(&env_python);
                c.args(["-m", "pip", "install", "--disable-pip-version-check"]);
                c
            }
        };
        cmd.arg("-r").arg(&requirements).current_dir(project_dir);
        run_step(cmd, &format!("install the packages of python_env.yaml ({})", lines.join(", ")))?;
    }
    Ok(())
}

/// An exclusive `flock` on a file, released on drop.
struct FileLock(std::fs::File);

impl FileLock {
    fn acquire(path: &Path) -> Result<FileLock> {
        use std::os::unix::io::AsRawFd;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(|e| Error::storage(format!("cannot open lock file {}: {e}", path.display())))?;
        // SAFETY: flock on a file descriptor we own for the lifetime of `file`.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(Error::storage(format!("cannot lock {}: {}", path.display(), std::io::Error::last_os_error())));
        }
        Ok(FileLock(file))
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        use std::os::unix::io::AsRawFd;
        // SAFETY: as above; closing the file would release it too.
        unsafe { libc::flock(self.0.as_raw_fd(), libc::LOCK_UN) };
    }
}
