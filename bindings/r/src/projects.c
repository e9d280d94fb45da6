/* MLflow projects: starting a project run (mlflow_client_run_project) and the submitted-run
 * handle it returns (id, wait, status, cancel). The handle's finalizer only frees it: freeing
 * never stops the entry point, and libmlflow still ends the run when the process exits. */
#include <string.h>

#include "glue.h"

static const mlflow_submitted_run *submitted(SEXP ptr) {
  if (TYPEOF(ptr) != EXTPTRSXP || R_ExternalPtrTag(ptr) != Rf_install("mlflow_submitted_run")) {
    mlf_raise_invalid("`run` is not a libmlflow submitted run handle (from mlflow_submit_run())");
  }
  const mlflow_submitted_run *run = R_ExternalPtrAddr(ptr);
  if (run == NULL) {
    mlf_raise_invalid("the submitted run's handle was freed (or comes from a saved R session)");
  }
  return run;
}

static void submitted_finalizer(SEXP ptr) {
  mlflow_submitted_run *run = R_ExternalPtrAddr(ptr);
  if (run != NULL) {
    R_ClearExternalPtr(ptr);
    mlflow_submitted_run_free(run);
  }
}

/* Starts the project; `options_json` is built on the R side (entry_point, parameters, ...).
 * The external pointer (with its finalizer) exists before the call, so a handle libmlflow
 * gives together with an error (a failed synchronous run) is still owned and freed. */
SEXP C_run_project(SEXP client_ptr, SEXP uri, SEXP options_json) {
  const mlflow_client *client = mlf_client(client_ptr);
  const char *c_uri = mlf_utf8(uri, "uri");
  const char *c_options = mlf_utf8(options_json, "options");
  SEXP ptr = PROTECT(R_MakeExternalPtr(NULL, Rf_install("mlflow_submitted_run"), R_NilValue));
  R_RegisterCFinalizerEx(ptr, submitted_finalizer, TRUE);

  mlflow_submitted_run *run = NULL;
  mlflow_status st = mlflow_client_run_project(client, c_uri, c_options, &run);
  if (run != NULL) R_SetExternalPtrAddr(ptr, run);
  if (st != MLFLOW_OK) mlf_raise_status(st);
  UNPROTECT(1);
  return ptr;
}

SEXP C_submitted_run_id(SEXP ptr) {
  const char *id = mlflow_submitted_run_id(submitted(ptr));
  return Rf_mkString(id == NULL ? "" : id);
}

/* `timeout_ms`: a non-negative number, or NA to wait until the end. Returns the
 * mlflow_run_status (MLFLOW_RUN_RUNNING when the timeout passed first). */
SEXP C_submitted_run_wait(SEXP ptr, SEXP timeout_ms) {
  const mlflow_submitted_run *run = submitted(ptr);
  double ms = Rf_asReal(timeout_ms);
  int64_t c_ms = MLFLOW_WAIT_FOREVER;
  if (!ISNAN(ms)) {
    if (ms < 0) mlf_raise_invalid("`timeout` must be a non-negative number of seconds");
    c_ms = ms > 1e15 ? (int64_t)1e15 : (int64_t)ms;
  }
  int32_t status = 0;
  mlflow_status st = mlflow_submitted_run_wait(run, c_ms, &status);
  if (st != MLFLOW_OK) mlf_raise_status(st);
  return Rf_ScalarInteger(status);
}

SEXP C_submitted_run_get_status(SEXP ptr) {
  int32_t status = 0;
  mlflow_status st = mlflow_submitted_run_get_status(submitted(ptr), &status);
  if (st != MLFLOW_OK) mlf_raise_status(st);
  return Rf_ScalarInteger(status);
}

SEXP C_submitted_run_cancel(SEXP ptr) {
  int32_t status = 0;
  mlflow_status st = mlflow_submitted_run_cancel(submitted(ptr), &status);
  if (st != MLFLOW_OK) mlf_raise_status(st);
  return Rf_ScalarInteger(status);
}

/* The entry point's exit code (NA while it runs or when a signal ended it) and its command line,
 * for the message of a failed run (as MLflow's "failed with exit code N ...; command: ..."). */
SEXP C_submitted_run_exit_code(SEXP ptr) {
  int32_t code = -1;
  mlflow_status st = mlflow_submitted_run_exit_code(submitted(ptr), &code);
  if (st != MLFLOW_OK) mlf_raise_status(st);
  return Rf_ScalarInteger(code < 0 ? NA_INTEGER : code);
}

SEXP C_submitted_run_command(SEXP ptr) {
  const char *command = mlflow_submitted_run_command(submitted(ptr));
  return Rf_ScalarString(Rf_mkCharCE(command == NULL ? "" : command, CE_UTF8));
}
