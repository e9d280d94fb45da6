//! search_experiments as one parameterized SQL query, with the semantics of MLflow's SQLAlchemy
//! store: attributes `name`, `experiment_id`, `creation_time`, `last_update_time` and experiment
//! tags; default order `creation_time DESC, experiment_id ASC`, ties broken on `experiment_id DESC`.

use super::filter::{parse_filter, Comparator, Comparison, Entity, Operand, NUMERIC_COMPARATORS};
use super::operand::{check_comparator, compare_text, key_value_condition};
use super::order_by::parse_order_by;
use super::sql::SqlQuery;
use crate::entities::ViewType;
use crate::error::{Error, Result};
use crate::validation;

const ATTRIBUTES: &[&str] = &["name", "experiment_id", "creation_time", "last_update_time"];
const DEFAULT_ORDER: &[&str] = &["creation_time DESC", "experiment_id ASC"];

/// The query selecting the `experiment_id`s of one page (plus one probe row).
pub fn search_experiments_query(
    filter: &str,
    view: ViewType,
    order_by: &[String],
    max_results: i64,
    offset: i64,
) -> Result<SqlQuery> {
    let conditions = parse_filter(filter)?.iter().map(experiment_condition).collect::<Result<Vec<_>>>()?;
    let order = order_terms(order_by)?;
    let mut q = SqlQuery::default();
    q.push("SELECT experiments.experiment_id FROM experiments WHERE experiments.workspace = 'default'");
    q.push(" AND experiments.lifecycle_stage IN ").bind_list(view.stages().iter().map(|s| s.to_string()));
    for c in conditions {
        q.push(" AND ").append(c);
    }
    q.push(" ORDER BY ").push(&order.join(", "));
    q.push(" LIMIT ").bind(max_results.saturating_add(1)).push(" OFFSET ").bind(offset);
    Ok(q)
}

fn attribute(key: &str) -> Result<&'static str> {
    ATTRIBUTES.iter().copied().find(|a| *a == key).ok_or_else(|| {
        Error::invalid(format!("Invalid attribute key '{key}' specified. Valid keys are {ATTRIBUTES:?}"))
    })
}

fn experiment_condition(c: &Comparison) -> Result<SqlQuery> {
    let mut q = SqlQuery::default();
    match c.ident.entity {
        Entity::Attribute => {
            let key = attribute(&c.ident.key)?;
            let column = format!("experiments.{key}");
            match key {
                "name" => {
                    check_comparator(c, &[Comparator::Eq, Comparator::NotEq, Comparator::Like, Comparator::ILike])?;
                    compare_text(&mut q, &column, c, "attributes")?;
                }
                "experiment_id" => {
                    check_comparator(c, &[Comparator::Eq, Comparator::NotEq, Comparator::In, Comparator::NotIn])?;
                    match &c.operand {
                        Operand::List(ids) => {
                            let ids =
                                ids.iter().map(|id| validation::parse_experiment_id(id)).collect::<Result<Vec<_>>>()?;
                            q.push(&format!("{column} {} ", c.comparator.as_str())).bind_list(ids);
                        }
                        operand => {
                            let id = validation::parse_experiment_id(operand.text("attributes")?)?;
                            q.compare(&column, c.comparator, id);
                        }
                    }
                }
                _ => {
                    check_comparator(c, NUMERIC_COMPARATORS)?;
                    match &c.operand {
                        Operand::Number { text, is_integer: true } => {
                            let value: i64 = text.parse().map_err(|_| {
                                Error::invalid(format!("Invalid value for numeric attribute '{key}': '{text}'"))
                            })?;
                            q.compare(&column, c.comparator, value);
                        }
                        Operand::Number { text, .. } => {
                            return Err(Error::invalid(format!(
                                "Invalid value for numeric attribute '{key}': '{text}' (milliseconds are integers)"
                            )))
                        }
                        other => {
                            other.number(&format!("numeric attribute: {key}"))?;
                        }
                    }
                }
            }
        }
        Entity::Tag => {
            check_comparator(
                c,
                &[
                    Comparator::Eq,
                    Comparator::NotEq,
                    Comparator::Like,
                    Comparator::ILike,
                    Comparator::IsNull,
                    Comparator::IsNotNull,
                ],
            )?;
            let exists = "EXISTS (SELECT 1 FROM experiment_tags e WHERE e.experiment_id = experiments.experiment_id \
                          AND e.key = ";
            key_value_condition(&mut q, exists, c, "tag")?;
        }
        other => {
            return Err(Error::invalid(format!(
                "Invalid entity type '{}'. Valid entity types are ('attribute', 'tag', 'tags')",
                other.name()
            )))
        }
    }
    Ok(q)
}

fn order_terms(order_by: &[String]) -> Result<Vec<String>> {
    let clauses: Vec<String> =
        if order_by.is_empty() { DEFAULT_ORDER.iter().map(|s| s.to_string()).collect() } else { order_by.to_vec() };
    let mut terms = Vec::new();
    let mut has_id = false;
    for clause in &clauses {
        let o = parse_order_by(clause)?;
        if o.ident.entity != Entity::Attribute {
            return Err(Error::invalid(format!("Invalid order_by entity: {}", o.ident.entity.name())));
        }
        let key = attribute(&o.ident.key)?;
        has_id |= key == "experiment_id";
        terms.push(format!("experiments.{key}{}", if o.ascending { "" } else { " DESC" }));
    }
    if !has_id {
        terms.push("experiments.experiment_id DESC".into());
    }
    Ok(terms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_order_and_tie_breaker() {
        assert_eq!(order_terms(&[]).unwrap(), vec!["experiments.creation_time DESC", "experiments.experiment_id"]);
        assert_eq!(order_terms(&["name".into()]).unwrap(), vec!["experiments.name", "experiments.experiment_id DESC"]);
        assert!(order_terms(&["tags.x".into()]).is_err());
    }

    #[test]
    fn validates_like_mlflow() {
        let ok = |f: &str| search_experiments_query(f, ViewType::All, &[], 10, 0);
        for good in [
            "name LIKE 'a%'",
            "experiment_id IN ('1', '2')",
            "creation_time > 0",
            "tags.t IS NULL",
            "tags.`a b` = 'x'",
            "attribute.name = 'x'",
        ] {
            assert!(ok(good).is_ok(), "{good}");
        }
        for bad in [
            "name > 'a'",
            "experiment_id = 'x'",
            "experiment_id < '3'",
            "creation_time > 1.5",
            "creation_time > '1'",
            "metrics.a > 1",
            "name IS NULL",
            "lifecycle_stage = 'active'",
        ] {
            assert!(ok(bad).is_err(), "{bad}");
        }
    }
}
