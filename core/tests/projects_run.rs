//! Running projects end to end with real processes on real sqlite files: the shell example's
//! entry point sees its run, the run is tagged and ended as `mlflow run` does (compared with what
//! the real `mlflow run --env-manager local` records), failures end FAILED, bad input never leaves
//! a run RUNNING, and `cancel` stops the whole process group and ends the run KILLED.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use mlflow_core::projects::{self, EnvManager, ProjectRun};
use mlflow_core::{Client, RunStatus, ViewType};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/projects").join(name)
}

fn request(uri: &Path, entry_point: &str, params: &[(&str, &str)]) -> ProjectRun {
    ProjectRun {
        uri: uri.display().to_string(),
        entry_point: entry_point.into(),
        parameters: params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        env_manager: Some(EnvManager::Local),
        experiment_name: Some("projects".into()),
        ..ProjectRun::default()
    }
}

fn runs(client: &Client) -> Vec<mlflow_core::Run> {
    let Some(exp) = client.get_experiment_by_name("projects").unwrap() else { return Vec::new() };
    client.search_runs(&[exp.experiment_id], "", ViewType::All, 1000, &[], None).unwrap().items
}

fn tags(run: &mlflow_core::Run) -> BTreeMap<String, String> {
    run.data.tags.iter().map(|t| (t.key.clone(), t.value.clone())).collect()
}

fn params(run: &mlflow_core::Run) -> BTreeMap<String, String> {
    run.data.params.iter().map(|p| (p.key.clone(), p.value.clone())).collect()
}

fn report(path: &Path) -> BTreeMap<String, String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())))
        .collect()
}

#[test]
fn shell_entry_point_runs_in_its_run() {
    let db = common::TestDb::new();
    let client = db.client();
    let report_file = db.dir.path().join("report.txt");
    let report_arg = report_file.display().to_string();
    let started = Instant::now();
    let submitted = projects::run(
        &client,
        &request(&fixture("shell"), "main", &[("message", "it's a test"), ("report", &report_arg)]),
    )
    .unwrap();
    let seen = report(&report_file);
    let run = client.get_run(submitted.run_id()).unwrap();
    assert_eq!(run.info.status, RunStatus::Finished);
    assert_eq!(submitted.get_status(), RunStatus::Finished);
    assert_eq!(seen["run_id"], submitted.run_id());
    assert_eq!(seen["tracking_uri"], client.tracking_uri());
    assert_eq!(seen["experiment_id"], run.info.experiment_id);
    assert_eq!(seen["message"], "it's a test");
    assert_eq!(Path::new(&seen["pwd"]).canonicalize().unwrap(), fixture("shell").canonicalize().unwrap());
    let tags = tags(&run);
    assert_eq!(tags["mlflow.source.type"], "PROJECT");
    assert_eq!(tags["mlflow.project.entryPoint"], "main");
    assert_eq!(tags["mlflow.project.backend"], "local");
    assert!(!tags.contains_key("mlflow.project.env"), "MLflow writes no env tag for the local manager");
    let params = params(&run);
    assert_eq!(params["message"], "'it'\"'\"'s a test'", "logged shell-quoted, as MLflow logs it");
    assert_eq!(params["exit_code"], "0");
    eprintln!("shell project run: {:?}", started.elapsed());
}

#[test]
fn failing_entry_point_ends_failed_and_the_synchronous_call_fails() {
    let db = common::TestDb::new();
    let client = db.client();
    let report_arg = db.dir.path().join("r.txt").display().to_string();
    let error =
        projects::run(&client, &request(&fixture("shell"), "main", &[("report", &report_arg), ("exit_code", "3")]))
            .unwrap_err();
    assert!(error.to_string().contains("failed with exit code 3"), "{error}");
    let all = runs(&client);
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].info.status, RunStatus::Failed);

    // A command bash cannot find at run time (hidden behind an assignment): exit 127, FAILED.
    let error = projects::run(&client, &request(&fixture("shell"), "hidden_missing_command", &[])).unwrap_err();
    assert!(error.to_string().contains("exit code 127"), "{error}");
    let statuses: Vec<RunStatus> = runs(&client).iter().map(|r| r.info.status).collect();
    assert_eq!(statuses, vec![RunStatus::Failed, RunStatus::Failed]);
}

#[test]
fn bad_input_never_leaves_a_run_running() {
    let db = common::TestDb::new();
    let client = db.client();
    let empty_dir = db.dir.path().join("empty");
    std::fs::create_dir(&empty_dir).unwrap();
    let bad_yaml = db.dir.path().join("bad_yaml");
    std::fs::create_dir(&bad_yaml).unwrap();
    std::fs::write(bad_yaml.join("MLproject"), "name: x\nentry_points:\n  main:\n    command: \"unclosed\n").unwrap();
    let mut cases: Vec<(&str, ProjectRun, &str)> = vec![
        ("missing MLproject", request(&empty_dir, "main", &[]), "no MLproject file"),
        ("missing directory", request(&db.dir.path().join("nope"), "main", &[]), "neither an existing directory"),
        ("YAML error", request(&bad_yaml, "main", &[]), "line"),
        (
            "missing required parameter",
            request(&fixture("shell"), "main", &[]),
            "No value given for missing parameters: 'report'",
        ),
        (
            "path that does not exist",
            request(&fixture("shell"), "needs_data", &[("data", "/no/such/file")]),
            "no such file or directory",
        ),
        ("unknown entry point", request(&fixture("shell"), "nope", &[]), "Could not find nope among entry points"),
        ("command not found", request(&fixture("shell"), "missing_command", &[]), "command not found"),
    ];
    if projects::env::find_on_path("uv", None).is_none() {
        let req =
            ProjectRun { env_manager: Some(EnvManager::Uv), ..request(&fixture("shell"), "missing_command", &[]) };
        cases.push(("uv without uv", req, "needs the `uv` program"));
    }
    for (what, req, expected) in cases {
        let error = projects::run(&client, &req).expect_err(what);
        assert!(error.to_string().contains(expected), "{what}: {error}");
    }
    let left: Vec<(String, RunStatus)> = runs(&client).iter().map(|r| (r.info.run_id.clone(), r.info.status)).collect();
    assert!(left.is_empty(), "no run may be created for input refused before launch: {left:?}");
}

fn process_alive(pid: i32) -> bool {
    // A zombie is gone for our purpose; /proc tells it apart from a live process.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| s.rsplit(')').next().map(|rest| !rest.trim_start().starts_with('Z')).unwrap_or(false))
        .unwrap_or(false)
}

#[test]
fn submit_then_cancel_kills_the_process_group_and_ends_killed() {
    let db = common::TestDb::new();
    let client = db.client();
    let pid_file = db.dir.path().join("sleep.pid");
    let pid_arg = pid_file.display().to_string();
    let submitted =
        projects::submit(&client, &request(&fixture("shell"), "sleeper", &[("pid_file", &pid_arg)])).unwrap();
    assert_eq!(submitted.get_status(), RunStatus::Running);
    assert_eq!(client.get_run(submitted.run_id()).unwrap().info.status, RunStatus::Running);
    let deadline = Instant::now() + Duration::from_secs(20);
    let sleep_pid: i32 = loop {
        if let Some(pid) = std::fs::read_to_string(&pid_file).ok().and_then(|s| s.trim().parse().ok()) {
            break pid;
        }
        assert!(Instant::now() < deadline, "the entry point did not start");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(process_alive(sleep_pid));
    assert_eq!(submitted.wait_timeout(Duration::from_millis(200)).unwrap(), None, "still running");
    let started = Instant::now();
    assert_eq!(submitted.cancel().unwrap(), RunStatus::Killed);
    assert!(started.elapsed() < Duration::from_secs(9), "SIGTERM was enough: {:?}", started.elapsed());
    assert_eq!(submitted.get_status(), RunStatus::Killed);
    assert_eq!(client.get_run(submitted.run_id()).unwrap().info.status, RunStatus::Killed);
    // The grandchild (`sleep 300` started in the background) went with the group.
    let deadline = Instant::now() + Duration::from_secs(5);
    while process_alive(sleep_pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!process_alive(sleep_pid), "the background sleep {sleep_pid} survived cancel");
    // Cancelling again is harmless.
    assert_eq!(submitted.cancel().unwrap(), RunStatus::Killed);
}

#[test]
fn a_dropped_handle_still_ends_the_run() {
    let db = common::TestDb::new();
    let client = db.client();
    let report_arg = db.dir.path().join("r.txt").display().to_string();
    let run_id = {
        let req = ProjectRun { synchronous: false, ..request(&fixture("shell"), "main", &[("report", &report_arg)]) };
        projects::run(&client, &req).unwrap().run_id().to_string()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while client.get_run(&run_id).unwrap().info.status == RunStatus::Running {
        assert!(Instant::now() < deadline, "the run was never ended");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(client.get_run(&run_id).unwrap().info.status, RunStatus::Finished);
}

/// Reads every run of experiment "projects" in `uri` with MLflow's own client.
fn read_with_mlflow(python: &Path, uri: &str) -> Vec<serde_json::Value> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/projects_read.py");
    let out = Command::new(python).arg(script).arg(uri).arg("projects").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn tags_and_params_match_the_real_mlflow_run() {
    let Some(python) = common::venv_python("the real `mlflow run` cannot be compared") else { return };
    let mlflow = python.with_file_name("mlflow");
    let theirs_db = common::TestDb::new();
    let report_arg = theirs_db.dir.path().join("r.txt").display().to_string();
    let project = fixture("shell");
    let args = [("message", "a b"), ("report", report_arg.as_str()), ("extra", "x y")];
    let started = Instant::now();
    let mut cmd = Command::new(&mlflow);
    cmd.args([
        "run",
        &project.display().to_string(),
        "-e",
        "main",
        "--env-manager",
        "local",
        "--experiment-name",
        "projects",
    ]);
    for (k, v) in args {
        cmd.arg("-P").arg(format!("{k}={v}"));
    }
    let out = cmd.env("MLFLOW_TRACKING_URI", theirs_db.uri()).current_dir(theirs_db.dir.path()).output().unwrap();
    assert!(out.status.success(), "mlflow run failed: {}", String::from_utf8_lossy(&out.stderr));
    eprintln!("real mlflow run: {:?}", started.elapsed());

    let ours_db = common::TestDb::new();
    let client = ours_db.client();
    let ours_report = ours_db.dir.path().join("r.txt").display().to_string();
    let ours_args = [("message", "a b"), ("report", ours_report.as_str()), ("extra", "x y")];
    projects::run(&client, &request(&project, "main", &ours_args)).unwrap();
    client.close(Duration::from_secs(10));

    let theirs = read_with_mlflow(&python, &theirs_db.uri());
    let ours = read_with_mlflow(&python, &ours_db.uri());
    assert_eq!((theirs.len(), ours.len()), (1, 1));
    let (theirs, ours) = (&theirs[0], &ours[0]);
    assert_eq!(ours["status"], theirs["status"]);
    let strip = |v: &serde_json::Value| {
        let mut tags = v["tags"].as_object().unwrap().clone();
        tags.remove("mlflow.runName"); // random adjective-noun-number on both sides
        tags
    };
    assert_eq!(strip(ours), strip(theirs), "tags");
    let mut expected_params = theirs["params"].clone();
    expected_params["report"] = serde_json::Value::from(ours_report.clone());
    assert_eq!(ours["params"], expected_params, "params (report is each side's own file)");
    eprintln!("tags recorded by both: {}", serde_json::to_string(&strip(ours)).unwrap());
    eprintln!("params recorded by both: {}", ours["params"]);
}

#[test]
fn existing_run_and_remote_path_parameter() {
    let db = common::TestDb::new();
    let client = db.client();
    // A `path` parameter given as a URI is downloaded into the storage dir (MLflow: param_<index>),
    // and logged as given.
    let source = client.create_run("0", None, None, Vec::new(), None).unwrap();
    let data = db.dir.path().join("data.txt");
    std::fs::write(&data, "artifact contents\n").unwrap();
    client.log_artifact(&source.info.run_id, &data, Some("inputs"), None).unwrap();
    let uri = format!("runs:/{}/inputs/data.txt", source.info.run_id);
    let storage = db.dir.path().join("storage");
    let req = ProjectRun {
        storage_dir: Some(storage.clone()),
        ..request(&fixture("shell"), "needs_data", &[("data", &uri)])
    };
    let submitted = projects::run(&client, &req).unwrap();
    assert!(submitted.command().starts_with(&format!("cat {}", storage.display())), "{}", submitted.command());
    assert!(submitted.command().contains("/param_0/"), "{}", submitted.command());
    let run = client.get_run(submitted.run_id()).unwrap();
    assert_eq!(params(&run)["data"], uri);

    // run_id: the entry point runs in an existing run; MLflow then adds no source tags or params.
    let existing = client.create_run("0", Some("mine".into()), None, Vec::new(), None).unwrap();
    let report_file = db.dir.path().join("report.txt");
    let report_arg = report_file.display().to_string();
    let req = ProjectRun {
        run_id: Some(existing.info.run_id.clone()),
        experiment_name: None,
        ..request(&fixture("shell"), "main", &[("report", &report_arg)])
    };
    let submitted = projects::run(&client, &req).unwrap();
    assert_eq!(submitted.run_id(), existing.info.run_id);
    assert_eq!(report(&report_file)["run_id"], existing.info.run_id);
    let run = client.get_run(&existing.info.run_id).unwrap();
    assert_eq!(run.info.status, RunStatus::Finished);
    assert!(params(&run).is_empty());
    assert_eq!(tags(&run)["mlflow.project.backend"], "local");
    assert!(!tags(&run).contains_key("mlflow.source.type"));
}
