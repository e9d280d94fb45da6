//! Which runs a client ends by itself at close: the ones it started and nobody ended. A run
//! ended or deleted explicitly — by handle, by id or through the JSON API — keeps what it was given,
//! and a run created through the JSON API (MlflowClient.create_run) is never ended implicitly.

mod common;

use std::time::Duration;

use common::TestDb;
use mlflow_core::*;

#[test]
fn a_run_ended_through_update_run_keeps_its_status_at_close() {
    let db = TestDb::new();
    let c = db.client();
    let run = c.start_run(StartRun::default()).unwrap();
    let id = run.run_id().to_string();
    c.update_run(&id, Some(RunStatus::Failed), Some(1234), None).unwrap();
    assert!(c.close(Duration::from_secs(10)).is_clean());
    let reread = db.client().get_run(&id).unwrap();
    assert_eq!((reread.info.status, reread.info.end_time), (RunStatus::Failed, Some(1234)));
}

#[test]
fn a_run_ended_through_the_json_api_keeps_its_status_at_close() {
    let db = TestDb::new();
    let c = db.client();
    let created: serde_json::Value =
        serde_json::from_str(&json_api::call(&c, "runs/create", r#"{"experiment_id": "0"}"#).unwrap()).unwrap();
    let id = created["run"]["info"]["run_id"].as_str().unwrap().to_string();
    json_api::call(&c, "runs/update", &format!(r#"{{"run_id": "{id}", "status": "KILLED"}}"#)).unwrap();
    assert!(c.close(Duration::from_secs(10)).is_clean());
    assert_eq!(db.client().get_run(&id).unwrap().info.status, RunStatus::Killed);
}

#[test]
fn a_started_run_left_open_is_finished_at_close() {
    let db = TestDb::new();
    let c = db.client();
    let id = c.start_run(StartRun::default()).unwrap().run_id().to_string();
    assert!(c.close(Duration::from_secs(10)).is_clean());
    let info = db.client().get_run(&id).unwrap().info;
    assert_eq!(info.status, RunStatus::Finished);
    assert!(info.end_time.is_some());
}

#[test]
fn runs_created_through_the_json_api_are_mlflow_client_runs() {
    let db = TestDb::new();
    let c = db.client();
    let call = |method: &str, body: &str| -> serde_json::Value {
        serde_json::from_str(&json_api::call(&c, method, body).unwrap()).unwrap()
    };
    // MlflowClient.create_run: exactly the given tags (plus mlflow.runName), user from the tag.
    let tagged = call(
        "runs/create",
        r#"{"experiment_id": "0", "run_name": "r", "tags": [{"key": "mlflow.user", "value": "alice"}]}"#,
    );
    let tagged_id = tagged["run"]["info"]["run_id"].as_str().unwrap().to_string();
    assert_eq!(tagged["run"]["info"]["user_id"], "alice");
    let keys: Vec<&str> =
        tagged["run"]["data"]["tags"].as_array().unwrap().iter().map(|t| t["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["mlflow.runName", "mlflow.user"]);
    let given = call("runs/create", r#"{"experiment_id": "0", "user_id": "bob"}"#);
    assert_eq!(given["run"]["info"]["user_id"], "bob");
    let plain = call("runs/create", r#"{"experiment_id": "0"}"#);
    assert_eq!(plain["run"]["info"]["user_id"], "unknown");
    // Not this client's to end: it stays RUNNING after close, as with MLflow's client.
    assert!(c.close(Duration::from_secs(10)).is_clean());
    assert_eq!(db.client().get_run(&tagged_id).unwrap().info.status, RunStatus::Running);
}
