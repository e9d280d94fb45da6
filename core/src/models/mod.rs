//! MLflow models on disk: the `MLmodel` descriptor, signatures, and the YAML/JSON text forms MLflow
//! (Python) writes, reproduced byte for byte so MLflow 3.17.2 reads our models as its own; the model
//! builder (flavors, environment files, input examples) and the checks run before logging.

pub mod builder;
pub mod check;
pub mod env;
pub mod example;
pub mod flavors;
pub mod json;
pub mod mlmodel;
pub mod pyrepr;
pub mod signature;
pub mod yaml;

pub use builder::{ModelBuilder, ModelSpec, SignatureSpec};
pub use check::{stamp_logged, validate_model_dir};
pub use example::{ExampleData, InputExample};
pub use flavors::{FlavorKind, KNOWN_FLAVORS};
pub use json::{mlmodel_to_json, save_model_from_spec_json};
pub use mlmodel::{Flavor, MlModel, MLMODEL_FILE_NAME};
pub use signature::{ColSpec, ColType, DataType, ModelSignature, ParamSpec, Property, Schema, TensorSpec};
pub use yaml::YamlValue;

/// The MLflow version whose files we write (`mlflow_version`, the `mlflow==` requirement).
pub const MLFLOW_VERSION: &str = "3.17.2";
