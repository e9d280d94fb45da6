//! The one place where a server's error answer becomes a core [`Error`]: MLflow's JSON error
//! body `{"error_code", "message"}` when there is one, else a code chosen from the HTTP status as
//! MLflow's client chooses it.

use serde_json::Value;

use crate::error::{Error, ErrorKind};

/// MLflow's error codes (`databricks_pb2.ErrorCode`) as static strings, so a server's code can be
/// kept in [`Error::mlflow_code`].
const KNOWN_CODES: &[&str] = &[
    "INTERNAL_ERROR",
    "TEMPORARILY_UNAVAILABLE",
    "IO_ERROR",
    "BAD_REQUEST",
    "SERVICE_UNDER_MAINTENANCE",
    "WORKSPACE_TEMPORARILY_UNAVAILABLE",
    "DEADLINE_EXCEEDED",
    "CANCELLED",
    "RESOURCE_EXHAUSTED",
    "ABORTED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "UNAUTHENTICATED",
    "INVALID_PARAMETER_VALUE",
    "ENDPOINT_NOT_FOUND",
    "MALFORMED_REQUEST",
    "INVALID_STATE",
    "PERMISSION_DENIED",
    "FEATURE_DISABLED",
    "CUSTOMER_UNAUTHORIZED",
    "REQUEST_LIMIT_EXCEEDED",
    "RESOURCE_CONFLICT",
    "UNPARSEABLE_HTTP_ERROR",
    "NOT_IMPLEMENTED",
    "DATA_LOSS",
    "INVALID_STATE_TRANSITION",
    "COULD_NOT_ACQUIRE_LOCK",
    "RESOURCE_ALREADY_EXISTS",
    "RESOURCE_DOES_NOT_EXIST",
    "QUOTA_EXCEEDED",
    "MAX_BLOCK_SIZE_EXCEEDED",
    "MAX_READ_SIZE_EXCEEDED",
    "DRY_RUN_FAILED",
    "RESOURCE_LIMIT_EXCEEDED",
    "DIRECTORY_NOT_EMPTY",
    "DIRECTORY_PROTECTED",
    "MAX_NOTEBOOK_SIZE_EXCEEDED",
    "MAX_CHILD_NODE_SIZE_EXCEEDED",
    "SEARCH_QUERY_TOO_LONG",
    "SEARCH_QUERY_TOO_COMPLEX",
];

/// What the sqlite store says (and MLflow's server says) when a write hits an ended/deleted run.
const INACTIVE_RUN_PHRASE: &str = "must be in the 'active' state";

/// The core kind of an MLflow error code (and its message, for the inactive-run case).
pub(crate) fn kind_of_code(code: &str, message: &str) -> ErrorKind {
    match code {
        "RESOURCE_DOES_NOT_EXIST" | "ENDPOINT_NOT_FOUND" | "NOT_FOUND" => ErrorKind::NotFound,
        "RESOURCE_ALREADY_EXISTS" | "ALREADY_EXISTS" => ErrorKind::AlreadyExists,
        "INVALID_PARAMETER_VALUE" | "BAD_REQUEST" | "MALFORMED_REQUEST" if message.contains(INACTIVE_RUN_PHRASE) => {
            ErrorKind::InvalidState
        }
        "INVALID_PARAMETER_VALUE" | "BAD_REQUEST" | "MALFORMED_REQUEST" => ErrorKind::InvalidArgument,
        "INVALID_STATE" | "INVALID_STATE_TRANSITION" => ErrorKind::InvalidState,
        "UNAUTHENTICATED" | "PERMISSION_DENIED" | "CUSTOMER_UNAUTHORIZED" => ErrorKind::PermissionDenied,
        "TEMPORARILY_UNAVAILABLE"
        | "REQUEST_LIMIT_EXCEEDED"
        | "RESOURCE_EXHAUSTED"
        | "DEADLINE_EXCEEDED"
        | "SERVICE_UNDER_MAINTENANCE"
        | "WORKSPACE_TEMPORARILY_UNAVAILABLE" => ErrorKind::Unavailable,
        _ => ErrorKind::Internal,
    }
}

/// MLflow's client choice of a code for an error answer without MLflow JSON.
pub(crate) fn code_of_status(status: u16) -> &'static str {
    match status {
        400 => "BAD_REQUEST",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "ENDPOINT_NOT_FOUND",
        409 => "RESOURCE_CONFLICT",
        429 => "REQUEST_LIMIT_EXCEEDED",
        499 => "CANCELLED",
        501 => "NOT_IMPLEMENTED",
        503 => "TEMPORARILY_UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        _ => "INTERNAL_ERROR",
    }
}

fn static_code(code: &str) -> Option<&'static str> {
    KNOWN_CODES.iter().copied().find(|k| *k == code)
}

/// The error for a non-2xx answer. `what` names the request ("POST http://host/api/2.0/mlflow/runs/create").
pub(crate) fn error_from_answer(status: u16, content_type: Option<&str>, body: &[u8], what: &str) -> Error {
    if let Some((code, message)) = mlflow_error_body(body) {
        let kind = kind_of_code(&code, &message);
        let context = format!("[{what}: HTTP {status}]");
        return match static_code(&code) {
            Some(known) => Error::with_code(kind, known, format!("{message} {context}")),
            None => Error::with_code(kind, "INTERNAL_ERROR", format!("{code}: {message} {context}")),
        };
    }
    // Not MLflow's JSON: a proxy, a login page, a different service, a wrong path prefix.
    let code = code_of_status(status);
    let kind = match status {
        401 | 403 => ErrorKind::PermissionDenied,
        _ => kind_of_code(code, ""),
    };
    let hint = match status {
        401 => " — the server wants credentials: set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (or MLFLOW_TRACKING_TOKEN)",
        403 => " — the credentials were refused or lack the permission",
        404 => " — is the tracking URI the root of an MLflow tracking server (check any path prefix)?",
        _ => "",
    };
    Error::with_code(
        kind,
        code,
        format!("{what} failed with HTTP {status}{hint}; the answer was {}", describe_body(content_type, body)),
    )
}

/// `(error_code, message)` when the body is MLflow's JSON error.
fn mlflow_error_body(body: &[u8]) -> Option<(String, String)> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let code = v.get("error_code")?.as_str()?.to_string();
    let message = v.get("message").and_then(Value::as_str).unwrap_or("").to_string();
    Some((code, message))
}

/// A short, printable description of a body that was not what we expected.
pub(crate) fn describe_body(content_type: Option<&str>, body: &[u8]) -> String {
    const SHOWN: usize = 200;
    if body.iter().all(u8::is_ascii_whitespace) {
        return "empty".into();
    }
    let text = String::from_utf8_lossy(&body[..body.len().min(SHOWN * 4)]);
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut shown: String = flat.chars().take(SHOWN).collect();
    if flat.chars().count() > SHOWN || body.len() > SHOWN * 4 {
        shown.push('…');
    }
    let kind = content_type.map(|c| format!("{c}, ")).unwrap_or_default();
    format!("{kind}{} bytes: '{shown}'", body.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_errors_keep_code_and_message() {
        let body = br#"{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "No Experiment with id=9 exists"}"#;
        let e = error_from_answer(404, Some("application/json"), body, "GET x");
        assert_eq!((e.kind(), e.mlflow_code()), (ErrorKind::NotFound, "RESOURCE_DOES_NOT_EXIST"));
        assert!(e.message().starts_with("No Experiment with id=9 exists"));
        let inactive = br#"{"error_code": "INVALID_PARAMETER_VALUE", "message": "The run r must be in the 'active' state. Current state is deleted."}"#;
        assert_eq!(error_from_answer(400, None, inactive, "POST x").kind(), ErrorKind::InvalidState);
        let odd = br#"{"error_code": "SOMETHING_NEW", "message": "m"}"#;
        let e = error_from_answer(500, None, odd, "POST x");
        assert_eq!((e.kind(), e.mlflow_code()), (ErrorKind::Internal, "INTERNAL_ERROR"));
        assert!(e.message().contains("SOMETHING_NEW"));
    }

    #[test]
    fn other_bodies_by_status() {
        let e = error_from_answer(404, Some("text/html"), b"<html><body>Not Found</body></html>", "GET x");
        assert_eq!((e.kind(), e.mlflow_code()), (ErrorKind::NotFound, "ENDPOINT_NOT_FOUND"));
        assert!(e.message().contains("<html>"));
        let e = error_from_answer(401, None, b"", "GET x");
        assert_eq!((e.kind(), e.mlflow_code()), (ErrorKind::PermissionDenied, "UNAUTHENTICATED"));
        let e = error_from_answer(502, None, b"bad gateway", "GET x");
        assert_eq!((e.kind(), e.mlflow_code()), (ErrorKind::Internal, "INTERNAL_ERROR"));
        assert_eq!(error_from_answer(400, None, b"x", "GET x").kind(), ErrorKind::InvalidArgument);
    }
}
