//! `models:/` URIs as MLflow parses them (`_parse_model_uri`, `split_models_uri` in
//! `mlflow/store/artifact/`): a registry version, stage, `latest` or alias, or a LoggedModel id.

use crate::error::{Error, Result};

/// What a `models:/` URI names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelsUri {
    /// `models:/<model_id>`: a LoggedModel.
    LoggedModel { model_id: String },
    /// `models:/<name>/<digits>`.
    Version { name: String, version: i64 },
    /// `models:/<name>/latest` (any case): the highest live version.
    Latest { name: String },
    /// `models:/<name>/<stage>`: the highest version in that stage (validated when resolved).
    Stage { name: String, stage: String },
    /// `models:/<name>@<alias>`.
    Alias { name: String, alias: String },
}

impl ModelsUri {
    /// Parses the model part of a URI (no sub-path; see [`split_models_uri`]).
    pub fn parse(uri: &str) -> Result<ModelsUri> {
        let improper = || Error::invalid(improper_message(uri));
        let rest = uri.strip_prefix("models:").ok_or_else(improper)?;
        // `models://<netloc>/…` is Databricks' form; there is no registry of that kind here.
        if rest.starts_with("//") {
            return Err(Error::invalid(format!(
                "{uri}: 'models://<profile>/…' URIs address a Databricks registry, which libmlflow does not support"
            )));
        }
        let path = rest.strip_prefix('/').filter(|p| !p.is_empty()).ok_or_else(improper)?;
        let parts: Vec<&str> = path.split('/').collect();
        if parts.len() > 2 || parts[0].trim().is_empty() {
            return Err(improper());
        }
        if let [name, suffix] = parts[..] {
            if suffix.trim().is_empty() {
                return Err(improper());
            }
            let (name, suffix) = (name.to_string(), suffix.to_string());
            if !suffix.is_empty() && suffix.chars().all(|c| c.is_ascii_digit()) {
                let version = suffix.parse().map_err(|_| improper())?;
                return Ok(ModelsUri::Version { name, version });
            }
            if suffix.eq_ignore_ascii_case("latest") {
                return Ok(ModelsUri::Latest { name });
            }
            return Ok(ModelsUri::Stage { name, stage: suffix });
        }
        if path.contains('@') {
            let (name, alias) = parts[0].rsplit_once('@').ok_or_else(improper)?;
            if alias.trim().is_empty() {
                return Err(improper());
            }
            return Ok(ModelsUri::Alias { name: name.to_string(), alias: alias.to_string() });
        }
        Ok(ModelsUri::LoggedModel { model_id: parts[0].to_string() })
    }

    /// The registered model's name (`None` for a LoggedModel id).
    pub fn registered_name(&self) -> Option<&str> {
        match self {
            ModelsUri::LoggedModel { .. } => None,
            ModelsUri::Version { name, .. }
            | ModelsUri::Latest { name }
            | ModelsUri::Stage { name, .. }
            | ModelsUri::Alias { name, .. } => Some(name),
        }
    }
}

/// Splits `models:/<name>/<version>/path/in/model` into the model URI and the path inside it
/// (`models:/<name>@alias/path` cuts after the alias), as MLflow's `split_models_uri`.
pub fn split_models_uri(uri: &str) -> (String, String) {
    let uri = uri.trim_end_matches('/');
    let Some(path) = uri.strip_prefix("models:") else { return (uri.to_string(), String::new()) };
    if path.starts_with("//") || path.matches('/').count() < 2 {
        return (uri.to_string(), String::new());
    }
    let splits: Vec<&str> = path.splitn(4, '/').collect();
    let cut = if splits.get(1).is_some_and(|s| s.contains('@')) { 2 } else { 3 };
    let cut = cut.min(splits.len());
    (format!("models:{}", splits[..cut].join("/")), splits[cut..].join("/"))
}

fn improper_message(uri: &str) -> String {
    format!(
        "Not a proper models:/ URI: {uri}. Models URIs must be of the form 'models:/name/suffix' or \
         'models:/name@alias' where suffix is a version, stage, or the string 'latest' and where alias is a \
         registered model alias. Only one of suffix or alias can be defined at a time."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(uri: &str) -> ModelsUri {
        ModelsUri::parse(uri).unwrap_or_else(|e| panic!("{uri}: {e}"))
    }

    #[test]
    fn every_form_parses_as_mlflow_does() {
        assert_eq!(parse("models:/m-0123abcd"), ModelsUri::LoggedModel { model_id: "m-0123abcd".into() });
        assert_eq!(parse("models:/reg/3"), ModelsUri::Version { name: "reg".into(), version: 3 });
        assert_eq!(parse("models:/reg/LATEST"), ModelsUri::Latest { name: "reg".into() });
        assert_eq!(
            parse("models:/reg/production"),
            ModelsUri::Stage { name: "reg".into(), stage: "production".into() }
        );
        assert_eq!(parse("models:/a@b@champ"), ModelsUri::Alias { name: "a@b".into(), alias: "champ".into() });
        assert_eq!(parse("models:/reg name/1").registered_name(), Some("reg name"));
    }

    #[test]
    fn malformed_uris_are_refused_with_mlflows_message() {
        for bad in ["models:", "models:/", "models:/a/b/c", "models:/ /1", "models:/a/ ", "models:/a@", "runs:/x/y"] {
            let e = ModelsUri::parse(bad).unwrap_err();
            assert!(e.message().starts_with("Not a proper models:/ URI"), "{bad}: {e}");
        }
        assert!(ModelsUri::parse("models://profile/a/1").unwrap_err().message().contains("Databricks"));
    }

    #[test]
    fn sub_paths_split_off() {
        let s = |u: &str| split_models_uri(u);
        assert_eq!(s("models:/reg/1/path/in/model"), ("models:/reg/1".into(), "path/in/model".into()));
        assert_eq!(s("models:/reg@champ/sub/file"), ("models:/reg@champ".into(), "sub/file".into()));
        assert_eq!(s("models:/reg/1"), ("models:/reg/1".into(), "".into()));
        assert_eq!(s("models:/m-1/"), ("models:/m-1".into(), "".into()));
        assert_eq!(s("models:/reg/1/"), ("models:/reg/1".into(), "".into()));
    }
}
