/* Clients: open (with options), flush, close, free, experiments by name, and the JSON entry
 * point for the rest of MLflow's API. */
#include <string.h>

#include "glue.h"

static void client_finalizer(SEXP ptr) {
  /* Safety net only: a client the user did not close is closed here (bounded by its close
   * timeout) once R collects it or R exits. */
  mlflow_client *client = R_ExternalPtrAddr(ptr);
  if (client != NULL) {
    R_ClearExternalPtr(ptr);
    mlflow_client_free(client);
  }
}

static uint64_t timeout_ms(SEXP x) {
  double ms = Rf_asReal(x);
  if (ISNAN(ms) || ms < 0) mlf_raise_invalid("`timeout` must be a non-negative number of seconds");
  return ms > 1e15 ? (uint64_t)1e15 : (uint64_t)ms;
}

/* `spool_dir` NULL and `offline` NA keep libmlflow's defaults (LIBMLFLOW_SPOOL_DIR,
 * LIBMLFLOW_OFFLINE); both matter only for tracking servers. `registry_uri` NULL: the default
 * (MLFLOW_REGISTRY_URI, else the tracking URI). */
SEXP C_client_open(SEXP uri, SEXP source_name, SEXP close_timeout, SEXP spool_dir, SEXP offline, SEXP registry_uri) {
  /* Everything that allocates in R comes first, while nothing of libmlflow is live. */
  const char *c_uri = mlf_opt_utf8(uri, "tracking_uri");
  const char *c_source = mlf_opt_utf8(source_name, "source_name");
  const char *c_spool_dir = mlf_opt_utf8(spool_dir, "spool_dir");
  const char *c_registry_uri = mlf_opt_utf8(registry_uri, "registry_uri");
  int c_offline = Rf_asLogical(offline);
  uint64_t c_close_ms = timeout_ms(close_timeout);
  SEXP ptr = PROTECT(R_MakeExternalPtr(NULL, Rf_install("mlflow_client"), R_NilValue));
  R_RegisterCFinalizerEx(ptr, client_finalizer, TRUE);

  mlflow_options *options = mlflow_options_new();
  if (options == NULL) Rf_error("libmlflow: out of memory creating client options");
  mlflow_status st = mlflow_options_set_tracking_uri(options, c_uri);
  if (st == MLFLOW_OK && c_source != NULL) st = mlflow_options_set_source_name(options, c_source);
  if (st == MLFLOW_OK) st = mlflow_options_set_close_timeout_ms(options, c_close_ms);
  if (st == MLFLOW_OK && c_spool_dir != NULL) st = mlflow_options_set_spool_dir(options, c_spool_dir);
  if (st == MLFLOW_OK && c_registry_uri != NULL) st = mlflow_options_set_registry_uri(options, c_registry_uri);
  if (st == MLFLOW_OK && c_offline != NA_LOGICAL) st = mlflow_options_set_offline(options, c_offline != 0);
  mlflow_client *client = NULL;
  if (st == MLFLOW_OK) st = mlflow_client_open(options, &client);
  mlflow_options_free(options);
  if (st != MLFLOW_OK) mlf_raise_status(st);

  R_SetExternalPtrAddr(ptr, client);
  UNPROTECT(1);
  return ptr;
}

SEXP C_client_flush(SEXP ptr, SEXP timeout) {
  uint64_t ms = timeout_ms(timeout);
  mlflow_status st = mlflow_client_flush(mlf_client(ptr), ms);
  if (st != MLFLOW_OK) mlf_raise_status(st);
  return R_NilValue;
}

/* Closes (ends the runs it started and left open, writes what is queued) and returns the close
 * report as a named numeric vector; the handle stays allocated until freed, so later calls get
 * libmlflow's MLFLOW_ERR_CLOSED. A failed close still returns the report, with the error
 * status and message as attributes, for the R side to signal. */
SEXP C_client_close(SEXP ptr, SEXP timeout) {
  uint64_t ms = timeout_ms(timeout);
  const mlflow_client *client = mlf_client(ptr);
  SEXP out = PROTECT(Rf_allocVector(REALSXP, 5));
  SEXP names = PROTECT(Rf_allocVector(STRSXP, 5));
  SET_STRING_ELT(names, 0, Rf_mkChar("written"));
  SET_STRING_ELT(names, 1, Rf_mkChar("dropped"));
  SET_STRING_ELT(names, 2, Rf_mkChar("unwritten"));
  SET_STRING_ELT(names, 3, Rf_mkChar("failed"));
  SET_STRING_ELT(names, 4, Rf_mkChar("unsent"));
  Rf_setAttrib(out, R_NamesSymbol, names);

  mlflow_close_report report;
  memset(&report, 0, sizeof report);
  mlflow_status st = mlflow_client_close(client, ms, &report);
  REAL(out)[0] = (double)report.written;
  REAL(out)[1] = (double)report.dropped;
  REAL(out)[2] = (double)report.unwritten;
  REAL(out)[3] = (double)report.failed;
  /* Tracking servers: safe in the spool, not delivered yet (not a failure). */
  REAL(out)[4] = (double)report.unsent;
  if (st != MLFLOW_OK) {
    SEXP msg = PROTECT(Rf_ScalarString(Rf_mkCharCE(mlflow_last_error_message(), CE_UTF8)));
    SEXP code = PROTECT(Rf_ScalarInteger((int)st));
    Rf_setAttrib(out, Rf_install("status"), code);
    Rf_setAttrib(out, Rf_install("message"), msg);
    UNPROTECT(2);
  }
  UNPROTECT(2);
  return out;
}

SEXP C_client_free(SEXP ptr) {
  if (TYPEOF(ptr) == EXTPTRSXP) client_finalizer(ptr);
  return R_NilValue;
}

SEXP C_client_is_open(SEXP ptr) {
  return Rf_ScalarLogical(TYPEOF(ptr) == EXTPTRSXP && R_ExternalPtrAddr(ptr) != NULL);
}

SEXP C_create_experiment(SEXP ptr, SEXP name, SEXP artifact_location) {
  const mlflow_client *client = mlf_client(ptr);
  const char *c_name = mlf_utf8(name, "name");
  const char *c_location = mlf_opt_utf8(artifact_location, "artifact_location");
  SEXP token = PROTECT(R_MakeUnwindCont());
  char *id = NULL;
  mlflow_status st = mlflow_client_create_experiment(client, c_name, c_location, &id);
  if (st != MLFLOW_OK) mlf_raise_status(st);
  SEXP out = mlf_take_string(id, strlen(id), token);
  UNPROTECT(1);
  return out;
}

SEXP C_get_experiment_id(SEXP ptr, SEXP name) {
  const mlflow_client *client = mlf_client(ptr);
  const char *c_name = mlf_utf8(name, "name");
  SEXP token = PROTECT(R_MakeUnwindCont());
  char *id = NULL;
  mlflow_status st = mlflow_client_get_experiment_id(client, c_name, &id);
  if (st != MLFLOW_OK) mlf_raise_status(st);
  SEXP out = mlf_take_string(id, strlen(id), token);
  UNPROTECT(1);
  return out;
}

SEXP C_set_experiment(SEXP ptr, SEXP name) {
  const mlflow_client *client = mlf_client(ptr);
  const char *c_name = mlf_utf8(name, "experiment_name");
  SEXP token = PROTECT(R_MakeUnwindCont());
  char *id = NULL;
  mlflow_status st = mlflow_client_set_experiment(client, c_name, &id);
  if (st != MLFLOW_OK) mlf_raise_status(st);
  SEXP out = mlf_take_string(id, strlen(id), token);
  UNPROTECT(1);
  return out;
}

SEXP C_client_call(SEXP ptr, SEXP method, SEXP request) {
  const mlflow_client *client = mlf_client(ptr);
  const char *c_method = mlf_utf8(method, "method");
  const char *c_request = mlf_utf8(request, "request");
  SEXP token = PROTECT(R_MakeUnwindCont());
  char *json = NULL;
  size_t len = 0;
  mlflow_status st = mlflow_client_call(client, c_method, c_request, MLFLOW_NUL_TERMINATED, &json, &len);
  if (st != MLFLOW_OK) mlf_raise_status(st);
  SEXP out = mlf_take_string(json, len, token);
  UNPROTECT(1);
  return out;
}

SEXP C_library_version(void) {
  SEXP out = PROTECT(Rf_allocVector(STRSXP, 2));
  SET_STRING_ELT(out, 0, Rf_mkChar(mlflow_version()));
  uint32_t abi = mlflow_abi_version();
  char buf[32];
  snprintf(buf, sizeof buf, "%u.%u", abi >> 16, abi & 0xFFFFu);
  SET_STRING_ELT(out, 1, Rf_mkChar(buf));
  UNPROTECT(1);
  return out;
}
