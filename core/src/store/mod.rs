//! Stores: where tracking data lives. Today MLflow's sqlite database; the REST tracking server
//! joins behind the same operations later.

pub mod sqlite;
pub mod writes;

pub use sqlite::SqliteStore;
pub use writes::{RunWrite, WriteFailure, WriteItem};
