/* Loading plugins (dlopen, ABI check, search path) and adapting their op
 * schemas to core's operator contract. */
#include "plugin.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef RN_PLUGIN_INSTALL_DIR
#define RN_PLUGIN_INSTALL_DIR ""
#endif
#ifndef RN_PLUGIN_BUILD_DIR
#define RN_PLUGIN_BUILD_DIR ""
#endif

enum { MAX_PLUGINS = 64 };

/* Process-wide: every library ever attempted, loaded or not (never unloaded). */
static rn_loaded_plugin *registry[MAX_PLUGINS];
static int n_registry;
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- the host side of rn_plugin.h ---- */

static const char *h_node_name(const rn_plugin_node *n) { return n->node->name; }
static const char *h_node_op_type(const rn_plugin_node *n) { return n->node->op_type; }
static const char *h_node_domain(const rn_plugin_node *n) { return n->node->domain; }
static int h_node_opset(const rn_plugin_node *n) { return n->node->opset; }
static int h_node_input_count(const rn_plugin_node *n) { return n->n_in; }
static int h_node_output_count(const rn_plugin_node *n) { return n->n_out; }
static const rn_plugin_tensor *h_node_input(const rn_plugin_node *n, int k) {
  return k >= 0 && k < n->n_in && n->in_present[k] ? &n->in[k] : NULL;
}
static const rn_plugin_tensor *h_node_output(const rn_plugin_node *n, int k) {
  return k >= 0 && k < n->n_out ? &n->out[k] : NULL;
}
static int64_t h_attr_int(const rn_plugin_node *n, const char *name, int64_t def) {
  return rn_attr_int(n->node, name, def);
}
static float h_attr_float(const rn_plugin_node *n, const char *name, float def) {
  return rn_attr_float(n->node, name, def);
}
static const char *h_attr_string(const rn_plugin_node *n, const char *name, const char *def) {
  return rn_attr_string(n->node, name, def);
}
static int h_attr_ints(const rn_plugin_node *n, const char *name, const int64_t **values) {
  return (int)rn_attr_ints(n->node, name, values);
}
static int h_attr_floats(const rn_plugin_node *n, const char *name, const float **values) {
  return (int)rn_attr_floats(n->node, name, values);
}

rn_plugin_host rn_plugin_host_table(int threads) {
  rn_plugin_host h = {RN_PLUGIN_ABI_VERSION, sizeof(rn_plugin_host), h_node_name, h_node_op_type,
                      h_node_domain, h_node_opset, h_node_input_count, h_node_output_count,
                      h_node_input, h_node_output, h_attr_int, h_attr_float, h_attr_string,
                      h_attr_ints, h_attr_floats, threads > 0 ? threads : 1};
  return h;
}

void rn_plugin_tensor_from(rn_plugin_tensor *dst, const rn_tensor *src) {
  memset(dst, 0, sizeof *dst);
  dst->dtype = (int32_t)src->dtype;
  dst->rank = src->shape.rank;
  for (int d = 0; d < src->shape.rank; d++) dst->dims[d] = src->shape.dims[d];
  dst->data = src->data;
  dst->nbytes = src->nbytes;
}

/* ---- schemas as rn_op_defs ---- */

static rn_status *schema_infer(rn_op_ctx *ctx) {
  const rn_schema_def *sd = (const rn_schema_def *)ctx->node->op;
  struct rn_plugin_node *pn = calloc(1, sizeof *pn);
  if (!pn) return rn_op_error(ctx, RN_ERR_OUT_OF_MEMORY, "out of memory");
  pn->node = ctx->node;
  pn->n_in = ctx->n_inputs < 64 ? ctx->n_inputs : 64;
  pn->n_out = ctx->n_outputs < 64 ? ctx->n_outputs : 64;
  rn_plugin_tensor *outs[64] = {0};
  for (int k = 0; k < pn->n_in; k++)
    if ((pn->in_present[k] = ctx->inputs[k] != NULL)) rn_plugin_tensor_from(&pn->in[k], ctx->inputs[k]);
  for (int k = 0; k < pn->n_out; k++) outs[k] = ctx->outputs[k] ? &pn->out[k] : NULL;
  rn_plugin_host host = rn_plugin_host_table(1);
  char err[512] = "";
  int rc = sd->schema->infer(&host, pn, outs, err, sizeof err);
  rn_status *st = NULL;
  if (rc) {
    err[sizeof err - 1] = 0;
    st = rn_op_error(ctx, RN_ERR_INVALID_MODEL, "plugin '%s': %s", sd->plugin->table->name, err[0] ? err : "shape inference failed");
  }
  for (int k = 0; !st && k < pn->n_out; k++) {
    if (!outs[k]) continue;
    if (outs[k]->rank < 0 || outs[k]->rank > RN_MAX_RANK) {
      st = rn_op_error(ctx, RN_ERR_INVALID_MODEL, "plugin '%s' inferred rank %d for output %d",
                       sd->plugin->table->name, outs[k]->rank, k);
      break;
    }
    rn_shape shape = rn_shape_make(outs[k]->rank, outs[k]->dims);
    rn_op_set_output(ctx, k, (rn_dtype)outs[k]->dtype, &shape);
  }
  free(pn);
  return st;
}

/* ---- loading ---- */

static char *fmt_error(const char *fmt, ...) RN_PRINTF(1, 2);
static char *fmt_error(const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return strdup(buf);
}

/* Loads (or finds) the library at `path`; the entry is kept even on failure. */
static rn_loaded_plugin *registry_load(const char *path) {
  char real[PATH_MAX];
  const char *key = realpath(path, real) ? real : path;
  pthread_mutex_lock(&registry_lock);
  for (int i = 0; i < n_registry; i++)
    if (strcmp(registry[i]->path, key) == 0) {
      pthread_mutex_unlock(&registry_lock);
      return registry[i];
    }
  rn_loaded_plugin *lp = n_registry < MAX_PLUGINS ? calloc(1, sizeof *lp) : NULL;
  if (!lp) {
    pthread_mutex_unlock(&registry_lock);
    return NULL;
  }
  lp->path = strdup(key);
  struct stat sb;
  if (stat(key, &sb) != 0) {
    lp->error = fmt_error("%s: %s", key, strerror(errno));
  } else if (!(lp->handle = dlopen(key, RTLD_NOW | RTLD_LOCAL))) {
    const char *why = dlerror();
    lp->error = fmt_error("%s: cannot load: %s", key, why ? why : "unknown error");
  } else {
    rn_plugin_entry_fn entry = (rn_plugin_entry_fn)(uintptr_t)dlsym(lp->handle, RN_PLUGIN_ENTRY_SYMBOL);
    const rn_plugin *t = entry ? entry(RN_PLUGIN_ABI_VERSION) : NULL;
    if (!entry)
      lp->error = fmt_error("%s: not an rn plugin (no symbol '%s')", key, RN_PLUGIN_ENTRY_SYMBOL);
    else if (!t)
      lp->error = fmt_error("%s: the plugin declined host ABI version %u", key, RN_PLUGIN_ABI_VERSION);
    else if (t->abi_version != RN_PLUGIN_ABI_VERSION)
      lp->error = fmt_error("%s: built for plugin ABI %u, this rn speaks ABI %u", key, t->abi_version,
                            RN_PLUGIN_ABI_VERSION);
    else if (t->struct_size < sizeof(rn_plugin) || !t->name || t->n_kernels < 0 || t->n_schemas < 0 ||
             (t->n_kernels && !t->kernels) || (t->n_schemas && !t->schemas))
      lp->error = fmt_error("%s: malformed plugin table", key);
    for (int k = 0; !lp->error && k < t->n_kernels; k++)
      if (t->kernels[k].abi_version != RN_PLUGIN_ABI_VERSION || !t->kernels[k].op_type || !t->kernels[k].domain ||
          !t->kernels[k].supports || !t->kernels[k].prepare || !t->kernels[k].run)
        lp->error = fmt_error("%s: kernel #%d is malformed or built for another ABI", key, k);
    for (int k = 0; !lp->error && k < t->n_schemas; k++)
      if (t->schemas[k].abi_version != RN_PLUGIN_ABI_VERSION || !t->schemas[k].op_type || !t->schemas[k].domain ||
          !t->schemas[k].infer)
        lp->error = fmt_error("%s: schema #%d is malformed or built for another ABI", key, k);
    if (!lp->error) {
      lp->table = t;
      lp->schemas = calloc((size_t)t->n_schemas + 1, sizeof *lp->schemas);
      for (int k = 0; lp->schemas && k < t->n_schemas; k++) {
        const rn_plugin_schema *s = &t->schemas[k];
        lp->schemas[k].def = (rn_op_def){s->domain, s->op_type, s->since_version, s->max_version,
                                         s->min_inputs, s->max_inputs, s->min_outputs, s->max_outputs,
                                         schema_infer, NULL, NULL, false, false, 0};
        lp->schemas[k].schema = s;
        lp->schemas[k].plugin = lp;
      }
    }
    if (lp->error) {
      dlclose(lp->handle);
      lp->handle = NULL;
    }
  }
  registry[n_registry++] = lp;
  pthread_mutex_unlock(&registry_lock);
  return lp;
}

rn_status *rn_env_load_plugin(rn_env *env, const char *path) {
  if (!env || !path) return rn_error(RN_ERR_INVALID_ARGUMENT, "rn_env_load_plugin: NULL argument");
  rn_loaded_plugin *lp = registry_load(path);
  if (!lp) return rn_error(RN_ERR_LIMIT, "%s: more than %d plugins", path, MAX_PLUGINS);
  for (int i = 0; i < env->n_plugins; i++)
    if (env->plugins[i] == lp) return lp->error ? rn_error(RN_ERR_NOT_FOUND, "plugin %s", lp->error) : NULL;
  if (env->n_plugins == RN_ENV_MAX_PLUGINS)
    return rn_error(RN_ERR_LIMIT, "%s: more than %d plugins in one environment", path, RN_ENV_MAX_PLUGINS);
  env->plugins[env->n_plugins++] = lp;
  if (lp->error) {
    rn_log(env, RN_LOG_WARNING, "plugin %s", lp->error);
    return rn_error(RN_ERR_NOT_FOUND, "plugin %s", lp->error);
  }
  rn_log(env, RN_LOG_INFO, "plugin '%s' %s loaded from %s (%d kernels, %d ops)", lp->table->name,
         lp->table->version ? lp->table->version : "", lp->path, lp->table->n_kernels, lp->table->n_schemas);
  return NULL;
}

static bool is_plugin_file(const char *name) {
  size_t n = strlen(name);
  return n > 3 && strcmp(name + n - 3, ".so") == 0 &&
         (strncmp(name, "rn-plugin-", 10) == 0 || strncmp(name, "librn-plugin-", 13) == 0);
}

/* Loads the plugin files in dir and its immediate subfolders (a build tree
 * keeps each plugin in its own folder). */
static int scan_dir(rn_env *env, const char *dir, int depth) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char path[PATH_MAX];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= sizeof path) continue;
    struct stat sb;
    if (stat(path, &sb) != 0) continue;
    if (S_ISDIR(sb.st_mode) && depth == 0) scan_dir(env, path, 1);
    else if (S_ISREG(sb.st_mode) && is_plugin_file(e->d_name)) rn_status_free(rn_env_load_plugin(env, path));
  }
  closedir(d);
  return 0;
}

rn_status *rn_env_load_plugins(rn_env *env, const char *dirs) {
  if (!env) return rn_error(RN_ERR_INVALID_ARGUMENT, "rn_env_load_plugins: env is NULL");
  char search[8192];
  if (dirs) {
    snprintf(search, sizeof search, "%s", dirs);
  } else {
    const char *user = getenv("RN_PLUGIN_PATH");
    snprintf(search, sizeof search, "%s%s%s:%s", user ? user : "", user ? ":" : "", RN_PLUGIN_INSTALL_DIR,
             RN_PLUGIN_BUILD_DIR);
  }
  char *save = NULL;
  for (char *dir = strtok_r(search, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
    if (!dir[0]) continue;
    if (scan_dir(env, dir, 0) != 0 && dirs)
      return rn_error(RN_ERR_IO, "plugin folder '%s': %s", dir, strerror(errno));
  }
  return NULL;
}

int rn_env_plugin_count(const rn_env *env) { return env ? env->n_plugins : 0; }

rn_status *rn_env_plugin_info(const rn_env *env, int index, rn_plugin_info *info) {
  if (!env || !info || index < 0 || index >= env->n_plugins)
    return rn_error(RN_ERR_INVALID_ARGUMENT, "plugin index %d out of range", index);
  const rn_loaded_plugin *lp = env->plugins[index];
  memset(info, 0, sizeof *info);
  info->path = lp->path;
  info->error = lp->error;
  if (lp->table) {
    info->name = lp->table->name;
    info->version = lp->table->version;
    info->n_kernels = lp->table->n_kernels;
    info->n_schemas = lp->table->n_schemas;
  }
  return NULL;
}

const rn_op_def *rn_op_find_env(const rn_env *env, const char *domain, const char *op_type, int opset,
                                rn_status **why) {
  rn_status *builtin_why = NULL;
  const rn_op_def *d = rn_op_find(domain, op_type, opset, &builtin_why);
  if (d) return d;
  for (int i = 0; env && i < env->n_plugins; i++) {
    const rn_loaded_plugin *lp = env->plugins[i];
    for (int k = 0; lp->table && k < lp->table->n_schemas; k++) {
      const rn_op_def *sd = &lp->schemas[k].def;
      if (strcmp(sd->domain, domain) == 0 && strcmp(sd->op_type, op_type) == 0 && opset >= sd->since_version &&
          opset <= sd->max_version) {
        rn_status_free(builtin_why);
        return sd;
      }
    }
  }
  if (why) *why = builtin_why;
  else rn_status_free(builtin_why);
  return NULL;
}
