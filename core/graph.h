/* The core graph: values, nodes, initializers, opsets. Built by onnx/ (import)
 * and, later, by the Lua builder; compiled into plans by core/plan.c. */
#ifndef RN_CORE_GRAPH_H
#define RN_CORE_GRAPH_H

#include <stdbool.h>
#include <stdint.h>

#include "status.h"
#include "strmap.h"
#include "tensor.h"

/* Attribute types; the values are ONNX AttributeProto.AttributeType's. */
typedef enum rn_attr_type {
  RN_ATTR_UNDEFINED = 0,
  RN_ATTR_FLOAT = 1,
  RN_ATTR_INT = 2,
  RN_ATTR_STRING = 3,
  RN_ATTR_TENSOR = 4,
  RN_ATTR_GRAPH = 5,
  RN_ATTR_FLOATS = 6,
  RN_ATTR_INTS = 7,
  RN_ATTR_STRINGS = 8,
  RN_ATTR_TENSORS = 9,
  RN_ATTR_GRAPHS = 10,
  RN_ATTR_SPARSE_TENSOR = 11,
  RN_ATTR_SPARSE_TENSORS = 12,
  RN_ATTR_TYPE_PROTO = 13,
  RN_ATTR_TYPE_PROTOS = 14
} rn_attr_type;

typedef struct rn_attr {
  char *name;
  rn_attr_type type;
  float f;
  int64_t i;
  char *s;          /* NUL-terminated (may contain NULs; s_len is exact) */
  size_t s_len;
  rn_tensor *t;
  int64_t n;        /* element count of the list types below */
  float *floats;
  int64_t *ints;
  char **strings;
  rn_tensor **tensors;
} rn_attr;

/* A symbolic-or-known dimension of a declared value type. */
typedef struct rn_value {
  char *name;
  rn_dtype dtype;                  /* RN_DTYPE_UNDEFINED when not declared */
  int rank;                        /* -1 when unknown */
  int64_t dims[RN_MAX_RANK];       /* -1 for dynamic */
  char *dim_params[RN_MAX_RANK];   /* symbolic name of a dynamic dim, or NULL */
  rn_tensor *constant;             /* initializer / folded constant (a reference), or NULL */
  int producer;                    /* node index, or -1 */
} rn_value;

typedef struct rn_node {
  char *name;
  char *op_type;
  char *domain;       /* "" for the default ONNX domain ("ai.onnx" is normalized to "") */
  int opset;          /* opset version of `domain` in the model */
  int n_inputs;
  int *inputs;        /* value indices; -1 for an omitted optional input */
  int n_outputs;
  int *outputs;       /* value indices; -1 for an omitted optional output */
  int n_attrs;
  rn_attr *attrs;
  const struct rn_op_def *op; /* resolved by rn_graph_resolve_ops */
} rn_node;

typedef struct rn_opset {
  char *domain;
  int64_t version;
} rn_opset;

typedef struct rn_metadata_prop {
  char *key;
  char *value;
} rn_metadata_prop;

typedef struct rn_graph {
  char *name;
  char *producer;
  rn_value *values;
  int n_values, cap_values;
  rn_strmap value_index;  /* name -> value index */
  rn_node *nodes;
  int n_nodes, cap_nodes;
  int *inputs;            /* graph inputs that are not initializers */
  int n_inputs;
  int *outputs;
  int n_outputs;
  rn_opset *opsets;
  int n_opsets;
  rn_metadata_prop *metadata;
  int n_metadata;
} rn_graph;

rn_graph *rn_graph_new(void);
void rn_graph_free(rn_graph *g);
/* A structural copy; constants are shared (retained), not copied. */
rn_graph *rn_graph_clone(const rn_graph *g);

/* Index of the value named `name`, creating it if absent; -1 on OOM. */
int rn_graph_value(rn_graph *g, const char *name);
/* Index of the value named `name`, or -1. */
int rn_graph_find_value(const rn_graph *g, const char *name);
/* A new value with a unique name derived from `hint`; -1 on OOM. */
int rn_graph_new_value(rn_graph *g, const char *hint);
/* Appends a node; inputs/outputs/attrs are copied. Returns its index or -1. */
int rn_graph_add_node(rn_graph *g, const char *name, const char *op_type, const char *domain,
                      int n_inputs, const int *inputs, int n_outputs, const int *outputs);
/* Frees the nodes i with removed[i] and closes the gaps, keeping order.
 * Values' producer fields are stale afterwards: call rn_graph_validate. */
void rn_graph_remove_nodes(rn_graph *g, const bool *removed);
/* Opset version of `domain` ("" = ONNX), or -1 if not imported. */
int64_t rn_graph_opset(const rn_graph *g, const char *domain);
rn_status *rn_graph_set_opset(rn_graph *g, const char *domain, int64_t version);

/* Checks structure (producers unique, inputs defined, acyclic) and fills the
 * values' producer fields. */
rn_status *rn_graph_validate(rn_graph *g);
/* Sets each node's opset and op definition (UNSUPPORTED if neither rn nor
 * a plugin of `env` has one; env may be NULL). */
struct rn_env;
rn_status *rn_graph_resolve_ops(rn_graph *g, const struct rn_env *env);

/* Node order in which every node follows its producers; error on a cycle.
 * `order` must hold g->n_nodes entries. */
rn_status *rn_graph_topo_order(const rn_graph *g, int *order);

/* Attribute access. */
const rn_attr *rn_node_attr(const rn_node *node, const char *name);
int64_t rn_attr_int(const rn_node *node, const char *name, int64_t def);
float rn_attr_float(const rn_node *node, const char *name, float def);
/* String attribute or `def`. */
const char *rn_attr_string(const rn_node *node, const char *name, const char *def);
/* INTS attribute: returns count (or -1 if absent) and sets *vals. */
int64_t rn_attr_ints(const rn_node *node, const char *name, const int64_t **vals);
int64_t rn_attr_floats(const rn_node *node, const char *name, const float **vals);
void rn_attr_clear(rn_attr *a);
/* The getters above cannot fail: asking for an attribute that exists with
 * another type returns the default and is noted per thread. The plan builder
 * resets the note before each `infer` and takes it after (as an error). */
void rn_attr_reset_mismatch(void);
rn_status *rn_attr_take_mismatch(void);

#endif
