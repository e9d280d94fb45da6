//! The REST transport over real sockets: a scripted HTTP/1.1 server on 127.0.0.1 (tests/rest_support)
//! answers, the real `RestStore` (ureq, keep-alive pool, retry policy, auth, error mapping) asks.

mod rest_support;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use mlflow_core::store::rest::{ApiRequest, Credentials, FailureClass, HttpConfig, RestStore, RetryPolicy};
use mlflow_core::store::{CreateRun, TrackingStore};
use mlflow_core::*;
use rest_support::{Reply, TestServer};
use serde_json::json;

/// Serializes the one test that changes the process environment against any other reader.
static ENV_LOCK: Mutex<()> = Mutex::new(());

/// A scripted answer maker.
type ReplyFn = dyn Fn() -> Reply + Send + Sync;

/// Fast, deterministic retries: no jitter, tiny backoff, short timeout.
fn quick(max_retries: u32) -> HttpConfig {
    HttpConfig {
        retry: RetryPolicy { max_retries, backoff_factor: 0.05, backoff_jitter: 0.0, respect_retry_after: true },
        timeout: Duration::from_secs(5),
        ..HttpConfig::default()
    }
}

fn store(server: &TestServer, config: HttpConfig) -> RestStore {
    RestStore::with_config(&server.uri(), config).unwrap()
}

fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    move |name: &str| map.get(name).cloned()
}

fn experiment_json(id: &str, name: &str) -> serde_json::Value {
    json!({
        "experiment_id": id, "name": name, "artifact_location": format!("mlflow-artifacts:/{id}"),
        "lifecycle_stage": "active", "last_update_time": 1700000000000i64, "creation_time": 1700000000000i64,
        "workspace": "default"
    })
}

fn run_info_json(run_id: &str) -> serde_json::Value {
    json!({
        "run_uuid": run_id, "experiment_id": "1", "run_name": "r1", "user_id": "alice", "status": "RUNNING",
        "start_time": 1700000000000i64, "artifact_uri": format!("mlflow-artifacts:/1/{run_id}/artifacts"),
        "lifecycle_stage": "active", "run_id": run_id
    })
}

#[test]
fn retries_500_and_503_then_succeeds() {
    let server = TestServer::start(|n, _| match n {
        0 => Reply::error(500, "INTERNAL_ERROR", "boom"),
        1 => Reply::text(503, "text/plain", "busy"),
        _ => Reply::json(200, json!({ "experiment_id": "7" })),
    });
    let s = store(&server, quick(3));
    let id = s.create_experiment("e", None, &[]).unwrap();
    assert_eq!(id, "7");
    assert_eq!(server.request_count(), 3, "two failures then the success");
    let bodies: Vec<_> = server.requests().iter().map(|r| r.json()).collect();
    assert!(bodies.iter().all(|b| b == &bodies[0]), "every retry resends the same body");
}

#[test]
fn retry_after_is_honoured() {
    let server = TestServer::start(|n, _| match n {
        0 => Reply::error(429, "REQUEST_LIMIT_EXCEEDED", "slow down").with_header("Retry-After", "1"),
        _ => Reply::json(200, json!({})),
    });
    let mut config = quick(2);
    config.retry.backoff_factor = 0.0;
    let s = store(&server, config);
    s.delete_run("abc").unwrap();
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    let gap = reqs[1].at - reqs[0].at;
    assert!(gap >= Duration::from_millis(950), "waited only {gap:?}");
    assert!(gap < Duration::from_secs(5), "waited {gap:?}");

    // With MLFLOW_HTTP_RESPECT_RETRY_AFTER_HEADER=false the backoff (first retry: 0 s) applies.
    let server = TestServer::start(|n, _| match n {
        0 => Reply::error(429, "REQUEST_LIMIT_EXCEEDED", "slow down").with_header("Retry-After", "3"),
        _ => Reply::json(200, json!({})),
    });
    let mut config = quick(2);
    config.retry.respect_retry_after = false;
    let started = Instant::now();
    store(&server, config).delete_run("abc").unwrap();
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn fatal_answers_are_not_retried_and_map_to_kinds() {
    let cases: Vec<(u16, &str, &str, ErrorKind)> = vec![
        (400, "INVALID_PARAMETER_VALUE", "Changing param values is not allowed.", ErrorKind::InvalidArgument),
        (400, "RESOURCE_ALREADY_EXISTS", "Experiment 'e' already exists.", ErrorKind::AlreadyExists),
        (404, "RESOURCE_DOES_NOT_EXIST", "Run 'x' not found", ErrorKind::NotFound),
        (400, "INVALID_PARAMETER_VALUE", "The run x must be in the 'active' state.", ErrorKind::InvalidState),
        (403, "PERMISSION_DENIED", "no", ErrorKind::PermissionDenied),
        (409, "RESOURCE_CONFLICT", "conflict", ErrorKind::Internal),
    ];
    for (status, code, message, kind) in cases {
        let server = TestServer::always(move || Reply::error(status, code, message));
        let s = store(&server, quick(5));
        let err = s.log_batch("r", &[], &[Param { key: "p".into(), value: "v".into() }], &[]).unwrap_err();
        assert_eq!(err.kind(), kind, "{code}: {err}");
        assert_eq!(err.mlflow_code(), code);
        assert!(err.message().starts_with(message), "{err}");
        assert!(err.message().contains("runs/log-batch"), "names the endpoint: {err}");
        assert_eq!(server.request_count(), 1, "{code} must not be retried");
    }
    // A 401 without MLflow JSON still says what to do.
    let server = TestServer::always(|| Reply::text(401, "text/plain", "Unauthorized"));
    let err = store(&server, quick(5)).get_run("r").unwrap_err();
    assert_eq!((err.kind(), err.mlflow_code()), (ErrorKind::PermissionDenied, "UNAUTHENTICATED"));
    assert!(err.message().contains("MLFLOW_TRACKING_USERNAME"), "{err}");
    assert_eq!(server.request_count(), 1);
}

#[test]
fn get_experiment_by_name_404_is_none_but_a_wrong_url_is_an_error() {
    let server = TestServer::always(|| Reply::error(404, "RESOURCE_DOES_NOT_EXIST", "Could not find experiment"));
    let s = store(&server, quick(2));
    assert_eq!(s.get_experiment_by_name("my exp/ä&x=1").unwrap(), None);
    let req = &server.requests()[0];
    assert_eq!((req.method.as_str(), req.path.as_str()), ("GET", "/api/2.0/mlflow/experiments/get-by-name"));
    assert_eq!(req.query, vec![("experiment_name".to_string(), "my exp/ä&x=1".to_string())]);

    let server = TestServer::always(|| Reply::text(404, "text/html", "<!doctype html><title>404 Not Found</title>"));
    let err = store(&server, quick(2)).get_experiment_by_name("x").unwrap_err();
    assert_eq!((err.kind(), err.mlflow_code()), (ErrorKind::NotFound, "ENDPOINT_NOT_FOUND"));
    assert!(err.message().contains("path prefix"), "{err}");
}

#[test]
fn html_or_garbage_answer_is_a_clear_error() {
    for body in ["<html><body>Welcome to nginx!</body></html>", "[1, 2, 3]", "not json at all"] {
        let server = TestServer::always(move || Reply::text(200, "text/html", body));
        let s = store(&server, quick(3));
        let err = s.get_experiment("1").unwrap_err();
        assert!(err.message().contains("did not answer with MLflow JSON"), "{err}");
        assert!(err.message().contains(&body[..5]), "shows what came back: {err}");
        assert_eq!(server.request_count(), 1, "a wrong server is not retried");
        let failure = s.send_once(&ApiRequest::get("experiments/get", vec![])).unwrap_err();
        assert_eq!(failure.class, FailureClass::Fatal);
    }
    // Not HTTP at all.
    let server = TestServer::always(|| Reply::Raw(b"SSH-2.0-OpenSSH_9.6\r\n".to_vec()));
    let failure = store(&server, quick(0)).send_once(&ApiRequest::get("experiments/get", vec![])).unwrap_err();
    assert_eq!(failure.class, FailureClass::Fatal, "{}", failure.error);
    assert!(failure.error.message().contains("not valid HTTP"), "{}", failure.error);
}

#[test]
fn truncated_reset_and_closed_answers_are_connection_failures() {
    let truncated = || {
        let mut raw = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n".to_vec();
        raw.extend_from_slice(br#"{"experiment": {"#);
        Reply::Raw(raw)
    };
    let replies: Vec<(&str, Box<ReplyFn>)> = vec![
        ("truncated body", Box::new(truncated)),
        ("reset", Box::new(|| Reply::Reset)),
        ("closed", Box::new(|| Reply::Close)),
    ];
    for (what, reply) in replies {
        let server = TestServer::always(reply);
        let s = store(&server, quick(1));
        let failure = s.send_once(&ApiRequest::get("experiments/get", vec![("experiment_id".into(), "1".into())]));
        let failure = failure.unwrap_err();
        assert_eq!(failure.class, FailureClass::Connection, "{what}: {}", failure.error);
        assert_eq!(failure.error.kind(), ErrorKind::Unavailable, "{what}");
        assert!(failure.error.message().contains("GET http://127.0.0.1"), "{what}: {}", failure.error);
        // Through `call`: retried, then Unavailable with the attempt count and the last cause.
        let err = s.get_experiment("1").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unavailable, "{what}: {err}");
        assert!(err.message().contains("after 2 attempt(s)"), "{what}: {err}");
        assert!(err.is_retryable());
        assert_eq!(server.request_count(), 3, "{what}");
    }
    // Nobody listening.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let s = RestStore::with_config(&format!("http://127.0.0.1:{port}"), quick(0)).unwrap();
    let err = s.get_run("r").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    assert!(err.message().contains("refused"), "{err}");
}

#[test]
fn keep_alive_reuses_one_connection() {
    let server = TestServer::always(|| Reply::json(200, json!({ "experiment": experiment_json("1", "e") })));
    let s = store(&server, quick(0));
    for _ in 0..5 {
        assert_eq!(s.get_experiment("1").unwrap().name, "e");
    }
    assert_eq!(server.request_count(), 5);
    assert_eq!(server.connection_count(), 1, "five calls on one TCP connection");
    assert!(server.requests().iter().all(|r| r.connection == 0));
}

#[test]
fn a_connection_closed_by_the_server_is_not_reused() {
    // A complete answer, then the server closes (as uvicorn does with idle connections).
    let server = TestServer::always(|| {
        Reply::Raw(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}".to_vec())
    });
    let s = store(&server, quick(0));
    for _ in 0..3 {
        s.send_once(&ApiRequest::post("runs/delete", json!({ "run_id": "r" }))).unwrap();
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(server.connection_count(), 3);
}

#[test]
fn one_store_is_shared_by_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<RestStore>();
    let server = TestServer::always(|| Reply::json(200, json!({})));
    let s = std::sync::Arc::new(store(&server, quick(0)));
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let s = s.clone();
            std::thread::spawn(move || {
                for j in 0..10 {
                    s.set_experiment_tag("1", &format!("k{i}-{j}"), "v").unwrap();
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    assert_eq!(server.request_count(), 40);
    assert!(server.connection_count() <= 4, "{} connections", server.connection_count());
}

fn authorization_seen(config: HttpConfig, uri_userinfo: Option<&str>) -> Option<String> {
    let server = TestServer::always(|| Reply::json(200, json!({})));
    let uri = match uri_userinfo {
        Some(u) => format!("http://{u}@{}", server.addr),
        None => server.uri(),
    };
    let s = RestStore::with_config(&uri, config).unwrap();
    assert!(!s.base_url().contains('@'), "{}", s.base_url());
    s.delete_run("r").unwrap();
    server.requests()[0].headers.get("authorization").cloned()
}

fn basic(user: &str, pass: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}")))
}

#[test]
fn basic_and_bearer_auth_from_environment_file_and_uri() {
    let env = lookup(&[("MLFLOW_TRACKING_USERNAME", "alice"), ("MLFLOW_TRACKING_PASSWORD", "pw1")]);
    let config = HttpConfig::from_lookup(&env).unwrap();
    assert_eq!(authorization_seen(config, None), Some(basic("alice", "pw1")));

    // ~/.mlflow/credentials under a temporary HOME; the environment wins per field.
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir(home.path().join(".mlflow")).unwrap();
    std::fs::write(
        home.path().join(".mlflow/credentials"),
        "# written by mlflow login\n[other]\nmlflow_tracking_username = nobody\n\n[mlflow]\n\
         mlflow_tracking_username = bob\nmlflow_tracking_password = s3cret:pw\n",
    )
    .unwrap();
    let home_str = home.path().to_str().unwrap();
    let config = HttpConfig::from_lookup(&lookup(&[("HOME", home_str)])).unwrap();
    assert_eq!(authorization_seen(config, None), Some(basic("bob", "s3cret:pw")));
    let config =
        HttpConfig::from_lookup(&lookup(&[("HOME", home_str), ("MLFLOW_TRACKING_USERNAME", "carol")])).unwrap();
    assert_eq!(authorization_seen(config, None), Some(basic("carol", "s3cret:pw")));

    // Bearer only when basic credentials are incomplete.
    let config = HttpConfig::from_lookup(&lookup(&[("MLFLOW_TRACKING_TOKEN", "tok-123")])).unwrap();
    assert_eq!(authorization_seen(config, None), Some("Bearer tok-123".into()));
    let both = lookup(&[
        ("MLFLOW_TRACKING_TOKEN", "tok"),
        ("MLFLOW_TRACKING_USERNAME", "u"),
        ("MLFLOW_TRACKING_PASSWORD", "p"),
    ]);
    assert_eq!(authorization_seen(HttpConfig::from_lookup(&both).unwrap(), None), Some(basic("u", "p")));

    // user:password in the URI (percent-decoded), stripped from the base URL.
    assert_eq!(authorization_seen(quick(0), Some("dave:p%40ss")), Some(basic("dave", "p@ss")));
    let config = HttpConfig::from_lookup(&lookup(&[("MLFLOW_TRACKING_TOKEN", "tok")])).unwrap();
    assert_eq!(authorization_seen(config, Some("dave:x")), Some(basic("dave", "x")));
    // No credentials anywhere: no header.
    assert_eq!(authorization_seen(quick(0), None), None);
}

#[test]
fn credentials_never_appear_in_errors_or_debug() {
    let (user, password, token) = ("secret-user-5x", "secret-pass-9q", "secret-token-7z");
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    let leaks = |text: &str| {
        [user, password, token, encoded.as_str()].iter().any(|s| text.contains(s)) || text.contains("secret-")
    };
    let config =
        HttpConfig { credentials: Credentials::Basic { username: user.into(), password: password.into() }, ..quick(1) };
    assert!(!leaks(&format!("{config:?}")), "{config:?}");
    let bearer = HttpConfig { credentials: Credentials::Bearer(token.into()), ..quick(1) };
    assert!(!leaks(&format!("{bearer:?}")));

    let server = TestServer::start(|n, _| match n % 4 {
        0 => Reply::text(401, "text/plain", "Unauthorized"),
        1 => Reply::text(200, "text/html", "<html>login</html>"),
        2 => Reply::Close,
        _ => Reply::error(503, "TEMPORARILY_UNAVAILABLE", "later"),
    });
    let uri = format!("http://{user}:{password}@{}", server.addr);
    let s = RestStore::with_config(&uri, config.clone()).unwrap();
    assert!(!leaks(&format!("{s:?}")), "{s:?}");
    assert!(!leaks(s.base_url()));
    let mut errors = Vec::new();
    for _ in 0..3 {
        errors.push(s.get_run("r").unwrap_err());
    }
    errors.push(s.log_batch("r", &[], &[], &[]).unwrap_err());
    // Unreachable server, malformed URIs that carry a password.
    let closed = RestStore::with_config(&format!("http://{user}:{password}@127.0.0.1:9"), config.clone()).unwrap();
    errors.push(closed.get_run("r").unwrap_err());
    errors.push(RestStore::with_config(&format!("http://{user}:{password}@host:99999"), quick(0)).unwrap_err());
    errors.push(RestStore::with_config(&format!("ftp://{user}:{password}@host"), quick(0)).unwrap_err());
    for e in &errors {
        assert!(!leaks(&e.to_string()) && !leaks(&format!("{e:?}")), "credential in: {e:?}");
    }
    // The server did get them.
    assert_eq!(server.requests()[0].headers.get("authorization"), Some(&format!("Basic {encoded}")));
}

#[test]
fn max_retries_zero_disables_retries() {
    let server = TestServer::always(|| Reply::error(503, "TEMPORARILY_UNAVAILABLE", "database is locked"));
    let s = store(&server, quick(0));
    let err = s.get_run("r").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    assert_eq!(err.mlflow_code(), "TEMPORARILY_UNAVAILABLE");
    assert!(err.message().contains("after 1 attempt(s)") && err.message().contains("database is locked"), "{err}");
    assert_eq!(server.request_count(), 1);
}

#[test]
fn per_attempt_timeout_against_a_silent_server() {
    let server = TestServer::always(|| Reply::Hang(Duration::from_secs(6)));
    let config = HttpConfig { timeout: Duration::from_millis(400), ..quick(1) };
    let s = store(&server, config);
    let started = Instant::now();
    let err = s.get_run("r").unwrap_err();
    let took = started.elapsed();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(err.message().contains("MLFLOW_HTTP_REQUEST_TIMEOUT"), "{err}");
    assert!(took >= Duration::from_millis(750) && took < Duration::from_secs(4), "two attempts took {took:?}");
    assert_eq!(server.request_count(), 2);
}

#[test]
fn end_run_within_never_outlasts_its_timeout() {
    let server = TestServer::always(|| Reply::Hang(Duration::from_secs(6)));
    let config = HttpConfig { timeout: Duration::from_secs(30), ..quick(5) };
    let s = store(&server, config);
    let started = Instant::now();
    let err = s.end_run_within("r", RunStatus::Finished, 1700000009999, Duration::from_millis(600)).unwrap_err();
    let took = started.elapsed();
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    assert!(took < Duration::from_secs(2), "took {took:?}");
    let body = server.requests()[0].json();
    assert_eq!(body, json!({ "run_id": "r", "status": "FINISHED", "end_time": 1700000009999i64 }));

    let ok = TestServer::always(|| Reply::json(200, json!({ "run_info": run_info_json("r") })));
    store(&ok, quick(0)).end_run_within("r", RunStatus::Killed, 5, Duration::from_secs(2)).unwrap();
    assert_eq!(ok.requests()[0].path, "/api/2.0/mlflow/runs/update");
}

#[test]
fn every_operation_sends_mlflows_request_shape() {
    let run = json!({ "info": run_info_json("abc"), "data": { "tags": [{ "key": "mlflow.runName", "value": "r1" }] },
                      "inputs": {} });
    let run2 = run.clone();
    let server = TestServer::start(move |_, req| {
        let body = match req.path.trim_start_matches("/api/2.0/mlflow/") {
            "experiments/create" => json!({ "experiment_id": "12" }),
            "experiments/get" | "experiments/get-by-name" => json!({ "experiment": experiment_json("12", "e") }),
            "experiments/search" => json!({ "experiments": [experiment_json("12", "e")], "next_page_token": "tok2" }),
            "runs/create" | "runs/get" => json!({ "run": run2 }),
            "runs/update" => json!({ "run_info": run_info_json("abc") }),
            "runs/search" => json!({ "runs": [run2] }),
            "metrics/get-history" => json!({ "metrics": [{ "key": "m", "value": "NaN", "timestamp": 5, "step": 1 }] }),
            _ => json!({}),
        };
        Reply::json(200, body)
    });
    let s = store(&server, quick(0));
    let tags = [ExperimentTag { key: "team".into(), value: "x".into() }];
    assert_eq!(s.create_experiment("e", Some("s3://b/p"), &tags).unwrap(), "12");
    assert_eq!(s.get_experiment("12").unwrap().experiment_id, "12");
    assert_eq!(s.get_experiment_by_name("e").unwrap().unwrap().name, "e");
    let page = s.search_experiments("name LIKE 'e%'", ViewType::All, 10, &["name".into()], Some("tok1")).unwrap();
    assert_eq!((page.items.len(), page.next_page_token.as_deref()), (1, Some("tok2")));
    s.rename_experiment("12", "f").unwrap();
    s.delete_experiment("12").unwrap();
    s.restore_experiment("12").unwrap();
    s.set_experiment_tag("12", "k", "v").unwrap();
    s.delete_experiment_tag("12", "k").unwrap();
    let created = s
        .create_run(&CreateRun {
            experiment_id: "12".into(),
            user_id: "alice".into(),
            start_time: 1700000000000,
            tags: vec![RunTag { key: "t".into(), value: "1".into() }],
            run_name: Some("r1".into()),
        })
        .unwrap();
    assert_eq!((created.info.run_id.as_str(), created.data.tag("mlflow.runName")), ("abc", Some("r1")));
    assert_eq!(s.get_run("abc").unwrap().info.status, RunStatus::Running);
    let info = s.update_run("abc", Some(RunStatus::Finished), Some(9), Some("r2")).unwrap();
    assert_eq!(info.run_id, "abc");
    s.delete_run("abc").unwrap();
    s.restore_run("abc").unwrap();
    s.delete_tag("abc", "t").unwrap();
    let runs = s.search_runs(&["12".into()], "", ViewType::ActiveOnly, 5, &[], None).unwrap();
    assert_eq!((runs.items.len(), runs.next_page_token), (1, None));
    let history = s.get_metric_history("abc", "m", Some(3), Some("p")).unwrap();
    assert!(history.items[0].value.is_nan());
    let metric = Metric { key: "m".into(), value: f64::NAN, timestamp: 5, step: 2 };
    s.log_batch("abc", &[metric], &[Param { key: "p".into(), value: "1".into() }], &[]).unwrap();

    let reqs = server.requests();
    let shape: Vec<(String, String)> =
        reqs.iter().map(|r| (r.method.clone(), r.path.replace("/api/2.0/mlflow/", ""))).collect();
    let expected = [
        ("POST", "experiments/create"),
        ("GET", "experiments/get"),
        ("GET", "experiments/get-by-name"),
        ("POST", "experiments/search"),
        ("POST", "experiments/update"),
        ("POST", "experiments/delete"),
        ("POST", "experiments/restore"),
        ("POST", "experiments/set-experiment-tag"),
        ("POST", "experiments/delete-experiment-tag"),
        ("POST", "runs/create"),
        ("GET", "runs/get"),
        ("POST", "runs/update"),
        ("POST", "runs/delete"),
        ("POST", "runs/restore"),
        ("POST", "runs/delete-tag"),
        ("POST", "runs/search"),
        ("GET", "metrics/get-history"),
        ("POST", "runs/log-batch"),
    ];
    let expected: Vec<(String, String)> = expected.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    assert_eq!(shape, expected);
    for r in &reqs {
        assert!(r.headers["user-agent"].starts_with("libmlflow/"));
        if r.method == "POST" {
            assert_eq!(r.headers["content-type"], "application/json");
        } else {
            assert!(r.body.is_empty());
        }
    }
    assert_eq!(
        reqs[0].json(),
        json!({ "name": "e", "artifact_location": "s3://b/p", "tags": [{ "key": "team", "value": "x" }] })
    );
    assert_eq!(reqs[1].query, vec![("experiment_id".to_string(), "12".to_string())]);
    assert_eq!(
        reqs[3].json(),
        json!({ "max_results": 10, "view_type": "ALL", "filter": "name LIKE 'e%'", "order_by": ["name"], "page_token": "tok1" })
    );
    assert_eq!(reqs[4].json(), json!({ "experiment_id": "12", "new_name": "f" }));
    assert_eq!(
        reqs[9].json(),
        json!({ "experiment_id": "12", "user_id": "alice", "start_time": 1700000000000i64,
                "tags": [{ "key": "t", "value": "1" }], "run_name": "r1" })
    );
    assert_eq!(reqs[10].query, vec![("run_id".to_string(), "abc".to_string())]);
    assert_eq!(reqs[11].json(), json!({ "run_id": "abc", "status": "FINISHED", "end_time": 9, "run_name": "r2" }));
    assert_eq!(reqs[15].json(), json!({ "experiment_ids": ["12"], "run_view_type": "ACTIVE_ONLY", "max_results": 5 }));
    let q: Vec<(&str, &str)> = reqs[16].query.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(q, [("run_id", "abc"), ("metric_key", "m"), ("max_results", "3"), ("page_token", "p")]);
    assert_eq!(
        reqs[17].json(),
        json!({ "run_id": "abc", "metrics": [{ "key": "m", "value": "NaN", "timestamp": 5, "step": 2 }],
                "params": [{ "key": "p", "value": "1" }], "tags": [] })
    );
}

#[test]
fn malformed_uris_and_settings_are_invalid_arguments() {
    for uri in
        ["", "127.0.0.1:5000", "file:///tmp/x", "ftp://host", "http://", "http://:80", "http://h:0", "http://h:x"]
    {
        let err = RestStore::with_config(uri, HttpConfig::default()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{uri}");
        assert!(err.message().contains("tracking URI"), "{uri}: {err}");
    }
    let bad_retry =
        HttpConfig { retry: RetryPolicy { max_retries: 11, ..RetryPolicy::default() }, ..HttpConfig::default() };
    assert_eq!(RestStore::with_config("http://h", bad_retry).unwrap_err().kind(), ErrorKind::InvalidArgument);
    // A CA bundle that is not PEM fails at construction, naming the variable.
    let dir = tempfile::tempdir().unwrap();
    let not_pem = dir.path().join("ca.pem");
    std::fs::write(&not_pem, "hello").unwrap();
    let mut config = HttpConfig::default();
    config.tls.ca_bundle = Some(not_pem);
    let err = RestStore::with_config("https://h", config).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.message().contains("MLFLOW_TRACKING_SERVER_CERT_PATH"), "{err}");
}

#[test]
fn environment_variables_are_read_as_mlflow_reads_them() {
    let _guard = ENV_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let d = HttpConfig::from_lookup(&lookup(&[])).unwrap();
    assert_eq!(d, HttpConfig::default());
    assert_eq!((d.retry.max_retries, d.timeout), (7, Duration::from_secs(120)));

    let c = HttpConfig::from_lookup(&lookup(&[
        ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "3"),
        ("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1"),
        ("MLFLOW_HTTP_REQUEST_BACKOFF_JITTER", "0.5"),
        ("MLFLOW_HTTP_REQUEST_TIMEOUT", "0.5"),
        ("MLFLOW_HTTP_RESPECT_RETRY_AFTER_HEADER", "False"),
        ("MLFLOW_ALLOW_HTTP_REDIRECTS", "0"),
        ("MLFLOW_TRACKING_INSECURE_TLS", "TRUE"),
    ]))
    .unwrap();
    assert_eq!(
        c.retry,
        RetryPolicy { max_retries: 3, backoff_factor: 1.0, backoff_jitter: 0.5, respect_retry_after: false }
    );
    assert_eq!((c.timeout, c.allow_redirects, c.tls.insecure), (Duration::from_millis(500), false, true));

    for bad in [
        vec![("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "11")],
        vec![("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "two")],
        vec![("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1.5")],
        vec![("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "121")],
        vec![("MLFLOW_HTTP_REQUEST_TIMEOUT", "0")],
        vec![("MLFLOW_TRACKING_INSECURE_TLS", "yes")],
        vec![("MLFLOW_TRACKING_INSECURE_TLS", "true"), ("MLFLOW_TRACKING_SERVER_CERT_PATH", "/ca.pem")],
    ] {
        let err = HttpConfig::from_lookup(&lookup(&bad)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{bad:?}");
        assert!(err.message().contains(bad[0].0), "{bad:?}: {err}");
    }

    // RestStore::new reads the real process environment.
    let server = TestServer::always(|| Reply::error(503, "TEMPORARILY_UNAVAILABLE", "busy"));
    let vars = [("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0"), ("MLFLOW_TRACKING_TOKEN", "env-token")];
    for (k, v) in vars {
        std::env::set_var(k, v);
    }
    let made = RestStore::new(&server.uri());
    for (k, _) in vars {
        std::env::remove_var(k);
    }
    let s = made.unwrap();
    assert_eq!(s.max_retries(), 0);
    assert_eq!(s.get_run("r").unwrap_err().kind(), ErrorKind::Unavailable);
    assert_eq!(server.request_count(), 1);
    assert_eq!(server.requests()[0].headers.get("authorization").map(String::as_str), Some("Bearer env-token"));
}

/// Every operation against a real `mlflow server` (not started here): run by hand with
/// `LIBMLFLOW_REST_CHECK_URI=http://127.0.0.1:5987 cargo test -p mlflow-core --test rest_transport -- --ignored`.
#[test]
#[ignore = "needs a running mlflow server; see the doc comment"]
fn live_server_every_operation() {
    let uri = std::env::var("LIBMLFLOW_REST_CHECK_URI").unwrap_or_else(|_| "http://127.0.0.1:5987".into());
    let s = RestStore::with_config(&uri, quick(2)).unwrap();
    let name = format!("rest-check-{}", std::process::id());
    let tags = [ExperimentTag { key: "team".into(), value: "x".into() }];
    let exp_id = s.create_experiment(&name, None, &tags).unwrap();
    let dup = s.create_experiment(&name, None, &[]).unwrap_err();
    assert_eq!(dup.kind(), ErrorKind::AlreadyExists, "{dup}");
    let exp = s.get_experiment(&exp_id).unwrap();
    assert_eq!((exp.name.as_str(), exp.tags.as_slice()), (name.as_str(), &tags[..]));
    assert_eq!(s.get_experiment_by_name(&name).unwrap().unwrap().experiment_id, exp_id);
    assert_eq!(s.get_experiment_by_name("no-such-experiment-xyz").unwrap(), None);
    let missing = s.get_experiment("987654").unwrap_err();
    assert_eq!((missing.kind(), missing.mlflow_code()), (ErrorKind::NotFound, "RESOURCE_DOES_NOT_EXIST"));
    let page = s.search_experiments(&format!("name = '{name}'"), ViewType::ActiveOnly, 10, &[], None).unwrap();
    assert_eq!(page.items.len(), 1);
    let all = s.search_experiments("", ViewType::All, 1, &["name".into()], None).unwrap();
    assert_eq!(all.items.len(), 1);
    assert!(all.next_page_token.is_some());
    let next = s.search_experiments("", ViewType::All, 1, &["name".into()], all.next_page_token.as_deref()).unwrap();
    assert_eq!(next.items.len(), 1);
    s.set_experiment_tag(&exp_id, "k", "v").unwrap();
    s.delete_experiment_tag(&exp_id, "k").unwrap();
    s.rename_experiment(&exp_id, &format!("{name}-renamed")).unwrap();
    assert_eq!(s.get_experiment(&exp_id).unwrap().name, format!("{name}-renamed"));

    let run = s
        .create_run(&CreateRun {
            experiment_id: exp_id.clone(),
            user_id: "alice".into(),
            start_time: 1700000000000,
            tags: vec![RunTag { key: "t".into(), value: "1".into() }],
            run_name: Some("r1".into()),
        })
        .unwrap();
    let run_id = run.info.run_id.clone();
    assert_eq!((run.info.run_name.as_str(), run.info.status), ("r1", RunStatus::Running));
    let unnamed = s
        .create_run(&CreateRun {
            experiment_id: exp_id.clone(),
            user_id: String::new(),
            start_time: 1700000000001,
            tags: vec![],
            run_name: None,
        })
        .unwrap();
    assert!(!unnamed.info.run_name.is_empty());
    let metrics: Vec<Metric> = (0..5)
        .map(|i| Metric {
            key: "m".into(),
            value: if i == 2 { f64::NAN } else { i as f64 },
            timestamp: 1700000000000 + i,
            step: i,
        })
        .collect();
    let params = [Param { key: "p".into(), value: "a".into() }];
    s.log_batch(&run_id, &metrics, &params, &[RunTag { key: "t2".into(), value: "2".into() }]).unwrap();
    let changed = s.log_batch(&run_id, &[], &[Param { key: "p".into(), value: "b".into() }], &[]).unwrap_err();
    assert_eq!(changed.kind(), ErrorKind::InvalidArgument, "{changed}");
    let got = s.get_run(&run_id).unwrap();
    assert_eq!(got.data.param("p"), Some("a"));
    assert_eq!(got.data.tag("t2"), Some("2"));
    assert_eq!(got.data.metric("m").unwrap().value, 4.0);
    let history = s.get_metric_history(&run_id, "m", None, None).unwrap();
    assert_eq!(history.items.len(), 5);
    assert!(history.items.iter().any(|m| m.value.is_nan()));
    let first = s.get_metric_history(&run_id, "m", Some(2), None).unwrap();
    assert_eq!(first.items.len(), 2);
    let rest = s.get_metric_history(&run_id, "m", Some(10), first.next_page_token.as_deref()).unwrap();
    assert_eq!(rest.items.len(), 3);
    s.delete_tag(&run_id, "t2").unwrap();
    let info = s.update_run(&run_id, None, None, Some("r2")).unwrap();
    assert_eq!(info.run_name, "r2");
    let runs =
        s.search_runs(std::slice::from_ref(&exp_id), "params.p = 'a'", ViewType::ActiveOnly, 10, &[], None).unwrap();
    assert_eq!(runs.items.len(), 1);
    let paged =
        s.search_runs(std::slice::from_ref(&exp_id), "", ViewType::All, 1, &["start_time DESC".into()], None).unwrap();
    assert_eq!(paged.items.len(), 1);
    assert!(paged.next_page_token.is_some());
    s.end_run_within(&run_id, RunStatus::Finished, 1700000009999, Duration::from_secs(5)).unwrap();
    let ended = s.get_run(&run_id).unwrap();
    assert_eq!((ended.info.status, ended.info.end_time), (RunStatus::Finished, Some(1700000009999)));
    s.delete_run(&run_id).unwrap();
    let inactive = s.log_batch(&run_id, &[], &[Param { key: "q".into(), value: "1".into() }], &[]).unwrap_err();
    assert_eq!(inactive.kind(), ErrorKind::InvalidState, "{inactive}");
    s.restore_run(&run_id).unwrap();
    s.delete_experiment(&exp_id).unwrap();
    assert_eq!(s.get_experiment(&exp_id).unwrap().lifecycle_stage, LifecycleStage::Deleted);
    s.restore_experiment(&exp_id).unwrap();
    let no_run = s.get_run("0123456789abcdef0123456789abcdef").unwrap_err();
    assert_eq!(no_run.kind(), ErrorKind::NotFound, "{no_run}");
}
