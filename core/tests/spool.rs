//! The spool file on its own (no server): order, durability across owners, adoption of a dead
//! owner's records, set-aside records, damaged records and files of a newer format.

use std::sync::Arc;

use mlflow_core::entities::{Metric, Param, RunStatus};
use mlflow_core::spool::packer::pack;
use mlflow_core::spool::{spool_path, SpoolFile, SpoolRecord};
use mlflow_core::store::{RunWrite, WriteItem};
use mlflow_core::ErrorKind;

fn batch(run: &str, steps: std::ops::Range<i64>) -> SpoolRecord {
    SpoolRecord::Batch {
        run_id: run.into(),
        metrics: steps.map(|s| Metric { key: "loss".into(), value: s as f64, timestamp: 1, step: s }).collect(),
        params: vec![],
        tags: vec![],
    }
}

#[test]
fn records_come_back_in_order_and_leave_when_delivered() {
    let dir = tempfile::tempdir().unwrap();
    let spool = SpoolFile::open(&spool_path(dir.path(), "http://127.0.0.1:5000")).unwrap();
    spool.append(&[batch("r", 0..3), batch("r", 3..5)]).unwrap();
    spool.append(&[SpoolRecord::UpdateRun { run_id: "r".into(), status: RunStatus::Finished, end_time: 9 }]).unwrap();
    assert_eq!(spool.pending(), (3, 6));
    let first = spool.next().unwrap().unwrap();
    assert_eq!(first.decode().unwrap(), batch("r", 0..3));
    spool.delivered(&first, None).unwrap();
    let second = spool.next().unwrap().unwrap();
    assert_eq!(second.decode().unwrap(), batch("r", 3..5));
    spool.set_aside(&second, "refused: test").unwrap();
    let third = spool.next().unwrap().unwrap();
    assert_eq!(third.kind, "update_run");
    spool.delivered(&third, None).unwrap();
    assert!(spool.next().unwrap().is_none());
    assert_eq!(spool.pending(), (0, 0));
    let aside = spool.set_aside_records().unwrap();
    assert_eq!(aside.len(), 1);
    assert_eq!(aside[0].items, 2);
    assert_eq!(aside[0].error, "refused: test");
}

#[test]
fn a_dead_owners_records_are_adopted_in_order_and_a_live_owners_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let path = spool_path(dir.path(), "http://127.0.0.1:5000");
    let live = SpoolFile::open(&path).unwrap();
    live.append(&[batch("live", 0..1)]).unwrap();
    {
        let dead = SpoolFile::open(&path).unwrap();
        dead.append(&[batch("a", 0..2), batch("a", 2..4)]).unwrap();
        dead.register_local_run("0123456789abcdef0123456789abcdef").unwrap();
        // Dropping without delivering is what a crash leaves behind (the flock goes with it).
    }
    let next = SpoolFile::open(&path).unwrap();
    assert_eq!(next.pending(), (2, 4), "the dead owner's two records are adopted, the live owner's one is not");
    let first = next.next().unwrap().unwrap().decode().unwrap();
    assert_eq!(first, batch("a", 0..2));
    assert_eq!(next.pending_all_owners().unwrap(), 3);
    assert_eq!(next.server_run_id("0123456789abcdef0123456789abcdef").unwrap(), Some(None));
    assert_eq!(next.server_run_id("not-local").unwrap(), None);
    // The live owner still delivers its own.
    assert_eq!(live.next().unwrap().unwrap().decode().unwrap(), batch("live", 0..1));
}

#[test]
fn the_run_id_map_is_written_with_the_delivery_of_the_create() {
    let dir = tempfile::tempdir().unwrap();
    let spool = SpoolFile::open(&spool_path(dir.path(), "http://h:1")).unwrap();
    let local = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    spool.register_local_run(local).unwrap();
    spool
        .append(&[SpoolRecord::CreateRun {
            local_id: local.into(),
            experiment_id: Some("0".into()),
            experiment_name: None,
            user_id: "u".into(),
            run_name: None,
            start_time: 1,
            tags: vec![],
        }])
        .unwrap();
    let rec = spool.next().unwrap().unwrap();
    spool.delivered(&rec, Some((local, "bbbb"))).unwrap();
    assert_eq!(spool.server_run_id(local).unwrap(), Some(Some("bbbb".into())));
    let map = spool.run_id_mappings().unwrap();
    assert_eq!(map.len(), 1);
    assert_eq!(map[0].server_id.as_deref(), Some("bbbb"));
}

#[test]
fn a_damaged_record_is_recognised_and_the_next_one_still_reads() {
    let dir = tempfile::tempdir().unwrap();
    let path = spool_path(dir.path(), "http://h:1");
    let spool = SpoolFile::open(&path).unwrap();
    spool.append(&[batch("r", 0..3), batch("r", 3..6)]).unwrap();
    let db = rusqlite::Connection::open(&path).unwrap();
    // Flip a digit inside the first record's JSON: still valid JSON, wrong checksum.
    db.execute("UPDATE records SET body = CAST(replace(CAST(body AS TEXT), '\"step\":1', '\"step\":7') AS BLOB) WHERE seq = (SELECT min(seq) FROM records)", []).unwrap();
    let first = spool.next().unwrap().unwrap();
    let err = first.decode().unwrap_err();
    assert!(err.message().contains("corrupted"), "{}", err.message());
    spool.set_aside(&first, err.message()).unwrap();
    assert_eq!(spool.next().unwrap().unwrap().decode().unwrap(), batch("r", 3..6));
}

#[test]
fn a_spool_of_a_newer_format_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = spool_path(dir.path(), "http://h:1");
    {
        let spool = SpoolFile::open(&path).unwrap();
        spool.append(&[batch("r", 0..1)]).unwrap();
    }
    let db = rusqlite::Connection::open(&path).unwrap();
    db.execute("UPDATE spool_meta SET value = '99' WHERE key = 'format_version'", []).unwrap();
    drop(db);
    let err = SpoolFile::open(&path).err().expect("a newer format must be refused");
    assert_eq!(err.kind(), ErrorKind::SchemaMismatch);
    assert!(err.message().contains("newer libmlflow"), "{}", err.message());
    let db = rusqlite::Connection::open(&path).unwrap();
    let n: i64 = db.query_row("SELECT count(*) FROM records", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 1, "the record is still there");
}

#[test]
fn a_file_that_is_not_a_spool_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("garbage.spool-v1.db");
    std::fs::write(&path, b"this is not sqlite at all, just text that goes on for a while........").unwrap();
    let err = SpoolFile::open(&path).err().expect("garbage must be refused");
    assert!(err.message().contains("spool") || err.message().contains("sqlite"), "{}", err.message());
}

#[test]
fn packing_then_spooling_keeps_every_item() {
    let dir = tempfile::tempdir().unwrap();
    let spool = SpoolFile::open(&spool_path(dir.path(), "http://h:1")).unwrap();
    let run: Arc<str> = Arc::from("r");
    let mut writes: Vec<RunWrite> = (0..2500)
        .map(|s| RunWrite {
            run_id: run.clone(),
            item: WriteItem::Metric(Metric { key: "m".into(), value: 1.0, timestamp: 5, step: s }),
        })
        .collect();
    writes.push(RunWrite { run_id: run.clone(), item: WriteItem::Param(Param { key: "p".into(), value: "v".into() }) });
    spool.append(&pack(&writes)).unwrap();
    assert_eq!(spool.pending().1, 2501);
}

#[test]
fn a_released_owner_s_records_are_adopted_in_the_same_process() {
    let dir = tempfile::tempdir().unwrap();
    let path = spool_path(dir.path(), "http://h:1");
    let closed = SpoolFile::open(&path).unwrap();
    closed.append(&[batch("r", 0..2)]).unwrap();
    let alive = SpoolFile::open(&path).unwrap();
    assert_eq!(alive.pending(), (0, 0), "an open owner's records are its own");
    closed.release_ownership();
    // Still readable after release (a closed client answers run id lookups).
    assert_eq!(closed.server_run_id("x").unwrap(), None);
    assert_eq!(alive.adopt_orphans().unwrap(), 1);
    assert_eq!(alive.next().unwrap().unwrap().decode().unwrap(), batch("r", 0..2));
}
