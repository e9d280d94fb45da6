//! Small helpers shared across the core: clock, URI path joining, absolute paths.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, MLflow's unit for every entity timestamp.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// MLflow's `append_to_uri_path`: POSIX-joins `segment` onto the path part of `uri`, keeping a
/// scheme, authority and query string as they are (`s3://b/p?x=1` + `1` → `s3://b/p/1?x=1`).
pub fn append_uri_path(uri: &str, segment: &str) -> String {
    let (base, query) = match uri.find('?') {
        Some(i) => (&uri[..i], &uri[i..]),
        None => (uri, ""),
    };
    let segment = segment.trim_start_matches('/');
    let joined = if base.is_empty() {
        segment.to_string()
    } else if base.ends_with('/') {
        format!("{base}{segment}")
    } else {
        format!("{base}/{segment}")
    };
    format!("{joined}{query}")
}

/// `path` made absolute against the current directory, without touching the filesystem
/// (MLflow stores `./mlruns` as `/abs/cwd/mlruns`).
pub fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        return normalize(path);
    }
    match std::env::current_dir() {
        Ok(cwd) => normalize(&cwd.join(path)),
        Err(_) => path.to_path_buf(),
    }
}

/// Removes `.` segments and resolves `..` lexically.
fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Percent-encodes one URL path segment (everything but RFC 3986's unreserved characters), for
/// ids and keys placed in REST paths such as `logged-models/{model_id}/tags/{key}`.
pub fn percent_encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Percent-escapes decoded as `urllib.parse.unquote` does (UTF-8, invalid bytes replaced,
/// malformed escapes left as they are).
pub fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_like_mlflow() {
        assert_eq!(append_uri_path("/abs/mlruns", "1"), "/abs/mlruns/1");
        assert_eq!(append_uri_path("/abs/mlruns/", "1"), "/abs/mlruns/1");
        assert_eq!(append_uri_path("mlflow-artifacts:/", "1"), "mlflow-artifacts:/1");
        assert_eq!(append_uri_path("s3://b/p?x=1", "1"), "s3://b/p/1?x=1");
    }

    #[test]
    fn absolute_resolves_dots() {
        assert_eq!(absolute(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
        assert!(absolute(Path::new("./mlruns")).is_absolute());
    }
}
