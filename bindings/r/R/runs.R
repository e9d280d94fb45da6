# Runs: start (usable with with(), nested), end, the active run, get, search, delete, restore.

run_status_numbers <- c(RUNNING = 1L, SCHEDULED = 2L, FINISHED = 3L, FAILED = 4L, KILLED = 5L)

mlflow_active_run_id <- function() {
  n <- length(.globals$run_stack)
  if (n == 0) NULL else .globals$run_stack[[n]]$run_id
}

stack_entry <- function(run_id) {
  for (entry in .globals$run_stack) if (identical(entry$run_id, run_id)) return(entry)
  NULL
}

mlflow_start_run <- function(run_id = NULL, experiment_id = NULL, start_time = NULL, tags = NULL,
                             client = NULL, nested = FALSE, run_name = NULL) {
  run_id <- check_id(run_id, "run_id", null_ok = TRUE)
  experiment_id <- check_id(experiment_id, "experiment_id", null_ok = TRUE)
  run_name <- check_string(run_name, "run_name", null_ok = TRUE)
  nested <- check_flag(nested, "nested")
  tags <- tag_list(tags)

  if (!is.null(client)) {
    # With a client this creates a run (as runs/create does) without making it active.
    client <- check_client(client)
    if (!is.null(run_id)) stop_invalid("`run_id` should not be specified when `client` is specified.")
    experiment_id <- experiment_id %||% infer_experiment_id()
    if (!is.null(start_time)) {
      response <- call_api(client, "runs/create", list(
        experiment_id = experiment_id %||% "0", run_name = run_name,
        start_time = as_millis(start_time, "start_time")[[1]], tags = tags
      ))
      # A handle on it, so that ending it goes through the handle: libmlflow ends the runs a
      # client created and did not end through a handle as FINISHED when the client closes.
      ptr <- .Call(C_run_resume, client$ptr, response$run$info$run_id)
      assign(response$run$info$run_id, list(ptr = ptr, owned = TRUE), envir = client$runs)
      return(new_mlflow_run(response$run))
    }
    ptr <- .Call(C_run_start, client$ptr, experiment_id, run_name, NULL)
    id <- .Call(C_run_id, ptr)
    assign(id, list(ptr = ptr, owned = TRUE), envir = client$runs)
    set_tags(ptr, tags)
    return(run_or_pending(id, client, experiment_id, run_name))
  }

  if (!is.null(start_time)) stop_invalid("`start_time` should only be specified when `client` is specified.")
  active <- mlflow_active_run_id()
  if (!is.null(active) && !nested) {
    stop_state("Run with UUID ", active, " is already active. To start a nested run, call ",
               "`mlflow_start_run()` with `nested = TRUE`.")
  }
  client <- resolve_client(NULL)
  ptr <- if (!is.null(run_id)) {
    .Call(C_run_resume, client$ptr, run_id)
  } else {
    .Call(C_run_start, client$ptr, experiment_id %||% infer_experiment_id(), run_name,
          if (nested) active else NULL)
  }
  id <- .Call(C_run_id, ptr)
  assign(id, list(ptr = ptr, owned = TRUE), envir = client$runs)
  .globals$run_stack <- c(.globals$run_stack, list(list(run_id = id, client = client)))
  set_tags(ptr, tags)
  run <- run_or_pending(id, client, experiment_id %||% infer_experiment_id(), run_name)
  if (!is.na(run$experiment_id)) .globals$active_experiment_id <- run$experiment_id
  run
}

# The run as the store has it. A run waiting in a tracking server's spool (the server cannot be
# reached, or the client is offline) cannot be read back yet: then what this session knows of it
# (id, experiment, name, status; the rest NA), the data reaching the server later.
run_or_pending <- function(run_id, client, experiment_id = NULL, run_name = NULL, status = "RUNNING") {
  tryCatch(mlflow_get_run(run_id, client = client), mlflow_error_unavailable = function(e) {
    new_mlflow_run(list(info = list(
      run_id = run_id, run_uuid = run_id, experiment_id = experiment_id, run_name = run_name,
      status = status, lifecycle_stage = "active"
    )))
  })
}

set_tags <- function(ptr, tags) {
  for (t in tags) .Call(C_run_set_tag, ptr, check_string(t$key, "tags key"), t$value)
}

with.mlflow_run <- function(data, expr, ...) {
  run_id <- mlflow_id(data)
  if (!identical(run_id, mlflow_active_run_id())) {
    stop_state("`with()` should only be used with `mlflow_start_run()`.")
  }
  outcome <- tryCatch({
    force(expr)
    NULL
  }, error = function(cnd) cnd, interrupt = function(cnd) cnd)
  status <- if (is.null(outcome)) "FINISHED" else if (inherits(outcome, "interrupt")) "KILLED" else "FAILED"
  end_with_children(run_id, status, report = is.null(outcome))
  if (!is.null(outcome)) stop(outcome)
  invisible(NULL)
}

# Ends `run_id` and any runs nested in it that were left active (an error inside with()); does
# nothing if the expression already ended it.
end_with_children <- function(run_id, status, report) {
  while (!is.null(stack_entry(run_id))) {
    active <- mlflow_active_run_id()
    tryCatch(mlflow_end_run(status, run_id = active), mlflow_error = function(e) {
      # With no error pending, a failed end is the error to report; while an error is already
      # propagating, it must not be masked by this one.
      if (report) stop(e)
      warning("ending run ", active, " as ", status, ": ", conditionMessage(e), call. = FALSE)
    })
  }
}

mlflow_end_run <- function(status = c("FINISHED", "FAILED", "KILLED"), end_time = NULL, run_id = NULL,
                           client = NULL) {
  status <- check_choice(status, c("FINISHED", "FAILED", "KILLED"), "status")
  if (!is.null(client) && is.null(run_id)) {
    stop_invalid("`run_id` must be specified when `client` is specified.")
  }
  run_id <- check_id(run_id, "run_id", null_ok = TRUE) %||% mlflow_active_run_id() %||%
    stop_state("There is no active run to end.")
  terminate_run(status, end_time, run_id, client)
}

mlflow_set_terminated <- function(status = c("FINISHED", "FAILED", "KILLED"), end_time = NULL,
                                  run_id = NULL, client = NULL) {
  status <- check_choice(status, c("FINISHED", "FAILED", "KILLED"), "status")
  run_id <- check_id(run_id, "run_id", null_ok = TRUE) %||% mlflow_active_run_id() %||%
    stop_invalid("`run_id` must be specified when there is no active run.")
  terminate_run(status, end_time, run_id, client)
}

# Ends a run through the handle that started it when this session holds one (its queued data is
# written first, and the client will not end it again at close), else by id (runs/update).
terminate_run <- function(status, end_time, run_id, client) {
  end_time <- if (is.null(end_time)) NULL else as_millis(end_time, "end_time")[[1]]
  client <- if (is.null(client)) (stack_entry(run_id)$client %||% resolve_client(NULL)) else check_client(client)
  # However ending goes, the run stops being active (a failed end still ends it in libmlflow).
  on.exit(.globals$run_stack <- Filter(function(x) !identical(x$run_id, run_id), .globals$run_stack), add = TRUE)
  entry <- client$runs[[run_id]]
  if (!is.null(entry) && entry$owned) {
    rm(list = run_id, envir = client$runs)
    on.exit(.Call(C_run_free, entry$ptr), add = TRUE)
    .Call(C_run_end, entry$ptr, run_status_numbers[[status]])
    if (!is.null(end_time)) call_api(client, "runs/update", list(run_id = run_id, status = status, end_time = end_time))
  } else {
    call_api(client, "runs/update", list(
      run_id = run_id, status = status, end_time = end_time %||% round(as.numeric(Sys.time()) * 1000)
    ))
  }
  invisible(run_or_pending(run_id, client, status = status))
}

resolve_run_id <- function(run_id) {
  check_id(run_id, "run_id", null_ok = TRUE) %||% mlflow_active_run_id() %||%
    stop_invalid("`run_id` must be specified when there is no active run.")
}

# The client for a run given by id: the one given, the one that started it in this session, or
# the default one.
client_for_run <- function(client, run_id) {
  if (!is.null(client)) return(check_client(client))
  stack_entry(run_id)$client %||% resolve_client(NULL)
}

mlflow_get_run <- function(run_id = NULL, client = NULL) {
  run_id <- resolve_run_id(run_id)
  client <- client_for_run(client, run_id)
  new_mlflow_run(call_api(client, "runs/get", list(run_id = run_id))$run)
}

mlflow_search_runs <- function(filter = NULL, run_view_type = c("ACTIVE_ONLY", "DELETED_ONLY", "ALL"),
                               experiment_ids = NULL, order_by = list(), client = NULL) {
  filter <- check_string(filter, "filter", null_ok = TRUE)
  view <- check_choice(run_view_type, c("ACTIVE_ONLY", "DELETED_ONLY", "ALL"), "run_view_type")
  experiment_ids <- id_list(experiment_ids %||% infer_experiment_id() %||%
    stop_invalid("`experiment_ids` must be specified when there is no active experiment."))
  order_by <- string_list(order_by, "order_by")
  client <- resolve_client(client)
  runs <- list()
  token <- NULL
  repeat {
    response <- call_api(client, "runs/search", list(
      experiment_ids = experiment_ids, filter = filter, run_view_type = view,
      max_results = 1000, order_by = order_by, page_token = token
    ))
    runs <- c(runs, response$runs)
    token <- response$next_page_token
    if (is.null(token)) break
  }
  runs_frame(runs)
}

# Experiment ids (strings or whole numbers) as a JSON array of strings.
id_list <- function(ids) {
  ids <- unlist(ids, use.names = FALSE)
  if (is.numeric(ids)) ids <- format(ids, scientific = FALSE, trim = TRUE)
  if (!is.character(ids) || length(ids) == 0 || anyNA(ids)) {
    stop_invalid("`experiment_ids` must be experiment ids (strings), not ", describe(ids))
  }
  as.list(ids)
}

mlflow_delete_run <- function(run_id, client = NULL) {
  run_id <- check_id(run_id, "run_id")
  if (identical(run_id, mlflow_active_run_id())) stop_state("Cannot delete an active run.")
  call_api(client_for_run(client, run_id), "runs/delete", list(run_id = run_id))
  invisible(NULL)
}

mlflow_restore_run <- function(run_id, client = NULL) {
  run_id <- check_id(run_id, "run_id")
  client <- client_for_run(client, run_id)
  call_api(client, "runs/restore", list(run_id = run_id))
  mlflow_get_run(run_id, client = client)
}
