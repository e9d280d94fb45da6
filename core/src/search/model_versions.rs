//! search_model_versions as one parameterized query, with the semantics of MLflow's SQLAlchemy
//! registry store: attributes `name`, `run_id` (`= != LIKE ILIKE IN NOT IN`), `source_path`
//! (`= != LIKE ILIKE`), `version_number` (integer, `= != < <= > >=`), tags (`= != LIKE ILIKE`);
//! soft-deleted versions never match. Default order `last_updated_timestamp DESC, name ASC,
//! version_number DESC`; `name ASC` and `version DESC` are appended when not given.

use super::filter::{Comparator, Comparison, Entity, Operand, NUMERIC_COMPARATORS, STRING_COMPARATORS};
use super::operand::check_comparator;
use super::order_by::parse_order_by;
use super::registry_filter::{
    check_unique_order, exclude_prompts, invalid_entity, is_querying_prompts, parse_registry_filter, string_attribute,
    TagGroups,
};
use super::sql::SqlQuery;
use crate::error::{Error, Result};

const DEFAULT_ORDER: &[&str] = &["last_updated_timestamp DESC", "name ASC", "version_number DESC"];
const SOURCE_COMPARATORS: &[Comparator] = &[Comparator::Eq, Comparator::NotEq, Comparator::Like, Comparator::ILike];

/// The query selecting `(name, version)` of one page (plus one probe row).
pub fn search_model_versions_query(
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
            Entity::Attribute => attributes.push(attribute_condition(c)?),
            Entity::Tag => tags.add(c)?,
            other => return Err(invalid_entity(other)),
        }
    }
    let order = order_terms(order_by)?;
    let mut q = SqlQuery::default();
    q.push("SELECT mv.name, mv.version FROM model_versions mv WHERE mv.workspace = 'default'");
    q.push(" AND mv.current_stage != 'Deleted_Internal'");
    for a in attributes {
        q.push(" AND ").append(a);
    }
    if !is_querying_prompts(&comparisons) {
        tags.drop_prompt_key();
        exclude_prompts(&mut q, "mv.name", "model_version_tags");
    }
    if let Some(c) = tags.condition("model_version_tags", "t.name = mv.name AND t.version = mv.version")? {
        q.push(" AND ").append(c);
    }
    q.push(" ORDER BY ").push(&order.join(", "));
    q.push(" LIMIT ").bind(max_results.saturating_add(1)).push(" OFFSET ").bind(offset);
    Ok(q)
}

fn attribute_condition(c: &Comparison) -> Result<SqlQuery> {
    match c.ident.key.as_str() {
        "name" => string_attribute(c, "mv.name", STRING_COMPARATORS),
        "run_id" => string_attribute(c, "mv.run_id", STRING_COMPARATORS),
        "source_path" => string_attribute(c, "mv.source", SOURCE_COMPARATORS),
        "version_number" => {
            check_comparator(c, NUMERIC_COMPARATORS)?;
            let bad = |v: &str| Error::invalid(format!("Invalid value for numeric attribute 'version_number': {v}"));
            let version: i64 = match &c.operand {
                Operand::Number { text, is_integer: true } => text.parse().map_err(|_| bad(text))?,
                Operand::Number { text, .. } => return Err(bad(text)),
                Operand::Text(text) => text.trim().parse().map_err(|_| bad(&format!("'{text}'")))?,
                other => return Err(bad(&format!("{other:?}"))),
            };
            let mut q = SqlQuery::default();
            q.compare("mv.version", c.comparator, version);
            Ok(q)
        }
        other => Err(Error::invalid(format!("Invalid attribute name: {other}"))),
    }
}

fn order_terms(order_by: &[String]) -> Result<Vec<String>> {
    let clauses: Vec<String> =
        if order_by.is_empty() { DEFAULT_ORDER.iter().map(|s| s.to_string()).collect() } else { order_by.to_vec() };
    let mut terms = Vec::new();
    let mut seen = Vec::new();
    for clause in &clauses {
        let o = parse_order_by(clause)?;
        let column = match (o.ident.entity, o.ident.key.as_str()) {
            (Entity::Attribute, "name") => "mv.name",
            (Entity::Attribute, "version_number") => "mv.version",
            (Entity::Attribute, "creation_timestamp") => "mv.creation_time",
            (Entity::Attribute, "last_updated_timestamp") => "mv.last_updated_time",
            (_, key) => {
                return Err(Error::invalid(format!(
                    "Invalid order by key '{key}' specified. Valid keys are {{'name', 'version_number', \
                     'creation_timestamp', 'last_updated_timestamp'}}"
                )))
            }
        };
        check_unique_order(&mut seen, column, order_by)?;
        terms.push(format!("{column}{}", if o.ascending { "" } else { " DESC" }));
    }
    if !seen.contains(&"mv.name") {
        terms.push("mv.name".into());
    }
    if !seen.contains(&"mv.version") {
        terms.push("mv.version DESC".into());
    }
    Ok(terms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_defaults_and_tie_breaks() {
        assert_eq!(order_terms(&[]).unwrap(), vec!["mv.last_updated_time DESC", "mv.name", "mv.version DESC"]);
        assert_eq!(
            order_terms(&["creation_timestamp".into()]).unwrap(),
            vec!["mv.creation_time", "mv.name", "mv.version DESC"]
        );
        assert!(order_terms(&["run_id".into()]).is_err());
        assert!(order_terms(&["name".into(), "name DESC".into()]).is_err());
    }

    #[test]
    fn filters_validate_like_mlflow() {
        let q = |f: &str| search_model_versions_query(f, &[], 10, 0);
        for good in [
            "name = 'a'",
            "run_id IN ('r1', 'r2')",
            "source_path LIKE 'runs:/%'",
            "version_number >= 2",
            "tags.t != 'x'",
        ] {
            assert!(q(good).is_ok(), "{good}");
        }
        for bad in
            ["source_path IN ('a')", "version_number = 1.5", "version_number LIKE '1'", "stage = 'x'", "params.p = 'a'"]
        {
            assert!(q(bad).is_err(), "{bad}");
        }
    }
}
