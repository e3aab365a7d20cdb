#include "env.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static const rn_env default_env = {
    NULL, NULL, RN_LOG_WARNING, {(uint64_t)2 << 30, (uint64_t)4 << 30, 0}, {0}, 0};

const rn_env *rn_env_default(void) { return &default_env; }

rn_status *rn_env_create(rn_env **out) {
  if (!out) return rn_error(RN_ERR_INVALID_ARGUMENT, "rn_env_create: out is NULL");
  *out = malloc(sizeof **out);
  if (!*out) return rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
  **out = default_env;
  return NULL;
}

void rn_env_free(rn_env *env) { free(env); }

rn_status *rn_env_set_logger(rn_env *env, rn_log_level level, rn_log_fn fn, void *user) {
  if (!env) return rn_error(RN_ERR_INVALID_ARGUMENT, "rn_env_set_logger: env is NULL");
  if (level < RN_LOG_ERROR || level > RN_LOG_DEBUG)
    return rn_error(RN_ERR_INVALID_ARGUMENT, "log level %d out of range", (int)level);
  env->log_fn = fn;
  env->log_user = user;
  env->log_level = level;
  return NULL;
}

static const char *limit_name(rn_limit limit) {
  switch (limit) {
    case RN_LIMIT_MODEL_BYTES: return "model size";
    case RN_LIMIT_TENSOR_BYTES: return "tensor size";
    case RN_LIMIT_ARENA_BYTES: return "arena size";
  }
  return "?";
}

rn_status *rn_env_set_limit(rn_env *env, rn_limit limit, uint64_t bytes) {
  if (!env) return rn_error(RN_ERR_INVALID_ARGUMENT, "rn_env_set_limit: env is NULL");
  if ((int)limit < 0 || (int)limit >= RN_N_LIMITS)
    return rn_error(RN_ERR_INVALID_ARGUMENT, "unknown limit %d", (int)limit);
  env->limits[limit] = bytes;
  return NULL;
}

void rn_log(const rn_env *env, rn_log_level level, const char *fmt, ...) {
  if (!env || !env->log_fn || level > env->log_level) return;
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  env->log_fn(env->log_user, level, msg);
}

rn_status *rn_env_check_limit(const rn_env *env, rn_limit limit, uint64_t bytes, const char *what) {
  uint64_t max = env ? env->limits[limit] : 0;
  if (max && bytes > max)
    return rn_error(RN_ERR_LIMIT, "%s: %llu bytes exceed the %s limit of %llu bytes", what,
                    (unsigned long long)bytes, limit_name(limit), (unsigned long long)max);
  return NULL;
}
