//! What a comparison's right-hand side must be for its identifier, with MLflow's messages when
//! it is not: numbers for metrics and numeric attributes, quoted strings for the rest, lists of
//! quoted strings for `IN` / `NOT IN`.

use rusqlite::types::Value;

use super::filter::{Comparator, Comparison, Operand};
use super::sql::SqlQuery;
use crate::error::{Error, Result};

impl Operand {
    /// A quoted string, for params, tags and string attributes.
    pub(crate) fn text(&self, what: &str) -> Result<&str> {
        match self {
            Operand::Text(s) => Ok(s),
            Operand::Unquoted(w) => Err(Error::invalid(format!(
                "Parameter value is either not quoted or unidentified quote types used for string value {w}. Use \
                 either single or double quotes."
            ))),
            Operand::Number { text, .. } => Err(Error::invalid(format!(
                "Expected a quoted string value for {what} (e.g. 'my-value'). Got value {text}"
            ))),
            Operand::List(_) | Operand::None => {
                Err(Error::invalid(format!("Expected a quoted string value for {what} (e.g. 'my-value').")))
            }
        }
    }

    /// A numeric literal: an integer stays an integer (exact for millisecond timestamps).
    pub(crate) fn number(&self, what: &str) -> Result<Value> {
        let parsed = match self {
            Operand::Number { text, is_integer: true } => text.parse::<i64>().ok().map(Value::Integer),
            Operand::Number { text, .. } => text.parse::<f64>().ok().map(Value::Real),
            _ => None,
        };
        parsed.ok_or_else(|| {
            let found = match self {
                Operand::Number { text, .. } | Operand::Unquoted(text) => text.clone(),
                Operand::Text(s) => format!("'{s}'"),
                Operand::List(items) => format!("{items:?}"),
                Operand::None => "nothing".into(),
            };
            Error::invalid(format!("Expected numeric value type for {what}. Found {found}"))
        })
    }
}

/// Checks that `c`'s comparator is one of `allowed` (MLflow's "Invalid comparator" error).
pub(crate) fn check_comparator(c: &Comparison, allowed: &[Comparator]) -> Result<()> {
    if allowed.contains(&c.comparator) {
        return Ok(());
    }
    let names: Vec<&str> = allowed.iter().map(|a| a.as_str()).collect();
    Err(Error::invalid(format!(
        "Invalid comparator '{}' for {} '{}': expected one of {}",
        c.comparator.as_str(),
        c.ident.entity.name(),
        c.ident.key,
        names.join(", ")
    )))
}

/// `column <comparator> <string or list>` for string-valued comparisons, including `IN` lists.
pub(crate) fn compare_text(q: &mut SqlQuery, column: &str, c: &Comparison, what: &str) -> Result<()> {
    match (&c.comparator, &c.operand) {
        (Comparator::In | Comparator::NotIn, Operand::List(items)) => {
            q.push(&format!("{column} {} ", c.comparator.as_str())).bind_list(items.iter().cloned());
        }
        (Comparator::In | Comparator::NotIn, _) => {
            return Err(Error::invalid(format!(
                "{} needs a parenthesised list of quoted strings, such as ('a', 'b')",
                c.comparator.as_str()
            )))
        }
        (_, Operand::List(_)) => {
            return Err(Error::invalid(format!(
                "Only IN and NOT IN compare {what} '{}' with a list of values",
                c.ident.key
            )))
        }
        (comparator, operand) => {
            q.compare(column, *comparator, operand.text(what)?.to_string());
        }
    }
    Ok(())
}

/// A condition on a key/value table row for the entity (params, tags, experiment tags):
/// `exists` is `EXISTS (SELECT 1 FROM <table> e WHERE <owner match> AND e.key = ` and the key is
/// bound after it. `IS NULL` means no such key; the other comparators test `e.value`.
pub(crate) fn key_value_condition(q: &mut SqlQuery, exists: &str, c: &Comparison, what: &str) -> Result<()> {
    match c.comparator {
        Comparator::IsNull => {
            q.push("NOT ").push(exists).bind(c.ident.key.clone()).push(")");
        }
        Comparator::IsNotNull => {
            q.push(exists).bind(c.ident.key.clone()).push(")");
        }
        _ => {
            q.push(exists).bind(c.ident.key.clone()).push(" AND ");
            compare_text(q, "e.value", c, what)?;
            q.push(")");
        }
    }
    Ok(())
}
