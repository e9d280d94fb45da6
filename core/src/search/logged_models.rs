//! search_logged_models as one parameterized query, with the semantics of MLflow 3.17.2's
//! SQLAlchemy store (`_apply_filter_string_datasets_search_logged_models`,
//! `_apply_order_by_search_logged_models`):
//!
//! - filter: comparisons joined by AND; an identifier is `attributes.<column>`, `metrics.<key>`,
//!   `params.<key>`, `tags.<key>`, or a bare column name (with the aliases `creation_time`,
//!   `creation_timestamp`, `last_updated_timestamp`). Metrics and the two timestamps are numeric
//!   (`= != < <= > >=`), the rest strings (`= != LIKE ILIKE IN NOT IN`). A metric comparison
//!   matches a model with any recorded value of it that compares (on one of `datasets` if given).
//! - `datasets` without a metric comparison: models with some metric on one of those datasets.
//! - order: each `order_by` entry (a column, nulls last; or `metrics.<key>`: its latest value by
//!   timestamp, then step, nulls last), then `creation_timestamp_ms DESC` and `model_id ASC`
//!   unless given. Deleted models never match.
//!
//! Page tokens are MLflow's: base64 of `{"experiment_ids": …, "filter_string": …, "order_by": …,
//! "offset": N}`, refused when the request they continue differs.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::filter::{Comparison, Entity, Operand, NUMERIC_COMPARATORS, STRING_COMPARATORS};
use super::lexer::{tokenize, Token};
use super::operand::{check_comparator, compare_text};
use super::sql::SqlQuery;
use crate::error::{Error, Result};
use crate::logged_model::{DatasetFilter, LoggedModelOrderBy, SearchLoggedModels};
use crate::models::pyrepr::OrderedJson;

/// MLflow's `SEARCH_LOGGED_MODEL_MAX_RESULTS_DEFAULT`.
pub const MAX_RESULTS_DEFAULT: i64 = 100;

const ENTITY_WORDS: &[&str] = &["attributes", "metrics", "params", "tags"];
const COLUMNS: &[&str] = &[
    "model_id",
    "experiment_id",
    "name",
    "artifact_location",
    "creation_timestamp_ms",
    "last_updated_timestamp_ms",
    "status",
    "lifecycle_stage",
    "model_type",
    "source_run_id",
    "status_message",
];
const NUMERIC_COLUMNS: &[&str] = &["creation_timestamp_ms", "last_updated_timestamp_ms"];

/// MLflow's `SqlLoggedModel.ALIASES` (bare names only; `attributes.creation_time` is no alias).
fn alias(name: &str) -> &str {
    match name {
        "creation_time" | "creation_timestamp" => "creation_timestamp_ms",
        "last_updated_timestamp" => "last_updated_timestamp_ms",
        other => other,
    }
}

fn column(name: &str, what: &str) -> Result<&'static str> {
    COLUMNS.iter().copied().find(|c| *c == name).ok_or_else(|| {
        Error::invalid(format!("Invalid {what}: '{name}' is not an attribute of logged models (one of {COLUMNS:?})"))
    })
}

/// The query selecting the `model_id`s of one page (plus one probe row) and the offset it starts at.
pub fn search_logged_models_query(req: &SearchLoggedModels) -> Result<(SqlQuery, i64, i64)> {
    if req.datasets.iter().any(|d| d.dataset_name.is_empty()) {
        return Err(Error::invalid("`dataset_name` in the `datasets` clause must be specified."));
    }
    let max_results = match req.max_results {
        None | Some(0) => MAX_RESULTS_DEFAULT,
        Some(n) if n > 0 => n,
        Some(n) => return Err(Error::invalid(format!("max_results must be a positive number, got {n}"))),
    };
    let offset = match req.page_token.as_deref().filter(|t| !t.is_empty()) {
        Some(token) => PageToken::decode(token)?.continuing(req)?,
        None => 0,
    };
    let experiment_ids = req
        .experiment_ids
        .iter()
        .map(|id| id.trim().parse::<i64>().map_err(|_| Error::invalid(format!("Invalid experiment ID: '{id}'"))))
        .collect::<Result<Vec<i64>>>()?;

    let mut q = SqlQuery::default();
    q.push("SELECT lm.model_id FROM logged_models lm");
    let order = order_terms(&mut q, &req.order_by)?;
    q.push(" WHERE lm.lifecycle_stage != 'deleted' AND lm.experiment_id IN ").bind_list(experiment_ids);
    let mut has_metric_filter = false;
    for c in parse(&req.filter)? {
        q.push(" AND ");
        match c.ident.entity {
            Entity::Metric => {
                has_metric_filter = true;
                check_comparator(&c, NUMERIC_COMPARATORS)?;
                q.push("lm.model_id IN (SELECT m.model_id FROM logged_model_metrics m WHERE m.metric_name = ");
                q.bind(c.ident.key.clone()).push(" AND ");
                q.compare("m.metric_value", c.comparator, number(&c)?);
                datasets_condition(&mut q, "m", &req.datasets);
                q.push(")");
            }
            Entity::Param | Entity::Tag => {
                let (table, key, value) = if c.ident.entity == Entity::Param {
                    ("logged_model_params", "param_key", "param_value")
                } else {
                    ("logged_model_tags", "tag_key", "tag_value")
                };
                check_comparator(&c, STRING_COMPARATORS)?;
                q.push(&format!("EXISTS (SELECT 1 FROM {table} e WHERE e.model_id = lm.model_id AND e.{key} = "));
                q.bind(c.ident.key.clone()).push(" AND ");
                compare_text(&mut q, &format!("e.{value}"), &c, c.ident.entity.name())?;
                q.push(")");
            }
            _ => {
                let name = column(&c.ident.key, "filter attribute")?;
                if NUMERIC_COLUMNS.contains(&name) {
                    check_comparator(&c, NUMERIC_COMPARATORS)?;
                    q.compare(&format!("lm.{name}"), c.comparator, number(&c)?);
                } else {
                    check_comparator(&c, STRING_COMPARATORS)?;
                    compare_text(&mut q, &format!("lm.{name}"), &c, "attributes")?;
                }
            }
        }
    }
    if !req.datasets.is_empty() && !has_metric_filter {
        q.push(" AND lm.model_id IN (SELECT m.model_id FROM logged_model_metrics m WHERE 1 = 1");
        datasets_condition(&mut q, "m", &req.datasets);
        q.push(")");
    }
    q.push(" ORDER BY ").push(&order.join(", "));
    q.push(" LIMIT ").bind(max_results.saturating_add(1)).push(" OFFSET ").bind(offset);
    Ok((q, max_results, offset))
}

/// The filter's comparisons, each identifier resolved as MLflow's `Entity.from_str` does: an
/// `<entity>.` prefix must be one of the four plural words; a bare name is an attribute.
fn parse(filter: &str) -> Result<Vec<Comparison>> {
    let lexemes = tokenize(filter)?;
    for (i, l) in lexemes.iter().enumerate() {
        let starts_identifier = i == 0 || !matches!(lexemes[i - 1].token, Token::Dot);
        let before_dot = matches!(lexemes.get(i + 1).map(|n| &n.token), Some(Token::Dot));
        if let (Token::Word(word), true, true) = (&l.token, starts_identifier, before_dot) {
            if !ENTITY_WORDS.contains(&word.as_str()) {
                return Err(Error::invalid(format!(
                    "Invalid entity type: '{word}'. Expected one of {ENTITY_WORDS:?}."
                )));
            }
        }
    }
    let mut comparisons = super::filter::parse_filter(filter)?;
    // MLflow aliases bare names only (`attributes.creation_time` fails there with an attribute
    // error); taking the alias either way refuses nothing MLflow answers.
    for c in &mut comparisons {
        if c.ident.entity == Entity::Attribute {
            c.ident.key = alias(&c.ident.key).to_string();
        }
    }
    Ok(comparisons)
}

fn number(c: &Comparison) -> Result<f64> {
    match &c.operand {
        Operand::Number { text, .. } => text.parse::<f64>().map_err(|_| {
            Error::invalid(format!("Expected a number for {} '{}', got {text}", c.ident.entity.name(), c.ident.key))
        }),
        other => Err(Error::invalid(format!(
            "Expected a number for {} '{}', got {}",
            c.ident.entity.name(),
            c.ident.key,
            match other {
                Operand::Text(t) | Operand::Unquoted(t) => format!("'{t}'"),
                Operand::List(items) => format!("{items:?}"),
                _ => "nothing".into(),
            }
        ))),
    }
}

/// ` AND (<alias>.dataset_name = ? [AND <alias>.dataset_digest = ?] OR …)` when datasets are given.
fn datasets_condition(q: &mut SqlQuery, alias: &str, datasets: &[DatasetFilter]) {
    if datasets.is_empty() {
        return;
    }
    q.push(" AND (");
    for (i, d) in datasets.iter().enumerate() {
        if i > 0 {
            q.push(" OR ");
        }
        q.push(&format!("({alias}.dataset_name = ")).bind(d.dataset_name.clone());
        if let Some(digest) = &d.dataset_digest {
            q.push(&format!(" AND {alias}.dataset_digest = ")).bind(digest.clone());
        }
        q.push(")");
    }
    q.push(")");
}

/// The ORDER BY terms; a metric entry adds a LEFT JOIN on its latest value to `q` (before WHERE).
fn order_terms(q: &mut SqlQuery, order_by: &[LoggedModelOrderBy]) -> Result<Vec<String>> {
    let mut terms = Vec::new();
    let (mut has_creation, mut has_model_id) = (false, false);
    for (i, ob) in order_by.iter().enumerate() {
        let direction = if ob.ascending { "ASC" } else { "DESC" };
        let Some((entity, key)) = ob.field_name.split_once('.') else {
            let name = column(alias(&ob.field_name), "order by field name")
                .map_err(|_| Error::invalid(format!("Invalid order by field name: {}", ob.field_name)))?;
            has_creation |= name == "creation_timestamp_ms";
            has_model_id |= name == "model_id";
            terms.push(format!("(lm.{name} IS NULL) ASC"));
            terms.push(format!("lm.{name} {direction}"));
            continue;
        };
        if entity != "metrics" {
            return Err(Error::invalid(format!(
                "Invalid order by field name: {}. Only metrics are supported.",
                ob.field_name
            )));
        }
        let latest = format!("o{i}");
        q.push(
            " LEFT JOIN (SELECT model_id, metric_value FROM (SELECT model_id, metric_value, row_number() OVER \
             (PARTITION BY model_id ORDER BY metric_timestamp_ms DESC, metric_step DESC, run_id ASC) AS row_num \
             FROM logged_model_metrics WHERE metric_name = ",
        );
        q.bind(key.to_string());
        if let Some(name) = ob.dataset_name.as_deref().filter(|n| !n.is_empty()) {
            q.push(" AND dataset_name = ").bind(name.to_string());
        }
        if let Some(digest) = ob.dataset_digest.as_deref().filter(|d| !d.is_empty()) {
            q.push(" AND dataset_digest = ").bind(digest.to_string());
        }
        q.push(&format!(") WHERE row_num = 1) {latest} ON {latest}.model_id = lm.model_id"));
        terms.push(format!("({latest}.metric_value IS NULL) ASC"));
        terms.push(format!("{latest}.metric_value {direction}"));
    }
    if !has_creation {
        terms.push("lm.creation_timestamp_ms DESC".into());
    }
    if !has_model_id {
        terms.push("lm.model_id ASC".into());
    }
    Ok(terms)
}

/// MLflow's `SearchLoggedModelsPaginationToken`.
#[derive(Debug, PartialEq)]
pub struct PageToken {
    experiment_ids: Vec<String>,
    filter_string: Option<String>,
    order_by: Vec<LoggedModelOrderBy>,
    offset: i64,
}

impl PageToken {
    /// The token of the page after `offset + max_results` rows of `req`.
    pub fn next(req: &SearchLoggedModels, offset: i64) -> String {
        let text = |s: &Option<String>| s.as_deref().map_or(OrderedJson::Null, OrderedJson::str);
        let order_by = if req.order_by.is_empty() {
            OrderedJson::Null
        } else {
            OrderedJson::Array(
                req.order_by
                    .iter()
                    .map(|ob| {
                        OrderedJson::obj(vec![
                            ("field_name", OrderedJson::str(&ob.field_name)),
                            ("ascending", OrderedJson::Bool(ob.ascending)),
                            ("dataset_name", text(&ob.dataset_name)),
                            ("dataset_digest", text(&ob.dataset_digest)),
                        ])
                    })
                    .collect(),
            )
        };
        let json = OrderedJson::obj(vec![
            ("experiment_ids", OrderedJson::Array(req.experiment_ids.iter().map(|id| OrderedJson::str(id)).collect())),
            ("filter_string", if req.filter.is_empty() { OrderedJson::Null } else { OrderedJson::str(&req.filter) }),
            ("order_by", order_by),
            ("offset", OrderedJson::Number(offset.into())),
        ]);
        STANDARD.encode(json.to_python_json())
    }

    pub fn decode(token: &str) -> Result<PageToken> {
        let invalid = || Error::invalid(format!("Invalid page token: {token}."));
        let bytes = STANDARD.decode(token.trim()).map_err(|_| invalid())?;
        let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
        let experiment_ids = match value.get("experiment_ids") {
            Some(serde_json::Value::Array(ids)) => {
                ids.iter().map(|id| id.as_str().map(str::to_string).ok_or_else(invalid)).collect::<Result<_>>()?
            }
            _ => Vec::new(),
        };
        let filter_string = value.get("filter_string").and_then(|f| f.as_str()).filter(|f| !f.is_empty());
        let order_by = match value.get("order_by") {
            None | Some(serde_json::Value::Null) => Vec::new(),
            Some(list) => serde_json::from_value(list.clone()).map_err(|_| invalid())?,
        };
        let offset = value.get("offset").and_then(|o| o.as_i64()).unwrap_or(0);
        if offset < 0 {
            return Err(invalid());
        }
        Ok(PageToken { experiment_ids, filter_string: filter_string.map(str::to_string), order_by, offset })
    }

    /// The offset, once the token is known to continue this very search (MLflow's `validate`).
    fn continuing(self, req: &SearchLoggedModels) -> Result<i64> {
        if self.experiment_ids != req.experiment_ids {
            return Err(Error::invalid(format!(
                "Experiment IDs in the page token do not match the requested experiment IDs. Expected: {:?}. \
                 Found: {:?}",
                req.experiment_ids, self.experiment_ids
            )));
        }
        let filter = Some(req.filter.clone()).filter(|f| !f.is_empty());
        if self.filter_string != filter {
            return Err(Error::invalid(format!(
                "Filter string in the page token does not match the requested filter string. Expected: {filter:?}. \
                 Found: {:?}",
                self.filter_string
            )));
        }
        let normalized = |list: &[LoggedModelOrderBy]| -> Vec<LoggedModelOrderBy> {
            list.iter()
                .map(|ob| LoggedModelOrderBy {
                    dataset_name: ob.dataset_name.clone().filter(|n| !n.is_empty()),
                    dataset_digest: ob.dataset_digest.clone().filter(|d| !d.is_empty()),
                    ..ob.clone()
                })
                .collect()
        };
        if normalized(&self.order_by) != normalized(&req.order_by) {
            return Err(Error::invalid(
                "Order by in the page token does not match the requested order by.".to_string(),
            ));
        }
        Ok(self.offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_token_matches_mlflow_bytes_and_round_trips() {
        let req = SearchLoggedModels {
            experiment_ids: vec!["1".into()],
            filter: "name = 'a'".into(),
            order_by: vec![LoggedModelOrderBy {
                field_name: "metrics.acc".into(),
                ascending: false,
                dataset_name: None,
                dataset_digest: None,
            }],
            ..Default::default()
        };
        let token = PageToken::next(&req, 2);
        // base64 of json.dumps(asdict(SearchLoggedModelsPaginationToken(...))) as the server builds it.
        let text = String::from_utf8(STANDARD.decode(&token).unwrap()).unwrap();
        assert_eq!(
            text,
            "{\"experiment_ids\": [\"1\"], \"filter_string\": \"name = 'a'\", \"order_by\": [{\"field_name\": \
             \"metrics.acc\", \"ascending\": false, \"dataset_name\": null, \"dataset_digest\": null}], \"offset\": 2}"
        );
        assert_eq!(PageToken::decode(&token).unwrap().continuing(&req).unwrap(), 2);
        let other = SearchLoggedModels { filter: "name = 'b'".into(), ..req.clone() };
        assert!(PageToken::decode(&token).unwrap().continuing(&other).is_err());
        assert!(PageToken::decode("not base64!").is_err());
    }

    #[test]
    fn entity_words_and_comparators_are_mlflows() {
        let query = |filter: &str| {
            search_logged_models_query(&SearchLoggedModels {
                experiment_ids: vec!["0".into()],
                filter: filter.into(),
                ..Default::default()
            })
            .map(|_| ())
        };
        assert!(query("metrics.acc > 0.5 AND params.lr = '0.1' AND tags.t LIKE 'x%' AND name IN ('a', 'b')").is_ok());
        assert!(query("creation_time > 5").is_ok());
        assert!(query("metric.acc > 0.5").unwrap_err().to_string().contains("Invalid entity type: 'metric'"));
        assert!(query("metrics.acc LIKE 'x'").is_err());
        assert!(query("name > 'a'").is_err());
        assert!(query("nope = 'a'").unwrap_err().to_string().contains("not an attribute"));
        assert!(query("metrics.acc > 'high'").unwrap_err().to_string().contains("Expected a number"));
        assert!(query("name = 'a' OR name = 'b'").is_err());
    }
}
