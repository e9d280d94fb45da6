//! Tokens of MLflow's filter and order_by strings, a small SQL-like language: identifiers made of
//! dotted parts (bare, "double-quoted" or `back-quoted`), 'single-quoted' strings, numbers,
//! comparison operators, keywords, parentheses and commas.
//!
//! Quoted text is kept as written between its quotes, escapes included: MLflow strips only the
//! outer quotes of a value (`'it''s'` means the four characters `it''s` to it), and so do we.

use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Token {
    /// A bare word: an identifier part or a keyword (`AND`, `LIKE`, `IN`, …), as written.
    Word(String),
    /// `"…"`: a quoted identifier part, or a string value where a value is expected.
    DoubleQuoted(String),
    /// `` `…` ``: a quoted identifier part.
    BackQuoted(String),
    /// `'…'`: a string value.
    SingleQuoted(String),
    /// A numeric literal as written (`1`, `-0.5`, `1e-3`); `is_integer` when it has no `.`/exponent.
    Number {
        text: String,
        is_integer: bool,
    },
    /// `=`, `!=`, `<`, `<=`, `>`, `>=`.
    Operator(&'static str),
    Dot,
    Comma,
    LeftParen,
    RightParen,
}

impl Token {
    /// The token as the user wrote it, for error messages.
    pub(crate) fn display(&self) -> String {
        match self {
            Token::Word(w) => w.clone(),
            Token::DoubleQuoted(s) => format!("\"{s}\""),
            Token::BackQuoted(s) => format!("`{s}`"),
            Token::SingleQuoted(s) => format!("'{s}'"),
            Token::Number { text, .. } => text.clone(),
            Token::Operator(op) => (*op).to_string(),
            Token::Dot => ".".into(),
            Token::Comma => ",".into(),
            Token::LeftParen => "(".into(),
            Token::RightParen => ")".into(),
        }
    }

    /// Whether this is the keyword `kw` (keywords are case-insensitive).
    pub(crate) fn is_keyword(&self, kw: &str) -> bool {
        matches!(self, Token::Word(w) if w.eq_ignore_ascii_case(kw))
    }
}

/// A token and whether white space stood right before it (identifier parts must touch their dots).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Lexeme {
    pub token: Token,
    pub spaced: bool,
}

pub(crate) fn tokenize(input: &str) -> Result<Vec<Lexeme>> {
    let chars: Vec<char> = input.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let mut spaced = false;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            spaced = true;
            i += 1;
            continue;
        }
        let (token, next) = match c {
            '\'' | '"' | '`' => {
                let (text, next) = quoted(&chars, i, input)?;
                let token = match c {
                    '\'' => Token::SingleQuoted(text),
                    '"' => Token::DoubleQuoted(text),
                    _ => Token::BackQuoted(text),
                };
                (token, next)
            }
            '(' => (Token::LeftParen, i + 1),
            ')' => (Token::RightParen, i + 1),
            ',' => (Token::Comma, i + 1),
            '=' if chars.get(i + 1) == Some(&'=') => (Token::Operator("="), i + 2),
            '=' => (Token::Operator("="), i + 1),
            '!' if chars.get(i + 1) == Some(&'=') => (Token::Operator("!="), i + 2),
            '<' if chars.get(i + 1) == Some(&'=') => (Token::Operator("<="), i + 2),
            '<' => (Token::Operator("<"), i + 1),
            '>' if chars.get(i + 1) == Some(&'=') => (Token::Operator(">="), i + 2),
            '>' => (Token::Operator(">"), i + 1),
            '.' if chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()) && !ends_identifier_part(&out, spaced) => {
                number(&chars, i)
            }
            '.' => (Token::Dot, i + 1),
            '-' if chars.get(i + 1).is_some_and(|d| d.is_ascii_digit() || *d == '.') => number(&chars, i),
            d if d.is_ascii_digit() && !follows_identifier(&out, spaced) => number(&chars, i),
            w if is_word_char(w) => {
                let mut j = i;
                while j < chars.len() && is_word_char(chars[j]) {
                    j += 1;
                }
                (Token::Word(chars[i..j].iter().collect()), j)
            }
            other => {
                return Err(Error::invalid(format!(
                    "Invalid character '{other}' at position {i} in '{input}'. Quote keys that are not plain \
                     identifiers with backticks or double quotes (metrics.`my-key`), and string values with \
                     single or double quotes."
                )))
            }
        };
        out.push(Lexeme { token, spaced });
        spaced = false;
        i = next;
    }
    Ok(out)
}

/// `metrics.5` is a dot after a key part, `> .5` a number.
fn ends_identifier_part(out: &[Lexeme], spaced: bool) -> bool {
    !spaced
        && matches!(
            out.last(),
            Some(Lexeme { token: Token::Word(_) | Token::DoubleQuoted(_) | Token::BackQuoted(_), .. })
        )
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

/// A digit right after `metrics.` (no space) is part of a key such as `metrics.1st`, not a number.
fn follows_identifier(out: &[Lexeme], spaced: bool) -> bool {
    !spaced && matches!(out.last(), Some(Lexeme { token: Token::Dot, .. }))
}

fn quoted(chars: &[char], start: usize, input: &str) -> Result<(String, usize)> {
    let q = chars[start];
    let mut j = start + 1;
    while j < chars.len() {
        let c = chars[j];
        if c == '\\' && q != '`' {
            j += 2;
            continue;
        }
        if c == q {
            if chars.get(j + 1) == Some(&q) {
                j += 2;
                continue;
            }
            return Ok((chars[start + 1..j].iter().collect(), j + 1));
        }
        j += 1;
    }
    Err(Error::invalid(format!("Unterminated quoted text starting at position {start} in '{input}'")))
}

fn number(chars: &[char], start: usize) -> (Token, usize) {
    let mut j = start;
    if chars[j] == '-' {
        j += 1;
    }
    let mut is_integer = true;
    while j < chars.len() && chars[j].is_ascii_digit() {
        j += 1;
    }
    if j < chars.len() && chars[j] == '.' {
        is_integer = false;
        j += 1;
        while j < chars.len() && chars[j].is_ascii_digit() {
            j += 1;
        }
    }
    if j < chars.len() && (chars[j] == 'e' || chars[j] == 'E') {
        let mut k = j + 1;
        if k < chars.len() && (chars[k] == '-' || chars[k] == '+') {
            k += 1;
        }
        if k < chars.len() && chars[k].is_ascii_digit() {
            is_integer = false;
            j = k;
            while j < chars.len() && chars[j].is_ascii_digit() {
                j += 1;
            }
        }
    }
    (Token::Number { text: chars[start..j].iter().collect(), is_integer }, j)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(s: &str) -> Vec<Token> {
        tokenize(s).unwrap().into_iter().map(|l| l.token).collect()
    }

    #[test]
    fn splits_a_filter() {
        assert_eq!(
            tokens("metrics.`a b` <= -1.5e3 AND params.p = 'x''y'"),
            vec![
                Token::Word("metrics".into()),
                Token::Dot,
                Token::BackQuoted("a b".into()),
                Token::Operator("<="),
                Token::Number { text: "-1.5e3".into(), is_integer: false },
                Token::Word("AND".into()),
                Token::Word("params".into()),
                Token::Dot,
                Token::Word("p".into()),
                Token::Operator("="),
                Token::SingleQuoted("x''y".into()),
            ]
        );
    }

    #[test]
    fn digits_after_a_dot_belong_to_the_key() {
        assert_eq!(
            tokens("metrics.1st>2"),
            vec![
                Token::Word("metrics".into()),
                Token::Dot,
                Token::Word("1st".into()),
                Token::Operator(">"),
                Token::Number { text: "2".into(), is_integer: true },
            ]
        );
    }

    #[test]
    fn rejects_stray_characters_and_open_quotes() {
        assert!(tokenize("metrics.a-b < 1").is_err());
        assert!(tokenize("params.p = 'open").is_err());
    }
}
