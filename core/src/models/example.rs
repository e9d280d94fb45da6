//! Input examples as MLflow 3.17.2 saves them (`_Example`, `mlflow/models/utils.py`):
//! `input_example.json` (`json.dumps`, one line), `serving_input_example.json` (`json.dumps(...,
//! indent=2)`, the body `/invocations` accepts) and the MLmodel's `saved_input_example_info`.

use std::collections::BTreeMap;

use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::models::pyrepr::OrderedJson;
use crate::models::yaml::YamlValue;

pub const EXAMPLE_FILE_NAME: &str = "input_example.json";
pub const SERVING_EXAMPLE_FILE_NAME: &str = "serving_input_example.json";

/// The example data, one variant per `type` MLflow records.
#[derive(Debug, Clone, PartialEq)]
pub enum ExampleData {
    /// A pandas DataFrame: `type: dataframe`, `pandas_orient: split`.
    Columns { columns: Vec<String>, data: Vec<Vec<OrderedJson>> },
    /// One numpy array as nested lists: `type: ndarray`.
    Tensor(OrderedJson),
    /// A dict of name → numpy array (nested lists), in the caller's order: `type: ndarray`.
    Tensors(Vec<(String, OrderedJson)>),
    /// A dict, list or scalar without arrays: `type: json_object`.
    Json(OrderedJson),
}

/// An input example: data plus optional inference params (MLflow's `(data, params)` tuple).
#[derive(Debug, Clone, PartialEq)]
pub struct InputExample {
    pub data: ExampleData,
    pub params: Option<Vec<(String, OrderedJson)>>,
}

/// The two files and the MLmodel entry of a saved example.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedExample {
    /// `input_example.json`'s text.
    pub input_example_json: String,
    /// `serving_input_example.json`'s text.
    pub serving_input_json: String,
    /// `saved_input_example_info` (all strings; `params: 'true'` is the string "true").
    pub info: BTreeMap<String, YamlValue>,
}

/// Keys that make a dict a "unified LLM input", served as is rather than under `inputs`
/// (`mlflow/pyfunc/utils/serving_data_parser.py`).
const LLM_INPUT_KEYS: [&str; 3] = ["messages", "prompt", "input"];

fn bad(msg: impl Into<String>) -> Error {
    Error::invalid(format!("invalid input example: {}", msg.into()))
}

/// Checks `value` is a rectangular nested list of scalars (what `ndarray.tolist()` gives).
fn check_array(value: &OrderedJson, what: &str) -> Result<()> {
    fn shape(v: &OrderedJson, what: &str) -> Result<Vec<usize>> {
        match v {
            OrderedJson::Array(items) => {
                let mut inner: Option<Vec<usize>> = None;
                for item in items {
                    let s = shape(item, what)?;
                    match &inner {
                        None => inner = Some(s),
                        Some(prev) if *prev != s => {
                            return Err(bad(format!("{what} is not rectangular (rows of different shapes)")))
                        }
                        _ => {}
                    }
                }
                let mut out = vec![items.len()];
                out.extend(inner.unwrap_or_default());
                Ok(out)
            }
            OrderedJson::Object(_) => Err(bad(format!("{what} must hold numbers, strings or booleans, not objects"))),
            _ => Ok(vec![]),
        }
    }
    if !matches!(value, OrderedJson::Array(_)) {
        return Err(bad(format!("{what} must be a (nested) list, as numpy's tolist() gives")));
    }
    shape(value, what).map(|_| ())
}

impl InputExample {
    pub fn new(data: ExampleData) -> Self {
        InputExample { data, params: None }
    }

    pub fn with_params(mut self, params: Vec<(String, OrderedJson)>) -> Self {
        self.params = Some(params);
        self
    }

    /// MLflow's checks for what it would accept as this kind of example.
    pub fn validate(&self) -> Result<()> {
        match &self.data {
            ExampleData::Columns { columns, data } => {
                if columns.is_empty() {
                    return Err(bad("a dataframe example needs at least one column"));
                }
                if let Some((i, row)) = data.iter().enumerate().find(|(_, r)| r.len() != columns.len()) {
                    return Err(bad(format!(
                        "dataframe row {i} has {} values for {} columns",
                        row.len(),
                        columns.len()
                    )));
                }
                let mut seen = std::collections::HashSet::new();
                if let Some(dup) = columns.iter().find(|c| !seen.insert(c.as_str())) {
                    return Err(bad(format!("duplicate dataframe column {dup:?}")));
                }
            }
            ExampleData::Tensor(v) => check_array(v, "an ndarray example")?,
            ExampleData::Tensors(named) => {
                if named.is_empty() {
                    return Err(bad("a dict of tensors needs at least one tensor"));
                }
                for (name, v) in named {
                    check_array(v, &format!("tensor {name:?}"))?;
                }
            }
            ExampleData::Json(_) => {}
        }
        Ok(())
    }

    /// The files and info MLflow's `_Example` makes of this example.
    pub fn save_form(&self) -> Result<SavedExample> {
        self.validate()?;
        let s = |v: &str| YamlValue::Str(v.to_string());
        let mut info = BTreeMap::from([("artifact_path".to_string(), s(EXAMPLE_FILE_NAME))]);
        let mut llm = false;
        let (model_input, serving, kind) = match &self.data {
            ExampleData::Columns { columns, data } => {
                let split = OrderedJson::obj(vec![
                    ("columns", OrderedJson::Array(columns.iter().map(|c| OrderedJson::str(c)).collect())),
                    ("data", OrderedJson::Array(data.iter().map(|r| OrderedJson::Array(r.clone())).collect())),
                ]);
                info.insert("pandas_orient".into(), s("split"));
                (split.clone(), OrderedJson::obj(vec![("dataframe_split", split)]), "dataframe")
            }
            ExampleData::Tensor(v) => (v.clone(), OrderedJson::obj(vec![("inputs", v.clone())]), "ndarray"),
            ExampleData::Tensors(named) => {
                let v = OrderedJson::Object(named.clone());
                (v.clone(), OrderedJson::obj(vec![("inputs", v)]), "ndarray")
            }
            ExampleData::Json(v) => {
                llm =
                    matches!(v, OrderedJson::Object(p) if p.iter().any(|(k, _)| LLM_INPUT_KEYS.contains(&k.as_str())));
                let serving = if llm { v.clone() } else { OrderedJson::obj(vec![("inputs", v.clone())]) };
                (v.clone(), serving, "json_object")
            }
        };
        info.insert("type".into(), s(kind));
        let (model_input, serving) = match &self.params {
            None => (model_input, serving),
            Some(params) => {
                // `if self._inference_params:` — an empty dict wraps the data but sets no flag.
                if !params.is_empty() {
                    info.insert("params".into(), s("true"));
                }
                let p = OrderedJson::Object(params.clone());
                let wrapped = OrderedJson::obj(vec![("inputs", model_input), ("params", p.clone())]);
                let OrderedJson::Object(mut body) = serving else { unreachable!("serving input is an object") };
                if llm {
                    body.extend(params.iter().cloned());
                } else {
                    body.push(("params".into(), p));
                }
                (wrapped, OrderedJson::Object(body))
            }
        };
        info.insert("serving_input_path".into(), s(SERVING_EXAMPLE_FILE_NAME));
        Ok(SavedExample {
            input_example_json: model_input.to_python_json(),
            serving_input_json: serving.to_python_json_indented(2),
            info,
        })
    }
}

// ---- JSON form (the model spec) ---------------------------------------------------------------

/// The JSON form of an input example in a [`crate::models::builder::ModelSpec`]:
/// `{"type": "dataframe", "columns": [...], "data": [[...]]}`, `{"type": "ndarray", "data": [[...]]}`
/// or `{"type": "ndarray", "data": {"x": [[...]]}}`, `{"type": "json_object", "data": <any>}`, each
/// with optional `"params": {...}`. Object keys keep the order they have in the text.
#[derive(Debug, Clone, PartialEq)]
pub struct InputExampleSpec(pub InputExample);

impl<'de> Deserialize<'de> for InputExampleSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use serde::de::Error as _;
        let OrderedJsonDe(value) = OrderedJsonDe::deserialize(d)?;
        example_from_json(value).map(InputExampleSpec).map_err(|e| D::Error::custom(e.message()))
    }
}

fn example_from_json(value: OrderedJson) -> Result<InputExample> {
    let OrderedJson::Object(pairs) = value else {
        return Err(bad("expected an object {\"type\": \"dataframe\"|\"ndarray\"|\"json_object\", \"data\": ...}"));
    };
    let mut fields: BTreeMap<String, OrderedJson> = BTreeMap::new();
    for (k, v) in pairs {
        if !["type", "columns", "data", "params"].contains(&k.as_str()) {
            return Err(bad(format!("unknown field {k:?} (expected type, columns, data, params)")));
        }
        fields.insert(k, v);
    }
    let kind = match fields.remove("type") {
        Some(OrderedJson::String(s)) => s,
        _ => return Err(bad("missing \"type\": one of dataframe, ndarray, json_object")),
    };
    let data = fields.remove("data").ok_or_else(|| bad("missing \"data\""))?;
    let columns = fields.remove("columns");
    if columns.is_some() && kind != "dataframe" {
        return Err(bad("\"columns\" only goes with type dataframe"));
    }
    let data = match kind.as_str() {
        "dataframe" => {
            let Some(OrderedJson::Array(cols)) = columns else {
                return Err(bad("a dataframe example needs \"columns\": a list of column names"));
            };
            let columns = cols
                .into_iter()
                .map(|c| match c {
                    OrderedJson::String(s) => Ok(s),
                    other => Err(bad(format!("column names must be strings, got {}", other.to_python_json()))),
                })
                .collect::<Result<_>>()?;
            let OrderedJson::Array(rows) = data else {
                return Err(bad("dataframe \"data\" must be a list of rows"));
            };
            let data = rows
                .into_iter()
                .map(|r| match r {
                    OrderedJson::Array(values) => Ok(values),
                    other => Err(bad(format!("each dataframe row must be a list, got {}", other.to_python_json()))),
                })
                .collect::<Result<_>>()?;
            ExampleData::Columns { columns, data }
        }
        "ndarray" => match data {
            OrderedJson::Object(named) => ExampleData::Tensors(named),
            other => ExampleData::Tensor(other),
        },
        "json_object" => ExampleData::Json(data),
        other => return Err(bad(format!("unknown type {other:?}: expected dataframe, ndarray or json_object"))),
    };
    let params = match fields.remove("params") {
        None | Some(OrderedJson::Null) => None,
        Some(OrderedJson::Object(p)) => Some(p),
        Some(_) => return Err(bad("\"params\" must be an object of parameter names to values")),
    };
    let example = InputExample { data, params };
    example.validate()?;
    Ok(example)
}

/// Deserializes any JSON into an [`OrderedJson`], keeping object keys in text order.
pub struct OrderedJsonDe(pub OrderedJson);

impl<'de> Deserialize<'de> for OrderedJsonDe {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(OrderedVisitor).map(OrderedJsonDe)
    }
}

struct OrderedVisitor;

impl<'de> Visitor<'de> for OrderedVisitor {
    type Value = OrderedJson;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> std::result::Result<OrderedJson, E> {
        Ok(OrderedJson::Null)
    }
    fn visit_none<E>(self) -> std::result::Result<OrderedJson, E> {
        Ok(OrderedJson::Null)
    }
    fn visit_bool<E>(self, b: bool) -> std::result::Result<OrderedJson, E> {
        Ok(OrderedJson::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> std::result::Result<OrderedJson, E> {
        Ok(OrderedJson::Number(n.into()))
    }
    fn visit_u64<E>(self, n: u64) -> std::result::Result<OrderedJson, E> {
        Ok(OrderedJson::Number(n.into()))
    }
    fn visit_f64<E: serde::de::Error>(self, f: f64) -> std::result::Result<OrderedJson, E> {
        serde_json::Number::from_f64(f).map(OrderedJson::Number).ok_or_else(|| E::custom("non-finite number"))
    }
    fn visit_str<E>(self, s: &str) -> std::result::Result<OrderedJson, E> {
        Ok(OrderedJson::String(s.to_string()))
    }
    fn visit_string<E>(self, s: String) -> std::result::Result<OrderedJson, E> {
        Ok(OrderedJson::String(s))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<OrderedJson, A::Error> {
        let mut items = Vec::new();
        while let Some(OrderedJsonDe(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(OrderedJson::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<OrderedJson, A::Error> {
        let mut pairs: Vec<(String, OrderedJson)> = Vec::new();
        while let Some((k, OrderedJsonDe(v))) = map.next_entry::<String, OrderedJsonDe>()? {
            // JSON with a repeated key: the last one wins, as in Python's json.loads.
            match pairs.iter_mut().find(|(pk, _)| *pk == k) {
                Some(slot) => slot.1 = v,
                None => pairs.push((k, v)),
            }
        }
        Ok(OrderedJson::Object(pairs))
    }
}

/// Parses JSON text keeping object key order.
pub fn ordered_json_from_str(text: &str) -> Result<OrderedJson> {
    let OrderedJsonDe(v) = serde_json::from_str(text)?;
    Ok(v)
}
