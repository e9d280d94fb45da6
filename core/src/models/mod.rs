//! MLflow models on disk: the `MLmodel` descriptor, signatures, and the YAML/JSON text forms MLflow
//! (Python) writes, reproduced byte for byte so MLflow 3.17.2 reads our models as its own.

pub mod mlmodel;
pub mod pyrepr;
pub mod signature;
pub mod yaml;

pub use mlmodel::{Flavor, MlModel, MLMODEL_FILE_NAME};
pub use signature::{ColSpec, ColType, DataType, ModelSignature, ParamSpec, Property, Schema, TensorSpec};
pub use yaml::YamlValue;

/// The MLflow version whose files we write (`mlflow_version`, the `mlflow==` requirement).
pub const MLFLOW_VERSION: &str = "3.17.2";
