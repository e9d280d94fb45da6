# Errors are R conditions of class c("mlflow_error_<status>", "mlflow_error", "error",
# "condition") carrying libmlflow's status (`status`, `status_name`) and MLflow's error code
# (`error_code`, e.g. "RESOURCE_DOES_NOT_EXIST"), so callers can tryCatch() them by kind.

# MLflow's error code for each libmlflow status, used when the message does not name one.
mlflow_error_codes <- c(
  MLFLOW_ERR_INVALID_ARGUMENT = "INVALID_PARAMETER_VALUE",
  MLFLOW_ERR_NOT_FOUND = "RESOURCE_DOES_NOT_EXIST",
  MLFLOW_ERR_ALREADY_EXISTS = "RESOURCE_ALREADY_EXISTS",
  MLFLOW_ERR_INVALID_STATE = "INVALID_STATE",
  MLFLOW_ERR_NULL_ARGUMENT = "INVALID_PARAMETER_VALUE",
  MLFLOW_ERR_INVALID_UTF8 = "INVALID_PARAMETER_VALUE",
  MLFLOW_ERR_UNAVAILABLE = "TEMPORARILY_UNAVAILABLE",
  MLFLOW_ERR_PERMISSION_DENIED = "PERMISSION_DENIED"
)

mlflow_error <- function(status, status_name, message, call = NULL) {
  # libmlflow ends messages of MLflow's own errors with the code in brackets: "... [CODE]".
  code <- regmatches(message, regexec("\\[([A-Z_]+)\\]$", message))[[1]]
  error_code <- if (length(code) == 2) code[[2]] else unname(mlflow_error_codes[status_name])
  if (is.na(error_code %||% NA)) error_code <- "INTERNAL_ERROR"
  kind <- tolower(sub("^MLFLOW_ERR_", "", status_name))
  structure(
    class = c(paste0("mlflow_error_", kind), "mlflow_error", "error", "condition"),
    list(message = message, call = call, status = as.integer(status), status_name = status_name,
         error_code = error_code)
  )
}

# Called from the C glue (errors.c) after a failed libmlflow call.
raise_mlflow_error <- function(status, status_name, message) {
  stop(mlflow_error(status, status_name, message))
}

# Bad input found on the R side, as the same kind of condition libmlflow would give.
stop_invalid <- function(...) {
  stop(mlflow_error(1L, "MLFLOW_ERR_INVALID_ARGUMENT", paste0(...)))
}

stop_state <- function(...) {
  stop(mlflow_error(4L, "MLFLOW_ERR_INVALID_STATE", paste0(...)))
}

# ---- argument checks (clear messages before anything reaches C) -------------------------------

check_string <- function(x, what, null_ok = FALSE) {
  if (is.null(x) && null_ok) return(NULL)
  if (is.factor(x)) x <- as.character(x)
  if (!is.character(x) || length(x) != 1 || is.na(x)) {
    stop_invalid("`", what, "` must be a single non-NA character string, not ", describe(x))
  }
  enc2utf8(x)
}

# Param and tag values: MLflow stores strings; numbers and logicals are converted as
# as.character() does.
check_value_string <- function(x, what) {
  if (is.factor(x)) x <- as.character(x)
  if (!is.atomic(x) || is.null(x) || length(x) != 1 || is.na(x) ||
      !(is.character(x) || is.numeric(x) || is.logical(x))) {
    stop_invalid("`", what, "` must be a single non-NA string, number or logical, not ", describe(x))
  }
  enc2utf8(as.character(x))
}

check_id <- function(x, what, null_ok = FALSE) {
  if (is.null(x) && null_ok) return(NULL)
  if (is.numeric(x) && length(x) == 1 && !is.na(x) && x == round(x)) x <- format(x, scientific = FALSE)
  check_string(x, what)
}

check_flag <- function(x, what) {
  if (!is.logical(x) || length(x) != 1 || is.na(x)) stop_invalid("`", what, "` must be TRUE or FALSE")
  x
}

# Milliseconds since the epoch from numbers (rounded, as the mlflow package does) or POSIXct.
as_millis <- function(x, what) {
  if (inherits(x, "POSIXt")) x <- as.numeric(as.POSIXct(x)) * 1000
  if (!is.numeric(x) || length(x) == 0) stop_invalid("`", what, "` must be numeric (milliseconds) or POSIXct")
  if (anyNA(x)) stop_invalid("`", what, "` must not contain NA")
  round(as.double(x))
}

as_steps <- function(x, what) {
  if (!is.numeric(x) || length(x) == 0) stop_invalid("`", what, "` must be numeric")
  if (anyNA(x)) stop_invalid("`", what, "` must not contain NA")
  round(as.double(x))
}

describe <- function(x) {
  if (is.null(x)) return("NULL")
  if (length(x) == 1 && is.atomic(x) && is.na(x)) return("NA")
  paste0("a ", class(x)[[1]], " of length ", length(x))
}
