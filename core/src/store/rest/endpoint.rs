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

use super::http::HttpClient;
use super::server_url::ServerUrl;
use super::{FailureClass, HttpConfig, HttpFailure, RetryPolicy};
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
            self.http.get_json_raw(path, query, timeout, &self.policy)
        })
    }

    /// `PUT base/<path>` with the content of `local_file` streamed from disk (opened anew for
    /// each attempt).
    pub fn put_file(&self, path: &str, local_file: &Path, content_type: &str) -> Result<()> {
        self.with_retries(&format!("PUT {}", self.http.url_of(path)), |timeout| {
            let file = File::open(local_file).map_err(|e| HttpFailure {
                class: FailureClass::Fatal,
                error: Error::storage(format!("cannot read {}: {e}", local_file.display())),
            })?;
            let mut answer = self.http.send_raw(path, &[], Some((&file, content_type)), timeout, &self.policy)?;
            // Drain the (empty or `{}`) answer so the connection can be reused.
            let _ = answer.body_mut().with_config().limit(1 << 20).read_to_vec();
            Ok(())
        })
    }

    /// `GET base/<path>` streamed into `dst` (emptied before each attempt); returns the bytes written.
    pub fn get_to_file(&self, path: &str, dst: &mut File) -> Result<u64> {
        let what = format!("GET {}", self.http.url_of(path));
        self.with_retries(&what, |timeout| {
            let local = |e: std::io::Error| HttpFailure {
                class: FailureClass::Fatal,
                error: Error::storage(format!("{what}: writing the downloaded file failed: {e}")),
            };
            dst.set_len(0).map_err(local)?;
            dst.seek(SeekFrom::Start(0)).map_err(local)?;
            let answer = self.http.send_raw(path, &[], None, timeout, &self.policy)?;
            let mut body = answer.into_body().into_reader();
            let mut buf = vec![0u8; COPY_BUFFER];
            let mut written = 0u64;
            loop {
                let n = match body.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        return Err(HttpFailure {
                            class: FailureClass::Connection,
                            error: Error::with_code(
                                ErrorKind::Unavailable,
                                "TEMPORARILY_UNAVAILABLE",
                                format!("{what}: the download broke off after {written} bytes: {e}"),
                            )
                            .retryable(),
                        })
                    }
                };
                dst.write_all(&buf[..n]).map_err(local)?;
                written += n as u64;
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
