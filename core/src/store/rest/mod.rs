//! MLflow's tracking server over REST: [`RestStore`] implements every [`TrackingStore`](crate::store::TrackingStore)
//! operation with MLflow's endpoints and request shapes (`/api/2.0/mlflow/...`), and offers the
//! spool's delivery one classified attempt ([`RestStore::send_once`]) or a call under MLflow's
//! retry policy ([`RestStore::call`]).
//!
//! # Configuration (read by [`RestStore::new`] through [`HttpConfig::from_env`])
//!
//! | variable | default | effect |
//! |---|---|---|
//! | `MLFLOW_HTTP_REQUEST_MAX_RETRIES` | 7 | retries after the first attempt (at most 10) |
//! | `MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR` | 2 | wait before retry *n* ≥ 2: factor·2^(n-1) s (+ jitter), at most 120 s |
//! | `MLFLOW_HTTP_REQUEST_BACKOFF_JITTER` | 1.0 | uniform random seconds added to each backoff |
//! | `MLFLOW_HTTP_REQUEST_TIMEOUT` | 120 | seconds one attempt may take in all (fractions accepted) |
//! | `MLFLOW_HTTP_RESPECT_RETRY_AFTER_HEADER` | true | wait as the server's `Retry-After` says on 413/429/503 (capped at 120 s) |
//! | `MLFLOW_ALLOW_HTTP_REDIRECTS` | true | follow redirects (credentials kept on the same host only) |
//! | `MLFLOW_TRACKING_USERNAME`, `MLFLOW_TRACKING_PASSWORD` | | basic auth; each falls back to `~/.mlflow/credentials` (`[mlflow]` `mlflow_tracking_username` / `mlflow_tracking_password`) |
//! | `MLFLOW_TRACKING_TOKEN` | | bearer token, used only when basic credentials are not complete |
//! | `MLFLOW_TRACKING_SERVER_CERT_PATH` | | PEM CA bundle to verify the server against (instead of the built-in roots); `REQUESTS_CA_BUNDLE` too |
//! | `MLFLOW_TRACKING_INSECURE_TLS` | false | skip certificate verification (error together with a CA path) |
//! | `MLFLOW_TRACKING_CLIENT_CERT_PATH` | | PEM with the client certificate (and key) for mutual TLS |
//! | `MLFLOW_TRACKING_CLIENT_KEY_PATH` | | libmlflow extension: the client key when it is in its own PEM file |
//! | `HTTP_PROXY`, `HTTPS_PROXY`, `NO_PROXY` | | proxies, as `requests` uses them |
//!
//! `user:password@` in the tracking URI is basic auth too (complete environment credentials win).
//!
//! # Errors
//! MLflow's JSON error answers keep their `error_code` and message (kind from the code, see
//! `error_map`). Connection failures and MLflow's retry statuses (408, 429, 500, 502, 503, 504)
//! are retried; when the retry budget is spent [`RestStore::call`] returns
//! [`ErrorKind::Unavailable`] saying what was tried, how often, and the last cause. Other answers
//! are returned at once. Messages name the method and URL, never credentials: the base URL is
//! stored without userinfo and the `Authorization` value is never formatted.

mod auth;
mod config;
mod endpoint;
mod error_map;
mod http;
mod logged_models;
mod registry;
mod retry;
mod server_url;
mod tls;
mod tracking;

use std::fmt;
use std::time::{Duration, Instant};

use serde_json::Value;

pub use auth::Credentials;
pub use config::HttpConfig;
pub(crate) use config::{parse_bool, request_timeout};
pub use endpoint::HttpEndpoint;
pub use retry::{parse_retry_after, RetryPolicy};
pub use tls::TlsSettings;

use crate::error::{Error, ErrorKind, Result};
use http::HttpClient;
use server_url::ServerUrl;

/// HTTP methods MLflow's REST API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Patch,
    Delete,
}

/// One REST call: `endpoint` is relative to `/api/2.0/mlflow/` (e.g. "runs/log-batch").
#[derive(Debug, Clone)]
pub struct ApiRequest {
    pub method: Method,
    pub endpoint: String,
    pub query: Vec<(String, String)>,
    pub body: Option<Value>,
}

impl ApiRequest {
    pub fn post(endpoint: &str, body: Value) -> Self {
        ApiRequest { method: Method::Post, endpoint: endpoint.into(), query: Vec::new(), body: Some(body) }
    }

    pub fn get(endpoint: &str, query: Vec<(String, String)>) -> Self {
        ApiRequest { method: Method::Get, endpoint: endpoint.into(), query, body: None }
    }

    /// MLflow's DELETE endpoints read their parameters from a JSON body.
    pub fn delete(endpoint: &str, body: Value) -> Self {
        ApiRequest { method: Method::Delete, endpoint: endpoint.into(), query: Vec::new(), body: Some(body) }
    }

    pub fn patch(endpoint: &str, body: Value) -> Self {
        ApiRequest { method: Method::Patch, endpoint: endpoint.into(), query: Vec::new(), body: Some(body) }
    }
}

/// How a failed attempt may be retried.
#[derive(Debug, Clone, PartialEq)]
pub enum FailureClass {
    /// Refused, reset, timed out, truncated: the server may come back.
    Connection,
    /// One of MLflow's retry statuses (408, 429, 500, 502, 503, 504; 413 with `Retry-After`).
    /// `retry_after` is the server's wait when the policy honours it.
    RetryableStatus { status: u16, retry_after: Option<Duration> },
    /// Anything else: retrying would give the same answer.
    Fatal,
}

#[derive(Debug, Clone)]
pub struct HttpFailure {
    pub class: FailureClass,
    pub error: Error,
}

/// A tracking server. Cheap to share: one keep-alive connection pool serves every thread.
pub struct RestStore {
    http: HttpClient,
    policy: RetryPolicy,
    timeout: Duration,
}

impl fmt::Debug for RestStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RestStore")
            .field("base_url", &self.http.base())
            .field("policy", &self.policy)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl RestStore {
    /// A store for `tracking_uri` (`http(s)://[user:password@]host[:port][/prefix]`) configured
    /// from the environment (module docs). A malformed URI or setting is an `InvalidArgument`.
    pub fn new(tracking_uri: &str) -> Result<RestStore> {
        let url = ServerUrl::parse(tracking_uri)?;
        Self::build(url, HttpConfig::from_env()?)
    }

    /// A store with explicit settings (nothing read from the environment).
    pub fn with_config(tracking_uri: &str, config: HttpConfig) -> Result<RestStore> {
        Self::build(ServerUrl::parse(tracking_uri)?, config)
    }

    fn build(url: ServerUrl, config: HttpConfig) -> Result<RestStore> {
        config.retry.validate()?;
        if config.timeout.is_zero() {
            return Err(Error::invalid("the HTTP request timeout must be positive"));
        }
        let http = HttpClient::new(url, &config)?;
        Ok(RestStore { http, policy: config.retry, timeout: config.timeout })
    }

    /// The server's base URL without credentials (for messages).
    pub fn base_url(&self) -> &str {
        self.http.base()
    }

    /// One attempt, classified for the caller's own retry loop.
    pub fn send_once(&self, req: &ApiRequest) -> std::result::Result<Value, HttpFailure> {
        self.http.send(req, self.timeout, &self.policy)
    }

    /// One attempt that takes at most `timeout` (and never longer than the configured timeout).
    pub fn send_once_within(&self, req: &ApiRequest, timeout: Duration) -> std::result::Result<Value, HttpFailure> {
        self.http.send(req, timeout.min(self.timeout), &self.policy)
    }

    /// MLflow's retry policy around `send_once`.
    pub fn call(&self, req: &ApiRequest) -> Result<Value> {
        self.call_until(req, None)
    }

    /// Like [`call`](Self::call), but no attempt or wait goes past `deadline` (when given).
    pub(crate) fn call_until(&self, req: &ApiRequest, deadline: Option<Instant>) -> Result<Value> {
        let mut attempts = 0u32;
        loop {
            let timeout = match deadline {
                Some(d) => match d.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => left.min(self.timeout),
                    _ => return Err(self.deadline_error(req, attempts, None)),
                },
                None => self.timeout,
            };
            attempts += 1;
            let failure = match self.http.send(req, timeout, &self.policy) {
                Ok(v) => return Ok(v),
                Err(f) => f,
            };
            let last = failure.error.clone();
            let wait = match self.policy.after_failure(attempts, failure) {
                Ok(wait) => wait,
                Err((error, false)) => return Err(error),
                Err((error, true)) => return Err(self.exhausted_error(req, attempts, error)),
            };
            if let Some(d) = deadline {
                if Instant::now() + wait >= d {
                    return Err(self.deadline_error(req, attempts, Some(last)));
                }
            }
            std::thread::sleep(wait);
        }
    }

    /// The delay before retry number `retry` (1-based) of a retryable failure.
    pub fn retry_delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        self.policy.delay(retry, retry_after)
    }

    /// How many retries MLflow's policy allows (MLFLOW_HTTP_REQUEST_MAX_RETRIES).
    pub fn max_retries(&self) -> u32 {
        self.policy.max_retries
    }

    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// The per-attempt timeout (MLFLOW_HTTP_REQUEST_TIMEOUT).
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    fn exhausted_error(&self, req: &ApiRequest, attempts: u32, last: Error) -> Error {
        let code = if last.kind() == ErrorKind::Unavailable { last.mlflow_code() } else { "TEMPORARILY_UNAVAILABLE" };
        let last = describe_last(&last, code);
        Error::with_code(
            ErrorKind::Unavailable,
            code,
            format!(
                "{} failed after {attempts} attempt(s) ({} retries allowed by MLFLOW_HTTP_REQUEST_MAX_RETRIES); \
                 last error: {}",
                self.http.describe(req),
                self.policy.max_retries,
                last
            ),
        )
        .retryable()
    }

    fn deadline_error(&self, req: &ApiRequest, attempts: u32, last: Option<Error>) -> Error {
        let last =
            last.map(|e| format!("; last error: {}", describe_last(&e, "DEADLINE_EXCEEDED"))).unwrap_or_default();
        Error::with_code(
            ErrorKind::Unavailable,
            "DEADLINE_EXCEEDED",
            format!(
                "{} did not succeed within the time allowed ({attempts} attempt(s)){last}",
                self.http.describe(req)
            ),
        )
        .retryable()
    }
}

/// The last error's message, with its code when the wrapping error carries another one.
fn describe_last(last: &Error, outer_code: &str) -> String {
    if last.mlflow_code() == outer_code {
        last.message().to_string()
    } else {
        last.to_string()
    }
}
