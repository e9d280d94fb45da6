/* Registration of the .Call routines (no dynamic symbol lookup: every entry is listed here). */
#include <R_ext/Rdynload.h>

#include "glue.h"

SEXP C_client_open(SEXP, SEXP, SEXP, SEXP, SEXP, SEXP);
SEXP C_client_flush(SEXP, SEXP);
SEXP C_client_close(SEXP, SEXP);
SEXP C_client_free(SEXP);
SEXP C_client_is_open(SEXP);
SEXP C_create_experiment(SEXP, SEXP, SEXP);
SEXP C_get_experiment_id(SEXP, SEXP);
SEXP C_set_experiment(SEXP, SEXP);
SEXP C_client_call(SEXP, SEXP, SEXP);
SEXP C_library_version(void);
SEXP C_run_start(SEXP, SEXP, SEXP, SEXP);
SEXP C_run_resume(SEXP, SEXP);
SEXP C_run_attach(SEXP, SEXP);
SEXP C_run_id(SEXP);
SEXP C_run_free(SEXP);
SEXP C_run_log_metric(SEXP, SEXP, SEXP, SEXP, SEXP);
SEXP C_run_log_param(SEXP, SEXP, SEXP);
SEXP C_run_set_tag(SEXP, SEXP, SEXP);
SEXP C_run_log_batch(SEXP, SEXP, SEXP, SEXP, SEXP, SEXP, SEXP, SEXP, SEXP);
SEXP C_run_end(SEXP, SEXP);
SEXP C_sync_spool(SEXP, SEXP, SEXP);
SEXP C_client_server_run_id(SEXP, SEXP);
SEXP C_client_undelivered(SEXP);
SEXP C_log_artifact(SEXP, SEXP, SEXP, SEXP, SEXP, SEXP);
SEXP C_log_text(SEXP, SEXP, SEXP, SEXP);
SEXP C_list_artifacts(SEXP, SEXP, SEXP);
SEXP C_download_artifacts(SEXP, SEXP, SEXP, SEXP, SEXP, SEXP);
SEXP C_log_model(SEXP, SEXP, SEXP, SEXP, SEXP);
SEXP C_register_model(SEXP, SEXP, SEXP);
SEXP C_set_registered_model_alias(SEXP, SEXP, SEXP, SEXP);
SEXP C_delete_registered_model_alias(SEXP, SEXP, SEXP);
SEXP C_transition_model_version_stage(SEXP, SEXP, SEXP, SEXP, SEXP);
SEXP C_get_model_version_download_uri(SEXP, SEXP, SEXP);
SEXP C_model_load(SEXP);
SEXP C_model_save(SEXP, SEXP);
SEXP C_run_project(SEXP, SEXP, SEXP);
SEXP C_submitted_run_id(SEXP);
SEXP C_submitted_run_wait(SEXP, SEXP);
SEXP C_submitted_run_get_status(SEXP);
SEXP C_submitted_run_cancel(SEXP);
SEXP C_submitted_run_exit_code(SEXP);
SEXP C_submitted_run_command(SEXP);

#define ENTRY(name, n) {#name, (DL_FUNC)&name, n}

static const R_CallMethodDef call_methods[] = {
    ENTRY(C_client_open, 6),     ENTRY(C_client_flush, 2),    ENTRY(C_client_close, 2),
    ENTRY(C_client_free, 1),     ENTRY(C_client_is_open, 1),  ENTRY(C_create_experiment, 3),
    ENTRY(C_get_experiment_id, 2), ENTRY(C_set_experiment, 2), ENTRY(C_client_call, 3),
    ENTRY(C_library_version, 0), ENTRY(C_run_start, 4),       ENTRY(C_run_resume, 2),
    ENTRY(C_run_attach, 2),      ENTRY(C_run_id, 1),          ENTRY(C_run_free, 1),
    ENTRY(C_run_log_metric, 5),  ENTRY(C_run_log_param, 3),   ENTRY(C_run_set_tag, 3),
    ENTRY(C_run_log_batch, 9),   ENTRY(C_run_end, 2),         ENTRY(C_sync_spool, 3),
    ENTRY(C_client_server_run_id, 2), ENTRY(C_client_undelivered, 1), ENTRY(C_log_artifact, 6), ENTRY(C_log_text, 4),
    ENTRY(C_list_artifacts, 3), ENTRY(C_download_artifacts, 6),
    ENTRY(C_log_model, 5),       ENTRY(C_register_model, 3),  ENTRY(C_set_registered_model_alias, 4),
    ENTRY(C_delete_registered_model_alias, 3), ENTRY(C_transition_model_version_stage, 5),
    ENTRY(C_get_model_version_download_uri, 3), ENTRY(C_model_load, 1), ENTRY(C_model_save, 2),
    ENTRY(C_run_project, 3),     ENTRY(C_submitted_run_id, 1), ENTRY(C_submitted_run_wait, 2),
    ENTRY(C_submitted_run_get_status, 1), ENTRY(C_submitted_run_cancel, 1),
    ENTRY(C_submitted_run_exit_code, 1), ENTRY(C_submitted_run_command, 1),
    {NULL, NULL, 0}};

void R_init_libmlflow(DllInfo *dll) {
  R_registerRoutines(dll, NULL, call_methods, NULL, NULL);
  R_useDynamicSymbols(dll, FALSE);
  R_forceSymbols(dll, TRUE);
}
