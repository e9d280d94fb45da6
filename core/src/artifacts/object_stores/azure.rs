//! Azure Blob Storage: `wasbs://<container>@<account>.blob.core.windows.net/<prefix>` (MLflow's
//! `AzureBlobArtifactRepository`, also `.chinacloudapi.cn` / `.usgovcloudapi.net`) and
//! `abfss://<container>@<account>.dfs.core.windows.net/<prefix>` (ADLS Gen2, reached through its
//! blob endpoint). Credentials as MLflow takes them: `AZURE_STORAGE_CONNECTION_STRING`
//! (`AccountName`, `AccountKey`, `SharedAccessSignature`, `BlobEndpoint` — Azurite's too), else
//! `AZURE_STORAGE_ACCESS_KEY` for the URI's account, else Azure's default chain (service
//! principal `AZURE_CLIENT_ID`/`AZURE_CLIENT_SECRET`/`AZURE_TENANT_ID`, workload identity,
//! managed identity), which object_store implements.

use std::sync::Arc;

use object_store::azure::MicrosoftAzureBuilder;

use super::{client_options, StoreHandle};
use crate::error::{Error, Result};

/// The parts of a `wasbs://`/`abfss://` URI.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct AzureTarget {
    pub container: String,
    pub account: String,
    /// `blob.core.windows.net` (from a dfs host too: the blob API serves ADLS Gen2 accounts).
    pub suffix: String,
    pub prefix: String,
}

pub(crate) fn parse(uri: &str) -> Result<AzureTarget> {
    let bad = || {
        Error::invalid(format!(
            "artifact URI {uri} is not of the form wasbs://<container>@<account>.blob.core.windows.net/<path> \
             (or abfss://<container>@<account>.dfs.core.windows.net/<path>)"
        ))
    };
    let rest = uri.split_once("://").map(|(_, r)| r).ok_or_else(bad)?;
    let (authority, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    let (container, host) = authority.split_once('@').ok_or_else(bad)?;
    let (account, service_suffix) = host.split_once('.').ok_or_else(bad)?;
    let suffix = match service_suffix.split_once('.') {
        Some(("blob" | "dfs", cloud)) if cloud.starts_with("core.") => format!("blob.{cloud}"),
        _ => return Err(bad()),
    };
    if container.is_empty() || account.is_empty() {
        return Err(bad());
    }
    Ok(AzureTarget { container: container.into(), account: account.into(), suffix, prefix: prefix.into() })
}

pub(crate) fn cache_key(t: &AzureTarget) -> String {
    let env = |n: &str| std::env::var(n).unwrap_or_default();
    format!(
        "az|{}|{}|{}|{}|{}",
        t.container,
        t.account,
        env("AZURE_STORAGE_CONNECTION_STRING"),
        env("AZURE_STORAGE_ACCESS_KEY"),
        env("AZURE_CLIENT_SECRET")
    )
}

pub(crate) fn open(t: &AzureTarget) -> Result<StoreHandle> {
    let var = |n: &str| std::env::var(n).ok().filter(|v| !v.trim().is_empty());
    let mut account = t.account.clone();
    let mut endpoint = format!("https://{}.{}", t.account, t.suffix);
    let mut builder =
        MicrosoftAzureBuilder::from_env().with_container_name(&t.container).with_retry(super::retry_config());
    let mut secrets = Vec::new();
    if let Some(conn) = var("AZURE_STORAGE_CONNECTION_STRING") {
        let fields = connection_string(&conn);
        let get = |k: &str| fields.iter().find(|(n, _)| n.eq_ignore_ascii_case(k)).map(|(_, v)| v.clone());
        if let Some(name) = get("AccountName") {
            account = name;
        }
        if let Some(blob) = get("BlobEndpoint") {
            endpoint = blob.trim_end_matches('/').to_string();
        } else if let Some(suffix) = get("EndpointSuffix") {
            let protocol = get("DefaultEndpointsProtocol").unwrap_or_else(|| "https".into());
            endpoint = format!("{protocol}://{account}.blob.{suffix}");
        }
        if let Some(key) = get("AccountKey") {
            builder = builder.with_access_key(&key);
            secrets.push(key);
        } else if let Some(sas) = get("SharedAccessSignature") {
            builder = builder.with_config(object_store::azure::AzureConfigKey::SasKey, &sas);
            secrets.extend(sas.split('&').filter_map(|p| p.strip_prefix("sig=")).map(str::to_string));
            secrets.push(sas);
        }
        secrets.push(conn);
    } else if let Some(key) = var("AZURE_STORAGE_ACCESS_KEY") {
        builder = builder.with_access_key(&key);
        secrets.push(key);
    }
    secrets.extend(var("AZURE_CLIENT_SECRET"));
    let allow_http = endpoint.to_ascii_lowercase().starts_with("http://");
    builder =
        builder.with_account(&account).with_endpoint(endpoint.clone()).with_client_options(client_options(allow_http)?);
    let name = format!("Azure container '{}' of account '{account}' at {endpoint}", t.container);
    let store = builder.build().map_err(|e| {
        let mut message = format!("cannot configure {name}: {e}");
        for s in secrets.iter().filter(|s| s.len() >= 4) {
            message = message.replace(s.as_str(), "***");
        }
        Error::invalid(message)
    })?;
    StoreHandle::new(Arc::new(store), secrets, name)
}

/// `Name=value;Name=value` pairs of a connection string (values may contain `=`).
fn connection_string(text: &str) -> Vec<(String, String)> {
    text.split(';')
        .filter_map(|part| part.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_and_connection_strings() {
        let t = parse("wasbs://c@acct.blob.core.windows.net/a/b").unwrap();
        assert_eq!((t.container.as_str(), t.account.as_str(), t.prefix.as_str()), ("c", "acct", "a/b"));
        assert_eq!(t.suffix, "blob.core.windows.net");
        assert_eq!(parse("abfss://c@acct.dfs.core.windows.net/x").unwrap().suffix, "blob.core.windows.net");
        assert!(parse("wasbs://acct.blob.core.windows.net/x").is_err());
        assert!(parse("wasbs://c@acct.example.com/x").is_err());
        let f = connection_string("AccountName=a;AccountKey=k==;BlobEndpoint=http://127.0.0.1:1/a;");
        assert_eq!(f[1], ("AccountKey".to_string(), "k==".to_string()));
    }
}
