/*
 * rn_plugin.h — the plugin ABI of rn. The only header a plugin includes.
 *
 * A plugin is a shared library exporting one C function,
 *
 *     const rn_plugin *rn_plugin_entry(uint32_t host_abi_version);
 *
 * returning a static table: the plugin's name and version, the operator
 * schemas it adds (new ops, e.g. in its own domain) and its kernels (ops it
 * can run, standard or its own). The host calls the entry point once, checks
 * `abi_version` (the first field of every struct a plugin fills) before
 * reading anything else, and refuses a mismatch with a message naming the
 * file and both versions. A plugin may return NULL to decline a host version.
 *
 * Kernels are chosen per node when a session compiles a plan for concrete
 * shapes: every kernel whose domain, op type and opset range match is asked
 * `supports`; the highest score wins, rn's built-in reference kernel scoring
 * 1 (so a plugin returns 2 or more to take a node, 0 to leave it). The
 * winner's `prepare` runs once per plan (pack weights here: constant inputs
 * have data), `run` once per inference — concurrently from several threads
 * on one state, so `run` must not modify the state — and `release` when the
 * plan is freed.
 *
 * ABI 1 plugins compute on host memory.
 */
#ifndef RN_PLUGIN_H
#define RN_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RN_PLUGIN_ABI_VERSION 1u
#define RN_PLUGIN_ENTRY_SYMBOL "rn_plugin_entry"
#define RN_PLUGIN_MAX_RANK 8

#if defined(__GNUC__)
#define RN_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define RN_PLUGIN_EXPORT
#endif

/* A tensor as plugins see it. dtype uses ONNX TensorProto.DataType values
 * (1 float32, 6 int32, 7 int64, 9 bool, 11 float64, ...). */
typedef struct rn_plugin_tensor {
  int32_t dtype;
  int32_t rank;
  int64_t dims[RN_PLUGIN_MAX_RANK];
  void *data;    /* at supports/prepare time: non-NULL only for constants */
  size_t nbytes;
} rn_plugin_tensor;

/* A node being placed; read it through the host functions. */
typedef struct rn_plugin_node rn_plugin_node;

/* What the host offers plugins. */
typedef struct rn_plugin_host {
  uint32_t abi_version; /* RN_PLUGIN_ABI_VERSION of the host */
  uint32_t struct_size;
  const char *(*node_name)(const rn_plugin_node *node);
  const char *(*node_op_type)(const rn_plugin_node *node);
  const char *(*node_domain)(const rn_plugin_node *node);
  int (*node_opset)(const rn_plugin_node *node);
  int (*node_input_count)(const rn_plugin_node *node);
  int (*node_output_count)(const rn_plugin_node *node);
  /* Type and shape (data for constants); NULL for an omitted optional input. */
  const rn_plugin_tensor *(*node_input)(const rn_plugin_node *node, int k);
  /* Inferred type and shape of output k (at supports/prepare time). */
  const rn_plugin_tensor *(*node_output)(const rn_plugin_node *node, int k);
  /* Attributes: the default when absent. */
  int64_t (*attr_int)(const rn_plugin_node *node, const char *name, int64_t def);
  float (*attr_float)(const rn_plugin_node *node, const char *name, float def);
  const char *(*attr_string)(const rn_plugin_node *node, const char *name, const char *def);
  /* Element count (values in *values), or -1 when absent. */
  int (*attr_ints)(const rn_plugin_node *node, const char *name, const int64_t **values);
  int (*attr_floats)(const rn_plugin_node *node, const char *name, const float **values);
  int threads; /* threads the session may use (>= 1) */
} rn_plugin_host;

/* A new operator (schema): arity and shape inference. Its decomposition into
 * standard ops, if any, is the model author's business in ABI 1. */
typedef struct rn_plugin_schema {
  uint32_t abi_version;
  const char *domain;
  const char *op_type;
  int since_version, max_version;
  int min_inputs, max_inputs, min_outputs, max_outputs;
  /* Sets dtype, rank and dims of each output. 0 = ok; else writes a message
   * into err (err_size bytes) and returns non-zero. */
  int (*infer)(const rn_plugin_host *host, const rn_plugin_node *node, rn_plugin_tensor *const *outputs,
               char *err, size_t err_size);
} rn_plugin_schema;

typedef struct rn_plugin_kernel {
  uint32_t abi_version;
  const char *domain;   /* "" for the default ONNX domain */
  const char *op_type;
  int since_version, max_version;
  /* 0: cannot run this node; 1 = as good as rn's reference; higher wins. */
  int (*supports)(const rn_plugin_host *host, const rn_plugin_node *node);
  /* Once per plan. *state is passed to run/workspace/release. 0 = ok. */
  int (*prepare)(const rn_plugin_host *host, const rn_plugin_node *node, void **state, char *err,
                 size_t err_size);
  /* Optional: scratch bytes `run` needs (64-byte aligned, from the run's arena). */
  size_t (*workspace)(const void *state);
  /* Computes the outputs (already allocated with the inferred shapes). Must be
   * safe to call concurrently with the same state. 0 = ok. */
  int (*run)(const void *state, const rn_plugin_tensor *const *inputs, int n_inputs,
             rn_plugin_tensor *const *outputs, int n_outputs, void *workspace, char *err, size_t err_size);
  void (*release)(void *state);
} rn_plugin_kernel;

typedef struct rn_plugin {
  uint32_t abi_version; /* first, always: RN_PLUGIN_ABI_VERSION the plugin was built with */
  uint32_t struct_size;
  const char *name;
  const char *version;
  const char *description;
  int n_schemas;
  const rn_plugin_schema *schemas;
  int n_kernels;
  const rn_plugin_kernel *kernels;
} rn_plugin;

typedef const rn_plugin *(*rn_plugin_entry_fn)(uint32_t host_abi_version);

#ifdef __cplusplus
}
#endif
#endif /* RN_PLUGIN_H */
