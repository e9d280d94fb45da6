//! MLflow's validation rules for what a client logs, checked before anything is queued so an
//! invalid call fails at once (never later, inside the writer): key characters and path shape,
//! length limits (truncating long param and tag values as MLflow does by default), metric
//! timestamps, batch sizes, run and experiment ids, experiment names and locations. Messages
//! follow MLflow's wording so users recognise them. Lengths count characters (code points), as
//! Python's `len` does.

use std::borrow::Cow;
use std::sync::OnceLock;

use crate::entities::Param;
use crate::error::{Error, Result};

pub const MAX_ENTITY_KEY_LENGTH: usize = 250;
pub const MAX_PARAM_VALUE_LENGTH: usize = 6000;
pub const MAX_TAG_VALUE_LENGTH: usize = 8000;
pub const MAX_EXPERIMENT_NAME_LENGTH: usize = 500;
pub const MAX_EXPERIMENT_TAG_KEY_LENGTH: usize = 250;
pub const MAX_EXPERIMENT_TAG_VALUE_LENGTH: usize = 20000;
pub const MAX_METRICS_PER_BATCH: usize = 1000;
pub const MAX_PARAMS_TAGS_PER_BATCH: usize = 100;
pub const MAX_ENTITIES_PER_BATCH: usize = 1000;
/// MLflow's default for `MLFLOW_ARTIFACT_LOCATION_MAX_LENGTH`.
const DEFAULT_ARTIFACT_LOCATION_MAX_LENGTH: usize = 2048;

/// `MLFLOW_TRUNCATE_LONG_VALUES` (default true): whether over-long param and tag values are cut
/// to the limit or refused. Read once per process, like the other settings of a client.
fn truncate_long_values() -> bool {
    static SETTING: OnceLock<bool> = OnceLock::new();
    *SETTING.get_or_init(|| {
        std::env::var("MLFLOW_TRUNCATE_LONG_VALUES")
            .map(|v| !matches!(v.trim().to_ascii_lowercase().as_str(), "false" | "0" | "no" | "off"))
            .unwrap_or(true)
    })
}

fn artifact_location_max_length() -> usize {
    static SETTING: OnceLock<usize> = OnceLock::new();
    *SETTING.get_or_init(|| {
        std::env::var("MLFLOW_ARTIFACT_LOCATION_MAX_LENGTH")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(DEFAULT_ARTIFACT_LOCATION_MAX_LENGTH)
    })
}

/// MLflow's "Invalid value <json> for parameter '<path>' supplied: <why>".
fn invalid_value(path: &str, value: &str, why: &str) -> Error {
    let shown = serde_json::to_string(value).unwrap_or_else(|_| format!("\"{value}\""));
    Error::invalid(format!("Invalid value {shown} for parameter '{path}' supplied: {why}"))
}

fn exceeds_maximum_length(what: &str, limit: usize) -> Error {
    Error::invalid(format!("'{what}' exceeds the maximum length of {limit} characters"))
}

/// Python's `\w` (letters, digits and underscore, in any script) plus MLflow's `/ . - space :`.
fn is_key_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '/' | '.' | '-' | ' ' | ':')
}

/// Python's `posixpath.normpath`: collapses repeated slashes, drops `.` segments, resolves `..`
/// lexically; two leading slashes are kept, three or more become one.
fn posix_normpath(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let leading = if path.starts_with("//") && !path.starts_with("///") {
        2
    } else if path.starts_with('/') {
        1
    } else {
        0
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if leading == 0 && (parts.is_empty() || parts.last() == Some(&"..")) => parts.push(part),
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    let joined = format!("{}{}", "/".repeat(leading), parts.join("/"));
    if joined.is_empty() {
        ".".into()
    } else {
        joined
    }
}

/// MLflow's test `normpath(key) == key and not (key == "." or key.startswith(("..", "/")))`,
/// without allocating (this runs on every logged metric).
fn names_itself(key: &str) -> bool {
    !key.is_empty()
        && !key.starts_with('/')
        && !key.starts_with("..")
        && key.split('/').all(|s| !s.is_empty() && s != "." && s != "..")
}

/// Keys are used as file names in some stores, so they must name themselves: no empty key,
/// no leading or doubled slashes, no `.`/`..` segments.
fn check_key(path: &str, key: &str) -> Result<()> {
    if !key.chars().all(is_key_char) {
        return Err(invalid_value(
            path,
            key,
            "Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) \
             and slashes (/).",
        ));
    }
    if !names_itself(key) {
        let norm = posix_normpath(key);
        return Err(invalid_value(
            path,
            key,
            &format!(
                "Names may be treated as files in certain cases, and must not resolve to other names when treated \
                 as such. This name would resolve to '{norm}'"
            ),
        ));
    }
    Ok(())
}

fn check_length(what: &str, limit: usize, value: &str) -> Result<()> {
    // Bytes bound characters from above: only long strings need counting.
    if value.len() > limit && value.chars().count() > limit {
        return Err(exceeds_maximum_length(what, limit));
    }
    Ok(())
}

/// The value cut to `limit` characters when MLflow would cut it, else an error if too long.
fn truncate_or_refuse<'a>(what: &str, limit: usize, value: &'a str) -> Result<Cow<'a, str>> {
    if value.len() <= limit {
        return Ok(Cow::Borrowed(value));
    }
    match value.char_indices().nth(limit) {
        None => Ok(Cow::Borrowed(value)),
        Some(_) if !truncate_long_values() => Err(exceeds_maximum_length(what, limit)),
        Some((cut, _)) => Ok(Cow::Owned(value[..cut].to_string())),
    }
}

pub fn validate_metric_key(key: &str) -> Result<()> {
    check_key("name", key)?;
    check_length("Metric name", MAX_ENTITY_KEY_LENGTH, key)
}

pub fn validate_param_key(key: &str) -> Result<()> {
    check_key("key", key)?;
    check_length("Param key", MAX_ENTITY_KEY_LENGTH, key)
}

pub fn validate_tag_key(key: &str) -> Result<()> {
    check_key("key", key)?;
    check_length("key", MAX_ENTITY_KEY_LENGTH, key)
}

/// A param value as stored: cut at 6000 characters (or refused with
/// `MLFLOW_TRUNCATE_LONG_VALUES=false`). Param immutability compares this stored form.
pub fn truncate_param_value<'a>(_key: &str, value: &'a str) -> Result<Cow<'a, str>> {
    truncate_or_refuse("Param value", MAX_PARAM_VALUE_LENGTH, value)
}

/// A run tag value as stored: cut at 8000 characters (or refused, as for params).
pub fn truncate_tag_value<'a>(_key: &str, value: &'a str) -> Result<Cow<'a, str>> {
    truncate_or_refuse("value", MAX_TAG_VALUE_LENGTH, value)
}

/// A metric point: a valid key and a non-negative timestamp. Every f64 is a valid value (NaN and
/// ±inf are stored as MLflow stores them); every i64 a valid step.
pub fn validate_metric(key: &str, value: f64, timestamp: i64, _step: i64) -> Result<()> {
    check_key("name", key)?;
    if timestamp < 0 {
        return Err(Error::invalid(format!(
            "Invalid value {timestamp} for parameter 'timestamp' supplied: metric '{key}' (value={value}). \
             Timestamp must be a nonnegative long (64-bit integer)"
        )));
    }
    check_length("Metric name", MAX_ENTITY_KEY_LENGTH, key)
}

/// MLflow's run id shape: `^[a-zA-Z0-9][\w\-]{0,255}$` (ours are 32 hex characters).
pub fn validate_run_id(id: &str) -> Result<()> {
    let mut chars = id.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    let rest_ok = chars.clone().all(|c| c.is_alphanumeric() || c == '_' || c == '-') && chars.count() <= 255;
    if first_ok && rest_ok {
        Ok(())
    } else {
        Err(invalid_value("run_id", id, "not a run id (expected letters, digits, '_' or '-')"))
    }
}

/// Experiment ids are integers in the SQL store.
pub fn parse_experiment_id(id: &str) -> Result<i64> {
    id.trim()
        .parse()
        .map_err(|_| Error::invalid(format!("Invalid experiment ID '{id}'. Experiment ID must be a valid integer.")))
}

pub fn validate_experiment_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::invalid("Invalid experiment name: ''"));
    }
    check_length("name", MAX_EXPERIMENT_NAME_LENGTH, name)
}

pub fn validate_experiment_tag(key: &str, value: &str) -> Result<()> {
    check_key("key", key)?;
    check_length("key", MAX_EXPERIMENT_TAG_KEY_LENGTH, key)?;
    check_length("value", MAX_EXPERIMENT_TAG_VALUE_LENGTH, value)
}

pub fn validate_experiment_artifact_location(location: &str) -> Result<()> {
    if location.starts_with("runs:") {
        return Err(Error::invalid(format!("Artifact location cannot be a runs:/ URI. Given: '{location}'")));
    }
    let max = artifact_location_max_length();
    if location.chars().count() > max {
        return Err(Error::invalid(format!(
            "Invalid artifact path length. The length of the artifact path cannot be greater than {max} characters. \
             To configure this limit, please set the MLFLOW_ARTIFACT_LOCATION_MAX_LENGTH environment variable."
        )));
    }
    Ok(())
}

/// log_batch's size limits: 1000 metrics, 100 params, 100 tags, 1000 entities in all.
pub fn validate_batch_limits(metrics: usize, params: usize, tags: usize) -> Result<()> {
    for (what, limit, n) in [
        ("metrics", MAX_METRICS_PER_BATCH, metrics),
        ("params", MAX_PARAMS_TAGS_PER_BATCH, params),
        ("tags", MAX_PARAMS_TAGS_PER_BATCH, tags),
        ("metrics, params, and tags", MAX_ENTITIES_PER_BATCH, metrics + params + tags),
    ] {
        if n > limit {
            return Err(Error::invalid(format!(
                "A batch logging request can contain at most {limit} {what}. Got {n} {what}. Please split up {what} \
                 across multiple requests and try again."
            )));
        }
    }
    Ok(())
}

/// One batch may not log the same param key twice (even with the same value).
pub fn validate_param_keys_unique(params: &[Param]) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    let dupes: Vec<&str> = params.iter().filter(|p| !seen.insert(p.key.as_str())).map(|p| p.key.as_str()).collect();
    if dupes.is_empty() {
        return Ok(());
    }
    Err(Error::invalid(format!(
        "Duplicate parameter keys have been submitted: {dupes:?}. Please ensure the request contains only one param \
         value per param key."
    )))
}

/// Registry tag key limit and value limit (`MAX_MODEL_REGISTRY_TAG_*`).
pub const MAX_REGISTRY_TAG_KEY_LENGTH: usize = 250;
pub const MAX_REGISTRY_TAG_VALUE_LENGTH: usize = 100_000;
/// `MAX_REGISTERED_MODEL_ALIAS_LENGTH`.
pub const MAX_ALIAS_LENGTH: usize = 255;

fn missing_value(path: &str) -> Error {
    Error::invalid(format!("Missing value for required parameter '{path}'."))
}

/// A registered model name: not blank, no `/` or `:` (they would split `models:/` URIs), and
/// naming itself as a path (MLflow's `_validate_model_name`).
pub fn validate_model_name(name: &str) -> Result<()> {
    validate_model_name_as(name, "name")
}

/// The new name of a rename (`_validate_model_renaming`): the same rules, reported as `new_name`.
pub fn validate_model_rename(new_name: &str) -> Result<()> {
    validate_model_name_as(new_name, "new_name")
}

fn validate_model_name_as(name: &str, path: &str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(missing_value(path));
    }
    if name.contains('/') || name.contains(':') {
        return Err(Error::invalid(format!("Invalid model name '{name}'. Names cannot contain '/' or ':'.")));
    }
    if !names_itself(name) {
        let norm = posix_normpath(name);
        return Err(invalid_value(
            "name",
            name,
            &format!(
                "Names may be treated as files in certain cases, and must not resolve to other names when treated \
                 as such. This name would resolve to '{norm}'"
            ),
        ));
    }
    Ok(())
}

/// A model version as MLflow takes it: an integer, also when given as text ("3").
pub fn parse_model_version(version: &str) -> Result<i64> {
    version
        .trim()
        .parse()
        .map_err(|_| Error::invalid(format!("Parameter 'version' must be an integer, got '{version}'.")))
}

/// An alias name: letters, digits, `_` and `-`, at most 255 characters.
pub fn validate_alias(alias: &str) -> Result<()> {
    if alias.is_empty() {
        return Err(Error::invalid("Registered model alias name cannot be empty."));
    }
    if !alias.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-') {
        return Err(Error::invalid(format!(
            "Invalid alias name: '{alias}'. Names may only contain alphanumerics, underscores (_), and dashes (-)."
        )));
    }
    check_length("Registered model alias name", MAX_ALIAS_LENGTH, alias)
}

/// Aliases a caller may not set: `latest` (any case) and version-like `v1`, `V12`.
pub fn validate_alias_not_reserved(alias: &str) -> Result<()> {
    if alias.eq_ignore_ascii_case("latest") {
        return Err(Error::invalid("'latest' alias name (case insensitive) is reserved."));
    }
    let mut chars = alias.chars();
    if matches!(chars.next(), Some('v' | 'V'))
        && !alias[1..].is_empty()
        && alias[1..].chars().all(|c| c.is_ascii_digit())
    {
        return Err(Error::invalid(format!("Version alias name '{alias}' is reserved.")));
    }
    Ok(())
}

/// A registered-model or model-version tag (`_validate_registered_model_tag`,
/// `_validate_model_version_tag`): a key as for run tags, values up to 100,000 characters.
pub fn validate_registry_tag(key: &str, value: &str) -> Result<()> {
    check_key("key", key)?;
    check_length("key", MAX_REGISTRY_TAG_KEY_LENGTH, key)?;
    check_length("value", MAX_REGISTRY_TAG_VALUE_LENGTH, value)
}

/// A tag key to delete from a registered model or version.
pub fn validate_registry_tag_key(key: &str) -> Result<()> {
    check_key("key", key)
}

/// A LoggedModel name (`_validate_logged_model_name`): `None` gets a random name; otherwise
/// non-empty and none of `/ : . % " '`.
pub fn validate_logged_model_name(name: Option<&str>) -> Result<()> {
    let Some(name) = name else { return Ok(()) };
    if name.is_empty() || name.contains(['/', ':', '.', '%', '"', '\'']) {
        return Err(Error::invalid(format!(
            "Invalid model name ('{name}') provided. Model name must be a non-empty string and cannot contain the \
             following characters: ('/', ':', '.', '%', '\"', \"'\")"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normpath_matches_python() {
        for (input, expected) in [
            ("", "."),
            ("a/b", "a/b"),
            ("a//b", "a/b"),
            ("a/./b", "a/b"),
            ("a/../b", "b"),
            ("../a", "../a"),
            ("/a/../..", "/"),
            ("//a", "//a"),
            ("///a", "/a"),
            ("a/", "a"),
            (".", "."),
        ] {
            assert_eq!(posix_normpath(input), expected, "{input}");
        }
    }

    #[test]
    fn names_itself_agrees_with_normpath() {
        for key in ["a", "a/b", "a//b", "/a", "a/", "./a", "a/.", "..", "..a", "a/..b", "a/../b", ".", "", "//a", "a.b"]
        {
            let norm = posix_normpath(key);
            let python = norm == key && norm != "." && !norm.starts_with("..") && !norm.starts_with('/');
            assert_eq!(names_itself(key), python, "{key:?}");
        }
    }

    #[test]
    fn keys_follow_mlflow_rules() {
        for good in ["loss", "val/loss", "a.b-c d:e", "métrique_1", "x".repeat(250).as_str()] {
            assert!(validate_metric_key(good).is_ok(), "{good}");
        }
        for bad in ["", "a//b", "/a", "a/", "./a", "..", "a/../b", "a*b", "a\nb", "x".repeat(251).as_str()] {
            assert!(validate_metric_key(bad).is_err(), "{bad:?}");
            assert!(validate_param_key(bad).is_err(), "{bad:?}");
            assert!(validate_tag_key(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn values_are_truncated_by_characters() {
        let long = "é".repeat(6001);
        assert_eq!(truncate_param_value("k", &long).unwrap().chars().count(), 6000);
        assert_eq!(truncate_tag_value("k", &"t".repeat(9000)).unwrap().len(), 8000);
        assert!(matches!(truncate_param_value("k", "short").unwrap(), Cow::Borrowed("short")));
    }

    #[test]
    fn ids_names_batches() {
        assert!(validate_run_id("0123abcd").is_ok());
        assert!(validate_run_id("").is_err());
        assert!(validate_run_id("-abc").is_err());
        assert!(validate_run_id("a b").is_err());
        assert_eq!(parse_experiment_id("12").unwrap(), 12);
        assert!(parse_experiment_id("x").is_err());
        assert!(validate_experiment_name("").is_err());
        assert!(validate_experiment_name(&"n".repeat(501)).is_err());
        assert!(validate_experiment_artifact_location("runs:/x").is_err());
        assert!(validate_batch_limits(1000, 0, 0).is_ok());
        assert!(validate_batch_limits(1001, 0, 0).is_err());
        assert!(validate_batch_limits(900, 100, 1).is_err());
        let p = |k: &str| Param { key: k.into(), value: "v".into() };
        assert!(validate_param_keys_unique(&[p("a"), p("b")]).is_ok());
        assert!(validate_param_keys_unique(&[p("a"), p("a")]).is_err());
        assert!(validate_metric("m", f64::NAN, -1, 0).is_err());
    }
}
