//! The model builder against what MLflow 3.17.2 itself wrote (tests/fixtures/models/mlflow_written,
//! see its README): every file of each directory byte for byte, only the creation time and the
//! fresh uuid masked. Then every kind of bad input: a clear error and nothing left behind.

use std::path::{Path, PathBuf};

use mlflow_core::models::env::{conda_yaml, python_env_yaml, requirements_txt, resolve_requirements};
use mlflow_core::models::example::{ordered_json_from_str, ExampleData, InputExample};
use mlflow_core::models::pyrepr::OrderedJson;
use mlflow_core::models::{
    stamp_logged, validate_model_dir, MlModel, ModelBuilder, ModelSignature, ModelSpec, YamlValue, KNOWN_FLAVORS,
};
use mlflow_core::ErrorKind;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/models/mlflow_written").join(name)
}

/// All files below `dir`, relative, sorted.
fn tree(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// The MLmodel with the values that differ on every save replaced.
fn mask(text: &str, extra_masked_keys: &[&str]) -> String {
    text.lines()
        .map(|l| {
            let masked = ["utc_time_created:", "model_uuid:"]
                .iter()
                .chain(extra_masked_keys)
                .find(|k| l.trim_start().starts_with(*k));
            match masked {
                Some(k) => format!("{}{k} <masked>", &l[..l.len() - l.trim_start().len()]),
                None => l.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Builds with `builder` and compares every file with the MLflow-written directory `name`.
fn assert_golden(name: &str, builder: ModelBuilder, logged: bool, extra_masked_keys: &[&str]) -> MlModel {
    let expected_dir = fixture(name);
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("model");
    let mut model = builder.save(&dest).unwrap_or_else(|e| panic!("{name}: {e}"));
    if logged {
        let mlflow = MlModel::load(&expected_dir).unwrap();
        stamp_logged(
            &mut model,
            mlflow.model_id.as_deref().unwrap(),
            mlflow.run_id.as_deref(),
            mlflow.artifact_path.as_deref().unwrap(),
        );
        model.save(&dest).unwrap();
    }
    assert_eq!(tree(&dest), tree(&expected_dir), "{name}: the files differ");
    for file in tree(&expected_dir) {
        let (ours, theirs) =
            (std::fs::read(dest.join(&file)).unwrap(), std::fs::read(expected_dir.join(&file)).unwrap());
        if file == "MLmodel" {
            let (ours, theirs) = (String::from_utf8(ours).unwrap(), String::from_utf8(theirs).unwrap());
            assert_eq!(mask(&ours, extra_masked_keys), mask(&theirs, extra_masked_keys), "{name}: MLmodel");
        } else {
            assert!(
                ours == theirs,
                "{name}: {file} differs:\n{}\n---\n{}",
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(&theirs)
            );
        }
    }
    // Our own reader and the pre-logging check accept what we wrote.
    assert_eq!(MlModel::load(&dest).unwrap(), model);
    validate_model_dir(&dest).unwrap_or_else(|e| panic!("{name}: {e}"));
    // Nothing but the model directory was left in the parent.
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1, "{name}: leftovers next to the model");
    model
}

fn signature_of(name: &str) -> ModelSignature {
    MlModel::load(&fixture(name)).unwrap().signature.unwrap()
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// What MLflow's requirement inference found for XGBoost in the reference venv (Appendix A).
const XGB_INFERRED: &[&str] =
    &["numpy==2.4.6", "pandas==3.1.1", "scikit-learn==1.9.1", "scipy==1.17.1", "xgboost-cpu==3.2.0", "xgboost==3.2.0"];
const LGB_INFERRED: &[&str] =
    &["lightgbm==4.7.0", "numpy==2.4.6", "pandas==3.1.1", "scikit-learn==1.9.1", "scipy==1.17.1"];

/// `input_example.json`'s dataframe of the logged fixtures, as columns + rows.
fn dataframe_example(name: &str) -> InputExample {
    let text = std::fs::read_to_string(fixture(name).join("input_example.json")).unwrap();
    let OrderedJson::Object(pairs) = ordered_json_from_str(&text).unwrap() else { panic!("not an object") };
    let columns = match &pairs[0].1 {
        OrderedJson::Array(c) => {
            c.iter().map(|c| if let OrderedJson::String(s) = c { s.clone() } else { panic!() }).collect()
        }
        _ => panic!(),
    };
    let data = match &pairs[1].1 {
        OrderedJson::Array(rows) => {
            rows.iter().map(|r| if let OrderedJson::Array(v) = r { v.clone() } else { panic!() }).collect()
        }
        _ => panic!(),
    };
    InputExample::new(ExampleData::Columns { columns, data })
}

// ---- golden: every flavor, saved and logged --------------------------------------------------

#[test]
fn onnx_saved_with_an_ndarray_example_matches_mlflow() {
    let example = std::fs::read_to_string(fixture("onnx_saved/input_example.json")).unwrap();
    let b = ModelBuilder::new("onnx")
        .unwrap()
        .file(fixture("onnx_saved/model.onnx"))
        .signature(signature_of("onnx_saved"))
        .input_example(InputExample::new(ExampleData::Tensor(ordered_json_from_str(&example).unwrap())));
    let m = assert_golden("onnx_saved", b, false, &[]);
    assert_eq!(m.model_size_bytes, Some(785));
}

#[test]
fn onnx_logged_with_a_dict_of_tensors_example_matches_mlflow() {
    let example = std::fs::read_to_string(fixture("onnx_logged/input_example.json")).unwrap();
    let OrderedJson::Object(named) = ordered_json_from_str(&example).unwrap() else { panic!() };
    let b = ModelBuilder::new("onnx")
        .unwrap()
        .file(fixture("onnx_logged/model.onnx"))
        .signature(signature_of("onnx_logged"))
        .input_example(InputExample::new(ExampleData::Tensors(named)));
    assert_golden("onnx_logged", b, true, &[]);
}

#[test]
fn onnx_with_external_data_copies_the_sidecar_file() {
    let b = ModelBuilder::new("onnx")
        .unwrap()
        .file(fixture("onnx_big_saved/model.onnx"))
        .file(fixture("onnx_big_saved/5673d7f0-e76f-11f1-82cd-02fc00000001.data"));
    let m = assert_golden("onnx_big_saved", b, false, &[]);
    assert_eq!(m.model_size_bytes, Some(16555));
}

#[test]
fn xgboost_json_and_ubj_saved_match_mlflow() {
    for (name, file) in [("xgboost_json_saved", "model.json"), ("xgboost_ubj_saved", "model.ubj")] {
        // The Booster file under another name: the extension alone decides the format.
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join(format!("booster.{}", file.rsplit('.').next().unwrap().to_uppercase()));
        std::fs::copy(fixture(name).join(file), &src).unwrap();
        let b = ModelBuilder::new("xgboost").unwrap().file(&src).pip_requirements(strings(XGB_INFERRED));
        assert_golden(name, b, false, &[]);
    }
}

#[test]
fn xgboost_logged_from_the_json_spec_matches_mlflow() {
    // The spec form (what the C call takes): signature parts as MLflow's strings and as arrays.
    let mlmodel = MlModel::load(&fixture("xgboost_json_logged")).unwrap();
    let sig = mlmodel.signature.unwrap();
    let example = std::fs::read_to_string(fixture("xgboost_json_logged/input_example.json")).unwrap();
    let example = example.replacen('{', "{\"type\": \"dataframe\", ", 1);
    let spec = format!(
        r#"{{"flavor": "xgboost", "files": ["model.json"],
            "signature": {{"inputs": {}, "outputs": {}}},
            "input_example": {example},
            "pip_requirements": {}}}"#,
        serde_json::to_string(&sig.inputs_json().unwrap()).unwrap(),
        sig.outputs_json().unwrap(),
        serde_json::to_string(XGB_INFERRED).unwrap(),
    );
    let spec = ModelSpec::from_json(&spec).unwrap();
    let b = ModelBuilder::from_spec(&spec, &fixture("xgboost_json_logged")).unwrap();
    assert_golden("xgboost_json_logged", b, true, &[]);
}

#[test]
fn lightgbm_saved_and_logged_match_mlflow() {
    let b = ModelBuilder::new("lightgbm")
        .unwrap()
        .file(fixture("lightgbm_saved/model.lgb"))
        .pip_requirements(strings(LGB_INFERRED));
    assert_golden("lightgbm_saved", b, false, &[]);
    let b = ModelBuilder::new("lightgbm")
        .unwrap()
        .file(fixture("lightgbm_logged/model.lgb"))
        .pip_requirements(strings(LGB_INFERRED))
        .signature(signature_of("lightgbm_logged"))
        .input_example(dataframe_example("lightgbm_logged"));
    assert_golden("lightgbm_logged", b, true, &[]);
}

#[test]
fn pyfunc_loader_module_matches_mlflow() {
    let b = ModelBuilder::new("python_function")
        .unwrap()
        .option("loader_module", "my_loader".into())
        .data(fixture("pyfunc_loader_saved/data/kdir"))
        .code_path(fixture("pyfunc_loader_saved/code/my_loader.py"))
        .signature(signature_of("pyfunc_loader_saved"))
        .pip_requirements(strings(&["cloudpickle==3.1.2"]));
    let m = assert_golden("pyfunc_loader_saved", b, false, &[]);
    // MLflow counts the data but not code/ (it copies code after measuring).
    assert_eq!(m.model_size_bytes, Some(3));
}

#[test]
fn pyfunc_models_from_code_matches_mlflow_except_the_recorded_source_path() {
    let spec = ModelSpec::from_json(
        r#"{"flavor": "python_function",
            "options": {"python_model": "code_model.py", "cloudpickle_version": "3.1.2"},
            "signature": {"inputs": [{"type": "double", "name": "a", "required": true}],
                          "outputs": "[{\"type\": \"double\", \"name\": \"a\", \"required\": true}]"},
            "input_example": {"type": "dataframe", "columns": ["a"], "data": [[1.0]]},
            "extra_pip_requirements": ["cloudpickle==3.1.2", "pandas==3.1.1"]}"#,
    )
    .unwrap();
    let b = ModelBuilder::from_spec(&spec, &fixture("pyfunc_code_saved")).unwrap();
    // MLflow records the absolute source path; its loader only uses the base name, which we write.
    let m = assert_golden("pyfunc_code_saved", b, false, &["model_code_path:"]);
    assert_eq!(m.flavors["python_function"].get_str("model_code_path"), Some("code_model.py"));
    assert_eq!(m.model_size_bytes, Some(343));
}

// ---- environment files ---------------------------------------------------------------------

#[test]
fn requirements_defaults_replace_add_and_pin() {
    let defaults = strings(&["xgboost==3.2.0"]);
    assert_eq!(resolve_requirements(&defaults, None, None).unwrap(), strings(&["mlflow==3.17.2", "xgboost==3.2.0"]));
    // Pin: the same package replaces the default in place; others are added.
    assert_eq!(
        resolve_requirements(&defaults, None, Some(&strings(&["XGBoost==3.1.0", "pandas"]))).unwrap(),
        strings(&["mlflow==3.17.2", "XGBoost==3.1.0", "pandas"])
    );
    // Replace: the caller's order; mlflow first unless named.
    assert_eq!(
        resolve_requirements(&defaults, Some(&strings(&["b", "a"])), None).unwrap(),
        strings(&["mlflow==3.17.2", "b", "a"])
    );
    assert_eq!(
        resolve_requirements(&defaults, Some(&strings(&["a", "mlflow==3.17.1", "a"])), None).unwrap(),
        strings(&["a", "mlflow==3.17.1"])
    );
    for bad in [
        resolve_requirements(&defaults, Some(&[]), Some(&[])),
        resolve_requirements(&defaults, Some(&strings(&[""])), None),
        resolve_requirements(&defaults, None, Some(&strings(&["a\nb"]))),
        resolve_requirements(&defaults, None, Some(&strings(&["-c constraints.txt"]))),
    ] {
        assert_eq!(bad.unwrap_err().kind(), ErrorKind::InvalidArgument);
    }
    // The framework version recorded follows a caller's pin.
    let tmp = tempfile::tempdir().unwrap();
    let m = ModelBuilder::new("xgboost")
        .unwrap()
        .file(fixture("xgboost_json_saved/model.json"))
        .extra_pip_requirements(strings(&["xgboost==3.1.0"]))
        .save(&tmp.path().join("m"))
        .unwrap();
    assert_eq!(m.flavors["xgboost"].get_str("xgb_version"), Some("3.1.0"));
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("m/requirements.txt")).unwrap(),
        "mlflow==3.17.2\nxgboost==3.1.0"
    );
}

#[test]
fn env_files_are_written_as_mlflow_writes_them() {
    let reqs = strings(&["mlflow==3.17.2", "numpy==2.4.6", "onnx==1.23.2", "onnxruntime==1.32.0"]);
    let dir = fixture("onnx_saved");
    assert_eq!(requirements_txt(&reqs), std::fs::read_to_string(dir.join("requirements.txt")).unwrap());
    assert_eq!(conda_yaml("3.11.7", &reqs), std::fs::read_to_string(dir.join("conda.yaml")).unwrap());
    assert_eq!(python_env_yaml("3.11.7"), std::fs::read_to_string(dir.join("python_env.yaml")).unwrap());
    assert!(python_env_yaml("3.12.1").starts_with("python: 3.12.1\nbuild_dependencies:\n"));
}

#[test]
fn examples_with_params_and_json_objects_are_saved_as_mlflow_saves_them() {
    let params = vec![("bias".to_string(), ordered_json_from_str("1.0").unwrap())];
    let ex = InputExample::new(ExampleData::Columns {
        columns: strings(&["a", "s"]),
        data: vec![vec![ordered_json_from_str("1.0").unwrap(), OrderedJson::str("x")]],
    })
    .with_params(params.clone());
    let saved = ex.save_form().unwrap();
    assert_eq!(
        saved.input_example_json,
        r#"{"inputs": {"columns": ["a", "s"], "data": [[1.0, "x"]]}, "params": {"bias": 1.0}}"#
    );
    assert_eq!(
        saved.serving_input_json,
        "{\n  \"dataframe_split\": {\n    \"columns\": [\n      \"a\",\n      \"s\"\n    ],\n    \"data\": [\n      [\n        1.0,\n        \"x\"\n      ]\n    ]\n  },\n  \"params\": {\n    \"bias\": 1.0\n  }\n}"
    );
    assert_eq!(saved.info["params"], YamlValue::from("true"));
    assert_eq!(saved.info["type"], YamlValue::from("dataframe"));
    // A json_object keeps the caller's key order; an LLM-style dict is served as is.
    let obj = ordered_json_from_str(r#"{"z": 1, "a": [1e-05, 1e16, "é"], "e": {}}"#).unwrap();
    let saved = InputExample::new(ExampleData::Json(obj)).save_form().unwrap();
    assert_eq!(saved.input_example_json, r#"{"z": 1, "a": [1e-05, 1e+16, "\u00e9"], "e": {}}"#);
    assert!(saved.serving_input_json.starts_with("{\n  \"inputs\": {\n    \"z\": 1,"));
    assert!(!saved.info.contains_key("pandas_orient"));
    let chat = ordered_json_from_str(r#"{"messages": [{"role": "user", "content": "hi"}]}"#).unwrap();
    let saved = InputExample::new(ExampleData::Json(chat)).with_params(params).save_form().unwrap();
    assert_eq!(
        saved.serving_input_json,
        "{\n  \"messages\": [\n    {\n      \"role\": \"user\",\n      \"content\": \"hi\"\n    }\n  ],\n  \"bias\": 1.0\n}"
    );
}

// ---- bad input: clear errors, nothing left behind --------------------------------------------

/// Runs a failing save into a fresh parent and checks the error kind, its message and that the
/// parent is left as it was (empty).
fn assert_refused(builder: Result<ModelBuilder, mlflow_core::Error>, kind: ErrorKind, needle: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let err = builder.and_then(|b| b.save(&tmp.path().join("model")).map(|_| ())).unwrap_err();
    assert_eq!(err.kind(), kind, "{err}");
    assert!(err.message().contains(needle), "expected {needle:?} in: {err}");
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.is_empty(), "left behind after a failure: {left:?}");
}

fn xgb_file() -> PathBuf {
    fixture("xgboost_json_saved/model.json")
}

#[test]
fn unknown_flavor_lists_the_known_ones() {
    let err = ModelBuilder::new("tensorflow").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    for known in KNOWN_FLAVORS {
        assert!(err.message().contains(known), "{err}");
    }
    let spec = ModelSpec::from_json(r#"{"flavor": "keras", "files": ["x"]}"#).unwrap();
    assert!(ModelBuilder::from_spec(&spec, Path::new(".")).unwrap_err().message().contains("unknown model flavor"));
}

#[test]
fn missing_or_wrong_model_files_are_refused_before_writing() {
    use ErrorKind::InvalidArgument as Inv;
    let missing = Path::new("/nonexistent/model.json");
    assert_refused(
        ModelBuilder::new("xgboost").map(|b| b.file(missing)),
        Inv,
        "/nonexistent/model.json does not exist",
    );
    assert_refused(ModelBuilder::new("xgboost"), Inv, "needs its model file");
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("model.bin");
    std::fs::copy(xgb_file(), &bin).unwrap();
    assert_refused(ModelBuilder::new("xgboost").map(|b| b.file(&bin)), Inv, "must end in .json or .ubj");
    assert_refused(
        ModelBuilder::new("xgboost").map(|b| b.file(xgb_file()).file(xgb_file())),
        Inv,
        "exactly one model file",
    );
    // A file that is not a LightGBM text model.
    assert_refused(ModelBuilder::new("lightgbm").map(|b| b.file(xgb_file())), Inv, "not a LightGBM text model");
    // ONNX: a missing external-data file, a model file nested in model_path.
    assert_refused(
        ModelBuilder::new("onnx").map(|b| b.file(fixture("onnx_big_saved/model.onnx")).file("/nonexistent/w.data")),
        Inv,
        "/nonexistent/w.data does not exist",
    );
    // Not an ONNX file; an external-data file the model references but the caller left out.
    assert_refused(ModelBuilder::new("onnx").map(|b| b.file(xgb_file())), Inv, "is not an ONNX model");
    assert_refused(
        ModelBuilder::new("onnx").map(|b| b.file(fixture("onnx_big_saved/model.onnx"))),
        Inv,
        "references its external data file \"5673d7f0-e76f-11f1-82cd-02fc00000001.data\"",
    );
    let truncated = tmp.path().join("truncated.onnx");
    std::fs::write(&truncated, &std::fs::read(fixture("onnx_big_saved/model.onnx")).unwrap()[..100]).unwrap();
    assert_refused(ModelBuilder::new("onnx").map(|b| b.file(&truncated)), Inv, "is not an ONNX model");
    let nested = tmp.path().join("nested");
    std::fs::create_dir_all(nested.join("sub")).unwrap();
    std::fs::copy(fixture("onnx_saved/model.onnx"), nested.join("sub/model.onnx")).unwrap();
    assert_refused(ModelBuilder::new("onnx").map(|b| b.model_path(&nested).data("sub/model.onnx")), Inv, "root");
    assert_refused(ModelBuilder::new("onnx").map(|b| b.model_path(&nested)), Inv, "has no onnx model file");
    // A model_path that is already a model directory.
    assert_refused(
        ModelBuilder::new("xgboost").map(|b| b.model_path(fixture("xgboost_json_saved"))),
        Inv,
        "already contains",
    );
    assert_refused(
        ModelBuilder::new("xgboost").map(|b| b.file(xgb_file()).code_path("/nonexistent/x.py")),
        Inv,
        "code path",
    );
}

#[test]
fn options_are_checked() {
    use ErrorKind::InvalidArgument as Inv;
    assert_refused(
        ModelBuilder::new("xgboost").map(|b| b.file(xgb_file()).option("providers", "x".into())),
        Inv,
        "unknown option",
    );
    assert_refused(
        ModelBuilder::new("onnx")
            .map(|b| b.file(fixture("onnx_saved/model.onnx")).option("onnx_execution_providers", "CPU".into())),
        Inv,
        "list of provider names",
    );
    assert_refused(ModelBuilder::new("python_function"), Inv, "exactly one of the options");
    assert_refused(
        ModelBuilder::new("python_function").map(|b| b.option("loader_module", "my-loader".into())),
        Inv,
        "not a Python module name",
    );
    assert_refused(
        ModelBuilder::new("python_function").map(|b| b.option("python_model", "/nonexistent/m.py".into())),
        Inv,
        "does not exist",
    );
    assert_refused(
        ModelBuilder::new("xgboost").map(|b| b.file(xgb_file()).python_version("3.11")),
        Inv,
        "full version",
    );
    assert_refused(
        ModelBuilder::new("xgboost")
            .map(|b| b.file(xgb_file()).pip_requirements(vec![]).extra_pip_requirements(vec![])),
        Inv,
        "only one of",
    );
}

#[test]
fn destination_must_be_absent_or_empty() {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("model");
    std::fs::create_dir(&dest).unwrap();
    std::fs::write(dest.join("keep.txt"), "mine").unwrap();
    let b = ModelBuilder::new("xgboost").unwrap().file(xgb_file());
    let err = b.save(&dest).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
    assert!(err.message().contains("already exists and is not empty"), "{err}");
    assert_eq!(tree(&dest), ["keep.txt"]);
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
    // A file in the way.
    let file = tmp.path().join("file");
    std::fs::write(&file, "x").unwrap();
    assert_eq!(b.save(&file).unwrap_err().kind(), ErrorKind::AlreadyExists);
    // An empty directory is fine (as for MLflow) and a missing parent is created.
    std::fs::remove_file(dest.join("keep.txt")).unwrap();
    b.save(&dest).unwrap();
    assert!(dest.join("MLmodel").is_file());
    b.save(&tmp.path().join("a/b/model")).unwrap();
    validate_model_dir(&tmp.path().join("a/b/model")).unwrap();
}

#[test]
fn a_failure_while_copying_leaves_nothing_behind() {
    // Everything checks out, then copying meets a dangling symlink inside model_path.
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir(&src).unwrap();
    std::fs::copy(xgb_file(), src.join("model.json")).unwrap();
    std::os::unix::fs::symlink("/nonexistent/target", src.join("dangling")).unwrap();
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let err = ModelBuilder::new("xgboost").unwrap().model_path(&src).save(&out.join("model")).unwrap_err();
    assert!(err.message().contains("dangling"), "{err}");
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0, "a temporary directory was left behind");
}

#[test]
fn malformed_signatures_and_examples_in_the_spec_are_refused() {
    let base = fixture("xgboost_json_saved");
    let bad_specs = [
        (
            r#"{"flavor": "xgboost", "files": ["model.json"], "signature": {"inputs": "[{\"type\": \"double64\"}]"}}"#,
            "double64",
        ),
        (
            r#"{"flavor": "xgboost", "files": ["model.json"], "signature": {"inputs": {"type": "double"}}}"#,
            "JSON string or a JSON list",
        ),
        (r#"{"flavor": "xgboost", "files": ["model.json"], "signature": {}}"#, "at least one of"),
        (r#"{"flavor": "xgboost", "files": ["model.json"], "signature": {"input": "[]"}}"#, "unknown field"),
        (
            r#"{"flavor": "xgboost", "files": ["model.json"], "input_example": {"type": "dataframe", "columns": ["a"], "data": [[1, 2]]}}"#,
            "row 0 has 2 values",
        ),
        (
            r#"{"flavor": "xgboost", "files": ["model.json"], "input_example": {"type": "ndarray", "data": [[1, 2], [3]]}}"#,
            "not rectangular",
        ),
        (
            r#"{"flavor": "xgboost", "files": ["model.json"], "input_example": {"type": "tensor", "data": [1]}}"#,
            "unknown type",
        ),
        (
            r#"{"flavor": "xgboost", "files": ["model.json"], "input_example": {"type": "json_object"}}"#,
            "missing \"data\"",
        ),
        (r#"{"flavor": "xgboost", "files": ["model.json"], "input_example": [1, 2]}"#, "expected an object"),
        (r#"{"flavor": "xgboost", "file": ["model.json"]}"#, "unknown field `file`"),
        (r#"{"files": ["model.json"]}"#, "missing field `flavor`"),
        (r#"{"flavor": "xgboost", "files": "model.json"}"#, "invalid type"),
        ("not json", "malformed model spec"),
    ];
    for (text, needle) in bad_specs {
        let err = ModelSpec::from_json(text).and_then(|s| ModelBuilder::from_spec(&s, &base)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{text}: {err}");
        assert!(err.message().contains(needle), "{text}: expected {needle:?} in: {err}");
    }
}

// ---- the pre-logging check and stamping --------------------------------------------------------

#[test]
fn validate_accepts_every_mlflow_written_directory() {
    for e in std::fs::read_dir(fixture("")).unwrap() {
        let dir = e.unwrap().path();
        if dir.is_dir() {
            validate_model_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        }
    }
}

#[test]
fn validate_refuses_directories_mlflow_cannot_load() {
    let tmp = tempfile::tempdir().unwrap();
    let good = tmp.path().join("good");
    ModelBuilder::new("onnx").unwrap().file(fixture("onnx_saved/model.onnx")).save(&good).unwrap();
    let mlmodel = std::fs::read_to_string(good.join("MLmodel")).unwrap();
    let case = |name: &str, edit: &dyn Fn(&Path), needle: &str| {
        let dir = tmp.path().join(name);
        std::fs::create_dir(&dir).unwrap();
        for f in tree(&good) {
            std::fs::copy(good.join(&f), dir.join(&f)).unwrap();
        }
        edit(&dir);
        let err = validate_model_dir(&dir).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{name}: {err}");
        assert!(err.message().contains(needle), "{name}: expected {needle:?} in: {err}");
    };
    let rewrite = |from: &'static str, to: &'static str| {
        let text = mlmodel.replace(from, to);
        move |d: &Path| std::fs::write(d.join("MLmodel"), &text).unwrap()
    };
    case("no_file", &|d| std::fs::remove_file(d.join("model.onnx")).unwrap(), "does not exist");
    case("no_mlmodel", &|d| std::fs::remove_file(d.join("MLmodel")).unwrap(), "has no MLmodel file");
    case("nested", &rewrite("data: model.onnx", "data: sub/model.onnx"), "sub/model.onnx");
    case("escape", &rewrite("data: model.onnx", "data: ../good/model.onnx"), "inside the model directory");
    case(
        "no_onnx_section",
        &rewrite("  onnx:\n    code: null\n    data: model.onnx\n", "  onnx_gone:\n    code: null\n"),
        "no `onnx` flavor",
    );
    case("no_loader", &rewrite("    loader_module: mlflow.onnx\n", ""), "no loader_module");
    case("malformed_yaml", &|d| std::fs::write(d.join("MLmodel"), "flavors: [\n").unwrap(), "MLmodel");
    case("no_flavors", &|d| std::fs::write(d.join("MLmodel"), "mlflow_version: 3.17.2\n").unwrap(), "names no flavors");
    // An example whose file is gone, or whose type MLflow does not know.
    let with_example = tmp.path().join("ex");
    ModelBuilder::new("onnx")
        .unwrap()
        .file(fixture("onnx_saved/model.onnx"))
        .input_example(InputExample::new(ExampleData::Tensor(ordered_json_from_str("[[1.0]]").unwrap())))
        .save(&with_example)
        .unwrap();
    std::fs::remove_file(with_example.join("serving_input_example.json")).unwrap();
    assert!(validate_model_dir(&with_example).unwrap_err().message().contains("serving_input_example.json"));
    let text = std::fs::read_to_string(with_example.join("MLmodel")).unwrap().replace("type: ndarray", "type: tensor");
    std::fs::write(with_example.join("MLmodel"), text).unwrap();
    assert!(validate_model_dir(&with_example).unwrap_err().message().contains("\"tensor\""));
    // A model with another flavor but no python_function is accepted (MLflow logs such models).
    let text = mlmodel.replace("  python_function:\n", "  not_pyfunc:\n");
    std::fs::write(good.join("MLmodel"), text).unwrap();
    validate_model_dir(&good).unwrap();
}

#[test]
fn stamp_logged_sets_what_model_log_records() {
    let mut m = MlModel::load(&fixture("onnx_saved")).unwrap();
    stamp_logged(&mut m, "m-0123", Some("run1"), "s3://b/models/m-0123/artifacts");
    let text = m.to_yaml();
    for line in [
        "artifact_path: s3://b/models/m-0123/artifacts\n",
        "model_id: m-0123\n",
        "model_uuid: m-0123\n",
        "run_id: run1\n",
    ] {
        assert!(text.contains(line), "{line} missing in:\n{text}");
    }
    stamp_logged(&mut m, "m-1", None, "/a");
    assert!(!m.to_yaml().contains("run_id"));
}

#[test]
fn onnx_external_data_locations_are_read_from_the_model() {
    use mlflow_core::models::flavors::onnx_external::external_data_locations;
    let big = std::fs::read(fixture("onnx_big_saved/model.onnx")).unwrap();
    assert_eq!(
        external_data_locations(&big).unwrap().into_iter().collect::<Vec<_>>(),
        ["5673d7f0-e76f-11f1-82cd-02fc00000001.data"]
    );
    assert!(external_data_locations(&std::fs::read(fixture("onnx_saved/model.onnx")).unwrap()).unwrap().is_empty());
    assert!(external_data_locations(b"").is_err());
    assert!(external_data_locations(b"\xff\xff\xff").is_err());
    // With model_path, the sidecar must be in the directory.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("src");
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(fixture("onnx_big_saved/model.onnx"), dir.join("model.onnx")).unwrap();
    let b = ModelBuilder::new("onnx").unwrap().model_path(&dir);
    assert!(b.save(&tmp.path().join("m")).unwrap_err().message().contains("not in model_path"));
    std::fs::copy(
        fixture("onnx_big_saved/5673d7f0-e76f-11f1-82cd-02fc00000001.data"),
        dir.join("5673d7f0-e76f-11f1-82cd-02fc00000001.data"),
    )
    .unwrap();
    b.save(&tmp.path().join("m")).unwrap();
    assert_eq!(tree(&tmp.path().join("m")), tree(&fixture("onnx_big_saved")));
}

#[test]
fn the_one_call_spec_form_writes_the_model_and_returns_its_mlmodel_as_json() {
    use mlflow_core::models::{mlmodel_to_json, save_model_from_spec_json};
    let tmp = tempfile::tempdir().unwrap();
    let spec = r#"{"flavor": "lightgbm", "files": ["model.lgb"], "options": {"lgb_version": "4.6.0"},
                   "metadata": {"team": "a", "n": 3, "ok": true}, "python_version": "3.12.4"}"#;
    let m = save_model_from_spec_json(spec, &tmp.path().join("m"), &fixture("lightgbm_saved")).unwrap();
    let json = mlmodel_to_json(&m);
    assert_eq!(json["flavors"]["lightgbm"]["lgb_version"], "4.6.0");
    assert_eq!(json["flavors"]["python_function"]["python_version"], "3.12.4");
    assert_eq!(json["flavors"]["python_function"]["env"]["virtualenv"], "python_env.yaml");
    assert_eq!(json["metadata"], serde_json::json!({"team": "a", "n": 3, "ok": true}));
    assert_eq!(json["model_size_bytes"], 6802);
    assert_eq!(MlModel::load(&tmp.path().join("m")).unwrap(), m);
    assert!(std::fs::read_to_string(tmp.path().join("m/conda.yaml")).unwrap().contains("- python=3.12.4\n"));
    let err = save_model_from_spec_json(spec, &tmp.path().join("m"), &fixture("lightgbm_saved")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);
}
