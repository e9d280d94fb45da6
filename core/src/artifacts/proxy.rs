//! Artifacts through a tracking server's artifact proxy (`mlflow server --serve-artifacts`),
//! MLflow's `HttpArtifactRepository` (compat sheet §3.4.3): `PUT`/`GET
//! /api/2.0/mlflow-artifacts/artifacts/<path>` move one file, `GET
//! /api/2.0/mlflow-artifacts/artifacts?path=<dir>` lists one level (bare names). Large files go
//! up in parts through presigned URLs when MLflow's settings ask for it and the server's store
//! offers it ([`super::proxy_multipart`]).

use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use super::paths::{join, logged_file_name, normalize_artifact_path, normalize_optional, url_encode_path};
use super::proxy_multipart::{self, MultipartSettings, Outcome};
use super::tree::{download_via_temp, io_error};
use super::{ArtifactRepository, FileInfo, Progress};
use crate::error::{Error, Result};
use crate::store::rest::{HttpConfig, HttpEndpoint};

/// The route the proxy serves files under, relative to the server's base URL.
pub const ARTIFACTS_ROUTE: &str = "api/2.0/mlflow-artifacts/artifacts";

/// The proxy's own API (files, multipart uploads), relative to the server's base URL.
const PROXY_API: &str = "api/2.0/mlflow-artifacts";

#[derive(Debug)]
pub struct ProxyArtifactRepository {
    uri: String,
    /// `<server>/api/2.0/mlflow-artifacts` (shared by a client's repositories on that server).
    endpoint: Arc<HttpEndpoint>,
    /// The repository's root under the server's artifact destination (`1/<run_id>/artifacts`).
    root: String,
    multipart: MultipartSettings,
}

impl ProxyArtifactRepository {
    /// `server` is the server's base URL (`http(s)://[user:pw@]host:port[/prefix]`), `root` the
    /// path under its artifact destination; `uri` is what messages name.
    pub fn new(uri: &str, server: &str, root: &str, config: HttpConfig) -> Result<ProxyArtifactRepository> {
        Self::with_endpoint(uri, Arc::new(Self::endpoint_for(server, config)?), root)
    }

    /// The proxy API endpoint of a server (`server` as for [`ProxyArtifactRepository::new`]).
    pub fn endpoint_for(server: &str, config: HttpConfig) -> Result<HttpEndpoint> {
        HttpEndpoint::new(&format!("{}/{PROXY_API}", server.trim_end_matches('/')), config)
    }

    /// A repository at `root` on an endpoint made by [`ProxyArtifactRepository::endpoint_for`].
    pub fn with_endpoint(uri: &str, endpoint: Arc<HttpEndpoint>, root: &str) -> Result<ProxyArtifactRepository> {
        let root = normalize_artifact_path(root.trim_start_matches('/'), "artifact root")?;
        let multipart = MultipartSettings::from_env()?;
        Ok(ProxyArtifactRepository { uri: uri.to_string(), endpoint, root, multipart })
    }

    /// `<api>/<path under the root>`, e.g. `artifacts/1/<run>/artifacts/model.pkl`.
    fn route(&self, api: &str, artifact_path: &str) -> String {
        match url_encode_path(&join(&self.root, artifact_path)) {
            path if path.is_empty() => api.to_string(),
            path => format!("{api}/{path}"),
        }
    }
}

impl ArtifactRepository for ProxyArtifactRepository {
    fn root_uri(&self) -> &str {
        &self.uri
    }

    fn log_artifact(&self, local_file: &Path, artifact_path: Option<&str>, progress: &Progress<'_>) -> Result<()> {
        let name = logged_file_name(local_file)?;
        let dir = normalize_optional(artifact_path, "artifact_path")?;
        let target = join(&dir, &normalize_artifact_path(name, "file name")?);
        let size = std::fs::metadata(local_file).map_err(|e| io_error(e, "reading", local_file))?.len();
        if self.multipart.applies_to(size) {
            let dir_path = url_encode_path(&join(&self.root, &dir));
            let upload =
                proxy_multipart::upload(&self.endpoint, &dir_path, local_file, size, &self.multipart, progress)?;
            if upload == Outcome::Uploaded {
                return Ok(());
            }
        }
        self.endpoint.put_file(&self.route("artifacts", &target), local_file, content_type_of(name), progress)
    }

    fn list_artifacts(&self, path: Option<&str>) -> Result<Vec<FileInfo>> {
        let path = normalize_optional(path, "path")?;
        let answer = self.endpoint.get_json("artifacts", &[("path".to_string(), join(&self.root, &path))])?;
        let files = match answer.get("files") {
            None | Some(Value::Null) => return Ok(Vec::new()),
            Some(Value::Array(files)) => files,
            Some(other) => return Err(bad_listing(&self.uri, other)),
        };
        let mut out = Vec::with_capacity(files.len());
        for f in files {
            let name = f.get("path").and_then(Value::as_str).ok_or_else(|| bad_listing(&self.uri, f))?;
            let is_dir = f.get("is_dir").and_then(Value::as_bool).unwrap_or(false);
            let file_size = if is_dir { None } else { f.get("file_size").and_then(Value::as_i64) };
            // The proxy lists bare names; callers get paths relative to the root, as MLflow's
            // client returns them. Names are checked when they are downloaded.
            out.push(FileInfo { path: join(&path, name), is_dir, file_size });
        }
        Ok(out)
    }

    fn download_file(&self, artifact_path: &str, local_file: &Path, progress: &Progress<'_>) -> Result<()> {
        let path = normalize_artifact_path(artifact_path, "artifact_path")?;
        let route = self.route("artifacts", &path);
        download_via_temp(local_file, |out| self.endpoint.get_to_file(&route, out, progress).map(|_| ()))
    }
}

fn bad_listing(uri: &str, what: &Value) -> Error {
    let shown: String = what.to_string().chars().take(200).collect();
    Error::internal(format!("{uri}: the artifact listing is not MLflow's shape ({shown})"))
}

/// The `Content-Type` MLflow's client sends for an upload (guessed from the extension).
fn content_type_of(name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "txt" | "log" | "md" | "py" | "yaml" | "yml" => "text/plain",
        "json" => "application/json",
        "csv" => "text/csv",
        "html" | "htm" => "text/html",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "svg" => "image/svg+xml",
        _ => "application/octet-stream",
    }
}
