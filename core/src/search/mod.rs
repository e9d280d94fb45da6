//! MLflow's search: the filter grammar (`metrics.loss < 0.5 AND params.opt = 'adam'`), order_by
//! clauses and page tokens, translated into parameterized SQL over MLflow's own tables. Values
//! are always bound, never pasted into the SQL text.
//!
//! `lexer` → `filter` / `order_by` (syntax, shared) → `runs` / `experiments` (what each search
//! allows, and its SQL); `operand` checks right-hand sides, `sql` composes text with bindings.

mod experiments;
mod filter;
mod lexer;
pub mod logged_models;
mod model_versions;
mod operand;
mod order_by;
pub mod page_token;
mod registered_models;
mod registry_filter;
mod runs;
mod sql;

pub use experiments::search_experiments_query;
pub use logged_models::search_logged_models_query;
pub use model_versions::search_model_versions_query;
pub use registered_models::search_registered_models_query;
pub use runs::search_runs_query;
pub use sql::SqlQuery;
