//! Artifacts through a tracking server's artifact proxy (`mlflow server --serve-artifacts`),
//! MLflow's `HttpArtifactRepository` (compat sheet §3.4.3): `PUT`/`GET
//! /api/2.0/mlflow-artifacts/artifacts/<path>` move one file, `GET
//! /api/2.0/mlflow-artifacts/artifacts?path=<dir>` lists one level (bare names).

use std::path::Path;

use serde_json::Value;

use super::paths::{join, logged_file_name, normalize_artifact_path, normalize_optional, url_encode_path};
use super::tree::write_via_temp;
use super::{ArtifactRepository, FileInfo};
use crate::error::{Error, Result};
use crate::store::rest::{HttpConfig, HttpEndpoint};

/// The route the proxy serves files under, relative to the server's base URL.
pub const ARTIFACTS_ROUTE: &str = "api/2.0/mlflow-artifacts/artifacts";

#[derive(Debug)]
pub struct ProxyArtifactRepository {
    uri: String,
    /// `<server>/api/2.0/mlflow-artifacts/artifacts`.
    endpoint: HttpEndpoint,
    /// The repository's root under the server's artifact destination (`1/<run_id>/artifacts`).
    root: String,
}

impl ProxyArtifactRepository {
    /// `server` is the server's base URL (`http(s)://[user:pw@]host:port[/prefix]`), `root` the
    /// path under its artifact destination; `uri` is what messages name.
    pub fn new(uri: &str, server: &str, root: &str, config: HttpConfig) -> Result<ProxyArtifactRepository> {
        let root = normalize_artifact_path(root.trim_start_matches('/'), "artifact root")?;
        let endpoint = HttpEndpoint::new(&format!("{}/{ARTIFACTS_ROUTE}", server.trim_end_matches('/')), config)?;
        Ok(ProxyArtifactRepository { uri: uri.to_string(), endpoint, root })
    }

    fn route(&self, artifact_path: &str) -> String {
        url_encode_path(&join(&self.root, artifact_path))
    }
}

impl ArtifactRepository for ProxyArtifactRepository {
    fn root_uri(&self) -> &str {
        &self.uri
    }

    fn log_artifact(&self, local_file: &Path, artifact_path: Option<&str>) -> Result<()> {
        let name = logged_file_name(local_file)?;
        let dir = normalize_optional(artifact_path, "artifact_path")?;
        let target = join(&dir, &normalize_artifact_path(name, "file name")?);
        self.endpoint.put_file(&self.route(&target), local_file, content_type_of(name))
    }

    fn list_artifacts(&self, path: Option<&str>) -> Result<Vec<FileInfo>> {
        let path = normalize_optional(path, "path")?;
        let answer = self.endpoint.get_json("", &[("path".to_string(), join(&self.root, &path))])?;
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

    fn download_file(&self, artifact_path: &str, local_file: &Path) -> Result<()> {
        let path = normalize_artifact_path(artifact_path, "artifact_path")?;
        let route = self.route(&path);
        write_via_temp(local_file, |out| self.endpoint.get_to_file(&route, out).map(|_| ()))
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
