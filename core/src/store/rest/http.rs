//! One HTTP exchange with the tracking server, MLflow's way (compat sheet §3.1): JSON bodies with
//! `Content-Type: application/json` (DELETE included), GET parameters in the query string with
//! repeated keys for lists, an empty 200 body meaning `{}`. Every outcome is classified for
//! retrying ([`FailureClass`]). One `ureq::Agent` holds the keep-alive pool, shared by threads.

use std::fmt;
use std::time::Duration;

use serde_json::Value;
use ureq::config::RedirectAuthHeaders;

use super::config::HttpConfig;
use super::error_map::{describe_body, error_from_answer};
use super::retry::RetryPolicy;
use super::server_url::ServerUrl;
use super::{ApiRequest, FailureClass, HttpFailure, Method};
use crate::error::{Error, ErrorKind, Result};

/// Largest answer read (a search page of 50,000 runs with their data can be tens of MB).
const MAX_ANSWER_BYTES: u64 = 1 << 30;

pub(crate) struct HttpClient {
    agent: ureq::Agent,
    url: ServerUrl,
    /// The `Authorization` header value; never printed.
    authorization: Option<String>,
    user_agent: String,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("base_url", &self.url.base())
            .field("authorization", &self.authorization.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl HttpClient {
    pub fn new(url: ServerUrl, config: &HttpConfig) -> Result<HttpClient> {
        let credentials = config.credentials.clone().with_uri_userinfo(url.userinfo.clone());
        let agent_config = ureq::Agent::config_builder()
            // Every status comes back as an answer: classification is ours.
            .http_status_as_error(false)
            .tls_config(config.tls.to_ureq()?)
            .max_redirects(if config.allow_redirects { 10 } else { 0 })
            .max_redirects_will_error(false)
            // `requests` keeps auth on redirects within the same host, drops it elsewhere.
            .redirect_auth_headers(RedirectAuthHeaders::SameHost)
            .timeout_global(Some(config.timeout))
            // No gzip feature compiled in: ask for the plain body.
            .accept_encoding("identity")
            .accept("application/json")
            .user_agent(format!("libmlflow/{}", env!("CARGO_PKG_VERSION")))
            .max_idle_connections_per_host(16)
            // uvicorn (mlflow server) closes idle keep-alive connections after 5 s; ureq probes a
            // pooled connection before reuse, and retiring it a little earlier narrows the race
            // where the server closes it just as a request goes out.
            .max_idle_age(Duration::from_secs(4))
            .build();
        Ok(HttpClient {
            agent: agent_config.new_agent(),
            url,
            authorization: credentials.header_value(),
            user_agent: format!("libmlflow/{}", env!("CARGO_PKG_VERSION")),
        })
    }

    pub fn base(&self) -> &str {
        self.url.base()
    }

    /// `METHOD url` of a request, for messages (no query string, no credentials).
    pub fn describe(&self, req: &ApiRequest) -> String {
        format!("{} {}", req.method.as_str(), self.url.endpoint_url(&req.endpoint))
    }

    /// One attempt bounded by `timeout` as a whole, classified.
    pub fn send(&self, req: &ApiRequest, timeout: Duration, policy: &RetryPolicy) -> Result<Value, HttpFailure> {
        let what = self.describe(req);
        let url = self.url.endpoint_url(&req.endpoint);
        let body = match &req.body {
            Some(v) => Some(serde_json::to_vec(v).map_err(|e| HttpFailure {
                class: FailureClass::Fatal,
                error: Error::invalid(format!("{what}: the request body cannot be encoded as JSON: {e}")),
            })?),
            None => None,
        };
        let outcome = match req.method {
            Method::Get => self.agent.get(&url).query_pairs(pairs(req)).with_common(self, timeout).call(),
            Method::Delete => {
                let r = self.agent.delete(&url).query_pairs(pairs(req));
                match body {
                    Some(b) => r.force_send_body().with_common(self, timeout).with_json_type().send(&b[..]),
                    None => r.with_common(self, timeout).call(),
                }
            }
            Method::Post | Method::Patch => {
                let r = match req.method {
                    Method::Post => self.agent.post(&url),
                    _ => self.agent.patch(&url),
                };
                let r = r.query_pairs(pairs(req)).with_common(self, timeout).with_json_type();
                r.send(&body.unwrap_or_else(|| b"{}".to_vec())[..])
            }
        };
        let tls = self.url.base().starts_with("https://");
        let mut answer = outcome.map_err(|e| transport_failure(e, &what, timeout, tls))?;
        let status = answer.status().as_u16();
        let header = |name: &str| answer.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
        let content_type = header("content-type");
        let retry_after = policy.honoured_retry_after(status, header("retry-after").as_deref());
        let bytes =
            answer.body_mut().with_config().limit(MAX_ANSWER_BYTES).read_to_vec().map_err(|e| {
                transport_failure(e, &format!("{what} (reading the HTTP {status} answer)"), timeout, tls)
            })?;
        if (200..300).contains(&status) {
            return parse_success(&bytes, content_type.as_deref(), &what);
        }
        let error = error_from_answer(status, content_type.as_deref(), &bytes, &what);
        let class = if policy.is_retryable_status(status, retry_after.is_some()) {
            FailureClass::RetryableStatus { status, retry_after }
        } else {
            FailureClass::Fatal
        };
        let error = if class == FailureClass::Fatal { error } else { error.retryable() };
        Err(HttpFailure { class, error })
    }
}

fn pairs(req: &ApiRequest) -> impl Iterator<Item = (&str, &str)> {
    req.query.iter().map(|(k, v)| (k.as_str(), v.as_str()))
}

/// Headers every request carries.
trait Common: Sized {
    fn with_common(self, client: &HttpClient, timeout: Duration) -> Self;
    fn with_json_type(self) -> Self;
}

impl<B> Common for ureq::RequestBuilder<B> {
    fn with_common(self, client: &HttpClient, timeout: Duration) -> Self {
        let r = self.header("User-Agent", &client.user_agent);
        let r = match &client.authorization {
            Some(value) => r.header("Authorization", value),
            None => r,
        };
        r.config().timeout_global(Some(timeout)).build()
    }

    fn with_json_type(self) -> Self {
        self.header("Content-Type", "application/json")
    }
}

/// A 2xx answer: MLflow JSON object, or empty (= `{}`).
fn parse_success(bytes: &[u8], content_type: Option<&str>, what: &str) -> Result<Value, HttpFailure> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Default::default()));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v @ Value::Object(_)) => Ok(v),
        _ => Err(HttpFailure {
            class: FailureClass::Fatal,
            error: Error::with_code(
                ErrorKind::Internal,
                "INTERNAL_ERROR",
                format!(
                    "{what}: the server did not answer with MLflow JSON (is the tracking URI an MLflow tracking \
                     server, with the right path prefix?); the answer was {}",
                    describe_body(content_type, bytes)
                ),
            ),
        }),
    }
}

/// A failure before a complete answer was read.
fn transport_failure(e: ureq::Error, what: &str, timeout: Duration, tls: bool) -> HttpFailure {
    use ureq::Error as E;
    let connection = |msg: String| HttpFailure {
        class: FailureClass::Connection,
        error: Error::with_code(ErrorKind::Unavailable, "TEMPORARILY_UNAVAILABLE", format!("{what}: {msg}"))
            .retryable(),
    };
    let fatal = |kind: ErrorKind, msg: String| HttpFailure {
        class: FailureClass::Fatal,
        error: Error::new(kind, format!("{what}: {msg}")),
    };
    match e {
        E::Timeout(which) => connection(format!(
            "no complete answer within {:.1} s (MLFLOW_HTTP_REQUEST_TIMEOUT; {which})",
            timeout.as_secs_f64()
        )),
        // rustls reports a refused certificate or a TLS alert as InvalidData: a configuration
        // problem (CA, client certificate), not an outage, so it is not retried.
        E::Io(io) if tls && io.kind() == std::io::ErrorKind::InvalidData => fatal(
            ErrorKind::PermissionDenied,
            format!(
                "TLS failed: {io} — for a private CA set MLFLOW_TRACKING_SERVER_CERT_PATH (or \
                 MLFLOW_TRACKING_INSECURE_TLS=true to skip verification); a server that asks for a client \
                 certificate needs MLFLOW_TRACKING_CLIENT_CERT_PATH"
            ),
        ),
        E::Io(io) if io.kind() == std::io::ErrorKind::InvalidData => {
            fatal(ErrorKind::Internal, format!("the server's answer is not valid HTTP/1.1: {io}"))
        }
        E::Io(io) => connection(match io.kind() {
            std::io::ErrorKind::ConnectionRefused => format!("connection refused — is the server running? ({io})"),
            std::io::ErrorKind::UnexpectedEof => {
                format!("the server closed the connection before the answer was complete ({io})")
            }
            _ => format!("connection failed: {io}"),
        }),
        E::HostNotFound => connection("host not found (DNS)".into()),
        E::ConnectionFailed => connection("could not connect".into()),
        E::ConnectProxyFailed(m) => connection(format!("the HTTP proxy failed: {m}")),
        E::Protocol(p) => fatal(
            ErrorKind::Internal,
            format!("the server's answer is not valid HTTP/1.1 (is the URI an MLflow tracking server?): {p}"),
        ),
        E::Rustls(t) => fatal(
            ErrorKind::PermissionDenied,
            format!(
                "TLS failed: {t} — for a private CA set MLFLOW_TRACKING_SERVER_CERT_PATH, or \
                 MLFLOW_TRACKING_INSECURE_TLS=true to skip verification"
            ),
        ),
        E::Tls(t) => fatal(ErrorKind::PermissionDenied, format!("TLS failed: {t}")),
        E::Pem(p) => fatal(ErrorKind::InvalidArgument, format!("bad PEM data: {p:?}")),
        E::BodyExceedsLimit(n) => fatal(ErrorKind::Internal, format!("the answer is larger than {n} bytes")),
        E::TooManyRedirects | E::RedirectFailed => fatal(ErrorKind::Internal, format!("redirect failed: {e}")),
        E::BadUri(u) => fatal(ErrorKind::InvalidArgument, format!("bad URL: {u}")),
        other => fatal(ErrorKind::Internal, format!("HTTP client error: {other}")),
    }
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

/// Raw exchanges (not MLflow JSON API calls) on URLs under this client's base, for the artifact
/// proxy: the same agent, credentials, TLS, redirects and failure classes as [`HttpClient::send`].
impl HttpClient {
    /// `base/<path>` (`path` already percent-encoded, relative; "" is the base itself).
    pub fn url_of(&self, path: &str) -> String {
        match path.trim_start_matches('/') {
            "" => self.url.base().to_string(),
            path => format!("{}/{path}", self.url.base()),
        }
    }

    /// One attempt: `GET` with `query`, `PUT` with an upload streamed as the body (its length as
    /// Content-Length), or `POST` with a JSON body. A 2xx answer is returned unread so the caller
    /// can stream it; any other answer becomes a classified failure carrying MLflow's error.
    pub fn send_raw(
        &self,
        path: &str,
        query: &[(String, String)],
        body: RawBody<'_>,
        timeout: Duration,
        policy: &RetryPolicy,
    ) -> Result<ureq::http::Response<ureq::Body>, HttpFailure> {
        let url = self.url_of(path);
        let what = format!("{} {url}", body.method());
        // A transfer may take far longer than one API call: `timeout` bounds connecting and each
        // socket read or write (as `requests` applies MLflow's timeout), not the whole exchange.
        let outcome = match body {
            RawBody::Upload { body, len, content_type } => self
                .agent
                .put(&url)
                .with_common(self, timeout)
                .with_transfer_timeouts(timeout)
                .header("Content-Type", content_type)
                .header("Content-Length", len.to_string())
                .send(ureq::SendBody::from_reader(body)),
            RawBody::Json(json) => self.agent.post(&url).with_common(self, timeout).with_json_type().send(&json[..]),
            RawBody::None => {
                let q = query.iter().map(|(k, v)| (k.as_str(), v.as_str()));
                self.agent.get(&url).query_pairs(q).with_common(self, timeout).with_transfer_timeouts(timeout).call()
            }
        };
        let tls = self.url.base().starts_with("https://");
        let answer = outcome.map_err(|e| transport_failure(e, &what, timeout, tls))?;
        classify_raw(answer, &what, policy)
    }

    /// One `PUT` of `len` bytes from `body` to a presigned URL of an object store (a part of a
    /// multipart upload the server set up), with the headers the server said to send and none
    /// of ours: the URL carries its own authorization, and the tracking server's credentials
    /// must not reach the store. Returns the answer's `ETag`.
    pub fn put_presigned(
        &self,
        url: &str,
        headers: &[(String, String)],
        body: &mut dyn std::io::Read,
        len: u64,
        timeout: Duration,
        policy: &RetryPolicy,
    ) -> Result<String, HttpFailure> {
        let shown = url.split('?').next().unwrap_or(url);
        let what = format!("PUT {shown}");
        let mut request = self.agent.put(url).with_transfer_timeouts(timeout).header("Content-Length", len.to_string());
        for (name, value) in headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let tls = url.starts_with("https://");
        let outcome = request.send(ureq::SendBody::from_reader(body));
        let mut answer = classify_raw(outcome.map_err(|e| transport_failure(e, &what, timeout, tls))?, &what, policy)?;
        let etag = answer.headers().get("etag").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let _ = answer.body_mut().with_config().limit(1 << 20).read_to_vec();
        Ok(etag)
    }

    /// A JSON object answer (empty = `{}`, as MLflow's endpoints give it) of a raw `GET` with
    /// `query` or `POST` of a JSON body.
    pub fn json_raw(
        &self,
        path: &str,
        query: &[(String, String)],
        body: RawBody<'_>,
        timeout: Duration,
        policy: &RetryPolicy,
    ) -> Result<Value, HttpFailure> {
        let what = format!("{} {}", body.method(), self.url_of(path));
        let mut answer = self.send_raw(path, query, body, timeout, policy)?;
        let content_type = answer.headers().get("content-type").and_then(|v| v.to_str().ok()).map(str::to_string);
        let tls = self.url.base().starts_with("https://");
        let bytes = answer
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER_BYTES)
            .read_to_vec()
            .map_err(|e| transport_failure(e, &format!("{what} (reading the answer)"), timeout, tls))?;
        parse_success(&bytes, content_type.as_deref(), &what)
    }
}

/// The body of a raw exchange, which also picks its method.
pub enum RawBody<'r> {
    /// `GET`.
    None,
    /// `PUT` of `len` bytes read from `body`.
    Upload { body: &'r mut dyn std::io::Read, len: u64, content_type: &'r str },
    /// `POST` of a JSON document.
    Json(Vec<u8>),
}

impl RawBody<'_> {
    fn method(&self) -> &'static str {
        match self {
            RawBody::None => "GET",
            RawBody::Upload { .. } => "PUT",
            RawBody::Json(_) => "POST",
        }
    }
}

/// A 2xx answer returned unread; any other one read (bounded) and classified for retrying.
fn classify_raw(
    mut answer: ureq::http::Response<ureq::Body>,
    what: &str,
    policy: &RetryPolicy,
) -> Result<ureq::http::Response<ureq::Body>, HttpFailure> {
    let status = answer.status().as_u16();
    if (200..300).contains(&status) {
        return Ok(answer);
    }
    let header = |name: &str| answer.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let content_type = header("content-type");
    let retry_after = policy.honoured_retry_after(status, header("retry-after").as_deref());
    let bytes = answer.body_mut().with_config().limit(1 << 20).read_to_vec().unwrap_or_default();
    let error = error_from_answer(status, content_type.as_deref(), &bytes, what);
    if policy.is_retryable_status(status, retry_after.is_some()) {
        Err(HttpFailure { class: FailureClass::RetryableStatus { status, retry_after }, error: error.retryable() })
    } else {
        Err(HttpFailure { class: FailureClass::Fatal, error })
    }
}

/// Per-operation timeouts for streamed transfers (see [`HttpClient::send_raw`]).
trait TransferTimeouts: Sized {
    fn with_transfer_timeouts(self, timeout: Duration) -> Self;
}

impl<B> TransferTimeouts for ureq::RequestBuilder<B> {
    fn with_transfer_timeouts(self, timeout: Duration) -> Self {
        self.config()
            .timeout_global(None)
            .timeout_connect(Some(timeout))
            .timeout_per_read(Some(timeout))
            .timeout_per_write(Some(timeout))
            .build()
    }
}
