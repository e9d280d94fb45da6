//! MLmodel and signature files as MLflow 3.17.2 writes them: golden round trips of files MLflow
//! wrote (tests/fixtures/mlmodel, verbatim), PyYAML reading (and writing) what we write, and
//! clear errors for malformed input.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use mlflow_core::models::mlmodel::python_utc_time;
use mlflow_core::models::yaml::{safe_load, to_pyyaml_string};
use mlflow_core::models::{
    ColSpec, ColType, DataType, Flavor, MlModel, ModelSignature, ParamSpec, Property, Schema, TensorSpec, YamlValue,
};
use mlflow_core::ErrorKind;

mod common;

fn fixtures() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mlmodel");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "MLmodel"))
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&p).unwrap()))
        .collect();
    out.sort();
    assert_eq!(out.len(), 11, "expected the 11 MLmodel files of the research appendix");
    out
}

#[test]
fn every_mlflow_written_mlmodel_round_trips_byte_for_byte() {
    for (name, text) in fixtures() {
        let model = MlModel::from_yaml(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(model.to_yaml(), text, "{name} was not written back byte for byte");
        assert_eq!(MlModel::from_yaml(&model.to_yaml()).unwrap(), model, "{name}");
    }
}

#[test]
fn fields_are_read_into_their_types() {
    let (_, text) = fixtures().into_iter().find(|(n, _)| n == "onnx_logged.MLmodel").unwrap();
    let m = MlModel::from_yaml(&text).unwrap();
    assert_eq!(m.model_id.as_deref(), Some("m-340c84d055dd41768ce3115438f27cae"));
    assert_eq!(m.run_id.as_deref(), Some("e11f617f501d45bb8405b654aacca491"));
    assert_eq!(m.mlflow_version.as_deref(), Some("3.17.2"));
    assert_eq!(m.model_size_bytes, Some(845));
    assert_eq!(m.utc_time_created, "2026-11-23 18:50:32.373752");
    assert_eq!(m.prompts, YamlValue::Null);
    let onnx = &m.flavors["onnx"];
    assert_eq!(onnx.get_str("data"), Some("model.onnx"));
    assert_eq!(onnx.get_str("onnx_version"), Some("1.23.2"));
    assert_eq!(onnx.options["onnx_session_options"], YamlValue::Null);
    assert_eq!(m.flavors["python_function"].get_str("python_version"), Some("3.11.7"));
    let sig = m.signature.unwrap();
    assert_eq!(
        sig.inputs,
        Some(Schema::Tensors(vec![TensorSpec { name: Some("x".into()), dtype: "float32".into(), shape: vec![-1, 4] }]))
    );
    assert!(sig.params.is_none());
    assert_eq!(m.saved_input_example_info.unwrap()["type"], YamlValue::Str("ndarray".into()));

    let (_, text) = fixtures().into_iter().find(|(n, _)| n == "pyfunc_python_model_logged.MLmodel").unwrap();
    let m = MlModel::from_yaml(&text).unwrap();
    // `params: 'true'` is the string "true" in MLflow, not a boolean.
    assert_eq!(m.saved_input_example_info.as_ref().unwrap()["params"], YamlValue::Str("true".into()));
    let sig = m.signature.unwrap();
    let Some(Schema::Columns(cols)) = &sig.inputs else { panic!("column inputs expected") };
    assert_eq!(cols[1], ColSpec { ty: ColType::Data(DataType::String), name: Some("s".into()), required: false });
    assert_eq!(cols[4].ty, ColType::Data(DataType::Datetime));
    let params = sig.params.unwrap();
    assert_eq!(params[1].shape, Some(vec![-1]));
    assert_eq!(params[1].default, serde_json::json!([1, 2]));
    assert_eq!(params[2].default, serde_json::json!("yes"));

    let (_, text) = fixtures().into_iter().find(|(n, _)| n == "xgboost_json_saved.MLmodel").unwrap();
    let m = MlModel::from_yaml(&text).unwrap();
    assert!(m.signature.is_none() && m.run_id.is_none() && m.artifact_path.is_none() && m.model_id.is_none());
}

#[test]
fn unknown_keys_are_kept_and_written_back_in_order() {
    let text = "databricks_runtime: '15.4'\nenv_vars:\n- OPENAI_API_KEY\nflavors: {}\nmodel_id: null\nmodel_uuid: abc\nprompts: null\nzzz_future_key:\n  a: 1\nutc_time_created: '2026-01-01 00:00:00'\n";
    let m = MlModel::from_yaml(text).unwrap();
    assert_eq!(m.extra.len(), 3);
    assert_eq!(m.extra["databricks_runtime"], YamlValue::Str("15.4".into()));
    assert_eq!(
        m.to_yaml(),
        "databricks_runtime: '15.4'\nenv_vars:\n- OPENAI_API_KEY\nflavors: {}\nmodel_id: null\nmodel_uuid: abc\nprompts: null\nutc_time_created: '2026-01-01 00:00:00'\nzzz_future_key:\n  a: 1\n"
    );
}

#[test]
fn a_new_model_has_mlflows_defaults() {
    let mut m = MlModel::new();
    assert_eq!(m.model_uuid.as_ref().unwrap().len(), 32);
    assert_eq!(m.mlflow_version.as_deref(), Some("3.17.2"));
    m.utc_time_created = "2026-11-23 18:50:38.342007".into();
    m.model_uuid = Some("f44eaf29c191486faeb1193b44f41751".into());
    m.model_size_bytes = Some(3);
    m.flavors.insert(
        "python_function".into(),
        Flavor::new()
            .with("code", "code")
            .with("data", "data/kdir")
            .with(
                "env",
                YamlValue::Map(BTreeMap::from([
                    ("conda".to_string(), YamlValue::from("conda.yaml")),
                    ("virtualenv".to_string(), YamlValue::from("python_env.yaml")),
                ])),
            )
            .with("loader_module", "my_loader")
            .with("python_version", "3.11.7")
            .with("streamable", YamlValue::Bool(false)),
    );
    m.signature = Some(ModelSignature {
        inputs: Some(Schema::Columns(vec![ColSpec {
            ty: ColType::Data(DataType::Double),
            name: Some("a".into()),
            required: true,
        }])),
        outputs: Some(Schema::Columns(vec![ColSpec {
            ty: ColType::Data(DataType::Double),
            name: None,
            required: true,
        }])),
        params: None,
    });
    let (_, expected) = fixtures().into_iter().find(|(n, _)| n == "pyfunc_loader_module_saved.MLmodel").unwrap();
    assert_eq!(m.to_yaml(), expected);
}

#[test]
fn time_is_written_as_python_str_of_a_naive_utc_datetime() {
    assert_eq!(python_utc_time(1_795_459_832, 373_752), "2026-11-23 18:50:32.373752");
    assert_eq!(python_utc_time(1_795_459_832, 0), "2026-11-23 18:50:32");
    assert_eq!(python_utc_time(951_782_400, 5), "2000-02-29 00:00:00.000005");
    let now = mlflow_core::models::mlmodel::python_utc_now();
    assert!(now.len() == 19 || now.len() == 26, "{now}");
}

// ---- signatures -------------------------------------------------------------------------------

#[test]
fn signature_json_is_written_as_mlflow_writes_it() {
    let inputs = r#"[{"type": "array", "items": {"type": "string"}, "name": "tags", "required": true}, {"type": "object", "properties": {"a": {"type": "long", "required": true}, "b": {"type": "map", "values": {"type": "double"}, "required": false}}, "name": "o", "required": false}, {"type": "any", "name": "x", "required": true}]"#;
    let params = r#"[{"name": "t", "default": 0.5, "shape": null, "type": "float"}, {"name": "big", "default": 1e+20, "shape": null, "type": "double"}, {"name": "s", "default": "\u00e9", "shape": null, "type": "string"}, {"name": "when", "default": ["2024-02-01T00:00:00"], "shape": [-1], "type": "datetime"}]"#;
    let tensors = r#"[{"type": "tensor", "tensor-spec": {"dtype": "uint8", "shape": [-1, 28, 28]}}]"#;
    let sig = ModelSignature::from_json_strings(Some(inputs), Some(tensors), Some(params)).unwrap();
    assert_eq!(sig.inputs_json().unwrap(), inputs);
    assert_eq!(sig.outputs_json().unwrap(), tensors);
    assert_eq!(sig.params_json().unwrap(), params);
    let Some(Schema::Columns(cols)) = &sig.inputs else { panic!() };
    assert_eq!(cols[0].ty, ColType::Array(Box::new(ColType::Data(DataType::String))));
    let ColType::Object(props) = &cols[1].ty else { panic!() };
    assert_eq!(
        props[1],
        Property { name: "b".into(), ty: ColType::Map(Box::new(ColType::Data(DataType::Double))), required: false }
    );
    // Any valid JSON is read (MLflow uses json.loads); it is written back in MLflow's form.
    let compact =
        ModelSignature::from_json_strings(Some(r#"[{"name":"a","required":true,"type":"double"}]"#), None, None)
            .unwrap();
    assert_eq!(compact.inputs_json().unwrap(), r#"[{"type": "double", "name": "a", "required": true}]"#);
    // Legacy `dtype` in params.
    let p = ModelSignature::from_json_strings(
        None,
        None,
        Some(r#"[{"name": "k", "default": 3, "shape": null, "dtype": "long"}]"#),
    )
    .unwrap();
    assert_eq!(
        p.params.as_ref().unwrap()[0],
        ParamSpec { name: "k".into(), ty: ColType::Data(DataType::Long), default: serde_json::json!(3), shape: None }
    );
    assert_eq!(p.params_json().unwrap(), r#"[{"name": "k", "default": 3, "shape": null, "type": "long"}]"#);
}

#[test]
fn malformed_signatures_are_invalid_argument_errors() {
    // (inputs, outputs, params, expected part of the message)
    type Case<'a> = (Option<&'a str>, Option<&'a str>, Option<&'a str>, &'a str);
    let cases: &[Case] = &[
        (None, None, None, "at least one"),
        (Some("not json"), None, None, "not JSON"),
        (Some("{}"), None, None, "JSON list"),
        (Some("[]"), None, None, "empty inputs"),
        (Some(r#"[{"type": "double64", "name": "a"}]"#), None, None, "unsupported type 'double64'"),
        (Some(r#"[{"name": "a"}]"#), None, None, "missing key `type`"),
        (Some(r#"[{"type": "double", "name": "a"}, {"type": "double"}]"#), None, None, "mix of named and unnamed"),
        (Some(r#"[{"type": "double", "required": false}]"#), None, None, "unnamed optional"),
        (Some(r#"[{"type": "tensor", "tensor-spec": {"dtype": "float32"}}]"#), None, None, "`dtype` and `shape`"),
        (Some(r#"[{"type": "tensor"}]"#), None, None, "`tensor-spec` and `type`"),
        (
            Some(
                r#"[{"type": "tensor", "tensor-spec": {"dtype": "f", "shape": [-1]}}, {"type": "tensor", "tensor-spec": {"dtype": "f", "shape": [-1]}}]"#,
            ),
            None,
            None,
            "multiple unnamed",
        ),
        (
            Some(r#"[{"type": "tensor", "name": "a", "tensor-spec": {"dtype": "float32", "shape": [-2]}}]"#),
            None,
            None,
            ">= -1",
        ),
        (
            Some(
                r#"[{"type": "double", "name": "a"}, {"name": "t", "type": "tensor", "tensor-spec": {"dtype": "f", "shape": [1]}}]"#,
            ),
            None,
            None,
            "not a mix",
        ),
        (Some(r#"[{"type": "array", "name": "a"}]"#), None, None, "needs the key `items`"),
        (
            None,
            None,
            Some(
                r#"[{"name": "a", "default": 1, "shape": null, "type": "long"}, {"name": "a", "default": 1, "shape": null, "type": "long"}]"#,
            ),
            "duplicated",
        ),
        (None, None, Some(r#"[{"name": "a", "default": "x", "shape": null, "type": "long"}]"#), "not of type long"),
        (None, None, Some(r#"[{"name": "a", "default": 1, "shape": [-1], "type": "long"}]"#), "must be a list"),
        (None, None, Some(r#"[{"name": "a", "default": "eA==", "shape": null, "type": "binary"}]"#), "binary"),
        (None, None, Some(r#"[{"name": "a", "shape": null, "type": "long"}]"#), "no `default`"),
    ];
    for (i, o, p, needle) in cases {
        let err = ModelSignature::from_json_strings(*i, *o, *p).expect_err(needle);
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{needle}: {err}");
        assert!(err.message().contains(needle), "expected {needle:?} in: {}", err.message());
    }
}

// ---- bad MLmodel files ------------------------------------------------------------------------

#[test]
fn malformed_mlmodel_files_are_clear_errors() {
    let cases: &[(&str, &str)] = &[
        ("flavors: [unclosed\n", "malformed MLmodel"),
        ("flavors:\n  a: 1\n b: 2\n", "malformed MLmodel"),
        ("", "empty"),
        ("- a\n- b\n", "must be a mapping of keys to values, not a list"),
        ("just a string\n", "not a string"),
        ("flavors:\n  onnx: model.onnx\n", "flavor 'onnx' must be a mapping"),
        ("flavors:\n- onnx\n", "`flavors` must be a mapping"),
        ("flavors: {}\nsignature:\n  inputs:\n  - type: double\n", "signature inputs must be a JSON string"),
        ("flavors: {}\nsignature: '[]'\n", "`signature` must be a mapping"),
        ("flavors: {}\nsignature:\n  inputs: '[{\"type\": \"nope\"}]'\n", "unsupported type 'nope'"),
        ("flavors: {}\nsignature:\n  inputs: '[{'\n", "not JSON"),
        ("flavors: {}\nmodel_size_bytes: lots\n", "malformed MLmodel"),
        ("flavors: {}\nsaved_input_example_info: x\n", "must be a mapping"),
        (
            "flavors: {}\nsignature:\n  inputs: '[{\"type\": \"long\"}]'\nis_signature_from_type_hint: maybe\n",
            "true or false",
        ),
    ];
    for (text, needle) in cases {
        let err = MlModel::from_yaml(text).expect_err(text);
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{text:?}: {err}");
        assert!(err.message().contains(needle), "{text:?}: expected {needle:?} in: {}", err.message());
    }
}

#[test]
fn load_and_save_use_the_mlmodel_file_of_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    let (_, text) = fixtures().into_iter().find(|(n, _)| n == "lightgbm_saved.MLmodel").unwrap();
    let m = MlModel::from_yaml(&text).unwrap();
    m.save(dir.path()).unwrap();
    assert_eq!(std::fs::read_to_string(dir.path().join("MLmodel")).unwrap(), text);
    assert_eq!(MlModel::load(dir.path()).unwrap(), m);
    assert_eq!(MlModel::load(&dir.path().join("MLmodel")).unwrap(), m);
    let err = MlModel::load(&dir.path().join("missing")).unwrap_err();
    assert_eq!(err.kind(), mlflow_core::ErrorKind::NotFound, "{err}");
    assert!(err.message().contains("no MLmodel file at"), "{err}");
}

// ---- PyYAML -----------------------------------------------------------------------------------

fn venv_python() -> Option<PathBuf> {
    common::venv_python("PyYAML cannot check what we write")
}

/// Strings PyYAML (YAML 1.1) would read as something else if written plain, and a few that need
/// quoting or escaping for other reasons.
const TRICKY: &[&str] = &[
    "y", "n", "yes", "No", "on", "OFF", "true", "False", "null", "Null", "~", "", "0o17", "1e3", "1.5e3", "1.0e+3",
    "3.10", "3.11.7", "2.0", ".5", ".inf", "-.inf", ".nan", "010", "0x1F", "0b101", "1_000", "1:30", "190:20:30", "007",
    "2024-02-01", "2026-11-23 18:50:32.373752", "2026-11-23T18:50:32Z", "a: b", "a:b", "#x", "a #b", "a#b", "key:",
    "-", "- a", "--- x", "... x", "@x", "`x", "!x", "%x", "*x", "&x", "?", "? x", ",x", "|", ">", "[x]", "{x}", "=",
    "<<", " lead", "trail ", "two  spaces", "it's", "say \"hi\"", "back\\slash", "tab\there", "line\nbreak",
    "trailing\n", "é", "snow ☃", "emoji 😀", "nbsp\u{a0}x", "\u{2028}", "ctrl\u{1}", "bom\u{feff}",
    "[{\"type\": \"double\", \"name\": \"f0\", \"required\": true}]",
    "a very long plain string with many words that goes well past the eighty column limit of PyYAML emitter so it wraps",
    "a very long single-quoted string: with a colon and many words that goes past the eighty column limit so it wraps",
    "a long double-quoted string with an accent é and many words that goes past the eighty column limit so it wraps",
    "averylongwordwithoutanyspacesatallthatcannotbewrappedanywherebecausetherearenospacesinitatallreally",
];

/// `value` as JSON for Python: YamlValue -> serde_json (floats finite only in these tests).
fn to_json(v: &YamlValue) -> serde_json::Value {
    match v {
        YamlValue::Null => serde_json::Value::Null,
        YamlValue::Bool(b) => (*b).into(),
        YamlValue::Int(i) => (*i).into(),
        YamlValue::Float(f) => serde_json::json!(f),
        YamlValue::Str(s) => s.clone().into(),
        YamlValue::Seq(s) => s.iter().map(to_json).collect(),
        YamlValue::Map(m) => m.iter().map(|(k, v)| (k.clone(), to_json(v))).collect::<serde_json::Map<_, _>>().into(),
    }
}

#[test]
fn pyyaml_reads_what_we_write_as_the_same_data_and_writes_the_same_bytes() {
    let Some(py) = venv_python() else { return };
    let mut doc = BTreeMap::new();
    let mut options = BTreeMap::new();
    for (i, s) in TRICKY.iter().enumerate() {
        options.insert(format!("s{i:03}"), YamlValue::from(*s));
    }
    // Tricky strings as keys and list items too, and other scalar types.
    options.insert("yes".into(), YamlValue::from("key that PyYAML must quote"));
    options.insert("list".into(), YamlValue::Seq(TRICKY.iter().map(|s| YamlValue::from(*s)).collect()));
    options.insert(
        "nested".into(),
        YamlValue::Seq(vec![
            YamlValue::Map(BTreeMap::from([
                ("b".to_string(), YamlValue::Int(1)),
                ("a".to_string(), YamlValue::from("on")),
            ])),
            YamlValue::Seq(vec![YamlValue::from("x"), YamlValue::Seq(vec![])]),
            YamlValue::Map(BTreeMap::new()),
        ]),
    );
    for (k, v) in
        [("f1", 1e-5), ("f2", 1e20), ("f3", 0.1), ("f4", 1.0), ("f5", -2.5e-10), ("f6", 123456789.0), ("f7", 1e16)]
    {
        options.insert(k.into(), YamlValue::Float(v));
    }
    options.insert("i".into(), YamlValue::Int(-42));
    options.insert("t".into(), YamlValue::Bool(true));
    options.insert("z".into(), YamlValue::Null);
    doc.insert(
        "flavors".to_string(),
        YamlValue::Map(BTreeMap::from([("custom".to_string(), YamlValue::Map(options))])),
    );
    doc.insert("utc_time_created".to_string(), YamlValue::from("2026-11-23 18:50:32.373752"));
    let ours = to_pyyaml_string(&doc);
    let expected = serde_json::to_string(&to_json(&YamlValue::Map(doc.clone()))).unwrap();

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ours.yaml"), &ours).unwrap();
    std::fs::write(dir.path().join("expected.json"), &expected).unwrap();
    let script = r#"
import json, sys, yaml
d = sys.argv[1]
ours = open(d + "/ours.yaml", encoding="utf-8").read()
expected = json.load(open(d + "/expected.json", encoding="utf-8"))
loaded = yaml.safe_load(ours)
if loaded != expected:
    for k in expected["flavors"]["custom"]:
        a, b = expected["flavors"]["custom"][k], loaded["flavors"]["custom"].get(k)
        if a != b:
            print("MISREAD", k, repr(a), repr(b))
    sys.exit(1)
theirs = yaml.safe_dump(expected, default_flow_style=False)
if theirs != ours:
    open(d + "/theirs.yaml", "w", encoding="utf-8").write(theirs)
    print("BYTES DIFFER")
    sys.exit(2)
print("OK")
"#;
    let out = Command::new(&py).arg("-c").arg(script).arg(dir.path()).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        let theirs = std::fs::read_to_string(dir.path().join("theirs.yaml")).unwrap_or_default();
        let diff: Vec<String> = ours
            .lines()
            .zip(theirs.lines())
            .filter(|(a, b)| a != b)
            .take(10)
            .map(|(a, b)| format!("ours:   {a}\ntheirs: {b}"))
            .collect();
        panic!("{stdout}\n{}\n{}", String::from_utf8_lossy(&out.stderr), diff.join("\n"));
    }
    assert_eq!(stdout.trim(), "OK");

    // And we read our own output back to the same data, as PyYAML does (YAML 1.1: plain `y`,
    // `0o17`, `1e3` are strings).
    let back = MlModel::from_yaml(&format!("{ours}model_uuid: abc\n")).unwrap();
    let custom = YamlValue::Map(back.flavors["custom"].options.clone());
    assert_eq!(&custom, doc["flavors"].as_map().unwrap().get("custom").unwrap());
}

#[test]
fn free_form_values_are_read_as_pyyaml_safe_load_reads_them() {
    let text = "a: 010\nb: 1:30\nc: yes\nd: 0o17\ne: 1.0e+3\nf: 1e3\ng: y\nh: ~\ni: &x [1, '2']\nj: *x\nk: 0x1F\nl: !!str 12\nm: 2024-02-01\nn: .inf\no: -1_000\np: 3.10\n";
    let got = safe_load(text).unwrap().unwrap();
    let expected = BTreeMap::from([
        ("a", YamlValue::Int(8)),
        ("b", YamlValue::Int(90)),
        ("c", YamlValue::Bool(true)),
        ("d", YamlValue::from("0o17")),
        ("e", YamlValue::Float(1000.0)),
        ("f", YamlValue::from("1e3")),
        ("g", YamlValue::from("y")),
        ("h", YamlValue::Null),
        ("i", YamlValue::Seq(vec![YamlValue::Int(1), YamlValue::from("2")])),
        ("j", YamlValue::Seq(vec![YamlValue::Int(1), YamlValue::from("2")])),
        ("k", YamlValue::Int(31)),
        ("l", YamlValue::from("12")),
        ("m", YamlValue::from("2024-02-01")),
        ("n", YamlValue::Float(f64::INFINITY)),
        ("o", YamlValue::Int(-1000)),
        ("p", YamlValue::Float(3.1)),
    ]);
    let expected = YamlValue::Map(expected.into_iter().map(|(k, v)| (k.to_string(), v)).collect());
    assert_eq!(got, expected);
    assert!(safe_load("a: 1\n---\nb: 2\n").unwrap_err().contains("single document"));
    assert_eq!(safe_load("").unwrap(), None);
    let deep = format!("a: {}1{}\n", "[".repeat(500), "]".repeat(500));
    // The parser or our bound refuses it, either way an error, not a stack overflow.
    assert!(safe_load(&deep).is_err());
    let deep200 = format!("a: {}1{}\n", "[".repeat(200), "]".repeat(200));
    assert!(safe_load(&deep200).unwrap_err().contains("nested deeper"), "{:?}", safe_load(&deep200));
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 0..8 {
        let prev = if i == 0 { "a".to_string() } else { format!("b{}", i - 1) };
        bomb.push_str(&format!("b{i}: &b{i} [{}]\n", vec![format!("*{prev}"); 10].join(", ")));
    }
    assert!(safe_load(&bomb).unwrap_err().contains("more than"));
    let err = MlModel::from_yaml(&deep).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
}

#[test]
fn pyyaml_and_mlflow_read_our_mlmodel_files() {
    let Some(py) = venv_python() else { return };
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in fixtures() {
        let sub = dir.path().join(&name);
        std::fs::create_dir(&sub).unwrap();
        MlModel::from_yaml(&text).unwrap().save(&sub).unwrap();
    }
    // MLflow's own Model.load must accept every file we wrote and see the same signature.
    let script = r#"
import os, sys, yaml
from mlflow.models import Model
d = sys.argv[1]
for name in sorted(os.listdir(d)):
    m = Model.load(os.path.join(d, name, "MLmodel"))
    assert m.flavors, name
    text = open(os.path.join(d, name, "MLmodel")).read()
    assert m.to_yaml() == text, name
print("OK")
"#;
    let out = Command::new(&py).arg("-c").arg(script).arg(dir.path()).output().unwrap();
    assert!(out.status.success(), "{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}
