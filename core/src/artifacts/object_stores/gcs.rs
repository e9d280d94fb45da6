//! `gs://<bucket>/<prefix>`, configured as MLflow's `GCSArtifactRepository` (google-cloud-storage)
//! is: `GOOGLE_APPLICATION_CREDENTIALS` (a service-account or authorized-user JSON file), else
//! the application-default credentials and the metadata server; `STORAGE_EMULATOR_HOST` points
//! at an emulator, reached without credentials as the Python library does. Uploads take GCS's
//! JSON API ([`super::gcs_upload`]), reads and listings object_store's client.

use std::sync::Arc;

use object_store::gcp::GoogleCloudStorageBuilder;

use super::gcs_upload::GcsUploader;
use super::{client_options, StoreHandle};
use crate::error::{Error, Result};

pub(crate) fn cache_key(bucket: &str) -> String {
    let env = |n: &str| std::env::var(n).unwrap_or_default();
    format!("gs|{bucket}|{}|{}", env("STORAGE_EMULATOR_HOST"), env("GOOGLE_APPLICATION_CREDENTIALS"))
}

pub(crate) fn open(bucket: &str) -> Result<StoreHandle> {
    let var = |n: &str| std::env::var(n).ok().filter(|v| !v.trim().is_empty());
    let emulator = var("STORAGE_EMULATOR_HOST").map(|h| {
        let h = h.trim_end_matches('/').to_string();
        if h.contains("://") {
            h
        } else {
            format!("http://{h}")
        }
    });
    let allow_http = emulator.as_deref().is_some_and(|e| e.starts_with("http://"));
    let mut builder = GoogleCloudStorageBuilder::from_env()
        .with_bucket_name(bucket)
        .with_client_options(client_options(allow_http)?)
        .with_retry(super::retry_config());
    match &emulator {
        // Anonymous, as google-cloud-storage talks to an emulator. (A static token rather than
        // object_store's skip_signature: its uploads fetch a token even when told to skip signing.)
        Some(base) => builder = builder.with_base_url(base).with_bearer_token("anonymous-emulator-access"),
        None => {
            if let Some(path) = var("GOOGLE_APPLICATION_CREDENTIALS") {
                builder = builder.with_application_credentials(path);
            }
        }
    }
    let name = format!("gs://{bucket}{}", emulator.as_deref().map(|e| format!(" at {e}")).unwrap_or_default());
    let store = builder.build().map_err(|e| Error::invalid(format!("cannot configure {name}: {e}")))?;
    let base = emulator.unwrap_or_else(|| "https://storage.googleapis.com".to_string());
    let uploader = GcsUploader::new(&base, bucket, store.credentials().clone(), super::request_timeout()?);
    Ok(StoreHandle::new(Arc::new(store), Vec::new(), name)?.with_gcs_uploader(uploader))
}
