# Artifacts: files, directories and texts logged to a run, listed and downloaded, stored where
# MLflow stores them (<experiment artifact location>/<run id>/artifacts/<path>) — locally, or
# through a tracking server's artifact proxy (mlflow-artifacts:).

mlflow_log_artifact <- function(path, artifact_path = NULL, run_id = NULL, client = NULL, progress = NULL) {
  path <- path.expand(check_utf8(path, "path"))
  artifact_path <- check_utf8(artifact_path, "artifact_path", null_ok = TRUE)
  check_progress(progress)
  target <- resolve_client_and_run_id(client, run_id)
  # As the mlflow package does: a directory's files are logged under `artifact_path`
  # (log_artifacts), anything else as one file (a missing one is libmlflow's not-found error).
  with_progress(progress, function(fn) {
    .Call(C_log_artifact, target$client$ptr, target$run_id, path, artifact_path, dir.exists(path), fn)
  })
  invisible(NULL)
}

mlflow_log_text <- function(text, artifact_file, run_id = NULL, client = NULL) {
  text <- check_utf8(text, "text")
  artifact_file <- check_utf8(artifact_file, "artifact_file")
  target <- resolve_client_and_run_id(client, run_id)
  .Call(C_log_text, target$client$ptr, target$run_id, text, artifact_file)
  invisible(NULL)
}

mlflow_list_artifacts <- function(path = NULL, run_id = NULL, client = NULL) {
  path <- check_utf8(path, "path", null_ok = TRUE)
  run_id <- resolve_run_id(run_id)
  client <- client_for_run(client, run_id)
  files <- fromJSON(.Call(C_list_artifacts, client$ptr, run_id, path), simplifyVector = FALSE)
  data.frame(
    path = field_chr(files, "path"),
    is_dir = vapply(files, function(f) isTRUE(f$is_dir), logical(1)),
    # Sizes as doubles: files over 2 GiB do not fit R's integers. NA for directories.
    file_size = field_dbl(files, "file_size"),
    stringsAsFactors = FALSE
  )
}

mlflow_download_artifacts <- function(path, run_id = NULL, client = NULL, progress = NULL) {
  path <- check_utf8(path, "path")
  check_progress(progress)
  run_id <- resolve_run_id(run_id)
  client <- client_for_run(client, run_id)
  with_progress(progress, function(fn) {
    .Call(C_download_artifacts, client$ptr, run_id, if (nzchar(path)) path else NULL, NULL, NULL, fn)
  })
}

mlflow_download_artifacts_from_uri <- function(artifact_uri, dst_path = NULL, client = NULL, progress = NULL) {
  artifact_uri <- check_utf8(artifact_uri, "artifact_uri")
  dst_path <- check_utf8(dst_path, "dst_path", null_ok = TRUE)
  if (!is.null(dst_path)) dst_path <- path.expand(dst_path)
  check_progress(progress)
  client <- resolve_client(client)
  with_progress(progress, function(fn) .Call(C_download_artifacts, client$ptr, NULL, NULL, artifact_uri, dst_path, fn))
}

# Runs `transfer(fn)`, `fn` being the user's progress function(done, total) wrapped for the C
# trampoline (src/artifacts.c), or NULL. The wrapper returns NULL, or the condition the function
# signalled (an error or an interrupt), which the glue raises once the transfer has returned: R
# errors never unwind through libmlflow. The trampoline evaluates it at top level, where the
# caller's handlers are not seen, so its warnings and messages are kept (the first 50) and
# signalled again here, where withCallingHandlers() and suppressWarnings() see them.
with_progress <- function(progress, transfer) {
  if (is.null(progress)) return(transfer(NULL))
  check_progress(progress)
  heard <- new.env(parent = emptyenv())
  heard$conditions <- list()
  keep <- function(condition, restart) {
    if (length(heard$conditions) < 50) heard$conditions[[length(heard$conditions) + 1L]] <- condition
    invokeRestart(restart)
  }
  wrapper <- function(done, total) {
    tryCatch({
      withCallingHandlers(progress(done, total),
                          warning = function(w) keep(w, "muffleWarning"),
                          message = function(m) keep(m, "muffleMessage"))
      NULL
    }, error = function(e) e, interrupt = function(e) e)
  }
  on.exit(for (condition in heard$conditions) {
    if (inherits(condition, "warning")) warning(condition) else message(condition)
  })
  transfer(wrapper)
}

check_progress <- function(progress) {
  if (!is.null(progress) && !is.function(progress)) {
    stop_invalid("`progress` must be a function(done, total) or NULL, not ", describe(progress))
  }
  progress
}

# A single string that is valid UTF-8. Checked before conversion: enc2utf8() would turn invalid
# bytes into "<ff>" escapes, and a path or text would silently differ from the one given.
check_utf8 <- function(x, what, null_ok = FALSE) {
  if (is.character(x) && length(x) == 1 && !is.na(x)) {
    encoding <- Encoding(x)
    claims_utf8 <- encoding == "UTF-8" || (encoding == "unknown" && isTRUE(l10n_info()[["UTF-8"]]))
    if (encoding == "bytes" || (claims_utf8 && !validUTF8(x))) {
      stop_invalid("`", what, "` is not valid UTF-8 (convert it with iconv(), or mark its encoding with Encoding())")
    }
  }
  check_string(x, what, null_ok = null_ok)
}
