//! YAML as MLflow reads and writes it. Reading: serde-saphyr (typed fields) and its event parser
//! with PyYAML's YAML 1.1 resolution (free-form values, `load.rs`). Writing: our own port of the part
//! of PyYAML's emitter `yaml.safe_dump(d, default_flow_style=False)` uses (`emit.rs`), because
//! MLflow's files must come out byte for byte and no Rust crate quotes and wraps as PyYAML does.

use std::collections::BTreeMap;

mod emit;
mod load;
mod resolve;

pub use emit::to_pyyaml_string;
pub use load::{from_str, mapping_from_str, safe_load};
pub use resolve::resolves_to_non_string;

/// A free-form YAML value (flavor options, metadata, unknown keys), read as PyYAML's `safe_load`
/// reads it (YAML 1.1: plain `y`, `0o17`, `1e3` are strings, `yes`/`on` booleans, `010` octal).
/// Maps are sorted like PyYAML's `sort_keys=True` output. A plain YAML timestamp is kept as its
/// text (written back quoted: MLflow writes its only timestamp, `utc_time_created`, quoted).
#[derive(Debug, Clone, PartialEq)]
pub enum YamlValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<YamlValue>),
    Map(BTreeMap<String, YamlValue>),
}

impl YamlValue {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            YamlValue::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&BTreeMap<String, YamlValue>> {
        match self {
            YamlValue::Map(m) => Some(m),
            _ => None,
        }
    }

    /// Which YAML kind this is, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            YamlValue::Null => "null",
            YamlValue::Bool(_) => "a boolean",
            YamlValue::Int(_) | YamlValue::Float(_) => "a number",
            YamlValue::Str(_) => "a string",
            YamlValue::Seq(_) => "a list",
            YamlValue::Map(_) => "a mapping",
        }
    }
}

impl From<&str> for YamlValue {
    fn from(s: &str) -> Self {
        YamlValue::Str(s.to_string())
    }
}

impl From<String> for YamlValue {
    fn from(s: String) -> Self {
        YamlValue::Str(s)
    }
}

impl YamlValue {
    /// The value as JSON (for the C ABI and bindings); a non-finite float becomes `null`.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            YamlValue::Null => serde_json::Value::Null,
            YamlValue::Bool(b) => (*b).into(),
            YamlValue::Int(i) => (*i).into(),
            YamlValue::Float(f) => serde_json::Number::from_f64(*f).map(serde_json::Value::Number).unwrap_or_default(),
            YamlValue::Str(s) => s.clone().into(),
            YamlValue::Seq(s) => s.iter().map(YamlValue::to_json).collect(),
            YamlValue::Map(m) => {
                m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect::<serde_json::Map<_, _>>().into()
            }
        }
    }
}
