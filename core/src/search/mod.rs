//! TEMP stub
use crate::entities::ViewType;
use crate::error::{Error, Result};
pub struct SqlQuery {
    pub sql: String,
    pub params: Vec<rusqlite::types::Value>,
}
pub fn search_runs_query(
    experiment_ids: &[String],
    _filter: &str,
    view: ViewType,
    _order_by: &[String],
    max_results: i64,
    offset: i64,
) -> Result<SqlQuery> {
    let ids: Vec<i64> = experiment_ids.iter().map(|s| s.parse().unwrap()).collect();
    let st = view.stages().iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(",");
    Ok(SqlQuery { sql: format!("SELECT run_uuid FROM runs WHERE experiment_id IN (SELECT value FROM json_each(?1)) AND lifecycle_stage IN ({st}) ORDER BY start_time DESC, run_uuid LIMIT ?2 OFFSET ?3"), params: vec![serde_json::to_string(&ids).unwrap().into(), (max_results+1).into(), offset.into()] })
}
pub fn search_experiments_query(
    _filter: &str,
    view: ViewType,
    _order_by: &[String],
    max_results: i64,
    offset: i64,
) -> Result<SqlQuery> {
    let st = view.stages().iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(",");
    Ok(SqlQuery { sql: format!("SELECT experiment_id FROM experiments WHERE lifecycle_stage IN ({st}) ORDER BY creation_time DESC, experiment_id LIMIT ?1 OFFSET ?2"), params: vec![(max_results+1).into(), offset.into()] })
}
pub mod page_token {
    use super::*;
    pub fn encode(offset: i64) -> String {
        format!("{offset}")
    }
    pub fn decode(t: &str) -> Result<i64> {
        if t.is_empty() {
            Ok(0)
        } else {
            t.parse().map_err(|_| Error::invalid("Invalid page token"))
        }
    }
}
