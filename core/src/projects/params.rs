//! Parameter values as `mlflow run` computes them: Python's `str()` of YAML defaults, `path` and
//! `uri` checks, `shlex.quote` on every value, `str.format` substitution into the command and
//! undeclared parameters appended as ` --key value`.

use std::path::{Path, PathBuf};

use super::spec::EntryPoint;
use crate::error::{Error, Result};
use crate::models::yaml::YamlValue;

/// Python's `str()` of a value PyYAML read (a parameter default): `True`, `0.5`, `1e-05`, `[1, 'a']`.
pub fn python_str(value: &YamlValue) -> String {
    match value {
        YamlValue::Str(s) => s.clone(),
        other => python_repr(other),
    }
}

fn python_repr(value: &YamlValue) -> String {
    match value {
        YamlValue::Null => "None".into(),
        YamlValue::Bool(true) => "True".into(),
        YamlValue::Bool(false) => "False".into(),
        YamlValue::Int(i) => i.to_string(),
        YamlValue::Float(f) if f.is_nan() => "nan".into(),
        YamlValue::Float(f) if f.is_infinite() => if *f > 0.0 { "inf" } else { "-inf" }.into(),
        YamlValue::Float(f) => crate::models::pyrepr::float_repr(*f),
        YamlValue::Str(s) => {
            // repr(str): single quotes unless the text holds one and no double quote.
            let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
            let mut out = String::from(quote);
            for c in s.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    c if c == quote => {
                        out.push('\\');
                        out.push(c);
                    }
                    c => out.push(c),
                }
            }
            out.push(quote);
            out
        }
        YamlValue::Seq(items) => format!("[{}]", items.iter().map(python_repr).collect::<Vec<_>>().join(", ")),
        YamlValue::Map(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{}: {}", python_repr(&YamlValue::Str(k.clone())), python_repr(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Python's `shlex.quote`: unchanged when made only of ASCII letters, digits and `@%+=:,./-_`,
/// else single-quoted with each `'` written as `'"'"'`.
pub fn shell_quote(s: &str) -> String {
    if s.is_empty() {
        return "''".into();
    }
    let safe = |c: char| c.is_ascii_alphanumeric() || "@%+=:,./-_".contains(c);
    if s.chars().all(safe) {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', "'\"'\"'"))
}

/// The scheme of `s` as Python's `urllib.parse.urlparse` finds it ("" when there is none).
pub fn url_scheme(s: &str) -> String {
    match s.find(':') {
        Some(i) if i > 0 => {
            let candidate = &s[..i];
            let first_is_letter = candidate.starts_with(|c: char| c.is_ascii_alphabetic());
            if first_is_letter && candidate.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) {
                candidate.to_ascii_lowercase()
            } else {
                String::new()
            }
        }
        _ => String::new(),
    }
}

/// The local path a `path` parameter value names (no scheme, or `file:` without a host), or
/// None for a URI to download.
pub fn local_path_of(value: &str) -> Option<PathBuf> {
    let scheme = url_scheme(value);
    if scheme.is_empty() {
        return Some(PathBuf::from(value));
    }
    if scheme == "file" {
        let rest = &value[5..];
        let path = match rest.strip_prefix("//") {
            Some(after) => {
                let (host, path) = after.split_at(after.find('/').unwrap_or(after.len()));
                if !host.is_empty() {
                    return None;
                }
                path
            }
            None => rest,
        };
        // A file: URI's path may be percent-encoded (urllib's url2pathname decodes it).
        let path = path.split(['?', '#']).next().unwrap_or("");
        return Some(PathBuf::from(crate::util::percent_decode(path)));
    }
    None
}

/// Makes `path` absolute against `base` (`os.path.abspath`: lexical, `..` folded, no symlinks).
pub fn absolute_against(base: &Path, path: &Path) -> PathBuf {
    let joined = if path.is_absolute() { path.to_path_buf() } else { base.join(path) };
    let mut out = PathBuf::new();
    for part in joined.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// A parameter value to substitute, and the text MLflow logs for it.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedParam {
    pub name: String,
    /// The value put into the command, before quoting (an absolute path for `path` parameters).
    pub value: String,
    /// What is logged as the run parameter: the shell-quoted given value (for `path`, the value
    /// the caller gave, not the absolute or downloaded path).
    pub logged: String,
    /// A `path` parameter given as a remote URI: downloaded just before launch.
    pub download: Option<String>,
}

/// All parameters of one launch: declared ones in declaration order, then extras in the order given.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedParams {
    pub declared: Vec<ResolvedParam>,
    pub extra: Vec<(String, String)>,
}

impl ResolvedParams {
    /// The run parameters `mlflow run` logs: every value shell-quoted, extras' keys too.
    pub fn logged(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self.declared.iter().map(|p| (p.name.clone(), p.logged.clone())).collect();
        out.extend(self.extra.iter().map(|(k, v)| (shell_quote(k), shell_quote(v))));
        out
    }
}

/// Checks the given values against the entry point (missing required parameters, `path` values
/// that do not exist, `uri` values without a scheme) and resolves them; relative `path` values
/// are made absolute against `cwd` (the caller's directory, not the project's, as in MLflow).
pub fn resolve(entry_point: &EntryPoint, given: &[(String, String)], cwd: &Path) -> Result<ResolvedParams> {
    let lookup = |name: &str| given.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let missing: Vec<String> = entry_point
        .parameters
        .iter()
        .filter(|p| p.default.is_none() && lookup(&p.name).is_none())
        .map(|p| format!("'{}'", p.name))
        .collect();
    if !missing.is_empty() {
        return Err(Error::invalid(format!("No value given for missing parameters: {}", missing.join(", "))));
    }
    let mut declared = Vec::new();
    for p in &entry_point.parameters {
        let given_value = lookup(&p.name).or_else(|| p.default.clone()).unwrap_or_default();
        let logged = shell_quote(&given_value);
        let (value, download) = match p.type_name.as_str() {
            "path" => match local_path_of(&given_value) {
                Some(local) => {
                    let abs = absolute_against(cwd, &local);
                    if !abs.exists() {
                        return Err(Error::not_found(format!(
                            "Got value {given_value} for parameter {}, but no such file or directory was found.",
                            p.name
                        )));
                    }
                    (abs.to_string_lossy().into_owned(), None)
                }
                None => (given_value.clone(), Some(given_value.clone())),
            },
            "uri" => {
                if url_scheme(&given_value).is_empty() {
                    return Err(Error::invalid(format!("Expected URI for parameter {} but got {given_value}", p.name)));
                }
                (given_value.clone(), None)
            }
            _ => (given_value.clone(), None),
        };
        declared.push(ResolvedParam { name: p.name.clone(), value, logged, download });
    }
    let mut extra: Vec<(String, String)> = Vec::new();
    for (k, v) in given {
        if entry_point.parameters.iter().any(|p| &p.name == k) {
            continue;
        }
        match extra.iter_mut().find(|(ek, _)| ek == k) {
            Some(slot) => slot.1 = v.clone(),
            None => extra.push((k.clone(), v.clone())),
        }
    }
    Ok(ResolvedParams { declared, extra })
}

/// The shell command: the template with `{name}` replaced by the quoted value (Python's
/// `str.format`, `{{`/`}}` for literal braces), then ` --key value` per extra parameter.
pub fn compute_command(entry_point: &EntryPoint, params: &ResolvedParams) -> Result<String> {
    let template = &entry_point.command;
    let mut out = String::with_capacity(template.len());
    let mut chars = template.char_indices().peekable();
    let where_ = || format!("the command of entry point '{}'", entry_point.name);
    while let Some((i, c)) = chars.next() {
        match c {
            '{' if chars.peek().map(|(_, n)| *n) == Some('{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek().map(|(_, n)| *n) == Some('}') => {
                chars.next();
                out.push('}');
            }
            '}' => {
                return Err(Error::invalid(format!(
                    "{}: single '}}' at character {i}; write '}}}}' for a literal brace",
                    where_()
                )))
            }
            '{' => {
                let rest = &template[i + 1..];
                let Some(end) = rest.find('}') else {
                    return Err(Error::invalid(format!(
                        "{}: '{{' at character {i} is not closed; write '{{{{' for a literal brace",
                        where_()
                    )));
                };
                let field = &rest[..end];
                for _ in 0..field.chars().count() + 1 {
                    chars.next();
                }
                if field.contains(['!', ':', '.', '[', '{']) {
                    return Err(Error::invalid(format!(
                        "{}: '{{{field}}}' uses a format conversion, spec or attribute, which MLproject \
                         commands do not support; write '{{name}}'",
                        where_()
                    )));
                }
                let Some(p) = params.declared.iter().find(|p| p.name == field) else {
                    let declared: Vec<&str> = params.declared.iter().map(|p| p.name.as_str()).collect();
                    return Err(Error::invalid(format!(
                        "{}: '{{{field}}}' is not a parameter of the entry point (declared: [{}]); write \
                         '{{{{' and '}}}}' for literal braces",
                        where_(),
                        declared.join(", ")
                    )));
                };
                out.push_str(&shell_quote(&p.value));
            }
            c => out.push(c),
        }
    }
    for (k, v) in &params.extra {
        out.push_str(&format!(" --{} {}", shell_quote(k), shell_quote(v)));
    }
    Ok(out)
}

/// `mlflow run`'s `-P name=value` arguments as ordered pairs: split at the first `=`; a missing
/// `=` or a repeated name is refused with the CLI's messages.
pub fn parse_cli_params<S: AsRef<str>>(arguments: &[S]) -> Result<Vec<(String, String)>> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for arg in arguments {
        let arg = arg.as_ref();
        let Some((name, value)) = arg.split_once('=') else {
            return Err(Error::invalid(format!("Invalid format for -P parameter: '{arg}'. Use -P name=value.")));
        };
        if pairs.iter().any(|(k, _)| k == name) {
            return Err(Error::invalid(format!("Repeated parameter: '{name}'")));
        }
        pairs.push((name.to_string(), value.to_string()));
    }
    Ok(pairs)
}
