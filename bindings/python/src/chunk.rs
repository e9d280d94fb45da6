//! Metric points handed over in chunks: the Python layer appends each `log_metric` to a small
//! buffer (one tuple, no native call) and passes the buffer here as packed native-endian arrays
//! (`array.array(...).tobytes()`), a few hundred points per native call. Each point is then
//! validated and queued by the core exactly as a single `log_metric` is.

use std::sync::RwLock;

use mlflow_core::{ActiveRun, Error, Result};

use crate::keys::KeyTable;

/// Runs a client logs to through chunks, addressed by a small slot number.
#[derive(Default)]
pub(crate) struct RunSlots {
    runs: RwLock<Vec<ActiveRun>>,
}

impl RunSlots {
    pub(crate) fn register(&self, run: ActiveRun) -> Result<u32> {
        let mut runs = self.runs.write().map_err(|_| poisoned())?;
        let slot = u32::try_from(runs.len()).map_err(|_| Error::internal("too many runs in one client"))?;
        runs.push(run);
        Ok(slot)
    }

    /// Queues every point of the chunk; a point the core refuses does not stop the others. The
    /// error names how many were refused and why the first one was.
    ///
    /// Consecutive points of one run go to the core as one batch (one queue message); when the
    /// core refuses the batch (nothing of it is queued then), its points go one by one so the
    /// valid ones are kept.
    pub(crate) fn log_chunk(&self, keys: &KeyTable, chunk: &Chunk<'_>) -> Result<()> {
        let n = chunk.len()?;
        let runs = self.runs.read().map_err(|_| poisoned())?;
        let mut refused = 0usize;
        let mut first: Option<Error> = None;
        let mut start = 0;
        while start < n {
            let slot = chunk.slot(start);
            let mut end = start + 1;
            while end < n && chunk.slot(end) == slot {
                end += 1;
            }
            let outcome = point_run(&runs, slot).and_then(|run| {
                let metrics = keys.metrics(chunk, start..end)?;
                match run.log_batch(&metrics, &[], &[]) {
                    Ok(()) => Ok(()),
                    Err(_) => {
                        for m in &metrics {
                            if let Err(e) = run.log_metric(&m.key, m.value, Some(m.timestamp), m.step) {
                                refused += 1;
                                first.get_or_insert(e);
                            }
                        }
                        Ok(())
                    }
                }
            });
            if let Err(e) = outcome {
                refused += end - start;
                first.get_or_insert(e);
            }
            start = end;
        }
        match first {
            None => Ok(()),
            Some(e) if refused == 1 => Err(e),
            Some(e) => Err(e.context(format!("{refused} of {n} metric points were refused; the first"))),
        }
    }
}

fn point_run(runs: &[ActiveRun], slot: u32) -> Result<&ActiveRun> {
    runs.get(slot as usize).ok_or_else(|| Error::invalid(format!("unknown run slot {slot}")))
}

fn poisoned() -> Error {
    Error::internal("run slot table lock poisoned")
}

/// Borrowed views of the packed arrays (u32 slots, u32 key ids, f64 values, i64 timestamps,
/// i64 steps), all of the same length.
pub(crate) struct Chunk<'a> {
    pub slots: &'a [u8],
    pub keys: &'a [u8],
    pub values: &'a [u8],
    pub timestamps: &'a [u8],
    pub steps: &'a [u8],
}

impl Chunk<'_> {
    pub(crate) fn len(&self) -> Result<usize> {
        let n = self.slots.len() / 4;
        let consistent = self.slots.len() == n * 4
            && self.keys.len() == n * 4
            && self.values.len() == n * 8
            && self.timestamps.len() == n * 8
            && self.steps.len() == n * 8;
        if !consistent {
            return Err(Error::invalid("malformed metric chunk: the packed arrays differ in length"));
        }
        Ok(n)
    }

    fn slot(&self, i: usize) -> u32 {
        u32::from_ne_bytes(self.slots[i * 4..i * 4 + 4].try_into().unwrap_or_default())
    }

    pub(crate) fn key(&self, i: usize) -> u32 {
        u32::from_ne_bytes(self.keys[i * 4..i * 4 + 4].try_into().unwrap_or_default())
    }

    pub(crate) fn value(&self, i: usize) -> f64 {
        f64::from_ne_bytes(self.values[i * 8..i * 8 + 8].try_into().unwrap_or_default())
    }

    pub(crate) fn timestamp(&self, i: usize) -> i64 {
        i64::from_ne_bytes(self.timestamps[i * 8..i * 8 + 8].try_into().unwrap_or_default())
    }

    pub(crate) fn step(&self, i: usize) -> i64 {
        i64::from_ne_bytes(self.steps[i * 8..i * 8 + 8].try_into().unwrap_or_default())
    }
}
