//! TLS to the tracking server, configured as MLflow's client configures `requests`.
//!
//! - default: the server certificate is verified against the Mozilla roots (webpki-roots,
//!   compiled in, like `certifi` for `requests`);
//! - `MLFLOW_TRACKING_SERVER_CERT_PATH=<PEM bundle>`: verify against these CAs only
//!   (`requests`' `verify=<path>`); `REQUESTS_CA_BUNDLE` is honoured the same way when set;
//! - `MLFLOW_TRACKING_INSECURE_TLS=true`: no verification at all (an error together with a CA path);
//! - `MLFLOW_TRACKING_CLIENT_CERT_PATH=<PEM>`: client certificate chain and its private key in one
//!   file (`requests`' `cert=<path>`); libmlflow also reads the key from
//!   `MLFLOW_TRACKING_CLIENT_KEY_PATH` when it is kept in a separate file.

use std::path::{Path, PathBuf};

use ureq::tls::{Certificate, ClientCert, PemItem, PrivateKey, RootCerts, TlsConfig};

use crate::error::{Error, Result};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsSettings {
    /// PEM bundle of the CAs to trust instead of the built-in roots.
    pub ca_bundle: Option<PathBuf>,
    /// Skip certificate and host name verification.
    pub insecure: bool,
    /// PEM file with the client certificate chain (and its key unless `client_key` is set).
    pub client_cert: Option<PathBuf>,
    /// PEM file with the client's private key.
    pub client_key: Option<PathBuf>,
}

impl TlsSettings {
    pub(crate) fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<TlsSettings> {
        let path = |name: &str| lookup(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        let insecure = super::config::parse_bool(lookup, "MLFLOW_TRACKING_INSECURE_TLS", false)?;
        let explicit_ca = path("MLFLOW_TRACKING_SERVER_CERT_PATH");
        if insecure && explicit_ca.is_some() {
            return Err(Error::invalid(
                "When 'MLFLOW_TRACKING_INSECURE_TLS' is set to true, 'MLFLOW_TRACKING_SERVER_CERT_PATH' must not be set",
            ));
        }
        let ca_bundle = if insecure { None } else { explicit_ca.or_else(|| path("REQUESTS_CA_BUNDLE")) };
        Ok(TlsSettings {
            ca_bundle,
            insecure,
            client_cert: path("MLFLOW_TRACKING_CLIENT_CERT_PATH"),
            client_key: path("MLFLOW_TRACKING_CLIENT_KEY_PATH"),
        })
    }

    /// The ureq TLS configuration (reads the PEM files now, so a bad file fails at construction).
    pub(crate) fn to_ureq(&self) -> Result<TlsConfig> {
        if self.insecure && self.ca_bundle.is_some() {
            return Err(Error::invalid("TLS: an insecure connection cannot also verify against a CA bundle"));
        }
        let mut builder = TlsConfig::builder().disable_verification(self.insecure);
        if let Some(ca) = &self.ca_bundle {
            let (certs, _) = read_pem(ca, "MLFLOW_TRACKING_SERVER_CERT_PATH")?;
            if certs.is_empty() {
                return Err(Error::invalid(format!(
                    "MLFLOW_TRACKING_SERVER_CERT_PATH '{}' holds no PEM certificate",
                    ca.display()
                )));
            }
            builder = builder.root_certs(RootCerts::new_with_certs(&certs));
        }
        if let Some(cert_path) = &self.client_cert {
            let (chain, key_in_cert) = read_pem(cert_path, "MLFLOW_TRACKING_CLIENT_CERT_PATH")?;
            if chain.is_empty() {
                return Err(Error::invalid(format!(
                    "MLFLOW_TRACKING_CLIENT_CERT_PATH '{}' holds no PEM certificate",
                    cert_path.display()
                )));
            }
            let key = match &self.client_key {
                Some(key_path) => read_pem(key_path, "MLFLOW_TRACKING_CLIENT_KEY_PATH")?.1,
                None => key_in_cert,
            };
            let key = key.ok_or_else(|| {
                Error::invalid(format!(
                    "MLFLOW_TRACKING_CLIENT_CERT_PATH '{}' has no private key; put the key in the same PEM \
                     file or name its file in MLFLOW_TRACKING_CLIENT_KEY_PATH",
                    cert_path.display()
                ))
            })?;
            builder = builder.client_cert(Some(ClientCert::new_with_certs(&chain, key)));
        } else if self.client_key.is_some() {
            return Err(Error::invalid(
                "MLFLOW_TRACKING_CLIENT_KEY_PATH is set without MLFLOW_TRACKING_CLIENT_CERT_PATH",
            ));
        }
        Ok(builder.build())
    }
}

/// Certificates and the first private key of a PEM file. Errors name the variable and the path,
/// never the file's content.
fn read_pem(path: &Path, variable: &str) -> Result<(Vec<Certificate<'static>>, Option<PrivateKey<'static>>)> {
    let bytes = std::fs::read(path)
        .map_err(|e| Error::invalid(format!("{variable} '{}': cannot read the file: {e}", path.display())))?;
    let mut certs = Vec::new();
    let mut key = None;
    for item in ureq::tls::parse_pem(&bytes) {
        match item {
            Ok(PemItem::Certificate(c)) => certs.push(c),
            Ok(PemItem::PrivateKey(k)) => {
                key.get_or_insert(k);
            }
            Ok(_) => {}
            Err(e) => {
                return Err(Error::invalid(format!("{variable} '{}': not a valid PEM file ({e})", path.display())))
            }
        }
    }
    if certs.is_empty() && key.is_none() {
        return Err(Error::invalid(format!(
            "{variable} '{}': no PEM certificate or key found (expected -----BEGIN ...----- blocks)",
            path.display()
        )));
    }
    Ok((certs, key))
}
