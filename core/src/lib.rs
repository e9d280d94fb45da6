//! libmlflow's engine: MLflow tracking on MLflow's own sqlite store, shared by every binding.

pub mod artifacts;
pub mod batcher;
pub mod client;
mod client_registry;
pub mod context;
pub mod entities;
pub mod error;
mod exit;
pub mod json_api;
pub mod log_model;
pub mod logged_model;
pub mod models;
pub mod names;
pub mod projects;
pub mod registry;
mod remote;
pub mod search;
pub mod spool;

pub use entities::*;
pub use error::{Error, ErrorKind, Result};
pub mod store;
pub mod tracking_uri;
pub mod util;
pub mod validation;

pub use batcher::{CloseReport, Overflow};
pub use client::{ActiveRun, Client, ClientOptions, StartRun};
