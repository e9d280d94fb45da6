//! The delivery of a spool over real sockets, against a scripted HTTP server playing the parts of
//! MLflow's API that matter (see rest_support): a refused entry is isolated and reported while the
//! rest of its batch arrives; a `runs/create` whose answer was lost is found, not made twice;
//! `Retry-After` is honoured; a batch that keeps failing is set aside after the retry budget and
//! does not block what follows. End-to-end behaviour against a real `mlflow server` is tested in
//! tests/interop (test_rest_*.py).

mod rest_support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mlflow_core::*;
use rest_support::{Recorded, Reply, TestServer};
use serde_json::{json, Value};

/// Environment variables are process-wide: tests that set them take this lock.
static ENV: Mutex<()> = Mutex::new(());

fn open(server: &TestServer, spool: &std::path::Path) -> Client {
    Client::open(ClientOptions {
        tracking_uri: Some(server.uri()),
        spool_dir: Some(spool.to_path_buf()),
        offline: Some(false),
        ..ClientOptions::default()
    })
    .unwrap()
}

fn endpoint(r: &Recorded) -> &str {
    r.path.trim_start_matches("/api/2.0/mlflow/")
}

fn log_batch_entries(requests: &[Recorded], field: &str) -> Vec<Value> {
    requests
        .iter()
        .filter(|r| endpoint(r) == "runs/log-batch")
        .flat_map(|r| r.json()[field].as_array().cloned().unwrap_or_default())
        .collect()
}

#[test]
fn a_refused_entry_is_isolated_and_reported_and_the_rest_of_its_batch_arrives() {
    let _env = ENV.lock().unwrap();
    // MLflow refuses a whole log-batch when one param conflicts; this server does the same for "bad".
    let accepted = Arc::new(Mutex::new(Vec::<Value>::new()));
    let seen = accepted.clone();
    let server = TestServer::start(move |_, r| {
        let body = r.json();
        if endpoint(r) == "runs/log-batch" {
            let params = body["params"].as_array().cloned().unwrap_or_default();
            if params.iter().any(|p| p["key"] == "bad") {
                return Reply::error(400, "INVALID_PARAMETER_VALUE", "Changing param values is not allowed.");
            }
            seen.lock().unwrap().extend(body["metrics"].as_array().cloned().unwrap_or_default());
        }
        Reply::json(200, json!({}))
    });
    let dir = tempfile::tempdir().unwrap();
    let client = open(&server, dir.path());
    let run_id = "0123456789abcdef0123456789abcdef";
    let metrics: Vec<Metric> =
        (0..500).map(|s| Metric { key: "loss".into(), value: s as f64, timestamp: 7, step: s }).collect();
    let params = vec![Param { key: "good".into(), value: "1".into() }, Param { key: "bad".into(), value: "2".into() }];
    client.log_batch(run_id, &metrics, &params, &[]).unwrap();
    let err = client.flush(Duration::from_secs(30)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WriteFailed);
    assert!(err.message().contains("param 'bad'") && err.message().contains("Changing param values"), "{err}");
    let mut steps: Vec<i64> = accepted.lock().unwrap().iter().map(|m| m["step"].as_i64().unwrap()).collect();
    steps.sort_unstable();
    steps.dedup();
    assert_eq!(steps, (0..500).collect::<Vec<_>>(), "every metric of the refused batch arrived");
    // Bisection, not a retry loop: about 2·log2(502) requests, far below one per entry.
    let batches = server.requests().iter().filter(|r| endpoint(r) == "runs/log-batch").count();
    assert!(batches <= 2 * 10 + 2, "{batches} requests");
    let report = client.close(Duration::from_secs(5));
    assert_eq!(report.unsent, 0);
}

#[test]
fn a_create_whose_answer_was_lost_is_found_by_its_client_id_not_made_twice() {
    let _env = ENV.lock().unwrap();
    let created: Arc<Mutex<Vec<Value>>> = Arc::new(Mutex::new(Vec::new()));
    let runs = created.clone();
    let server = TestServer::start(move |_, r| {
        let body = r.json();
        match endpoint(r) {
            "runs/create" => {
                runs.lock().unwrap().push(body["tags"].clone());
                // The server created it, but the answer never reaches the client.
                Reply::Reset
            }
            "runs/search" => {
                let filter = body["filter"].as_str().unwrap_or_default().to_string();
                let found = runs.lock().unwrap().iter().any(|tags| {
                    tags.as_array()
                        .unwrap()
                        .iter()
                        .any(|t| t["key"] == "libmlflow.client_run_id" && filter.contains(t["value"].as_str().unwrap()))
                });
                if found {
                    Reply::json(200, json!({"runs": [{"info": {"run_id": "feedfacefeedfacefeedfacefeedface"}}]}))
                } else {
                    Reply::json(200, json!({}))
                }
            }
            _ => Reply::json(200, json!({})),
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let client = open(&server, dir.path());
    let run = client.start_run(StartRun { experiment_id: Some("0".into()), ..Default::default() }).unwrap();
    run.log_metric("loss", 1.0, Some(5), 0).unwrap();
    client.flush(Duration::from_secs(30)).unwrap();
    assert_eq!(created.lock().unwrap().len(), 1, "runs/create reached the server exactly once");
    assert_eq!(client.server_run_id(run.run_id()).unwrap().as_deref(), Some("feedfacefeedfacefeedfacefeedface"));
    let requests = server.requests();
    let batch = requests.iter().find(|r| endpoint(r) == "runs/log-batch").expect("the metric was sent");
    assert_eq!(batch.json()["run_id"], "feedfacefeedfacefeedfacefeedface", "sent under the server's id");
    client.close(Duration::from_secs(5));
}

#[test]
fn retry_after_is_honoured_by_the_delivery() {
    let _env = ENV.lock().unwrap();
    let first = Arc::new(AtomicUsize::new(0));
    let n = first.clone();
    let server = TestServer::start(move |_, r| {
        if endpoint(r) == "runs/log-batch" && n.fetch_add(1, Ordering::SeqCst) == 0 {
            return Reply::error(429, "REQUEST_LIMIT_EXCEEDED", "slow down").with_header("Retry-After", "1");
        }
        Reply::json(200, json!({}))
    });
    let dir = tempfile::tempdir().unwrap();
    let client = open(&server, dir.path());
    let started = Instant::now();
    client.log_metric("0123456789abcdef0123456789abcdef", "m", 1.0, Some(1), 0).unwrap();
    client.flush(Duration::from_secs(30)).unwrap();
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(950), "{waited:?}");
    let requests = server.requests();
    let times: Vec<Instant> = requests.iter().filter(|r| endpoint(r) == "runs/log-batch").map(|r| r.at).collect();
    assert_eq!(times.len(), 2);
    assert!(times[1] - times[0] >= Duration::from_millis(950));
    client.close(Duration::from_secs(5));
}

#[test]
fn a_batch_failing_past_the_retry_budget_is_set_aside_and_does_not_block_the_next() {
    let _env = ENV.lock().unwrap();
    std::env::set_var("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1");
    let server = TestServer::start(move |_, r| {
        let body = r.json();
        if endpoint(r) == "runs/log-batch" && body["run_id"] == "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" {
            return Reply::error(500, "INTERNAL_ERROR", "this run's data breaks the server");
        }
        Reply::json(200, json!({}))
    });
    let dir = tempfile::tempdir().unwrap();
    let client = open(&server, dir.path());
    std::env::remove_var("MLFLOW_HTTP_REQUEST_MAX_RETRIES");
    client.log_metric("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "m", 1.0, Some(1), 0).unwrap();
    client.flush(Duration::from_secs(10)).unwrap_err();
    client.log_metric("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "m", 2.0, Some(1), 0).unwrap();
    client.flush(Duration::from_secs(10)).unwrap();
    let poisoned = server
        .requests()
        .iter()
        .filter(|r| endpoint(r) == "runs/log-batch" && r.json()["run_id"] == "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
        .count();
    assert_eq!(poisoned, 2, "the first attempt and one retry");
    assert_eq!(log_batch_entries(&server.requests(), "metrics").iter().filter(|m| m["value"] == 2.0).count(), 1);
    let spool = client.spool_path().unwrap();
    let report = client.close(Duration::from_secs(5));
    assert_eq!(report.unsent, 0);
    let aside = mlflow_core::spool::SpoolFile::open(&spool).unwrap().set_aside_records().unwrap();
    assert_eq!(aside.len(), 1);
    assert!(aside[0].error.contains("this run's data breaks the server"), "{aside:?}");
}

#[test]
fn a_server_answering_html_keeps_the_records_instead_of_setting_them_aside() {
    let _env = ENV.lock().unwrap();
    let server = TestServer::always(|| Reply::text(200, "text/html", "<html><body>Welcome to nginx!</body></html>"));
    let dir = tempfile::tempdir().unwrap();
    let client = open(&server, dir.path());
    client.log_metric("0123456789abcdef0123456789abcdef", "m", 1.0, Some(1), 0).unwrap();
    let err = client.flush(Duration::from_secs(3)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    let report = client.close(Duration::from_millis(500));
    assert_eq!(report.unsent, 1, "kept in the spool for a server that answers MLflow");
    assert_eq!(report.failed, 0);
}
