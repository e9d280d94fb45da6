/* Artifacts: log a file, a directory or a text, list a run's artifacts, download by run or URI.
 *
 * Transfers take an optional R progress function. libmlflow calls a C callback on this thread
 * while Rust frames are on the stack, so no R error may longjmp from it: the trampoline does all
 * its R work (allocating the call included) inside R_ToplevelExec, which stops any jump; the R
 * side wraps the user's function so that it returns the condition it signalled instead of
 * signalling it. The first failure is remembered, R is not called again after it, and it is
 * raised here once libmlflow has returned. */
#include <string.h>

#include "glue.h"

struct progress_report {
  struct progress_state *state;
  uint64_t done, total;
};

/* Runs inside R_ToplevelExec: whatever R does here cannot unwind past it. */
static void call_progress(void *data) {
  struct progress_report *report = data;
  SEXP done = PROTECT(Rf_ScalarReal((double)report->done));
  SEXP total = PROTECT(Rf_ScalarReal((double)report->total));
  SEXP call = PROTECT(Rf_lang3(report->state->fn, done, total));
  SEXP result = Rf_eval(call, R_GlobalEnv);
  if (!Rf_isNull(result)) {
    report->state->failed = 1;
    SET_VECTOR_ELT(report->state->failure, 0, result);
  }
  UNPROTECT(3);
}

static void progress_trampoline(void *user_data, uint64_t done, uint64_t total) {
  struct progress_state *state = user_data;
  if (state->failed) return;
  struct progress_report report = {state, done, total};
  if (!R_ToplevelExec(call_progress, &report)) {
    /* A jump the wrapper's tryCatch did not turn into a value (invokeRestart("abort"), or an
     * allocation failure): the message was made beforehand, nothing is allocated here. */
    state->failed = 1;
    SET_VECTOR_ELT(state->failure, 0, VECTOR_ELT(state->failure, 1));
  }
}

/* Sets up `state` for the R value `progress` (NULL or a function, checked by the R side); the
 * caller protects the returned list for as long as the libmlflow call runs. */
SEXP mlf_progress_init(struct progress_state *state, SEXP progress) {
  if (!Rf_isNull(progress) && !Rf_isFunction(progress)) mlf_raise_invalid("`progress` must be a function or NULL");
  state->fn = progress;
  state->failed = 0;
  state->failure = PROTECT(Rf_allocVector(VECSXP, 2));
  SET_VECTOR_ELT(state->failure, 1,
                 Rf_mkString("the progress callback did not return normally (it jumped out of its evaluation, "
                             "e.g. with invokeRestart(\"abort\")); it was not called again"));
  UNPROTECT(1);
  return state->failure;
}

mlflow_progress_callback mlf_progress_callback(const struct progress_state *state) {
  return Rf_isNull(state->fn) ? NULL : progress_trampoline;
}

/* After the libmlflow call returned: signals the progress function's failure, if any, as the
 * R error of the call (its condition as it was raised). */
void mlf_progress_raise_if_failed(const struct progress_state *state) {
  if (!state->failed) return;
  SEXP failure = VECTOR_ELT(state->failure, 0);
  if (TYPEOF(failure) == STRSXP) Rf_error("libmlflow: %s", CHAR(STRING_ELT(failure, 0)));
  SEXP call = PROTECT(Rf_lang2(Rf_install("stop"), failure));
  Rf_eval(call, R_BaseEnv);
  UNPROTECT(1);
}

SEXP C_log_artifact(SEXP client_ptr, SEXP run_id, SEXP local_path, SEXP artifact_path, SEXP is_dir,
                    SEXP progress) {
  const mlflow_client *client = mlf_client(client_ptr);
  const char *c_run = mlf_utf8(run_id, "run_id");
  const char *c_local = mlf_utf8(local_path, "path");
  const char *c_artifact = mlf_opt_utf8(artifact_path, "artifact_path");
  int dir = Rf_asLogical(is_dir);
  struct progress_state state;
  PROTECT(mlf_progress_init(&state, progress));
  mlflow_progress_callback cb = mlf_progress_callback(&state);
  mlflow_status st = dir == TRUE ? mlflow_client_log_artifacts(client, c_run, c_local, c_artifact, cb, &state)
                                 : mlflow_client_log_artifact(client, c_run, c_local, c_artifact, cb, &state);
  if (st != MLFLOW_OK) mlf_raise_status(st);
  mlf_progress_raise_if_failed(&state);
  UNPROTECT(1);
  return R_NilValue;
}

SEXP C_log_text(SEXP client_ptr, SEXP run_id, SEXP text, SEXP artifact_file) {
  const mlflow_client *client = mlf_client(client_ptr);
  const char *c_run = mlf_utf8(run_id, "run_id");
  const char *c_text = mlf_utf8(text, "text");
  const char *c_file = mlf_utf8(artifact_file, "artifact_file");
  mlflow_status st = mlflow_client_log_text(client, c_run, c_text, strlen(c_text), c_file);
  if (st != MLFLOW_OK) mlf_raise_status(st);
  return R_NilValue;
}

/* The JSON array of FileInfo objects (parsed on the R side). */
SEXP C_list_artifacts(SEXP client_ptr, SEXP run_id, SEXP path) {
  const mlflow_client *client = mlf_client(client_ptr);
  const char *c_run = mlf_utf8(run_id, "run_id");
  const char *c_path = mlf_opt_utf8(path, "path");
  SEXP token = PROTECT(R_MakeUnwindCont());
  char *json = NULL;
  size_t len = 0;
  mlflow_status st = mlflow_client_list_artifacts(client, c_run, c_path, &json, &len);
  if (st != MLFLOW_OK) mlf_raise_status(st);
  SEXP out = mlf_take_string(json, len, token);
  UNPROTECT(1);
  return out;
}

/* The local path of what was downloaded. Exactly one of `run_id` and `artifact_uri` is given
 * (libmlflow checks it). */
SEXP C_download_artifacts(SEXP client_ptr, SEXP run_id, SEXP artifact_path, SEXP artifact_uri, SEXP dst_path,
                          SEXP progress) {
  const mlflow_client *client = mlf_client(client_ptr);
  const char *c_run = mlf_opt_utf8(run_id, "run_id");
  const char *c_path = mlf_opt_utf8(artifact_path, "path");
  const char *c_uri = mlf_opt_utf8(artifact_uri, "artifact_uri");
  const char *c_dst = mlf_opt_utf8(dst_path, "dst_path");
  struct progress_state state;
  PROTECT(mlf_progress_init(&state, progress));
  SEXP token = PROTECT(R_MakeUnwindCont());
  char *out_path = NULL;
  size_t len = 0;
  mlflow_status st = mlflow_client_download_artifacts(client, c_run, c_path, c_uri, c_dst, mlf_progress_callback(&state),
                                                      &state, &out_path, &len);
  if (st != MLFLOW_OK) mlf_raise_status(st);
  SEXP out = PROTECT(mlf_take_string(out_path, len, token));
  mlf_progress_raise_if_failed(&state);
  UNPROTECT(3);
  return out;
}
