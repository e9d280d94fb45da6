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
