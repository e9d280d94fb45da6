//! Model version stages: MLflow's four, matched case-insensitively and written canonically
//! (`get_canonical_stage`, `entities/model_registry/model_version_stages.py`).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub enum Stage {
    #[default]
    None,
    Staging,
    Production,
    Archived,
}

impl Stage {
    pub const ALL: [Stage; 4] = [Stage::None, Stage::Staging, Stage::Production, Stage::Archived];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::None => "None",
            Stage::Staging => "Staging",
            Stage::Production => "Production",
            Stage::Archived => "Archived",
        }
    }

    /// MLflow's canonical stage for any spelling of one of the four names ("production",
    /// "PRODUCTION"); anything else is MLflow's INVALID_PARAMETER_VALUE message.
    pub fn parse(stage: &str) -> Result<Stage> {
        Stage::ALL.into_iter().find(|s| s.as_str().eq_ignore_ascii_case(stage)).ok_or_else(|| {
            Error::invalid(format!(
                "Invalid Model Version stage: {stage}. Value must be one of None, Staging, Production, Archived."
            ))
        })
    }

    /// Stages whose other versions `archive_existing_versions` may move to Archived.
    pub fn is_active(self) -> bool {
        matches!(self, Stage::Staging | Stage::Production)
    }

    /// MLflow refuses `archive_existing_versions` for a target that is not an active stage
    /// (its store raises it as an error without a code, i.e. HTTP 500; we check it before any
    /// request so a REST client does not retry it). `requested` is the caller's spelling.
    pub fn check_archive(self, requested: &str, archive_existing_versions: bool) -> Result<()> {
        if archive_existing_versions && !self.is_active() {
            return Err(Error::invalid(format!(
                "Model version transition cannot archive existing model versions because '{requested}' is not an \
                 Active stage. Valid stages are ['Staging', 'Production']"
            )));
        }
        Ok(())
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Stage {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Stage {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Stage::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_case_maps_to_the_canonical_name() {
        assert_eq!(Stage::parse("production").unwrap(), Stage::Production);
        assert_eq!(Stage::parse("STAGING").unwrap(), Stage::Staging);
        assert_eq!(Stage::parse("none").unwrap(), Stage::None);
        assert_eq!(Stage::parse("ArChIvEd").unwrap().as_str(), "Archived");
        let e = Stage::parse("bogus").unwrap_err();
        assert_eq!(
            e.message(),
            "Invalid Model Version stage: bogus. Value must be one of None, Staging, Production, Archived."
        );
        assert!(Stage::parse("Deleted_Internal").is_err());
    }

    #[test]
    fn archiving_needs_an_active_target() {
        assert!(Stage::Production.check_archive("production", true).is_ok());
        assert!(Stage::Archived.check_archive("archived", false).is_ok());
        let e = Stage::Archived.check_archive("archived", true).unwrap_err();
        assert!(e.message().contains("'archived' is not an Active stage"), "{e}");
    }
}
