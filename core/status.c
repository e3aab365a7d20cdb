#include "status.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rn_status {
  rn_status_code code;
  int is_static; /* the out-of-memory fallback is never freed */
  char *message;
};

static rn_status oom_status = {RN_ERR_OUT_OF_MEMORY, 1, "out of memory"};

static rn_status *status_vnew(rn_status_code code, const char *fmt, va_list ap) {
  rn_status *st = malloc(sizeof *st);
  if (!st) return &oom_status;
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  st->message = malloc((size_t)(n < 0 ? 0 : n) + 1);
  if (!st->message) {
    free(st);
    return &oom_status;
  }
  vsnprintf(st->message, (size_t)n + 1, fmt, ap);
  st->code = code;
  st->is_static = 0;
  return st;
}

rn_status *rn_error(rn_status_code code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  rn_status *st = status_vnew(code, fmt, ap);
  va_end(ap);
  return st;
}

rn_status *rn_error_prefix(rn_status *status, const char *fmt, ...) {
  if (!status || status->is_static) return status;
  char prefix[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  size_t len = strlen(prefix) + strlen(status->message) + 3;
  char *msg = malloc(len);
  if (!msg) return status;
  snprintf(msg, len, "%s: %s", prefix, status->message);
  free(status->message);
  status->message = msg;
  return status;
}

rn_status *rn_status_create(rn_status_code code, const char *message) {
  return rn_error(code, "%s", message ? message : "");
}

rn_status_code rn_status_get_code(const rn_status *status) {
  return status ? status->code : RN_OK;
}

const char *rn_status_message(const rn_status *status) {
  return status ? status->message : "ok";
}

void rn_status_free(rn_status *status) {
  if (!status || status->is_static) return;
  free(status->message);
  free(status);
}

const char *rn_status_code_name(rn_status_code code) {
  switch (code) {
    case RN_OK: return "ok";
    case RN_ERR_INVALID_ARGUMENT: return "invalid argument";
    case RN_ERR_INVALID_MODEL: return "invalid model";
    case RN_ERR_UNSUPPORTED: return "unsupported";
    case RN_ERR_IO: return "i/o error";
    case RN_ERR_OUT_OF_MEMORY: return "out of memory";
    case RN_ERR_LIMIT: return "limit exceeded";
    case RN_ERR_RUNTIME: return "runtime error";
    case RN_ERR_NOT_FOUND: return "not found";
  }
  return "unknown";
}
