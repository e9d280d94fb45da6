//! Choosing a repository by URI, as MLflow's artifact repository registry does (compat §7.1).

use std::path::PathBuf;

use super::proxy::ARTIFACTS_ROUTE;
use super::{ArtifactRepository, Transports};
use crate::error::{Error, Result};
use crate::util::{absolute, percent_decode};

/// Schemes MLflow supports that libmlflow does not serve.
const NOT_SUPPORTED: [&str; 8] = ["r2", "b2", "hdfs", "viewfs", "sftp", "ftp", "dbfs", "uc-volumes"];

/// The repository for an artifact URI, on new connections (a [`Client`](crate::Client) keeps
/// its connections in [`Transports`]). `tracking_uri` is needed for `mlflow-artifacts:` URIs
/// (they name the tracking server's proxy); the transport's settings (credentials, TLS,
/// retries, timeout) come from MLflow's environment variables, as MLflow's repositories read them.
/// `runs:/` URIs are resolved by the client ([`crate::Client::download_artifacts`]).
pub fn open_repository(uri: &str, tracking_uri: Option<&str>) -> Result<Box<dyn ArtifactRepository>> {
    Transports::default().open(uri, tracking_uri)
}

/// Where an artifact URI leads, decided from its scheme as MLflow's registry decides it.
pub(super) enum Target {
    Local(PathBuf),
    /// The tracking server's proxy: (server base URL, root path under its destination).
    Proxy {
        server: String,
        root: String,
    },
    #[cfg(feature = "object-stores")]
    S3 {
        bucket: String,
        prefix: String,
    },
    #[cfg(feature = "object-stores")]
    Gcs {
        bucket: String,
        prefix: String,
    },
    #[cfg(feature = "object-stores")]
    Azure(super::object_stores::azure::AzureTarget),
}

pub(super) fn target_of(uri: &str, tracking_uri: Option<&str>) -> Result<Target> {
    let shown = redact_userinfo(uri);
    match scheme_of(uri).as_deref() {
        None => Ok(Target::Local(absolute(&PathBuf::from(uri)))),
        Some("file") => Ok(Target::Local(file_uri_path(uri)?)),
        Some("mlflow-artifacts") => {
            let (server, root) = mlflow_artifacts_target(uri, tracking_uri)?;
            Ok(Target::Proxy { server, root })
        }
        Some("http") | Some("https") => {
            let anchor = format!("/{ARTIFACTS_ROUTE}");
            let Some((server, root)) = uri.split_once(&anchor) else {
                return Err(Error::invalid(format!(
                    "artifact URI {shown} is not served by an MLflow artifact proxy (expected \
                     http(s)://host:port/{ARTIFACTS_ROUTE}/<path>)"
                )));
            };
            let root = percent_decode(root.split(['?', '#']).next().unwrap_or(""));
            Ok(Target::Proxy { server: server.to_string(), root })
        }
        Some("runs") => Err(Error::invalid(format!(
            "{shown}: a runs:/ URI is resolved through a client (Client::download_artifacts)"
        ))),
        #[cfg(feature = "object-stores")]
        Some("s3") | Some("s3a") | Some("s3n") => {
            let (bucket, prefix) = super::object_stores::s3::split(uri)?;
            Ok(Target::S3 { bucket, prefix })
        }
        #[cfg(feature = "object-stores")]
        Some("gs") => {
            let (bucket, prefix) = super::object_stores::s3::split(uri)?;
            Ok(Target::Gcs { bucket, prefix })
        }
        #[cfg(feature = "object-stores")]
        Some("wasbs") | Some("wasb") | Some("abfss") | Some("abfs") => {
            Ok(Target::Azure(super::object_stores::azure::parse(uri)?))
        }
        #[cfg(not(feature = "object-stores"))]
        Some(s @ ("s3" | "s3a" | "s3n" | "gs" | "wasbs" | "wasb" | "abfss" | "abfs")) => Err(Error::invalid(format!(
            "artifact URI {shown}: this build of libmlflow has no '{s}' artifact store (built without the \
             `object-stores` feature)"
        ))),
        Some(s) if NOT_SUPPORTED.contains(&s) => Err(Error::invalid(format!(
            "artifact URI {shown}: the '{s}' artifact store is not supported by libmlflow (supported: local \
             paths, file:, mlflow-artifacts:, http(s) artifact proxy, s3:, gs:, wasbs:, abfss:)"
        ))),
        Some(s) => Err(Error::invalid(format!("artifact URI {shown}: unknown artifact store scheme '{s}'"))),
    }
}

/// `runs:/<run_id>/<path>` → (run id, path); `None` for other URIs.
pub fn split_runs_uri(uri: &str) -> Result<Option<(String, String)>> {
    let Some(rest) = uri.strip_prefix("runs:") else { return Ok(None) };
    let rest = rest.trim_start_matches('/');
    let (run_id, path) = rest.split_once('/').unwrap_or((rest, ""));
    if run_id.is_empty() {
        return Err(Error::invalid(format!("{uri} names no run; expected runs:/<run_id>/<artifact path>")));
    }
    Ok(Some((run_id.to_string(), path.to_string())))
}

/// `mlflow-artifacts:/path` (the tracking server) or `mlflow-artifacts://host:port/path` (that
/// host, with the tracking URI's scheme and path prefix) → (server base URL, root path).
fn mlflow_artifacts_target(uri: &str, tracking_uri: Option<&str>) -> Result<(String, String)> {
    let tracking = tracking_uri.filter(|t| {
        let t = t.to_ascii_lowercase();
        t.starts_with("http://") || t.starts_with("https://")
    });
    let Some(tracking) = tracking else {
        return Err(Error::invalid(format!(
            "artifact URI {uri}: an mlflow-artifacts URI is served by a tracking server, so the tracking URI must \
             be http:// or https://"
        )));
    };
    let rest = &uri["mlflow-artifacts:".len()..];
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let (scheme, after) = tracking.split_once("://").unwrap_or(("http", tracking));
    let (tracking_authority, prefix) = match after.find('/') {
        Some(i) => (&after[..i], after[i..].trim_end_matches('/')),
        None => (after, ""),
    };
    match rest.strip_prefix("//") {
        Some(host_and_path) => {
            let (host, path) = match host_and_path.find('/') {
                Some(i) => (&host_and_path[..i], &host_and_path[i..]),
                None => (host_and_path, ""),
            };
            let authority = if host.is_empty() { tracking_authority } else { host };
            Ok((format!("{scheme}://{authority}{prefix}"), percent_decode(path)))
        }
        None => Ok((format!("{scheme}://{tracking_authority}{prefix}"), percent_decode(rest))),
    }
}

/// The local directory of a `file:` URI (`file:///abs`, `file://localhost/abs`, `file:/abs`, `file:rel`).
fn file_uri_path(uri: &str) -> Result<PathBuf> {
    let rest = &uri["file:".len()..];
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let path = match rest.strip_prefix("//") {
        Some(after) => {
            let (host, path) = match after.find('/') {
                Some(i) => (&after[..i], &after[i..]),
                None => (after, ""),
            };
            let host = host.to_ascii_lowercase();
            if !(host.is_empty() || host == "localhost" || host == "127.0.0.1") {
                return Err(Error::invalid(format!("{uri} names a remote host; file: artifact URIs must be local")));
            }
            path
        }
        None => rest,
    };
    Ok(absolute(&PathBuf::from(percent_decode(path))))
}

/// The scheme as Python's `urlsplit` finds it (lower-cased); a one-letter scheme is a Windows
/// drive on the platforms that have them, a scheme elsewhere — both are not local paths here.
fn scheme_of(uri: &str) -> Option<String> {
    let colon = uri.find(':')?;
    let candidate = &uri[..colon];
    let mut chars = candidate.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    (first_ok && rest_ok).then(|| candidate.to_ascii_lowercase())
}

/// A URI with any `user:password@` removed, for messages.
pub(super) fn redact_userinfo(uri: &str) -> String {
    let Some((scheme, rest)) = uri.split_once("://") else { return uri.to_string() };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
        None => uri.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mlflow_artifacts_targets() {
        let t = Some("http://u:p@127.0.0.1:5000/prefix");
        assert_eq!(
            mlflow_artifacts_target("mlflow-artifacts:/1/abc/artifacts", t).unwrap(),
            ("http://u:p@127.0.0.1:5000/prefix".to_string(), "/1/abc/artifacts".to_string())
        );
        assert_eq!(
            mlflow_artifacts_target("mlflow-artifacts://other:81/x", t).unwrap(),
            ("http://other:81/prefix".to_string(), "/x".to_string())
        );
        assert!(mlflow_artifacts_target("mlflow-artifacts:/x", Some("sqlite:///db")).is_err());
    }

    #[test]
    fn file_uris_and_redaction() {
        assert_eq!(file_uri_path("file:///tmp/a%20b").unwrap(), PathBuf::from("/tmp/a b"));
        assert_eq!(file_uri_path("file://localhost/tmp/x").unwrap(), PathBuf::from("/tmp/x"));
        assert!(file_uri_path("file://server/share").is_err());
        assert_eq!(redact_userinfo("https://al:secret@h:1/p"), "https://h:1/p");
        assert_eq!(split_runs_uri("runs:/abc/d/e").unwrap(), Some(("abc".into(), "d/e".into())));
    }

    #[test]
    fn unsupported_schemes_are_clear() {
        let e = open_repository("hdfs://namenode/p", None).err().unwrap();
        assert!(e.message().contains("'hdfs' artifact store is not supported by libmlflow"), "{e}");
        let e = open_repository("wasbs://nocontainer.blob.core.windows.net/p", None).err().unwrap();
        assert!(e.message().contains("wasbs://<container>@<account>"), "{e}");
    }
}
