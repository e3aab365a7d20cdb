/* Internal helpers for building rn_status errors. */
#ifndef RN_CORE_STATUS_H
#define RN_CORE_STATUS_H

#include "rn.h"

#if defined(__GNUC__)
#define RN_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define RN_PRINTF(a, b)
#endif

/* A new error status with a printf-formatted message. Never returns NULL
 * (falls back to a static out-of-memory status). */
rn_status *rn_error(rn_status_code code, const char *fmt, ...) RN_PRINTF(2, 3);

/* Prefixes an existing error's message with context ("node 'x' (Conv): ...").
 * Returns the same status (or NULL if status was NULL). */
rn_status *rn_error_prefix(rn_status *status, const char *fmt, ...) RN_PRINTF(2, 3);

/* Evaluate an expression returning rn_status*; return it if it is an error. */
#define RN_TRY(expr)                \
  do {                              \
    rn_status *rn_try_st_ = (expr); \
    if (rn_try_st_) return rn_try_st_; \
  } while (0)

#endif
