//! `log_model`, `register_model` and `models:/` downloads on the embedded sqlite store: the
//! LoggedModel's life (PENDING → files at its own location → READY, linked to the run), the
//! stamped MLmodel, registration with `models:/<model_id>` as source, every `models:/` URI form
//! resolving to the same files, and the failure paths leaving nothing half-done.

mod common;

use std::path::{Path, PathBuf};

use common::TestDb;
use mlflow_core::log_model::{LogModel, LogModelOptions};
use mlflow_core::logged_model::{LoggedModelStatus, MODEL_VERSIONS_TAG};
use mlflow_core::models::{MlModel, ModelBuilder};
use mlflow_core::{ErrorKind, RunStatus, StartRun};

/// A python_function model in MLflow's loader-module form: `my_loader._load_pyfunc(data/...)`.
fn pyfunc_model(dir: &Path) -> PathBuf {
    let src = dir.join("src");
    std::fs::create_dir_all(src.join("weights")).unwrap();
    std::fs::write(src.join("my_loader.py"), LOADER).unwrap();
    std::fs::write(src.join("weights/scale.txt"), "2.5").unwrap();
    let model = dir.join("model");
    ModelBuilder::new("python_function")
        .unwrap()
        .option("loader_module", serde_json::json!("my_loader"))
        .code_path(src.join("my_loader.py"))
        .data(src.join("weights"))
        .save(&model)
        .unwrap();
    model
}

const LOADER: &str = r#"import os


class _Scaled:
    def __init__(self, scale):
        self.scale = scale

    def predict(self, data, params=None):
        return data * self.scale


def _load_pyfunc(path):
    with open(os.path.join(path, "scale.txt")) as f:
        return _Scaled(float(f.read()))
"#;

fn files_under(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn log_model_creates_a_ready_logged_model_linked_to_the_run_and_registers_it() {
    let db = TestDb::new();
    let client = db.client();
    let model_dir = pyfunc_model(db.dir.path());
    let run = client.start_run(StartRun { run_name: Some("train".into()), ..StartRun::default() }).unwrap();
    run.log_param("lr", "0.1").unwrap();
    let opts = LogModelOptions::from_json(
        r#"{"name": "scaler", "registered_model_name": "scaler-reg", "params": {"lr": "ignored", "depth": "3"},
            "tags": {"team": "ml"}, "step": 7, "registered_model_tags": {"stage": "candidate"}}"#,
    )
    .unwrap();
    let info = client.log_model(Some(run.run_id()), &model_dir, opts.into_log_model(None)).unwrap();

    assert!(info.model_id.starts_with("m-") && info.model_id.len() == 34, "{}", info.model_id);
    assert_eq!(info.model_uri, format!("models:/{}", info.model_id));
    assert_eq!(info.name, "scaler");
    let experiment = client.get_experiment(&info.experiment_id).unwrap();
    let expected_location = format!("{}/models/{}/artifacts", experiment.artifact_location.unwrap(), info.model_id);
    assert_eq!(info.artifact_location, expected_location);

    // The LoggedModel: READY, the run's params (the run's value wins), tags incl. context tags.
    let logged = client.get_logged_model(&info.model_id).unwrap();
    assert_eq!(logged.info.status, LoggedModelStatus::Ready);
    assert_eq!(logged.info.source_run_id.as_deref(), Some(run.run_id()));
    let params: Vec<(&str, &str)> = logged.data.params.iter().map(|p| (p.key.as_str(), p.value.as_str())).collect();
    assert!(params.contains(&("lr", "0.1")) && params.contains(&("depth", "3")), "{params:?}");
    assert_eq!(logged.tag("team"), Some("ml"));
    assert!(logged.tag("mlflow.user").is_some());
    assert_eq!(
        logged.tag(MODEL_VERSIONS_TAG),
        Some(r#"[{"name": "scaler-reg", "version": 1}]"#),
        "MLflow's client appends the registered version"
    );

    // The run lists the model as an output at the given step.
    let got = client.get_run(run.run_id()).unwrap();
    assert_eq!(
        got.outputs.get("model_outputs"),
        Some(&serde_json::json!([{"model_id": info.model_id, "step": 7}])),
        "{:?}",
        got.outputs
    );

    // Files at the model's own location (not under the run), MLmodel stamped as MLflow's Model.log.
    let stored = Path::new(&info.artifact_location);
    let mut original = files_under(&model_dir);
    let uploaded = files_under(stored);
    assert_eq!(
        uploaded.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(),
        original.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>()
    );
    original.retain(|(p, _)| p != "MLmodel");
    for (path, bytes) in &original {
        assert_eq!(&uploaded.iter().find(|(p, _)| p == path).unwrap().1, bytes, "{path}");
    }
    let stamped = MlModel::load(stored).unwrap();
    assert_eq!(stamped.model_id.as_deref(), Some(info.model_id.as_str()));
    assert_eq!(stamped.model_uuid.as_deref(), Some(info.model_id.as_str()));
    assert_eq!(stamped.run_id.as_deref(), Some(run.run_id()));
    assert_eq!(stamped.artifact_path.as_deref(), Some(info.artifact_location.as_str()));
    assert_eq!(stamped, info.mlmodel);
    assert!(!Path::new(&got.info.artifact_uri).join("scaler").exists(), "nothing under the run's artifacts");

    // The registry version made from it.
    let v = info.registered_model_version.clone().unwrap();
    assert_eq!((v.name.as_str(), v.version), ("scaler-reg", 1));
    let v = client.get_model_version("scaler-reg", 1).unwrap();
    assert_eq!(v.source.as_deref(), Some(info.model_uri.as_str()));
    assert_eq!(v.run_id.as_deref(), Some(run.run_id()));
    assert_eq!(v.tags.iter().map(|t| (t.key.as_str(), t.value.as_str())).collect::<Vec<_>>(), [("stage", "candidate")]);
    assert_eq!(client.get_model_version_download_uri("scaler-reg", 1).unwrap(), info.artifact_location);
    run.end(RunStatus::Finished).unwrap();
}

#[test]
fn every_models_uri_form_downloads_the_same_model() {
    let db = TestDb::new();
    let client = db.client();
    let model_dir = pyfunc_model(db.dir.path());
    let run = client.start_run(StartRun::default()).unwrap();
    let first = client
        .log_model(
            Some(run.run_id()),
            &model_dir,
            LogModel { registered_model_name: Some("reg".into()), ..LogModel::default() },
        )
        .unwrap();
    let second = client
        .log_model(
            Some(run.run_id()),
            &model_dir,
            LogModel { registered_model_name: Some("reg".into()), ..LogModel::default() },
        )
        .unwrap();
    assert_eq!(second.registered_model_version.as_ref().unwrap().version, 2);
    client.set_registered_model_alias("reg", "champion", 1).unwrap();
    client.transition_model_version_stage("reg", 2, "staging", false).unwrap();

    let expected = files_under(Path::new(&first.artifact_location));
    let cases = [
        ("models:/reg/1", Some(1)),
        ("models:/reg@champion", Some(1)),
        ("models:/reg/latest", Some(2)),
        ("models:/reg/Staging", Some(2)),
        (first.model_uri.as_str(), None),
    ];
    for (uri, version) in cases {
        let dst = db.dir.path().join(format!("dl-{}", uri.replace([':', '/', '@'], "_")));
        let got = client.download_artifacts(None, None, Some(uri), Some(&dst), None).unwrap();
        assert_eq!(got, dst, "{uri}: the model's files go directly into dst");
        let mut files = files_under(&dst);
        let meta = files.iter().position(|(p, _)| p == "registered_model_meta").expect(uri);
        let (_, meta) = files.remove(meta);
        let meta = String::from_utf8(meta).unwrap();
        match version {
            Some(v) => assert_eq!(meta, format!("model_name: reg\nmodel_version: {v}\n"), "{uri}"),
            None => assert_eq!(meta, "model_name: null\nmodel_version: null\n", "{uri}"),
        }
        // Versions 1 and 2 differ only in their stamped MLmodel.
        let same: Vec<_> = files.iter().filter(|(p, _)| p != "MLmodel").collect();
        let want: Vec<_> = expected.iter().filter(|(p, _)| p != "MLmodel").collect();
        assert_eq!(same, want, "{uri}");
    }
    // A sub-path inside the model.
    let dst = db.dir.path().join("dl-sub");
    let got = client.download_artifacts(None, None, Some("models:/reg/1/code/my_loader.py"), Some(&dst), None).unwrap();
    assert_eq!(std::fs::read_to_string(got).unwrap(), LOADER);

    for (uri, kind) in [
        ("models:/reg/7", ErrorKind::NotFound),
        ("models:/reg@nobody", ErrorKind::InvalidArgument),
        ("models:/reg/bogus-stage", ErrorKind::InvalidArgument),
        ("models:/reg/Production", ErrorKind::NotFound),
        ("models:/m-00000000000000000000000000000000", ErrorKind::NotFound),
        ("models:/a/b/c/d", ErrorKind::InvalidArgument),
        ("models:/", ErrorKind::InvalidArgument),
    ] {
        let dst = db.dir.path().join("dl-bad");
        let e = client.download_artifacts(None, None, Some(uri), Some(&dst), None).unwrap_err();
        assert_eq!(e.kind(), kind, "{uri}: {e}");
    }
}

#[test]
fn bad_input_creates_nothing() {
    let db = TestDb::new();
    let client = db.client();
    let model_dir = pyfunc_model(db.dir.path());
    let run = client.start_run(StartRun::default()).unwrap();
    let count_logged = || {
        let conn = rusqlite::Connection::open(db.dir.path().join("mlflow.db")).unwrap();
        let n: i64 = conn.query_row("SELECT count(*) FROM logged_models", [], |r| r.get(0)).unwrap();
        let m: i64 = conn.query_row("SELECT count(*) FROM registered_models", [], |r| r.get(0)).unwrap();
        (n, m)
    };
    for bad_name in ["a/b", "a:b", " ", "..x"] {
        let e = client
            .log_model(
                Some(run.run_id()),
                &model_dir,
                LogModel { registered_model_name: Some(bad_name.into()), ..LogModel::default() },
            )
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{bad_name}: {e}");
    }
    for bad_model_name in ["has/slash", "dot.name", ""] {
        let e = client
            .log_model(
                Some(run.run_id()),
                &model_dir,
                LogModel { name: Some(bad_model_name.into()), ..LogModel::default() },
            )
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{bad_model_name}: {e}");
    }
    let empty = db.dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let e = client.log_model(Some(run.run_id()), &empty, LogModel::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.message().contains("MLmodel"), "{e}");
    // A flavor's file removed after building: refused before anything is created.
    let broken = db.dir.path().join("broken");
    copy_dir(&model_dir, &broken);
    std::fs::remove_dir_all(broken.join("data")).unwrap();
    let e = client.log_model(Some(run.run_id()), &broken, LogModel::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    let e = LogModelOptions::from_json(r#"{"nmae": "typo"}"#).unwrap_err();
    assert!(e.message().contains("nmae"), "{e}");
    assert_eq!(count_logged(), (0, 0));

    // A version whose source cannot be resolved leaves no registered model behind.
    let e = client.register_model("models:/missing/1", "fresh", &[]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert_eq!(count_logged(), (0, 0));
}

#[test]
fn a_failed_upload_leaves_the_logged_model_upload_failed_and_registers_nothing() {
    let db = TestDb::new();
    let client = db.client();
    let model_dir = pyfunc_model(db.dir.path());
    // The experiment's artifact location lies under a regular file: nothing can be created there.
    let blocker = db.dir.path().join("blocker");
    std::fs::write(&blocker, "not a directory").unwrap();
    let exp = client.create_experiment("blocked", Some(&format!("{}/artifacts", blocker.display())), &[]).unwrap();
    let run = client.start_run(StartRun { experiment_id: Some(exp), ..StartRun::default() }).unwrap();
    let e = client
        .log_model(
            Some(run.run_id()),
            &model_dir,
            LogModel { registered_model_name: Some("never".into()), ..LogModel::default() },
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Storage, "{e}");
    let conn = rusqlite::Connection::open(db.dir.path().join("mlflow.db")).unwrap();
    let status: i64 = conn.query_row("SELECT status FROM logged_models", [], |r| r.get(0)).unwrap();
    assert_eq!(status, LoggedModelStatus::UploadFailed.as_int());
    let registered: i64 = conn.query_row("SELECT count(*) FROM registered_models", [], |r| r.get(0)).unwrap();
    assert_eq!(registered, 0);
}

#[test]
fn register_model_from_a_runs_uri_finds_the_logged_model_of_that_name() {
    let db = TestDb::new();
    let client = db.client();
    let model_dir = pyfunc_model(db.dir.path());
    let run = client.start_run(StartRun::default()).unwrap();
    let info = client
        .log_model(Some(run.run_id()), &model_dir, LogModel { name: Some("clf".into()), ..LogModel::default() })
        .unwrap();
    let v = client.register_model(&format!("runs:/{}/clf", run.run_id()), "from-run", &[]).unwrap();
    assert_eq!(v.source.as_deref(), Some(info.model_uri.as_str()));
    // Files logged under the run's own artifacts register with the run's artifact URI as source.
    client.log_artifacts(run.run_id(), &model_dir, Some("plain"), None).unwrap();
    let v = client.register_model(&format!("runs:/{}/plain", run.run_id()), "from-run", &[]).unwrap();
    assert_eq!(v.version, 2);
    assert!(v.source.as_deref().unwrap().ends_with("/artifacts/plain"), "{:?}", v.source);
    assert_eq!(v.run_id.as_deref(), Some(run.run_id()));
    let e = client.register_model(&format!("runs:/{}/nothing", run.run_id()), "from-run", &[]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let target = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &target);
        } else {
            std::fs::copy(&p, &target).unwrap();
        }
    }
}
