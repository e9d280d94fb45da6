//! Credentials for the tracking server, found where MLflow's client finds them.
//!
//! Basic auth: `MLFLOW_TRACKING_USERNAME` / `MLFLOW_TRACKING_PASSWORD`, each falling back to
//! `~/.mlflow/credentials` (INI section `[mlflow]`, keys `mlflow_tracking_username` and
//! `mlflow_tracking_password`; `HOME` decides `~`); then `user:password@` in the tracking URI.
//! Bearer: `MLFLOW_TRACKING_TOKEN`, only when no basic credentials are complete (MLflow's order).
//! Nothing here ever prints a secret: Debug shows only which kind of credentials is set.

use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine;

/// How requests authenticate.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum Credentials {
    #[default]
    None,
    Basic {
        username: String,
        password: String,
    },
    Bearer(String),
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Credentials::None => "Credentials::None",
            Credentials::Basic { .. } => "Credentials::Basic(<redacted>)",
            Credentials::Bearer(_) => "Credentials::Bearer(<redacted>)",
        })
    }
}

impl Credentials {
    /// MLflow's resolution from the environment (`lookup` reads a variable).
    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Credentials {
        let file = lookup("HOME").filter(|h| !h.is_empty()).map(|home| credentials_file(Path::new(&home)));
        let from_file = file.as_deref().map(read_credentials_file).unwrap_or_default();
        let env = |name: &str| lookup(name).filter(|v| !v.is_empty());
        let username = env("MLFLOW_TRACKING_USERNAME").or(from_file.0);
        let password = env("MLFLOW_TRACKING_PASSWORD").or(from_file.1);
        if let (Some(username), Some(password)) = (username, password) {
            return Credentials::Basic { username, password };
        }
        match env("MLFLOW_TRACKING_TOKEN") {
            Some(token) => Credentials::Bearer(token),
            None => Credentials::None,
        }
    }

    /// Credentials written in the URI win over a bearer token but not over complete basic
    /// credentials from the environment (as `requests` applies them under MLflow).
    pub fn with_uri_userinfo(self, userinfo: Option<(String, String)>) -> Credentials {
        match (self, userinfo) {
            (basic @ Credentials::Basic { .. }, _) => basic,
            (_, Some((username, password))) => Credentials::Basic { username, password },
            (other, None) => other,
        }
    }

    /// The `Authorization` header value.
    pub(crate) fn header_value(&self) -> Option<String> {
        match self {
            Credentials::None => None,
            Credentials::Basic { username, password } => {
                let raw = format!("{username}:{password}");
                Some(format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(raw)))
            }
            Credentials::Bearer(token) => Some(format!("Bearer {token}")),
        }
    }

    pub fn is_none(&self) -> bool {
        matches!(self, Credentials::None)
    }
}

fn credentials_file(home: &Path) -> PathBuf {
    home.join(".mlflow").join("credentials")
}

/// `(username, password)` from the `[mlflow]` section; a missing or unreadable file gives nothing,
/// as configparser's `read` does.
fn read_credentials_file(path: &Path) -> (Option<String>, Option<String>) {
    let Ok(text) = std::fs::read_to_string(path) else {
        return (None, None);
    };
    let mut in_mlflow = false;
    let (mut username, mut password) = (None, None);
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            in_mlflow = section.trim() == "mlflow";
            continue;
        }
        if !in_mlflow {
            continue;
        }
        // configparser accepts '=' or ':' (whichever comes first) and lowercases keys.
        let Some(at) = line.find(['=', ':']) else { continue };
        let key = line[..at].trim().to_ascii_lowercase();
        let value = line[at + 1..].trim().to_string();
        match key.as_str() {
            "mlflow_tracking_username" if !value.is_empty() => username = Some(value),
            "mlflow_tracking_password" if !value.is_empty() => password = Some(value),
            _ => {}
        }
    }
    (username, password)
}
