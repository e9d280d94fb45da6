//! Interned metric keys: the Python layer validates a key once (through the core's validation)
//! and from then on passes a small integer, so the per-call hot path lowers only numbers — no
//! string is copied across the boundary for each logged point.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use mlflow_core::{validation, Error, Metric, Result};

use crate::chunk::Chunk;

#[derive(Default)]
pub(crate) struct KeyTable {
    inner: RwLock<Table>,
}

#[derive(Default)]
struct Table {
    keys: Vec<Arc<str>>,
    ids: HashMap<Arc<str>, u32>,
}

impl KeyTable {
    /// The id of a valid metric key (the same id every time for the same key).
    pub(crate) fn intern(&self, key: &str) -> Result<u32> {
        if let Some(id) = self.inner.read().map_err(|_| poisoned())?.ids.get(key) {
            return Ok(*id);
        }
        validation::validate_metric_key(key)?;
        let mut table = self.inner.write().map_err(|_| poisoned())?;
        if let Some(id) = table.ids.get(key) {
            return Ok(*id);
        }
        let id = u32::try_from(table.keys.len()).map_err(|_| Error::invalid("too many distinct metric keys"))?;
        let key: Arc<str> = Arc::from(key);
        table.keys.push(key.clone());
        table.ids.insert(key, id);
        Ok(id)
    }

    /// The points `range` of a chunk as metrics (one lock for the whole range).
    pub(crate) fn metrics(&self, chunk: &Chunk<'_>, range: std::ops::Range<usize>) -> Result<Vec<Metric>> {
        let table = self.inner.read().map_err(|_| poisoned())?;
        range
            .map(|i| {
                let id = chunk.key(i);
                let key = table.keys.get(id as usize).ok_or_else(|| unknown(id))?;
                Ok(Metric {
                    key: key.to_string(),
                    value: chunk.value(i),
                    timestamp: chunk.timestamp(i),
                    step: chunk.step(i),
                })
            })
            .collect()
    }
}

fn unknown(id: u32) -> Error {
    Error::invalid(format!("unknown interned metric key id {id}"))
}

fn poisoned() -> Error {
    Error::internal("metric key table lock poisoned")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_key_same_id_and_invalid_keys_refused() {
        let table = KeyTable::default();
        let a = table.intern("loss").unwrap();
        let b = table.intern("acc").unwrap();
        assert_ne!(a, b);
        assert_eq!(table.intern("loss").unwrap(), a);
        assert!(table.intern("").is_err());

        let ids: Vec<u8> = [b, 99].iter().flat_map(|k: &u32| k.to_ne_bytes()).collect();
        let values: Vec<u8> = [2.5f64, 1.0].iter().flat_map(|v| v.to_ne_bytes()).collect();
        let longs: Vec<u8> = [7i64, 8].iter().flat_map(|v| v.to_ne_bytes()).collect();
        let slots = vec![0u8; 8];
        let chunk = Chunk { slots: &slots, keys: &ids, values: &values, timestamps: &longs, steps: &longs };
        let first = table.metrics(&chunk, 0..1).unwrap();
        assert_eq!((first[0].key.as_str(), first[0].value, first[0].timestamp, first[0].step), ("acc", 2.5, 7, 7));
        assert!(table.metrics(&chunk, 0..2).is_err(), "an unknown key id is refused");
    }
}
