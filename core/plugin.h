/* Plugins on the host side: loading (a process-wide registry: libraries are
 * never unloaded, so kernels and schemas stay valid for every session), op
 * schemas exposed as rn_op_defs, and the node view plugins read through
 * rn_plugin_host. */
#ifndef RN_CORE_PLUGIN_H
#define RN_CORE_PLUGIN_H

#include "env.h"
#include "op.h"
#include "rn_plugin.h"

typedef struct rn_loaded_plugin rn_loaded_plugin;

/* A plugin op schema adapted to core's operator contract. */
typedef struct rn_schema_def {
  rn_op_def def; /* first: a node's op pointer can be turned back into this */
  const rn_plugin_schema *schema;
  const rn_loaded_plugin *plugin;
} rn_schema_def;

struct rn_loaded_plugin {
  char *path;              /* as resolved by realpath */
  void *handle;            /* dlopen handle, NULL if loading failed */
  const rn_plugin *table;  /* NULL if loading failed */
  char *error;             /* why it failed, or NULL */
  rn_schema_def *schemas;  /* one per table->schemas entry */
};

/* The node view handed to plugins (supports/prepare/infer). */
struct rn_plugin_node {
  const rn_node *node;
  int n_in, n_out;
  rn_plugin_tensor in[64], out[64];
  bool in_present[64];
};

/* The host table given to plugins (threads filled in per session). */
rn_plugin_host rn_plugin_host_table(int threads);

/* Builtins first, then the schemas of the environment's plugins. */
const rn_op_def *rn_op_find_env(const rn_env *env, const char *domain, const char *op_type, int opset,
                                rn_status **why);

/* Converts between core tensors and the plugin view (type, shape, data). */
void rn_plugin_tensor_from(rn_plugin_tensor *dst, const rn_tensor *src);

#endif
