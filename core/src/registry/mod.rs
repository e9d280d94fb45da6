//! The model registry: registered models, their numbered versions, stages and aliases, and the
//! `models:/` URIs that name them. The stores ([`crate::store::RegistryStore`]) keep them;
//! this module holds what both stores and every binding share.

pub mod entities;
pub mod models_uri;
pub mod stage;

pub use entities::*;
pub use models_uri::{split_models_uri, ModelsUri};
pub use stage::Stage;
