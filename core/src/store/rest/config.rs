//! Everything that shapes how the REST store talks to a server, read from MLflow's variables
//! (see the module docs of [`super`]) or built explicitly (tests, embedders).

use std::time::Duration;

use super::auth::Credentials;
use super::retry::RetryPolicy;
use super::tls::TlsSettings;
use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq)]
pub struct HttpConfig {
    pub retry: RetryPolicy,
    /// `MLFLOW_HTTP_REQUEST_TIMEOUT` (120 s): the whole of one attempt (connect, send, answer).
    pub timeout: Duration,
    /// `MLFLOW_ALLOW_HTTP_REDIRECTS` (true).
    pub allow_redirects: bool,
    pub tls: TlsSettings,
    pub credentials: Credentials,
}

impl Default for HttpConfig {
    /// MLflow's defaults, no credentials, verified TLS.
    fn default() -> Self {
        HttpConfig {
            retry: RetryPolicy::default(),
            timeout: Duration::from_secs(120),
            allow_redirects: true,
            tls: TlsSettings::default(),
            credentials: Credentials::None,
        }
    }
}

impl HttpConfig {
    /// From the process environment.
    pub fn from_env() -> Result<HttpConfig> {
        Self::from_lookup(&|name| std::env::var(name).ok())
    }

    /// From any variable source (`lookup(name)` → value); `HOME` locates `~/.mlflow/credentials`.
    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<HttpConfig> {
        let d = HttpConfig::default();
        let retry = RetryPolicy {
            max_retries: parse_num(lookup, "MLFLOW_HTTP_REQUEST_MAX_RETRIES", d.retry.max_retries as f64)
                .and_then(|v| whole(v, "MLFLOW_HTTP_REQUEST_MAX_RETRIES"))?,
            backoff_factor: parse_num(lookup, "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", d.retry.backoff_factor)?,
            backoff_jitter: parse_num(lookup, "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER", d.retry.backoff_jitter)?,
            respect_retry_after: parse_bool(lookup, "MLFLOW_HTTP_RESPECT_RETRY_AFTER_HEADER", true)?,
        };
        retry.validate()?;
        Ok(HttpConfig {
            retry,
            timeout: request_timeout(lookup)?,
            allow_redirects: parse_bool(lookup, "MLFLOW_ALLOW_HTTP_REDIRECTS", true)?,
            tls: TlsSettings::from_lookup(lookup)?,
            credentials: Credentials::from_lookup(lookup),
        })
    }
}

/// `MLFLOW_HTTP_REQUEST_TIMEOUT` (120 s), for every HTTP transport (tracking server, artifact
/// proxy, object stores).
pub(crate) fn request_timeout(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Duration> {
    let timeout = parse_num(lookup, "MLFLOW_HTTP_REQUEST_TIMEOUT", HttpConfig::default().timeout.as_secs_f64())?;
    if !(timeout > 0.0 && timeout < 1e9) {
        return Err(Error::invalid(format!(
            "MLFLOW_HTTP_REQUEST_TIMEOUT={timeout} must be a positive number of seconds"
        )));
    }
    Ok(Duration::from_secs_f64(timeout))
}

fn parse_num(lookup: &dyn Fn(&str) -> Option<String>, name: &str, default: f64) -> Result<f64> {
    match lookup(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty()) {
        None => Ok(default),
        Some(v) => match v.parse::<f64>() {
            Ok(n) if n.is_finite() && n >= 0.0 => Ok(n),
            _ => Err(Error::invalid(format!("{name}='{v}' is not a non-negative number"))),
        },
    }
}

fn whole(v: f64, name: &str) -> Result<u32> {
    if v.fract() != 0.0 || v > u32::MAX as f64 {
        return Err(Error::invalid(format!("{name}={v} must be a whole number")));
    }
    Ok(v as u32)
}

/// MLflow's boolean variables: `true`/`false`/`1`/`0`, any case; anything else is an error.
pub(crate) fn parse_bool(lookup: &dyn Fn(&str) -> Option<String>, name: &str, default: bool) -> Result<bool> {
    match lookup(name).map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(default),
        Some(v) if v.is_empty() => Ok(default),
        Some(v) if v == "true" || v == "1" => Ok(true),
        Some(v) if v == "false" || v == "0" => Ok(false),
        Some(v) => Err(Error::invalid(format!("{name}='{v}' must be one of true, false, 1, 0"))),
    }
}
