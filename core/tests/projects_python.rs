//! Python entry points: MLflow's own client inside the entry point logs into the run libmlflow
//! created (read back with MLflow), and the `virtualenv` and `uv` environment managers build an
//! environment from python_env.yaml with the machine's Python, install its dependencies, reuse it
//! from the cache, and refuse a Python version that is not installed before any run exists.
//!
//! One test: it puts the venv's `bin` first on PATH (the entry point runs `python`; `uv` is installed
//! there from scripts/requirements-dev.txt) and sets pip's and uv's offline switches, which must
//! happen before other threads read the environment.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use mlflow_core::projects::{self, EnvManager, ProjectRun};
use mlflow_core::RunStatus;

fn machine_python_version() -> String {
    let out = Command::new("python3")
        .args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
        .output()
        .expect("python3 on PATH");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn python_entry_points_and_virtualenvs() {
    let Some(python) = common::venv_python("MLflow's client cannot run inside the entry point") else { return };
    let venv_bin = python.parent().unwrap().to_path_buf();
    let path = std::env::var_os("PATH").unwrap_or_default();
    let joined = std::env::join_paths(std::iter::once(venv_bin.clone()).chain(std::env::split_paths(&path))).unwrap();
    std::env::set_var("PATH", joined);

    let ours = mlflow_client_inside_logs_into_the_run(&python);
    same_as_the_real_mlflow_run(&python, &ours);
    python_env_managers(&python);
}

fn read_with_mlflow(python: &Path, uri: &str) -> Vec<serde_json::Value> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/projects_read.py");
    let out = Command::new(python).arg(script).arg(uri).arg("projects").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/projects/python")
}

/// Runs the Python example with libmlflow and returns the run as MLflow reads it.
fn mlflow_client_inside_logs_into_the_run(python: &Path) -> serde_json::Value {
    let db = common::TestDb::new();
    let client = db.client();
    let project = fixture();
    let started = Instant::now();
    let submitted = projects::run(
        &client,
        &ProjectRun {
            uri: project.display().to_string(),
            parameters: vec![("alpha".into(), "2.0".into())],
            env_manager: Some(EnvManager::Local),
            experiment_name: Some("projects".into()),
            ..ProjectRun::default()
        },
    )
    .unwrap();
    eprintln!("python project run (MLflow client inside): {:?}", started.elapsed());
    client.close(Duration::from_secs(10));
    let runs = read_with_mlflow(python, &db.uri());
    assert_eq!(runs.len(), 1, "start_run() inside resumed the project's run: {runs:?}");
    let run = &runs[0];
    assert_eq!(run["run_id"], submitted.run_id());
    assert_eq!(run["status"], "FINISHED");
    assert_eq!(run["tags"]["trained_in"], submitted.run_id());
    assert_eq!(run["params"], serde_json::json!({"alpha": "2.0", "steps": "3"}));
    assert_eq!(run["metrics"]["loss"], serde_json::json!([[0, 2.0], [1, 1.0], [2, 2.0 / 3.0]]));
    run.clone()
}

/// The real `mlflow run --env-manager local` on the same project records the same run.
fn same_as_the_real_mlflow_run(python: &Path, ours: &serde_json::Value) {
    let db = common::TestDb::new();
    let started = Instant::now();
    let out = Command::new(python.with_file_name("mlflow"))
        .args(["run", &fixture().display().to_string(), "-P", "alpha=2.0", "--env-manager", "local"])
        .args(["--experiment-name", "projects"])
        .env("MLFLOW_TRACKING_URI", db.uri())
        .current_dir(db.dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "mlflow run: {}", String::from_utf8_lossy(&out.stderr));
    eprintln!("real mlflow run of the python example: {:?}", started.elapsed());
    let theirs = read_with_mlflow(python, &db.uri());
    assert_eq!(theirs.len(), 1);
    let comparable = |run: &serde_json::Value| {
        let mut run = run.clone();
        let tags = run["tags"].as_object_mut().unwrap();
        // Each side's own random run name and own run id.
        tags.remove("mlflow.runName");
        tags.remove("trained_in");
        let run = run.as_object_mut().unwrap();
        for own in ["run_id", "experiment_id"] {
            run.remove(own);
        }
        serde_json::Value::Object(run.clone())
    };
    assert_eq!(comparable(ours), comparable(&theirs[0]));
}

/// A wheel with no dependencies of its own (`tinydep`, whose `VALUE` says it came from this wheel),
/// built with the standard library's zipfile so that installing it needs no package index.
fn write_wheel(python: &Path, dir: &Path) -> &'static str {
    const NAME: &str = "tinydep-1.0-py3-none-any.whl";
    let script = r#"
import sys, zipfile
files = {
    "tinydep/__init__.py": "VALUE = 'installed from the project wheel'\n",
    "tinydep-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: tinydep\nVersion: 1.0\n",
    "tinydep-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
record = "".join(f"{name},,\n" for name in files) + "tinydep-1.0.dist-info/RECORD,,\n"
with zipfile.ZipFile(sys.argv[1], "w") as wheel:
    for name, text in files.items():
        wheel.writestr(name, text)
    wheel.writestr("tinydep-1.0.dist-info/RECORD", record)
"#;
    let status = Command::new(python).arg("-c").arg(script).arg(dir.join(NAME)).status().unwrap();
    assert!(status.success());
    NAME
}

/// The `virtualenv` and `uv` managers build an environment from python_env.yaml with the machine's
/// Python, install its dependencies (a wheel shipped in the project, referenced by a relative path as
/// MLflow resolves it: against the project directory), run the entry point inside it, and reuse it.
fn python_env_managers(python: &Path) {
    // Nothing here may reach a package index: pip and uv are told so, and the wheel has no dependencies.
    std::env::set_var("PIP_NO_INDEX", "1");
    std::env::set_var("UV_OFFLINE", "1");
    let tmp = tempfile::tempdir().unwrap();
    std::env::set_var("UV_CACHE_DIR", tmp.path().join("uv-cache"));
    let project = tmp.path().join("project");
    std::fs::create_dir_all(project.join("wheels")).unwrap();
    std::fs::write(
        project.join("MLproject"),
        "name: venv-example\npython_env: python_env.yaml\nentry_points:\n  main:\n    parameters:\n      out: string\n    \
         command: \"python report.py {out}\"\n",
    )
    .unwrap();
    std::fs::write(
        project.join("report.py"),
        "import json, sys, tinydep\njson.dump({'prefix': sys.prefix, 'value': tinydep.VALUE}, open(sys.argv[1], 'w'))\n",
    )
    .unwrap();
    let wheel = write_wheel(python, &project.join("wheels"));
    let env_root = tmp.path().join("envs");
    let out = tmp.path().join("report.json");
    let db = common::TestDb::new();
    let client = db.client();
    let request = |manager| ProjectRun {
        uri: project.display().to_string(),
        parameters: vec![("out".into(), out.display().to_string())],
        env_manager: Some(manager),
        env_root: Some(env_root.clone()),
        ..ProjectRun::default()
    };

    // A Python this machine does not have: refused before a run exists.
    std::fs::write(project.join("python_env.yaml"), "python: \"2.1\"\ndependencies: []\n").unwrap();
    let error = projects::run(&client, &request(EnvManager::Virtualenv)).unwrap_err();
    assert!(error.to_string().contains("Python 2.1, which is not installed"), "{error}");
    assert!(client.search_runs(&["0".into()], "", Default::default(), 10, &[], None).unwrap().items.is_empty());

    // A dependency that cannot be installed: a clear error naming it, no run, no half-built env left.
    std::fs::write(
        project.join("python_env.yaml"),
        format!("python: \"{}\"\ndependencies:\n  - ./wheels/missing-1.0-py3-none-any.whl\n", machine_python_version()),
    )
    .unwrap();
    let error = projects::run(&client, &request(EnvManager::Virtualenv)).unwrap_err().to_string();
    assert!(error.contains("install the packages of python_env.yaml") && error.contains("missing-1.0"), "{error}");
    assert!(client.search_runs(&["0".into()], "", Default::default(), 10, &[], None).unwrap().items.is_empty());
    let leftovers: Vec<_> = std::fs::read_dir(&env_root).unwrap().flatten().filter(|e| e.path().is_dir()).collect();
    assert!(leftovers.is_empty(), "a failed environment is removed: {leftovers:?}");

    let mut prefixes = Vec::new();
    for (manager, build) in [
        // pip is already in a venv: installing it is satisfied without an index.
        (EnvManager::Virtualenv, "build_dependencies:\n  - pip\n"),
        // uv's venvs have no pip, and none is needed.
        (EnvManager::Uv, "build_dependencies: []\n"),
    ] {
        std::fs::write(
            project.join("python_env.yaml"),
            format!("python: \"{}\"\n{build}dependencies:\n  - ./wheels/{wheel}\n", machine_python_version()),
        )
        .unwrap();
        let started = Instant::now();
        let first = projects::run(&client, &request(manager)).unwrap_or_else(|e| panic!("{manager}: {e}"));
        let cold = started.elapsed();
        let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        assert_eq!(report["value"], "installed from the project wheel", "{manager}");
        let prefix = PathBuf::from(report["prefix"].as_str().unwrap());
        assert!(
            prefix.starts_with(&env_root),
            "{manager} ran in {} instead of an env under {}",
            prefix.display(),
            env_root.display()
        );
        let run = client.get_run(first.run_id()).unwrap();
        assert_eq!(run.info.status, RunStatus::Finished);
        assert!(
            run.data.tags.iter().any(|t| t.key == "mlflow.project.env" && t.value == manager.as_str()),
            "{manager}: {:?}",
            run.data.tags
        );
        assert!(first.command().starts_with("source "), "{}", first.command());

        std::fs::remove_file(&out).unwrap();
        let started = Instant::now();
        projects::run(&client, &request(manager)).unwrap();
        let warm = started.elapsed();
        let again: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        assert_eq!(again["prefix"], report["prefix"], "{manager}: the cached env is reused");
        eprintln!("{manager} project: cold {cold:?} (env created, wheel installed), warm {warm:?} (cached)");
        prefixes.push(prefix);
    }
    assert_ne!(prefixes[0], prefixes[1], "virtualenv and uv keep separate environments");
    let envs: Vec<_> = std::fs::read_dir(&env_root).unwrap().flatten().filter(|e| e.path().is_dir()).collect();
    assert_eq!(envs.len(), 2);
}
