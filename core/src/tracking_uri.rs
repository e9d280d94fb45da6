//! Which store a client talks to: the tracking URI as MLflow's client resolves it.

use crate::error::{Error, Result};
use crate::store::sqlite::{parse_sqlite_uri, DbLocation};

/// MLflow 3.x's default when nothing is configured.
pub const DEFAULT_TRACKING_URI: &str = "sqlite:///mlflow.db";

/// The explicit URI, else `MLFLOW_TRACKING_URI`, else `sqlite:///mlflow.db`.
pub fn resolve(explicit: Option<&str>) -> Result<String> {
    let uri = match explicit.filter(|u| !u.is_empty()) {
        Some(u) => u.to_string(),
        None => std::env::var("MLFLOW_TRACKING_URI")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| DEFAULT_TRACKING_URI.to_string()),
    };
    Ok(uri)
}

/// Which kind of store a tracking URI names.
#[derive(Debug, Clone, PartialEq)]
pub enum StoreKind {
    /// MLflow's sqlite database, written directly.
    Sqlite(DbLocation),
    /// A tracking server (`http://` / `https://`), over REST.
    Rest,
}

/// The store behind a tracking URI, or a clear error for schemes libmlflow cannot use.
pub fn classify(uri: &str) -> Result<StoreKind> {
    let scheme = uri.split_once(':').map(|(s, _)| s.to_ascii_lowercase());
    match scheme.as_deref() {
        Some("sqlite") => parse_sqlite_uri(uri).map(StoreKind::Sqlite),
        Some("http") | Some("https") => Ok(StoreKind::Rest),
        Some("file") | None => Err(Error::invalid(format!(
            "tracking URI '{uri}': MLflow's file store is deprecated and not supported; \
             use sqlite:///path/to/mlflow.db (MLflow 3's default) or http(s)://host:port of a tracking server"
        ))),
        Some(other) => Err(Error::invalid(format!(
            "tracking URI '{uri}': scheme '{other}' is not supported; use sqlite:///path/to/mlflow.db or \
             http(s)://host:port of a tracking server"
        ))),
    }
}
