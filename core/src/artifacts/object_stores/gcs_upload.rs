//! Uploads to GCS through its JSON API, as google-cloud-storage (MLflow's GCS repository) sends
//! them: `uploadType=media` for a file up to [`SINGLE_PUT_LIMIT`](super::SINGLE_PUT_LIMIT), a
//! resumable upload session in [`PART_SIZE`](super::PART_SIZE) chunks above it (each chunk streamed
//! from its range of the file; a failed chunk is retried from what the session says it holds).
//! object_store uploads through GCS's XML API instead, which real GCS serves but the GCS emulators
//! do not (fake-gcs-server has no XML API): with the JSON API the same code is testable here and
//! takes the path MLflow's own client takes. Reads and listings stay with object_store; the
//! bearer token comes from object_store's credential chain.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::time::Duration;

use object_store::gcp::GcpCredentialProvider;
use object_store::path::Path as Key;

use super::StoreHandle;
use crate::artifacts::paths::url_encode_path;
use crate::artifacts::tree::io_error;
use crate::artifacts::Progress;
use crate::error::{Error, ErrorKind, Result};

/// Attempts per request (connection errors, 408/429/5xx), with a doubling pause from 0.5 s.
const ATTEMPTS: u32 = 5;

pub(crate) struct GcsUploader {
    /// `<base>/upload/storage/v1/b/<bucket>/o`.
    upload_url: String,
    credentials: GcpCredentialProvider,
    agent: ureq::Agent,
}

impl std::fmt::Debug for GcsUploader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GcsUploader").field("upload_url", &self.upload_url).finish_non_exhaustive()
    }
}

/// What one attempt came to.
enum Answer {
    /// 2xx: the object is stored.
    Done,
    /// 308 of a resumable session: it holds the bytes before this offset.
    Incomplete(u64),
}

impl GcsUploader {
    pub(crate) fn new(base_url: &str, bucket: &str, credentials: GcpCredentialProvider, timeout: Duration) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            // 308 here is GCS's "resume incomplete", not a redirect.
            .max_redirects(0)
            .timeout_connect(Some(Duration::from_secs(30)))
            .timeout_per_read(Some(timeout))
            .timeout_per_write(Some(timeout))
            .build()
            .new_agent();
        let upload_url = format!("{}/upload/storage/v1/b/{}/o", base_url.trim_end_matches('/'), bucket);
        GcsUploader { upload_url, credentials, agent }
    }

    pub(crate) fn upload(
        &self,
        h: &StoreHandle,
        local_file: &Path,
        key: &Key,
        size: u64,
        progress: &Progress<'_>,
    ) -> Result<()> {
        let doing = format!("uploading {} as {key}", local_file.display());
        let token = h
            .block_on(self.credentials.get_credential())?
            .map_err(|e| h.error(e, &format!("{doing}: getting a token")))?
            .bearer
            .clone();
        let fail = |message: String| Error::new(ErrorKind::Storage, format!("{doing} in {}: {message}", h.name));
        let name = url_encode_path(key.as_ref()).replace('/', "%2F");
        if size <= super::SINGLE_PUT_LIMIT {
            let url = format!("{}?uploadType=media&name={name}", self.upload_url);
            self.with_attempts(&fail, |_| {
                let file = open_range(local_file, 0)?;
                let mut reader = progress.reader(file.take(size));
                let outcome = self.send(&url, &token, &mut reader, size, None);
                if outcome.is_err() {
                    progress.rewind(reader.counted);
                }
                outcome
            })?;
            return Ok(());
        }
        let session = self.start_session(&name, &token, size, &fail)?;
        let mut offset = 0u64;
        while offset < size {
            let from = offset;
            let answer = self.with_attempts(&fail, |attempt| {
                // A retried chunk starts where the session says it stopped.
                let start = if attempt == 0 { from } else { self.held_by(&session, &token, size)? };
                if start >= size {
                    return Ok(Answer::Done);
                }
                let chunk = (super::PART_SIZE as u64).min(size - start);
                let file = open_range(local_file, start)?;
                let mut reader = progress.reader(file.take(chunk));
                let range = format!("bytes {start}-{}/{size}", start + chunk - 1);
                let outcome = self.send(&session, &token, &mut reader, chunk, Some(&range));
                if outcome.is_err() {
                    progress.rewind(reader.counted);
                }
                outcome
            })?;
            offset = match answer {
                Answer::Done => size,
                // A session that made no progress is broken: do not loop on it.
                Answer::Incomplete(held) if held <= from => {
                    return Err(fail(format!("the upload session stopped at byte {held} of {size}")))
                }
                Answer::Incomplete(held) => held,
            };
        }
        Ok(())
    }

    /// Opens a resumable upload session; returns its URL.
    fn start_session(&self, name: &str, token: &str, size: u64, fail: &dyn Fn(String) -> Error) -> Result<String> {
        let url = format!("{}?uploadType=resumable&name={name}", self.upload_url);
        self.with_attempts(fail, |_| {
            let answer = self
                .agent
                .post(&url)
                .header("Authorization", format!("Bearer {token}"))
                .header("X-Upload-Content-Length", size.to_string())
                .header("X-Upload-Content-Type", "application/octet-stream")
                .header("Content-Type", "application/json; charset=UTF-8")
                .send(&b"{}"[..])
                .map_err(|e| Attempt::Retry(format!("starting a resumable upload: {e}")))?;
            let status = answer.status().as_u16();
            if !(200..300).contains(&status) {
                return Err(status_failure(status, answer, "starting a resumable upload"));
            }
            answer
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
                .ok_or_else(|| Attempt::Fatal("the resumable upload answer has no Location".into()))
        })
    }

    /// The offset a session holds up to (asked with `Content-Range: bytes */size`).
    fn held_by(&self, session: &str, token: &str, size: u64) -> std::result::Result<u64, Attempt> {
        let answer = self
            .agent
            .put(session)
            .header("Authorization", format!("Bearer {token}"))
            .header("Content-Range", format!("bytes */{size}"))
            .send(&b""[..])
            .map_err(|e| Attempt::Retry(format!("asking the upload session for its state: {e}")))?;
        match answer.status().as_u16() {
            200 | 201 => Ok(size),
            308 => Ok(held_range(&answer)),
            status => Err(status_failure(status, answer, "asking the upload session for its state")),
        }
    }

    /// One upload request: `POST` of a whole object (`uploadType=media`), or `PUT` of one chunk
    /// of a resumable session (`content_range` given).
    fn send(
        &self,
        url: &str,
        token: &str,
        body: &mut dyn Read,
        len: u64,
        content_range: Option<&str>,
    ) -> std::result::Result<Answer, Attempt> {
        let request = match content_range {
            None => self.agent.post(url),
            Some(range) => self.agent.put(url).header("Content-Range", range),
        };
        let answer = request
            .header("Authorization", format!("Bearer {token}"))
            .header("Content-Type", "application/octet-stream")
            .header("Content-Length", len.to_string())
            .send(ureq::SendBody::from_reader(body))
            .map_err(|e| Attempt::Retry(format!("sending {len} bytes: {e}")))?;
        match answer.status().as_u16() {
            200 | 201 => Ok(Answer::Done),
            308 => Ok(Answer::Incomplete(held_range(&answer))),
            status => Err(status_failure(status, answer, "uploading")),
        }
    }

    /// Runs `attempt(n)` until it succeeds, fails for good, or [`ATTEMPTS`] are spent.
    fn with_attempts<T>(
        &self,
        fail: &dyn Fn(String) -> Error,
        mut attempt: impl FnMut(u32) -> std::result::Result<T, Attempt>,
    ) -> Result<T> {
        let mut pause = Duration::from_millis(500);
        for n in 0..ATTEMPTS {
            match attempt(n) {
                Ok(v) => return Ok(v),
                Err(Attempt::Fatal(message)) => return Err(fail(message)),
                Err(Attempt::Denied(message)) => {
                    return Err(Error::new(ErrorKind::PermissionDenied, fail(message).message().to_string()))
                }
                Err(Attempt::Local(e)) => return Err(e),
                Err(Attempt::Retry(message)) if n + 1 == ATTEMPTS => {
                    return Err(fail(format!("{message} (after {ATTEMPTS} attempts)")))
                }
                Err(Attempt::Retry(_)) => {
                    std::thread::sleep(pause);
                    pause *= 2;
                }
            }
        }
        Err(fail("no attempt was made".into()))
    }
}

/// How an attempt failed.
enum Attempt {
    Retry(String),
    Fatal(String),
    Denied(String),
    Local(Error),
}

impl From<Error> for Attempt {
    fn from(e: Error) -> Self {
        Attempt::Local(e)
    }
}

fn open_range(local_file: &Path, offset: u64) -> std::result::Result<File, Attempt> {
    let mut file = File::open(local_file).map_err(|e| Attempt::Local(io_error(e, "reading", local_file)))?;
    file.seek(SeekFrom::Start(offset)).map_err(|e| Attempt::Local(io_error(e, "reading", local_file)))?;
    Ok(file)
}

/// `Range: bytes=0-N` of a 308 answer → N + 1 (nothing held without the header).
fn held_range(answer: &ureq::http::Response<ureq::Body>) -> u64 {
    answer
        .headers()
        .get("range")
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.strip_prefix("bytes=0-"))
        .and_then(|end| end.trim().parse::<u64>().ok())
        .map_or(0, |end| end + 1)
}

fn status_failure(status: u16, mut answer: ureq::http::Response<ureq::Body>, doing: &str) -> Attempt {
    let body = answer.body_mut().with_config().limit(4096).read_to_string().unwrap_or_default();
    let message = format!("{doing}: HTTP {status}: {}", body.trim());
    match status {
        401 | 403 => Attempt::Denied(message),
        408 | 429 | 500..=599 => Attempt::Retry(message),
        _ => Attempt::Fatal(message),
    }
}
