//! Delivers one spool record to the tracking server and says what became of it. The loop that
//! calls it (a client's delivery thread, or the sync entry point) decides when to try again.
//!
//! Nothing is sent twice in a way the server would count twice: metrics identical on their whole
//! key are skipped by MLflow, params and tags are upserts, a status update is idempotent, and a
//! `runs/create` that may have reached the server before (a lost answer, a crash) is first looked
//! up by the run's `libmlflow.client_run_id` tag.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use super::file::{SpoolFile, StoredRecord};
use super::packer::{MAX_ENTITIES, MAX_METRICS, MAX_PARAMS, MAX_REQUEST_BYTES, MAX_TAGS};
use super::record::{SpoolRecord, CLIENT_RUN_ID_TAG};
use crate::client::PARENT_RUN_ID_TAG;
use crate::entities::{Metric, Param, RunTag};
use crate::error::{Error, ErrorKind, Result};
use crate::store::rest::{ApiRequest, FailureClass, HttpFailure, RestStore};

/// What became of a record.
#[derive(Debug)]
pub enum Outcome {
    /// The server has it. `mapping` is the (local, server) run id a create produced; `refused`
    /// are single entries of a batch the server refused (the rest of the batch arrived).
    Delivered { mapping: Option<(String, String)>, refused: Vec<(String, Error)> },
    /// The server refused it for good (or it is damaged): keep it aside with the reason.
    SetAside(Error),
    /// Try again after `after` (at the earliest). `server_down`: the server could not be reached.
    Retry { after: Option<Duration>, error: Error, server_down: bool },
}

pub struct Courier {
    spool: Arc<SpoolFile>,
    rest: Arc<RestStore>,
}

/// One entry of a batch, so a refused batch can be split.
#[derive(Debug, Clone)]
enum Entry {
    Metric(Metric),
    Param(Param),
    Tag(RunTag),
}

impl Entry {
    fn describe(&self, run_id: &str) -> String {
        match self {
            Entry::Metric(m) => {
                format!(
                    "metric '{}' (value {}, step {}, timestamp {}) of run {run_id}",
                    m.key, m.value, m.step, m.timestamp
                )
            }
            Entry::Param(p) => format!("param '{}' of run {run_id}", p.key),
            Entry::Tag(t) => format!("tag '{}' of run {run_id}", t.key),
        }
    }
}

impl Courier {
    pub fn new(spool: Arc<SpoolFile>, rest: Arc<RestStore>) -> Self {
        Courier { spool, rest }
    }

    /// Delivers the oldest of `records` (oldest first) — with the batches after it that go in the
    /// same request. Returns how many records the outcome covers. `Err` only for failures of the
    /// local spool itself.
    pub fn deliver(&self, records: &[StoredRecord]) -> Result<(usize, Outcome)> {
        let Some(rec) = records.first() else {
            return Ok((0, Outcome::Delivered { mapping: None, refused: Vec::new() }));
        };
        let record = match rec.decode() {
            Ok(r) => r,
            Err(e) => return Ok((1, Outcome::SetAside(e))),
        };
        let SpoolRecord::Batch { run_id, metrics, params, tags } = record else {
            return Ok((1, self.deliver_one(rec, record)?));
        };
        let batch = gather_after(records, run_id, metrics, params, tags, false);
        Ok((batch.taken, self.deliver_prepared(rec, batch)?))
    }

    /// Up to `max` requests from the head of `records` that may be in flight together: groups of
    /// batches carrying only metrics. The server's result does not depend on the order metric
    /// points arrive in (history is ordered by timestamp and step, the latest value by step,
    /// timestamp and value), whereas params, tags, creates and status changes must arrive in the
    /// order they were logged — each of those waits until everything before it was delivered.
    /// Returns (index of the group's first record, the group).
    pub fn metric_groups(&self, records: &[StoredRecord], max: usize) -> Vec<(usize, PreparedBatch)> {
        let mut groups = Vec::new();
        let mut start = 0;
        while groups.len() < max && start < records.len() {
            match gather_batch(&records[start..], true) {
                Some(batch) => {
                    let taken = batch.taken;
                    groups.push((start, batch));
                    start += taken;
                }
                None => break,
            }
        }
        groups
    }

    /// Sends a gathered batch whose first record is `rec`.
    pub fn deliver_prepared(&self, rec: &StoredRecord, batch: PreparedBatch) -> Result<Outcome> {
        self.deliver_batch(rec, &batch.run_id, batch.request.entries)
    }

    fn deliver_batch(&self, rec: &StoredRecord, run_id: &str, entries: Vec<Entry>) -> Result<Outcome> {
        let server_run = match self.server_run_for(run_id)? {
            Ok(id) => id,
            Err(e) => return Ok(Outcome::SetAside(e)),
        };
        let mut refused = Vec::new();
        match self.send_entries(&server_run, &entries, &mut refused) {
            Ok(()) => Ok(Outcome::Delivered { mapping: None, refused }),
            Err(f) => self.failed(rec, f),
        }
    }

    /// One record on its own: a create or a status change (`deliver` gathers batches first; a
    /// batch here goes alone).
    fn deliver_one(&self, rec: &StoredRecord, record: SpoolRecord) -> Result<Outcome> {
        match record {
            SpoolRecord::Batch { run_id, metrics, params, tags } => {
                let alone = gather_after(std::slice::from_ref(rec), run_id, metrics, params, tags, false);
                self.deliver_prepared(rec, alone)
            }
            SpoolRecord::CreateRun {
                local_id,
                experiment_id,
                experiment_name,
                user_id,
                run_name,
                start_time,
                tags,
            } => {
                if let Some(Some(_)) = self.spool.server_run_id(&local_id)? {
                    return Ok(Outcome::Delivered { mapping: None, refused: Vec::new() });
                }
                let experiment_id = match (experiment_id, experiment_name) {
                    (Some(id), _) => id,
                    (None, Some(name)) => match self.experiment_by_name(&name) {
                        Ok(id) => id,
                        Err(f) => return self.failed(rec, f),
                    },
                    (None, None) => "0".to_string(),
                };
                // Counted before sending: after a crash the next attempt looks first.
                let attempts = self.spool.count_attempt(rec.seq)?;
                let tags = with_server_parent(&self.spool, tags)?;
                let body = create_run_body(&experiment_id, &user_id, run_name.as_deref(), start_time, &tags);
                match create_run_once(&self.rest, &experiment_id, body, &local_id, attempts > 1, None) {
                    Ok(server_id) => {
                        Ok(Outcome::Delivered { mapping: Some((local_id, server_id)), refused: Vec::new() })
                    }
                    Err(f) => self.failed(rec, f),
                }
            }
            SpoolRecord::UpdateRun { run_id, status, end_time } => {
                let server_run = match self.server_run_for(&run_id)? {
                    Ok(id) => id,
                    Err(e) => return Ok(Outcome::SetAside(e)),
                };
                let body = json!({ "run_id": server_run, "status": status.as_str(), "end_time": end_time });
                match self.rest.send_once(&ApiRequest::post("runs/update", body)) {
                    Ok(_) => Ok(Outcome::Delivered { mapping: None, refused: Vec::new() }),
                    Err(f) => self.failed(rec, f),
                }
            }
        }
    }

    /// The server's id for a run id a record names: itself, or the mapped id of a local run.
    fn server_run_for(&self, run_id: &str) -> Result<std::result::Result<String, Error>> {
        Ok(match self.spool.server_run_id(run_id)? {
            None => Ok(run_id.to_string()),
            Some(Some(server)) => Ok(server),
            Some(None) => Err(Error::not_found(format!(
                "run {run_id} was started offline and its creation on the server was refused (see the spool's \
                 set-aside records), so its data cannot be delivered"
            ))),
        })
    }

    /// Sends entries as one `runs/log-batch`; if the server refuses them as invalid, splits the
    /// batch in halves until the refused entries are alone, so one bad entry costs only itself.
    fn send_entries(
        &self,
        run_id: &str,
        entries: &[Entry],
        refused: &mut Vec<(String, Error)>,
    ) -> Result<(), HttpFailure> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut metrics = Vec::new();
        let mut params: Vec<&Param> = Vec::new();
        let mut tags: Vec<&RunTag> = Vec::new();
        for e in entries {
            match e {
                Entry::Metric(m) => metrics.push(m),
                // MLflow refuses a request naming a param twice; merged records may (same value).
                Entry::Param(p) if params.iter().any(|q| q.key == p.key) => {}
                Entry::Param(p) => params.push(p),
                // A tag set twice keeps its last value, as two requests would.
                Entry::Tag(t) => match tags.iter_mut().find(|u| u.key == t.key) {
                    Some(earlier) => *earlier = t,
                    None => tags.push(t),
                },
            }
        }
        let body = json!({ "run_id": run_id, "metrics": metrics, "params": params, "tags": tags });
        match self.rest.send_once(&ApiRequest::post("runs/log-batch", body)) {
            Ok(_) => Ok(()),
            Err(f) if f.class == FailureClass::Fatal && f.error.kind() == ErrorKind::InvalidArgument => {
                if entries.len() == 1 {
                    refused.push((entries[0].describe(run_id), f.error));
                    return Ok(());
                }
                let (left, right) = entries.split_at(entries.len() / 2);
                self.send_entries(run_id, left, refused)?;
                self.send_entries(run_id, right, refused)
            }
            Err(f) => Err(f),
        }
    }

    /// What a failed attempt means for the record.
    fn failed(&self, rec: &StoredRecord, f: HttpFailure) -> Result<Outcome> {
        Ok(match f.class {
            FailureClass::Connection => Outcome::Retry { after: None, error: f.error, server_down: true },
            FailureClass::RetryableStatus { retry_after, .. } => {
                let attempts = self.spool.count_attempt(rec.seq)?;
                if attempts > self.rest.max_retries() {
                    Outcome::SetAside(f.error.context(format!("still failing after {attempts} attempts")))
                } else {
                    Outcome::Retry {
                        after: Some(self.rest.retry_delay(attempts, retry_after)),
                        error: f.error,
                        server_down: false,
                    }
                }
            }
            // Credentials are the client's problem, not the record's: keep it and wait for a fix
            // (a new client with the right credentials, or the sync entry point, delivers it);
            // slowly, not to hammer an authentication service with bad credentials.
            FailureClass::Fatal if f.error.kind() == ErrorKind::PermissionDenied => {
                Outcome::Retry { after: Some(Duration::from_secs(30)), error: f.error, server_down: true }
            }
            // An answer that is not MLflow's (a proxy's HTML page during a restart, a wrong URL):
            // the records are fine, the server side is not; setting them aside would empty the
            // spool. Retried like an unreachable server.
            FailureClass::Fatal if f.error.kind() == ErrorKind::Internal => {
                Outcome::Retry { after: None, error: f.error, server_down: true }
            }
            FailureClass::Fatal => Outcome::SetAside(f.error),
        })
    }

    /// The id of an experiment named `name`, created if it does not exist (a run started offline
    /// with MLFLOW_EXPERIMENT_NAME).
    fn experiment_by_name(&self, name: &str) -> Result<String, HttpFailure> {
        for _ in 0..2 {
            let get = ApiRequest::get("experiments/get-by-name", vec![("experiment_name".into(), name.into())]);
            match self.rest.send_once(&get) {
                Ok(answer) => return experiment_id_of(answer.pointer("/experiment/experiment_id")),
                Err(f) if f.error.kind() == ErrorKind::NotFound => {}
                Err(f) => return Err(f),
            }
            match self.rest.send_once(&ApiRequest::post("experiments/create", json!({ "name": name }))) {
                Ok(answer) => return experiment_id_of(answer.get("experiment_id")),
                // Created meanwhile by someone else: look it up again.
                Err(f) if f.error.kind() == ErrorKind::AlreadyExists => {}
                Err(f) => return Err(f),
            }
        }
        Err(HttpFailure {
            class: FailureClass::Fatal,
            error: Error::internal(format!("experiment '{name}' could be neither found nor created")),
        })
    }
}

/// Tags as the server must see them: a child started offline names its parent by the parent's
/// local id, translated here to the parent's server id once the parent's create was delivered
/// (it is earlier in the spool). Other tags, and parents not local, are kept as given.
pub(crate) fn with_server_parent(spool: &SpoolFile, mut tags: Vec<RunTag>) -> Result<Vec<RunTag>> {
    for t in tags.iter_mut().filter(|t| t.key == PARENT_RUN_ID_TAG) {
        if let Some(Some(server)) = spool.server_run_id(&t.value)? {
            t.value = server;
        }
    }
    Ok(tags)
}

/// Consecutive batch records of one run gathered into one `runs/log-batch` request.
pub struct PreparedBatch {
    /// How many records (from the first) it covers.
    pub taken: usize,
    run_id: String,
    request: BatchRequest,
}

/// Gathers the head of `records` into one request: the first record if it is a readable batch,
/// and the batches of the same run after it while they fit. The writer spools whatever it
/// drained, often a few items; one request per record would make the server's per-request cost
/// the limit. With `metrics_only`, only batches without params and tags qualify.
fn gather_batch(records: &[StoredRecord], metrics_only: bool) -> Option<PreparedBatch> {
    let Ok(SpoolRecord::Batch { run_id, metrics, params, tags }) = records.first()?.decode() else {
        return None;
    };
    if metrics_only && !(params.is_empty() && tags.is_empty()) {
        return None;
    }
    Some(gather_after(records, run_id, metrics, params, tags, metrics_only))
}

/// `gather_batch` once the first record (a batch) is decoded: its items, then those of the
/// records after it while they qualify.
fn gather_after(
    records: &[StoredRecord],
    run_id: String,
    metrics: Vec<Metric>,
    params: Vec<Param>,
    tags: Vec<RunTag>,
    metrics_only: bool,
) -> PreparedBatch {
    let mut request = BatchRequest::default();
    request.add(metrics, params, tags, records[0].body.len());
    let mut taken = 1;
    for next in &records[1..] {
        match next.decode() {
            Ok(SpoolRecord::Batch { run_id: r, metrics, params, tags })
                if r == run_id
                    && (!metrics_only || (params.is_empty() && tags.is_empty()))
                    && request.fits(&metrics, &params, &tags, next.body.len()) =>
            {
                request.add(metrics, params, tags, next.body.len());
                taken += 1;
            }
            _ => break,
        }
    }
    PreparedBatch { taken, run_id, request }
}

/// The entries of one `runs/log-batch` request, gathered from consecutive spool records of a run.
#[derive(Default)]
struct BatchRequest {
    entries: Vec<Entry>,
    metrics: usize,
    params: HashMap<String, String>,
    tags: HashSet<String>,
    bytes: usize,
}

impl BatchRequest {
    /// Whether a record's items can join without breaking MLflow's limits or changing what a
    /// separate request would do (a param logged with another value must go alone).
    fn fits(&self, metrics: &[Metric], params: &[Param], tags: &[RunTag], bytes: usize) -> bool {
        let new_params = params.iter().filter(|p| !self.params.contains_key(&p.key)).count();
        let new_tags = tags.iter().filter(|t| !self.tags.contains(&t.key)).count();
        let metrics_after = self.metrics + metrics.len();
        let params_after = self.params.len() + new_params;
        let tags_after = self.tags.len() + new_tags;
        metrics_after <= MAX_METRICS
            && params_after <= MAX_PARAMS
            && tags_after <= MAX_TAGS
            && metrics_after + params_after + tags_after <= MAX_ENTITIES
            && self.bytes + bytes <= MAX_REQUEST_BYTES
            && params.iter().all(|p| self.params.get(&p.key).is_none_or(|v| *v == p.value))
    }

    fn add(&mut self, metrics: Vec<Metric>, params: Vec<Param>, tags: Vec<RunTag>, bytes: usize) {
        self.metrics += metrics.len();
        self.bytes += bytes;
        for p in params {
            self.params.insert(p.key.clone(), p.value.clone());
            self.entries.push(Entry::Param(p));
        }
        self.entries.extend(metrics.into_iter().map(Entry::Metric));
        for t in tags {
            self.tags.insert(t.key.clone());
            self.entries.push(Entry::Tag(t));
        }
    }
}

/// The `runs/create` request MLflow's client sends.
pub(crate) fn create_run_body(
    experiment_id: &str,
    user_id: &str,
    run_name: Option<&str>,
    start_time: i64,
    tags: &[RunTag],
) -> Value {
    let mut body = json!({
        "experiment_id": experiment_id,
        "user_id": user_id,
        "start_time": start_time,
        "tags": tags,
    });
    if let Some(name) = run_name {
        body["run_name"] = Value::String(name.to_string());
    }
    body
}

/// Creates a run on the server — unless an earlier attempt whose answer was lost already did:
/// with `may_exist`, the run carrying `local_id` in its `libmlflow.client_run_id` tag is looked
/// up first (`body`'s tags must carry that tag). Returns the server's run id.
pub(crate) fn create_run_once(
    rest: &RestStore,
    experiment_id: &str,
    body: Value,
    local_id: &str,
    may_exist: bool,
    timeout: Option<Duration>,
) -> Result<String, HttpFailure> {
    let send = |req: &ApiRequest| match timeout {
        Some(t) => rest.send_once_within(req, t),
        None => rest.send_once(req),
    };
    if may_exist {
        let search = json!({
            "experiment_ids": [experiment_id],
            "filter": format!("tags.`{CLIENT_RUN_ID_TAG}` = '{local_id}'"),
            "run_view_type": "ALL",
            "max_results": 1,
        });
        let answer = send(&ApiRequest::post("runs/search", search))?;
        if let Some(id) = answer.pointer("/runs/0/info/run_id").and_then(Value::as_str) {
            return Ok(id.to_string());
        }
    }
    let answer = send(&ApiRequest::post("runs/create", body))?;
    match answer.pointer("/run/info/run_id").and_then(Value::as_str) {
        Some(id) => Ok(id.to_string()),
        None => Err(HttpFailure {
            class: FailureClass::Fatal,
            error: Error::internal("the server answered runs/create without a run id"),
        }),
    }
}

fn experiment_id_of(v: Option<&Value>) -> Result<String, HttpFailure> {
    match v {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        _ => Err(HttpFailure {
            class: FailureClass::Fatal,
            error: Error::internal("the server's experiment answer has no experiment_id"),
        }),
    }
}
