//! Run artifacts: files stored next to a run, where MLflow stores them
//! (`<run.info.artifact_uri>/<artifact path>`), through a repository chosen by the URI's scheme
//! as MLflow chooses it (compat sheet §7.1):
//!
//! | URI | repository |
//! |---|---|
//! | plain path, `file:` | [`LocalArtifactRepository`]: the local filesystem |
//! | `mlflow-artifacts:/…`, `mlflow-artifacts://host:port/…`, `http(s)://…/api/2.0/mlflow-artifacts/artifacts/…` | [`ProxyArtifactRepository`]: the tracking server's artifact proxy |
//! | `runs:/<run_id>/<path>` | resolved through the client to the run's artifact URI |
//! | `s3://` (`MLFLOW_S3_ENDPOINT_URL` for S3-compatible servers), `gs://`, `wasbs://`, `abfss://` | [`ObjectStoreRepository`] (feature `object-stores`, on by default) |
//! | `hdfs:`, `dbfs:`, `sftp:`, … | not supported: a clear error |
//!
//! Files stream between disk and store in bounded memory. Every path a caller or a server gives
//! is checked ([`paths`]): nothing is read from outside a logged directory, nothing is written
//! outside a destination, and a failed download leaves no partial file.

mod client_calls;
mod local;
mod model_uris;
#[cfg(feature = "object-stores")]
mod object_stores;
pub mod paths;
pub mod progress;
mod proxy;
mod proxy_multipart;
mod transports;
mod tree;
mod uri;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::Result;

pub use local::LocalArtifactRepository;
pub use model_uris::{ResolvedModelUri, REGISTERED_MODEL_META_FILE_NAME};
#[cfg(feature = "object-stores")]
pub use object_stores::ObjectStoreRepository;
pub use progress::{Progress, ProgressFn};
pub use proxy::ProxyArtifactRepository;
pub use transports::Transports;
pub use uri::{open_repository, split_runs_uri};

/// Uploads a model directory to the root of `repo` with `mlmodel_text` as its MLmodel (the
/// stamped descriptor of a logged model) in place of the directory's own, sent last so a
/// reader never sees files without their descriptor.
pub fn upload_model_dir(
    repo: &dyn ArtifactRepository,
    model_dir: &std::path::Path,
    mlmodel_text: &str,
    progress: &Progress<'_>,
) -> crate::error::Result<()> {
    let descriptor = crate::models::MLMODEL_FILE_NAME;
    tree::log_tree_except(repo, model_dir, None, progress, &[descriptor])?;
    repo.log_bytes(mlmodel_text.as_bytes(), descriptor)
}

/// One entry of a listing, MLflow's `FileInfo`: `path` relative to the repository root
/// (`dir/file.txt`), `file_size` in bytes for files (absent for directories).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileInfo {
    pub path: String,
    pub is_dir: bool,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub file_size: Option<i64>,
}

/// An artifact store rooted at one URI (a run's `artifact_uri`, usually). Artifact paths are
/// relative POSIX paths under that root; `None`/"" is the root itself.
pub trait ArtifactRepository: Send + Sync {
    /// The URI this repository is rooted at (never carries credentials).
    fn root_uri(&self) -> &str;

    /// The local directory of a repository on this machine's filesystem (`None` for remote ones).
    fn local_root(&self) -> Option<&Path> {
        None
    }

    /// Stores `local_file` as `<artifact_path>/<its file name>`, counting its bytes in `progress`.
    fn log_artifact(&self, local_file: &Path, artifact_path: Option<&str>, progress: &Progress<'_>) -> Result<()>;

    /// Stores `bytes` as the artifact `artifact_file` (`dir/name.ext`).
    fn log_bytes(&self, bytes: &[u8], artifact_file: &str) -> Result<()> {
        tree::log_bytes_via_file(self, bytes, artifact_file)
    }

    /// Stores every file under `local_dir` at `<artifact_path>/<its path under local_dir>`. The
    /// whole tree is checked first: a symlink leading outside `local_dir` refuses the call before
    /// anything is stored.
    fn log_artifacts(&self, local_dir: &Path, artifact_path: Option<&str>, progress: &Progress<'_>) -> Result<()> {
        tree::log_tree(self, local_dir, artifact_path, progress)
    }

    /// One level of the directory `path`, paths relative to the root (MLflow's `list_artifacts`);
    /// a file or a missing path lists as empty.
    fn list_artifacts(&self, path: Option<&str>) -> Result<Vec<FileInfo>>;

    /// Whether `artifact_path` names a directory (the root always does).
    fn is_directory(&self, artifact_path: &str) -> Result<bool> {
        Ok(artifact_path.is_empty() || !self.list_artifacts(Some(artifact_path))?.is_empty())
    }

    /// Downloads one file to `local_file` (its directory exists), counting its bytes in
    /// `progress` (and its size, once known, with [`Progress::discovered`]). Implementations
    /// write a temporary file beside it and rename it into place, removing it on failure.
    fn download_file(&self, artifact_path: &str, local_file: &Path, progress: &Progress<'_>) -> Result<()>;

    /// MLflow's `download_artifacts`: the file or directory tree `artifact_path` copied under
    /// `dst` (as `dst/<artifact_path>`); returns the local path of what was asked for.
    fn download_artifacts(&self, artifact_path: Option<&str>, dst: &Path, progress: &Progress<'_>) -> Result<PathBuf> {
        tree::download(self, artifact_path, dst, progress)
    }
}
