//! One `order_by` clause: `<identifier> [ASC|DESC]` (ASC by default, keywords case-insensitive),
//! with the identifier written as in filters (``metrics.`val loss` DESC``).

use super::filter::{parse_identifier_tokens, Identifier};
use super::lexer::tokenize;
use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OrderBy {
    pub ident: Identifier,
    pub ascending: bool,
}

pub(crate) fn parse_order_by(clause: &str) -> Result<OrderBy> {
    let mut lexemes = tokenize(clause)?;
    let invalid = || Error::invalid(format!("Invalid order_by clause '{clause}'. Could not be parsed."));
    let mut ascending = true;
    if let Some(last) = lexemes.last() {
        if lexemes.len() > 1 && last.spaced {
            if last.token.is_keyword("DESC") {
                ascending = false;
                lexemes.pop();
            } else if last.token.is_keyword("ASC") {
                lexemes.pop();
            }
        }
    }
    if lexemes.is_empty() {
        return Err(invalid());
    }
    let ident = parse_identifier_tokens(&lexemes, clause).map_err(|e| {
        if e.message().starts_with("Invalid entity type") {
            e
        } else {
            invalid()
        }
    })?;
    Ok(OrderBy { ident, ascending })
}

#[cfg(test)]
mod tests {
    use super::super::filter::Entity;
    use super::*;

    #[test]
    fn parses_direction_and_quoted_keys() {
        let o = parse_order_by("metrics.`val loss` desc").unwrap();
        assert_eq!((o.ident.entity, o.ident.key.as_str(), o.ascending), (Entity::Metric, "val loss", false));
        let o = parse_order_by("start_time").unwrap();
        assert_eq!((o.ident.entity, o.ident.key.as_str(), o.ascending), (Entity::Attribute, "start_time", true));
        assert!(parse_order_by("params.lr ASC").unwrap().ascending);
    }

    #[test]
    fn rejects_garbage() {
        for bad in ["", "metrics.a sideways", "metrics.a DESC DESC", "foo.bar", "metrics.a, metrics.b"] {
            assert!(parse_order_by(bad).is_err(), "{bad}");
        }
    }
}
