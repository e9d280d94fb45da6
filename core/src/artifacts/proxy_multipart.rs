//! Multipart upload through the tracking server's artifact proxy, as MLflow's
//! `HttpArtifactRepository` does it when `MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD` is set and a file
//! is at least `MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE`: `POST mpu/create/<dir>` asks the
//! server's store (S3, GCS, Azure) for one presigned URL per `MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE`
//! part, the parts go straight to the store (several at once, each streamed from its range of
//! the file and retried alone), then `POST mpu/complete/<dir>` joins them — or `mpu/abort` drops
//! them if any part failed. A store without multipart uploads answers create with MLflow's
//! "not supported" message and the file goes up in one `PUT` instead.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{json, Value};

use super::Progress;
use crate::error::{Error, Result};
use crate::store::rest::HttpEndpoint;

/// How MLflow's server says its store has no multipart uploads (the start of the message).
const UNSUPPORTED: &str = "Multipart upload is not supported for the current artifact repository";

/// Parts in flight at once (MLflow uses its artifact thread pool).
const PARALLEL_PARTS: usize = 4;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct MultipartSettings {
    /// `MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD` (false).
    pub enabled: bool,
    /// `MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE` (500 MiB).
    pub min_size: u64,
    /// `MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE` (10 MiB).
    pub chunk_size: u64,
}

impl MultipartSettings {
    pub fn from_env() -> Result<MultipartSettings> {
        let lookup = |name: &str| std::env::var(name).ok();
        let enabled = crate::store::rest::parse_bool(&lookup, "MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", false)?;
        let bytes = |name: &str, default: u64| -> Result<u64> {
            match lookup(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty()) {
                None => Ok(default),
                Some(v) => v
                    .parse::<u64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| Error::invalid(format!("{name}='{v}' is not a positive number of bytes"))),
            }
        };
        Ok(MultipartSettings {
            enabled,
            min_size: bytes("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", 500 << 20)?,
            chunk_size: bytes("MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", 10 << 20)?,
        })
    }

    pub fn applies_to(&self, size: u64) -> bool {
        self.enabled && size >= self.min_size
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    Uploaded,
    /// The server's store has no multipart uploads: send the file in one request.
    Unsupported,
}

/// One presigned part URL the server handed out.
struct PartTarget {
    part_number: i64,
    url: String,
    headers: Vec<(String, String)>,
}

/// What the part workers tell the calling thread.
enum PartNews {
    Bytes(i64),
    Done { part_number: i64, etag: String, url: String },
    Failed(Error),
}

/// Uploads `local_file` (`size` bytes) into the directory `dir_path` (URL-encoded, under the
/// server's artifact destination) in parts.
pub(super) fn upload(
    endpoint: &HttpEndpoint,
    dir_path: &str,
    local_file: &Path,
    size: u64,
    settings: &MultipartSettings,
    progress: &Progress<'_>,
) -> Result<Outcome> {
    let local =
        local_file.to_str().ok_or_else(|| Error::invalid(format!("{} is not a UTF-8 path", local_file.display())))?;
    let num_parts = size.div_ceil(settings.chunk_size).max(1);
    let create = match endpoint.post_json(&route("create", dir_path), &json!({"path": local, "num_parts": num_parts})) {
        Ok(answer) => answer,
        Err(e) if e.message().contains(UNSUPPORTED) => return Ok(Outcome::Unsupported),
        Err(e) => return Err(e),
    };
    let (upload_id, targets) = parse_create(&create, num_parts)?;
    progress.discovered(size);
    let outcome = send_parts(endpoint, local_file, size, settings.chunk_size, &targets, progress).and_then(|parts| {
        let body = json!({"path": local, "upload_id": upload_id, "parts": parts});
        endpoint.post_json(&route("complete", dir_path), &body).map(|_| ())
    });
    match outcome {
        Ok(()) => Ok(Outcome::Uploaded),
        Err(e) => {
            // The parts already stored cost money in a real bucket until aborted.
            let _ = endpoint.post_json(&route("abort", dir_path), &json!({"path": local, "upload_id": upload_id}));
            Err(e)
        }
    }
}

fn route(op: &str, dir_path: &str) -> String {
    match dir_path {
        "" => format!("mpu/{op}"),
        dir => format!("mpu/{op}/{dir}"),
    }
}

fn parse_create(answer: &Value, num_parts: u64) -> Result<(Value, Vec<PartTarget>)> {
    let bad = || {
        let shown: String = answer.to_string().chars().take(300).collect();
        Error::internal(format!("the server's answer to a multipart upload is not MLflow's shape: {shown}"))
    };
    // Azure has no upload id (its parts are blocks named in their URLs): MLflow then sends null.
    let upload_id = answer.get("upload_id").cloned().filter(Value::is_string).unwrap_or(Value::Null);
    let credentials = answer.get("credentials").and_then(Value::as_array).ok_or_else(bad)?;
    let mut targets = Vec::with_capacity(credentials.len());
    for c in credentials {
        let part_number = c.get("part_number").and_then(|p| p.as_i64().or_else(|| p.as_str()?.parse().ok()));
        let url = c.get("url").and_then(Value::as_str);
        let (Some(part_number), Some(url)) = (part_number, url) else { return Err(bad()) };
        let headers = match c.get("headers") {
            Some(Value::Object(map)) => {
                map.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect()
            }
            _ => Vec::new(),
        };
        targets.push(PartTarget { part_number, url: url.to_string(), headers });
    }
    if targets.len() as u64 != num_parts
        || targets.iter().any(|t| t.part_number < 1 || t.part_number as u64 > num_parts)
    {
        return Err(bad());
    }
    Ok((upload_id, targets))
}

/// Sends every part (`PARALLEL_PARTS` at a time); returns MLflow's `parts` list in part order.
fn send_parts(
    endpoint: &HttpEndpoint,
    local_file: &Path,
    size: u64,
    chunk_size: u64,
    targets: &[PartTarget],
    progress: &Progress<'_>,
) -> Result<Vec<Value>> {
    let (work_tx, work_rx) = crossbeam_channel::unbounded::<&PartTarget>();
    for t in targets {
        let _ = work_tx.send(t);
    }
    drop(work_tx);
    let (news_tx, news_rx) = crossbeam_channel::unbounded::<PartNews>();
    let stop = AtomicBool::new(false);
    let mut parts: Vec<(i64, Value)> = Vec::with_capacity(targets.len());
    let mut failure = None;
    std::thread::scope(|scope| {
        for _ in 0..PARALLEL_PARTS.min(targets.len()) {
            let (work_rx, news_tx, stop) = (work_rx.clone(), news_tx.clone(), &stop);
            scope.spawn(move || {
                while let Ok(target) = work_rx.recv() {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let offset = (target.part_number as u64 - 1) * chunk_size;
                    let len = chunk_size.min(size.saturating_sub(offset));
                    let counted = |n: i64| {
                        let _ = news_tx.send(PartNews::Bytes(n));
                    };
                    let news = match endpoint.put_presigned_range(
                        &target.url,
                        &target.headers,
                        local_file,
                        offset,
                        len,
                        &counted,
                    ) {
                        Ok(etag) => PartNews::Done { part_number: target.part_number, etag, url: target.url.clone() },
                        Err(e) => PartNews::Failed(e),
                    };
                    let _ = news_tx.send(news);
                }
            });
        }
        drop(news_tx);
        // The calling thread owns `progress` (its callback may only run here).
        for news in news_rx.iter() {
            match news {
                PartNews::Bytes(n) if n >= 0 => progress.advance(n as u64),
                PartNews::Bytes(n) => progress.rewind(n.unsigned_abs()),
                PartNews::Done { part_number, etag, url } => {
                    parts.push((part_number, json!({"part_number": part_number, "etag": etag, "url": url})))
                }
                PartNews::Failed(e) => {
                    stop.store(true, Ordering::Relaxed);
                    failure.get_or_insert(e);
                }
            }
        }
    });
    if let Some(e) = failure {
        return Err(Error::new(
            e.kind(),
            format!("uploading {} in parts failed (the upload was aborted): {}", local_file.display(), e.message()),
        ));
    }
    parts.sort_by_key(|(n, _)| *n);
    Ok(parts.into_iter().map(|(_, v)| v).collect())
}
