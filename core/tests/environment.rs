//! MLflow's client environment variables and process exit. Each scenario runs in a child
//! process, because the environment and exit handlers are process-wide.

mod common;

use std::process::Command;

use common::{TestDb, FLUSH};
use mlflow_core::*;

/// Runs the named child scenario of this test binary with extra environment variables.
fn run_child(scenario: &str, envs: &[(&str, String)]) -> std::process::Output {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", "child_scenario", "--nocapture", "--test-threads=1"]).env("MLFLOW_TEST_SCENARIO", scenario);
    for var in ["MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_EXPERIMENT_ID", "MLFLOW_RUN_ID"] {
        cmd.env_remove(var);
    }
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "child scenario {scenario} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The child side: does what MLFLOW_TEST_SCENARIO says and prints `RUN_ID=<id>`. Returns at
/// once when not started as a child.
#[test]
fn child_scenario() {
    let Ok(scenario) = std::env::var("MLFLOW_TEST_SCENARIO") else { return };
    let client = Client::from_env().unwrap();
    let run = client.start_run(StartRun::default()).unwrap();
    println!("RUN_ID={}", run.run_id());
    match scenario.as_str() {
        "log_and_exit_without_closing" => {
            for i in 0..10_000 {
                run.log_metric("m", i as f64, Some(i), i).unwrap();
            }
            run.log_param("p", "v").unwrap();
            // No flush, no end, no close: the exit handler must write it all and end the run.
            std::process::exit(0);
        }
        "just_start" => {
            run.end(RunStatus::Finished).unwrap();
        }
        other => panic!("unknown scenario {other}"),
    }
}

fn run_id_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.split_once("RUN_ID=").map(|(_, id)| id.chars().take(32).collect()))
        .expect("child printed its run id")
}

#[test]
fn normal_exit_flushes_and_ends_open_runs() {
    let db = TestDb::new();
    let out = run_child("log_and_exit_without_closing", &[("MLFLOW_TRACKING_URI", db.uri())]);
    let run_id = run_id_of(&out);
    let client = db.client();
    let run = client.get_run(&run_id).unwrap();
    assert_eq!(run.info.status, RunStatus::Finished);
    assert!(run.info.end_time.is_some());
    assert_eq!(run.data.param("p"), Some("v"));
    assert_eq!(client.get_metric_history(&run_id, "m", None, None).unwrap().items.len(), 10_000);
}

#[test]
fn tracking_uri_and_experiment_variables() {
    let db = TestDb::new();
    // MLFLOW_EXPERIMENT_NAME: created when missing, reused after.
    let out =
        run_child("just_start", &[("MLFLOW_TRACKING_URI", db.uri()), ("MLFLOW_EXPERIMENT_NAME", "from-env".into())]);
    let client = db.client();
    let exp =
        client.get_experiment_by_name("from-env").unwrap().expect("experiment created from MLFLOW_EXPERIMENT_NAME");
    assert_eq!(client.get_run(&run_id_of(&out)).unwrap().info.experiment_id, exp.experiment_id);
    let out =
        run_child("just_start", &[("MLFLOW_TRACKING_URI", db.uri()), ("MLFLOW_EXPERIMENT_NAME", "from-env".into())]);
    assert_eq!(client.get_run(&run_id_of(&out)).unwrap().info.experiment_id, exp.experiment_id);
    // MLFLOW_EXPERIMENT_ID.
    let other = client.create_experiment("by-id", None, &[]).unwrap();
    let out = run_child("just_start", &[("MLFLOW_TRACKING_URI", db.uri()), ("MLFLOW_EXPERIMENT_ID", other.clone())]);
    assert_eq!(client.get_run(&run_id_of(&out)).unwrap().info.experiment_id, other);
    // Nothing set: the Default experiment.
    let out = run_child("just_start", &[("MLFLOW_TRACKING_URI", db.uri())]);
    assert_eq!(client.get_run(&run_id_of(&out)).unwrap().info.experiment_id, "0");
}

#[test]
fn run_id_variable_resumes_that_run() {
    let db = TestDb::new();
    let client = db.client();
    let run = client.start_run(StartRun::default()).unwrap();
    run.end(RunStatus::Failed).unwrap();
    let out = run_child("just_start", &[("MLFLOW_TRACKING_URI", db.uri()), ("MLFLOW_RUN_ID", run.run_id().into())]);
    assert_eq!(run_id_of(&out), run.run_id());
    assert_eq!(client.get_run(run.run_id()).unwrap().info.status, RunStatus::Finished);
    client.close(FLUSH);
}

#[test]
fn default_tracking_uri_is_mlflow_db_in_the_working_directory() {
    let db = TestDb::new();
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_scenario", "--nocapture", "--test-threads=1"])
        .env("MLFLOW_TEST_SCENARIO", "just_start")
        .env_remove("MLFLOW_TRACKING_URI")
        .env_remove("MLFLOW_EXPERIMENT_NAME")
        .env_remove("MLFLOW_EXPERIMENT_ID")
        .env_remove("MLFLOW_RUN_ID")
        .current_dir(db.dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(db.dir.path().join("mlflow.db").exists());
    let run = db.client().get_run(&run_id_of(&out)).unwrap();
    // Artifacts default to ./mlruns of the working directory, absolute.
    let root = std::fs::canonicalize(db.dir.path()).unwrap().join("mlruns");
    assert!(run.info.artifact_uri.starts_with(&root.display().to_string()), "{}", run.info.artifact_uri);
}
