//! Helpers for registry_sqlite.rs: a store on a fresh database file, row queries, the scenario
//! both libmlflow and MLflow perform, and the bridge to MLflow's Python
//! (`core/tests/python/registry_sqlite.py`) with the normalisation that makes two databases
//! comparable (timestamps, uuids, run and model ids, the temporary directory).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use mlflow_core::logged_model::{
    CreateLoggedModel, LoggedModelParameter, LoggedModelStatus, LoggedModelTag, ModelOutput,
};
use mlflow_core::registry::{CreateModelVersion, ModelVersionTag, RegisteredModelTag, Stage};
use mlflow_core::store::{CreateRun, LoggedModelStore, RegistryStore, SqliteStore};
use serde_json::{json, Value};

pub struct Db {
    pub dir: tempfile::TempDir,
    pub store: SqliteStore,
}

impl Db {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open_uri(&uri_of(dir.path()), root_of(dir.path())).expect("open store");
        Db { dir, store }
    }

    pub fn uri(&self) -> String {
        uri_of(self.dir.path())
    }

    pub fn root(&self) -> String {
        root_of(self.dir.path())
    }

    pub fn file(&self) -> PathBuf {
        self.dir.path().join("mlflow.db")
    }

    fn conn(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.file()).expect("open db")
    }

    pub fn count(&self, table: &str) -> i64 {
        self.count_where(table, "1")
    }

    pub fn count_where(&self, table: &str, condition: &str) -> i64 {
        self.conn().query_row(&format!("SELECT count(*) FROM {table} WHERE {condition}"), [], |r| r.get(0)).unwrap()
    }

    /// The first row of `sql`, every column as text (`NULL` for NULL).
    pub fn query_row(&self, sql: &str) -> Vec<String> {
        let conn = self.conn();
        let mut stmt = conn.prepare(sql).unwrap();
        let n = stmt.column_count();
        stmt.query_row([], |r| {
            (0..n)
                .map(|i| {
                    Ok(match r.get::<_, rusqlite::types::Value>(i)? {
                        rusqlite::types::Value::Null => "NULL".to_string(),
                        rusqlite::types::Value::Integer(v) => v.to_string(),
                        rusqlite::types::Value::Real(v) => v.to_string(),
                        rusqlite::types::Value::Text(v) => v,
                        rusqlite::types::Value::Blob(v) => format!("{v:?}"),
                    })
                })
                .collect()
        })
        .unwrap()
    }

    /// A new run in the default experiment.
    pub fn run(&self) -> String {
        let req =
            CreateRun { experiment_id: "0".into(), user_id: "tester".into(), start_time: 1, ..Default::default() };
        self.store.create_run(&req).unwrap().info.run_id
    }
}

fn uri_of(dir: &Path) -> String {
    format!("sqlite:///{}/mlflow.db", dir.display())
}

fn root_of(dir: &Path) -> String {
    format!("{}/mlruns", dir.display())
}

/// The venv's Python with MLflow 3.17.2 (see `common::venv_python`).
pub fn venv_python() -> Option<PathBuf> {
    crate::common::venv_python("the MLflow differential is not run")
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/registry_sqlite.py")
}

fn python_json(py: &Path, dir: &Path, args: &[&str]) -> Value {
    let out = Command::new(py).arg(script()).args(args).current_dir(dir).output().expect("run python");
    assert!(
        out.status.success(),
        "python {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(line).unwrap_or_else(|e| panic!("python {args:?} printed no JSON ({e}):\n{stdout}"))
}

/// The run and LoggedModel ids a scenario made (they differ between databases).
#[derive(Debug, Clone)]
pub struct Ids {
    pub run_id: String,
    pub model_ids: Vec<String>,
}

impl Ids {
    fn to_json(&self) -> String {
        json!({"run_id": self.run_id, "model_ids": self.model_ids}).to_string()
    }
}

fn path_of(db: &Db) -> String {
    db.file().display().to_string()
}

/// MLflow performs the scenario on `db` (whose store we opened first: same fresh schema).
pub fn mlflow_scenario(py: &Path, db: &Db) -> Ids {
    let v = python_json(py, db.dir.path(), &["scenario", &path_of(db), &db.root()]);
    Ids {
        run_id: v["run_id"].as_str().unwrap().to_string(),
        model_ids: v["model_ids"].as_array().unwrap().iter().map(|m| m.as_str().unwrap().to_string()).collect(),
    }
}

pub fn mlflow_read(py: &Path, db: &Db, ids: &Ids) -> Value {
    python_json(py, db.dir.path(), &["read", &path_of(db), &db.root(), &ids.to_json()])
}

pub fn mlflow_rows(py: &Path, db: &Db) -> Value {
    python_json(py, db.dir.path(), &["rows", &path_of(db)])
}

/// The scenario of `registry_sqlite.py scenario`, step for step, through libmlflow.
pub fn run_scenario(s: &SqliteStore) -> Ids {
    // Every step gets its own millisecond, so searches ordered by time have no ties to break
    // differently from MLflow's run of the scenario (which sleeps the same way).
    let tick = || std::thread::sleep(std::time::Duration::from_millis(3));
    let run_id = s
        .create_run(&CreateRun {
            experiment_id: "0".into(),
            user_id: "tester".into(),
            start_time: 1,
            run_name: Some("r1".into()),
            ..Default::default()
        })
        .unwrap()
        .info
        .run_id;
    let lm = s
        .create_logged_model(&CreateLoggedModel {
            experiment_id: "0".into(),
            name: Some("lm1".into()),
            source_run_id: Some(run_id.clone()),
            params: vec![LoggedModelParameter { key: "p".into(), value: "1".into() }],
            tags: vec![LoggedModelTag { key: "t".into(), value: "x".into() }],
            ..Default::default()
        })
        .unwrap()
        .info
        .model_id;
    s.finalize_logged_model(&lm, LoggedModelStatus::Ready).unwrap();
    tick();
    s.log_outputs(&run_id, &[ModelOutput { model_id: lm.clone(), step: 3 }]).unwrap();
    tick();
    s.set_logged_model_tags(&lm, &[LoggedModelTag { key: "t2".into(), value: "y".into() }]).unwrap();
    tick();
    s.log_logged_model_params(&lm, &[LoggedModelParameter { key: "q".into(), value: "2".into() }]).unwrap();
    tick();
    let lm2 = s
        .create_logged_model(&CreateLoggedModel {
            experiment_id: "0".into(),
            name: Some("lm2".into()),
            ..Default::default()
        })
        .unwrap()
        .info
        .model_id;
    s.delete_logged_model(&lm2).unwrap();
    tick();

    let tag = |k: &str, v: &str| RegisteredModelTag { key: k.into(), value: v.into() };
    let vtag = |k: &str, v: &str| ModelVersionTag { key: k.into(), value: v.into() };
    let mv = |name: &str, source: &str| CreateModelVersion {
        name: name.into(),
        source: source.into(),
        ..Default::default()
    };
    s.create_registered_model("reg", &[tag("team", "a")], Some("first")).unwrap();
    tick();
    s.create_registered_model("other", &[], None).unwrap();
    tick();
    s.create_registered_model("prompt_like", &[tag("mlflow.prompt.is_prompt", "true")], None).unwrap();
    tick();
    s.create_model_version(&CreateModelVersion {
        run_id: Some(run_id.clone()),
        tags: vec![vtag("k", "v")],
        description: Some("v one".into()),
        ..mv("reg", "s3://bucket/m1")
    })
    .unwrap();
    tick();
    s.create_model_version(&CreateModelVersion { model_id: Some(lm.clone()), ..mv("reg", &format!("models:/{lm}")) })
        .unwrap();
    tick();
    s.create_model_version(&mv("reg", "models:/reg/1")).unwrap();
    tick();
    s.create_model_version(&mv("reg", "/tmp/x")).unwrap();
    tick();
    s.transition_model_version_stage("reg", 1, Stage::parse("Production").unwrap(), false).unwrap();
    tick();
    s.transition_model_version_stage("reg", 2, Stage::parse("production").unwrap(), true).unwrap();
    tick();
    s.transition_model_version_stage("reg", 3, Stage::parse("Staging").unwrap(), false).unwrap();
    tick();
    s.set_registered_model_alias("reg", "champion", 2).unwrap();
    tick();
    s.set_registered_model_alias("reg", "old", 4).unwrap();
    tick();
    s.delete_model_version("reg", 4).unwrap();
    tick();
    s.set_model_version_tag("reg", 3, "k3", "v3").unwrap();
    tick();
    s.delete_model_version_tag("reg", 3, "missing").unwrap();
    tick();
    s.set_registered_model_tag("reg", "t2", "x").unwrap();
    tick();
    s.delete_registered_model_tag("reg", "team").unwrap();
    tick();
    s.update_model_version("reg", 1, Some("updated")).unwrap();
    tick();
    s.create_model_version(&mv("reg", "file:///tmp/y")).unwrap();
    tick();
    s.rename_registered_model("other", "other2").unwrap();
    tick();
    s.create_model_version(&CreateModelVersion {
        tags: vec![vtag("mlflow.prompt.is_prompt", "false")],
        ..mv("other2", "s3://o")
    })
    .unwrap();
    tick();
    s.create_registered_model("gone", &[], None).unwrap();
    tick();
    s.create_model_version(&mv("gone", "s3://g")).unwrap();
    tick();
    s.delete_registered_model("gone").unwrap();
    tick();
    s.create_model_version(&CreateModelVersion {
        tags: vec![vtag("mlflow.prompt.is_prompt", "true")],
        ..mv("prompt_like", "s3://p")
    })
    .unwrap();
    tick();
    Ids { run_id, model_ids: vec![lm, lm2] }
}

fn code_of<T: serde::Serialize>(r: mlflow_core::Result<T>) -> Value {
    match r {
        Ok(v) => serde_json::to_value(v).unwrap(),
        Err(e) => json!({"error_code": e.mlflow_code()}),
    }
}

/// What `registry_sqlite.py read` prints, read through libmlflow.
pub fn our_read(s: &SqliteStore, ids: &Ids) -> Value {
    let registry: &dyn RegistryStore = s;
    let models: &dyn LoggedModelStore = s;
    let mut names: Vec<String> = registry
        .search_registered_models("tags.`mlflow.prompt.is_prompt` = 'true'", 100, &[], None)
        .unwrap()
        .items
        .into_iter()
        .map(|m| m.name)
        .collect();
    names.extend(registry.search_registered_models("", 1000, &[], None).unwrap().items.into_iter().map(|m| m.name));
    names.sort();
    let (mut rms, mut versions, mut aliases, mut latest, mut searches) =
        (json!({}), json!({}), json!({}), json!({}), json!({}));
    for name in &names {
        let rm = registry.get_registered_model(name).unwrap();
        rms[name] = serde_json::to_value(&rm).unwrap();
        let top = rm.latest_versions.iter().map(|v| v.version).max().unwrap_or(0);
        for v in 1..=top + 1 {
            versions[format!("{name}/{v}")] = code_of(registry.get_model_version(name, v));
            versions[format!("{name}/{v}/uri")] = code_of(registry.get_model_version_download_uri(name, v));
        }
        let mut names: Vec<String> = rm.aliases.iter().map(|a| a.alias.clone()).collect();
        names.sort();
        names.extend(["latest".to_string(), "nope".to_string()]);
        for a in names {
            aliases[format!("{name}@{a}")] = code_of(registry.get_model_version_by_alias(name, &a));
        }
        latest[name] = code_of(registry.get_latest_versions(name, &[]));
        latest[format!("{name}/Production")] = code_of(registry.get_latest_versions(name, &[Stage::Production]));
    }
    let order = |o: &[&str]| o.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let rm_queries: [(&str, &str, Vec<String>); 5] = [
        ("all", "", vec![]),
        ("like", "name LIKE 'o%'", vec![]),
        ("tag", "tags.t2 = 'x'", vec![]),
        ("prompts", "tags.`mlflow.prompt.is_prompt` = 'true'", vec![]),
        ("by_time", "", order(&["last_updated_timestamp DESC"])),
    ];
    for (key, f, o) in rm_queries {
        let page = registry.search_registered_models(f, 100, &o, None).unwrap();
        searches[format!("rm:{key}")] = json!(page.items.iter().map(|m| m.name.clone()).collect::<Vec<_>>());
    }
    let run_filter = format!("run_id = '{}'", ids.run_id);
    let mv_queries: [(&str, &str, Vec<String>); 8] = [
        ("all", "", order(&["name", "version_number"])),
        ("default", "", vec![]),
        ("num", "version_number >= 2", order(&["version_number DESC"])),
        ("run", &run_filter, vec![]),
        ("source", "source_path LIKE 's3://%'", order(&["creation_timestamp"])),
        ("tag", "tags.k3 = 'v3'", vec![]),
        ("in", "name IN ('reg', 'other2')", order(&["name DESC", "version_number"])),
        ("prompts", "tags.`mlflow.prompt.is_prompt` = 'true'", vec![]),
    ];
    for (key, f, o) in mv_queries {
        let page = registry.search_model_versions(f, 10_000, &o, None).unwrap();
        searches[format!("mv:{key}")] =
            json!(page.items.iter().map(|v| format!("{}/{}", v.name, v.version)).collect::<Vec<_>>());
    }
    let mut pages = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page =
            registry.search_model_versions("", 2, &order(&["name", "version_number"]), token.as_deref()).unwrap();
        let items: Vec<String> = page.items.iter().map(|v| format!("{}/{}", v.name, v.version)).collect();
        pages.push(json!({"items": items, "token": page.next_page_token}));
        token = page.next_page_token;
        if token.is_none() {
            break;
        }
    }
    searches["mv:pages"] = json!(pages);
    searches["mv:first_as_search"] =
        serde_json::to_value(registry.search_model_versions("name = 'reg'", 10_000, &[], None).unwrap().items).unwrap();
    let mut lms = json!({});
    let mut lms_deleted = json!({});
    for m in &ids.model_ids {
        lms[m] = code_of(models.get_logged_model(m, false));
        lms_deleted[m] = code_of(models.get_logged_model(m, true));
    }
    let run = serde_json::to_value(s.get_run(&ids.run_id).unwrap()).unwrap();
    json!({
        "registered_models": rms,
        "versions": versions,
        "aliases": aliases,
        "latest": latest,
        "searches": searches,
        "logged_models": lms,
        "logged_models_deleted": lms_deleted,
        "run_outputs": run["outputs"],
    })
}

const TIME_KEYS: &[&str] = &[
    "creation_timestamp",
    "last_updated_timestamp",
    "creation_timestamp_ms",
    "last_updated_timestamp_ms",
    "creation_time",
    "last_updated_time",
];

/// Makes two databases' JSON comparable: times → 0, uuids and ids → placeholders, the temporary
/// directory → `<dir>`.
pub fn normalize(v: Value, db: &Db, ids: &Ids) -> Value {
    let mut replacements = vec![(ids.run_id.clone(), "<run>".to_string())];
    for (i, m) in ids.model_ids.iter().enumerate() {
        replacements.push((m.clone(), format!("<model{i}>")));
    }
    replacements.push((db.dir.path().display().to_string(), "<dir>".into()));
    walk(v, &replacements, None)
}

fn walk(v: Value, reps: &[(String, String)], key: Option<&str>) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let v = walk(v, reps, Some(&k));
                    (reps.iter().fold(k, |k, (from, to)| k.replace(from, to)), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(|i| walk(i, reps, key)).collect()),
        Value::Number(_) if key.is_some_and(|k| TIME_KEYS.contains(&k)) => json!(0),
        Value::String(_) if key == Some("input_uuid") => json!("<uuid>"),
        Value::String(s) => Value::String(reps.iter().fold(s, |s, (from, to)| s.replace(from, to))),
        other => other,
    }
}

/// Equal JSON, or a failure naming the first differing paths.
pub fn assert_json_eq(what: &str, ours: &Value, theirs: &Value) {
    let mut diffs = Vec::new();
    diff("", ours, theirs, &mut diffs);
    assert!(diffs.is_empty(), "{what}: {} difference(s) (ours vs MLflow's):\n{}", diffs.len(), diffs.join("\n"));
}

fn diff(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                diff(&format!("{path}.{k}"), x.get(k).unwrap_or(&Value::Null), y.get(k).unwrap_or(&Value::Null), out);
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                diff(&format!("{path}[{i}]"), p, q, out);
            }
        }
        _ if a != b => out.push(format!("  {path}: {a} != {b}")),
        _ => {}
    }
}
