//! Page tokens in MLflow's format: base64 of the JSON `{"offset": N}`. A token from MLflow's own
//! store works here and the other way round (the format is opaque to users, not to servers).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::error::{Error, Result};

pub fn encode(offset: i64) -> String {
    STANDARD.encode(format!("{{\"offset\": {offset}}}"))
}

/// The offset a token stands for; no token (or an empty one) is the first page.
pub fn decode(token: &str) -> Result<i64> {
    if token.is_empty() {
        return Ok(0);
    }
    let bytes =
        STANDARD.decode(token.trim()).map_err(|_| Error::invalid("Invalid page token, could not base64-decode"))?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| {
        Error::invalid(format!("Invalid page token, decoded value={}", String::from_utf8_lossy(&bytes)))
    })?;
    let offset = match value.get("offset") {
        Some(serde_json::Value::Number(n)) => n.as_i64(),
        Some(serde_json::Value::String(s)) => s.parse().ok(),
        _ => None,
    };
    match offset {
        Some(n) if n > 0 => Ok(n),
        _ => Err(Error::invalid(format!("Invalid page token, parsed value={value}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_matches_mlflow_bytes() {
        // base64.b64encode(json.dumps({"offset": 100}).encode()) in Python.
        assert_eq!(encode(100), "eyJvZmZzZXQiOiAxMDB9");
        assert_eq!(decode(&encode(12345)).unwrap(), 12345);
        assert_eq!(decode("").unwrap(), 0);
    }

    #[test]
    fn rejects_garbage() {
        assert!(decode("not base64!").is_err());
        assert!(decode(&STANDARD.encode("[]")).is_err());
        assert!(decode(&STANDARD.encode("{\"offset\": 0}")).is_err());
    }
}
