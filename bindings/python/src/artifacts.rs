//! Run artifacts for Python: the core's `log_artifact`, `log_artifacts`, `log_bytes`,
//! `list_artifacts` and `download_artifacts` on `NativeClient`, with progress reported to a Python
//! callback. Local paths cross as bytes (`os.fsencode`), so file names that are not UTF-8 reach
//! the core, which judges them, instead of failing in the string conversion.

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use mlflow_core::artifacts::paths::normalize_artifact_path;
use mlflow_core::artifacts::{open_repository, split_runs_uri, FileInfo};

use crate::client::NativeClient;
use crate::error::NativeResult;

/// Hears the progress of one transfer: `(bytes moved so far, bytes of the whole call)`, `total`
/// 0 while unknown. Called on the thread that made the call, during it, about once per MiB. The
/// Python implementation never raises: it remembers the user's exception and raises it after the
/// call (a transfer cannot be aborted from inside the callback).
#[uniffi::export(callback_interface)]
pub trait ProgressListener: Send + Sync {
    fn report(&self, done: u64, total: u64);
}

/// One listing entry, MLflow's `FileInfo`: `path` relative to the listed repository's root,
/// `file_size` absent for directories.
#[derive(uniffi::Record)]
pub struct ArtifactFile {
    pub path: String,
    pub is_dir: bool,
    pub file_size: Option<i64>,
}

impl From<FileInfo> for ArtifactFile {
    fn from(f: FileInfo) -> Self {
        ArtifactFile { path: f.path, is_dir: f.is_dir, file_size: f.file_size }
    }
}

fn local_path(bytes: Vec<u8>) -> PathBuf {
    PathBuf::from(OsString::from_vec(bytes))
}

/// Runs `call` with the listener (if any) as the core's `&dyn Fn(u64, u64)`.
fn with_progress<T>(
    listener: Option<Box<dyn ProgressListener>>,
    call: impl FnOnce(Option<&dyn Fn(u64, u64)>) -> T,
) -> T {
    match listener {
        Some(listener) => {
            let report = move |done: u64, total: u64| listener.report(done, total);
            call(Some(&report))
        }
        None => call(None),
    }
}

#[uniffi::export]
impl NativeClient {
    /// `MlflowClient.log_artifact` for a file: stored as `<artifact_path>/<file name>`.
    pub fn log_artifact(
        &self,
        run_id: String,
        local_path_bytes: Vec<u8>,
        artifact_path: Option<String>,
        progress: Option<Box<dyn ProgressListener>>,
    ) -> NativeResult<()> {
        let local = local_path(local_path_bytes);
        with_progress(progress, |p| self.core().log_artifact(&run_id, &local, artifact_path.as_deref(), p))?;
        Ok(())
    }

    /// `MlflowClient.log_artifacts`: every file under `local_dir` below `artifact_path`.
    pub fn log_artifacts(
        &self,
        run_id: String,
        local_dir_bytes: Vec<u8>,
        artifact_path: Option<String>,
        progress: Option<Box<dyn ProgressListener>>,
    ) -> NativeResult<()> {
        let local = local_path(local_dir_bytes);
        with_progress(progress, |p| self.core().log_artifacts(&run_id, &local, artifact_path.as_deref(), p))?;
        Ok(())
    }

    /// `data` stored as the artifact `artifact_file` (`log_text` and `log_dict` encode in Python).
    pub fn log_bytes(&self, run_id: String, data: Vec<u8>, artifact_file: String) -> NativeResult<()> {
        Ok(self.core().log_bytes(&run_id, &data, &artifact_file)?)
    }

    /// `MlflowClient.list_artifacts`: one level of `path` in the run's artifacts.
    pub fn list_artifacts(&self, run_id: String, path: Option<String>) -> NativeResult<Vec<ArtifactFile>> {
        Ok(self.core().list_artifacts(&run_id, path.as_deref())?.into_iter().map(ArtifactFile::from).collect())
    }

    /// `mlflow.artifacts.list_artifacts(artifact_uri=...)`: a `runs:/` URI lists in that run; any
    /// other URI is split, as MLflow splits it, into a repository root (its parent) and the last
    /// segment, so listed paths start with that segment.
    pub fn list_artifacts_at_uri(&self, artifact_uri: String) -> NativeResult<Vec<ArtifactFile>> {
        if let Some((run_id, path)) = split_runs_uri(&artifact_uri)? {
            return self.list_artifacts(run_id, Some(path));
        }
        let (root, name) = split_root_and_name(&artifact_uri);
        let name = normalize_artifact_path(name, "artifact_uri")?;
        let repo = open_repository(&root, Some(self.core().tracking_uri()))?;
        Ok(repo.list_artifacts(Some(&name))?.into_iter().map(ArtifactFile::from).collect())
    }

    /// `mlflow.artifacts.download_artifacts`: exactly one of `run_id` (with `artifact_path`) or
    /// `artifact_uri`; returns the local path (as bytes, for `os.fsdecode`).
    pub fn download_artifacts(
        &self,
        run_id: Option<String>,
        artifact_path: Option<String>,
        artifact_uri: Option<String>,
        dst_path_bytes: Option<Vec<u8>>,
        progress: Option<Box<dyn ProgressListener>>,
    ) -> NativeResult<Vec<u8>> {
        let dst = dst_path_bytes.map(local_path);
        let got = with_progress(progress, |p| {
            self.core().download_artifacts(
                run_id.as_deref(),
                artifact_path.as_deref(),
                artifact_uri.as_deref(),
                dst.as_deref(),
                p,
            )
        })?;
        Ok(got.as_os_str().as_bytes().to_vec())
    }
}

/// A non-`runs:` artifact URI as (parent URI, last segment): a local path that exists splits as a
/// path; otherwise the part before any `?`/`#` splits at its last `/`, the query kept on the root.
fn split_root_and_name(uri: &str) -> (String, &str) {
    if Path::new(uri).exists() {
        let trimmed = uri.trim_end_matches('/');
        return match trimmed.rsplit_once('/') {
            Some((parent, name)) => (if parent.is_empty() { "/".to_string() } else { parent.to_string() }, name),
            None => (".".to_string(), trimmed),
        };
    }
    let (base, query) = match uri.find(['?', '#']) {
        Some(i) => (&uri[..i], &uri[i..]),
        None => (uri, ""),
    };
    let base = base.trim_end_matches('/');
    match base.rsplit_once('/') {
        // `scheme:/name` or `scheme://host/name`: keep the separator on the root.
        Some((parent, name)) if parent.ends_with(':') || parent.ends_with("//") || parent.ends_with(":/") => {
            (format!("{parent}/{query}"), name)
        }
        Some((parent, name)) => (format!("{parent}{query}"), name),
        None => (format!(".{query}"), base),
    }
}

#[cfg(test)]
mod tests {
    use super::split_root_and_name;

    #[test]
    fn splits_uris_at_their_last_segment() {
        assert_eq!(
            split_root_and_name("mlflow-artifacts:/1/abc/artifacts/tree"),
            ("mlflow-artifacts:/1/abc/artifacts".into(), "tree")
        );
        assert_eq!(split_root_and_name("mlflow-artifacts:/tree"), ("mlflow-artifacts:/".into(), "tree"));
        assert_eq!(split_root_and_name("s3://bucket/a/b/?x=1"), ("s3://bucket/a?x=1".into(), "b"));
        assert_eq!(split_root_and_name("file:///no/such/dir"), ("file:///no/such".into(), "dir"));
    }
}
