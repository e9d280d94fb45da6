//! The JSON entry point answers in MLflow's REST shapes and keeps MLflow's error codes.

mod common;

use common::TestDb;
use mlflow_core::json_api::call;
use mlflow_core::ErrorKind;
use serde_json::{json, Value};

fn ok(c: &mlflow_core::Client, method: &str, body: Value) -> Value {
    serde_json::from_str(&call(c, method, &body.to_string()).unwrap_or_else(|e| panic!("{method}: {e}"))).unwrap()
}

#[test]
fn rest_shaped_round_trip() {
    let db = TestDb::new();
    let c = db.client();
    let exp = ok(&c, "experiments/create", json!({"name": "j", "tags": [{"key": "k", "value": "v"}]}));
    let exp_id = exp["experiment_id"].as_str().unwrap().to_string();
    assert_eq!(ok(&c, "experiments/get", json!({"experiment_id": exp_id}))["experiment"]["tags"][0]["key"], "k");
    assert_eq!(
        ok(&c, "experiments/get-by-name", json!({"experiment_name": "j"}))["experiment"]["experiment_id"],
        exp_id
    );
    let run = ok(&c, "runs/create", json!({"experiment_id": exp_id, "run_name": "r", "start_time": 1700000000000i64}));
    let run_id = run["run"]["info"]["run_id"].as_str().unwrap().to_string();
    assert_eq!(run["run"]["info"]["run_uuid"], run_id);
    assert_eq!(run["run"]["info"]["status"], "RUNNING");
    assert_eq!(run["run"]["inputs"], json!({}));
    ok(&c, "runs/log-metric", json!({"run_id": run_id, "key": "m", "value": "NaN", "timestamp": 5, "step": 1}));
    ok(&c, "runs/log-metric", json!({"run_uuid": run_id, "key": "m2", "value": 2.5, "timestamp": "6"}));
    ok(&c, "runs/log-parameter", json!({"run_id": run_id, "key": "p", "value": "a"}));
    ok(&c, "runs/set-tag", json!({"run_id": run_id, "key": "t", "value": "x"}));
    ok(
        &c,
        "runs/log-batch",
        json!({"run_id": run_id, "metrics": [{"key": "b", "value": 1, "timestamp": 7, "step": 2}],
        "params": [{"key": "q", "value": "1"}], "tags": [{"key": "u", "value": "2"}]}),
    );
    let got = ok(&c, "runs/get", json!({"run_id": run_id}));
    let metrics = got["run"]["data"]["metrics"].as_array().unwrap();
    let m = metrics.iter().find(|m| m["key"] == "m").unwrap();
    assert_eq!(m["value"], "NaN");
    assert_eq!(m["step"], 1);
    let history = ok(&c, "metrics/get-history", json!({"run_id": run_id, "metric_key": "m2", "max_results": 1}));
    assert_eq!(history["metrics"][0]["value"], 2.5);
    assert!(history.get("next_page_token").is_none());
    let updated = ok(&c, "runs/update", json!({"run_id": run_id, "status": "FINISHED", "end_time": 1700000009999i64}));
    assert_eq!(updated["run_info"]["status"], "FINISHED");
    assert_eq!(updated["run_info"]["end_time"], 1700000009999i64);
    let found = ok(&c, "runs/search", json!({"experiment_ids": [exp_id], "max_results": 10}));
    assert_eq!(found["runs"].as_array().unwrap().len(), 1);
    let exps = ok(&c, "experiments/search", json!({"max_results": 10}));
    assert_eq!(exps["experiments"].as_array().unwrap().len(), 2);
    ok(&c, "runs/delete", json!({"run_id": run_id}));
    assert_eq!(ok(&c, "runs/get", json!({"run_id": run_id}))["run"]["info"]["lifecycle_stage"], "deleted");
    ok(&c, "runs/restore", json!({"run_id": run_id}));
    ok(&c, "runs/delete-tag", json!({"run_id": run_id, "key": "t"}));
    ok(&c, "experiments/update", json!({"experiment_id": exp_id, "new_name": "j2"}));
    ok(&c, "experiments/set-experiment-tag", json!({"experiment_id": exp_id, "key": "a", "value": "b"}));
    ok(&c, "experiments/delete-experiment-tag", json!({"experiment_id": exp_id, "key": "a"}));
    ok(&c, "experiments/delete", json!({"experiment_id": exp_id}));
    ok(&c, "experiments/restore", json!({"experiment_id": exp_id}));
}

#[test]
fn errors_keep_mlflow_codes() {
    let db = TestDb::new();
    let c = db.client();
    let e = call(&c, "experiments/get", r#"{"experiment_id": "999"}"#).unwrap_err();
    assert_eq!((e.kind(), e.mlflow_code()), (ErrorKind::NotFound, "RESOURCE_DOES_NOT_EXIST"));
    let e = call(&c, "experiments/get-by-name", r#"{"experiment_name": "nope"}"#).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    let e = call(&c, "experiments/create", r#"{}"#).unwrap_err();
    assert_eq!(e.mlflow_code(), "INVALID_PARAMETER_VALUE");
    assert!(e.message().contains("'name'"), "{e}");
    assert_eq!(call(&c, "no/such-method", "{}").unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert_eq!(call(&c, "runs/get", "[1,2]").unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert_eq!(call(&c, "runs/get", "{not json").unwrap_err().kind(), ErrorKind::InvalidArgument);
    let e = call(&c, "runs/log-metric", r#"{"run_id": "abc", "key": "m", "value": true, "timestamp": 1}"#).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
}

/// MLflow 3.17.2's REST answers carry `workspace` on experiments and `outputs` on runs from
/// get and search (not from create); `mlflow server` over the same file answers so, found by the
/// interop tests (tests/interop).
#[test]
fn experiment_workspace_and_run_outputs_as_mlflow_answers() {
    let db = TestDb::new();
    let c = db.client();
    let exp = ok(&c, "experiments/create", json!({"name": "shapes"}));
    let exp_id = exp["experiment_id"].as_str().unwrap().to_string();
    assert_eq!(ok(&c, "experiments/get", json!({"experiment_id": exp_id}))["experiment"]["workspace"], "default");
    assert_eq!(ok(&c, "experiments/get", json!({"experiment_id": "0"}))["experiment"]["workspace"], "default");
    let found = ok(&c, "experiments/search", json!({"max_results": 10}));
    assert!(found["experiments"].as_array().unwrap().iter().all(|e| e["workspace"] == "default"));

    let created = ok(&c, "runs/create", json!({"experiment_id": exp_id, "start_time": 1700000000000i64}));
    assert!(created["run"].get("outputs").is_none(), "{created}");
    let run_id = created["run"]["info"]["run_id"].as_str().unwrap().to_string();
    assert_eq!(ok(&c, "runs/get", json!({"run_id": run_id}))["run"]["outputs"], json!({}));
    let searched = ok(&c, "runs/search", json!({"experiment_ids": [exp_id]}));
    assert_eq!(searched["runs"][0]["outputs"], json!({}));
    assert_eq!(searched["runs"][0]["inputs"], json!({}));
}
