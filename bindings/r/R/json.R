# The long tail of MLflow's API through libmlflow's JSON entry point (mlflow_client_call in
# mlflow.h), in MLflow's REST shapes. jsonlite (Debian: r-cran-jsonlite) encodes and decodes.

mlflow_client_call <- function(method, request = list(), client = NULL) {
  method <- check_string(method, "method")
  client <- resolve_client(client)
  json <- if (is.null(request)) {
    "{}"
  } else if (is.character(request) && length(request) == 1 && !is.na(request)) {
    request
  } else if (is.list(request)) {
    to_json(request)
  } else {
    stop_invalid("`request` must be a list or a JSON string, not ", describe(request))
  }
  response <- .Call(C_client_call, client$ptr, method, enc2utf8(json))
  jsonlite::fromJSON(response, simplifyVector = FALSE)
}

# A request object: NULL fields are left out; arrays must be given as lists.
to_json <- function(request) {
  request <- request[!vapply(request, is.null, logical(1))]
  if (length(request) == 0) return("{}")
  as.character(jsonlite::toJSON(request, auto_unbox = TRUE, digits = NA, null = "null"))
}

call_api <- function(client, method, request = list()) {
  jsonlite::fromJSON(.Call(C_client_call, client$ptr, method, to_json(request)), simplifyVector = FALSE)
}
