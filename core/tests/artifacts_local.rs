//! Run artifacts with a sqlite store: MLflow's layout on the local filesystem, the calls'
//! semantics, and the refusals that keep every write inside the artifact root or destination.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::TestDb;
use mlflow_core::artifacts::FileInfo;
use mlflow_core::{Client, ErrorKind, StartRun};

fn run(client: &Client) -> String {
    client.start_run(StartRun::default()).unwrap().run_id().to_string()
}

/// Every file under `dir` as (relative path, content), sorted.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push((p.strip_prefix(root).unwrap().to_string_lossy().into_owned(), fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn source_tree(base: &Path) -> PathBuf {
    let src = base.join("src");
    fs::create_dir_all(src.join("nested/deeper")).unwrap();
    fs::write(src.join("a.txt"), b"alpha\n").unwrap();
    fs::write(src.join("nested/b.bin"), [0u8, 1, 2, 255]).unwrap();
    fs::write(src.join("nested/deeper/c.json"), b"{\"k\": 1}").unwrap();
    src
}

#[test]
fn artifacts_land_where_mlflow_puts_them() {
    let db = TestDb::new();
    let client = db.client();
    let run_id = run(&client);
    let info = client.get_run(&run_id).unwrap().info;
    let expected_root = format!("{}/0/{run_id}/artifacts", db.artifact_root());
    assert_eq!(info.artifact_uri, expected_root);

    let src = source_tree(db.dir.path());
    fs::create_dir(src.join("empty")).unwrap();
    client.log_artifact(&run_id, &src.join("a.txt"), None, None).unwrap();
    client.log_artifact(&run_id, &src.join("a.txt"), Some("x/y"), None).unwrap();
    client.log_artifacts(&run_id, &src, Some("tree"), None).unwrap();
    client.log_text(&run_id, "héllo", "notes/readme.md").unwrap();
    client.log_bytes(&run_id, &[9, 8, 7], "raw.bin").unwrap();

    let root = PathBuf::from(&expected_root);
    assert_eq!(fs::read(root.join("a.txt")).unwrap(), b"alpha\n");
    assert_eq!(fs::read(root.join("x/y/a.txt")).unwrap(), b"alpha\n");
    assert_eq!(tree(&root.join("tree")), tree(&src));
    assert!(root.join("tree/empty").is_dir(), "empty directories are copied, as MLflow's copytree does");
    assert_eq!(fs::read_to_string(root.join("notes/readme.md")).unwrap(), "héllo");
    assert_eq!(fs::read(root.join("raw.bin")).unwrap(), [9, 8, 7]);

    let top = client.list_artifacts(&run_id, None).unwrap();
    let names: Vec<_> = top.iter().map(|f| (f.path.as_str(), f.is_dir)).collect();
    assert_eq!(names, [("a.txt", false), ("notes", true), ("raw.bin", false), ("tree", true), ("x", true)], "{top:?}");
    assert_eq!(top[0].file_size, Some(6));
    assert_eq!(top[1].file_size, None);
    let nested = client.list_artifacts(&run_id, Some("tree/nested")).unwrap();
    assert_eq!(
        nested,
        [
            FileInfo { path: "tree/nested/b.bin".into(), is_dir: false, file_size: Some(4) },
            FileInfo { path: "tree/nested/deeper".into(), is_dir: true, file_size: None },
        ]
    );
    assert!(client.list_artifacts(&run_id, Some("a.txt")).unwrap().is_empty());
    assert!(client.list_artifacts(&run_id, Some("missing")).unwrap().is_empty());
}

#[test]
fn downloads_follow_mlflow_download_artifacts() {
    let db = TestDb::new();
    let client = db.client();
    let run_id = run(&client);
    let src = source_tree(db.dir.path());
    client.log_artifacts(&run_id, &src, None, None).unwrap();
    let root = PathBuf::from(client.get_run(&run_id).unwrap().info.artifact_uri);

    // The whole run into dst.
    let dst = db.dir.path().join("dl-all");
    let got = client.download_artifacts(Some(&run_id), None, None, Some(&dst), None).unwrap();
    assert_eq!(got, dst);
    assert_eq!(tree(&dst), tree(&src));

    // A nested directory lands under its last name, as runs:/ downloads do in MLflow.
    let dst2 = db.dir.path().join("dl-sub");
    let got = client.download_artifacts(Some(&run_id), Some("nested/deeper"), None, Some(&dst2), None).unwrap();
    assert_eq!(got, dst2.join("deeper"));
    assert_eq!(fs::read(got.join("c.json")).unwrap(), b"{\"k\": 1}");

    // A file through a runs:/ URI, and through the plain artifact location.
    let dst3 = db.dir.path().join("dl-file");
    let uri = format!("runs:/{run_id}/nested/b.bin");
    let got = client.download_artifacts(None, None, Some(&uri), Some(&dst3), None).unwrap();
    assert_eq!(got, dst3.join("b.bin"));
    assert_eq!(fs::read(&got).unwrap(), [0u8, 1, 2, 255]);
    let plain = format!("{}/a.txt", root.display());
    let got = client.download_artifacts(None, None, Some(&plain), Some(&dst3), None).unwrap();
    assert_eq!(fs::read(got).unwrap(), b"alpha\n");
    let file_uri = format!("file://{}/nested", root.display());
    let got = client.download_artifacts(None, None, Some(&file_uri), Some(&dst3), None).unwrap();
    assert_eq!(tree(&got), tree(&src.join("nested")));

    // Without a destination, local artifacts are returned where they are (MLflow does the same).
    let here = client.download_artifacts(Some(&run_id), Some("a.txt"), None, None, None).unwrap();
    assert_eq!(here, root.join("a.txt"));

    // MLflow's argument rules.
    for (r, p, u) in
        [(Some(run_id.as_str()), None, Some(uri.as_str())), (None, None, None), (None, Some("a"), Some(&uri))]
    {
        let e = client.download_artifacts(r, p, u, Some(&dst3), None).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    }
    let e = client.download_artifacts(Some(&run_id), Some("nope.txt"), None, Some(&dst3), None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert!(!dst3.join("nope.txt").exists());
    let leftovers: Vec<_> = fs::read_dir(&dst3)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty(), "a failed download left {leftovers:?}");
}

#[test]
fn unsafe_artifact_paths_are_refused() {
    let db = TestDb::new();
    let client = db.client();
    let run_id = run(&client);
    let src = source_tree(db.dir.path());
    let root = PathBuf::from(client.get_run(&run_id).unwrap().info.artifact_uri);
    for bad in ["../escape", "a/../../escape", "/tmp/abs", "..", "a\\b"] {
        let e = client.log_artifact(&run_id, &src.join("a.txt"), Some(bad), None).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{bad}: {e}");
        let e = client.log_text(&run_id, "x", &format!("{bad}/f.txt")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{bad}: {e}");
        let e = client.log_artifacts(&run_id, &src, Some(bad), None).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{bad}: {e}");
        let e = client.list_artifacts(&run_id, Some(bad)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{bad}: {e}");
        let e = client
            .download_artifacts(Some(&run_id), Some(bad), None, Some(&db.dir.path().join("d")), None)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{bad}: {e}");
    }
    assert!(!root.exists(), "nothing may have been written for refused paths");
    assert!(!root.parent().unwrap().join("escape").exists());

    let e = client.log_artifact(&run_id, &db.dir.path().join("missing.txt"), None, None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert!(e.message().contains("missing.txt"), "{e}");
    let e = client.log_artifacts(&run_id, &db.dir.path().join("missing-dir"), None, None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    let e = client.log_artifact(&run_id, &src, None, None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "a directory given to log_artifact: {e}");
    let e = client.log_bytes(&run_id, b"x", "").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
}

#[test]
fn symlinks_escaping_the_logged_directory_are_refused() {
    let db = TestDb::new();
    let client = db.client();
    let run_id = run(&client);
    let outside = db.dir.path().join("secret.txt");
    fs::write(&outside, b"do not upload").unwrap();

    let src = source_tree(db.dir.path());
    // A link that stays inside the tree is followed, as MLflow's copytree follows it.
    std::os::unix::fs::symlink(src.join("a.txt"), src.join("nested/link-inside.txt")).unwrap();
    client.log_artifacts(&run_id, &src, Some("ok"), None).unwrap();
    let root = PathBuf::from(client.get_run(&run_id).unwrap().info.artifact_uri);
    assert_eq!(fs::read(root.join("ok/nested/link-inside.txt")).unwrap(), b"alpha\n");

    let evil = db.dir.path().join("evil");
    fs::create_dir_all(&evil).unwrap();
    fs::write(evil.join("first.txt"), b"1").unwrap();
    std::os::unix::fs::symlink(&outside, evil.join("zz-leak.txt")).unwrap();
    let e = client.log_artifacts(&run_id, &evil, Some("evil"), None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    assert!(e.message().contains("outside"), "{e}");
    assert!(!root.join("evil").exists(), "the tree is checked before anything is stored");

    let evil_dir = db.dir.path().join("evil-dir");
    fs::create_dir_all(&evil_dir).unwrap();
    std::os::unix::fs::symlink(db.dir.path(), evil_dir.join("up")).unwrap();
    let e = client.log_artifacts(&run_id, &evil_dir, None, None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
}

#[test]
fn large_files_stream_and_round_trip() {
    let db = TestDb::new();
    let client = db.client();
    let run_id = run(&client);
    // 8 MiB of a non-repeating pattern: copied through io::copy's fixed buffer, never read whole.
    let big = db.dir.path().join("big.bin");
    let data: Vec<u8> = (0..8u32 << 20).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    fs::write(&big, &data).unwrap();
    client.log_artifact(&run_id, &big, Some("blobs"), None).unwrap();
    let dst = db.dir.path().join("out");
    let got = client.download_artifacts(Some(&run_id), Some("blobs/big.bin"), None, Some(&dst), None).unwrap();
    assert!(fs::read(got).unwrap() == data);
}

/// Checks a run of progress reports: it starts at 0 and ends at (total, total), never goes back,
/// never passes the total, and is throttled (a handful of reports for a few MiB).
fn check_progress(reports: &[(u64, u64)], total: u64) {
    assert_eq!(reports.first(), Some(&(0, total)), "{reports:?}");
    assert_eq!(reports.last(), Some(&(total, total)), "{reports:?}");
    assert!(reports.windows(2).all(|w| w[0].0 <= w[1].0 && w[0] != w[1]), "{reports:?}");
    assert!(reports.iter().all(|(d, t)| d <= t && *t == total), "{reports:?}");
    assert!(reports.len() <= 3 + (total >> 20) as usize, "{} reports for {total} bytes", reports.len());
}

#[test]
fn progress_covers_the_whole_call() {
    let db = TestDb::new();
    let client = db.client();
    let run_id = run(&client);
    let src = source_tree(db.dir.path());
    let big = vec![7u8; 3 << 20];
    fs::write(src.join("nested/big.bin"), &big).unwrap();
    let total = (3 << 20) + 6 + 4 + 8;

    let reports = std::cell::RefCell::new(Vec::new());
    let record = |d: u64, t: u64| reports.borrow_mut().push((d, t));
    client.log_artifacts(&run_id, &src, Some("tree"), Some(&record)).unwrap();
    check_progress(&reports.take(), total);

    client.log_artifact(&run_id, &src.join("nested/big.bin"), None, Some(&record)).unwrap();
    check_progress(&reports.take(), 3 << 20);

    let dst = db.dir.path().join("down");
    client.download_artifacts(Some(&run_id), Some("tree"), None, Some(&dst), Some(&record)).unwrap();
    check_progress(&reports.take(), total);
    assert_eq!(tree(&dst.join("tree")), tree(&src));

    let dst = db.dir.path().join("down-one");
    client.download_artifacts(Some(&run_id), Some("big.bin"), None, Some(&dst), Some(&record)).unwrap();
    check_progress(&reports.take(), 3 << 20);
}

#[test]
fn an_unreachable_object_store_fails_clearly_without_the_secret() {
    // A port nothing listens on: object_store retries a few times, then gives up.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    std::env::set_var("MLFLOW_S3_ENDPOINT_URL", format!("http://127.0.0.1:{port}"));
    std::env::set_var("AWS_ACCESS_KEY_ID", "AKIDLIBMLFLOWTEST");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "s3cr3t-never-printed");
    let db = TestDb::new();
    let client = db.client();
    let exp = client.create_experiment("on-s3", Some("s3://bucket/prefix"), &[]).unwrap();
    let run = client.start_run(StartRun { experiment_id: Some(exp), ..Default::default() }).unwrap();
    let started = std::time::Instant::now();
    let e = client.log_text(run.run_id(), "x", "x.txt").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Storage, "{e}");
    assert!(e.message().contains("s3://bucket"), "names the store: {e}");
    assert!(!e.message().contains("s3cr3t"), "never the secret: {e}");
    assert!(started.elapsed() < std::time::Duration::from_secs(60), "took {:?}", started.elapsed());
    eprintln!("{e}");
    for name in ["MLFLOW_S3_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] {
        std::env::remove_var(name);
    }
}
