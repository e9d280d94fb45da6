//! Interop with the real MLflow 3.17.2 (the repository's .venv): for every flavor the builder offers
//! — ONNX (with an external-data file), XGBoost json, XGBoost ubj, LightGBM text, python_function
//! loader module, python_function models from code — the framework files are produced by the real
//! frameworks (tests/python/model_interop.py make), Rust builds the model directories (half through
//! the JSON spec the C ABI takes), and MLflow loads each, predicts what the framework predicts on
//! its own file, reads signature and input example back, scores the serving example, and
//! `mlflow models serve` answers /invocations for the ONNX and XGBoost models on loopback.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use mlflow_core::models::example::{ordered_json_from_str, ExampleData, InputExample};
use mlflow_core::models::pyrepr::OrderedJson;
use mlflow_core::models::{validate_model_dir, ModelBuilder, ModelSignature, ModelSpec};

mod common;

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/model_interop.py")
}

fn run_python(py: &Path, args: &[&str]) {
    let started = Instant::now();
    let out = Command::new(py).arg(script()).args(args).output().expect("run the venv's python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(out.status.success(), "model_interop.py {args:?} failed ({}):\n{stdout}\n{stderr}", out.status);
    println!("model_interop.py {} took {:.1}s", args[0], started.elapsed().as_secs_f64());
}

/// The first `n` rows of the framework inputs as JSON rows.
fn rows(src: &Path, n: usize) -> Vec<OrderedJson> {
    let text = std::fs::read_to_string(src.join("X.json")).unwrap();
    let OrderedJson::Array(all) = ordered_json_from_str(&text).unwrap() else { panic!("X.json is not a list") };
    all.into_iter().take(n).collect()
}

fn columns_example(src: &Path, n: usize) -> InputExample {
    let data = rows(src, n).into_iter().map(|r| if let OrderedJson::Array(v) = r { v } else { panic!() }).collect();
    InputExample::new(ExampleData::Columns { columns: ["f0", "f1", "f2", "f3"].map(String::from).to_vec(), data })
}

const COLUMNS_SIG: &str = r#"[{"type": "double", "name": "f0", "required": true}, {"type": "double", "name": "f1", "required": true}, {"type": "double", "name": "f2", "required": true}, {"type": "double", "name": "f3", "required": true}]"#;

#[test]
fn mlflow_loads_predicts_and_serves_every_flavor_we_build() {
    let Some(py) = common::venv_python("the model interop test cannot run") else { return };
    let started = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    run_python(&py, &["make", src.to_str().unwrap()]);
    let models = tmp.path().join("models");
    let mut manifest = Vec::new();
    let mut add = |name: &str, kind: &str, builder: ModelBuilder, rows: usize, extra: serde_json::Value| {
        let dir = models.join(name);
        let m = builder.save(&dir).unwrap_or_else(|e| panic!("{name}: {e}"));
        validate_model_dir(&dir).unwrap_or_else(|e| panic!("{name}: {e}"));
        let sig = m.signature.as_ref().expect("every interop model has a signature");
        let mut entry = serde_json::json!({
            "name": name, "kind": kind, "dir": dir, "example_rows": rows,
            "signature": {"inputs": sig.inputs_json(), "outputs": sig.outputs_json(), "params": sig.params_json()},
        });
        entry.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        manifest.push(entry);
    };

    // ONNX: the model and its external-data file, a dict-of-tensors example, CPU provider only.
    let onnx = ModelBuilder::new("onnx")
        .unwrap()
        .file(src.join("linear.onnx"))
        .file(src.join("linear_weights.bin"))
        .option("onnx_execution_providers", serde_json::json!(["CPUExecutionProvider"]))
        .signature(
            ModelSignature::from_json_strings(
                Some(r#"[{"name": "x", "type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}}]"#),
                Some(r#"[{"name": "y", "type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 2]}}]"#),
                None,
            )
            .unwrap(),
        )
        .input_example(InputExample::new(ExampleData::Tensors(vec![("x".into(), OrderedJson::Array(rows(&src, 3)))])));
    add("onnx", "onnx", onnx, 3, serde_json::json!({"serve": true}));

    // XGBoost json through the Rust builder, ubj through the JSON spec (the C ABI's form).
    let xgb = ModelBuilder::new("xgboost")
        .unwrap()
        .file(src.join("booster.json"))
        .signature(ModelSignature::from_json_strings(Some(COLUMNS_SIG), Some(r#"[{"type": "float"}]"#), None).unwrap())
        .input_example(columns_example(&src, 3));
    add("xgboost_json", "xgboost_json", xgb, 3, serde_json::json!({"serve": true}));
    let example_rows = serde_json::to_string(
        &serde_json::from_str::<Vec<Vec<f64>>>(&std::fs::read_to_string(src.join("X.json")).unwrap()).unwrap()[..2],
    )
    .unwrap();
    let spec = format!(
        r#"{{"flavor": "xgboost", "files": ["booster.ubj"], "options": {{"model_class": "xgboost.core.Booster"}},
            "signature": {{"inputs": {COLUMNS_SIG}, "outputs": [{{"type": "float"}}]}},
            "input_example": {{"type": "dataframe", "columns": ["f0", "f1", "f2", "f3"], "data": {example_rows}}},
            "extra_pip_requirements": ["xgboost-cpu==3.2.0"], "metadata": {{"source": "libmlflow test"}}}}"#
    );
    let ubj = ModelBuilder::from_spec(&ModelSpec::from_json(&spec).unwrap(), &src).unwrap();
    add("xgboost_ubj", "xgboost_ubj", ubj, 2, serde_json::json!({}));

    let lgbm = ModelBuilder::new("lightgbm")
        .unwrap()
        .file(src.join("lgbm.txt"))
        .signature(ModelSignature::from_json_strings(Some(COLUMNS_SIG), Some(r#"[{"type": "double"}]"#), None).unwrap())
        .input_example(columns_example(&src, 4));
    add("lightgbm", "lightgbm", lgbm, 4, serde_json::json!({}));

    // python_function: loader module + data + code, and models from code + artifact + params.
    let a_rows = |n: usize| -> Vec<Vec<OrderedJson>> {
        rows(&src, n)
            .into_iter()
            .map(|r| if let OrderedJson::Array(v) = r { vec![v[0].clone()] } else { panic!() })
            .collect()
    };
    let a_sig = r#"[{"type": "double", "name": "a", "required": true}]"#;
    let loader = ModelBuilder::new("python_function")
        .unwrap()
        .option("loader_module", "my_loader".into())
        .data(src.join("kdir"))
        .code_path(src.join("my_loader.py"))
        .signature(ModelSignature::from_json_strings(Some(a_sig), None, None).unwrap())
        .input_example(InputExample::new(ExampleData::Columns { columns: vec!["a".into()], data: a_rows(2) }))
        .pip_requirements(vec!["pandas".into()]);
    add("pyfunc_loader", "pyfunc_loader", loader, 2, serde_json::json!({}));
    let code_spec = format!(
        r#"{{"flavor": "python_function",
            "options": {{"python_model": "code_model.py", "artifacts": {{"k": "kdir/k.txt"}}}},
            "signature": {{"inputs": {a_sig}, "params": [{{"name": "bias", "default": 0.0, "shape": null, "type": "double"}}]}},
            "input_example": {{"type": "dataframe", "columns": ["a"], "data": {}, "params": {{"bias": 1.0}}}}}}"#,
        serde_json::to_string(
            &a_rows(2)
                .iter()
                .map(|r| r[0].to_python_json().parse::<f64>().unwrap())
                .map(|v| vec![v])
                .collect::<Vec<_>>()
        )
        .unwrap()
    );
    let code = ModelBuilder::from_spec(&ModelSpec::from_json(&code_spec).unwrap(), &src).unwrap();
    add("pyfunc_code", "pyfunc_code", code, 2, serde_json::json!({"bias": 1.0}));

    let manifest = serde_json::json!({"src": src, "models": manifest});
    std::fs::write(tmp.path().join("manifest.json"), serde_json::to_string_pretty(&manifest).unwrap()).unwrap();
    run_python(&py, &["check", tmp.path().to_str().unwrap()]);
    println!("model interop took {:.1}s in all", started.elapsed().as_secs_f64());
}
