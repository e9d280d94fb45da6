# The spool of tracking-server clients (http(s):// URIs): logged data waits there, on local disk,
# until the server has it. Runs started while the server cannot be reached (or offline) get local
# ids; the server's ids are known once they are delivered.

mlflow_sync_spool <- function(spool = NULL, tracking_uri = NULL, timeout = 300) {
  spool <- check_string(spool, "spool", null_ok = TRUE)
  if (!is.null(spool)) spool <- path.expand(spool)
  tracking_uri <- check_string(tracking_uri, "tracking_uri", null_ok = TRUE)
  if (!is.numeric(timeout) || length(timeout) != 1 || is.na(timeout) || timeout < 0) {
    stop_invalid("`timeout` must be a non-negative number of seconds")
  }
  json <- .Call(C_sync_spool, spool, tracking_uri, timeout * 1000)
  report <- sync_report(fromJSON(json, simplifyVector = FALSE))
  status <- attr(json, "status")
  if (!is.null(status)) {
    # Items remain (mlflow_error_unavailable: run the sync again later) or the server refused
    # records (mlflow_error_write_failed): the condition carries the report.
    condition <- mlflow_error(status, attr(json, "status_name"), attr(json, "message"))
    condition$report <- report
    stop(condition)
  }
  report
}

# The report as R values: counts as numbers, failures and run ids as data frames.
sync_report <- function(r) {
  chr <- function(x) if (is.null(x)) NA_character_ else as.character(x)
  failures <- r$failures %||% list()
  run_ids <- r$run_ids %||% list()
  list(
    delivered = as.numeric(r$delivered_items),
    remaining = as.numeric(r$remaining_items),
    failed = as.numeric(r$failed),
    busy = as.numeric(r$busy_records),
    failures = data.frame(
      what = vapply(failures, function(f) chr(f$what), ""),
      error = vapply(failures, function(f) chr(f$error), ""),
      stringsAsFactors = FALSE
    ),
    run_ids = data.frame(
      local_id = vapply(run_ids, function(m) chr(m$local_id), ""),
      server_id = vapply(run_ids, function(m) chr(m$server_id), ""),
      stringsAsFactors = FALSE
    ),
    files = vapply(r$files %||% list(), chr, ""),
    last_error = chr(r$last_error)
  )
}

mlflow_server_run_id <- function(run_id, client = NULL) {
  run_id <- check_id(run_id, "run_id")
  client <- resolve_client(client)
  .Call(C_client_server_run_id, client$ptr, run_id)
}

mlflow_undelivered <- function(client = NULL) {
  client <- resolve_client(client)
  .Call(C_client_undelivered, client$ptr)
}
