//! TEMPORARY stand-in; the real module lands from the `basics` branch.
use crate::error::{Error, Result};
use std::borrow::Cow;
pub const MAX_ENTITY_KEY_LENGTH: usize = 250;
pub fn validate_metric_key(key: &str) -> Result<()> {
    check_key("metric", key)
}
pub fn validate_param_key(key: &str) -> Result<()> {
    check_key("param", key)
}
pub fn validate_tag_key(key: &str) -> Result<()> {
    check_key("tag", key)
}
fn check_key(kind: &str, key: &str) -> Result<()> {
    if key.is_empty() || key.chars().count() > MAX_ENTITY_KEY_LENGTH {
        return Err(Error::invalid(format!("Invalid {kind} name: '{key}'")));
    }
    Ok(())
}
pub fn truncate_param_value<'a>(_key: &str, value: &'a str) -> Result<Cow<'a, str>> {
    Ok(truncate(value, 6000))
}
pub fn truncate_tag_value<'a>(_key: &str, value: &'a str) -> Result<Cow<'a, str>> {
    Ok(truncate(value, 8000))
}
fn truncate(v: &str, n: usize) -> Cow<'_, str> {
    match v.char_indices().nth(n) {
        Some((i, _)) => Cow::Owned(v[..i].to_string()),
        None => Cow::Borrowed(v),
    }
}
pub fn validate_metric(key: &str, _value: f64, timestamp: i64, _step: i64) -> Result<()> {
    validate_metric_key(key)?;
    if timestamp < 0 {
        return Err(Error::invalid("negative timestamp"));
    }
    Ok(())
}
pub fn validate_run_id(id: &str) -> Result<()> {
    if id.is_empty() {
        return Err(Error::invalid("Invalid run ID: ''"));
    }
    Ok(())
}
pub fn parse_experiment_id(id: &str) -> Result<i64> {
    id.parse().map_err(|_| Error::invalid(format!("Experiment ID must be a valid integer: '{id}'")))
}
pub fn validate_experiment_name(name: &str) -> Result<()> {
    if name.is_empty() || name.chars().count() > 500 {
        return Err(Error::invalid("Invalid experiment name"));
    }
    Ok(())
}
pub fn validate_experiment_tag(key: &str, _value: &str) -> Result<()> {
    check_key("tag", key)
}
pub fn validate_experiment_artifact_location(_loc: &str) -> Result<()> {
    Ok(())
}
pub fn validate_batch_limits(_m: usize, _p: usize, _t: usize) -> Result<()> {
    Ok(())
}
pub fn validate_param_keys_unique(_params: &[crate::entities::Param]) -> Result<()> {
    Ok(())
}
