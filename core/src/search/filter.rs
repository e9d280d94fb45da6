//! MLflow's filter grammar, parsed into comparisons: `<identifier> <comparator> <value>` joined by
//! `AND` only (MLflow rejects `OR`, `NOT` and grouping parentheses), where the identifier is
//! `<type>.<key>` (no type means an attribute) and the value is a number, a quoted string or a
//! parenthesised list of quoted strings (for `IN` / `NOT IN`). `IS NULL` / `IS NOT NULL` take no
//! value. What each entity type allows is checked by the run and experiment query builders.

use super::lexer::{tokenize, Lexeme, Token};
use crate::error::{Error, Result};

/// The entity an identifier names, after MLflow's aliases (`metrics` → metric, `params`/`param`/
/// `parameters` → param, `tags` → tag, `attr`/`attributes`/`run` → attribute, `datasets` → dataset).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Entity {
    Metric,
    Param,
    Tag,
    Attribute,
    Dataset,
}

impl Entity {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Entity::Metric => "metric",
            Entity::Param => "parameter",
            Entity::Tag => "tag",
            Entity::Attribute => "attribute",
            Entity::Dataset => "dataset",
        }
    }

    fn parse(word: &str) -> Result<Self> {
        Ok(match word {
            "metric" | "metrics" => Entity::Metric,
            "parameter" | "parameters" | "param" | "params" => Entity::Param,
            "tag" | "tags" => Entity::Tag,
            "attribute" | "attributes" | "attr" | "run" => Entity::Attribute,
            "dataset" | "datasets" => Entity::Dataset,
            other => {
                return Err(Error::invalid(format!(
                    "Invalid entity type '{other}'. Valid values are ['metric', 'parameter', 'tag', 'attribute', \
                     'dataset'] (or their plurals)"
                )))
            }
        })
    }
}

/// A parsed identifier: the entity and the key with its quotes removed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Identifier {
    pub entity: Entity,
    pub key: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Comparator {
    Eq,
    NotEq,
    Less,
    LessEq,
    Greater,
    GreaterEq,
    Like,
    ILike,
    In,
    NotIn,
    IsNull,
    IsNotNull,
}

impl Comparator {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Comparator::Eq => "=",
            Comparator::NotEq => "!=",
            Comparator::Less => "<",
            Comparator::LessEq => "<=",
            Comparator::Greater => ">",
            Comparator::GreaterEq => ">=",
            Comparator::Like => "LIKE",
            Comparator::ILike => "ILIKE",
            Comparator::In => "IN",
            Comparator::NotIn => "NOT IN",
            Comparator::IsNull => "IS NULL",
            Comparator::IsNotNull => "IS NOT NULL",
        }
    }
}

/// `= != < <= > >=`: how numbers (metrics, numeric attributes) may be compared.
pub(crate) const NUMERIC_COMPARATORS: &[Comparator] = &[
    Comparator::Eq,
    Comparator::NotEq,
    Comparator::Less,
    Comparator::LessEq,
    Comparator::Greater,
    Comparator::GreaterEq,
];

/// `= != LIKE ILIKE IN NOT IN`: how string attributes may be compared.
pub(crate) const STRING_COMPARATORS: &[Comparator] =
    &[Comparator::Eq, Comparator::NotEq, Comparator::Like, Comparator::ILike, Comparator::In, Comparator::NotIn];

/// The right-hand side as written: MLflow decides by the identifier's type which forms it accepts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Operand {
    /// `'…'` or `"…"`, quotes removed.
    Text(String),
    /// A numeric literal, as written.
    Number { text: String, is_integer: bool },
    /// A bare word where a value belongs (MLflow: "not quoted").
    Unquoted(String),
    /// `('a', "b")`: the quoted strings of a list.
    List(Vec<String>),
    /// `IS NULL` / `IS NOT NULL` take none.
    None,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Comparison {
    pub ident: Identifier,
    pub comparator: Comparator,
    pub operand: Operand,
}

/// Parses a whole filter; empty or blank means no filter.
pub(crate) fn parse_filter(filter: &str) -> Result<Vec<Comparison>> {
    let lexemes = tokenize(filter)?;
    let mut p = Parser { lexemes: &lexemes, pos: 0, filter };
    let mut out = Vec::new();
    if lexemes.is_empty() {
        return Ok(out);
    }
    loop {
        out.push(p.comparison()?);
        match p.next() {
            None => return Ok(out),
            Some(t) if t.is_keyword("AND") => {}
            Some(t) => {
                return Err(Error::invalid(format!(
                    "Invalid clause(s) in filter string: '{}'. Only comparisons joined by AND are supported.",
                    t.display()
                )))
            }
        }
    }
}

/// Parses an identifier that makes up the whole of `text` (the key of an order_by clause).
pub(crate) fn parse_identifier_tokens(lexemes: &[Lexeme], whole: &str) -> Result<Identifier> {
    let mut p = Parser { lexemes, pos: 0, filter: whole };
    let ident = p.identifier()?;
    if p.pos != lexemes.len() {
        return Err(Error::invalid(format!("Invalid order_by clause '{whole}'. Could not be parsed.")));
    }
    Ok(ident)
}

struct Parser<'a> {
    lexemes: &'a [Lexeme],
    pos: usize,
    filter: &'a str,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.lexemes.get(self.pos).map(|l| &l.token)
    }

    fn next(&mut self) -> Option<&Token> {
        let t = self.lexemes.get(self.pos).map(|l| &l.token);
        self.pos += 1;
        t
    }

    fn comparison(&mut self) -> Result<Comparison> {
        let ident = self.identifier()?;
        let comparator = self.comparator()?;
        let operand = match comparator {
            Comparator::IsNull | Comparator::IsNotNull => Operand::None,
            Comparator::In | Comparator::NotIn => self.list()?,
            _ => self.value()?,
        };
        Ok(Comparison { ident, comparator, operand })
    }

    /// `part(.part)*` with parts touching their dots. MLflow splits at the first dot: the part
    /// before names the entity, everything after is the key (`tags.mlflow.runName`).
    fn identifier(&mut self) -> Result<Identifier> {
        let start = self.pos;
        let mut parts: Vec<&Token> = Vec::new();
        loop {
            match self.lexemes.get(self.pos) {
                Some(Lexeme {
                    token: t @ (Token::Word(_) | Token::DoubleQuoted(_) | Token::BackQuoted(_)),
                    spaced,
                }) if parts.is_empty() || !spaced => {
                    if t.is_keyword("AND") && parts.is_empty() {
                        break;
                    }
                    parts.push(t);
                    self.pos += 1;
                }
                _ => break,
            }
            match self.lexemes.get(self.pos) {
                Some(Lexeme { token: Token::Dot, spaced: false }) => self.pos += 1,
                _ => break,
            }
        }
        if parts.is_empty() || self.lexemes.get(self.pos.wrapping_sub(1)).is_some_and(|l| l.token == Token::Dot) {
            let found = self.lexemes.get(start).map(|l| l.token.display()).unwrap_or_else(|| "end of filter".into());
            return Err(Error::invalid(format!(
                "Invalid comparison clause in '{}'. Expected 'Identifier' (such as metrics.loss, params.`my-key`) \
                 found '{found}'",
                self.filter
            )));
        }
        if parts.len() == 1 {
            return Ok(Identifier { entity: Entity::Attribute, key: unquote(parts[0]) });
        }
        let entity = Entity::parse(&unquote(parts[0]))?;
        // A key quoted as a whole loses its quotes; a dotted bare key keeps its dots.
        let key = if parts.len() == 2 {
            unquote(parts[1])
        } else {
            parts[1..].iter().map(|t| unquote(t)).collect::<Vec<_>>().join(".")
        };
        Ok(Identifier { entity, key })
    }

    fn comparator(&mut self) -> Result<Comparator> {
        let filter = self.filter;
        let found = self.next().cloned();
        let bad = |found: Option<Token>| {
            Error::invalid(format!(
                "Invalid comparison clause in '{filter}'. Expected a comparator (=, !=, <, <=, >, >=, LIKE, ILIKE, \
                 IN, NOT IN, IS NULL, IS NOT NULL) found '{}'",
                found.map(|t| t.display()).unwrap_or_else(|| "end of filter".into())
            ))
        };
        Ok(match found {
            Some(Token::Operator(op)) => match op {
                "=" => Comparator::Eq,
                "!=" => Comparator::NotEq,
                "<" => Comparator::Less,
                "<=" => Comparator::LessEq,
                ">" => Comparator::Greater,
                _ => Comparator::GreaterEq,
            },
            Some(t) if t.is_keyword("LIKE") => Comparator::Like,
            Some(t) if t.is_keyword("ILIKE") => Comparator::ILike,
            Some(t) if t.is_keyword("IN") => Comparator::In,
            Some(t) if t.is_keyword("NOT") => match self.next() {
                Some(t) if t.is_keyword("IN") => Comparator::NotIn,
                other => return Err(bad(other.cloned())),
            },
            Some(t) if t.is_keyword("IS") => {
                let negated = self.peek().is_some_and(|t| t.is_keyword("NOT"));
                if negated {
                    self.pos += 1;
                }
                match self.next() {
                    Some(t) if t.is_keyword("NULL") => {
                        if negated {
                            Comparator::IsNotNull
                        } else {
                            Comparator::IsNull
                        }
                    }
                    other => return Err(bad(other.cloned())),
                }
            }
            other => return Err(bad(other)),
        })
    }

    fn value(&mut self) -> Result<Operand> {
        let filter = self.filter;
        Ok(match self.next() {
            Some(Token::SingleQuoted(s)) | Some(Token::DoubleQuoted(s)) => Operand::Text(s.clone()),
            Some(Token::Number { text, is_integer }) => Operand::Number { text: text.clone(), is_integer: *is_integer },
            Some(Token::Word(w)) if !w.eq_ignore_ascii_case("AND") => Operand::Unquoted(w.clone()),
            Some(Token::LeftParen) => {
                self.pos -= 1;
                self.list()?
            }
            other => {
                return Err(Error::invalid(format!(
                    "Invalid comparison clause in '{filter}'. Expected a value found '{}'",
                    other.map(|t| t.display()).unwrap_or_else(|| "end of filter".into())
                )))
            }
        })
    }

    /// `( 'a', "b", … )`: a non-empty list of quoted strings (a trailing comma is allowed, as in
    /// the Python tuple literal MLflow evaluates).
    fn list(&mut self) -> Result<Operand> {
        let ill_formed = || {
            Error::invalid(
                "While parsing a list in the query, expected a non-empty list of string values, but got ill-formed \
                 list.",
            )
        };
        if self.next() != Some(&Token::LeftParen) {
            return Err(ill_formed());
        }
        let mut items = Vec::new();
        loop {
            match self.next() {
                Some(Token::SingleQuoted(s)) | Some(Token::DoubleQuoted(s)) => items.push(s.clone()),
                Some(Token::RightParen) if items.is_empty() => {
                    return Err(Error::invalid(
                        "While parsing a list in the query, expected a non-empty list of string values, but got \
                         empty list",
                    ))
                }
                Some(Token::RightParen) => break,
                Some(Token::Number { .. }) => {
                    return Err(Error::invalid(
                        "While parsing a list in the query, expected string value, punctuation, or whitespace, \
                         but got a number",
                    ))
                }
                _ => return Err(ill_formed()),
            }
            match self.next() {
                Some(Token::Comma) => {
                    if self.peek() == Some(&Token::RightParen) {
                        self.pos += 1;
                        break;
                    }
                }
                Some(Token::RightParen) => break,
                _ => return Err(ill_formed()),
            }
        }
        Ok(Operand::List(items))
    }
}

fn unquote(t: &Token) -> String {
    match t {
        Token::Word(w) => w.clone(),
        Token::DoubleQuoted(s) | Token::BackQuoted(s) => s.clone(),
        other => other.display(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(filter: &str) -> Comparison {
        let mut v = parse_filter(filter).unwrap();
        assert_eq!(v.len(), 1, "{filter}");
        v.remove(0)
    }

    #[test]
    fn identifiers_follow_mlflow_aliases_and_quoting() {
        let c = one("metrics.`val loss` < 0.5");
        assert_eq!(c.ident, Identifier { entity: Entity::Metric, key: "val loss".into() });
        assert_eq!(c.operand, Operand::Number { text: "0.5".into(), is_integer: false });
        assert_eq!(one("params.\"my-param\" = 'a'").ident.key, "my-param");
        assert_eq!(one("tags.mlflow.runName = 'r'").ident.key, "mlflow.runName");
        assert_eq!(one("tags.`mlflow.runName` = 'r'").ident.key, "mlflow.runName");
        assert_eq!(one("`params`.lr = '1'").ident.entity, Entity::Param);
        assert_eq!(one("status = 'FINISHED'").ident, Identifier { entity: Entity::Attribute, key: "status".into() });
        assert_eq!(one("attributes.`Run name` = 'x'").ident.key, "Run name");
    }

    #[test]
    fn comparators_and_values() {
        assert_eq!(one("params.p like '%a'").comparator, Comparator::Like);
        assert_eq!(one("params.p ILIKE \"%a\"").operand, Operand::Text("%a".into()));
        let c = one("attributes.run_id NOT IN ('a', \"b\",)");
        assert_eq!((c.comparator, c.operand), (Comparator::NotIn, Operand::List(vec!["a".into(), "b".into()])));
        assert_eq!(one("tags.t IS NOT NULL").comparator, Comparator::IsNotNull);
        assert_eq!(one("tags.t is null").operand, Operand::None);
        assert_eq!(one("params.p = adam").operand, Operand::Unquoted("adam".into()));
        assert_eq!(parse_filter("metrics.a > 1 and params.b = 'x' AND tags.c != 'y'").unwrap().len(), 3);
        assert!(parse_filter("  ").unwrap().is_empty());
    }

    #[test]
    fn rejects_what_mlflow_rejects() {
        for bad in [
            "metrics.a > 1 OR metrics.b > 1",
            "(metrics.a > 1)",
            "metrics.a > ",
            "metrics.a 1",
            "'x' = params.p",
            "foo.bar = 'x'",
            "attributes.run_id IN ()",
            "attributes.run_id IN (1, 2)",
            "metrics. a > 1",
            "metrics.a > 1 AND",
        ] {
            assert!(parse_filter(bad).is_err(), "{bad} should be rejected");
        }
    }
}
