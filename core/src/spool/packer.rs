//! Turns what the batching writer drained (items of many runs, in logging order) into
//! `runs/log-batch` records within MLflow's server limits, keeping each run's order.
//!
//! Within one request MLflow applies params, then metrics, then tags, so items of one run may
//! share a request only when that reordering cannot change the outcome: a tag set twice keeps
//! its last value (same result), a param logged again with the same value is dropped (MLflow
//! ignores it), and a param logged again with another value starts a new request — the server
//! refuses that one by itself, and everything logged before it still arrives.

use std::collections::HashMap;
use std::sync::Arc;

use super::record::SpoolRecord;
use crate::entities::{Metric, Param, RunTag};
use crate::store::{RunWrite, WriteItem};

/// MLflow's `runs/log-batch` limits (`MAX_METRICS_PER_BATCH` and friends).
pub const MAX_METRICS: usize = 1000;
pub const MAX_PARAMS: usize = 100;
pub const MAX_TAGS: usize = 100;
pub const MAX_ENTITIES: usize = 1000;
/// MLflow refuses requests over 1 MB; the estimate below errs on the large side and this keeps
/// a margin for the JSON framing.
pub const MAX_REQUEST_BYTES: usize = 900_000;

/// JSON overhead of one entry beyond its key and value (`{"key":"","value":,"timestamp":…,"step":…}`).
const ENTRY_OVERHEAD: usize = 80;

#[derive(Default)]
struct OpenBatch {
    metrics: Vec<Metric>,
    params: Vec<Param>,
    tags: Vec<RunTag>,
    bytes: usize,
}

impl OpenBatch {
    fn entities(&self) -> usize {
        self.metrics.len() + self.params.len() + self.tags.len()
    }

    fn is_empty(&self) -> bool {
        self.entities() == 0
    }

    /// Whether `item` fits without breaking a limit or MLflow's in-request order.
    fn accepts(&self, item: &WriteItem) -> bool {
        if self.entities() + 1 > MAX_ENTITIES || self.bytes + item_bytes(item) > MAX_REQUEST_BYTES {
            return false;
        }
        match item {
            WriteItem::Metric(_) => self.metrics.len() < MAX_METRICS,
            WriteItem::Param(p) => {
                self.params.len() < MAX_PARAMS && !self.params.iter().any(|q| q.key == p.key && q.value != p.value)
            }
            WriteItem::Tag(t) => self.tags.len() < MAX_TAGS || self.tags.iter().any(|u| u.key == t.key),
        }
    }

    fn push(&mut self, item: WriteItem) {
        self.bytes += item_bytes(&item);
        match item {
            WriteItem::Metric(m) => self.metrics.push(m),
            WriteItem::Param(p) => {
                if !self.params.iter().any(|q| q.key == p.key) {
                    self.params.push(p);
                }
            }
            WriteItem::Tag(t) => match self.tags.iter_mut().find(|u| u.key == t.key) {
                Some(existing) => existing.value = t.value,
                None => self.tags.push(t),
            },
        }
    }

    fn into_record(self, run_id: &str) -> SpoolRecord {
        SpoolRecord::Batch { run_id: run_id.to_string(), metrics: self.metrics, params: self.params, tags: self.tags }
    }
}

fn item_bytes(item: &WriteItem) -> usize {
    ENTRY_OVERHEAD
        + match item {
            WriteItem::Metric(m) => m.key.len(),
            // Escaping can at most double a string in JSON for the characters that need it
            // (\uXXXX is rarer still), so twice the bytes is a safe bound.
            WriteItem::Param(p) => 2 * (p.key.len() + p.value.len()),
            WriteItem::Tag(t) => 2 * (t.key.len() + t.value.len()),
        }
}

/// Packs `writes` into log-batch records: per run in order, a new record whenever one is full.
pub fn pack(writes: &[RunWrite]) -> Vec<SpoolRecord> {
    let mut out = Vec::new();
    // Runs in order of first appearance, so the output is deterministic.
    let mut order: Vec<Arc<str>> = Vec::new();
    let mut open: HashMap<Arc<str>, OpenBatch> = HashMap::new();
    for w in writes {
        let batch = open.entry(w.run_id.clone()).or_insert_with(|| {
            order.push(w.run_id.clone());
            OpenBatch::default()
        });
        if !batch.accepts(&w.item) {
            let full = std::mem::take(batch);
            out.push(full.into_record(&w.run_id));
        }
        batch.push(w.item.clone());
    }
    for run_id in order {
        if let Some(batch) = open.remove(&run_id) {
            if !batch.is_empty() {
                out.push(batch.into_record(&run_id));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metric(run: &Arc<str>, step: i64) -> RunWrite {
        RunWrite {
            run_id: run.clone(),
            item: WriteItem::Metric(Metric { key: "loss".into(), value: step as f64, timestamp: 1, step }),
        }
    }

    fn param(run: &Arc<str>, key: &str, value: &str) -> RunWrite {
        RunWrite { run_id: run.clone(), item: WriteItem::Param(Param { key: key.into(), value: value.into() }) }
    }

    fn tag(run: &Arc<str>, key: &str, value: &str) -> RunWrite {
        RunWrite { run_id: run.clone(), item: WriteItem::Tag(RunTag { key: key.into(), value: value.into() }) }
    }

    /// (run id, metrics, params, tags) of each batch record.
    type BatchView<'a> = (&'a str, &'a [Metric], &'a [Param], &'a [RunTag]);

    fn batches(records: &[SpoolRecord]) -> Vec<BatchView<'_>> {
        records
            .iter()
            .map(|r| match r {
                SpoolRecord::Batch { run_id, metrics, params, tags } => {
                    (run_id.as_str(), metrics.as_slice(), params.as_slice(), tags.as_slice())
                }
                other => panic!("not a batch: {other:?}"),
            })
            .collect()
    }

    #[test]
    fn splits_at_the_metric_limit_keeping_order_per_run() {
        let a: Arc<str> = Arc::from("a");
        let b: Arc<str> = Arc::from("b");
        let mut writes = Vec::new();
        for step in 0..2500 {
            writes.push(metric(&a, step));
            if step % 2 == 0 {
                writes.push(metric(&b, step));
            }
        }
        let records = pack(&writes);
        let got = batches(&records);
        let a_steps: Vec<i64> = got.iter().filter(|b| b.0 == "a").flat_map(|b| b.1.iter().map(|m| m.step)).collect();
        assert_eq!(a_steps, (0..2500).collect::<Vec<_>>());
        let b_steps: Vec<i64> = got.iter().filter(|b| b.0 == "b").flat_map(|b| b.1.iter().map(|m| m.step)).collect();
        assert_eq!(b_steps, (0..2500).step_by(2).collect::<Vec<_>>());
        assert!(got.iter().all(|b| b.1.len() <= MAX_METRICS));
        assert_eq!(got.iter().filter(|b| b.0 == "a").count(), 3);
    }

    #[test]
    fn a_changed_param_starts_a_new_request_and_tags_keep_their_last_value() {
        let a: Arc<str> = Arc::from("a");
        let writes = vec![
            param(&a, "lr", "0.1"),
            tag(&a, "phase", "warmup"),
            param(&a, "lr", "0.1"),
            tag(&a, "phase", "train"),
            param(&a, "lr", "0.2"),
        ];
        let got = pack(&writes);
        let got = batches(&got);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].2, &[Param { key: "lr".into(), value: "0.1".into() }]);
        assert_eq!(got[0].3, &[RunTag { key: "phase".into(), value: "train".into() }]);
        assert_eq!(got[1].2, &[Param { key: "lr".into(), value: "0.2".into() }]);
    }

    #[test]
    fn large_values_stay_under_the_request_size() {
        let a: Arc<str> = Arc::from("a");
        let big = "x".repeat(6000);
        let writes: Vec<RunWrite> = (0..100).map(|i| param(&a, &format!("p{i}"), &big)).collect();
        let records = pack(&writes);
        for r in &records {
            assert!(r.encode().unwrap().len() < 1_000_000);
        }
        assert_eq!(records.iter().map(|r| r.items()).sum::<u64>(), 100);
        assert!(records.len() >= 2);
    }
}
