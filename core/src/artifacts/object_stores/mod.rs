//! Artifacts in cloud object stores — `s3://` (and S3-compatible servers through
//! `MLFLOW_S3_ENDPOINT_URL`), `gs://`, `wasbs://`/`abfss://` — through the `object_store` crate,
//! configured from the environment variables MLflow's own repositories read ([`s3`], [`gcs`],
//! [`azure`]). Keys are laid out as MLflow lays them out: `<prefix>/<artifact path>`.
//!
//! object_store is async; the core is synchronous. Each store comes with its own current-thread
//! tokio runtime, driven by `block_on` on the caller's thread, so no runtime or future ever
//! reaches the API, nothing runs in the background, and a progress callback is called on the
//! caller's thread. A client keeps its stores ([`super::Transports`]), so connections are reused
//! across calls; the runtime must live as long as the store because the connection pool's tasks
//! belong to it.
//!
//! Large files stream in bounded memory: uploads above [`SINGLE_PUT_LIMIT`] go as multipart
//! uploads of [`PART_SIZE`] parts with at most [`PARTS_IN_FLIGHT`] in flight (< 64 MiB), downloads
//! are written chunk by chunk as they arrive. Transient failures are retried by object_store's
//! retry policy (exponential backoff, per request — a failed part is resent alone).

pub(super) mod azure;
pub(super) mod gcs;
mod gcs_upload;
pub(super) mod s3;

use std::fmt;
use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use object_store::path::Path as Key;
use object_store::{ClientOptions, ObjectStore, ObjectStoreExt, PutPayload, RetryConfig, WriteMultipart};

use super::paths::{join, logged_file_name, normalize_artifact_path, normalize_optional};
use super::tree::{download_via_temp, io_error};
use super::{ArtifactRepository, FileInfo, Progress};
use crate::error::{Error, ErrorKind, Result};

/// Files up to this size go up in one request.
const SINGLE_PUT_LIMIT: u64 = 8 << 20;
/// The part size of a multipart upload (S3 wants at least 5 MiB per part but the last).
const PART_SIZE: usize = 8 << 20;
/// Parts uploading at once: memory stays under (PARTS_IN_FLIGHT + 1) × PART_SIZE.
const PARTS_IN_FLIGHT: usize = 4;
/// The block a file is read in while it is uploaded.
const READ_BLOCK: usize = 1 << 20;

/// One configured store (a bucket or container) with the runtime that drives it.
pub(crate) struct StoreHandle {
    /// Always `Some` until drop (taken there to shut it down without blocking).
    runtime: Option<tokio::runtime::Runtime>,
    store: Arc<dyn ObjectStore>,
    /// Credentials and signatures that must never appear in a message.
    secrets: Vec<String>,
    /// What messages call the store (`s3://bucket`, `Azure container c in account a`).
    name: String,
    /// GCS only: uploads through the JSON API (see [`gcs_upload`]).
    gcs_uploader: Option<gcs_upload::GcsUploader>,
}

impl Drop for StoreHandle {
    fn drop(&mut self) {
        // Dropping a runtime waits for its tasks, which tokio forbids inside async code (a Rust
        // program dropping its client there); idle connections need no waiting for.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl fmt::Debug for StoreHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreHandle").field("name", &self.name).finish_non_exhaustive()
    }
}

impl StoreHandle {
    pub(crate) fn new(store: Arc<dyn ObjectStore>, secrets: Vec<String>, name: String) -> Result<StoreHandle> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map_err(|e| Error::internal(format!("cannot start the I/O runtime for {name}: {e}")))?;
        Ok(StoreHandle {
            runtime: Some(runtime),
            store,
            secrets: secrets.into_iter().filter(|s| s.len() >= 4).collect(),
            name,
            gcs_uploader: None,
        })
    }

    /// Runs `future` to completion on the calling thread. Refused (not a panic) when the caller is
    /// itself inside a tokio runtime: a Rust program calling from async code must move the call to
    /// a blocking thread (`spawn_blocking`), as for any blocking I/O.
    fn with_gcs_uploader(mut self, uploader: gcs_upload::GcsUploader) -> StoreHandle {
        self.gcs_uploader = Some(uploader);
        self
    }

    fn block_on<F: std::future::Future>(&self, future: F) -> Result<F::Output> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(Error::new(
                ErrorKind::InvalidState,
                format!(
                    "artifact transfers with {} block the calling thread; call them outside async code \
                     (e.g. from tokio::task::spawn_blocking)",
                    self.name
                ),
            ));
        }
        let runtime = self.runtime.as_ref().expect("the runtime lives until drop");
        Ok(runtime.block_on(future))
    }

    /// An object_store error as a core error naming the store and never a secret.
    fn error(&self, e: object_store::Error, doing: &str) -> Error {
        let kind = match &e {
            object_store::Error::NotFound { .. } => ErrorKind::NotFound,
            object_store::Error::PermissionDenied { .. } | object_store::Error::Unauthenticated { .. } => {
                ErrorKind::PermissionDenied
            }
            object_store::Error::InvalidPath { .. } => ErrorKind::InvalidArgument,
            _ => ErrorKind::Storage,
        };
        let mut message = format!("{doing} in {}: {}", self.name, error_chain(&e));
        for secret in &self.secrets {
            message = message.replace(secret.as_str(), "***");
        }
        Error::new(kind, message)
    }
}

/// An error with its sources, as object_store's messages keep the useful part (the store's
/// answer) in the source chain.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}

/// HTTP settings shared by the three stores: MLflow's request timeout, plain HTTP allowed when
/// the endpoint is `http://` (emulators, S3-compatible servers on a private network).
pub(crate) fn client_options(allow_http: bool) -> Result<ClientOptions> {
    let timeout = request_timeout()?;
    Ok(ClientOptions::new()
        .with_allow_http(allow_http)
        .with_timeout(timeout)
        .with_connect_timeout(Duration::from_secs(30)))
}

/// `MLFLOW_HTTP_REQUEST_TIMEOUT` (120 s): how long one request may take.
pub(crate) fn request_timeout() -> Result<Duration> {
    crate::store::rest::request_timeout(&|name| std::env::var(name).ok())
}

/// How object_store retries a request (connection errors, 5xx, throttling): a handful of times
/// over at most a minute — boto3's default is 5 attempts — so a dead endpoint fails in seconds,
/// not after object_store's own default of 10 retries over 3 minutes.
pub(crate) fn retry_config() -> RetryConfig {
    RetryConfig { max_retries: 4, retry_timeout: Duration::from_secs(60), ..RetryConfig::default() }
}

/// A run's artifacts under a key prefix of an object store.
#[derive(Debug)]
pub struct ObjectStoreRepository {
    uri: String,
    handle: Arc<StoreHandle>,
    /// The key prefix of the repository root (`mlruns/1/<run_id>/artifacts`), no slashes at the ends.
    prefix: String,
}

impl ObjectStoreRepository {
    pub(crate) fn new(uri: &str, handle: Arc<StoreHandle>, prefix: &str) -> Result<ObjectStoreRepository> {
        let prefix = normalize_artifact_path(prefix.trim_matches('/'), "artifact root")?;
        Ok(ObjectStoreRepository { uri: uri.to_string(), handle, prefix })
    }

    fn key(&self, artifact_path: &str) -> Result<Key> {
        let full = join(&self.prefix, artifact_path);
        Key::parse(&full)
            .map_err(|e| Error::invalid(format!("artifact path '{artifact_path}' is not a valid object key: {e}")))
    }

    /// The artifact path (relative to the root) of a key under the root.
    fn relative<'k>(&self, key: &'k Key) -> &'k str {
        let k = key.as_ref();
        if self.prefix.is_empty() {
            return k;
        }
        k.strip_prefix(self.prefix.as_str()).map(|r| r.trim_start_matches('/')).unwrap_or(k)
    }

    fn upload(&self, local_file: &Path, key: &Key, progress: &Progress<'_>) -> Result<()> {
        let h = &self.handle;
        let mut file = File::open(local_file).map_err(|e| io_error(e, "reading", local_file))?;
        let size = file.metadata().map_err(|e| io_error(e, "reading", local_file))?.len();
        if let Some(uploader) = &h.gcs_uploader {
            return uploader.upload(h, local_file, key, size, progress);
        }
        let doing = format!("uploading {} as {key}", local_file.display());
        if size <= SINGLE_PUT_LIMIT {
            let mut bytes = Vec::with_capacity(size as usize);
            progress.reader(&mut file).read_to_end(&mut bytes).map_err(|e| io_error(e, "reading", local_file))?;
            return h.block_on(h.store.put(key, PutPayload::from(bytes)))?.map(|_| ()).map_err(|e| h.error(e, &doing));
        }
        h.block_on(async {
            let upload = h.store.put_multipart(key).await.map_err(|e| h.error(e, &doing))?;
            let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
            let mut block = vec![0u8; READ_BLOCK];
            let sent: Result<()> = async {
                loop {
                    let n = match file.read(&mut block) {
                        Ok(0) => return Ok(()),
                        Ok(n) => n,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(io_error(e, "reading", local_file)),
                    };
                    writer.wait_for_capacity(PARTS_IN_FLIGHT).await.map_err(|e| h.error(e, &doing))?;
                    writer.write(&block[..n]);
                    progress.advance(n as u64);
                }
            }
            .await;
            match sent {
                Ok(()) => writer.finish().await.map(|_| ()).map_err(|e| h.error(e, &doing)),
                Err(e) => {
                    // Parts already stored are dropped rather than left to cost money.
                    let _ = writer.abort().await;
                    Err(e)
                }
            }
        })?
    }
}

impl ArtifactRepository for ObjectStoreRepository {
    fn root_uri(&self) -> &str {
        &self.uri
    }

    fn log_artifact(&self, local_file: &Path, artifact_path: Option<&str>, progress: &Progress<'_>) -> Result<()> {
        let name = logged_file_name(local_file)?;
        let dir = normalize_optional(artifact_path, "artifact_path")?;
        let key = self.key(&join(&dir, &normalize_artifact_path(name, "file name")?))?;
        self.upload(local_file, &key, progress)
    }

    fn log_bytes(&self, bytes: &[u8], artifact_file: &str) -> Result<()> {
        let artifact_file = normalize_artifact_path(artifact_file, "artifact_file")?;
        if artifact_file.is_empty() {
            return Err(Error::invalid("artifact_file is empty; give a file name such as 'notes/summary.txt'"));
        }
        if self.handle.gcs_uploader.is_some() {
            return super::tree::log_bytes_via_file(self, bytes, &artifact_file);
        }
        let key = self.key(&artifact_file)?;
        let h = &self.handle;
        h.block_on(h.store.put(&key, PutPayload::from(bytes.to_vec())))?
            .map(|_| ())
            .map_err(|e| h.error(e, &format!("writing {key}")))
    }

    fn list_artifacts(&self, path: Option<&str>) -> Result<Vec<FileInfo>> {
        let path = normalize_optional(path, "path")?;
        let h = &self.handle;
        let dir = join(&self.prefix, &path);
        let dir_key = if dir.is_empty() { None } else { Some(self.key(&path)?) };
        let listing = h
            .block_on(h.store.list_with_delimiter(dir_key.as_ref()))?
            .map_err(|e| h.error(e, &format!("listing {}", if dir.is_empty() { "/" } else { &dir })))?;
        let mut out = Vec::with_capacity(listing.common_prefixes.len() + listing.objects.len());
        for p in &listing.common_prefixes {
            out.push(FileInfo { path: self.relative(p).to_string(), is_dir: true, file_size: None });
        }
        for o in &listing.objects {
            let rel = self.relative(&o.location);
            // A "directory marker" object (key == the listed prefix) is not an artifact.
            if rel == path || rel.is_empty() {
                continue;
            }
            out.push(FileInfo { path: rel.to_string(), is_dir: false, file_size: Some(o.size as i64) });
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    fn download_file(&self, artifact_path: &str, local_file: &Path, progress: &Progress<'_>) -> Result<()> {
        let path = normalize_artifact_path(artifact_path, "artifact_path")?;
        let key = self.key(&path)?;
        let h = &self.handle;
        let doing = format!("downloading {key}");
        download_via_temp(local_file, |out| {
            h.block_on(async {
                let got = h.store.get(&key).await.map_err(|e| h.error(e, &doing))?;
                progress.discovered(got.meta.size);
                let mut chunks = got.into_stream();
                while let Some(chunk) = chunks.next().await {
                    let chunk = chunk.map_err(|e| h.error(e, &doing))?;
                    out.write_all(&chunk).map_err(|e| io_error(e, "writing", local_file))?;
                    progress.advance(chunk.len() as u64);
                }
                Ok(())
            })?
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::memory::InMemory;

    fn repo(prefix: &str) -> ObjectStoreRepository {
        let handle = StoreHandle::new(Arc::new(InMemory::new()), vec!["hunter2-secret".into()], "memory://t".into());
        ObjectStoreRepository::new("memory://t/root", Arc::new(handle.unwrap()), prefix).unwrap()
    }

    #[test]
    fn files_round_trip_under_the_prefix_with_multipart_for_large_ones() {
        let dir = tempfile::tempdir().unwrap();
        let r = repo("exp/run/artifacts");
        let big = dir.path().join("big.bin");
        let data: Vec<u8> = (0..(SINGLE_PUT_LIMIT as usize + 3 * PART_SIZE / 2)).map(|i| (i % 251) as u8).collect();
        std::fs::write(&big, &data).unwrap();
        r.log_artifact(&big, Some("model"), &Progress::none()).unwrap();
        r.log_bytes(b"hi", "notes/a.txt").unwrap();
        let top = r.list_artifacts(None).unwrap();
        let names: Vec<_> = top.iter().map(|f| (f.path.as_str(), f.is_dir)).collect();
        assert_eq!(names, [("model", true), ("notes", true)]);
        let model = r.list_artifacts(Some("model")).unwrap();
        assert_eq!(model[0].path, "model/big.bin");
        assert_eq!(model[0].file_size, Some(data.len() as i64));
        let out = dir.path().join("down/big.bin");
        std::fs::create_dir_all(out.parent().unwrap()).unwrap();
        r.download_file("model/big.bin", &out, &Progress::none()).unwrap();
        assert!(std::fs::read(&out).unwrap() == data);
        let e = r.download_file("model/missing.bin", &dir.path().join("m"), &Progress::none()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
        assert!(e.message().contains("memory://t"), "names the store: {e}");
    }

    #[test]
    fn calls_from_async_code_are_refused_not_a_panic() {
        let r = repo("p");
        let outer = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let e = outer.block_on(async { r.list_artifacts(None) }).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidState, "{e}");
        assert!(e.message().contains("spawn_blocking"), "{e}");
        outer.block_on(async move { drop(r) }); // and dropping it there is no panic either
    }
}
