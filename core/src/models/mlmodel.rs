//! The `MLmodel` file: read anything MLflow 3.17.2 writes, write exactly what it writes
//! (`Model.to_dict` + `yaml.safe_dump`, `mlflow/models/model.py`), keeping keys we do not know.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::models::signature::ModelSignature;
use crate::models::yaml::{self, YamlValue};

/// The file name MLflow gives the model descriptor inside a model directory.
pub const MLMODEL_FILE_NAME: &str = "MLmodel";

/// One flavor's section (`flavors.<name>`): free-form options as MLflow's flavor wrote them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Flavor {
    pub options: BTreeMap<String, YamlValue>,
}

impl Flavor {
    pub fn new() -> Self {
        Flavor::default()
    }

    /// The option as a string, if it is one (`data`, `loader_module`, `python_version`, …).
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.options.get(key).and_then(YamlValue::as_str)
    }

    /// Sets an option (builder style); `YamlValue::Null` writes `key: null` as MLflow's `None` does.
    pub fn with(mut self, key: &str, value: impl Into<YamlValue>) -> Self {
        self.options.insert(key.to_string(), value.into());
        self
    }
}

/// An `MLmodel` file. Fields MLflow always writes are plain values; the rest are Options that are
/// left out when None, as `Model.to_dict` does.
#[derive(Debug, Clone, PartialEq)]
pub struct MlModel {
    /// The LoggedModel's artifact location (logged models only).
    pub artifact_path: Option<String>,
    pub flavors: BTreeMap<String, Flavor>,
    pub metadata: Option<YamlValue>,
    pub mlflow_version: Option<String>,
    /// `m-<32 hex>` for a logged model; written as `null` when unset (MLflow always writes it).
    pub model_id: Option<String>,
    pub model_size_bytes: Option<u64>,
    /// uuid4 hex for a saved model, the model id for a logged one; `null` when unset.
    pub model_uuid: Option<String>,
    /// Always written; `null` unless prompts were linked.
    pub prompts: YamlValue,
    pub run_id: Option<String>,
    /// `artifact_path`, `type`, `pandas_orient`, `serving_input_path`, `params` of the input example.
    pub saved_input_example_info: Option<BTreeMap<String, YamlValue>>,
    /// With a signature MLflow also writes the two flags below (both false unless type hints made it).
    pub signature: Option<ModelSignature>,
    pub is_signature_from_type_hint: bool,
    pub type_hint_from_example: bool,
    /// Python's `str(datetime)` of naive UTC: `YYYY-MM-DD HH:MM:SS[.ffffff]`.
    pub utc_time_created: String,
    /// Top-level keys this version does not model (`env_vars`, `resources`, …), written back as read.
    pub extra: BTreeMap<String, YamlValue>,
}

/// Top-level keys taken into typed fields (the signature flags only with a signature).
const KNOWN_KEYS: [&str; 12] = [
    "artifact_path",
    "flavors",
    "metadata",
    "mlflow_version",
    "model_id",
    "model_size_bytes",
    "model_uuid",
    "prompts",
    "run_id",
    "saved_input_example_info",
    "signature",
    "utc_time_created",
];

/// The scalar fields read through serde-saphyr as typed values: a `String` field takes the scalar
/// as written, so an id of digits, a version such as `3.10` or an unquoted time stay text.
#[derive(Deserialize)]
struct TypedFields {
    artifact_path: Option<String>,
    mlflow_version: Option<String>,
    model_id: Option<String>,
    model_size_bytes: Option<u64>,
    model_uuid: Option<String>,
    run_id: Option<String>,
    utc_time_created: Option<String>,
    signature: Option<TypedSignature>,
}

#[derive(Deserialize)]
struct TypedSignature {
    inputs: Option<String>,
    outputs: Option<String>,
    params: Option<String>,
}

impl Default for MlModel {
    fn default() -> Self {
        MlModel::new()
    }
}

impl MlModel {
    /// A new model as `Model()` makes one: a fresh uuid4 hex, the current UTC time, this
    /// MLflow version, no flavors.
    pub fn new() -> Self {
        MlModel {
            artifact_path: None,
            flavors: BTreeMap::new(),
            metadata: None,
            mlflow_version: Some(crate::models::MLFLOW_VERSION.to_string()),
            model_id: None,
            model_size_bytes: None,
            model_uuid: Some(uuid::Uuid::new_v4().simple().to_string()),
            prompts: YamlValue::Null,
            run_id: None,
            saved_input_example_info: None,
            signature: None,
            is_signature_from_type_hint: false,
            type_hint_from_example: false,
            utc_time_created: python_utc_now(),
            extra: BTreeMap::new(),
        }
    }

    /// Parses MLmodel text. Errors (InvalidArgument) say what is wrong; nothing panics.
    pub fn from_yaml(text: &str) -> Result<MlModel> {
        const WHAT: &str = "MLmodel";
        let mut raw = yaml::mapping_from_str(text, WHAT)?;
        check_shapes(&raw)?;
        let typed: TypedFields = yaml::from_str(text, WHAT)?;

        let flavors = match raw.remove("flavors") {
            None | Some(YamlValue::Null) => BTreeMap::new(),
            Some(YamlValue::Map(m)) => m
                .into_iter()
                .map(|(name, v)| match v {
                    YamlValue::Map(options) => Ok((name, Flavor { options })),
                    other => Err(Error::invalid(format!(
                        "malformed MLmodel: flavor '{name}' must be a mapping of options, not {}",
                        other.kind()
                    ))),
                })
                .collect::<Result<_>>()?,
            Some(other) => {
                return Err(Error::invalid(format!(
                    "malformed MLmodel: `flavors` must be a mapping of flavor names to options, not {}",
                    other.kind()
                )));
            }
        };
        let signature = match &typed.signature {
            None => None,
            Some(s) => Some(
                ModelSignature::from_json_strings(s.inputs.as_deref(), s.outputs.as_deref(), s.params.as_deref())
                    .map_err(|e| e.context("malformed MLmodel"))?,
            ),
        };
        let (mut is_signature_from_type_hint, mut type_hint_from_example) = (false, false);
        if signature.is_some() {
            is_signature_from_type_hint = take_flag(&mut raw, "is_signature_from_type_hint")?;
            type_hint_from_example = take_flag(&mut raw, "type_hint_from_example")?;
        }
        // Free-form strings as MLflow wrote them (`params: 'true'` is the string "true").
        let saved_input_example_info = match raw.remove("saved_input_example_info") {
            Some(YamlValue::Map(m)) => Some(m),
            _ => None,
        };
        let metadata = raw.remove("metadata").filter(|v| *v != YamlValue::Null);
        let prompts = raw.remove("prompts").unwrap_or(YamlValue::Null);
        for key in KNOWN_KEYS {
            raw.remove(key);
        }
        Ok(MlModel {
            artifact_path: typed.artifact_path,
            flavors,
            metadata,
            mlflow_version: typed.mlflow_version,
            model_id: typed.model_id,
            model_size_bytes: typed.model_size_bytes,
            model_uuid: typed.model_uuid,
            prompts,
            run_id: typed.run_id,
            saved_input_example_info,
            signature,
            is_signature_from_type_hint,
            type_hint_from_example,
            // A file without one gets the load time, as Model.load does.
            utc_time_created: typed.utc_time_created.unwrap_or_else(python_utc_now),
            extra: raw,
        })
    }

    /// The MLmodel text exactly as `Model.to_yaml()` of MLflow 3.17.2 writes it.
    pub fn to_yaml(&self) -> String {
        yaml::to_pyyaml_string(&self.to_map())
    }

    /// `Model.to_dict()`: the document before YAML.
    pub fn to_map(&self) -> BTreeMap<String, YamlValue> {
        let mut d = self.extra.clone();
        let s = |v: &str| YamlValue::Str(v.to_string());
        let opt = |v: &Option<String>| v.as_deref().map(s).unwrap_or(YamlValue::Null);
        if let Some(p) = &self.artifact_path {
            d.insert("artifact_path".into(), s(p));
        }
        let flavors = self.flavors.iter().map(|(k, f)| (k.clone(), YamlValue::Map(f.options.clone()))).collect();
        d.insert("flavors".into(), YamlValue::Map(flavors));
        if let Some(m) = &self.metadata {
            d.insert("metadata".into(), m.clone());
        }
        if let Some(v) = &self.mlflow_version {
            d.insert("mlflow_version".into(), s(v));
        }
        d.insert("model_id".into(), opt(&self.model_id));
        if let Some(n) = self.model_size_bytes {
            d.insert("model_size_bytes".into(), YamlValue::Int(n as i64));
        }
        d.insert("model_uuid".into(), opt(&self.model_uuid));
        d.insert("prompts".into(), self.prompts.clone());
        if let Some(r) = &self.run_id {
            d.insert("run_id".into(), s(r));
        }
        if let Some(info) = &self.saved_input_example_info {
            d.insert("saved_input_example_info".into(), YamlValue::Map(info.clone()));
        }
        if let Some(sig) = &self.signature {
            let part = |j: Option<String>| j.map(YamlValue::Str).unwrap_or(YamlValue::Null);
            let sig_map = BTreeMap::from([
                ("inputs".to_string(), part(sig.inputs_json())),
                ("outputs".to_string(), part(sig.outputs_json())),
                ("params".to_string(), part(sig.params_json())),
            ]);
            d.insert("signature".into(), YamlValue::Map(sig_map));
            d.insert("is_signature_from_type_hint".into(), YamlValue::Bool(self.is_signature_from_type_hint));
            d.insert("type_hint_from_example".into(), YamlValue::Bool(self.type_hint_from_example));
        }
        d.insert("utc_time_created".into(), s(&self.utc_time_created));
        d
    }

    /// Reads `<dir>/MLmodel`, or the file itself when `path` is one.
    pub fn load(path: &Path) -> Result<MlModel> {
        let file = if path.is_dir() { path.join(MLMODEL_FILE_NAME) } else { path.to_path_buf() };
        let text = std::fs::read_to_string(&file).map_err(|e| {
            // A missing MLmodel is the caller's mistake (not a storage failure): say so as MLflow would.
            if e.kind() == std::io::ErrorKind::NotFound {
                return Error::not_found(format!("no MLmodel file at {}", file.display()));
            }
            let err: Error = e.into();
            err.context(format!("cannot read {}", file.display()))
        })?;
        MlModel::from_yaml(&text).map_err(|e| e.context(file.display()))
    }

    /// Writes `<dir>/MLmodel`.
    pub fn save(&self, dir: &Path) -> Result<()> {
        let file = dir.join(MLMODEL_FILE_NAME);
        std::fs::write(&file, self.to_yaml()).map_err(|e| {
            let err: Error = e.into();
            err.context(format!("cannot write {}", file.display()))
        })
    }
}

/// Rejects shapes serde's type errors would describe poorly (a signature written as a YAML list).
fn check_shapes(raw: &BTreeMap<String, YamlValue>) -> Result<()> {
    match raw.get("signature") {
        None | Some(YamlValue::Null) => {}
        Some(YamlValue::Map(parts)) => {
            for (part, v) in parts {
                if !matches!(v, YamlValue::Str(_) | YamlValue::Null) {
                    return Err(Error::invalid(format!(
                        "malformed MLmodel: signature {part} must be a JSON string (quoted in YAML), not {}",
                        v.kind()
                    )));
                }
            }
        }
        Some(other) => {
            return Err(Error::invalid(format!(
                "malformed MLmodel: `signature` must be a mapping with inputs, outputs and params, not {}",
                other.kind()
            )));
        }
    }
    match raw.get("saved_input_example_info") {
        None | Some(YamlValue::Null) => {}
        Some(YamlValue::Map(m)) => {
            if let Some((k, v)) =
                m.iter().find(|(_, v)| matches!(v, YamlValue::Seq(_) | YamlValue::Map(_) | YamlValue::Null))
            {
                return Err(Error::invalid(format!(
                    "malformed MLmodel: saved_input_example_info.{k} must be a string, not {}",
                    v.kind()
                )));
            }
        }
        Some(other) => {
            return Err(Error::invalid(format!(
                "malformed MLmodel: `saved_input_example_info` must be a mapping, not {}",
                other.kind()
            )));
        }
    }
    Ok(())
}

fn take_flag(raw: &mut BTreeMap<String, YamlValue>, key: &str) -> Result<bool> {
    match raw.remove(key) {
        None | Some(YamlValue::Null) => Ok(false),
        Some(YamlValue::Bool(b)) => Ok(b),
        Some(other) => {
            Err(Error::invalid(format!("malformed MLmodel: `{key}` must be true or false, not {}", other.kind())))
        }
    }
}

/// `str(datetime.now(timezone.utc).replace(tzinfo=None))`: microseconds dropped when zero.
pub fn python_utc_now() -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    python_utc_time(now.as_secs() as i64, now.subsec_micros())
}

/// Python's `str()` of the naive UTC datetime at `secs` since the epoch plus `micros`.
pub fn python_utc_time(secs: i64, micros: u32) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (h, m, s) = (rem / 3600, rem / 60 % 60, rem % 60);
    let base = format!("{year:04}-{month:02}-{day:02} {h:02}:{m:02}:{s:02}");
    if micros == 0 {
        base
    } else {
        format!("{base}.{micros:06}")
    }
}

#[cfg(test)]
mod load_tests {
    use super::*;

    #[test]
    fn a_missing_mlmodel_is_not_found_naming_the_path() {
        let dir = tempfile::tempdir().unwrap();
        for path in [dir.path().to_path_buf(), dir.path().join("absent")] {
            let err = MlModel::load(&path).unwrap_err();
            assert_eq!(err.kind(), crate::error::ErrorKind::NotFound, "{err}");
            assert!(err.to_string().contains("no MLmodel file at"), "{err}");
        }
    }
}
