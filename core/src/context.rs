//! TEMP stub
use crate::entities::RunTag;
#[derive(Debug, Clone, Default)]
pub struct RunContext {
    pub user: String,
    pub source_name: String,
    pub source_type: String,
    pub git_commit: Option<String>,
}
impl RunContext {
    pub fn detect() -> Self {
        RunContext {
            user: std::env::var("USER").unwrap_or("unknown".into()),
            source_name: std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_default(),
            source_type: "LOCAL".into(),
            git_commit: None,
        }
    }
    pub fn with_source_name(mut self, s: impl Into<String>) -> Self {
        self.source_name = s.into();
        self
    }
    pub fn tags(&self) -> Vec<RunTag> {
        vec![
            RunTag { key: "mlflow.user".into(), value: self.user.clone() },
            RunTag { key: "mlflow.source.name".into(), value: self.source_name.clone() },
            RunTag { key: "mlflow.source.type".into(), value: self.source_type.clone() },
        ]
    }
}
