//! The tracking server's address, parsed from `http(s)://[user:password@]host[:port][/prefix]`.
//!
//! Credentials written in the URI are split off here, so the base URL that appears in every
//! message and Debug output can never carry them.

use std::fmt;

use crate::error::{Error, Result};

/// A tracking server's base URL (no credentials, no trailing slash) and the userinfo it was given with.
#[derive(Clone)]
pub(crate) struct ServerUrl {
    /// `scheme://host[:port][/prefix]`, printable.
    base: String,
    /// `user:password` from the URI, percent-decoded.
    pub userinfo: Option<(String, String)>,
}

impl fmt::Debug for ServerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerUrl")
            .field("base", &self.base)
            .field("userinfo", &self.userinfo.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl ServerUrl {
    pub fn parse(uri: &str) -> Result<ServerUrl> {
        // The URI itself may hold a password: messages below quote only what was parsed safely.
        let bad = |why: &str| Error::invalid(format!("tracking URI is malformed: {why}"));
        if uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("it contains whitespace or control characters"));
        }
        let (scheme, rest) = uri.split_once("://").ok_or_else(|| {
            bad("expected http://host:port or https://host:port (a tracking server) — no '://' found")
        })?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(bad(&format!("unsupported scheme '{scheme}' for a tracking server; use http:// or https://")));
        }
        if rest.contains(['?', '#']) {
            return Err(bad("a tracking server URI takes no query string or fragment"));
        }
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let userinfo = userinfo.map(split_userinfo).transpose().map_err(|why| bad(&why))?;
        let (host, port) = split_host_port(hostport).map_err(|why| bad(&why))?;
        let prefix = path.trim_end_matches('/');
        if prefix.contains("//") || prefix.split('/').any(|seg| seg == "..") {
            return Err(bad(&format!("path prefix '{prefix}' has empty or '..' segments")));
        }
        let port = port.map(|p| format!(":{p}")).unwrap_or_default();
        Ok(ServerUrl { base: format!("{scheme}://{host}{port}{prefix}"), userinfo })
    }

    /// `scheme://host[:port][/prefix]` without credentials.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The full URL of a REST endpoint (relative to `/api/2.0/mlflow/`).
    pub fn endpoint_url(&self, endpoint: &str) -> String {
        format!("{}/api/2.0/mlflow/{}", self.base, endpoint.trim_start_matches('/'))
    }
}

fn split_userinfo(userinfo: &str) -> std::result::Result<(String, String), String> {
    let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    let user = percent_decode(user).ok_or("the user name in the URI has a bad %-escape")?;
    let password = percent_decode(password).ok_or("the password in the URI has a bad %-escape")?;
    if user.is_empty() {
        return Err("the URI has '@' but no user name before it".into());
    }
    Ok((user, password))
}

fn split_host_port(hostport: &str) -> std::result::Result<(String, Option<u16>), String> {
    let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
        let (addr, after) = v6.split_once(']').ok_or("an IPv6 host needs a closing ']'")?;
        if addr.is_empty() || !addr.chars().all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.') {
            return Err(format!("'[{addr}]' is not an IPv6 address"));
        }
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':').ok_or("unexpected text after the IPv6 host")?),
        };
        (format!("[{addr}]"), port)
    } else {
        match hostport.split_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (hostport.to_string(), None),
        }
    };
    if host.is_empty() {
        return Err("no host name (expected http://host:port)".into());
    }
    if !host.starts_with('[') && !host.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_') {
        return Err(format!("'{host}' is not a valid host name"));
    }
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 && p.chars().all(|c| c.is_ascii_digit()) => Some(n),
            _ => return Err(format!("port '{p}' is not a number from 1 to 65535")),
        },
    };
    Ok((host.to_ascii_lowercase(), port))
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_strips_credentials() {
        let u = ServerUrl::parse("HTTP://al%40ice:s%3Acret@LocalHost:5000/mlflow/").unwrap();
        assert_eq!(u.base(), "http://localhost:5000/mlflow");
        assert_eq!(u.userinfo, Some(("al@ice".to_string(), "s:cret".to_string())));
        assert_eq!(u.endpoint_url("runs/get"), "http://localhost:5000/mlflow/api/2.0/mlflow/runs/get");
        assert!(!format!("{u:?}").contains("cret"));
        assert_eq!(ServerUrl::parse("https://[::1]:8443").unwrap().base(), "https://[::1]:8443");
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "localhost:5000",
            "ftp://host",
            "http://",
            "http://:5000",
            "http://host:0",
            "http://host:99999",
            "http://host:12ab",
            "http://ho st",
            "http://host/?q=1",
            "http://[::1",
            "http://u:p@",
        ] {
            let e = ServerUrl::parse(bad).unwrap_err();
            assert_eq!(e.kind(), crate::error::ErrorKind::InvalidArgument, "{bad}");
        }
        let e = ServerUrl::parse("http://user:hunter2@host:badport").unwrap_err();
        assert!(!e.message().contains("hunter2"), "{}", e.message());
    }
}
