/* Shared helpers of the .Call glue between R and libmlflow's C ABI (include/mlflow.h).
 *
 * The one rule every file here follows: R may longjmp out of any allocating call, so no
 * libmlflow resource (options, returned string, fresh handle) is ever live while R allocates
 * without a cleanup registered. Errors are raised only after the libmlflow call returned, with
 * its message first copied into R memory. */
#ifndef LIBMLFLOW_R_GLUE_H
#define LIBMLFLOW_R_GLUE_H

#define R_NO_REMAP
#include <R.h>
#include <Rinternals.h>
#include <stdint.h>

#include <mlflow.h>

/* Raises the R condition for a failed libmlflow call (class "mlflow_error" and one per status);
 * never returns. */
void mlf_raise_status(mlflow_status status) __attribute__((noreturn));

/* Raises an R condition for bad input found by the glue itself; never returns. */
void mlf_raise_invalid(const char *message) __attribute__((noreturn));

/* The client behind an external pointer made by C_client_open (an R error if it is not one
 * or was freed). */
const mlflow_client *mlf_client(SEXP ptr);

/* The run handle behind an external pointer made by C_run_start/resume/attach. */
const mlflow_run *mlf_run(SEXP ptr);

/* A UTF-8 copy (R memory) of element 0 of a character vector, or NULL when `x` is NULL;
 * NA is an error naming `what`. */
const char *mlf_opt_utf8(SEXP x, const char *what);
const char *mlf_utf8(SEXP x, const char *what);
const char *mlf_utf8_at(SEXP x, R_xlen_t i, const char *what);

/* A whole-number double as int64 (an R error naming `what` if NA, not finite or out of range). */
int64_t mlf_int64(double x, const char *what);

/* Takes ownership of a string returned by libmlflow: copies it into an R character scalar and
 * frees the original, also if the copy fails (R_UnwindProtect). `token` comes from
 * R_MakeUnwindCont(), made (and protected) by the caller BEFORE the libmlflow call, so nothing
 * allocates between the call and this one. */
SEXP mlf_take_string(char *s, size_t len, SEXP token);

/* Progress callbacks of transfers (artifacts.c): an R function(done, total), wrapped on the R
 * side to return NULL or the condition it signalled, called through a trampoline that runs it in
 * R_ToplevelExec so that no R error unwinds through libmlflow. */
struct progress_state {
  SEXP fn;       /* R function(done, total) returning NULL or a condition; R_NilValue: none */
  SEXP failure;  /* protected list: [0] the first failure (NULL: none), [1] the message for a jump */
  int failed;
};

/* Sets up `state` for `progress` (NULL or a function); the caller protects the returned list for
 * as long as the libmlflow call runs. */
SEXP mlf_progress_init(struct progress_state *state, SEXP progress);

/* The trampoline to pass to libmlflow, or NULL without a progress function. */
mlflow_progress_callback mlf_progress_callback(const struct progress_state *state);

/* After the libmlflow call returned: raises the progress function's failure, if any. */
void mlf_progress_raise_if_failed(const struct progress_state *state);

#endif
