/* Environments: logging and limits (see rn_env in rn.h). */
#ifndef RN_CORE_ENV_H
#define RN_CORE_ENV_H

#include <stdint.h>

#include "status.h"

enum { RN_N_LIMITS = 3, RN_ENV_MAX_PLUGINS = 32 };

struct rn_loaded_plugin;

struct rn_env {
  rn_log_fn log_fn;
  void *log_user;
  rn_log_level log_level;
  uint64_t limits[RN_N_LIMITS]; /* 0 = none */
  /* Plugin loads attempted (core/plugin.c's registry owns them; never freed). */
  struct rn_loaded_plugin *plugins[RN_ENV_MAX_PLUGINS];
  int n_plugins;
};

/* The defaults used when no environment is given. */
const rn_env *rn_env_default(void);
/* Logs a printf-formatted message if env's level lets it through. */
void rn_log(const rn_env *env, rn_log_level level, const char *fmt, ...) RN_PRINTF(3, 4);
/* Error if bytes exceed the limit; `what` names the thing measured. */
rn_status *rn_env_check_limit(const rn_env *env, rn_limit limit, uint64_t bytes, const char *what);

#endif
