//! GCS uploads over the JSON API against a scripted server on 127.0.0.1 that keeps a resumable
//! session the way GCS does (308 with `Range` for what it holds): a chunk whose connection is reset
//! is resent from the offset the session reports, and the object is assembled byte-identical;
//! a small file is one media upload; 403 is PERMISSION_DENIED naming the store.

mod common;
mod rest_support;

use std::sync::{Arc, Mutex};

use common::TestDb;
use mlflow_core::{ErrorKind, StartRun};
use rest_support::{Recorded, Reply, TestServer};
use serde_json::json;

const CHUNK: usize = 8 << 20;

/// Media uploads as (object name, bytes).
type MediaUploads = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// The session's state: the bytes it holds, and whether the one reset was played.
#[derive(Default)]
struct Session {
    held: Vec<u8>,
    reset_done: bool,
}

fn gcs_script(
    session: Arc<Mutex<Session>>,
    media: MediaUploads,
    base: Arc<Mutex<String>>,
) -> impl Fn(usize, &Recorded) -> Reply + Send + Sync {
    move |_, req| {
        let query = |k: &str| req.query.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let mut s = session.lock().unwrap();
        match (req.method.as_str(), query("uploadType").as_deref()) {
            ("POST", Some("media")) => {
                media.lock().unwrap().push((query("name").unwrap_or_default(), req.body.clone()));
                Reply::json(200, json!({"kind": "storage#object"}))
            }
            ("POST", Some("resumable")) => {
                let location = format!("{}/upload/session/1", base.lock().unwrap());
                Reply::json(200, json!({})).with_header("Location", &location)
            }
            ("PUT", None) => {
                let range = req.headers.get("content-range").cloned().unwrap_or_default();
                let total: usize = range.rsplit('/').next().and_then(|t| t.parse().ok()).unwrap_or(0);
                let held_reply = |held: usize| {
                    if held == 0 {
                        Reply::json(308, json!({}))
                    } else {
                        Reply::json(308, json!({})).with_header("Range", &format!("bytes=0-{}", held - 1))
                    }
                };
                if range.starts_with("bytes */") {
                    return held_reply(s.held.len());
                }
                let start: usize = range.trim_start_matches("bytes ").split('-').next().unwrap().parse().unwrap();
                // The second chunk's first attempt dies with a reset, after the server read it all.
                if start == CHUNK && !s.reset_done {
                    s.reset_done = true;
                    return Reply::Reset;
                }
                assert_eq!(start, s.held.len(), "a chunk must start where the session stopped");
                s.held.extend_from_slice(&req.body);
                if s.held.len() == total {
                    Reply::json(200, json!({"kind": "storage#object"}))
                } else {
                    held_reply(s.held.len())
                }
            }
            _ => Reply::json(400, json!({"error": {"message": "unexpected request"}})),
        }
    }
}

#[test]
fn gcs_uploads_resume_after_a_reset_chunk_and_small_files_go_in_one_request() {
    let _guard = ENV.lock().unwrap_or_else(|p| p.into_inner());
    let session = Arc::new(Mutex::new(Session::default()));
    let media = Arc::new(Mutex::new(Vec::new()));
    let base = Arc::new(Mutex::new(String::new()));
    let server = TestServer::start(gcs_script(session.clone(), media.clone(), base.clone()));
    *base.lock().unwrap() = server.uri();
    std::env::set_var("STORAGE_EMULATOR_HOST", server.uri());

    let db = TestDb::new();
    let client = db.client();
    let exp = client.create_experiment("on-gcs", Some("gs://bkt/pre"), &[]).unwrap();
    let run = client.start_run(StartRun { experiment_id: Some(exp), ..Default::default() }).unwrap();
    let run_id = run.run_id().to_string();

    let big = db.dir.path().join("weights.bin");
    let data: Vec<u8> = (0..(2 * CHUNK + 12345)).map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8).collect();
    std::fs::write(&big, &data).unwrap();
    let reports = std::cell::RefCell::new(Vec::new());
    let record = |d: u64, t: u64| reports.borrow_mut().push((d, t));
    client.log_artifact(&run_id, &big, Some("model"), Some(&record)).unwrap();
    assert!(session.lock().unwrap().held == data, "the object is the file, byte for byte");
    assert!(session.lock().unwrap().reset_done);
    let reports = reports.into_inner();
    assert_eq!(reports.last(), Some(&(data.len() as u64, data.len() as u64)));
    let requests = server.requests();
    let session_start = requests.iter().find(|r| r.query.iter().any(|(k, v)| k == "uploadType" && v == "resumable"));
    let session_start = session_start.expect("a resumable session was opened");
    let name = session_start.query.iter().find(|(k, _)| k == "name").map(|(_, v)| v.clone());
    assert_eq!(name.as_deref(), Some(format!("pre/{run_id}/artifacts/model/weights.bin").as_str()));
    assert_eq!(session_start.headers.get("x-upload-content-length"), Some(&data.len().to_string()));
    assert!(
        requests.iter().any(|r| r.headers.get("content-range").is_some_and(|c| c.starts_with("bytes */"))),
        "after the reset the client asked the session what it holds"
    );

    client.log_text(&run_id, "small\n", "notes/n.txt").unwrap();
    let media = media.lock().unwrap().clone();
    assert_eq!(media, vec![(format!("pre/{run_id}/artifacts/notes/n.txt"), b"small\n".to_vec())]);
    std::env::remove_var("STORAGE_EMULATOR_HOST");
}

#[test]
fn a_refused_gcs_upload_is_permission_denied_naming_the_store() {
    let server = TestServer::always(|| {
        Reply::json(403, json!({"error": {"message": "caller does not have storage.objects.create"}}))
    });
    let store = server.uri();
    // STORAGE_EMULATOR_HOST is process-wide: the tests of this binary take turns with it.
    let db = TestDb::new();
    let e = {
        let _guard = ENV.lock().unwrap_or_else(|p| p.into_inner());
        std::env::set_var("STORAGE_EMULATOR_HOST", &store);
        let client = db.client();
        let exp = client.create_experiment("denied", Some("gs://bkt/d"), &[]).unwrap();
        let run = client.start_run(StartRun { experiment_id: Some(exp), ..Default::default() }).unwrap();
        let e = client.log_text(run.run_id(), "x", "x.txt").unwrap_err();
        std::env::remove_var("STORAGE_EMULATOR_HOST");
        e
    };
    assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
    assert!(e.message().contains("gs://bkt"), "{e}");
    assert!(e.message().contains("storage.objects.create"), "{e}");
}

/// Held while a test has STORAGE_EMULATOR_HOST set.
static ENV: Mutex<()> = Mutex::new(());
