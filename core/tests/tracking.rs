//! Tracking semantics end to end through the client: experiments, runs, metrics, params, tags,
//! as MLflow's SQL store defines them.

mod common;

use common::{TestDb, FLUSH};
use mlflow_core::*;

#[test]
fn fresh_database_has_default_experiment_and_head_revision() {
    let db = TestDb::new();
    let client = db.client();
    let exp = client.get_experiment("0").unwrap();
    assert_eq!(exp.name, "Default");
    assert_eq!(exp.artifact_location.as_deref(), Some(format!("{}/0", db.artifact_root()).as_str()));
    let conn = rusqlite::Connection::open(db.dir.path().join("mlflow.db")).unwrap();
    let rev: String = conn.query_row("SELECT version_num FROM alembic_version", [], |r| r.get(0)).unwrap();
    assert_eq!(rev, "dc11669786a5");
}

#[test]
fn experiment_lifecycle() {
    let db = TestDb::new();
    let c = db.client();
    let id = c.create_experiment("exp-a", None, &[ExperimentTag { key: "team".into(), value: "x".into() }]).unwrap();
    assert_eq!(id, "1");
    let e = c.get_experiment(&id).unwrap();
    assert_eq!(e.artifact_location.as_deref(), Some(format!("{}/1", db.artifact_root()).as_str()));
    assert_eq!(e.tags, vec![ExperimentTag { key: "team".into(), value: "x".into() }]);
    let dup = c.create_experiment("exp-a", None, &[]).unwrap_err();
    assert_eq!(dup.kind(), ErrorKind::AlreadyExists);
    c.rename_experiment(&id, "exp-b").unwrap();
    assert_eq!(c.get_experiment_by_name("exp-b").unwrap().unwrap().experiment_id, id);
    assert!(c.get_experiment_by_name("exp-a").unwrap().is_none());
    c.delete_experiment(&id).unwrap();
    assert_eq!(c.get_experiment(&id).unwrap().lifecycle_stage, LifecycleStage::Deleted);
    // Names stay reserved while deleted.
    assert_eq!(c.create_experiment("exp-b", None, &[]).unwrap_err().kind(), ErrorKind::AlreadyExists);
    assert_eq!(c.rename_experiment(&id, "zzz").unwrap_err().kind(), ErrorKind::InvalidState);
    c.restore_experiment(&id).unwrap();
    assert_eq!(c.get_experiment(&id).unwrap().lifecycle_stage, LifecycleStage::Active);
    let missing = c.get_experiment("999").unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound);
    assert_eq!(missing.message(), "No Experiment with id=999 exists");
    assert_eq!(c.get_experiment("abc").unwrap_err().kind(), ErrorKind::InvalidArgument);
}

#[test]
fn run_logging_round_trip() {
    let db = TestDb::new();
    let c = db.client();
    let exp = c.create_experiment("e", None, &[]).unwrap();
    let run = c
        .start_run(StartRun { experiment_id: Some(exp.clone()), run_name: Some("r1".into()), ..Default::default() })
        .unwrap();
    run.log_param("lr", "0.1").unwrap();
    run.set_tag("phase", "train").unwrap();
    for step in 0..100 {
        run.log_metric("loss", 1.0 / (step as f64 + 1.0), Some(1_700_000_000_000 + step), step).unwrap();
    }
    run.log_metric("nan", f64::NAN, Some(5), 0).unwrap();
    run.log_metric("inf", f64::INFINITY, Some(5), 0).unwrap();
    run.log_metric("ninf", f64::NEG_INFINITY, Some(5), 0).unwrap();
    let info = run.end(RunStatus::Finished).unwrap().expect("a sqlite store ends runs at once");
    assert_eq!(info.status, RunStatus::Finished);
    assert!(info.end_time.is_some());

    let got = c.get_run(run.run_id()).unwrap();
    assert_eq!(got.info.run_name, "r1");
    assert_eq!(got.info.experiment_id, exp);
    assert_eq!(got.info.artifact_uri, format!("{}/{}/{}/artifacts", db.artifact_root(), exp, run.run_id()));
    assert_eq!(got.data.param("lr"), Some("0.1"));
    assert_eq!(got.data.tag("phase"), Some("train"));
    assert_eq!(got.data.tag("mlflow.runName"), Some("r1"));
    assert_eq!(got.data.tag("mlflow.source.type"), Some("LOCAL"));
    let loss = got.data.metric("loss").unwrap();
    assert_eq!((loss.step, loss.value), (99, 0.01));
    assert!(got.data.metric("nan").unwrap().value.is_nan());
    assert_eq!(got.data.metric("inf").unwrap().value, f64::MAX);
    assert_eq!(got.data.metric("ninf").unwrap().value, -f64::MAX);

    let history = c.get_metric_history(run.run_id(), "loss", None, None).unwrap();
    assert_eq!(history.items.len(), 100);
    assert!(history.next_page_token.is_none());
    let page = c.get_metric_history(run.run_id(), "loss", Some(40), None).unwrap();
    assert_eq!(page.items.len(), 40);
    let page2 = c.get_metric_history(run.run_id(), "loss", Some(40), page.next_page_token.as_deref()).unwrap();
    assert_eq!(page2.items[0].step, 40);
}

#[test]
fn latest_metric_is_chosen_by_step_then_timestamp_then_value() {
    let db = TestDb::new();
    let c = db.client();
    let run = c.start_run(StartRun::default()).unwrap();
    run.log_metric("m", 5.0, Some(100), 3).unwrap();
    run.log_metric("m", 9.0, Some(200), 1).unwrap(); // lower step: not latest despite later time
    run.log_metric("m", 4.0, Some(100), 3).unwrap(); // same step+ts, lower value: not latest
    c.flush(FLUSH).unwrap();
    run.log_metric("m", 6.0, Some(100), 3).unwrap(); // same step+ts, higher value: latest
    let got = c.get_run(run.run_id()).unwrap();
    assert_eq!(got.data.metric("m").unwrap().value, 6.0);
    // Exact duplicates are idempotent.
    run.log_metric("m", 6.0, Some(100), 3).unwrap();
    assert_eq!(c.get_metric_history(run.run_id(), "m", None, None).unwrap().items.len(), 4);
}

#[test]
fn params_are_immutable_and_long_values_truncated() {
    let db = TestDb::new();
    let c = db.client();
    let run = c.start_run(StartRun::default()).unwrap();
    run.log_param("p", "a").unwrap();
    run.log_param("p", "a").unwrap();
    let err = run.log_param("p", "b").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.message().contains("Changing param values is not allowed"), "{}", err.message());
    // Through a second handle the conflict is only seen by the writer: reported at flush.
    let other = c.attach_run(run.run_id()).unwrap();
    other.log_param("p", "c").unwrap();
    let flushed = c.flush(FLUSH).unwrap_err();
    assert_eq!(flushed.kind(), ErrorKind::WriteFailed);
    assert!(flushed.message().contains("param 'p'"), "{}", flushed.message());
    run.log_param("long", &"x".repeat(7000)).unwrap();
    run.set_tag("longtag", &"y".repeat(9000)).unwrap();
    let got = c.get_run(run.run_id()).unwrap();
    assert_eq!(got.data.param("p"), Some("a"));
    assert_eq!(got.data.param("long").unwrap().len(), 6000);
    assert_eq!(got.data.tag("longtag").unwrap().len(), 8000);
}

#[test]
fn nested_runs_and_run_lifecycle() {
    let db = TestDb::new();
    let c = db.client();
    let parent = c.start_run(StartRun { run_name: Some("parent".into()), ..Default::default() }).unwrap();
    let child = c.start_run(StartRun { parent_run_id: Some(parent.run_id().into()), ..Default::default() }).unwrap();
    let got = c.get_run(child.run_id()).unwrap();
    assert_eq!(got.data.tag("mlflow.parentRunId"), Some(parent.run_id()));
    // generated name shape: adjective-noun-NNN
    assert_eq!(got.info.run_name.split('-').count(), 3, "{}", got.info.run_name);
    child.end(RunStatus::Failed).unwrap();
    assert_eq!(child.log_metric("x", 1.0, None, 0).unwrap_err().kind(), ErrorKind::InvalidState);
    c.delete_run(parent.run_id()).unwrap();
    assert_eq!(c.get_run(parent.run_id()).unwrap().info.lifecycle_stage, LifecycleStage::Deleted);
    // A write to a deleted run is refused by the store and reported at flush.
    parent.log_metric("x", 1.0, None, 0).unwrap();
    assert_eq!(c.flush(FLUSH).unwrap_err().kind(), ErrorKind::WriteFailed);
    c.restore_run(parent.run_id()).unwrap();
    assert_eq!(c.get_run(parent.run_id()).unwrap().info.lifecycle_stage, LifecycleStage::Active);
    c.update_run(parent.run_id(), None, None, Some("renamed")).unwrap();
    let got = c.get_run(parent.run_id()).unwrap();
    assert_eq!(got.info.run_name, "renamed");
    assert_eq!(got.data.tag("mlflow.runName"), Some("renamed"));
    assert_eq!(c.get_run("0123456789abcdef0123456789abcdef").unwrap_err().kind(), ErrorKind::NotFound);
    c.delete_tag(parent.run_id(), "mlflow.user").unwrap();
    assert_eq!(c.delete_tag(parent.run_id(), "nope").unwrap_err().kind(), ErrorKind::NotFound);
}

#[test]
fn close_ends_open_runs_and_reports_clean() {
    let db = TestDb::new();
    let c = db.client();
    let run = c.start_run(StartRun::default()).unwrap();
    for i in 0..1000 {
        run.log_metric("m", i as f64, None, i).unwrap();
    }
    let report = c.close(FLUSH);
    assert!(report.is_clean(), "{report:?}");
    assert_eq!(report.written, 1000);
    let c2 = db.client();
    let got = c2.get_run(run.run_id()).unwrap();
    assert_eq!(got.info.status, RunStatus::Finished);
    assert_eq!(c2.get_metric_history(run.run_id(), "m", None, None).unwrap().items.len(), 1000);
    assert_eq!(run.log_metric("m", 1.0, None, 0).unwrap_err().kind(), ErrorKind::Closed);
}

#[test]
fn close_does_not_end_runs_deleted_meanwhile() {
    let db = TestDb::new();
    let c = db.client();
    let run = c.start_run(StartRun::default()).unwrap();
    c.delete_run(run.run_id()).unwrap();
    let report = c.close(FLUSH);
    assert!(report.is_clean(), "{report:?}");
    let got = db.client().get_run(run.run_id()).unwrap();
    assert_eq!(got.info.status, RunStatus::Running);
    assert_eq!(got.info.lifecycle_stage, LifecycleStage::Deleted);
}

#[test]
fn log_batch_validates_and_writes() {
    let db = TestDb::new();
    let c = db.client();
    let run = c.start_run(StartRun::default()).unwrap();
    let metrics: Vec<Metric> =
        (0..10).map(|i| Metric { key: format!("m{i}"), value: i as f64, timestamp: 1, step: 0 }).collect();
    let params = vec![Param { key: "a".into(), value: "1".into() }];
    let tags = vec![RunTag { key: "t".into(), value: "v".into() }];
    run.log_batch(&metrics, &params, &tags).unwrap();
    let got = c.get_run(run.run_id()).unwrap();
    assert_eq!(got.data.metrics.len(), 10);
    assert_eq!(got.data.param("a"), Some("1"));
    // The synchronous store path is atomic: a conflicting param writes nothing.
    let err =
        c.store().log_batch(run.run_id(), &metrics, &[Param { key: "a".into(), value: "2".into() }], &[]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
}

#[test]
fn history_is_exact_across_multi_row_insert_groups() {
    // The writer inserts metric rows 64 to a statement; sizes around that boundary, exact
    // duplicates (ignored, as MLflow ignores them) and NaN/inf must all come back exactly.
    let db = TestDb::new();
    let c = db.client();
    let run = c.start_run(StartRun::default()).unwrap();
    let n: i64 = 64 * 3 + 5;
    for step in 0..n {
        let value = match step {
            7 => f64::NAN,
            70 => f64::INFINITY,
            _ => step as f64 * 0.5,
        };
        run.log_metric("m", value, Some(1_000 + step), step).unwrap();
        if step % 10 == 0 {
            run.log_metric("m", value, Some(1_000 + step), step).unwrap(); // exact duplicate
        }
    }
    c.flush(FLUSH).unwrap();
    let history = c.get_metric_history(run.run_id(), "m", None, None).unwrap().items;
    assert_eq!(history.len() as i64, n);
    for (i, m) in history.iter().enumerate() {
        let step = i as i64;
        assert_eq!((m.step, m.timestamp), (step, 1_000 + step));
        match step {
            7 => assert!(m.value.is_nan()),
            70 => assert_eq!(m.value, f64::MAX),
            _ => assert_eq!(m.value, step as f64 * 0.5),
        }
    }
    let latest = c.get_run(run.run_id()).unwrap().data.metric("m").cloned().unwrap();
    assert_eq!((latest.step, latest.value), (n - 1, (n - 1) as f64 * 0.5));
}
