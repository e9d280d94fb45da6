//! An experiment's explicit artifact location as MLflow 3.17.2 stores it (its
//! `resolve_uri_if_local`, POSIX rules): a *relative* local path or `file:` URI is joined onto the
//! current directory — empty and `.` segments dropped, `..` kept (a symlink may sit before it),
//! percent-escapes decoded; everything else (absolute paths, `file:///abs`, other schemes) is
//! stored exactly as given. The interop tests compare this with MLflow's own results.

use crate::error::{Error, Result};
use crate::util::percent_decode;

pub(super) fn resolve_artifact_location(location: &str) -> Result<String> {
    match uri_scheme(location) {
        None => {
            let path = percent_decode(location);
            if path.starts_with('/') {
                return Ok(location.to_string());
            }
            Ok(join_onto_current_dir(&path))
        }
        Some(scheme) if scheme == "file" => resolve_file_uri(location),
        Some(_) => Ok(location.to_string()),
    }
}

/// `file:` URIs: a remote host is refused as MLflow refuses it; a relative path becomes
/// `file:///<cwd>/<path>` (query and fragment kept), an absolute one stays as given.
fn resolve_file_uri(location: &str) -> Result<String> {
    let rest = &location["file:".len()..];
    let (rest, fragment) = split_off(rest, '#');
    let (rest, query) = split_off(rest, '?');
    let (host, path) = match rest.strip_prefix("//") {
        Some(after) => match after.find('/') {
            Some(i) => (&after[..i], &after[i..]),
            None => (after, ""),
        },
        None => ("", rest),
    };
    let hostname = host.rsplit('@').next().unwrap_or("").split(':').next().unwrap_or("").to_ascii_lowercase();
    let local_host = hostname.is_empty()
        || hostname == "."
        || hostname.starts_with("localhost")
        || hostname.starts_with("127.0.0.1");
    if !local_host {
        return Err(Error::invalid(format!(
            "{location} is not a valid remote uri. For remote access on windows, please consider using a \
             different scheme such as SMB (e.g. smb://<hostname>/<path>)."
        )));
    }
    let path = percent_decode(path);
    if path.starts_with('/') {
        return Ok(location.to_string());
    }
    let mut out = format!("file://{}", join_onto_current_dir(&path));
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    Ok(out)
}

fn split_off(s: &str, separator: char) -> (&str, Option<&str>) {
    match s.find(separator) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    }
}

/// The scheme as Python's `urlsplit` finds it: an ASCII letter, then letters, digits, `+-.`,
/// up to the first `:`; lower-cased. On POSIX a one-letter scheme (`C:/x`) is a scheme too.
fn uri_scheme(location: &str) -> Option<String> {
    let colon = location.find(':')?;
    let candidate = &location[..colon];
    let mut chars = candidate.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    (first_ok && rest_ok).then(|| candidate.to_ascii_lowercase())
}

/// `<cwd>/<relative>` joined as Python's pathlib joins: no empty or `.` segments, `..` kept.
fn join_onto_current_dir(relative: &str) -> String {
    let cwd = std::env::current_dir().map(|d| d.to_string_lossy().into_owned()).unwrap_or_else(|_| ".".into());
    let mut out = cwd.trim_end_matches('/').to_string();
    for segment in relative.split('/').filter(|s| !s.is_empty() && *s != ".") {
        out.push('/');
        out.push_str(segment);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cwd() -> String {
        std::env::current_dir().unwrap().to_string_lossy().into_owned()
    }

    /// Cases checked against MLflow 3.17.2's `create_experiment` (tests/interop).
    #[test]
    fn resolves_like_mlflow() {
        let cwd = cwd();
        let cases = [
            ("rel/dir", format!("{cwd}/rel/dir")),
            ("./x/../y", format!("{cwd}/x/../y")),
            ("a//b/./c/", format!("{cwd}/a/b/c")),
            ("~/x", format!("{cwd}/~/x")),
            ("a%20b", format!("{cwd}/a b")),
            ("file:rel", format!("file://{cwd}/rel")),
            ("file:rel?q=1#f", format!("file://{cwd}/rel?q=1#f")),
            ("file:///abs/p", "file:///abs/p".to_string()),
            ("file://localhost/abs", "file://localhost/abs".to_string()),
            ("/abs//double/", "/abs//double/".to_string()),
            ("/a/./b/../c", "/a/./b/../c".to_string()),
            ("s3://bucket/p?x=1", "s3://bucket/p?x=1".to_string()),
            ("C:/win", "C:/win".to_string()),
            ("mlflow-artifacts:/a", "mlflow-artifacts:/a".to_string()),
        ];
        for (given, stored) in cases {
            assert_eq!(resolve_artifact_location(given).unwrap(), stored, "{given}");
        }
    }

    #[test]
    fn remote_file_hosts_are_refused() {
        let e = resolve_artifact_location("file://server/share").unwrap_err();
        assert!(e.message().contains("not a valid remote uri"), "{e}");
    }

    #[test]
    fn malformed_escapes_stay() {
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("a%zz%41"), "a%zzA");
        assert_eq!(percent_decode("%C3%A9"), "é");
    }
}
