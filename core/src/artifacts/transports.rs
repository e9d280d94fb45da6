//! The connections a client keeps for its artifact calls: one HTTP endpoint (keep-alive pool)
//! per tracking-server proxy and one configured store (with its runtime and connection pool) per
//! bucket or container, so a loop of `log_artifact` calls does not reconnect (and re-read TLS
//! roots) every time. Entries are found again only with the same settings: credentials taken
//! from the environment may change between calls, and a changed one gets a new connection.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::uri::{redact_userinfo, target_of, Target};
use super::{ArtifactRepository, LocalArtifactRepository, ProxyArtifactRepository};
use crate::error::Result;
use crate::store::rest::{HttpConfig, HttpEndpoint};

/// Distinct servers/buckets kept; past this the cache starts over (a process that walks many
/// buckets does not grow without bound).
const MAX_KEPT: usize = 64;

#[derive(Default)]
pub struct Transports {
    /// Per proxy server base URL: the settings it was opened with and its endpoint.
    proxies: Mutex<HashMap<String, (HttpConfig, Arc<HttpEndpoint>)>>,
    #[cfg(feature = "object-stores")]
    stores: Mutex<HashMap<String, Arc<super::object_stores::StoreHandle>>>,
}

impl std::fmt::Debug for Transports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transports").finish_non_exhaustive()
    }
}

impl Transports {
    /// The repository for an artifact URI (see [`super::open_repository`]).
    pub fn open(&self, uri: &str, tracking_uri: Option<&str>) -> Result<Box<dyn ArtifactRepository>> {
        let shown = redact_userinfo(uri);
        Ok(match target_of(uri, tracking_uri)? {
            Target::Local(root) => Box::new(LocalArtifactRepository::new(uri, root)),
            Target::Proxy { server, root } => {
                Box::new(ProxyArtifactRepository::with_endpoint(&shown, self.proxy(&server)?, &root)?)
            }
            #[cfg(feature = "object-stores")]
            Target::S3 { bucket, prefix } => {
                use super::object_stores::s3;
                let handle = self.store(s3::cache_key(&bucket), || s3::open(&bucket))?;
                Box::new(super::object_stores::ObjectStoreRepository::new(&shown, handle, &prefix)?)
            }
            #[cfg(feature = "object-stores")]
            Target::Gcs { bucket, prefix } => {
                use super::object_stores::gcs;
                let handle = self.store(gcs::cache_key(&bucket), || gcs::open(&bucket))?;
                Box::new(super::object_stores::ObjectStoreRepository::new(&shown, handle, &prefix)?)
            }
            #[cfg(feature = "object-stores")]
            Target::Azure(target) => {
                use super::object_stores::azure;
                let handle = self.store(azure::cache_key(&target), || azure::open(&target))?;
                Box::new(super::object_stores::ObjectStoreRepository::new(&shown, handle, &target.prefix)?)
            }
        })
    }

    fn proxy(&self, server: &str) -> Result<Arc<HttpEndpoint>> {
        let config = HttpConfig::from_env()?;
        let mut proxies = self.proxies.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((kept_config, endpoint)) = proxies.get(server) {
            if *kept_config == config {
                return Ok(endpoint.clone());
            }
        }
        let endpoint = Arc::new(ProxyArtifactRepository::endpoint_for(server, config.clone())?);
        if proxies.len() >= MAX_KEPT {
            proxies.clear();
        }
        proxies.insert(server.to_string(), (config, endpoint.clone()));
        Ok(endpoint)
    }

    #[cfg(feature = "object-stores")]
    fn store(
        &self,
        key: String,
        open: impl FnOnce() -> Result<super::object_stores::StoreHandle>,
    ) -> Result<Arc<super::object_stores::StoreHandle>> {
        let mut stores = self.stores.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(handle) = stores.get(&key) {
            return Ok(handle.clone());
        }
        let handle = Arc::new(open()?);
        if stores.len() >= MAX_KEPT {
            stores.clear();
        }
        stores.insert(key, handle.clone());
        Ok(handle)
    }
}
