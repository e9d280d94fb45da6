/* The spool of tracking-server clients: the explicit sync entry point, local -> server run ids,
 * what is not delivered yet. */
#include <string.h>

#include "glue.h"

/* Runs mlflow_sync_spool and returns its JSON report (a character scalar). When the sync did
 * not deliver everything the report is still returned, with the status and message as
 * attributes, so the R side can signal a condition that carries the report. Errors that
 * prevent a sync (no spool there, a bad URI) are raised here. */
SEXP C_sync_spool(SEXP spool, SEXP uri, SEXP timeout) {
  const char *c_spool = mlf_opt_utf8(spool, "spool");
  const char *c_uri = mlf_opt_utf8(uri, "tracking_uri");
  double ms = Rf_asReal(timeout);
  if (ISNAN(ms) || ms < 0) mlf_raise_invalid("`timeout` must be a non-negative number of seconds");
  uint64_t c_ms = ms > 1e15 ? (uint64_t)1e15 : (uint64_t)ms;
  SEXP token = PROTECT(R_MakeUnwindCont());

  char *json = NULL;
  size_t len = 0;
  mlflow_status st = mlflow_sync_spool(c_spool, c_uri, c_ms, NULL, &json, &len);
  if (json == NULL) {
    /* No report: the sync could not start. */
    if (st == MLFLOW_OK) Rf_error("libmlflow: mlflow_sync_spool returned no report");
    mlf_raise_status(st);
  }
  /* The JSON is taken (copied, then freed) first; libmlflow's last error message is kept until
   * its next failing call, and freeing a string is not one. */
  SEXP out = PROTECT(mlf_take_string(json, len, token));
  if (st != MLFLOW_OK) {
    Rf_setAttrib(out, Rf_install("status"), PROTECT(Rf_ScalarInteger((int)st)));
    Rf_setAttrib(out, Rf_install("status_name"), PROTECT(Rf_mkString(mlflow_status_name((int32_t)st))));
    SEXP message = PROTECT(Rf_ScalarString(Rf_mkCharCE(mlflow_last_error_message(), CE_UTF8)));
    Rf_setAttrib(out, Rf_install("message"), message);
    UNPROTECT(3);
  }
  UNPROTECT(2);
  return out;
}

/* The server's id of a run started under a local id, or NA while it is not on the server (and
 * for ids that are not local ones, and for sqlite clients). */
SEXP C_client_server_run_id(SEXP ptr, SEXP run_id) {
  const mlflow_client *client = mlf_client(ptr);
  const char *c_id = mlf_utf8(run_id, "run_id");
  SEXP token = PROTECT(R_MakeUnwindCont());
  char *id = NULL;
  size_t len = 0;
  mlflow_status st = mlflow_client_server_run_id(client, c_id, &id, &len);
  SEXP out;
  if (st == MLFLOW_ERR_NOT_FOUND || st == MLFLOW_ERR_UNAVAILABLE) { /* not local / not delivered yet */
    out = Rf_ScalarString(NA_STRING);
  } else if (st != MLFLOW_OK) {
    mlf_raise_status(st);
  } else {
    out = mlf_take_string(id, len, token);
  }
  UNPROTECT(1);
  return out;
}

SEXP C_client_undelivered(SEXP ptr) {
  uint64_t n = 0;
  mlflow_status st = mlflow_client_undelivered(mlf_client(ptr), &n);
  if (st != MLFLOW_OK) mlf_raise_status(st);
  return Rf_ScalarReal((double)n);
}
