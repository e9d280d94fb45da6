//! Artifact paths: the relative POSIX paths a run's artifacts are named by. Everything that comes
//! from a caller or a server is checked here before it touches a filesystem or a URL, so no
//! artifact can be written, or downloaded to, outside the place it belongs.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A caller's artifact path (`artifact_path`, `artifact_file`, a path to list or download),
/// normalised as MLflow's `posixpath.normpath` would leave a safe path: empty and `.` segments
/// dropped, no trailing `/`. `..` segments, absolute paths, backslashes and NUL are refused (as
/// MLflow's `validate_path_is_safe` refuses them). The empty path names the root.
pub fn normalize_artifact_path(path: &str, what: &str) -> Result<String> {
    if path.starts_with('/') {
        return Err(Error::invalid(format!(
            "{what} '{path}' is absolute; artifact paths are relative to the run's artifact root"
        )));
    }
    if path.contains('\\') || path.contains('\0') {
        return Err(Error::invalid(format!(
            "{what} '{}' contains a backslash or NUL byte; artifact paths use '/'",
            path.escape_debug()
        )));
    }
    let mut segments = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                return Err(Error::invalid(format!(
                    "{what} '{path}' contains '..'; artifact paths must stay inside the artifact root"
                )))
            }
            s => segments.push(s),
        }
    }
    Ok(segments.join("/"))
}

/// An optional artifact path (`None` and "" are the root).
pub fn normalize_optional(path: Option<&str>, what: &str) -> Result<String> {
    normalize_artifact_path(path.unwrap_or(""), what)
}

/// `a` + `b` as POSIX artifact paths (either may be the empty root).
pub fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_string(),
        (_, true) => a.to_string(),
        _ => format!("{a}/{b}"),
    }
}

/// The last segment of a normalised artifact path, and the directory before it ("" at the root).
pub fn split_last(path: &str) -> (&str, &str) {
    match path.rsplit_once('/') {
        Some((dir, name)) => (dir, name),
        None => ("", path),
    }
}

/// One name from a server's listing of `dir`: it must be a single plain segment, else the server
/// is trying (or mistakenly about) to make us write elsewhere — refused before anything is written.
pub fn listed_child(dir: &str, listed: &str, store: &str) -> Result<String> {
    // Stores that list paths relative to the root (local, MLflow's `artifacts/list`) give
    // `dir/name`; the proxy gives the bare name. Both must name a direct child of `dir`.
    let name = match dir.is_empty() {
        true => listed,
        false => listed.strip_prefix(dir).and_then(|r| r.strip_prefix('/')).unwrap_or(listed),
    };
    let unsafe_name = name.is_empty()
        || name == "."
        || name == ".."
        || name.contains('/')
        || name.contains('\\')
        || name.contains('\0');
    if unsafe_name {
        return Err(Error::invalid(format!(
            "{store} listed '{}' under '{dir}', which is not a plain file name inside it; refusing to download \
             (nothing is written outside the destination)",
            listed.escape_debug()
        )));
    }
    Ok(join(dir, name))
}

/// `root/<artifact path>` on the local filesystem for a normalised (already safe) artifact path.
pub fn local_path(root: &Path, artifact_path: &str) -> PathBuf {
    let mut p = root.to_path_buf();
    for segment in artifact_path.split('/').filter(|s| !s.is_empty()) {
        p.push(segment);
    }
    p
}

/// Percent-encodes an artifact path for a URL path (segments kept, `/` between them).
pub fn url_encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b);
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The name a single logged file keeps (`log_artifact`): its own file name; a directory, or a
/// name that is not UTF-8, is refused.
pub fn logged_file_name(local_file: &Path) -> Result<&str> {
    let meta = std::fs::metadata(local_file).map_err(|e| super::tree::io_error(e, "reading", local_file))?;
    if meta.is_dir() {
        return Err(Error::invalid(format!(
            "{} is a directory; use log_artifacts for a directory",
            local_file.display()
        )));
    }
    local_file
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| Error::invalid(format!("{} has no UTF-8 file name", local_file.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_and_refuses() {
        assert_eq!(normalize_artifact_path("a//b/./c/", "p").unwrap(), "a/b/c");
        assert_eq!(normalize_artifact_path("", "p").unwrap(), "");
        assert_eq!(normalize_artifact_path(".", "p").unwrap(), "");
        for bad in ["../x", "a/../b", "/etc/passwd", "a\\b", "..", "a/.."] {
            assert!(normalize_artifact_path(bad, "p").is_err(), "{bad}");
        }
    }

    #[test]
    fn listing_children() {
        assert_eq!(listed_child("d", "x.txt", "s").unwrap(), "d/x.txt");
        assert_eq!(listed_child("d", "d/x.txt", "s").unwrap(), "d/x.txt");
        assert_eq!(listed_child("", "x", "s").unwrap(), "x");
        for bad in ["../x", "..", "", "/abs", "a/b/c", "."] {
            assert!(listed_child("d", bad, "s").is_err(), "{bad}");
        }
    }

    #[test]
    fn encodes_urls() {
        assert_eq!(url_encode_path("a b/c#d%e"), "a%20b/c%23d%25e");
    }
}
