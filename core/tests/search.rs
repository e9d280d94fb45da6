//! search_runs and search_experiments on a real database: MLflow's filter grammar, ordering
//! (NaN and missing values last in both directions), paging and view types.

mod common;

use common::TestDb;
use mlflow_core::*;

/// Five runs in one experiment with known metrics, params, tags and start times.
fn fixture(c: &Client) -> (String, Vec<String>) {
    let exp = c.create_experiment("search", None, &[]).unwrap();
    let rows: [(&str, Option<f64>, &str, i64); 5] = [
        ("r-a", Some(0.1), "adam", 1000),
        ("r-b", Some(0.7), "sgd", 2000),
        ("r-c", Some(f64::NAN), "adam", 3000),
        ("r-d", None, "Adam", 4000),
        ("r-e", Some(0.4), "sgd", 5000),
    ];
    let mut ids = Vec::new();
    for (name, loss, opt, start) in rows {
        let run = c
            .start_run(StartRun {
                experiment_id: Some(exp.clone()),
                run_name: Some(name.into()),
                start_time: Some(start),
                tags: vec![RunTag { key: "team/name".into(), value: format!("team-{}", &name[2..]) }],
                ..Default::default()
            })
            .unwrap();
        run.log_param("optimizer", opt).unwrap();
        if let Some(loss) = loss {
            run.log_metric("loss", 5.0, Some(1), 0).unwrap();
            run.log_metric("loss", loss, Some(2), 1).unwrap();
        }
        run.end(if name == "r-e" { RunStatus::Failed } else { RunStatus::Finished }).unwrap();
        ids.push(run.run_id().to_string());
    }
    (exp, ids)
}

fn names(c: &Client, exp: &str, filter: &str, order_by: &[&str]) -> Result<Vec<String>> {
    let order_by: Vec<String> = order_by.iter().map(|s| s.to_string()).collect();
    let page = c.search_runs(&[exp.to_string()], filter, ViewType::ActiveOnly, 1000, &order_by, None)?;
    Ok(page.items.iter().map(|r| r.info.run_name.clone()).collect())
}

#[test]
fn filters_follow_mlflow_semantics() {
    let db = TestDb::new();
    let c = db.client();
    let (exp, ids) = fixture(&c);
    let q = |f: &str| names(&c, &exp, f, &["attributes.start_time ASC"]).unwrap();
    // Metrics compare the latest value; NaN matches only "!=", runs without the metric never.
    assert_eq!(q("metrics.loss < 0.5"), ["r-a", "r-e"]);
    assert_eq!(q("metrics.loss >= 0"), ["r-a", "r-b", "r-e"]);
    assert_eq!(q("metrics.loss != 0.7"), ["r-a", "r-c", "r-e"]);
    assert_eq!(q("metrics.loss = 5"), Vec::<String>::new());
    // Params and tags: case-sensitive LIKE, case-insensitive ILIKE, IS NULL means absent.
    assert_eq!(q("params.optimizer = 'adam'"), ["r-a", "r-c"]);
    assert_eq!(q("params.optimizer LIKE 'a%'"), ["r-a", "r-c"]);
    assert_eq!(q("params.optimizer ILIKE 'a%'"), ["r-a", "r-c", "r-d"]);
    assert_eq!(q("params.optimizer != 'adam'"), ["r-b", "r-d", "r-e"]);
    assert_eq!(q("params.missing IS NULL").len(), 5);
    assert_eq!(q("params.optimizer IS NOT NULL").len(), 5);
    assert_eq!(q("tags.`team/name` = 'team-b'"), ["r-b"]);
    assert_eq!(q("tags.\"team/name\" LIKE '%-d'"), ["r-d"]);
    // Attributes, with aliases; run_name reads the mlflow.runName tag.
    assert_eq!(q("attributes.status = 'FAILED'"), ["r-e"]);
    assert_eq!(q("status != 'FAILED' AND start_time > 2500"), ["r-c", "r-d"]);
    assert_eq!(q("created <= 2000"), ["r-a", "r-b"]);
    assert_eq!(q("attributes.run_name = 'r-c'"), ["r-c"]);
    assert_eq!(q("attributes.`Run name` ILIKE 'R-D'"), ["r-d"]);
    assert_eq!(q(&format!("attributes.run_id IN ('{}', '{}')", ids[0], ids[4])), ["r-a", "r-e"]);
    assert_eq!(q(&format!("attributes.run_id NOT IN ('{}')", ids[0])).len(), 4);
    assert_eq!(q("metrics.loss < 0.5 AND params.optimizer = 'sgd'"), ["r-e"]);
    assert_eq!(q("tags.mlflow.runName = 'r-b'"), ["r-b"]);
}

#[test]
fn bad_filters_are_invalid_arguments() {
    let db = TestDb::new();
    let c = db.client();
    let (exp, _) = fixture(&c);
    for bad in [
        "metrics.loss < 0.5 OR params.optimizer = 'sgd'",
        "metrics.loss < '0.5'",
        "params.optimizer = adam",
        "params.optimizer > 'a'",
        "attributes.status IN ('FAILED')",
        "attributes.bogus = 'x'",
        "bogus.key = 'x'",
        "metrics.a-b < 1",
        "params.p = 'unterminated",
    ] {
        let err = names(&c, &exp, bad, &[]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{bad}: {err}");
    }
    let no_experiments = c.search_runs(&[], "metrics.loss <", ViewType::ActiveOnly, 10, &[], None).unwrap_err();
    assert_eq!(no_experiments.kind(), ErrorKind::InvalidArgument);
    // A value is never SQL: this is just a string no param equals.
    assert!(names(&c, &exp, "params.optimizer = 'x'' OR ''1''=''1'", &[]).unwrap().is_empty());
}

#[test]
fn ordering_puts_nan_and_missing_last() {
    let db = TestDb::new();
    let c = db.client();
    let (exp, _) = fixture(&c);
    assert_eq!(names(&c, &exp, "", &["metrics.loss ASC"]).unwrap(), ["r-a", "r-e", "r-b", "r-c", "r-d"]);
    assert_eq!(names(&c, &exp, "", &["metrics.loss DESC"]).unwrap(), ["r-b", "r-e", "r-a", "r-c", "r-d"]);
    // Default: start_time DESC.
    assert_eq!(names(&c, &exp, "", &[]).unwrap(), ["r-e", "r-d", "r-c", "r-b", "r-a"]);
    // Params sort as strings ('Adam' < 'adam' < 'sgd'), ties by start_time DESC.
    assert_eq!(names(&c, &exp, "", &["params.optimizer"]).unwrap(), ["r-d", "r-c", "r-a", "r-e", "r-b"]);
    assert_eq!(
        names(&c, &exp, "", &["params.optimizer DESC", "start_time"]).unwrap(),
        ["r-b", "r-e", "r-a", "r-c", "r-d"]
    );
    assert_eq!(names(&c, &exp, "", &["attributes.run_name DESC"]).unwrap(), ["r-e", "r-d", "r-c", "r-b", "r-a"]);
    let dup = names(&c, &exp, "", &["metrics.loss", "metrics.loss DESC"]).unwrap_err();
    assert_eq!(dup.kind(), ErrorKind::InvalidArgument);
}

#[test]
fn pages_cover_every_run_once() {
    let db = TestDb::new();
    let c = db.client();
    let (exp, ids) = fixture(&c);
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let page =
            c.search_runs(std::slice::from_ref(&exp), "", ViewType::ActiveOnly, 2, &[], token.as_deref()).unwrap();
        pages += 1;
        seen.extend(page.items.iter().map(|r| r.info.run_id.clone()));
        match page.next_page_token {
            Some(t) => token = Some(t),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let mut expected = ids.clone();
    expected.sort();
    seen.sort();
    assert_eq!(seen, expected);
    let err = c.search_runs(&[exp], "", ViewType::ActiveOnly, 2, &[], Some("garbage")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
}

#[test]
fn view_types_and_experiment_search() {
    let db = TestDb::new();
    let c = db.client();
    let (exp, ids) = fixture(&c);
    c.delete_run(&ids[1]).unwrap();
    let count = |view| c.search_runs(std::slice::from_ref(&exp), "", view, 100, &[], None).unwrap().items.len();
    assert_eq!((count(ViewType::ActiveOnly), count(ViewType::DeletedOnly), count(ViewType::All)), (4, 1, 5));

    let other =
        c.create_experiment("other-exp", None, &[ExperimentTag { key: "k".into(), value: "v".into() }]).unwrap();
    let find = |filter: &str, order: &[&str]| -> Vec<String> {
        let order: Vec<String> = order.iter().map(|s| s.to_string()).collect();
        c.search_experiments(filter, ViewType::ActiveOnly, 100, &order, None)
            .unwrap()
            .items
            .into_iter()
            .map(|e| e.name)
            .collect()
    };
    assert_eq!(find("name LIKE '%exp%'", &[]), ["other-exp"]);
    assert_eq!(find("tags.k = 'v'", &[]), ["other-exp"]);
    assert_eq!(find("tags.k IS NULL", &["name"]), ["Default", "search"]);
    assert_eq!(
        find(&format!("experiment_id IN ('{exp}', '{other}')"), &["experiment_id DESC"]),
        ["other-exp", "search"]
    );
    assert_eq!(find("", &["name DESC"]), ["search", "other-exp", "Default"]);
    let err = c.search_experiments("metrics.x > 1", ViewType::All, 10, &[], None).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
}
