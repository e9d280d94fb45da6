//! The client's artifact calls, with MLflow's names and semantics: `log_artifact`,
//! `log_artifacts`, `log_text`, `log_bytes`, `list_artifacts` (MlflowClient) and
//! `download_artifacts` (`mlflow.artifacts.download_artifacts`). A run's artifacts live at its
//! `artifact_uri` as the store gives it (`<experiment artifact_location>/<run_id>/artifacts`
//! with sqlite, `mlflow-artifacts:/<exp>/<run_id>/artifacts` on a tracking server).

use std::path::{Path, PathBuf};

use super::paths::{normalize_artifact_path, normalize_optional, split_last};
use super::tree::io_error;
use super::{split_runs_uri, ArtifactRepository, FileInfo, Progress, ProgressFn};
use crate::error::{Error, Result};
use crate::util::{absolute, append_uri_path};
use crate::{validation, Client};

impl Client {
    /// The repository holding a run's artifacts. A run started locally while the tracking server
    /// could not be reached has no artifact location yet: `Unavailable` until it is delivered.
    pub fn artifact_repository(&self, run_id: &str) -> Result<Box<dyn ArtifactRepository>> {
        validation::validate_run_id(run_id)?;
        let run = self.get_run(run_id)?;
        self.repository_at(&run.info.artifact_uri)
    }

    fn repository_at(&self, uri: &str) -> Result<Box<dyn ArtifactRepository>> {
        self.artifact_transports().open(uri, Some(self.tracking_uri()))
    }

    /// `MlflowClient.log_artifact`: stores the local file as `<artifact_path>/<file name>`;
    /// `progress` hears (bytes sent, file size).
    pub fn log_artifact(
        &self,
        run_id: &str,
        local_path: &Path,
        artifact_path: Option<&str>,
        progress: Option<ProgressFn<'_>>,
    ) -> Result<()> {
        let artifact_path = normalize_optional(artifact_path, "artifact_path")?;
        let meta = std::fs::metadata(local_path).map_err(|e| io_error(e, "reading the local file", local_path))?;
        if meta.is_dir() {
            return Err(Error::invalid(format!(
                "{} is a directory; use log_artifacts for a directory",
                local_path.display()
            )));
        }
        let repo = self.artifact_repository(run_id)?;
        let progress = Progress::new(progress);
        progress.plan(meta.len());
        repo.log_artifact(local_path, Some(&artifact_path), &progress)?;
        progress.finish();
        Ok(())
    }

    /// `MlflowClient.log_artifacts`: stores every file under `local_dir` below `artifact_path`;
    /// `progress` hears (bytes sent, bytes of the whole tree).
    pub fn log_artifacts(
        &self,
        run_id: &str,
        local_dir: &Path,
        artifact_path: Option<&str>,
        progress: Option<ProgressFn<'_>>,
    ) -> Result<()> {
        let artifact_path = normalize_optional(artifact_path, "artifact_path")?;
        require_exists(local_dir)?;
        self.artifact_repository(run_id)?.log_artifacts(local_dir, Some(&artifact_path), &Progress::new(progress))
    }

    /// `MlflowClient.log_text`: `text` (UTF-8) stored as the artifact `artifact_file`.
    pub fn log_text(&self, run_id: &str, text: &str, artifact_file: &str) -> Result<()> {
        self.log_bytes(run_id, text.as_bytes(), artifact_file)
    }

    /// `bytes` stored as the artifact `artifact_file` (`dir/name.ext`).
    pub fn log_bytes(&self, run_id: &str, bytes: &[u8], artifact_file: &str) -> Result<()> {
        let artifact_file = normalize_artifact_path(artifact_file, "artifact_file")?;
        if artifact_file.is_empty() {
            return Err(Error::invalid("artifact_file is empty; give a file name such as 'notes/summary.txt'"));
        }
        self.artifact_repository(run_id)?.log_bytes(bytes, &artifact_file)
    }

    /// `MlflowClient.list_artifacts`: one level of `path` (the root when `None`), paths relative
    /// to the run's artifact root.
    pub fn list_artifacts(&self, run_id: &str, path: Option<&str>) -> Result<Vec<FileInfo>> {
        let path = normalize_optional(path, "path")?;
        self.artifact_repository(run_id)?.list_artifacts(Some(&path))
    }

    /// `mlflow.artifacts.download_artifacts`: exactly one of `run_id` (with an optional
    /// `artifact_path` in that run) or `artifact_uri` (`runs:/…`, `models:/…`, a local path,
    /// `file:`, `mlflow-artifacts:`, `http(s)` proxy URL). A `models:/` URI puts the model's
    /// files directly into `dst_path` (with `registered_model_meta`). The file or directory lands in `dst_path`
    /// (created if missing) under its own name; without `dst_path`, local artifacts are returned
    /// where they are and remote ones go to a new temporary directory. Returns the local path.
    /// `progress` hears (bytes received, bytes of the whole download).
    pub fn download_artifacts(
        &self,
        run_id: Option<&str>,
        artifact_path: Option<&str>,
        artifact_uri: Option<&str>,
        dst_path: Option<&Path>,
        progress: Option<ProgressFn<'_>>,
    ) -> Result<PathBuf> {
        let progress = Progress::new(progress);
        if let (None, None, Some(uri)) = (run_id, artifact_path, artifact_uri) {
            if uri.starts_with("models:") {
                // A model's files come into a directory of their own, as in MLflow.
                let dst = match dst_path {
                    Some(d) => absolute(d),
                    None => std::env::temp_dir().join(format!("libmlflow-model-{}", uuid::Uuid::new_v4().simple())),
                };
                return self.download_models_uri(uri, &dst, &progress);
            }
        }
        let (root_uri, name) = match (run_id, artifact_uri) {
            (Some(_), Some(_)) | (None, None) => {
                return Err(Error::invalid("Exactly one of `run_id` or `artifact_uri` must be specified"))
            }
            (None, Some(_)) if artifact_path.is_some() => {
                return Err(Error::invalid("`artifact_path` cannot be specified if `artifact_uri` is specified"))
            }
            (Some(run_id), None) => self.run_artifact_target(run_id, artifact_path.unwrap_or(""))?,
            (None, Some(uri)) => match split_runs_uri(uri)? {
                Some((run_id, path)) => self.run_artifact_target(&run_id, &path)?,
                None => split_uri_last(uri)?,
            },
        };
        let repo = self.repository_at(&root_uri)?;
        match dst_path {
            Some(dst) => {
                let dst = absolute(dst);
                std::fs::create_dir_all(&dst).map_err(|e| io_error(e, "creating the destination", &dst))?;
                repo.download_artifacts(Some(&name), &dst, &progress)
            }
            None => match repo.local_root() {
                Some(root) => {
                    // MLflow returns local artifacts where they are instead of copying them.
                    let here = super::paths::local_path(root, &name);
                    std::fs::metadata(&here).map_err(|e| io_error(e, "reading the artifact", &here))?;
                    Ok(here)
                }
                None => {
                    let dst =
                        std::env::temp_dir().join(format!("libmlflow-download-{}", uuid::Uuid::new_v4().simple()));
                    std::fs::create_dir_all(&dst).map_err(|e| io_error(e, "creating", &dst))?;
                    repo.download_artifacts(Some(&name), &dst, &progress)
                }
            },
        }
    }

    /// A run's artifact `path` as (URI of its parent directory, its last segment), the way
    /// MLflow's `runs:/` download places a path under the destination by its last name.
    fn run_artifact_target(&self, run_id: &str, path: &str) -> Result<(String, String)> {
        let path = normalize_artifact_path(path, "artifact_path")?;
        validation::validate_run_id(run_id)?;
        let run = self.get_run(run_id)?;
        let (dir, name) = split_last(&path);
        let root = if dir.is_empty() { run.info.artifact_uri } else { append_uri_path(&run.info.artifact_uri, dir) };
        Ok((root, name.to_string()))
    }
}

/// A non-`runs:` URI split into its parent URI and last path segment (`…/artifacts/dir` →
/// (`…/artifacts`, `dir`)); the last segment is checked like any artifact path.
fn split_uri_last(uri: &str) -> Result<(String, String)> {
    let (base, query) = match uri.find(['?', '#']) {
        Some(i) => (&uri[..i], &uri[i..]),
        None => (uri, ""),
    };
    let base = base.trim_end_matches('/');
    let (parent, name) = match base.rsplit_once('/') {
        Some((p, n)) if !p.is_empty() && !p.ends_with(':') && !p.ends_with("//") => (p.to_string(), n),
        Some((p, n)) => (format!("{p}/"), n),
        None => (String::new(), base),
    };
    let name = normalize_artifact_path(name, "artifact name")?;
    Ok((format!("{parent}{query}"), name))
}

fn require_exists(path: &Path) -> Result<()> {
    std::fs::metadata(path).map(|_| ()).map_err(|e| io_error(e, "reading the local file", path))
}
