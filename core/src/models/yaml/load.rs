//! Reading YAML as PyYAML's `safe_load` does.

use std::collections::BTreeMap;

use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle};

use super::emit::yaml_float;
use super::resolve::{is_yaml11_float, is_yaml11_int};
use super::YamlValue;
use crate::error::{Error, Result};

fn reader_options() -> serde_saphyr::options::Options {
    let mut options = serde_saphyr::options::Options::default();
    // PyYAML writes `y`, `n`, `nO` plain because they are strings to it (YAML 1.1 bools are
    // yes/no/on/off); a `bool` field must not take them.
    options.strict_booleans = true;
    options
}

/// Parses YAML text into a typed `T` through serde-saphyr (a `String` field takes any scalar as
/// written), turning every parser complaint into InvalidArgument naming `what`.
pub fn from_str<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T> {
    serde_saphyr::from_str_with_options(text, reader_options())
        .map_err(|e| Error::invalid(format!("malformed {what}: {e}")))
}

/// Parses a YAML document whose root must be a mapping (MLmodel, conda.yaml, …).
pub fn mapping_from_str(text: &str, what: &str) -> Result<BTreeMap<String, YamlValue>> {
    match safe_load(text).map_err(|e| Error::invalid(format!("malformed {what}: {e}")))? {
        Some(YamlValue::Map(m)) => Ok(m),
        None | Some(YamlValue::Null) => Err(Error::invalid(format!("malformed {what}: the document is empty"))),
        Some(other) => Err(Error::invalid(format!(
            "malformed {what}: the document must be a mapping of keys to values, not {}",
            other.kind()
        ))),
    }
}

/// PyYAML's `yaml.safe_load`: one document (None when there is none), plain scalars resolved
/// with YAML 1.1's rules. Built from serde-saphyr's event parser, which keeps each scalar's style.
pub fn safe_load(text: &str) -> std::result::Result<Option<YamlValue>, String> {
    enum Open {
        Seq(Vec<YamlValue>, usize),
        Map(BTreeMap<String, YamlValue>, Option<String>, usize),
    }
    let mut stack: Vec<Open> = Vec::new();
    let mut anchors: BTreeMap<usize, YamlValue> = BTreeMap::new();
    let mut root: Option<YamlValue> = None;
    let mut documents = 0;
    // Bounds against hostile files: deep nesting (recursion when writing or dropping) and alias
    // expansion ("billion laughs"); MLflow's files are a few levels and a few hundred nodes.
    let mut nodes = 0usize;
    for item in Parser::new_from_str(text) {
        nodes += 1;
        if stack.len() > MAX_DEPTH || nodes > MAX_NODES {
            return Err(format!("nested deeper than {MAX_DEPTH} levels or more than {MAX_NODES} values"));
        }
        let (event, span) = item.map_err(|e| e.to_string())?;
        let value = match event {
            Event::DocumentStart(..) => {
                documents += 1;
                if documents > 1 {
                    return Err(format!("expected a single document, found another at {span:?}"));
                }
                continue;
            }
            Event::SequenceStart(_, anchor, _) => {
                stack.push(Open::Seq(Vec::new(), anchor));
                continue;
            }
            Event::MappingStart(_, anchor, _) => {
                stack.push(Open::Map(BTreeMap::new(), None, anchor));
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (value, anchor) = match stack.pop() {
                    Some(Open::Seq(items, anchor)) => (YamlValue::Seq(items), anchor),
                    Some(Open::Map(map, _, anchor)) => (YamlValue::Map(map), anchor),
                    None => return Err("unbalanced collection end".into()),
                };
                if anchor != 0 {
                    anchors.insert(anchor, value.clone());
                }
                value
            }
            Event::Scalar(text, style, anchor, tag) => {
                let is_str_tag = tag.as_ref().is_some_and(|t| t.is_yaml_core_schema_tag("str"));
                let value = if style == ScalarStyle::Plain && !is_str_tag {
                    resolve_plain(&text)
                } else {
                    YamlValue::Str(text.into_owned())
                };
                if anchor != 0 {
                    anchors.insert(anchor, value.clone());
                }
                value
            }
            Event::Alias(id) => {
                let value = anchors.get(&id).cloned().ok_or_else(|| format!("unknown alias at {span:?}"))?;
                nodes += count_nodes(&value);
                value
            }
            _ => continue,
        };
        match stack.last_mut() {
            None => root = Some(value),
            Some(Open::Seq(items, _)) => items.push(value),
            Some(Open::Map(map, key, _)) => match key.take() {
                None => *key = Some(key_text(value)),
                Some(k) => {
                    map.insert(k, value);
                }
            },
        }
    }
    Ok(root)
}

const MAX_DEPTH: usize = 128;
const MAX_NODES: usize = 1_000_000;

fn count_nodes(v: &YamlValue) -> usize {
    match v {
        YamlValue::Seq(items) => 1 + items.iter().map(count_nodes).sum::<usize>(),
        YamlValue::Map(m) => 1 + m.values().map(count_nodes).sum::<usize>(),
        _ => 1,
    }
}

/// A mapping key as text: MLflow's keys are strings; others keep their YAML spelling.
fn key_text(key: YamlValue) -> String {
    match key {
        YamlValue::Str(s) => s,
        YamlValue::Null => "null".into(),
        YamlValue::Bool(b) => b.to_string(),
        YamlValue::Int(i) => i.to_string(),
        YamlValue::Float(f) => yaml_float(f),
        other => format!("{other:?}"),
    }
}

/// PyYAML's resolver + SafeConstructor for a plain scalar.
fn resolve_plain(s: &str) -> YamlValue {
    if matches!(s, "" | "~" | "null" | "Null" | "NULL") {
        return YamlValue::Null;
    }
    if matches!(s, "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON") {
        return YamlValue::Bool(true);
    }
    if matches!(s, "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF") {
        return YamlValue::Bool(false);
    }
    if is_yaml11_int(s) {
        if let Some(i) = construct_int(s) {
            return YamlValue::Int(i);
        }
    } else if is_yaml11_float(s) {
        if let Some(f) = construct_float(s) {
            return YamlValue::Float(f);
        }
    }
    YamlValue::Str(s.to_string())
}

/// `SafeConstructor.construct_yaml_int`; None when it does not fit an i64 (kept as text).
fn construct_int(s: &str) -> Option<i64> {
    let v: String = s.chars().filter(|c| *c != '_').collect();
    let (sign, v) = match v.strip_prefix('-') {
        Some(rest) => (-1i64, rest.to_string()),
        None => (1, v.strip_prefix('+').unwrap_or(&v).to_string()),
    };
    let n = if v == "0" {
        0
    } else if let Some(b) = v.strip_prefix("0b") {
        i64::from_str_radix(b, 2).ok()?
    } else if let Some(x) = v.strip_prefix("0x") {
        i64::from_str_radix(x, 16).ok()?
    } else if let Some(o) = v.strip_prefix('0') {
        i64::from_str_radix(o, 8).ok()?
    } else if v.contains(':') {
        v.split(':').try_fold(0i64, |acc, d| acc.checked_mul(60)?.checked_add(d.parse::<i64>().ok()?))?
    } else {
        v.parse().ok()?
    };
    n.checked_mul(sign)
}

/// `SafeConstructor.construct_yaml_float`.
fn construct_float(s: &str) -> Option<f64> {
    let v: String = s.chars().filter(|c| *c != '_').collect::<String>().to_lowercase();
    let (sign, v) = match v.strip_prefix('-') {
        Some(rest) => (-1.0, rest.to_string()),
        None => (1.0, v.strip_prefix('+').unwrap_or(&v).to_string()),
    };
    if v == ".inf" {
        return Some(sign * f64::INFINITY);
    }
    if v == ".nan" {
        return Some(f64::NAN);
    }
    if v.contains(':') {
        let mut value = 0.0;
        for part in v.split(':') {
            value = value * 60.0 + part.parse::<f64>().ok()?;
        }
        return Some(sign * value);
    }
    v.parse::<f64>().ok().map(|f| sign * f)
}
