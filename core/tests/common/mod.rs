//! Helpers shared by the core's integration tests: a client on a fresh temporary database.
#![allow(dead_code)]

use std::time::Duration;

use mlflow_core::{Client, ClientOptions};

pub struct TestDb {
    pub dir: tempfile::TempDir,
}

impl TestDb {
    pub fn new() -> Self {
        TestDb { dir: tempfile::tempdir().expect("temp dir") }
    }

    pub fn uri(&self) -> String {
        format!("sqlite:///{}/mlflow.db", self.dir.path().display())
    }

    pub fn artifact_root(&self) -> String {
        format!("{}/mlruns", self.dir.path().display())
    }

    pub fn options(&self) -> ClientOptions {
        ClientOptions {
            tracking_uri: Some(self.uri()),
            artifact_root: Some(self.artifact_root()),
            ..ClientOptions::default()
        }
    }

    pub fn client(&self) -> Client {
        Client::open(self.options()).expect("open client")
    }
}

pub const FLUSH: Duration = Duration::from_secs(30);

/// The repository's `.venv` Python (made by `scripts/setup-venv.sh`), for tests that check our
/// output with the real MLflow. When it is missing the test prints a SKIPPED line and returns
/// None — unless the environment variable `CI` is set, where a missing venv is a failure.
pub fn venv_python(why: &str) -> Option<std::path::PathBuf> {
    let py = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python");
    if py.exists() {
        return Some(py);
    }
    if std::env::var_os("CI").is_some() {
        panic!("{} is missing and CI is set: run scripts/setup-venv.sh first ({why})", py.display());
    }
    eprintln!("SKIPPED: {} is absent (run scripts/setup-venv.sh), so {why}", py.display());
    None
}
