//! `s3://<bucket>/<prefix>`, configured as MLflow's `S3ArtifactRepository` is: boto3's variables
//! (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_DEFAULT_REGION` /
//! `AWS_REGION`, `AWS_PROFILE` with `~/.aws/credentials`), `MLFLOW_S3_ENDPOINT_URL` for
//! S3-compatible servers (MinIO, moto, Ceph…), `MLFLOW_S3_IGNORE_TLS`, and
//! `MLFLOW_BOTO_CLIENT_ADDRESSING_STYLE` (`path`/`virtual`; `auto` = path style with a custom
//! endpoint, as boto3 ends up doing for such servers). Without static keys, object_store's chain
//! takes over (web identity, ECS and EC2 instance credentials).

use std::sync::Arc;

use object_store::aws::AmazonS3Builder;

use super::{client_options, StoreHandle};
use crate::error::{Error, Result};

/// The bucket and the key prefix of an `s3://` URI.
pub(crate) fn split(uri: &str) -> Result<(String, String)> {
    let rest = uri.split_once("://").map(|(_, r)| r).unwrap_or("");
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(Error::invalid(format!("artifact URI {uri} names no bucket (expected s3://<bucket>/<path>)")));
    }
    Ok((bucket.to_string(), prefix.to_string()))
}

/// What identifies one configured bucket (the environment can change between calls).
pub(crate) fn cache_key(bucket: &str) -> String {
    let env = |n: &str| std::env::var(n).unwrap_or_default();
    format!(
        "s3|{bucket}|{}|{}|{}|{}|{}|{}|{}",
        env("MLFLOW_S3_ENDPOINT_URL"),
        env("AWS_ACCESS_KEY_ID"),
        env("AWS_SECRET_ACCESS_KEY"),
        env("AWS_SESSION_TOKEN"),
        env("AWS_DEFAULT_REGION") + &env("AWS_REGION"),
        env("AWS_PROFILE"),
        env("MLFLOW_S3_IGNORE_TLS")
    )
}

pub(crate) fn open(bucket: &str) -> Result<StoreHandle> {
    let var = |n: &str| std::env::var(n).ok().filter(|v| !v.trim().is_empty());
    let endpoint = var("MLFLOW_S3_ENDPOINT_URL");
    let ignore_tls = crate::store::rest::parse_bool(&|n| std::env::var(n).ok(), "MLFLOW_S3_IGNORE_TLS", false)?;
    let allow_http = endpoint.as_deref().is_some_and(|e| e.to_ascii_lowercase().starts_with("http://"));
    let mut builder = AmazonS3Builder::from_env()
        .with_bucket_name(bucket)
        .with_region(var("AWS_DEFAULT_REGION").or_else(|| var("AWS_REGION")).unwrap_or_else(|| "us-east-1".into()))
        .with_client_options(client_options(allow_http)?.with_allow_invalid_certificates(ignore_tls))
        .with_retry(super::retry_config());
    let style = var("MLFLOW_BOTO_CLIENT_ADDRESSING_STYLE").unwrap_or_else(|| "auto".into()).to_ascii_lowercase();
    builder = builder.with_virtual_hosted_style_request(match style.as_str() {
        "virtual" => true,
        "path" => false,
        _ => endpoint.is_none(),
    });
    if let Some(endpoint) = &endpoint {
        builder = builder.with_endpoint(endpoint.trim_end_matches('/'));
    }
    let mut secrets = Vec::new();
    match (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
        (Some(_), Some(secret)) => secrets.push(secret),
        _ => {
            if let Some((key, secret, token)) = shared_credentials()? {
                builder = builder.with_access_key_id(key).with_secret_access_key(&secret);
                if let Some(token) = &token {
                    builder = builder.with_token(token);
                    secrets.push(token.clone());
                }
                secrets.push(secret);
            }
        }
    }
    secrets.extend(var("AWS_SESSION_TOKEN"));
    let name = format!("s3://{bucket}{}", endpoint.map(|e| format!(" at {e}")).unwrap_or_default());
    let store = builder.build().map_err(|e| Error::invalid(format!("cannot configure {name}: {e}")))?;
    StoreHandle::new(Arc::new(store), secrets, name)
}

/// Keys of the profile `AWS_PROFILE` (or `default`) in `AWS_SHARED_CREDENTIALS_FILE` (or
/// `~/.aws/credentials`), as boto3 finds them when no key is in the environment.
fn shared_credentials() -> Result<Option<(String, String, Option<String>)>> {
    let path = match std::env::var_os("AWS_SHARED_CREDENTIALS_FILE") {
        Some(p) => std::path::PathBuf::from(p),
        None => match std::env::var_os("HOME") {
            Some(home) => std::path::PathBuf::from(home).join(".aws/credentials"),
            None => return Ok(None),
        },
    };
    let Ok(text) = std::fs::read_to_string(&path) else { return Ok(None) };
    let profile = std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty()).unwrap_or_else(|| "default".into());
    let values = ini_section(&text, &profile);
    let get = |k: &str| values.iter().find(|(name, _)| name == k).map(|(_, v)| v.clone());
    match (get("aws_access_key_id"), get("aws_secret_access_key")) {
        (Some(key), Some(secret)) => Ok(Some((key, secret, get("aws_session_token")))),
        _ => Ok(None),
    }
}

/// `key = value` lines of `[section]` in an INI text (keys lower-cased).
fn ini_section(text: &str, section: &str) -> Vec<(String, String)> {
    let mut inside = false;
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.starts_with(';') || line.is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            inside = name.trim() == section;
        } else if let (true, Some((k, v))) = (inside, line.split_once('=')) {
            out.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_and_profiles() {
        assert_eq!(split("s3://b/x/y").unwrap(), ("b".into(), "x/y".into()));
        assert_eq!(split("s3://b").unwrap(), ("b".into(), "".into()));
        assert!(split("s3:///x").is_err());
        let ini = "[default]\naws_access_key_id = A\naws_secret_access_key=S\n[other]\naws_access_key_id = B\n";
        assert_eq!(ini_section(ini, "default").len(), 2);
        assert_eq!(ini_section(ini, "other"), vec![("aws_access_key_id".to_string(), "B".to_string())]);
    }
}
