//! Python entry points: MLflow's own client inside the entry point logs into the run libmlflow
//! created (read back with MLflow), and the `virtualenv` environment manager builds a venv from
//! python_env.yaml with the machine's Python, reuses it from the cache, and refuses a Python
//! version that is not installed before any run exists.
//!
//! One test: it puts the venv's `bin` first on PATH (the entry point runs `python`), which must
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
    virtualenv_from_python_env_yaml();
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

fn virtualenv_from_python_env_yaml() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("project");
    std::fs::create_dir(&project).unwrap();
    std::fs::write(
        project.join("MLproject"),
        "name: venv-example\nentry_points:\n  main:\n    parameters:\n      out: string\n    command: \"python prefix.py {out}\"\n",
    )
    .unwrap();
    std::fs::write(project.join("prefix.py"), "import sys\nopen(sys.argv[1], 'w').write(sys.prefix)\n").unwrap();
    let env_root = tmp.path().join("envs");
    let out = tmp.path().join("prefix.txt");
    let db = common::TestDb::new();
    let client = db.client();
    let request = ProjectRun {
        uri: project.display().to_string(),
        parameters: vec![("out".into(), out.display().to_string())],
        env_manager: Some(EnvManager::Virtualenv),
        env_root: Some(env_root.clone()),
        ..ProjectRun::default()
    };

    // A Python this machine does not have: refused before a run exists.
    std::fs::write(project.join("python_env.yaml"), "python: \"2.1\"\ndependencies: []\n").unwrap();
    let error = projects::run(&client, &request).unwrap_err();
    assert!(error.to_string().contains("Python 2.1, which is not installed"), "{error}");
    assert!(client.search_runs(&["0".into()], "", Default::default(), 10, &[], None).unwrap().items.is_empty());

    std::fs::write(
        project.join("python_env.yaml"),
        format!("python: \"{}\"\nbuild_dependencies: []\ndependencies: []\n", machine_python_version()),
    )
    .unwrap();
    let started = Instant::now();
    let first = projects::run(&client, &request).unwrap();
    let cold = started.elapsed();
    let prefix = PathBuf::from(std::fs::read_to_string(&out).unwrap());
    assert!(
        prefix.starts_with(&env_root),
        "ran in {} instead of a venv under {}",
        prefix.display(),
        env_root.display()
    );
    let run = client.get_run(first.run_id()).unwrap();
    assert_eq!(run.info.status, RunStatus::Finished);
    assert!(run.data.tags.iter().any(|t| t.key == "mlflow.project.env" && t.value == "virtualenv"));
    assert!(first.command().starts_with("source "), "{}", first.command());

    std::fs::remove_file(&out).unwrap();
    let started = Instant::now();
    projects::run(&client, &request).unwrap();
    let warm = started.elapsed();
    assert_eq!(PathBuf::from(std::fs::read_to_string(&out).unwrap()), prefix, "the cached venv is reused");
    let envs: Vec<_> = std::fs::read_dir(&env_root).unwrap().flatten().filter(|e| e.path().is_dir()).collect();
    assert_eq!(envs.len(), 1);
    eprintln!("virtualenv project: cold {cold:?} (venv created), warm {warm:?} (cached)");
}
