/* Models and the registry: log a model directory (MLflow 3's LoggedModel), register a model URI,
 * aliases, stage transitions, a version's download URI, and building / reading a model directory.
 * The rest of the registry goes through C_client_call in MLflow's REST JSON (R/registry.R).
 * Version numbers arrive as R doubles (checked whole numbers, converted by mlf_int64). */
#include <string.h>

#include "glue.h"

/* MLflow's ModelInfo as JSON. `options_json` NULL: none. */
SEXP C_log_model(SEXP client_ptr, SEXP run_id, SEXP model_dir, SEXP options_json, SEXP progress) {
  const mlflow_client *client = mlf_client(client_ptr);
  const char *c_run = mlf_opt_utf8(run_id, "run_id");
  const char *c_dir = mlf_utf8(model_dir, "path");
  const char *c_options = mlf_opt_utf8(options_json, "options");
  struct progress_state state;
  PROTECT(mlf_progress_init(&state, progress));
  SEXP token = PROTECT(R_MakeUnwindCont());
  char *json = NULL;
  size_t len = 0;
  mlflow_status st = mlflow_client_log_model(client, c_run, c_dir, c_options, mlf_progress_callback(&state), &state,
                                             &json, &len);
  if (st != MLFLOW_OK) mlf_raise_status(st);
  SEXP out = PROTECT(mlf_take_string(json, len, token));
  mlf_progress_raise_if_failed(&state);
  UNPROTECT(3);
  return out;
}

/* The new version's number (a double: R's integers are 32-bit). */
SEXP C_register_model(SEXP client_ptr, SEXP model_uri, SEXP name) {
  const mlflow_client *client = mlf_client(client_ptr);
  const char *c_uri = mlf_utf8(model_uri, "model_uri");
  const char *c_name = mlf_utf8(name, "name");
  SEXP out = PROTECT(Rf_allocVector(REALSXP, 1));
  int64_t version = 0;
  mlflow_status st = mlflow_client_register_model(client, c_uri, c_name, &version);
  if (st != MLFLOW_OK) mlf_raise_status(st);
  REAL(out)[0] = (double)version;
  UNPROTECT(1);
  return out;
}

SEXP C_set_registered_model_alias(SEXP client_ptr, SEXP name, SEXP alias, SEXP version) {
  const mlflow_client *client = mlf_client(client_ptr);
  const char *c_name = mlf_utf8(name, "name");
  const char *c_alias = mlf_utf8(alias, "alias");
  int64_t c_version = mlf_int64(Rf_asReal(version), "version");
  mlflow_status st = mlflow_client_set_registered_model_alias(client, c_name, c_alias, c_version);
  if (st != MLFLOW_OK) mlf_raise_status(st);
  return R_NilValue;
}

SEXP C_delete_registered_model_alias(SEXP client_ptr, SEXP name, SEXP alias) {
  const mlflow_client *client = mlf_client(client_ptr);
  const char *c_name = mlf_utf8(name, "name");
  const char *c_alias = mlf_utf8(alias, "alias");
  mlflow_status st = mlflow_client_delete_registered_model_alias(client, c_name, c_alias);
  if (st != MLFLOW_OK) mlf_raise_status(st);
  return R_NilValue;
}

/* The updated ModelVersion as MLflow's JSON. */
SEXP C_transition_model_version_stage(SEXP client_ptr, SEXP name, SEXP version, SEXP stage, SEXP archive) {
  const mlflow_client *client = mlf_client(client_ptr);
  const char *c_name = mlf_utf8(name, "name");
  int64_t c_version = mlf_int64(Rf_asReal(version), "version");
  const char *c_stage = mlf_utf8(stage, "stage");
  int c_archive = Rf_asLogical(archive);
  if (c_archive == NA_LOGICAL) mlf_raise_invalid("`archive_existing_versions` must be TRUE or FALSE");
  SEXP token = PROTECT(R_MakeUnwindCont());
  char *json = NULL;
  size_t len = 0;
  mlflow_status st =
      mlflow_client_transition_model_version_stage(client, c_name, c_version, c_stage, c_archive != 0, &json, &len);
  if (st != MLFLOW_OK) mlf_raise_status(st);
  SEXP out = mlf_take_string(json, len, token);
  UNPROTECT(1);
  return out;
}

SEXP C_get_model_version_download_uri(SEXP client_ptr, SEXP name, SEXP version) {
  const mlflow_client *client = mlf_client(client_ptr);
  const char *c_name = mlf_utf8(name, "name");
  int64_t c_version = mlf_int64(Rf_asReal(version), "version");
  SEXP token = PROTECT(R_MakeUnwindCont());
  char *uri = NULL;
  size_t len = 0;
  mlflow_status st = mlflow_client_get_model_version_download_uri(client, c_name, c_version, &uri, &len);
  if (st != MLFLOW_OK) mlf_raise_status(st);
  SEXP out = mlf_take_string(uri, len, token);
  UNPROTECT(1);
  return out;
}

/* The MLmodel of a model directory (or the file itself) as JSON. */
SEXP C_model_load(SEXP path) {
  const char *c_path = mlf_utf8(path, "path");
  SEXP token = PROTECT(R_MakeUnwindCont());
  char *json = NULL;
  size_t len = 0;
  mlflow_status st = mlflow_model_load(c_path, &json, &len);
  if (st != MLFLOW_OK) mlf_raise_status(st);
  SEXP out = mlf_take_string(json, len, token);
  UNPROTECT(1);
  return out;
}

/* Builds the model directory `dest_dir` from the JSON spec; returns the MLmodel text written. */
SEXP C_model_save(SEXP spec_json, SEXP dest_dir) {
  const char *c_spec = mlf_utf8(spec_json, "spec");
  const char *c_dest = mlf_utf8(dest_dir, "path");
  SEXP token = PROTECT(R_MakeUnwindCont());
  char *mlmodel = NULL;
  size_t len = 0;
  mlflow_status st = mlflow_model_save(c_spec, c_dest, &mlmodel, &len);
  if (st != MLFLOW_OK) mlf_raise_status(st);
  SEXP out = mlf_take_string(mlmodel, len, token);
  UNPROTECT(1);
  return out;
}
