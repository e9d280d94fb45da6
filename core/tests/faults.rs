//! Bad conditions: a full disk, a locked database, a full queue, read-only and missing
//! locations, databases of other schema revisions. Each gives a clear error and loses nothing
//! already accepted.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{TestDb, FLUSH};
use mlflow_core::*;

fn open_at(uri: String) -> Result<Client> {
    Client::open(ClientOptions { tracking_uri: Some(uri), ..ClientOptions::default() })
}

/// A small tmpfs mounted on a temp dir, resized and unmounted by the test (needs root, which
/// CI and the dev machines have). Set MLFLOW_TEST_NO_MOUNT=1 to skip explicitly elsewhere.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> Option<SmallDisk> {
        if std::env::var_os("MLFLOW_TEST_NO_MOUNT").is_some() {
            eprintln!("MLFLOW_TEST_NO_MOUNT set: disk-full test skipped on request");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(ok, "cannot mount a tmpfs (needs root); set MLFLOW_TEST_NO_MOUNT=1 to skip this test explicitly");
        Some(SmallDisk { dir })
    }

    fn resize(&self, size: &str) {
        let ok = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(self.dir.path())
            .status()
            .unwrap()
            .success();
        assert!(ok, "remount failed");
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.dir.path()).status();
    }
}

#[test]
fn full_disk_keeps_accepted_metrics_and_writes_them_when_space_returns() {
    let Some(disk) = SmallDisk::mount("1m") else { return };
    let uri = format!("sqlite:///{}/mlflow.db", disk.dir.path().display());
    let client = Client::open(ClientOptions {
        tracking_uri: Some(uri),
        artifact_root: Some(format!("{}/mlruns", disk.dir.path().display())),
        ..ClientOptions::default()
    })
    .unwrap();
    let run = client.start_run(StartRun::default()).unwrap();
    const N: i64 = 40_000;
    for i in 0..N {
        run.log_metric("a_rather_long_metric_name_to_fill_the_disk_faster", i as f64, Some(i), i).unwrap();
    }
    let err = client.flush(Duration::from_secs(3)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Storage, "{err}");
    assert!(err.message().contains("full"), "the error should say the disk is full: {err}");
    disk.resize("64m");
    client.flush(FLUSH).unwrap();
    let history = client
        .get_metric_history(run.run_id(), "a_rather_long_metric_name_to_fill_the_disk_faster", None, None)
        .unwrap();
    assert_eq!(history.items.len() as i64, N);
    run.end(RunStatus::Finished).unwrap();
    assert!(client.close(FLUSH).is_clean());
}

/// Holds sqlite's write lock on the database from a separate connection.
fn lock_database(db: &TestDb) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(db.dir.path().join("mlflow.db")).unwrap();
    conn.execute_batch("BEGIN EXCLUSIVE").unwrap();
    conn
}

#[test]
fn full_queue_waits_then_names_what_was_not_accepted() {
    let db = TestDb::new();
    let client =
        Client::open(ClientOptions { queue_capacity: 8, enqueue_timeout: Duration::from_millis(100), ..db.options() })
            .unwrap();
    let run = client.start_run(StartRun::default()).unwrap();
    let lock = lock_database(&db);
    let mut accepted = 0;
    let mut refused = None;
    for i in 0..100 {
        match run.log_metric("m", i as f64, Some(i), i) {
            Ok(()) => accepted += 1,
            Err(e) => {
                refused = Some(e);
                break;
            }
        }
    }
    let err = refused.expect("a full queue must refuse after the timeout");
    assert_eq!(err.kind(), ErrorKind::QueueFull);
    assert!(err.message().contains("metric 'm'"), "{err}");
    drop(lock); // the other writer lets go; everything accepted gets written
    client.flush(FLUSH).unwrap();
    assert_eq!(client.get_metric_history(run.run_id(), "m", None, None).unwrap().items.len(), accepted);
}

#[test]
fn drop_policy_counts_drops_and_close_reports_them() {
    let db = TestDb::new();
    let client = Client::open(ClientOptions { queue_capacity: 4, overflow: Overflow::Drop, ..db.options() }).unwrap();
    let run = client.start_run(StartRun::default()).unwrap();
    let lock = lock_database(&db);
    for i in 0..1000 {
        run.log_metric("m", i as f64, Some(i), i).unwrap();
    }
    drop(lock);
    run.end(RunStatus::Finished).unwrap();
    let report = client.close(FLUSH);
    assert!(report.dropped > 0, "{report:?}");
    assert_eq!(report.dropped + report.written, 1000, "{report:?}");
    let history = db.client().get_metric_history(run.run_id(), "m", None, None).unwrap();
    assert_eq!(history.items.len() as u64, report.written);
}

#[test]
fn close_reports_what_it_could_not_write_in_time() {
    let db = TestDb::new();
    let client = db.client();
    let run = client.start_run(StartRun::default()).unwrap();
    let _lock = lock_database(&db);
    for i in 0..100 {
        run.log_metric("m", i as f64, Some(i), i).unwrap();
    }
    let started = std::time::Instant::now();
    let report = client.close(Duration::from_millis(300));
    assert!(started.elapsed() < Duration::from_secs(5), "close must respect its timeout");
    assert!(report.unwritten > 0 || report.failed > 0, "{report:?}");
    assert!(client::close_report_error(&report).unwrap().message().contains("not written"));
}

#[test]
fn missing_directory_is_a_clear_storage_error() {
    let db = TestDb::new();
    let err = open_at(format!("sqlite:///{}/no/such/dir/mlflow.db", db.dir.path().display())).err().unwrap();
    assert_eq!(err.kind(), ErrorKind::Storage);
    assert!(err.message().contains("does not exist"), "{err}");
}

fn set_revision(db: &TestDb, rev: Option<&str>) {
    let conn = rusqlite::Connection::open(db.dir.path().join("mlflow.db")).unwrap();
    conn.execute("DELETE FROM alembic_version", []).unwrap();
    if let Some(rev) = rev {
        conn.execute("INSERT INTO alembic_version VALUES (?1)", [rev]).unwrap();
    }
}

#[test]
fn other_schema_revisions_are_refused_with_what_to_do() {
    let db = TestDb::new();
    db.client().close(FLUSH);
    set_revision(&db, Some("0584bdc529eb"));
    let err = open_at(db.uri()).err().unwrap();
    assert_eq!(err.kind(), ErrorKind::SchemaMismatch);
    assert!(err.message().contains("mlflow db upgrade"), "{err}");
    set_revision(&db, Some("ffffffffffff"));
    let err = open_at(db.uri()).err().unwrap();
    assert_eq!(err.kind(), ErrorKind::SchemaMismatch);
    assert!(err.message().contains("newer MLflow"), "{err}");
    set_revision(&db, None);
    assert_eq!(open_at(db.uri()).err().unwrap().kind(), ErrorKind::SchemaMismatch);
}

#[test]
fn a_sqlite_file_that_is_not_mlflow_is_refused() {
    let db = TestDb::new();
    rusqlite::Connection::open(db.dir.path().join("mlflow.db")).unwrap().execute_batch("CREATE TABLE t (x)").unwrap();
    let err = open_at(db.uri()).err().unwrap();
    assert_eq!(err.kind(), ErrorKind::SchemaMismatch);
    std::fs::write(db.dir.path().join("mlflow.db"), b"this is not a database at all, just text....").unwrap();
    assert_eq!(open_at(db.uri()).err().unwrap().kind(), ErrorKind::Storage);
}

#[test]
fn read_only_location_can_still_be_read() {
    let Some(disk) = SmallDisk::mount("16m") else { return };
    let uri = format!("sqlite:///{}/mlflow.db", disk.dir.path().display());
    let run_id = {
        let c = open_at(uri.clone()).unwrap();
        let run = c.start_run(StartRun::default()).unwrap();
        run.log_metric("m", 1.5, Some(1), 0).unwrap();
        run.end(RunStatus::Finished).unwrap();
        c.close(FLUSH);
        run.run_id().to_string()
    };
    // Read-only even for root: remount the filesystem read-only.
    let ok = Command::new("mount").args(["-o", "remount,ro"]).arg(disk.dir.path()).status().unwrap().success();
    assert!(ok, "remount read-only failed");
    let c = open_at(uri).unwrap();
    assert_eq!(c.get_run(&run_id).unwrap().data.metric("m").unwrap().value, 1.5);
    let err = c.create_experiment("nope", None, &[]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Storage);
    assert!(err.message().contains("read-only"), "{err}");
}

#[test]
fn invalid_input_is_refused_at_the_call() {
    let db = TestDb::new();
    let c = db.client();
    let run = c.start_run(StartRun::default()).unwrap();
    assert_eq!(run.log_metric("", 1.0, None, 0).unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert_eq!(run.log_metric(&"k".repeat(251), 1.0, None, 0).unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert_eq!(run.log_metric("m", 1.0, Some(-5), 0).unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert_eq!(c.log_metric("", "m", 1.0, None, 0).unwrap_err().kind(), ErrorKind::InvalidArgument);
    let missing = c.start_run(StartRun { experiment_id: Some("424242".into()), ..Default::default() });
    assert_eq!(missing.err().map(|e| e.kind()), Some(ErrorKind::NotFound));
    c.flush(FLUSH).unwrap();
}
