//! The artifact proxy repository over real sockets: a scripted HTTP/1.1 server on 127.0.0.1
//! (tests/rest_support) plays the tracking server's `mlflow-artifacts` routes, including a
//! hostile one; the real repository (ureq, retry policy, auth) talks to it.

mod rest_support;

use std::fs;

use mlflow_core::artifacts::{ArtifactRepository, Progress, ProxyArtifactRepository};
use mlflow_core::store::rest::{Credentials, HttpConfig, RetryPolicy};
use mlflow_core::ErrorKind;
use rest_support::{Reply, TestServer};
use serde_json::json;

const ROUTE: &str = "/api/2.0/mlflow-artifacts/artifacts";

fn config() -> HttpConfig {
    HttpConfig { retry: RetryPolicy { max_retries: 0, ..RetryPolicy::default() }, ..HttpConfig::default() }
}

fn repo(server: &TestServer) -> ProxyArtifactRepository {
    ProxyArtifactRepository::new("mlflow-artifacts:/1/r1/artifacts", &server.uri(), "/1/r1/artifacts", config())
        .unwrap()
}

fn bytes(status: u16, body: &[u8]) -> Reply {
    Reply::Http {
        status,
        headers: vec![("Content-Type".into(), "application/octet-stream".into())],
        body: body.to_vec(),
    }
}

fn partial_files(dir: &std::path::Path) -> Vec<String> {
    fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect()
}

#[test]
fn uploads_stream_with_a_length_and_lists_map_names_to_paths() {
    let server = TestServer::start(|_, req| match req.method.as_str() {
        "PUT" => Reply::text(200, "text/plain", ""),
        _ => Reply::json(
            200,
            json!({"files": [{"path": "a b.txt", "is_dir": false, "file_size": 5}, {"path": "sub", "is_dir": true}]}),
        ),
    });
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a b.txt");
    let content: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    fs::write(&file, &content).unwrap();
    let r = repo(&server);
    r.log_artifact(&file, Some("d/e"), &Progress::none()).unwrap();
    let listed = r.list_artifacts(Some("d")).unwrap();
    assert_eq!(listed[0].path, "d/a b.txt");
    assert_eq!(listed[0].file_size, Some(5));
    assert!(listed[1].is_dir && listed[1].path == "d/sub" && listed[1].file_size.is_none());

    let reqs = server.requests();
    assert_eq!(reqs[0].method, "PUT");
    assert_eq!(reqs[0].path, format!("{ROUTE}/1/r1/artifacts/d/e/a%20b.txt"));
    assert_eq!(reqs[0].headers.get("content-length").map(String::as_str), Some("300000"));
    assert!(!reqs[0].headers.contains_key("transfer-encoding"));
    assert!(reqs[0].body == content);
    assert_eq!(reqs[1].method, "GET");
    assert_eq!(reqs[1].path, ROUTE);
    assert_eq!(reqs[1].query, [("path".to_string(), "1/r1/artifacts/d".to_string())]);
}

#[test]
fn a_listing_naming_paths_outside_is_refused_before_any_write() {
    for evil in ["../../escaped.txt", "/etc/escaped.txt", "..", "a/../../x"] {
        let server = TestServer::start(move |_, req| {
            if req.method == "GET" && req.path == ROUTE {
                let path = req.query.iter().find(|(k, _)| k == "path").map(|(_, v)| v.clone()).unwrap_or_default();
                if path == "1/r1/artifacts" {
                    return Reply::json(
                        200,
                        json!({"files": [
                        {"path": "fine.txt", "is_dir": false, "file_size": 2},
                        {"path": evil, "is_dir": false, "file_size": 2}]}),
                    );
                }
                return Reply::json(200, json!({}));
            }
            bytes(200, b"ok")
        });
        let base = tempfile::tempdir().unwrap();
        let dst = base.path().join("dst");
        let e = repo(&server).download_artifacts(None, &dst, &Progress::none()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{evil}: {e}");
        assert!(e.message().contains("refusing to download"), "{e}");
        // Checked before anything was fetched or written.
        assert!(server.requests().iter().all(|r| r.path == ROUTE), "{evil}: a file was fetched");
        assert!(partial_files(&dst).is_empty(), "{evil}: {:?}", partial_files(&dst));
        assert_eq!(partial_files(base.path()), ["dst"]);
    }
}

#[test]
fn a_broken_download_leaves_no_partial_file() {
    // Promises 1000 bytes, sends 10, closes.
    let server = TestServer::start(|_, req| {
        if req.path == ROUTE {
            return Reply::json(200, json!({}));
        }
        Reply::Raw(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789".to_vec())
    });
    let dst = tempfile::tempdir().unwrap();
    let e = repo(&server).download_artifacts(Some("model.bin"), dst.path(), &Progress::none()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unavailable, "{e}");
    assert!(partial_files(dst.path()).is_empty(), "{:?}", partial_files(dst.path()));

    // A missing artifact is NotFound, and leaves nothing either.
    let server = TestServer::start(|_, req| {
        if req.path == ROUTE {
            return Reply::json(200, json!({}));
        }
        Reply::error(404, "RESOURCE_DOES_NOT_EXIST", "File not found")
    });
    let e = repo(&server).download_artifacts(Some("gone.txt"), dst.path(), &Progress::none()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert!(partial_files(dst.path()).is_empty());
}

#[test]
fn downloads_a_tree_and_never_prints_credentials() {
    let server = TestServer::start(|_, req| {
        if req.path == ROUTE {
            let path = req.query.iter().find(|(k, _)| k == "path").map(|(_, v)| v.clone()).unwrap_or_default();
            return match path.as_str() {
                "1/r1/artifacts" => Reply::json(
                    200,
                    json!({"files": [{"path": "d", "is_dir": true}, {"path": "top.txt", "is_dir": false}]}),
                ),
                "1/r1/artifacts/d" => Reply::json(200, json!({"files": [{"path": "in.txt", "is_dir": false}]})),
                _ => Reply::json(200, json!({})),
            };
        }
        match req.path.as_str() {
            p if p.ends_with("/d/in.txt") => bytes(200, b"inner"),
            p if p.ends_with("/top.txt") => bytes(200, b"top"),
            _ => Reply::error(403, "PERMISSION_DENIED", "no"),
        }
    });
    let base = format!("http://alice:s3cr3t-pw@{}", server.addr);
    let r =
        ProxyArtifactRepository::new("mlflow-artifacts:/1/r1/artifacts", &base, "1/r1/artifacts", config()).unwrap();
    let dst = tempfile::tempdir().unwrap();
    let got = r.download_artifacts(None, dst.path(), &Progress::none()).unwrap();
    assert_eq!(fs::read(got.join("d/in.txt")).unwrap(), b"inner");
    assert_eq!(fs::read(got.join("top.txt")).unwrap(), b"top");
    assert!(server.requests().iter().all(|q| q.headers.get("authorization").is_some_and(|a| a.starts_with("Basic "))));

    let e = r.download_artifacts(Some("forbidden.txt"), dst.path(), &Progress::none()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
    assert!(!e.to_string().contains("s3cr3t"), "{e}");
    assert!(!format!("{r:?}").contains("s3cr3t"));

    let tokened = HttpConfig { credentials: Credentials::Bearer("tok-secret".into()), ..config() };
    let r = ProxyArtifactRepository::new("mlflow-artifacts:/x", &server.uri(), "x", tokened).unwrap();
    let e = r.download_artifacts(Some("forbidden.txt"), dst.path(), &Progress::none()).unwrap_err();
    assert!(!e.to_string().contains("tok-secret"), "{e}");
}

#[test]
fn artifacts_of_a_run_still_in_the_spool_are_unavailable() {
    // Offline: the run starts under a local id and has no artifact location on any server yet.
    let spool = tempfile::tempdir().unwrap();
    let client = mlflow_core::Client::open(mlflow_core::ClientOptions {
        tracking_uri: Some("http://127.0.0.1:9".into()),
        spool_dir: Some(spool.path().to_path_buf()),
        offline: Some(true),
        ..Default::default()
    })
    .unwrap();
    let run =
        client.start_run(mlflow_core::StartRun { experiment_id: Some("0".into()), ..Default::default() }).unwrap();
    let e = client.log_text(run.run_id(), "x", "x.txt").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unavailable, "{e}");
    assert!(e.message().contains("tracking server"), "{e}");
    let e = client.list_artifacts(run.run_id(), None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unavailable, "{e}");
    client.close(std::time::Duration::from_secs(5));
}

/// One-connection server: reads a request head, then writes `head`, then each chunk after `gap`,
/// then holds the connection open for `hold`.
fn trickling_server(head: &'static str, chunks: usize, gap: std::time::Duration, hold: std::time::Duration) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut line = String::new();
        while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
            line.clear();
        }
        let mut out = stream;
        out.write_all(head.as_bytes()).unwrap();
        for _ in 0..chunks {
            std::thread::sleep(gap);
            if out.write_all(b"0123456789").is_err() {
                return;
            }
        }
        std::thread::sleep(hold);
    });
    format!("http://{addr}")
}

#[test]
fn the_timeout_bounds_each_socket_operation_not_the_whole_transfer() {
    let short = HttpConfig { timeout: std::time::Duration::from_millis(400), ..config() };
    let dst = tempfile::tempdir().unwrap();

    // 10 chunks 150 ms apart: 1.5 s in all, far over the 0.4 s timeout, but never idle that long.
    let uri = trickling_server(
        "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n",
        10,
        std::time::Duration::from_millis(150),
        std::time::Duration::ZERO,
    );
    let r = ProxyArtifactRepository::new("mlflow-artifacts:/x", &uri, "x", short.clone()).unwrap();
    r.download_file("slow.bin", &dst.path().join("slow.bin"), &Progress::none()).unwrap();
    assert_eq!(fs::read(dst.path().join("slow.bin")).unwrap(), b"0123456789".repeat(10));

    // A server that stalls mid-body is given up on after the timeout, leaving no file behind.
    let uri = trickling_server(
        "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n",
        1,
        std::time::Duration::ZERO,
        std::time::Duration::from_secs(10),
    );
    let r = ProxyArtifactRepository::new("mlflow-artifacts:/x", &uri, "x", short).unwrap();
    let started = std::time::Instant::now();
    let e = r.download_file("stalled.bin", &dst.path().join("stalled.bin"), &Progress::none()).unwrap_err();
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
    assert_eq!(e.kind(), ErrorKind::Unavailable, "{e}");
    assert_eq!(partial_files(dst.path()), ["slow.bin"]);
}

#[test]
fn uploads_and_downloads_are_retried_on_transient_failures() {
    let server = TestServer::start(|n, req| match (n, req.method.as_str()) {
        (0, _) => Reply::error(503, "TEMPORARILY_UNAVAILABLE", "busy"),
        (2, _) => Reply::Reset,
        (_, "PUT") => Reply::text(200, "text/plain", ""),
        _ => bytes(200, b"payload"),
    });
    let retrying = HttpConfig {
        retry: RetryPolicy { max_retries: 3, backoff_factor: 0.0, backoff_jitter: 0.0, ..RetryPolicy::default() },
        ..HttpConfig::default()
    };
    let r = ProxyArtifactRepository::new("mlflow-artifacts:/1", &server.uri(), "1", retrying).unwrap();
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("up.txt"), b"uploaded twice, stored once").unwrap();
    r.log_artifact(&dir.path().join("up.txt"), None, &Progress::none()).unwrap();
    r.download_file("down.txt", &dir.path().join("down.txt"), &Progress::none()).unwrap();
    assert_eq!(fs::read(dir.path().join("down.txt")).unwrap(), b"payload");
    let reqs = server.requests();
    assert_eq!(reqs.len(), 4, "{reqs:?}");
    // The retried upload sent the whole file again (the file is reopened for each attempt).
    assert!(reqs[..2].iter().all(|q| q.method == "PUT" && q.body == b"uploaded twice, stored once"));
}
