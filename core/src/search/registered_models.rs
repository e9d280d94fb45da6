//! search_registered_models as one parameterized query, with the semantics of MLflow's
//! SQLAlchemy registry store: attribute `name` (`= != LIKE ILIKE IN NOT IN`), tags
//! (`= != LIKE ILIKE`); order keys `name` and `timestamp` / `last_updated_timestamp`, always
//! ending with `name ASC` when name is not among them.

use super::filter::{Comparator, Entity};
use super::order_by::parse_order_by;
use super::registry_filter::{
    check_unique_order, exclude_prompts, invalid_entity, is_querying_prompts, parse_registry_filter, string_attribute,
    TagGroups,
};
use super::sql::SqlQuery;
use crate::error::{Error, Result};

const NAME_COMPARATORS: &[Comparator] =
    &[Comparator::Eq, Comparator::NotEq, Comparator::Like, Comparator::ILike, Comparator::In, Comparator::NotIn];

/// The query selecting the names of one page (plus one probe row).
pub fn search_registered_models_query(
    filter: &str,
    order_by: &[String],
    max_results: i64,
    offset: i64,
) -> Result<SqlQuery> {
    let comparisons = parse_registry_filter(filter)?;
    let mut attributes = Vec::new();
    let mut tags = TagGroups::new();
    for c in &comparisons {
        match c.ident.entity {
            Entity::Attribute if c.ident.key == "name" => {
                attributes.push(string_attribute(c, "rm.name", NAME_COMPARATORS)?)
            }
            Entity::Attribute => return Err(Error::invalid(format!("Invalid attribute name: {}", c.ident.key))),
            Entity::Tag => tags.add(c)?,
            other => return Err(invalid_entity(other)),
        }
    }
    let order = order_terms(order_by)?;
    let mut q = SqlQuery::default();
    q.push("SELECT rm.name FROM registered_models rm WHERE rm.workspace = 'default'");
    for a in attributes {
        q.push(" AND ").append(a);
    }
    if !is_querying_prompts(&comparisons) {
        tags.drop_prompt_key();
        exclude_prompts(&mut q, "rm.name", "registered_model_tags");
    }
    if let Some(c) = tags.condition("registered_model_tags", "t.name = rm.name")? {
        q.push(" AND ").append(c);
    }
    q.push(" ORDER BY ").push(&order.join(", "));
    q.push(" LIMIT ").bind(max_results.saturating_add(1)).push(" OFFSET ").bind(offset);
    Ok(q)
}

fn order_terms(order_by: &[String]) -> Result<Vec<String>> {
    let mut terms = Vec::new();
    let mut seen = Vec::new();
    for clause in order_by {
        let o = parse_order_by(clause)?;
        let column = match (o.ident.entity, o.ident.key.as_str()) {
            (Entity::Attribute, "name") => "rm.name",
            (Entity::Attribute, "timestamp" | "last_updated_timestamp") => "rm.last_updated_time",
            (_, key) => {
                return Err(Error::invalid(format!(
                    "Invalid order by key '{key}' specified.Valid keys are '{{'name', 'timestamp'}}'"
                )))
            }
        };
        check_unique_order(&mut seen, column, order_by)?;
        terms.push(format!("{column}{}", if o.ascending { "" } else { " DESC" }));
    }
    if !seen.contains(&"rm.name") {
        terms.push("rm.name".into());
    }
    Ok(terms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_defaults_and_rejections() {
        assert_eq!(order_terms(&[]).unwrap(), vec!["rm.name"]);
        assert_eq!(order_terms(&["timestamp DESC".into()]).unwrap(), vec!["rm.last_updated_time DESC", "rm.name"]);
        assert_eq!(order_terms(&["name DESC".into()]).unwrap(), vec!["rm.name DESC"]);
        for bad in ["creation_timestamp", "tags.x", "name, name"] {
            assert!(order_terms(&[bad.into()]).is_err(), "{bad}");
        }
        assert!(order_terms(&["timestamp".into(), "last_updated_timestamp".into()]).is_err());
    }

    #[test]
    fn filters_validate_like_mlflow() {
        let q = |f: &str| search_registered_models_query(f, &[], 10, 0);
        for good in
            ["name = 'a'", "attribute.name ILIKE '%A%'", "name IN ('a', 'b')", "tags.t = 'x' AND tags.run.u LIKE 'y%'"]
        {
            assert!(q(good).is_ok(), "{good}");
        }
        for bad in [
            "run_id = 'x'",
            "name > 'a'",
            "tags.t IN ('a')",
            "metrics.m > 1",
            "name = 1",
            "tags.t IS NULL",
            "attr.name = 'a'",
            "run.name = 'a'",
        ] {
            assert!(q(bad).is_err(), "{bad}");
        }
    }
}
