//! search_runs as one parameterized SQL query over MLflow's tables, with the semantics of its
//! SQLAlchemy store: metric filters and sorts read `latest_metrics` (a NaN latest value matches
//! only `!=`), `run_name` filters read the `mlflow.runName` tag, every filter must hold (AND),
//! sorted values come first and NaN / missing ones last whatever the direction, and ties break
//! on `start_time DESC` then `run_uuid`.

use std::collections::HashSet;

use super::filter::{parse_filter, Comparator, Comparison, Entity, NUMERIC_COMPARATORS, STRING_COMPARATORS};
use super::operand::{check_comparator, compare_text, key_value_condition};
use super::order_by::parse_order_by;
use super::sql::SqlQuery;
use crate::entities::ViewType;
use crate::error::{Error, Result};
use crate::validation;

const STRING_ENTITY: &[Comparator] = &[
    Comparator::Eq,
    Comparator::NotEq,
    Comparator::Like,
    Comparator::ILike,
    Comparator::IsNull,
    Comparator::IsNotNull,
];

/// Run attributes a filter or order_by may name, after MLflow's aliases.
const ATTRIBUTES: &[&str] = &["run_id", "run_name", "status", "user_id", "artifact_uri", "start_time", "end_time"];

/// MLflow's attribute aliases: `created` is `start_time`, `Run name` is `run_name`.
fn attribute_key(key: &str) -> Result<&str> {
    let key = match key {
        "created" | "Created" => "start_time",
        "run name" | "Run name" | "Run Name" => "run_name",
        k => k,
    };
    ATTRIBUTES.iter().copied().find(|a| *a == key).ok_or_else(|| {
        Error::invalid(format!(
            "Invalid attribute key '{key}' specified. Valid keys are {ATTRIBUTES:?} (and the aliases 'created', \
             'Run name')"
        ))
    })
}

fn run_column(attribute: &str) -> &'static str {
    match attribute {
        "run_id" => "runs.run_uuid",
        "run_name" => "runs.name",
        "status" => "runs.status",
        "user_id" => "runs.user_id",
        "artifact_uri" => "runs.artifact_uri",
        "start_time" => "runs.start_time",
        _ => "runs.end_time",
    }
}

/// The query selecting the `run_uuid`s of one page (with one extra row to tell whether a next
/// page exists).
pub fn search_runs_query(
    experiment_ids: &[String],
    filter: &str,
    view: ViewType,
    order_by: &[String],
    max_results: i64,
    offset: i64,
) -> Result<SqlQuery> {
    let experiment_ids: Vec<i64> =
        experiment_ids.iter().map(|id| validation::parse_experiment_id(id)).collect::<Result<_>>()?;
    let conditions = parse_filter(filter)?.iter().map(run_condition).collect::<Result<Vec<_>>>()?;
    let (joins, order) = order_clauses(order_by)?;

    let mut q = SqlQuery::default();
    q.push("SELECT runs.run_uuid FROM runs").append(joins);
    q.push(" WHERE runs.experiment_id IN ").bind_list(experiment_ids);
    q.push(" AND runs.lifecycle_stage IN ").bind_list(view.stages().iter().map(|s| s.to_string()));
    for c in conditions {
        q.push(" AND ").append(c);
    }
    q.push(" ORDER BY ").push(&order.join(", "));
    q.push(" LIMIT ").bind(max_results.saturating_add(1)).push(" OFFSET ").bind(offset);
    Ok(q)
}

/// One filter comparison as a boolean SQL expression over the row `runs`.
fn run_condition(c: &Comparison) -> Result<SqlQuery> {
    let mut q = SqlQuery::default();
    match c.ident.entity {
        Entity::Metric => {
            check_comparator(c, NUMERIC_COMPARATORS)?;
            let value = c.operand.number("metric")?;
            q.push("EXISTS (SELECT 1 FROM latest_metrics m WHERE m.run_uuid = runs.run_uuid AND m.key = ")
                .bind(c.ident.key.clone())
                .push(" AND (");
            q.compare("m.value", c.comparator, value);
            // NaN is stored as 0 with is_nan = 1: it satisfies only "!=", never the placeholder 0.
            q.push(if c.comparator == Comparator::NotEq { " OR m.is_nan = 1))" } else { " AND m.is_nan = 0))" });
        }
        Entity::Param | Entity::Tag => {
            check_comparator(c, STRING_ENTITY)?;
            let (table, what) = if c.ident.entity == Entity::Param { ("params", "parameter") } else { ("tags", "tag") };
            let exists = format!("EXISTS (SELECT 1 FROM {table} e WHERE e.run_uuid = runs.run_uuid AND e.key = ");
            key_value_condition(&mut q, &exists, c, what)?;
        }
        Entity::Attribute => {
            let key = attribute_key(&c.ident.key)?;
            if matches!(c.comparator, Comparator::IsNull | Comparator::IsNotNull) {
                return Err(Error::invalid(format!(
                    "IS NULL / IS NOT NULL is only supported for tags and params, not for attribute '{key}'"
                )));
            }
            if key == "start_time" || key == "end_time" {
                check_comparator(c, NUMERIC_COMPARATORS)?;
                let value = c.operand.number(&format!("numeric attribute: {key}"))?;
                q.compare(run_column(key), c.comparator, value);
            } else {
                check_comparator(c, STRING_COMPARATORS)?;
                if matches!(c.comparator, Comparator::In | Comparator::NotIn) && key != "run_id" {
                    return Err(Error::invalid(
                        "Only ['run_id'] attributes support comparison with a list of quoted string values.",
                    ));
                }
                if key == "run_name" {
                    // MLflow matches run names against the tag (runs.name is empty for old runs).
                    q.push(
                        "EXISTS (SELECT 1 FROM tags e WHERE e.run_uuid = runs.run_uuid AND e.key = 'mlflow.runName' \
                         AND ",
                    );
                    compare_text(&mut q, "e.value", c, "attributes")?;
                    q.push(")");
                } else {
                    compare_text(&mut q, run_column(key), c, "attributes")?;
                }
            }
        }
        Entity::Dataset => {
            check_comparator(c, STRING_COMPARATORS)?;
            let inputs = "EXISTS (SELECT 1 FROM inputs i JOIN datasets d ON d.dataset_uuid = i.source_id";
            let column = match c.ident.key.as_str() {
                "name" => "d.name",
                "digest" => "d.digest",
                "context" => "it.value",
                other => {
                    return Err(Error::invalid(format!(
                        "Invalid dataset key '{other}' specified. Valid keys are ['name', 'digest', 'context']"
                    )))
                }
            };
            q.push(inputs);
            if column == "it.value" {
                q.push(" JOIN input_tags it ON it.input_uuid = i.input_uuid AND it.name = 'mlflow.data.context'");
            }
            q.push(" WHERE i.destination_id = runs.run_uuid AND ");
            compare_text(&mut q, column, c, "dataset attributes")?;
            q.push(")");
        }
    }
    Ok(q)
}

/// The LEFT JOINs the sort keys need and the ORDER BY terms, tie-breakers included.
fn order_clauses(order_by: &[String]) -> Result<(SqlQuery, Vec<String>)> {
    let mut joins = SqlQuery::default();
    let mut terms = Vec::new();
    let mut seen = HashSet::new();
    let mut ordered_by_start_time = false;
    for (n, clause) in order_by.iter().enumerate() {
        let o = parse_order_by(clause)?;
        let direction = if o.ascending { "" } else { " DESC" };
        let key = match o.ident.entity {
            Entity::Attribute => attribute_key(&o.ident.key)?.to_string(),
            Entity::Dataset => return Err(Error::invalid("Invalid identifier type 'dataset' in order_by")),
            _ => o.ident.key.clone(),
        };
        if !seen.insert((o.ident.entity, key.clone())) {
            return Err(Error::invalid(format!("`order_by` contains duplicate fields: {order_by:?}")));
        }
        let alias = format!("o{n}");
        match o.ident.entity {
            Entity::Attribute => {
                ordered_by_start_time |= key == "start_time";
                let column = run_column(&key);
                terms.push(format!("{column} IS NULL"));
                terms.push(format!("{column}{direction}"));
            }
            Entity::Metric => {
                joins
                    .push(&format!(
                        " LEFT JOIN latest_metrics {alias} ON {alias}.run_uuid = runs.run_uuid AND {alias}.key = "
                    ))
                    .bind(key);
                // Values first, then NaN, then runs without the metric, in either direction.
                terms.push(format!("CASE WHEN {alias}.is_nan = 1 THEN 1 WHEN {alias}.value IS NULL THEN 2 ELSE 0 END"));
                terms.push(format!("{alias}.value{direction}"));
            }
            Entity::Param | Entity::Tag => {
                let table = if o.ident.entity == Entity::Param { "params" } else { "tags" };
                joins
                    .push(&format!(" LEFT JOIN {table} {alias} ON {alias}.run_uuid = runs.run_uuid AND {alias}.key = "))
                    .bind(key);
                terms.push(format!("{alias}.value IS NULL"));
                terms.push(format!("{alias}.value{direction}"));
            }
            Entity::Dataset => unreachable!("rejected above"),
        }
    }
    if !ordered_by_start_time {
        terms.push("runs.start_time DESC".into());
    }
    terms.push("runs.run_uuid".into());
    Ok((joins, terms))
}

/// The SQL of each comparison of `filter` (for the tests).
#[cfg(test)]
fn condition_sql(filter: &str) -> Result<Vec<String>> {
    Ok(parse_filter(filter)?
        .iter()
        .map(run_condition)
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .map(|q| q.sql)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_filters_respect_nan() {
        let sql = condition_sql("metrics.loss < 1").unwrap();
        assert!(sql[0].contains("latest_metrics") && sql[0].contains("is_nan = 0"), "{}", sql[0]);
        assert!(condition_sql("metrics.loss != 1").unwrap()[0].contains("OR m.is_nan = 1"));
    }

    #[test]
    fn validates_like_mlflow() {
        for bad in [
            "metrics.loss LIKE '1'",
            "metrics.loss > '1'",
            "params.p > 'a'",
            "params.p = 1",
            "params.p = adam",
            "attributes.status IN ('A')",
            "attributes.start_time = 'x'",
            "attributes.nope = 'x'",
            "attributes.status IS NULL",
            "datasets.size = 'x'",
        ] {
            assert!(condition_sql(bad).is_err(), "{bad} should be rejected");
        }
        for good in [
            "params.p IS NULL",
            "tags.`mlflow.user` ILIKE '%A%'",
            "attributes.run_id IN ('a', 'b')",
            "attributes.`Run name` = 'x'",
            "created > 0",
            "datasets.context = 'training'",
            "metrics.m >= -1e3",
        ] {
            assert!(condition_sql(good).is_ok(), "{good} should be accepted");
        }
    }

    #[test]
    fn values_are_bound_never_pasted() {
        let q = search_runs_query(
            &["1".into()],
            "params.p = 'x'' OR 1=1 --'",
            ViewType::ActiveOnly,
            &["metrics.acc DESC".into()],
            10,
            0,
        )
        .unwrap();
        assert!(!q.sql.contains("OR 1=1"), "{}", q.sql);
        assert_eq!(q.sql.matches('?').count(), q.params.len());
    }

    #[test]
    fn order_by_rejects_duplicates_and_breaks_ties() {
        assert!(order_clauses(&["metrics.a".into(), "metrics.a DESC".into()]).is_err());
        let (_, terms) = order_clauses(&["created DESC".into()]).unwrap();
        assert_eq!(terms, vec!["runs.start_time IS NULL", "runs.start_time DESC", "runs.run_uuid"]);
        let (_, terms) = order_clauses(&[]).unwrap();
        assert_eq!(terms, vec!["runs.start_time DESC", "runs.run_uuid"]);
    }
}
