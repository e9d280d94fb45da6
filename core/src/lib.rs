//! libmlflow's engine: MLflow tracking on MLflow's own sqlite store, shared by every binding.

pub mod context;
pub mod entities;
pub mod error;
pub mod names;
pub mod search;

pub use entities::*;
pub use error::{Error, ErrorKind, Result};
