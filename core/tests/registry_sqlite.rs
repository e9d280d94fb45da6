//! The model registry and LoggedModels in the embedded sqlite store, with MLflow 3.17.2's
//! semantics: naming, numbering, soft delete, rename/delete cascades, stages, aliases, tags,
//! search and paging, `models:/` sources, LoggedModels and run outputs. The differential tests
//! at the end run MLflow's own SQLAlchemy stores (the venv's Python) on the same files.

mod common;
mod registry_support;

use std::sync::Arc;

use mlflow_core::logged_model::{
    CreateLoggedModel, LoggedModelParameter, LoggedModelStatus, LoggedModelTag, ModelOutput,
};
use mlflow_core::registry::{CreateModelVersion, ModelVersionTag, RegisteredModelTag, Stage};
use mlflow_core::store::{LoggedModelStore, RegistryStore, SqliteStore};
use mlflow_core::ErrorKind;
use registry_support::*;

fn mv(name: &str, source: &str) -> CreateModelVersion {
    CreateModelVersion { name: name.into(), source: source.into(), ..Default::default() }
}

fn rm_tag(k: &str, v: &str) -> RegisteredModelTag {
    RegisteredModelTag { key: k.into(), value: v.into() }
}

fn mv_tag(k: &str, v: &str) -> ModelVersionTag {
    ModelVersionTag { key: k.into(), value: v.into() }
}

fn versions(page: &[mlflow_core::registry::ModelVersion]) -> Vec<String> {
    page.iter().map(|v| format!("{}/{}", v.name, v.version)).collect()
}

#[test]
fn names_are_validated_before_anything_is_written() {
    let db = Db::new();
    let s = &db.store;
    for bad in ["", "  ", "a/b", "a:b", "..x", "."] {
        let e = s.create_registered_model(bad, &[], None).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{bad:?}: {e}");
    }
    assert_eq!(
        s.create_registered_model("a/b", &[], None).unwrap_err().message(),
        "Invalid model name 'a/b'. Names cannot contain '/' or ':'."
    );
    // A bad tag refuses the whole call: no model is left behind.
    let e = s.create_registered_model("m", &[rm_tag("ok", "1"), rm_tag("../bad", "x")], None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    let e = s.get_registered_model("m").unwrap_err();
    assert_eq!((e.kind(), e.message()), (ErrorKind::NotFound, "Registered Model with name=m not found"));

    let m = s.create_registered_model("m", &[rm_tag("t", "1"), rm_tag("t", "2")], None).unwrap();
    assert_eq!(m.tags, vec![rm_tag("t", "2")], "duplicate tag keys: the last wins");
    assert_eq!(m.description, None);
    assert_eq!(m.creation_timestamp, m.last_updated_timestamp);
    let e = s.create_registered_model("m", &[], None).unwrap_err();
    assert_eq!((e.kind(), e.message()), (ErrorKind::AlreadyExists, "Registered Model (name=m) already exists."));

    // A version of a model that does not exist, or with a bad tag: nothing is numbered.
    assert_eq!(s.create_model_version(&mv("nope", "s3://x")).unwrap_err().kind(), ErrorKind::NotFound);
    let bad = CreateModelVersion { tags: vec![mv_tag("", "x")], ..mv("m", "s3://x") };
    assert_eq!(s.create_model_version(&bad).unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert_eq!(s.create_model_version(&mv("m", "s3://x")).unwrap().version, 1);
    assert_eq!(db.count("model_versions"), 1);
}

#[test]
fn version_numbers_are_never_reused_until_the_model_is_deleted() {
    let db = Db::new();
    let s = &db.store;
    s.create_registered_model("m", &[], None).unwrap();
    for want in 1..=4 {
        assert_eq!(s.create_model_version(&mv("m", "s3://x")).unwrap().version, want);
    }
    s.delete_model_version("m", 3).unwrap();
    s.delete_model_version("m", 4).unwrap();
    assert_eq!(s.create_model_version(&mv("m", "s3://x")).unwrap().version, 5);
    let e = s.get_model_version("m", 4).unwrap_err();
    assert_eq!((e.kind(), e.message()), (ErrorKind::NotFound, "Model Version (name=m, version=4) not found"));
    assert_eq!(s.delete_model_version("m", 4).unwrap_err().kind(), ErrorKind::NotFound);

    s.delete_registered_model("m").unwrap();
    s.create_registered_model("m", &[], None).unwrap();
    assert_eq!(s.create_model_version(&mv("m", "s3://x")).unwrap().version, 1);
}

#[test]
fn concurrent_creates_get_distinct_consecutive_numbers() {
    let db = Db::new();
    db.store.create_registered_model("m", &[], None).unwrap();
    // Two handles on the same file, as two processes would have, plus one shared by two threads.
    let other = Arc::new(SqliteStore::open_uri(&db.uri(), db.root()).unwrap());
    let shared = Arc::new(SqliteStore::open_uri(&db.uri(), db.root()).unwrap());
    let handles: Vec<_> = [other, shared.clone(), shared]
        .into_iter()
        .map(|s| {
            std::thread::spawn(move || {
                (0..25).map(|_| s.create_model_version(&mv("m", "s3://x")).unwrap().version).collect::<Vec<_>>()
            })
        })
        .collect();
    let mut all: Vec<i64> = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();
    all.sort();
    assert_eq!(all, (1..=75).collect::<Vec<_>>());
}

#[test]
fn soft_delete_redacts_the_row_as_mlflow_does() {
    let db = Db::new();
    let s = &db.store;
    s.create_registered_model("m", &[], None).unwrap();
    let req = CreateModelVersion {
        run_id: Some("r".repeat(32)),
        run_link: Some("http://link".into()),
        description: Some("d".into()),
        tags: vec![mv_tag("k", "v")],
        ..mv("m", "s3://bucket/model")
    };
    s.create_model_version(&req).unwrap();
    s.set_registered_model_alias("m", "champ", 1).unwrap();
    let before = s.get_registered_model("m").unwrap().last_updated_timestamp.unwrap();
    std::thread::sleep(std::time::Duration::from_millis(5));
    s.delete_model_version("m", 1).unwrap();
    let row = db.query_row(
        "SELECT current_stage, source, run_id, run_link, description, user_id, status_message, storage_location, \
         workspace FROM model_versions WHERE name = 'm' AND version = 1",
    );
    assert_eq!(
        row,
        vec![
            "Deleted_Internal",
            "REDACTED-SOURCE-PATH",
            "REDACTED-RUN-ID",
            "REDACTED-RUN-LINK",
            "NULL",
            "NULL",
            "NULL",
            "s3://bucket/model",
            "default"
        ]
    );
    assert_eq!(db.count("model_version_tags"), 1, "tags stay");
    assert_eq!(db.count("registered_model_aliases"), 0, "aliases of the version go");
    let m = s.get_registered_model("m").unwrap();
    assert!(m.last_updated_timestamp.unwrap() > before);
    assert!(m.latest_versions.is_empty() && m.aliases.is_empty());
    assert!(s.search_model_versions("", 100, &[], None).unwrap().items.is_empty());
    assert_eq!(s.get_model_version_download_uri("m", 1).unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(s.set_model_version_tag("m", 1, "a", "b").unwrap_err().kind(), ErrorKind::NotFound);
}

#[test]
fn rename_carries_versions_tags_and_aliases() {
    let db = Db::new();
    let s = &db.store;
    s.create_registered_model("a", &[rm_tag("t", "1")], Some("desc")).unwrap();
    s.create_registered_model("taken", &[], None).unwrap();
    for _ in 0..3 {
        s.create_model_version(&CreateModelVersion { tags: vec![mv_tag("k", "v")], ..mv("a", "s3://x") }).unwrap();
    }
    s.delete_model_version("a", 2).unwrap();
    s.set_registered_model_alias("a", "champ", 3).unwrap();
    let old = s.get_model_version("a", 1).unwrap().last_updated_timestamp.unwrap();
    std::thread::sleep(std::time::Duration::from_millis(5));

    let e = s.rename_registered_model("a", "taken").unwrap_err();
    assert_eq!((e.kind(), e.message()), (ErrorKind::AlreadyExists, "Registered Model (name=taken) already exists."));
    assert_eq!(s.rename_registered_model("a", "x/y").unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert_eq!(s.rename_registered_model("missing", "b").unwrap_err().kind(), ErrorKind::NotFound);

    let m = s.rename_registered_model("a", "b").unwrap();
    assert_eq!((m.name.as_str(), m.description.as_deref()), ("b", Some("desc")));
    assert_eq!(m.tags, vec![rm_tag("t", "1")]);
    assert_eq!(m.aliases.len(), 1);
    let v1 = s.get_model_version("b", 1).unwrap();
    assert!(v1.last_updated_timestamp.unwrap() > old, "every version's timestamp moves");
    assert_eq!(v1.tags, vec![mv_tag("k", "v")]);
    assert_eq!(s.get_model_version_by_alias("b", "champ").unwrap().version, 3);
    assert_eq!(db.count_where("model_versions", "name = 'a'"), 0);
    assert_eq!(db.count_where("model_versions", "name = 'b'"), 3, "the deleted version moves too");
    assert_eq!(s.create_model_version(&mv("b", "s3://x")).unwrap().version, 4);
    assert_eq!(s.rename_registered_model("b", "b").unwrap().name, "b", "renaming onto itself is allowed");
}

#[test]
fn delete_registered_model_removes_every_row() {
    let db = Db::new();
    let s = &db.store;
    s.create_registered_model("m", &[rm_tag("t", "1")], None).unwrap();
    s.create_registered_model("keep", &[rm_tag("t", "1")], None).unwrap();
    s.create_model_version(&CreateModelVersion { tags: vec![mv_tag("k", "v")], ..mv("m", "s3://x") }).unwrap();
    s.create_model_version(&mv("m", "s3://x")).unwrap();
    s.create_model_version(&mv("keep", "s3://x")).unwrap();
    s.delete_model_version("m", 2).unwrap();
    s.set_registered_model_alias("m", "a", 1).unwrap();
    s.delete_registered_model("m").unwrap();
    for table in [
        "registered_models",
        "model_versions",
        "registered_model_tags",
        "model_version_tags",
        "registered_model_aliases",
    ] {
        assert_eq!(db.count_where(table, "name = 'm'"), 0, "{table}");
    }
    assert_eq!(db.count_where("registered_models", "name = 'keep'"), 1);
    assert_eq!(s.delete_registered_model("m").unwrap_err().kind(), ErrorKind::NotFound);
}

#[test]
fn stages_archive_and_latest_versions() {
    let db = Db::new();
    let s = &db.store;
    s.create_registered_model("m", &[], None).unwrap();
    for _ in 0..5 {
        s.create_model_version(&mv("m", "s3://x")).unwrap();
    }
    let prod = Stage::parse("production").unwrap();
    s.transition_model_version_stage("m", 1, prod, false).unwrap();
    s.transition_model_version_stage("m", 2, Stage::parse("STAGING").unwrap(), false).unwrap();
    s.transition_model_version_stage("m", 3, Stage::Production, false).unwrap();
    // Archive: the other Production version goes to Archived, Staging is untouched.
    let v4 = s.transition_model_version_stage("m", 4, Stage::Production, true).unwrap();
    assert_eq!(v4.current_stage, Stage::Production);
    let stage = |v| s.get_model_version("m", v).unwrap().current_stage;
    assert_eq!(
        [stage(1), stage(2), stage(3), stage(4), stage(5)],
        [Stage::Archived, Stage::Staging, Stage::Archived, Stage::Production, Stage::None]
    );
    let e = s.transition_model_version_stage("m", 5, Stage::Archived, true).unwrap_err();
    assert!(e.message().contains("is not an Active stage"), "{e}");
    assert_eq!(stage(5), Stage::None, "nothing moved");
    assert_eq!(s.transition_model_version_stage("m", 9, Stage::Staging, true).unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(stage(2), Stage::Staging, "a missing target archives nothing");

    let latest = |stages: &[Stage]| versions(&s.get_latest_versions("m", stages).unwrap());
    assert_eq!(latest(&[]), vec!["m/2", "m/3", "m/4", "m/5"]);
    assert_eq!(latest(&[Stage::Archived, Stage::Staging]), vec!["m/2", "m/3"]);
    s.delete_model_version("m", 5).unwrap();
    assert_eq!(latest(&[Stage::None]), Vec::<String>::new(), "deleted versions are never latest");
    let m = s.get_registered_model("m").unwrap();
    assert_eq!(versions(&m.latest_versions), vec!["m/2", "m/3", "m/4"]);
    assert_eq!(s.get_latest_versions("nope", &[]).unwrap_err().kind(), ErrorKind::NotFound);
}

#[test]
fn aliases_follow_mlflows_rules() {
    let db = Db::new();
    let s = &db.store;
    s.create_registered_model("m", &[], None).unwrap();
    for _ in 0..3 {
        s.create_model_version(&mv("m", "s3://x")).unwrap();
    }
    for reserved in ["latest", "LATEST", "v1", "V12"] {
        let e = s.set_registered_model_alias("m", reserved, 1).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{reserved}");
    }
    for bad in ["", "a b", "a.b", &"a".repeat(256)] {
        assert_eq!(s.set_registered_model_alias("m", bad, 1).unwrap_err().kind(), ErrorKind::InvalidArgument);
    }
    s.set_registered_model_alias("m", "champ", 1).unwrap();
    s.set_registered_model_alias("m", "champ", 2).unwrap();
    s.set_registered_model_alias("m", "v1x", 2).unwrap();
    let v = s.get_model_version_by_alias("m", "champ").unwrap();
    assert_eq!((v.version, v.aliases.clone()), (2, vec!["champ".to_string(), "v1x".to_string()]));
    assert_eq!(s.get_model_version("m", 1).unwrap().aliases, Vec::<String>::new());
    assert_eq!(s.get_model_version_by_alias("m", "Latest").unwrap().version, 3);
    let e = s.get_model_version_by_alias("m", "nope").unwrap_err();
    assert_eq!((e.kind(), e.message()), (ErrorKind::InvalidArgument, "Registered model alias nope not found."));
    assert_eq!(s.get_model_version_by_alias("zz", "champ").unwrap_err().kind(), ErrorKind::NotFound);

    s.delete_model_version("m", 3).unwrap();
    let e = s.set_registered_model_alias("m", "x", 3).unwrap_err();
    assert_eq!((e.kind(), e.message()), (ErrorKind::NotFound, "Model Version (name=m, version=3) not found"));
    assert_eq!(s.get_model_version_by_alias("m", "latest").unwrap().version, 2);
    s.delete_registered_model_alias("m", "champ").unwrap();
    s.delete_registered_model_alias("m", "never-set").unwrap();
    assert_eq!(s.delete_registered_model_alias("zz", "a").unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(s.get_registered_model("m").unwrap().aliases.len(), 1);
}

#[test]
fn tags_upsert_and_missing_deletes_are_quiet() {
    let db = Db::new();
    let s = &db.store;
    s.create_registered_model("m", &[], None).unwrap();
    s.create_model_version(&mv("m", "s3://x")).unwrap();
    let before = s.get_registered_model("m").unwrap().last_updated_timestamp;
    s.set_registered_model_tag("m", "t", "1").unwrap();
    s.set_registered_model_tag("m", "t", "2").unwrap();
    s.delete_registered_model_tag("m", "missing").unwrap();
    let m = s.get_registered_model("m").unwrap();
    assert_eq!((m.tags.clone(), m.last_updated_timestamp), (vec![rm_tag("t", "2")], before));
    s.set_model_version_tag("m", 1, "k", "1").unwrap();
    s.set_model_version_tag("m", 1, "k", "2").unwrap();
    s.delete_model_version_tag("m", 1, "missing").unwrap();
    assert_eq!(s.get_model_version("m", 1).unwrap().tags, vec![mv_tag("k", "2")]);
    s.delete_model_version_tag("m", 1, "k").unwrap();
    assert!(s.get_model_version("m", 1).unwrap().tags.is_empty());
    assert_eq!(s.set_registered_model_tag("zz", "t", "1").unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(s.set_model_version_tag("m", 2, "k", "1").unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(s.set_registered_model_tag("m", "", "1").unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert_eq!(
        s.set_registered_model_tag("m", "k", &"x".repeat(100_001)).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    let m = s.update_registered_model("m", Some("new")).unwrap();
    assert_eq!(m.description.as_deref(), Some("new"));
    assert_eq!(s.update_registered_model("m", None).unwrap().description, None);
    let v = s.update_model_version("m", 1, Some("vd")).unwrap();
    assert_eq!(v.description.as_deref(), Some("vd"));
}

#[test]
fn search_filters_orders_and_pages() {
    let db = Db::new();
    let s = &db.store;
    for (name, tags) in [
        ("alpha", vec![rm_tag("team", "a")]),
        ("Beta", vec![rm_tag("team", "b"), rm_tag("x", "1")]),
        ("gamma", vec![]),
        ("prompt", vec![rm_tag("mlflow.prompt.is_prompt", "true")]),
    ] {
        s.create_registered_model(name, &tags, None).unwrap();
    }
    let rms = |f: &str, order: &[&str]| {
        let order: Vec<String> = order.iter().map(|o| o.to_string()).collect();
        s.search_registered_models(f, 100, &order, None).unwrap().items.into_iter().map(|m| m.name).collect::<Vec<_>>()
    };
    assert_eq!(rms("", &[]), vec!["Beta", "alpha", "gamma"], "prompts are left out; name ASC");
    assert_eq!(rms("name LIKE 'a%'", &[]), vec!["alpha"]);
    assert_eq!(rms("name ILIKE 'B%'", &[]), vec!["Beta"]);
    assert_eq!(rms("name LIKE 'b%'", &[]), Vec::<String>::new(), "LIKE is case-sensitive");
    assert_eq!(rms("name IN ('alpha', 'gamma')", &["name DESC"]), vec!["gamma", "alpha"]);
    assert_eq!(rms("tags.team != 'a' AND tags.x = '1'", &[]), vec!["Beta"]);
    assert_eq!(rms("tags.`mlflow.prompt.is_prompt` = 'true'", &[]), vec!["prompt"]);
    assert_eq!(rms("tags.`mlflow.prompt.is_prompt` = 'false'", &[]), vec!["Beta", "alpha", "gamma"]);
    s.set_registered_model_tag("alpha", "y", "1").unwrap();
    s.update_registered_model("gamma", Some("touch")).unwrap();
    assert_eq!(rms("", &["timestamp DESC"])[0], "gamma");
    for bad in ["run_id = 'x'", "name > 'a'", "tags.t IN ('a')", "metrics.m > 1"] {
        assert_eq!(s.search_registered_models(bad, 10, &[], None).unwrap_err().kind(), ErrorKind::InvalidArgument);
    }
    let e = s.search_registered_models("", 10, &["creation_timestamp".into()], None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(s.search_registered_models("", 1001, &[], None).is_err());

    for name in ["alpha", "Beta"] {
        for i in 0..3 {
            let req = CreateModelVersion {
                run_id: Some(format!("run{i}")),
                tags: vec![mv_tag("i", &i.to_string())],
                ..mv(name, &format!("s3://b/{name}/{i}"))
            };
            s.create_model_version(&req).unwrap();
        }
    }
    s.delete_model_version("alpha", 2).unwrap();
    let mvs = |f: &str, order: &[&str]| {
        let order: Vec<String> = order.iter().map(|o| o.to_string()).collect();
        versions(&s.search_model_versions(f, 1000, &order, None).unwrap().items)
    };
    assert_eq!(mvs("", &["name", "version_number"]), vec!["Beta/1", "Beta/2", "Beta/3", "alpha/1", "alpha/3"]);
    assert_eq!(mvs("version_number >= 2 AND name = 'alpha'", &[]), vec!["alpha/3"]);
    assert_eq!(
        mvs("run_id IN ('run0', 'run2')", &["version_number DESC", "name"]),
        vec!["Beta/3", "alpha/3", "Beta/1", "alpha/1"]
    );
    assert_eq!(mvs("source_path LIKE 's3://b/alpha/%'", &[]), vec!["alpha/3", "alpha/1"]);
    assert_eq!(mvs("tags.i = '1'", &[]), vec!["Beta/2"]);
    assert!(s.search_model_versions("", 10, &[], None).unwrap().items.iter().all(|v| v.aliases.is_empty()));
    assert!(s.search_model_versions("version_number = 1.5", 10, &[], None).is_err());
    assert!(s.search_model_versions("", 0, &[], None).is_err());

    // Paging: MLflow's `{"offset": N}` tokens, every row exactly once.
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = s.search_model_versions("", 2, &["name".into(), "version_number".into()], token.as_deref()).unwrap();
        seen.extend(versions(&page.items));
        match page.next_page_token {
            Some(t) => token = Some(t),
            None => break,
        }
    }
    assert_eq!(seen, vec!["Beta/1", "Beta/2", "Beta/3", "alpha/1", "alpha/3"]);
    let page = s.search_model_versions("", 2, &[], Some("eyJvZmZzZXQiOiAyfQ==")).unwrap();
    assert_eq!(page.items.len(), 2, "a token MLflow made works here");
}

#[test]
fn models_uri_sources_resolve_to_storage_locations() {
    let db = Db::new();
    let s = &db.store;
    let run = db.run();
    let lm = s
        .create_logged_model(&CreateLoggedModel {
            experiment_id: "0".into(),
            source_run_id: Some(run.clone()),
            ..Default::default()
        })
        .unwrap();
    s.create_registered_model("m", &[], None).unwrap();
    let v1 = s
        .create_model_version(&CreateModelVersion {
            model_id: Some(lm.info.model_id.clone()),
            ..mv("m", &format!("models:/{}", lm.info.model_id))
        })
        .unwrap();
    assert_eq!(v1.run_id.as_deref(), Some(run.as_str()), "run id from the logged model");
    assert_eq!(v1.model_id, None, "MLflow's sqlite store does not keep model_id");
    assert_eq!(s.get_model_version_download_uri("m", 1).unwrap(), lm.info.artifact_uri);
    s.create_model_version(&mv("m", "runs:/abc/model")).unwrap();
    assert_eq!(s.get_model_version_download_uri("m", 2).unwrap(), "runs:/abc/model", "other sources are kept as given");
    s.set_registered_model_alias("m", "champ", 2).unwrap();
    s.transition_model_version_stage("m", 1, Stage::Staging, false).unwrap();
    for (source, want) in [
        ("models:/m/1", lm.info.artifact_uri.as_str()),
        ("models:/m@champ", "runs:/abc/model"),
        ("models:/m/staging", lm.info.artifact_uri.as_str()),
        // The highest live version is now the one just made from `staging`.
        ("models:/m/latest", lm.info.artifact_uri.as_str()),
    ] {
        let v = s.create_model_version(&mv("m", source)).unwrap();
        assert_eq!(v.source.as_deref(), Some(source));
        assert_eq!(s.get_model_version_download_uri("m", v.version).unwrap(), want, "{source}");
    }
    // A model id without a models:/ source still lends its run id.
    let v = s
        .create_model_version(&CreateModelVersion { model_id: Some(lm.info.model_id.clone()), ..mv("m", "s3://x") })
        .unwrap();
    assert_eq!(v.run_id.as_deref(), Some(run.as_str()));
    let before = db.count("model_versions");
    for bad in ["models:/m/9", "models:/m@nope", "models:/m-missing", "models:/a/b/c"] {
        assert!(s.create_model_version(&mv("m", bad)).is_err(), "{bad}");
    }
    assert_eq!(db.count("model_versions"), before, "nothing half-registered");
}

#[test]
fn logged_models_lifecycle_and_run_outputs() {
    let db = Db::new();
    let s = &db.store;
    let run = db.run();
    let lm = s
        .create_logged_model(&CreateLoggedModel {
            experiment_id: "0".into(),
            name: Some("net".into()),
            source_run_id: Some(run.clone()),
            params: vec![LoggedModelParameter { key: "lr".into(), value: "0.1".into() }],
            tags: vec![LoggedModelTag { key: "t".into(), value: "1".into() }],
            ..Default::default()
        })
        .unwrap();
    let id = &lm.info.model_id;
    assert!(id.starts_with("m-") && id.len() == 34 && id[2..].chars().all(|c| c.is_ascii_hexdigit()), "{id}");
    assert_eq!(lm.info.artifact_uri, format!("{}/0/models/{id}/artifacts", db.root()));
    assert_eq!(lm.info.status, LoggedModelStatus::Pending);
    assert_eq!(lm.info.creation_timestamp_ms, lm.info.last_updated_timestamp_ms);
    assert_eq!(
        db.query_row(&format!(
            "SELECT status, lifecycle_stage, model_type, status_message FROM logged_models WHERE model_id = '{id}'"
        )),
        vec!["1", "active", "NULL", "NULL"]
    );
    let named = s.create_logged_model(&CreateLoggedModel { experiment_id: "0".into(), ..Default::default() }).unwrap();
    assert_eq!(named.info.name.split('-').count(), 3, "a random name like MLflow's: {}", named.info.name);
    for bad in ["a/b", "a.b", "", "a'b"] {
        let req = CreateLoggedModel { experiment_id: "0".into(), name: Some(bad.into()), ..Default::default() };
        assert_eq!(s.create_logged_model(&req).unwrap_err().kind(), ErrorKind::InvalidArgument, "{bad:?}");
    }

    let ready = s.finalize_logged_model(id, LoggedModelStatus::Ready).unwrap();
    assert_eq!(ready.info.status, LoggedModelStatus::Ready);
    s.set_logged_model_tags(id, &[LoggedModelTag { key: "t".into(), value: "2".into() }]).unwrap();
    s.log_logged_model_params(id, &[LoggedModelParameter { key: "depth".into(), value: "3".into() }]).unwrap();
    assert_eq!(
        s.log_logged_model_params(id, &[LoggedModelParameter { key: "lr".into(), value: "9".into() }])
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidArgument
    );
    let got = s.get_logged_model(id, false).unwrap();
    assert_eq!(got.tag("t"), Some("2"));
    assert_eq!(got.data.params.len(), 2);
    let e = s.delete_logged_model_tag(id, "missing").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    s.delete_logged_model_tag(id, "t").unwrap();
    assert_eq!(s.get_logged_model("m-nope", false).unwrap_err().kind(), ErrorKind::NotFound);

    // Outputs: an inputs row as MLflow writes it, and get_run answers it.
    let plain = db.run();
    assert_eq!(serde_json::to_value(s.get_run(&plain).unwrap()).unwrap()["outputs"], serde_json::json!({}));
    s.log_outputs(&run, &[ModelOutput { model_id: id.clone(), step: 7 }]).unwrap();
    let got = serde_json::to_value(s.get_run(&run).unwrap()).unwrap();
    assert_eq!(got["outputs"], serde_json::json!({"model_outputs": [{"model_id": id, "step": 7}]}));
    let row = db.query_row("SELECT length(input_uuid), source_type, source_id, destination_type, step FROM inputs");
    assert_eq!(row, vec!["32".to_string(), "RUN_OUTPUT".into(), run.clone(), "MODEL_OUTPUT".into(), "7".into()]);
    s.delete_run(&plain).unwrap();
    assert!(s.log_outputs(&plain, &[ModelOutput { model_id: id.clone(), step: 0 }]).is_err());

    s.delete_logged_model(id).unwrap();
    assert_eq!(s.get_logged_model(id, false).unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(s.get_logged_model(id, true).unwrap().info.model_id, *id);
    let exp = s.create_experiment("gone", None, &[]).unwrap();
    s.delete_experiment(&exp).unwrap();
    let req = CreateLoggedModel { experiment_id: exp, ..Default::default() };
    assert!(s.create_logged_model(&req).is_err(), "a deleted experiment takes no models");
}

#[test]
fn traits_are_implemented_for_the_sqlite_store() {
    let db = Db::new();
    let registry: &dyn RegistryStore = &db.store;
    let models: &dyn LoggedModelStore = &db.store;
    registry.create_registered_model("m", &[], None).unwrap();
    let lm =
        models.create_logged_model(&CreateLoggedModel { experiment_id: "0".into(), ..Default::default() }).unwrap();
    assert_eq!(registry.create_model_version(&mv("m", &format!("models:/{}", lm.info.model_id))).unwrap().version, 1);
}

// ---- Differential: MLflow's own stores on the same files ----

#[test]
fn mlflow_reads_what_we_wrote_as_it_reads_what_it_wrote() {
    let Some(py) = venv_python() else { return };
    let ours = Db::new();
    let ids = run_scenario(&ours.store);
    let theirs = Db::new();
    let their_ids = mlflow_scenario(&py, &theirs);

    let read_ours = normalize(mlflow_read(&py, &ours, &ids), &ours, &ids);
    let read_theirs = normalize(mlflow_read(&py, &theirs, &their_ids), &theirs, &their_ids);
    // What is compared is the whole scenario, not an empty answer.
    assert_eq!(read_theirs["versions"]["reg/2/uri"], "<dir>/mlruns/0/models/<model0>/artifacts");
    assert_eq!(read_theirs["searches"]["rm:all"], serde_json::json!(["other2", "reg"]));
    assert_json_eq("MLflow reading our db vs its own", &read_ours, &read_theirs);

    let rows_ours = normalize(mlflow_rows(&py, &ours), &ours, &ids);
    let rows_theirs = normalize(mlflow_rows(&py, &theirs), &theirs, &their_ids);
    for table in rows_theirs.as_object().unwrap().keys() {
        assert_json_eq(&format!("rows of {table}"), &rows_ours[table], &rows_theirs[table]);
    }
}

#[test]
fn we_read_what_mlflow_wrote_as_mlflow_does() {
    let Some(py) = venv_python() else { return };
    let theirs = Db::new();
    let ids = mlflow_scenario(&py, &theirs);
    let store = SqliteStore::open_uri(&theirs.uri(), theirs.root()).unwrap();
    let ours = normalize(our_read(&store, &ids), &theirs, &ids);
    let mlflows = normalize(mlflow_read(&py, &theirs, &ids), &theirs, &ids);
    assert_json_eq("our reads vs MLflow's reads of MLflow's db", &ours, &mlflows);
}

#[test]
fn scenario_runs_through_the_trait_objects_too() {
    // The same scenario our differential tests use, without Python: its reads are self-consistent.
    let db = Db::new();
    let ids = run_scenario(&db.store);
    let read = our_read(&db.store, &ids);
    assert_eq!(read["searches"]["mv:all"], serde_json::json!(["other2/1", "reg/1", "reg/2", "reg/3", "reg/5"]));
    assert_eq!(read["versions"]["reg/4"]["error_code"], "RESOURCE_DOES_NOT_EXIST");
    assert_eq!(read["aliases"]["reg@nope"]["error_code"], "INVALID_PARAMETER_VALUE");
    assert_eq!(read["aliases"]["reg@latest"]["version"], "5");
    assert_eq!(read["versions"]["reg/3/uri"], "s3://bucket/m1", "models:/reg/1 resolved to version 1's files");
    assert_eq!(read["run_outputs"]["model_outputs"][0]["step"], 3);
    assert_eq!(read["logged_models"][&ids.model_ids[1]]["error_code"], "RESOURCE_DOES_NOT_EXIST");
}
