/* Run handles and the typed logging calls (the hot path: validation and enqueue in libmlflow,
 * no JSON, one .Call per R vector). */
#include <string.h>

#include "glue.h"

static void run_finalizer(SEXP ptr) {
  /* Frees the handle only: ending a run is explicit (mlflow_end_run), or done by the client's
   * close, which ends the runs it started as FINISHED. */
  mlflow_run *run = R_ExternalPtrAddr(ptr);
  if (run != NULL) {
    R_ClearExternalPtr(ptr);
    mlflow_run_free(run);
  }
}

/* A run external pointer whose `prot` slot keeps the R client object alive as long as the run. */
static SEXP new_run_ptr(SEXP client_ptr) {
  SEXP ptr = PROTECT(R_MakeExternalPtr(NULL, Rf_install("mlflow_run"), client_ptr));
  R_RegisterCFinalizerEx(ptr, run_finalizer, TRUE);
  UNPROTECT(1);
  return ptr;
}

/* The tail of every call that opens a run handle: `ptr` (protected by the caller, made before
 * the call so no allocation can fail with a live handle) takes the run, or the status is raised. */
static SEXP adopt_run(SEXP ptr, mlflow_status st, mlflow_run *run) {
  if (st != MLFLOW_OK) mlf_raise_status(st);
  R_SetExternalPtrAddr(ptr, run);
  UNPROTECT(1);
  return ptr;
}

SEXP C_run_start(SEXP client_ptr, SEXP experiment_id, SEXP run_name, SEXP parent_run_id) {
  const mlflow_client *client = mlf_client(client_ptr);
  const char *c_exp = mlf_opt_utf8(experiment_id, "experiment_id");
  const char *c_name = mlf_opt_utf8(run_name, "run_name");
  const char *c_parent = mlf_opt_utf8(parent_run_id, "parent_run_id");
  SEXP ptr = PROTECT(new_run_ptr(client_ptr));
  mlflow_run *run = NULL;
  mlflow_status st = mlflow_client_start_run(client, c_exp, c_name, c_parent, &run);
  return adopt_run(ptr, st, run);
}

SEXP C_run_resume(SEXP client_ptr, SEXP run_id) {
  const mlflow_client *client = mlf_client(client_ptr);
  const char *c_id = mlf_utf8(run_id, "run_id");
  SEXP ptr = PROTECT(new_run_ptr(client_ptr));
  mlflow_run *run = NULL;
  mlflow_status st = mlflow_client_resume_run(client, c_id, &run);
  return adopt_run(ptr, st, run);
}

SEXP C_run_attach(SEXP client_ptr, SEXP run_id) {
  const mlflow_client *client = mlf_client(client_ptr);
  const char *c_id = mlf_utf8(run_id, "run_id");
  SEXP ptr = PROTECT(new_run_ptr(client_ptr));
  mlflow_run *run = NULL;
  mlflow_status st = mlflow_client_attach_run(client, c_id, &run);
  return adopt_run(ptr, st, run);
}

SEXP C_run_id(SEXP ptr) { return Rf_mkString(mlflow_run_id(mlf_run(ptr))); }

SEXP C_run_free(SEXP ptr) {
  if (TYPEOF(ptr) == EXTPTRSXP) run_finalizer(ptr);
  return R_NilValue;
}

static void check_length(SEXP x, R_xlen_t n, const char *what) {
  if (TYPEOF(x) != REALSXP || (XLENGTH(x) != 1 && XLENGTH(x) != n)) {
    char buf[200];
    snprintf(buf, sizeof buf, "`%s` must be a double vector of length 1 or %lld", what, (long long)n);
    mlf_raise_invalid(buf);
  }
}

/* Logs values[i] at (timestamps[i], steps[i]); timestamps may be NULL (now) and timestamps and
 * steps may have length 1 (recycled). Inputs are checked before anything is queued. */
SEXP C_run_log_metric(SEXP ptr, SEXP key, SEXP values, SEXP timestamps, SEXP steps) {
  const mlflow_run *run = mlf_run(ptr);
  const char *c_key = mlf_utf8(key, "key");
  if (TYPEOF(values) != REALSXP) mlf_raise_invalid("`value` must be a double vector");
  R_xlen_t n = XLENGTH(values);
  if (!Rf_isNull(timestamps)) check_length(timestamps, n, "timestamp");
  check_length(steps, n, "step");
  const double *v = REAL(values);
  const double *ts = Rf_isNull(timestamps) ? NULL : REAL(timestamps);
  const double *st = REAL(steps);
  R_xlen_t n_ts = ts ? XLENGTH(timestamps) : 0, n_st = XLENGTH(steps);
  for (R_xlen_t i = 0; i < n_ts; i++) mlf_int64(ts[i], "timestamp");
  for (R_xlen_t i = 0; i < n_st; i++) mlf_int64(st[i], "step");
  size_t key_len = strlen(c_key);
  for (R_xlen_t i = 0; i < n; i++) {
    int64_t t = ts ? (int64_t)ts[n_ts == 1 ? 0 : i] : MLFLOW_TIMESTAMP_NOW;
    int64_t s = (int64_t)st[n_st == 1 ? 0 : i];
    mlflow_status status = mlflow_run_log_metric_n(run, c_key, key_len, v[i], t, s);
    if (status != MLFLOW_OK) mlf_raise_status(status);
    /* Nothing of libmlflow is live between two calls, so an interrupt may jump out here. */
    if ((i & 0xFFFF) == 0xFFFF) R_CheckUserInterrupt();
  }
  return R_NilValue;
}

SEXP C_run_log_param(SEXP ptr, SEXP key, SEXP value) {
  const mlflow_run *run = mlf_run(ptr);
  const char *c_key = mlf_utf8(key, "key");
  const char *c_value = mlf_utf8(value, "value");
  mlflow_status st = mlflow_run_log_param(run, c_key, c_value);
  if (st != MLFLOW_OK) mlf_raise_status(st);
  return R_NilValue;
}

SEXP C_run_set_tag(SEXP ptr, SEXP key, SEXP value) {
  const mlflow_run *run = mlf_run(ptr);
  const char *c_key = mlf_utf8(key, "key");
  const char *c_value = mlf_utf8(value, "value");
  mlflow_status st = mlflow_run_set_tag(run, c_key, c_value);
  if (st != MLFLOW_OK) mlf_raise_status(st);
  return R_NilValue;
}

static mlflow_kv *kv_array(SEXP keys, SEXP values, const char *what) {
  if (TYPEOF(keys) != STRSXP || TYPEOF(values) != STRSXP || XLENGTH(keys) != XLENGTH(values)) {
    char buf[160];
    snprintf(buf, sizeof buf, "`%s` keys and values must be character vectors of one length", what);
    mlf_raise_invalid(buf);
  }
  R_xlen_t n = XLENGTH(keys);
  mlflow_kv *kv = (mlflow_kv *)R_alloc((size_t)(n > 0 ? n : 1), sizeof(mlflow_kv));
  for (R_xlen_t i = 0; i < n; i++) {
    kv[i].key = mlf_utf8_at(keys, i, what);
    kv[i].key_len = MLFLOW_NUL_TERMINATED;
    kv[i].value = mlf_utf8_at(values, i, what);
    kv[i].value_len = MLFLOW_NUL_TERMINATED;
  }
  return kv;
}

/* One all-or-nothing batch. All arrays live in R memory (R_alloc), released by R even if an
 * error jumps out. */
SEXP C_run_log_batch(SEXP ptr, SEXP m_keys, SEXP m_values, SEXP m_timestamps, SEXP m_steps, SEXP p_keys,
                     SEXP p_values, SEXP t_keys, SEXP t_values) {
  const mlflow_run *run = mlf_run(ptr);
  if (TYPEOF(m_keys) != STRSXP || TYPEOF(m_values) != REALSXP || TYPEOF(m_timestamps) != REALSXP ||
      TYPEOF(m_steps) != REALSXP || XLENGTH(m_values) != XLENGTH(m_keys) ||
      XLENGTH(m_timestamps) != XLENGTH(m_keys) || XLENGTH(m_steps) != XLENGTH(m_keys))
    mlf_raise_invalid("metrics must be columns of one length: key (character), value, timestamp, step (double)");
  R_xlen_t n_m = XLENGTH(m_keys);
  mlflow_metric *metrics = (mlflow_metric *)R_alloc((size_t)(n_m > 0 ? n_m : 1), sizeof(mlflow_metric));
  for (R_xlen_t i = 0; i < n_m; i++) {
    metrics[i].key = mlf_utf8_at(m_keys, i, "metrics$key");
    metrics[i].key_len = MLFLOW_NUL_TERMINATED;
    metrics[i].value = REAL(m_values)[i];
    metrics[i].timestamp_ms = mlf_int64(REAL(m_timestamps)[i], "metrics$timestamp");
    metrics[i].step = mlf_int64(REAL(m_steps)[i], "metrics$step");
  }
  mlflow_kv *params = kv_array(p_keys, p_values, "params");
  mlflow_kv *tags = kv_array(t_keys, t_values, "tags");
  mlflow_status st = mlflow_run_log_batch(run, metrics, (size_t)n_m, params, (size_t)XLENGTH(p_keys), tags,
                                          (size_t)XLENGTH(t_keys));
  if (st != MLFLOW_OK) mlf_raise_status(st);
  return R_NilValue;
}

SEXP C_run_end(SEXP ptr, SEXP status) {
  const mlflow_run *run = mlf_run(ptr);
  int c_status = Rf_asInteger(status);
  mlflow_status st = mlflow_run_end(run, c_status);
  if (st != MLFLOW_OK) mlf_raise_status(st);
  return R_NilValue;
}
