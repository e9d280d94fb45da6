//! A piece of SQL with its bound values, so query builders compose text and parameters in the
//! same order and never paste a user's value into the text.

use rusqlite::types::Value;

use super::filter::Comparator;

#[derive(Debug, Default, Clone)]
pub struct SqlQuery {
    pub sql: String,
    pub params: Vec<Value>,
}

impl SqlQuery {
    pub(crate) fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    /// Appends a `?` bound to `value`.
    pub(crate) fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.sql.push('?');
        self.params.push(value.into());
        self
    }

    /// Appends `(?, ?, …)` bound to `values`.
    pub(crate) fn bind_list<V: Into<Value>>(&mut self, values: impl IntoIterator<Item = V>) -> &mut Self {
        self.sql.push('(');
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.sql.push_str(", ");
            }
            self.bind(v);
        }
        self.sql.push(')');
        self
    }

    pub(crate) fn append(&mut self, other: SqlQuery) -> &mut Self {
        self.sql.push_str(&other.sql);
        self.params.extend(other.params);
        self
    }

    /// `column <comparator> value` for the scalar comparators, the way MLflow's SQLAlchemy store
    /// writes them for SQLite: LIKE is case-sensitive (the connection sets `case_sensitive_like`),
    /// ILIKE compares `lower()` of both sides.
    pub(crate) fn compare(&mut self, column: &str, comparator: Comparator, value: impl Into<Value>) -> &mut Self {
        match comparator {
            Comparator::ILike => {
                self.push(&format!("lower({column}) LIKE lower(")).bind(value).push(")");
            }
            other => {
                self.push(&format!("{column} {} ", other.as_str())).bind(value);
            }
        }
        self
    }
}
