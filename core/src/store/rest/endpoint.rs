//! Plain HTTP transfers under one base URL with the REST store's settings (credentials, TLS,
//! timeout, MLflow's retry policy): the transport of the tracking server's artifact proxy.
//! Bodies stream — an upload is read from its file as it is sent, a download is written to its
//! file as it arrives — so a file of any size passes in bounded memory.

use std::fmt;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use super::http::{HttpClient, RawBody};
use super::server_url::ServerUrl;
use super::{FailureClass, HttpConfig, HttpFailure, RetryPolicy};
use crate::artifacts::Progress;
use crate::error::{Error, ErrorKind, Result};

/// Size of the buffer a download is copied through.
const COPY_BUFFER: usize = 256 * 1024;

pub struct HttpEndpoint {
    http: HttpClient,
    policy: RetryPolicy,
    timeout: Duration,
}

impl fmt::Debug for HttpEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpEndpoint").field("base_url", &self.http.base()).finish_non_exhaustive()
    }
}

impl HttpEndpoint {
    /// An endpoint at `base` (`http(s)://[user:password@]host[:port][/path]`; credentials in it
    /// are basic auth and never printed).
    pub fn new(base: &str, config: HttpConfig) -> Result<HttpEndpoint> {
        config.retry.validate()?;
        let url = ServerUrl::parse(base)?;
        Ok(HttpEndpoint { http: HttpClient::new(url, &config)?, policy: config.retry, timeout: config.timeout })
    }

    /// The base URL without credentials.
    pub fn base_url(&self) -> &str {
        self.http.base()
    }

    /// `GET base/<path>?query` answered with a JSON object.
    pub fn get_json(&self, path: &str, query: &[(String, String)]) -> Result<Value> {
        self.with_retries(&format!("GET {}", self.http.url_of(path)), |timeout| {
            self.http.json_raw(path, query, RawBody::None, timeout, &self.policy)
        })
    }

    /// `POST base/<path>` with a JSON body, answered with a JSON object.
    pub fn post_json(&self, path: &str, body: &Value) -> Result<Value> {
        let json = serde_json::to_vec(body).map_err(|e| Error::internal(format!("cannot encode a request: {e}")))?;
        self.with_retries(&format!("POST {}", self.http.url_of(path)), |timeout| {
            self.http.json_raw(path, &[], RawBody::Json(json.clone()), timeout, &self.policy)
        })
    }

    /// `PUT base/<path>` with the content of `local_file` streamed from disk (opened anew for
    /// each attempt), its bytes counted in `progress`.
    pub fn put_file(&self, path: &str, local_file: &Path, content_type: &str, progress: &Progress<'_>) -> Result<()> {
        self.with_retries(&format!("PUT {}", self.http.url_of(path)), |timeout| {
            let (file, len) = open_for_upload(local_file)?;
            let mut reader = progress.reader(file);
            let body = RawBody::Upload { body: &mut reader, len, content_type };
            match self.http.send_raw(path, &[], body, timeout, &self.policy) {
                Ok(mut answer) => {
                    // Drain the (empty or `{}`) answer so the connection can be reused.
                    let _ = answer.body_mut().with_config().limit(1 << 20).read_to_vec();
                    Ok(())
                }
                Err(failure) => {
                    progress.rewind(reader.counted);
                    Err(failure)
                }
            }
        })
    }

    /// `PUT` of `len` bytes of `local_file` from `offset` to a presigned object-store URL (see
    /// [`HttpClient::put_presigned`]), retried by MLflow's policy; `counted` hears every byte
    /// sent (and a negative count when a failed attempt's bytes are taken back). Returns the ETag.
    #[allow(clippy::too_many_arguments)]
    pub fn put_presigned_range(
        &self,
        url: &str,
        headers: &[(String, String)],
        local_file: &Path,
        offset: u64,
        len: u64,
        counted: &dyn Fn(i64),
    ) -> Result<String> {
        let shown = url.split('?').next().unwrap_or(url);
        self.with_retries(&format!("PUT {shown}"), |timeout| {
            let (mut file, _) = open_for_upload(local_file)?;
            file.seek(SeekFrom::Start(offset)).map_err(|e| local_read_failure(local_file, e))?;
            let mut sent = 0u64;
            let mut part = ReportingReader { inner: file.take(len), sent: &mut sent, counted };
            let outcome = self.http.put_presigned(url, headers, &mut part, len, timeout, &self.policy);
            if outcome.is_err() {
                counted(-(sent as i64));
            }
            outcome
        })
    }

    /// `GET base/<path>` streamed into `dst` (fresh; emptied again before a retry), its size (from
    /// Content-Length) and bytes counted in `progress`; returns the bytes written.
    pub fn get_to_file(&self, path: &str, dst: &mut File, progress: &Progress<'_>) -> Result<u64> {
        let what = format!("GET {}", self.http.url_of(path));
        let mut answered_before = false;
        self.with_retries(&what, |timeout| {
            let local = |e: std::io::Error| HttpFailure {
                class: FailureClass::Fatal,
                error: Error::storage(format!("{what}: writing the downloaded file failed: {e}")),
            };
            if answered_before {
                // A retry starts the file over. (Not on the first attempt: truncating a fresh file
                // makes ext4 flush it at close, ~6% of a download's time.)
                dst.set_len(0).map_err(local)?;
                dst.seek(SeekFrom::Start(0)).map_err(local)?;
            }
            let answer = self.http.send_raw(path, &[], RawBody::None, timeout, &self.policy)?;
            if !answered_before {
                answered_before = true;
                let length = answer.headers().get("content-length").and_then(|v| v.to_str().ok());
                if let Some(length) = length.and_then(|v| v.parse::<u64>().ok()) {
                    progress.discovered(length);
                }
            }
            let mut body = answer.into_body().into_reader();
            let mut buf = vec![0u8; COPY_BUFFER];
            let mut written = 0u64;
            loop {
                let n = match body.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        progress.rewind(written);
                        return Err(HttpFailure {
                            class: FailureClass::Connection,
                            error: Error::with_code(
                                ErrorKind::Unavailable,
                                "TEMPORARILY_UNAVAILABLE",
                                format!("{what}: the download broke off after {written} bytes: {e}"),
                            )
                            .retryable(),
                        });
                    }
                };
                if let Err(e) = dst.write_all(&buf[..n]) {
                    progress.rewind(written);
                    return Err(local(e));
                }
                written += n as u64;
                progress.advance(n as u64);
            }
            dst.flush().map_err(local)?;
            Ok(written)
        })
    }

    /// MLflow's retry policy around one attempt (`attempt(timeout)`).
    fn with_retries<T>(
        &self,
        what: &str,
        mut attempt: impl FnMut(Duration) -> std::result::Result<T, HttpFailure>,
    ) -> Result<T> {
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            let failure = match attempt(self.timeout) {
                Ok(v) => return Ok(v),
                Err(f) => f,
            };
            match self.policy.after_failure(attempts, failure) {
                Ok(wait) => std::thread::sleep(wait),
                Err((error, false)) => return Err(error),
                Err((error, true)) => {
                    return Err(Error::with_code(
                        ErrorKind::Unavailable,
                        "TEMPORARILY_UNAVAILABLE",
                        format!(
                            "{what} failed after {attempts} attempt(s) ({} retries allowed by \
                             MLFLOW_HTTP_REQUEST_MAX_RETRIES); last error: {}",
                            self.policy.max_retries,
                            error.message()
                        ),
                    )
                    .retryable())
                }
            }
        }
    }
}

/// A local file to upload and its length; a failure to read it is not worth retrying.
fn open_for_upload(local_file: &Path) -> std::result::Result<(File, u64), HttpFailure> {
    let file = File::open(local_file).map_err(|e| local_read_failure(local_file, e))?;
    let len = file.metadata().map_err(|e| local_read_failure(local_file, e))?.len();
    Ok((file, len))
}

fn local_read_failure(local_file: &Path, e: std::io::Error) -> HttpFailure {
    HttpFailure {
        class: FailureClass::Fatal,
        error: Error::storage(format!("cannot read {}: {e}", local_file.display())),
    }
}

/// A part's reader telling `counted` of every block sent (it runs on a worker thread: the
/// caller's [`Progress`] hears of it through `counted`).
struct ReportingReader<'a, R> {
    inner: R,
    sent: &'a mut u64,
    counted: &'a dyn Fn(i64),
}

impl<R: Read> Read for ReportingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        *self.sent += n as u64;
        (self.counted)(n as i64);
        Ok(n)
    }
}
