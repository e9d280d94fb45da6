//! The unit of work of the batching writer: one metric, param or tag for one run, and the
//! record of one that could not be written.

use std::fmt;
use std::sync::Arc;

use crate::entities::{Metric, Param, RunTag};
use crate::error::Error;

/// One logged item waiting to be written.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteItem {
    Metric(Metric),
    Param(Param),
    Tag(RunTag),
}

/// A logged item and the run it belongs to. The run id is shared, not copied, per item.
#[derive(Debug, Clone, PartialEq)]
pub struct RunWrite {
    pub run_id: Arc<str>,
    pub item: WriteItem,
}

impl RunWrite {
    /// A short description naming the item, for failure reports ("metric 'loss' step 3 of run …").
    pub fn describe(&self) -> String {
        match &self.item {
            WriteItem::Metric(m) => format!(
                "metric '{}' (value {}, step {}, timestamp {}) of run {}",
                m.key, m.value, m.step, m.timestamp, self.run_id
            ),
            WriteItem::Param(p) => format!("param '{}' of run {}", p.key, self.run_id),
            WriteItem::Tag(t) => format!("tag '{}' of run {}", t.key, self.run_id),
        }
    }
}

/// An accepted item that the store refused or could not write, with the reason.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteFailure {
    pub what: String,
    pub error: Error,
}

impl fmt::Display for WriteFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.what, self.error.message())
    }
}
