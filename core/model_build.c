/* Building a model node by node (the Lua module's path) and inspecting any
 * model: the public rn_model_* builder and getter functions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "op.h"
#include "plugin.h"

enum { DEFAULT_OPSET = 17 };

rn_status *rn_model_create(const char *graph_name, rn_model **out) {
  if (!out) return rn_error(RN_ERR_INVALID_ARGUMENT, "rn_model_create: out is NULL");
  *out = NULL;
  rn_graph *g = rn_graph_new();
  if (!g) return rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
  g->name = strdup(graph_name ? graph_name : "");
  g->producer = strdup("rn");
  rn_status *st = (!g->name || !g->producer) ? rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory")
                                             : rn_graph_set_opset(g, "", DEFAULT_OPSET);
  if (st) {
    rn_graph_free(g);
    return st;
  }
  return rn_model_from_graph(g, NULL, out);
}

rn_status *rn_model_set_opset(rn_model *m, const char *domain, int64_t version) {
  if (!m || version < 1) return rn_error(RN_ERR_INVALID_ARGUMENT, "opset version must be >= 1");
  const char *d = domain && strcmp(domain, "ai.onnx") != 0 ? domain : "";
  return rn_graph_set_opset(m->graph, d, version);
}

rn_status *rn_model_set_metadata(rn_model *m, const char *key, const char *value) {
  if (!m || !key || !value) return rn_error(RN_ERR_INVALID_ARGUMENT, "rn_model_set_metadata: NULL argument");
  rn_graph *g = m->graph;
  for (int i = 0; i < g->n_metadata; i++)
    if (strcmp(g->metadata[i].key, key) == 0) {
      char *v = strdup(value);
      if (!v) return rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
      free(g->metadata[i].value);
      g->metadata[i].value = v;
      return NULL;
    }
  rn_metadata_prop *md = realloc(g->metadata, sizeof *md * (size_t)(g->n_metadata + 1));
  if (!md) return rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
  g->metadata = md;
  md[g->n_metadata].key = strdup(key);
  md[g->n_metadata].value = strdup(value);
  if (!md[g->n_metadata].key || !md[g->n_metadata].value) {
    free(md[g->n_metadata].key);
    free(md[g->n_metadata].value);
    return rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
  }
  g->n_metadata++;
  return NULL;
}

static bool is_graph_input(const rn_graph *g, int v) {
  for (int i = 0; i < g->n_inputs; i++)
    if (g->inputs[i] == v) return true;
  return false;
}

/* A value exists once something defines it: an input, initializer or node. */
static bool is_defined(const rn_graph *g, int v) {
  return v >= 0 && (g->values[v].constant || g->values[v].producer >= 0 || is_graph_input(g, v));
}

static rn_status *append_index(int **list, int *n, int v) {
  int *l = realloc(*list, sizeof(int) * (size_t)(*n + 1));
  if (!l) return rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
  l[(*n)++] = v;
  *list = l;
  return NULL;
}

rn_status *rn_model_add_input(rn_model *m, const char *name, rn_dtype dtype, int rank,
                              const int64_t *dims, const char *const *dim_names) {
  if (!m || !name || !name[0]) return rn_error(RN_ERR_INVALID_ARGUMENT, "an input needs a name");
  if (rank < 0 || rank > RN_MAX_RANK || (rank && !dims))
    return rn_error(RN_ERR_INVALID_ARGUMENT, "input '%s': rank %d out of range 0..%d", name, rank, RN_MAX_RANK);
  if (!rn_dtype_size(dtype))
    return rn_error(RN_ERR_UNSUPPORTED, "input '%s': dtype %s is not supported", name, rn_dtype_name(dtype));
  rn_graph *g = m->graph;
  if (is_defined(g, rn_graph_find_value(g, name)))
    return rn_error(RN_ERR_INVALID_ARGUMENT, "input '%s': the name is already defined", name);
  int v = rn_graph_value(g, name);
  if (v < 0) return rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
  rn_value *val = &g->values[v];
  val->dtype = dtype;
  val->rank = rank;
  for (int d = 0; d < rank; d++) {
    if (dims[d] < -1) return rn_error(RN_ERR_INVALID_ARGUMENT, "input '%s': dim %d is %lld", name, d, (long long)dims[d]);
    val->dims[d] = dims[d];
    free(val->dim_params[d]);
    val->dim_params[d] = dims[d] < 0 && dim_names && dim_names[d] ? strdup(dim_names[d]) : NULL;
  }
  return append_index(&g->inputs, &g->n_inputs, v);
}

rn_status *rn_model_add_output(rn_model *m, const char *name) {
  if (!m || !name) return rn_error(RN_ERR_INVALID_ARGUMENT, "rn_model_add_output: NULL argument");
  rn_graph *g = m->graph;
  int v = rn_graph_find_value(g, name);
  if (!is_defined(g, v)) return rn_error(RN_ERR_INVALID_ARGUMENT, "output '%s' is not defined by any node, input or initializer", name);
  for (int i = 0; i < g->n_outputs; i++)
    if (g->outputs[i] == v) return rn_error(RN_ERR_INVALID_ARGUMENT, "output '%s' is already an output", name);
  return append_index(&g->outputs, &g->n_outputs, v);
}

rn_status *rn_model_set_initializer(rn_model *m, const char *name, const rn_tensor *value) {
  if (!m || !name || !name[0] || !value)
    return rn_error(RN_ERR_INVALID_ARGUMENT, "rn_model_set_initializer: NULL argument");
  rn_graph *g = m->graph;
  int v = rn_graph_find_value(g, name);
  char a[128], b[128];
  if (v >= 0 && g->values[v].constant) {
    const rn_tensor *old = g->values[v].constant;
    if (old->dtype != value->dtype || !rn_shape_equal(&old->shape, &value->shape))
      return rn_error(RN_ERR_INVALID_ARGUMENT, "initializer '%s' is %s %s, the new value is %s %s", name,
                      rn_dtype_name(old->dtype), rn_shape_str(&old->shape, a, sizeof a),
                      rn_dtype_name(value->dtype), rn_shape_str(&value->shape, b, sizeof b));
  } else if (is_defined(g, v)) {
    return rn_error(RN_ERR_INVALID_ARGUMENT, "'%s' is already an input or a node's output", name);
  }
  rn_tensor *copy = rn_tensor_clone(value);
  if (!copy) return rn_error(RN_ERR_OUT_OF_MEMORY, "initializer '%s': out of memory", name);
  if (v < 0 && (v = rn_graph_value(g, name)) < 0) {
    rn_tensor_release(copy);
    return rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
  }
  rn_value *val = &g->values[v];
  rn_tensor_release(val->constant);
  val->constant = copy;
  val->dtype = copy->dtype;
  val->rank = copy->shape.rank;
  memcpy(val->dims, copy->shape.dims, sizeof val->dims);
  return NULL;
}

rn_status *rn_model_add_node(rn_model *m, const char *op_type, const char *domain, const char *name,
                             int n_inputs, const char *const *inputs, int n_outputs,
                             const char *const *outputs, int *index_out) {
  if (!m || !op_type || !op_type[0] || n_inputs < 0 || n_outputs < 1 || (n_inputs && !inputs) || !outputs)
    return rn_error(RN_ERR_INVALID_ARGUMENT, "rn_model_add_node: invalid arguments");
  rn_graph *g = m->graph;
  char auto_name[128];
  if (!name || !name[0]) {
    snprintf(auto_name, sizeof auto_name, "%s_%d", op_type, g->n_nodes);
    name = auto_name;
  }
  int *ins = malloc(sizeof(int) * (size_t)(n_inputs + 1));
  int *outs = malloc(sizeof(int) * (size_t)(n_outputs + 1));
  rn_status *st = NULL;
  if (!ins || !outs) st = rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
  for (int k = 0; !st && k < n_inputs; k++) {
    if (!inputs[k] || !inputs[k][0]) {
      ins[k] = -1;
      continue;
    }
    ins[k] = rn_graph_find_value(g, inputs[k]);
    if (!is_defined(g, ins[k]))
      st = rn_error(RN_ERR_INVALID_ARGUMENT, "node '%s' (%s): input '%s' is not defined yet", name, op_type, inputs[k]);
  }
  for (int k = 0; !st && k < n_outputs; k++) {
    if (!outputs[k] || !outputs[k][0]) {
      st = rn_error(RN_ERR_INVALID_ARGUMENT, "node '%s' (%s): output %d has no name", name, op_type, k);
      break;
    }
    int existing = rn_graph_find_value(g, outputs[k]);
    if (existing >= 0 && (is_defined(g, existing) || g->values[existing].producer >= 0))
      st = rn_error(RN_ERR_INVALID_ARGUMENT, "node '%s' (%s): output '%s' is already defined", name, op_type, outputs[k]);
    for (int j = 0; !st && j < k; j++)
      if (strcmp(outputs[j], outputs[k]) == 0)
        st = rn_error(RN_ERR_INVALID_ARGUMENT, "node '%s' (%s): output '%s' appears twice", name, op_type, outputs[k]);
    if (!st && (outs[k] = rn_graph_value(g, outputs[k])) < 0) st = rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
  }
  int ni = -1;
  if (!st) {
    const char *d = domain && strcmp(domain, "ai.onnx") != 0 ? domain : "";
    ni = rn_graph_add_node(g, name, op_type, d, n_inputs, ins, n_outputs, outs);
    if (ni < 0) st = rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
    for (int k = 0; !st && k < n_outputs; k++) g->values[outs[k]].producer = ni;
  }
  free(ins);
  free(outs);
  if (!st && index_out) *index_out = ni;
  return st;
}

/* The attribute `name` of node i, created empty if absent (replaced if present). */
static rn_status *node_attr_slot(rn_model *m, int node, const char *name, rn_attr **out) {
  if (!m || !name || !name[0] || node < 0 || node >= m->graph->n_nodes)
    return rn_error(RN_ERR_INVALID_ARGUMENT, "node %d or attribute name invalid", node);
  rn_node *n = &m->graph->nodes[node];
  for (int k = 0; k < n->n_attrs; k++)
    if (strcmp(n->attrs[k].name, name) == 0) {
      rn_attr_clear(&n->attrs[k]);
      *out = &n->attrs[k];
      return (n->attrs[k].name = strdup(name)) ? NULL : rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
    }
  rn_attr *attrs = realloc(n->attrs, sizeof *attrs * (size_t)(n->n_attrs + 1));
  if (!attrs) return rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
  n->attrs = attrs;
  rn_attr *a = &attrs[n->n_attrs];
  memset(a, 0, sizeof *a);
  if (!(a->name = strdup(name))) return rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
  n->n_attrs++;
  *out = a;
  return NULL;
}

rn_status *rn_model_node_set_int(rn_model *m, int node, const char *attr, int64_t value) {
  rn_attr *a = NULL;
  RN_TRY(node_attr_slot(m, node, attr, &a));
  a->type = RN_ATTR_INT;
  a->i = value;
  return NULL;
}

rn_status *rn_model_node_set_float(rn_model *m, int node, const char *attr, float value) {
  rn_attr *a = NULL;
  RN_TRY(node_attr_slot(m, node, attr, &a));
  a->type = RN_ATTR_FLOAT;
  a->f = value;
  return NULL;
}

rn_status *rn_model_node_set_string(rn_model *m, int node, const char *attr, const char *value) {
  if (!value) return rn_error(RN_ERR_INVALID_ARGUMENT, "attribute '%s': NULL string", attr ? attr : "?");
  rn_attr *a = NULL;
  RN_TRY(node_attr_slot(m, node, attr, &a));
  a->type = RN_ATTR_STRING;
  a->s_len = strlen(value);
  if (!(a->s = strdup(value))) return rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
  return NULL;
}

rn_status *rn_model_node_set_ints(rn_model *m, int node, const char *attr, int n, const int64_t *values) {
  if (n < 0 || (n && !values)) return rn_error(RN_ERR_INVALID_ARGUMENT, "attribute '%s': bad list", attr ? attr : "?");
  rn_attr *a = NULL;
  RN_TRY(node_attr_slot(m, node, attr, &a));
  a->type = RN_ATTR_INTS;
  a->n = n;
  if (!(a->ints = malloc(sizeof(int64_t) * (size_t)(n ? n : 1)))) return rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
  if (n) memcpy(a->ints, values, sizeof(int64_t) * (size_t)n);
  return NULL;
}

rn_status *rn_model_node_set_floats(rn_model *m, int node, const char *attr, int n, const float *values) {
  if (n < 0 || (n && !values)) return rn_error(RN_ERR_INVALID_ARGUMENT, "attribute '%s': bad list", attr ? attr : "?");
  rn_attr *a = NULL;
  RN_TRY(node_attr_slot(m, node, attr, &a));
  a->type = RN_ATTR_FLOATS;
  a->n = n;
  if (!(a->floats = malloc(sizeof(float) * (size_t)(n ? n : 1)))) return rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
  if (n) memcpy(a->floats, values, sizeof(float) * (size_t)n);
  return NULL;
}

rn_status *rn_model_node_set_tensor(rn_model *m, int node, const char *attr, const rn_tensor *value) {
  if (!value) return rn_error(RN_ERR_INVALID_ARGUMENT, "attribute '%s': NULL tensor", attr ? attr : "?");
  rn_attr *a = NULL;
  RN_TRY(node_attr_slot(m, node, attr, &a));
  a->type = RN_ATTR_TENSOR;
  if (!(a->t = rn_tensor_clone(value))) return rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
  return NULL;
}

rn_status *rn_model_check_node(rn_model *m, int node) {
  if (!m || node < 0 || node >= m->graph->n_nodes)
    return rn_error(RN_ERR_INVALID_ARGUMENT, "node index %d out of range", node);
  rn_graph *g = m->graph;
  rn_node *n = &g->nodes[node];
  char label[300];
  snprintf(label, sizeof label, "node '%s' (%s)", n->name, n->op_type);
  int64_t opset = rn_graph_opset(g, n->domain);
  if (opset < 0)
    return rn_error(RN_ERR_INVALID_MODEL, "%s: domain '%s' has no opset import", label,
                    n->domain[0] ? n->domain : "ai.onnx");
  n->opset = (int)opset;
  rn_status *st = NULL;
  n->op = rn_op_find_env(&m->env, n->domain, n->op_type, n->opset, &st);
  if (st) return rn_error_prefix(st, "%s", label);
  const rn_op_def *d = n->op;
  if (n->n_inputs < d->min_inputs || n->n_inputs > d->max_inputs)
    return rn_error(RN_ERR_INVALID_MODEL, "%s: has %d inputs, expected %d..%d", label, n->n_inputs,
                    d->min_inputs, d->max_inputs);
  if (n->n_outputs < d->min_outputs || n->n_outputs > d->max_outputs)
    return rn_error(RN_ERR_INVALID_MODEL, "%s: has %d outputs, expected %d..%d", label, n->n_outputs,
                    d->min_outputs, d->max_outputs);
  if (n->n_inputs > 64 || n->n_outputs > 64) return NULL;
  /* Shape inference with the dynamic dims set to 1, and again set to 2:
   * output dims that agree are static, the others dynamic. */
  rn_shape first[64];
  bool dynamic = false;
  /* The one symbolic name among the inputs' dynamic dims (e.g. "N"), if
   * there is exactly one: dynamic output dims inherit it. */
  const char *dim_name = NULL;
  bool one_name = true;
  for (int k = 0; k < n->n_inputs; k++) {
    const rn_value *val = n->inputs[k] >= 0 ? &g->values[n->inputs[k]] : NULL;
    for (int dd = 0; val && !val->constant && dd < val->rank; dd++) {
      if (val->dims[dd] >= 0) continue;
      const char *nm = val->dim_params[dd];
      if (!nm || (dim_name && strcmp(dim_name, nm) != 0)) one_name = false;
      else dim_name = nm;
    }
  }
  if (!one_name) dim_name = NULL;
  for (int pass = 0; pass < 2; pass++) {
    int64_t dyn_value = pass + 1;
    rn_tensor views[64], *ins[64] = {0}, *outs[64] = {0};
    bool all_const = true;
    for (int k = 0; k < n->n_inputs; k++) {
      int v = n->inputs[k];
      if (v < 0) continue;
      const rn_value *val = &g->values[v];
      if (val->constant) {
        ins[k] = val->constant;
        continue;
      }
      all_const = false;
      if (val->dtype == RN_DTYPE_UNDEFINED || val->rank < 0) return NULL; /* unknown: nothing to check */
      memset(&views[k], 0, sizeof views[k]);
      views[k].dtype = val->dtype;
      views[k].shape.rank = val->rank;
      for (int dd = 0; dd < val->rank; dd++) {
        views[k].shape.dims[dd] = val->dims[dd] < 0 ? dyn_value : val->dims[dd];
        dynamic |= val->dims[dd] < 0;
      }
      rn_shape_nbytes(&views[k].shape, views[k].dtype, &views[k].nbytes);
      ins[k] = &views[k];
    }
    if (pass == 1 && !dynamic) break;
    for (int k = 0; k < n->n_outputs; k++) {
      rn_shape empty = {0};
      if (n->outputs[k] >= 0 && !(outs[k] = rn_tensor_new_info(RN_DTYPE_UNDEFINED, &empty)))
        st = rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
    }
    rn_op_ctx ctx = {n, n->opset, n->n_inputs, ins, n->n_outputs, outs, NULL};
    if (!st) {
      rn_attr_reset_mismatch();
      st = d->infer(&ctx);
      if (!st) st = rn_attr_take_mismatch();
      else rn_attr_reset_mismatch();
    }
    if (st && (pass == 1 || (rn_status_get_code(st) == RN_ERR_UNSUPPORTED && !all_const))) {
      /* Pass 2 failing, or a value known only at run time ("input must be
       * constant"): keep what pass 1 learned / leave the outputs unknown. */
      rn_status_free(st);
      st = NULL;
      for (int k = 0; k < n->n_outputs; k++) rn_tensor_release(outs[k]);
      break;
    }
    for (int k = 0; !st && k < n->n_outputs; k++) {
      if (!outs[k]) continue;
      rn_value *val = &g->values[n->outputs[k]];
      if (pass == 0) {
        first[k] = outs[k]->shape;
        val->dtype = outs[k]->dtype;
        val->rank = outs[k]->shape.rank;
        for (int dd = 0; dd < val->rank; dd++) val->dims[dd] = outs[k]->shape.dims[dd];
      } else if (outs[k]->shape.rank != first[k].rank) {
        val->rank = -1;
      } else {
        for (int dd = 0; dd < val->rank; dd++) {
          free(val->dim_params[dd]);
          val->dim_params[dd] = NULL;
          if (outs[k]->shape.dims[dd] == first[k].dims[dd]) continue;
          val->dims[dd] = -1;
          if (dim_name) val->dim_params[dd] = strdup(dim_name);
        }
      }
    }
    for (int k = 0; k < n->n_outputs; k++) rn_tensor_release(outs[k]);
    if (st) break;
  }
  if (st && !strstr(rn_status_message(st), "node '")) st = rn_error_prefix(st, "%s", label);
  return st;
}

/* ---- inspection ---- */

static const rn_node *node_at(const rn_model *m, int i) {
  return m && i >= 0 && i < m->graph->n_nodes ? &m->graph->nodes[i] : NULL;
}

static const rn_attr *attr_at(const rn_model *m, int node, int k) {
  const rn_node *n = node_at(m, node);
  return n && k >= 0 && k < n->n_attrs ? &n->attrs[k] : NULL;
}

int rn_model_input_count(const rn_model *m) { return m ? m->graph->n_inputs : 0; }
int rn_model_output_count(const rn_model *m) { return m ? m->graph->n_outputs : 0; }

const char *rn_model_input_name(const rn_model *m, int i) {
  return m && i >= 0 && i < m->graph->n_inputs ? m->graph->values[m->graph->inputs[i]].name : NULL;
}

const char *rn_model_output_name(const rn_model *m, int i) {
  return m && i >= 0 && i < m->graph->n_outputs ? m->graph->values[m->graph->outputs[i]].name : NULL;
}

rn_status *rn_model_value_info(const rn_model *m, const char *name, rn_value_info *info) {
  if (!m || !name || !info) return rn_error(RN_ERR_INVALID_ARGUMENT, "rn_model_value_info: NULL argument");
  int v = rn_graph_find_value(m->graph, name);
  if (v < 0) return rn_error(RN_ERR_NOT_FOUND, "the model has no value named '%s'", name);
  const rn_value *val = &m->graph->values[v];
  memset(info, 0, sizeof *info);
  info->dtype = val->dtype;
  info->rank = val->rank;
  for (int d = 0; d < val->rank && d < RN_MAX_RANK; d++) {
    info->dims[d] = val->dims[d];
    info->dim_names[d] = val->dim_params[d];
  }
  return NULL;
}

int64_t rn_model_opset(const rn_model *m, const char *domain) {
  if (!m) return -1;
  return rn_graph_opset(m->graph, domain && strcmp(domain, "ai.onnx") != 0 ? domain : "");
}

int rn_model_node_count(const rn_model *m) { return m ? m->graph->n_nodes : 0; }

const char *rn_model_node_name(const rn_model *m, int i) {
  const rn_node *n = node_at(m, i);
  return n ? n->name : NULL;
}

const char *rn_model_node_op_type(const rn_model *m, int i) {
  const rn_node *n = node_at(m, i);
  return n ? n->op_type : NULL;
}

const char *rn_model_node_domain(const rn_model *m, int i) {
  const rn_node *n = node_at(m, i);
  return n ? n->domain : NULL;
}

int rn_model_node_input_count(const rn_model *m, int i) {
  const rn_node *n = node_at(m, i);
  return n ? n->n_inputs : 0;
}

const char *rn_model_node_input(const rn_model *m, int i, int k) {
  const rn_node *n = node_at(m, i);
  if (!n || k < 0 || k >= n->n_inputs || n->inputs[k] < 0) return NULL;
  return m->graph->values[n->inputs[k]].name;
}

int rn_model_node_output_count(const rn_model *m, int i) {
  const rn_node *n = node_at(m, i);
  return n ? n->n_outputs : 0;
}

const char *rn_model_node_output(const rn_model *m, int i, int k) {
  const rn_node *n = node_at(m, i);
  if (!n || k < 0 || k >= n->n_outputs || n->outputs[k] < 0) return NULL;
  return m->graph->values[n->outputs[k]].name;
}

int rn_model_node_attr_count(const rn_model *m, int i) {
  const rn_node *n = node_at(m, i);
  return n ? n->n_attrs : 0;
}

const char *rn_model_node_attr_name(const rn_model *m, int i, int k) {
  const rn_attr *a = attr_at(m, i, k);
  return a ? a->name : NULL;
}

int rn_model_node_attr_type(const rn_model *m, int i, int k) {
  const rn_attr *a = attr_at(m, i, k);
  return a ? (int)a->type : 0;
}

int64_t rn_model_node_attr_int(const rn_model *m, int i, int k) {
  const rn_attr *a = attr_at(m, i, k);
  return a ? a->i : 0;
}

float rn_model_node_attr_float(const rn_model *m, int i, int k) {
  const rn_attr *a = attr_at(m, i, k);
  return a ? a->f : 0;
}

const char *rn_model_node_attr_string(const rn_model *m, int i, int k) {
  const rn_attr *a = attr_at(m, i, k);
  return a && a->type == RN_ATTR_STRING ? a->s : NULL;
}

int rn_model_node_attr_ints(const rn_model *m, int i, int k, const int64_t **values) {
  const rn_attr *a = attr_at(m, i, k);
  *values = a && a->type == RN_ATTR_INTS ? a->ints : NULL;
  return *values ? (int)a->n : 0;
}

int rn_model_node_attr_floats(const rn_model *m, int i, int k, const float **values) {
  const rn_attr *a = attr_at(m, i, k);
  *values = a && a->type == RN_ATTR_FLOATS ? a->floats : NULL;
  return *values ? (int)a->n : 0;
}

const rn_tensor *rn_model_node_attr_tensor(const rn_model *m, int i, int k) {
  const rn_attr *a = attr_at(m, i, k);
  return a && a->type == RN_ATTR_TENSOR ? a->t : NULL;
}

int rn_model_initializer_count(const rn_model *m) {
  int count = 0;
  for (int v = 0; m && v < m->graph->n_values; v++) count += m->graph->values[v].constant != NULL;
  return count;
}

const char *rn_model_initializer_name(const rn_model *m, int index) {
  for (int v = 0; m && v < m->graph->n_values; v++)
    if (m->graph->values[v].constant && index-- == 0) return m->graph->values[v].name;
  return NULL;
}

const rn_tensor *rn_model_initializer(const rn_model *m, const char *name) {
  if (!m || !name) return NULL;
  int v = rn_graph_find_value(m->graph, name);
  return v >= 0 ? m->graph->values[v].constant : NULL;
}
