//! Model signatures: the `inputs`, `outputs` and `params` JSON strings of an MLmodel, read with
//! MLflow's rules (`mlflow/types/schema.py`) and written back with its key order and `json.dumps`
//! text, so a signature MLflow wrote comes out unchanged.

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::models::pyrepr::OrderedJson;

/// MLflow's column data types (`mlflow.types.DataType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataType {
    Boolean,
    Integer,
    Long,
    Float,
    Double,
    String,
    Binary,
    Datetime,
}

impl DataType {
    pub const ALL: [DataType; 8] = [
        DataType::Boolean,
        DataType::Integer,
        DataType::Long,
        DataType::Float,
        DataType::Double,
        DataType::String,
        DataType::Binary,
        DataType::Datetime,
    ];

    /// The name MLflow writes (`DataType.name`).
    pub fn name(self) -> &'static str {
        match self {
            DataType::Boolean => "boolean",
            DataType::Integer => "integer",
            DataType::Long => "long",
            DataType::Float => "float",
            DataType::Double => "double",
            DataType::String => "string",
            DataType::Binary => "binary",
            DataType::Datetime => "datetime",
        }
    }

    pub fn from_name(name: &str) -> Option<DataType> {
        DataType::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// The type of a column, a property or a parameter: a plain data type or one of MLflow's nested ones.
#[derive(Debug, Clone, PartialEq)]
pub enum ColType {
    Data(DataType),
    /// `{"type": "array", "items": <type>}`
    Array(Box<ColType>),
    /// `{"type": "object", "properties": {...}}`, properties sorted by name as MLflow keeps them.
    Object(Vec<Property>),
    /// `{"type": "map", "values": <type>}`
    Map(Box<ColType>),
    /// `{"type": "any"}`
    Any,
    /// `{"type": "sparkml_vector"}`
    SparkMlVector,
}

/// One property of an object type.
#[derive(Debug, Clone, PartialEq)]
pub struct Property {
    pub name: String,
    pub ty: ColType,
    pub required: bool,
}

/// A column of a column-based schema (`ColSpec`).
#[derive(Debug, Clone, PartialEq)]
pub struct ColSpec {
    pub ty: ColType,
    pub name: Option<String>,
    pub required: bool,
}

/// A tensor of a tensor-based schema (`TensorSpec`): a numpy dtype name and a shape, -1 = any size.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorSpec {
    pub name: Option<String>,
    pub dtype: String,
    pub shape: Vec<i64>,
}

/// An input or output schema: all columns or all tensors (MLflow forbids mixing them).
#[derive(Debug, Clone, PartialEq)]
pub enum Schema {
    Columns(Vec<ColSpec>),
    Tensors(Vec<TensorSpec>),
}

/// An inference parameter (`ParamSpec`): `shape` is None for a scalar or `[-1]` for a list.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamSpec {
    pub name: String,
    pub ty: ColType,
    pub default: Value,
    pub shape: Option<Vec<i64>>,
}

/// `ModelSignature`: at least one of the three is set.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ModelSignature {
    pub inputs: Option<Schema>,
    pub outputs: Option<Schema>,
    pub params: Option<Vec<ParamSpec>>,
}

/// A malformed-signature error; `from_json_strings` puts "malformed model signature inputs|outputs|params"
/// in front.
fn bad(msg: impl std::fmt::Display) -> Error {
    Error::invalid(msg.to_string())
}

impl ModelSignature {
    /// Reads the three JSON strings of an MLmodel's `signature` section (None = `null`).
    pub fn from_json_strings(inputs: Option<&str>, outputs: Option<&str>, params: Option<&str>) -> Result<Self> {
        let sig = ModelSignature {
            inputs: inputs
                .map(|s| Schema::from_json(s).map_err(|e| e.context("malformed model signature inputs")))
                .transpose()?,
            outputs: outputs
                .map(|s| Schema::from_json(s).map_err(|e| e.context("malformed model signature outputs")))
                .transpose()?,
            params: params
                .map(|s| params_from_json(s).map_err(|e| e.context("malformed model signature params")))
                .transpose()?,
        };
        sig.validate()?;
        Ok(sig)
    }

    /// At least one part must be set (MLflow: "inputs and outputs ... cannot both be None").
    pub fn validate(&self) -> Result<()> {
        if self.inputs.is_none() && self.outputs.is_none() && self.params.is_none() {
            return Err(Error::invalid(
                "malformed model signature: at least one of inputs, outputs and params must be given",
            ));
        }
        for schema in [&self.inputs, &self.outputs].into_iter().flatten() {
            schema.validate()?;
        }
        if let Some(params) = &self.params {
            validate_params(params)?;
        }
        Ok(())
    }

    pub fn inputs_json(&self) -> Option<String> {
        self.inputs.as_ref().map(Schema::to_json)
    }

    pub fn outputs_json(&self) -> Option<String> {
        self.outputs.as_ref().map(Schema::to_json)
    }

    pub fn params_json(&self) -> Option<String> {
        self.params.as_ref().map(|p| params_to_json(p))
    }
}

impl Schema {
    /// Parses `Schema.to_json()` output (any valid JSON text with the same content).
    pub fn from_json(text: &str) -> Result<Schema> {
        let value: Value = serde_json::from_str(text).map_err(|e| bad(format!("not JSON ({e})")))?;
        let Value::Array(items) = value else {
            return Err(bad("expected a JSON list of column or tensor specs"));
        };
        if items.is_empty() {
            return Err(bad("creating Schema with empty inputs is not allowed"));
        }
        let objects: Vec<&Map<String, Value>> = items
            .iter()
            .map(|v| v.as_object().ok_or_else(|| bad(format!("each spec must be a JSON object, got {v}"))))
            .collect::<Result<_>>()?;
        let is_tensor = |o: &Map<String, Value>| o.get("type").and_then(Value::as_str) == Some("tensor");
        let schema = if objects.iter().all(|o| is_tensor(o)) {
            Schema::Tensors(objects.into_iter().map(tensor_from_json).collect::<Result<_>>()?)
        } else if objects.iter().any(|o| is_tensor(o)) {
            return Err(bad("all inputs must be either tensors or columns, not a mix of both"));
        } else {
            Schema::Columns(objects.into_iter().map(colspec_from_json).collect::<Result<_>>()?)
        };
        schema.validate()?;
        Ok(schema)
    }

    /// MLflow's schema rules (`Schema.__init__`).
    pub fn validate(&self) -> Result<()> {
        let names: Vec<Option<&String>> = match self {
            Schema::Columns(c) => c.iter().map(|c| c.name.as_ref()).collect(),
            Schema::Tensors(t) => t.iter().map(|t| t.name.as_ref()).collect(),
        };
        if names.is_empty() {
            return Err(bad("creating Schema with empty inputs is not allowed"));
        }
        let named = names.iter().filter(|n| n.is_some()).count();
        if named != 0 && named != names.len() {
            return Err(bad("creating Schema with a mix of named and unnamed inputs is not allowed"));
        }
        match self {
            Schema::Tensors(t) if t.len() > 1 && named == 0 => {
                Err(bad("creating Schema with multiple unnamed TensorSpecs is not supported"))
            }
            Schema::Columns(c) if named == 0 && c.iter().any(|c| !c.required) => {
                Err(bad("creating Schema with unnamed optional inputs is not supported"))
            }
            _ => Ok(()),
        }
    }

    /// `Schema.to_json()`, byte for byte.
    pub fn to_json(&self) -> String {
        let items = match self {
            Schema::Columns(cols) => cols.iter().map(colspec_to_json).collect(),
            Schema::Tensors(tensors) => tensors.iter().map(tensor_to_json).collect(),
        };
        OrderedJson::Array(items).to_python_json()
    }
}

fn opt_name(o: &Map<String, Value>, what: &str) -> Result<Option<String>> {
    match o.get("name") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(bad(format!("{what} `name` must be a string, got {other}"))),
    }
}

fn required_flag(o: &Map<String, Value>, what: &str) -> Result<bool> {
    match o.get("required") {
        None => Ok(true),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(bad(format!("{what} `required` must be true or false, got {other}"))),
    }
}

fn colspec_from_json(o: &Map<String, Value>) -> Result<ColSpec> {
    Ok(ColSpec { ty: type_from_json(o)?, name: opt_name(o, "column")?, required: required_flag(o, "column")? })
}

/// A type from the object that holds its `type` key (and `items`/`properties`/`values`).
fn type_from_json(o: &Map<String, Value>) -> Result<ColType> {
    let ty = match o.get("type") {
        Some(Value::String(s)) => s.as_str(),
        Some(other) => return Err(bad(format!("`type` must be a string, got {other}"))),
        None => return Err(bad(format!("missing key `type` in {}", Value::Object(o.clone())))),
    };
    let nested = |key: &str| -> Result<ColType> {
        match o.get(key) {
            Some(Value::Object(inner)) => type_from_json(inner),
            Some(Value::String(name)) => data_type(name).map(ColType::Data),
            _ => Err(bad(format!("a `{ty}` type needs the key `{key}`"))),
        }
    };
    Ok(match ty {
        "array" => ColType::Array(Box::new(nested("items")?)),
        "map" => ColType::Map(Box::new(nested("values")?)),
        "any" => ColType::Any,
        "sparkml_vector" => ColType::SparkMlVector,
        "object" => {
            let Some(Value::Object(props)) = o.get("properties") else {
                return Err(bad("an `object` type needs the key `properties` (a JSON object)"));
            };
            let mut properties = props
                .iter()
                .map(|(name, spec)| {
                    let spec =
                        spec.as_object().ok_or_else(|| bad(format!("property `{name}` must be a JSON object")))?;
                    Ok(Property {
                        name: name.clone(),
                        ty: type_from_json(spec)?,
                        required: required_flag(spec, "property")?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            if properties.is_empty() {
                return Err(bad("an `object` type needs at least one property"));
            }
            properties.sort_by(|a, b| a.name.cmp(&b.name));
            ColType::Object(properties)
        }
        other => ColType::Data(data_type(other)?),
    })
}

fn data_type(name: &str) -> Result<DataType> {
    DataType::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = DataType::ALL.iter().map(|t| t.name()).collect();
        bad(format!(
            "unsupported type '{name}', expected one of {} or a nested type (array, object, map, any)",
            names.join(", ")
        ))
    })
}

/// The pairs a type contributes to its holder's JSON object, `type` first.
fn type_pairs(ty: &ColType) -> Vec<(String, OrderedJson)> {
    let t = |s: &str| ("type".to_string(), OrderedJson::str(s));
    match ty {
        ColType::Data(d) => vec![t(d.name())],
        ColType::Array(items) => vec![t("array"), ("items".into(), OrderedJson::Object(type_pairs(items)))],
        ColType::Map(values) => vec![t("map"), ("values".into(), OrderedJson::Object(type_pairs(values)))],
        ColType::Any => vec![t("any")],
        ColType::SparkMlVector => vec![t("sparkml_vector")],
        ColType::Object(props) => {
            let props = props
                .iter()
                .map(|p| {
                    let mut d = type_pairs(&p.ty);
                    d.push(("required".into(), OrderedJson::Bool(p.required)));
                    (p.name.clone(), OrderedJson::Object(d))
                })
                .collect();
            vec![t("object"), ("properties".into(), OrderedJson::Object(props))]
        }
    }
}

fn colspec_to_json(c: &ColSpec) -> OrderedJson {
    let mut d = type_pairs(&c.ty);
    if let Some(name) = &c.name {
        d.push(("name".into(), OrderedJson::str(name)));
    }
    d.push(("required".into(), OrderedJson::Bool(c.required)));
    OrderedJson::Object(d)
}

fn shape_from_json(v: &Value, what: &str) -> Result<Vec<i64>> {
    let Value::Array(dims) = v else {
        return Err(bad(format!("{what} `shape` must be a list of integers, got {v}")));
    };
    dims.iter()
        .map(|d| match d.as_i64() {
            Some(n) if n >= -1 => Ok(n),
            _ => Err(bad(format!("{what} `shape` dimensions must be integers >= -1 (-1 = any size), got {d}"))),
        })
        .collect()
}

fn tensor_from_json(o: &Map<String, Value>) -> Result<TensorSpec> {
    let Some(Value::Object(spec)) = o.get("tensor-spec") else {
        return Err(bad("Missing keys in TensorSpec JSON. Expected to find keys `tensor-spec` and `type`"));
    };
    let (Some(dtype), Some(shape)) = (spec.get("dtype"), spec.get("shape")) else {
        return Err(bad("Missing keys in TensorSpec JSON. Expected to find keys `dtype` and `shape`"));
    };
    let dtype = match dtype.as_str() {
        Some(d)
            if !d.is_empty() && d.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '[' || c == ']') =>
        {
            d
        }
        _ => return Err(bad(format!("`dtype` must be a numpy dtype name such as \"float32\", got {dtype}"))),
    };
    Ok(TensorSpec { name: opt_name(o, "tensor")?, dtype: dtype.to_string(), shape: shape_from_json(shape, "tensor")? })
}

fn tensor_to_json(t: &TensorSpec) -> OrderedJson {
    let spec = OrderedJson::obj(vec![
        ("dtype", OrderedJson::str(&t.dtype)),
        ("shape", OrderedJson::Array(t.shape.iter().map(|d| OrderedJson::Number((*d).into())).collect())),
    ]);
    let mut d = Vec::new();
    if let Some(name) = &t.name {
        d.push(("name", OrderedJson::str(name)));
    }
    d.push(("type", OrderedJson::str("tensor")));
    d.push(("tensor-spec", spec));
    OrderedJson::obj(d)
}

fn params_from_json(text: &str) -> Result<Vec<ParamSpec>> {
    let value: Value = serde_json::from_str(text).map_err(|e| bad(format!("not JSON ({e})")))?;
    let Value::Array(items) = value else {
        return Err(bad("expected a JSON list of parameter specs"));
    };
    let params = items.iter().map(param_from_json).collect::<Result<Vec<_>>>()?;
    validate_params(&params)?;
    Ok(params)
}

fn param_from_json(v: &Value) -> Result<ParamSpec> {
    let o = v.as_object().ok_or_else(|| bad(format!("each parameter must be a JSON object, got {v}")))?;
    let name = match o.get("name") {
        Some(Value::String(s)) => s.clone(),
        _ => return Err(bad(format!("missing or non-string `name` in {v}"))),
    };
    let Some(default) = o.get("default") else {
        return Err(bad(format!("parameter '{name}' has no `default`")));
    };
    // Older MLflow wrote the type under `dtype`.
    let ty = if o.contains_key("type") {
        type_from_json(o)?
    } else if let Some(Value::String(d)) = o.get("dtype") {
        ColType::Data(data_type(d)?)
    } else {
        return Err(bad(format!("parameter '{name}' has no `type`")));
    };
    let shape = match o.get("shape") {
        None | Some(Value::Null) => None,
        Some(s) => Some(shape_from_json(s, "params")?),
    };
    Ok(ParamSpec { name, ty, default: default.clone(), shape })
}

/// Names unique, shape None or [-1], no binary, default of the declared type (`ParamSpec.validate_param_spec`).
fn validate_params(params: &[ParamSpec]) -> Result<()> {
    let mut seen = std::collections::BTreeSet::new();
    for p in params {
        if !seen.insert(p.name.as_str()) {
            return Err(bad(format!("duplicated parameter name '{}'", p.name)));
        }
        if matches!(p.ty, ColType::Data(DataType::Binary)) {
            return Err(bad(format!("parameter '{}': binary is not supported for params", p.name)));
        }
        let values: Vec<&Value> = match &p.shape {
            None => vec![&p.default],
            Some(s) if s.as_slice() == [-1] => match &p.default {
                Value::Array(items) => items.iter().collect(),
                other => {
                    return Err(bad(format!(
                        "parameter '{}' has shape [-1], so its default must be a list, got {other}",
                        p.name
                    )));
                }
            },
            Some(s) => {
                return Err(bad(format!("parameter '{}': shape must be null or [-1], got {s:?}", p.name)));
            }
        };
        if let ColType::Data(d) = p.ty {
            for v in values {
                let ok = match d {
                    DataType::Boolean => v.is_boolean(),
                    DataType::Integer | DataType::Long => v.is_i64() || v.is_u64(),
                    DataType::Float | DataType::Double => v.is_number(),
                    DataType::String | DataType::Datetime => v.is_string(),
                    DataType::Binary => false,
                };
                if !ok && !v.is_null() {
                    return Err(bad(format!("parameter '{}': default value {v} is not of type {}", p.name, d.name())));
                }
            }
        }
    }
    Ok(())
}

/// `ParamSchema.to_json()`: each spec as `name`, `default`, `shape`, then its type.
fn params_to_json(params: &[ParamSpec]) -> String {
    let items = params
        .iter()
        .map(|p| {
            let shape = match &p.shape {
                None => OrderedJson::Null,
                Some(s) => OrderedJson::Array(s.iter().map(|d| OrderedJson::Number((*d).into())).collect()),
            };
            let mut d = vec![
                ("name".to_string(), OrderedJson::str(&p.name)),
                ("default".to_string(), OrderedJson::from_value(&p.default)),
                ("shape".to_string(), shape),
            ];
            d.extend(type_pairs(&p.ty));
            OrderedJson::Object(d)
        })
        .collect();
    OrderedJson::Array(items).to_python_json()
}
