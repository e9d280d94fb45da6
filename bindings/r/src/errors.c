/* Turning libmlflow statuses and bad input into R conditions, and the argument conversions
 * every entry point shares. */
#include <math.h>
#include <string.h>

#include "glue.h"

/* Calls libmlflow:::raise_mlflow_error(status, status_name, message), which signals the classed
 * condition. The message is copied into R memory first: libmlflow's buffer is only valid until
 * its next failing call, and nothing of libmlflow is live here, so the longjmp is safe. */
__attribute__((noreturn)) static void raise_condition(int status, const char *status_name, const char *message) {
  SEXP msg = PROTECT(Rf_ScalarString(Rf_mkCharCE(message, CE_UTF8)));
  SEXP name = PROTECT(Rf_mkString(status_name));
  SEXP code = PROTECT(Rf_ScalarInteger(status));
  SEXP ns = PROTECT(R_FindNamespace(Rf_mkString("libmlflow")));
  SEXP call = PROTECT(Rf_lang4(Rf_install("raise_mlflow_error"), code, name, msg));
  Rf_eval(call, ns);
  /* raise_mlflow_error always signals an error; reaching this line would be a bug there. */
  UNPROTECT(5);
  Rf_error("libmlflow: %s", message);
}

void mlf_raise_status(mlflow_status status) {
  raise_condition((int)status, mlflow_status_name((int32_t)status), mlflow_last_error_message());
}

void mlf_raise_invalid(const char *message) {
  raise_condition(MLFLOW_ERR_INVALID_ARGUMENT, mlflow_status_name(MLFLOW_ERR_INVALID_ARGUMENT), message);
}

static void *checked_ptr(SEXP ptr, const char *tag, const char *what) {
  if (TYPEOF(ptr) != EXTPTRSXP || R_ExternalPtrTag(ptr) != Rf_install(tag)) {
    char buf[160];
    snprintf(buf, sizeof buf, "`%s` is not a libmlflow %s handle", what, what);
    mlf_raise_invalid(buf);
  }
  void *p = R_ExternalPtrAddr(ptr);
  if (p == NULL) {
    char buf[200];
    snprintf(buf, sizeof buf, "the %s is closed (its handle was freed, or comes from a saved R session)",
             what);
    raise_condition(MLFLOW_ERR_CLOSED, mlflow_status_name(MLFLOW_ERR_CLOSED), buf);
  }
  return p;
}

const mlflow_client *mlf_client(SEXP ptr) { return checked_ptr(ptr, "mlflow_client", "client"); }

const mlflow_run *mlf_run(SEXP ptr) { return checked_ptr(ptr, "mlflow_run", "run"); }

const char *mlf_utf8_at(SEXP x, R_xlen_t i, const char *what) {
  if (TYPEOF(x) != STRSXP || i >= XLENGTH(x)) {
    char buf[160];
    snprintf(buf, sizeof buf, "`%s` must be a character string", what);
    mlf_raise_invalid(buf);
  }
  SEXP s = STRING_ELT(x, i);
  if (s == NA_STRING) {
    char buf[160];
    snprintf(buf, sizeof buf, "`%s` must not be NA", what);
    mlf_raise_invalid(buf);
  }
  return Rf_translateCharUTF8(s);
}

const char *mlf_utf8(SEXP x, const char *what) { return mlf_utf8_at(x, 0, what); }

const char *mlf_opt_utf8(SEXP x, const char *what) {
  if (Rf_isNull(x)) return NULL;
  return mlf_utf8(x, what);
}

int64_t mlf_int64(double x, const char *what) {
  /* 2^63: the first double beyond int64's range. */
  if (!isfinite(x) || x >= 9223372036854775808.0 || x < -9223372036854775808.0 || x != floor(x)) {
    char buf[200];
    snprintf(buf, sizeof buf, "`%s` must be whole numbers within the 64-bit integer range (got %g)", what, x);
    mlf_raise_invalid(buf);
  }
  return (int64_t)x;
}

struct owned_string {
  char *ptr;
  size_t len;
};

static SEXP copy_owned_string(void *data) {
  struct owned_string *s = data;
  if (s->len > INT32_MAX) Rf_error("libmlflow: a response of %zu bytes is too long for an R string", s->len);
  return Rf_ScalarString(Rf_mkCharLenCE(s->ptr, (int)s->len, CE_UTF8));
}

static void free_owned_string(void *data, Rboolean jump) {
  (void)jump;
  struct owned_string *s = data;
  mlflow_string_free(s->ptr);
  s->ptr = NULL;
}

SEXP mlf_take_string(char *s, size_t len, SEXP token) {
  struct owned_string owned = {s, len};
  return R_UnwindProtect(copy_owned_string, &owned, free_owned_string, &owned, token);
}
