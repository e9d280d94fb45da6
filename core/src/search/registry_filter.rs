//! What the registry searches share (MLflow's `_get_search_…_filter_query`): attribute and tag
//! clauses only, tag clauses grouped per key (every key must match on the same model or version),
//! and prompts (`mlflow.prompt.is_prompt = 'true'` tagged names) left out unless asked for.

use super::filter::{parse_filter, Comparator, Comparison, Entity};
use super::lexer::{tokenize, Token};
use super::operand::{check_comparator, compare_text};
use super::sql::SqlQuery;
use crate::error::{Error, Result};

pub(super) const IS_PROMPT_TAG_KEY: &str = "mlflow.prompt.is_prompt";

const TAG_COMPARATORS: &[Comparator] = &[Comparator::Eq, Comparator::NotEq, Comparator::Like, Comparator::ILike];

/// The tag clauses of a filter grouped by key, in first-seen order.
pub(super) struct TagGroups(Vec<(String, Vec<Comparison>)>);

impl TagGroups {
    pub(super) fn new() -> Self {
        TagGroups(Vec::new())
    }

    pub(super) fn add(&mut self, c: &Comparison) -> Result<()> {
        check_comparator(c, TAG_COMPARATORS)?;
        match self.0.iter_mut().find(|(k, _)| *k == c.ident.key) {
            Some((_, group)) => group.push(c.clone()),
            None => self.0.push((c.ident.key.clone(), vec![c.clone()])),
        }
        Ok(())
    }

    /// MLflow drops the prompt tag's own clause when it is not selecting prompts (the anti-join
    /// already decides on it).
    pub(super) fn drop_prompt_key(&mut self) {
        self.0.retain(|(k, _)| k != IS_PROMPT_TAG_KEY);
    }

    /// `N = (SELECT count(*) FROM <tags> t WHERE <owner match> AND ((t.key = ? AND …) OR …))`:
    /// every key's group matched by one tag row of the same owner. `owner` ends with `AND`-able text.
    pub(super) fn condition(&self, tags_table: &str, owner: &str) -> Result<Option<SqlQuery>> {
        if self.0.is_empty() {
            return Ok(None);
        }
        let mut q = SqlQuery::default();
        q.push("(SELECT count(*) FROM ").push(tags_table).push(" t WHERE t.workspace = 'default' AND ");
        q.push(owner).push(" AND (");
        for (i, (key, group)) in self.0.iter().enumerate() {
            if i > 0 {
                q.push(" OR ");
            }
            q.push("(t.key = ").bind(key.clone());
            for c in group {
                q.push(" AND ");
                compare_text(&mut q, "t.value", c, "tag")?;
            }
            q.push(")");
        }
        q.push(&format!(")) = {}", self.0.len()));
        Ok(Some(q))
    }
}

/// Whether the filter selects prompts (`tags.mlflow.prompt.is_prompt = 'true'` or `!= 'false'`).
pub(super) fn is_querying_prompts(comparisons: &[Comparison]) -> bool {
    let Some(c) = comparisons.iter().find(|c| c.ident.entity == Entity::Tag && c.ident.key == IS_PROMPT_TAG_KEY) else {
        return false;
    };
    let value = match &c.operand {
        super::filter::Operand::Text(v) => v.to_ascii_lowercase(),
        _ => return false,
    };
    (c.comparator == Comparator::Eq && value == "true") || (c.comparator == Comparator::NotEq && value == "false")
}

/// `AND <column> NOT IN (names tagged as prompts)`.
pub(super) fn exclude_prompts(q: &mut SqlQuery, column: &str, tags_table: &str) {
    q.push(&format!(
        " AND {column} NOT IN (SELECT p.name FROM {tags_table} p WHERE p.workspace = 'default' AND p.key = "
    ))
    .bind(IS_PROMPT_TAG_KEY.to_string())
    .push(" AND p.value = 'true')");
}

/// Parses a registry filter. The shared parser also takes `attr.`, `attributes.` and `run.` as
/// attribute prefixes (as run search does); the registry searches accept only `attribute.`,
/// `tag.` and `tags.`, so those spellings are refused here with MLflow's message.
pub(super) fn parse_registry_filter(filter: &str) -> Result<Vec<Comparison>> {
    let lexemes = tokenize(filter)?;
    for (i, l) in lexemes.iter().enumerate() {
        let starts_identifier = i == 0 || !matches!(lexemes[i - 1].token, Token::Dot);
        let before_dot = matches!(lexemes.get(i + 1).map(|n| &n.token), Some(Token::Dot));
        if let (Token::Word(word), true, true) = (&l.token, starts_identifier, before_dot) {
            if matches!(word.as_str(), "attr" | "attributes" | "run") {
                return Err(Error::invalid(format!(
                    "Invalid entity type '{word}'. Valid entity types are ('attribute', 'tag', 'tags')"
                )));
            }
        }
    }
    parse_filter(filter)
}

pub(super) fn invalid_entity(entity: Entity) -> Error {
    Error::invalid(format!(
        "Invalid entity type '{}'. Valid entity types are ('attribute', 'tag', 'tags')",
        entity.name()
    ))
}

/// `column <comparator> 'text'` (or an `IN` list) for a string attribute.
pub(super) fn string_attribute(c: &Comparison, column: &str, allowed: &[Comparator]) -> Result<SqlQuery> {
    check_comparator(c, allowed)?;
    let mut q = SqlQuery::default();
    compare_text(&mut q, column, c, "attributes")?;
    Ok(q)
}

/// Rejects an order_by key given twice (MLflow: "`order_by` contains duplicate fields").
pub(super) fn check_unique_order(
    seen: &mut Vec<&'static str>,
    column: &'static str,
    order_by: &[String],
) -> Result<()> {
    if seen.contains(&column) {
        return Err(Error::invalid(format!("`order_by` contains duplicate fields: {order_by:?}")));
    }
    seen.push(column);
    Ok(())
}
