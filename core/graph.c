#include "graph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "op.h"
#include "plugin.h"

rn_graph *rn_graph_new(void) {
  rn_graph *g = calloc(1, sizeof *g);
  if (g) rn_strmap_init(&g->value_index);
  return g;
}

void rn_attr_clear(rn_attr *a) {
  free(a->name);
  free(a->s);
  rn_tensor_release(a->t);
  free(a->floats);
  free(a->ints);
  if (a->strings)
    for (int64_t k = 0; k < a->n; k++) free(a->strings[k]);
  free(a->strings);
  if (a->tensors)
    for (int64_t k = 0; k < a->n; k++) rn_tensor_release(a->tensors[k]);
  free(a->tensors);
  memset(a, 0, sizeof *a);
}

static void node_clear(rn_node *n) {
  free(n->name);
  free(n->op_type);
  free(n->domain);
  free(n->inputs);
  free(n->outputs);
  for (int k = 0; k < n->n_attrs; k++) rn_attr_clear(&n->attrs[k]);
  free(n->attrs);
}

static void value_clear(rn_value *v) {
  free(v->name);
  for (int k = 0; k < RN_MAX_RANK; k++) free(v->dim_params[k]);
  rn_tensor_release(v->constant);
}

void rn_graph_free(rn_graph *g) {
  if (!g) return;
  for (int i = 0; i < g->n_nodes; i++) node_clear(&g->nodes[i]);
  for (int i = 0; i < g->n_values; i++) value_clear(&g->values[i]);
  for (int i = 0; i < g->n_opsets; i++) free(g->opsets[i].domain);
  for (int i = 0; i < g->n_metadata; i++) {
    free(g->metadata[i].key);
    free(g->metadata[i].value);
  }
  rn_strmap_free(&g->value_index);
  free(g->nodes);
  free(g->values);
  free(g->inputs);
  free(g->outputs);
  free(g->opsets);
  free(g->metadata);
  free(g->name);
  free(g->producer);
  free(g);
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

static int *dup_ints(const int *v, int n) {
  int *r = malloc(sizeof *r * (size_t)(n ? n : 1));
  if (r && n) memcpy(r, v, sizeof *r * (size_t)n);
  return r;
}

static bool attr_copy(rn_attr *dst, const rn_attr *src) {
  memset(dst, 0, sizeof *dst);
  dst->name = strdup(src->name);
  dst->type = src->type;
  dst->f = src->f;
  dst->i = src->i;
  dst->n = src->n;
  dst->s_len = src->s_len;
  if (src->s) {
    dst->s = malloc(src->s_len + 1);
    if (!dst->s) return false;
    memcpy(dst->s, src->s, src->s_len + 1);
  }
  dst->t = rn_tensor_retain(src->t);
  size_t n = (size_t)src->n;
  if (src->floats && !(dst->floats = malloc(sizeof(float) * (n ? n : 1)))) return false;
  if (src->floats && n) memcpy(dst->floats, src->floats, sizeof(float) * n);
  if (src->ints && !(dst->ints = malloc(sizeof(int64_t) * (n ? n : 1)))) return false;
  if (src->ints && n) memcpy(dst->ints, src->ints, sizeof(int64_t) * n);
  if (src->strings) {
    if (!(dst->strings = calloc(n ? n : 1, sizeof(char *)))) return false;
    for (size_t k = 0; k < n; k++)
      if (!(dst->strings[k] = strdup(src->strings[k]))) return false;
  }
  if (src->tensors) {
    if (!(dst->tensors = calloc(n ? n : 1, sizeof(rn_tensor *)))) return false;
    for (size_t k = 0; k < n; k++) dst->tensors[k] = rn_tensor_retain(src->tensors[k]);
  }
  return dst->name != NULL;
}

rn_graph *rn_graph_clone(const rn_graph *src) {
  rn_graph *g = rn_graph_new();
  if (!g) return NULL;
  g->name = dup_or_null(src->name);
  g->producer = dup_or_null(src->producer);
  for (int i = 0; i < src->n_values; i++) {
    const rn_value *sv = &src->values[i];
    int vi = rn_graph_value(g, sv->name);
    if (vi != i) goto fail;
    rn_value *v = &g->values[vi];
    v->dtype = sv->dtype;
    v->rank = sv->rank;
    memcpy(v->dims, sv->dims, sizeof v->dims);
    for (int k = 0; k < RN_MAX_RANK; k++) v->dim_params[k] = dup_or_null(sv->dim_params[k]);
    v->constant = rn_tensor_retain(sv->constant);
    v->producer = sv->producer;
  }
  for (int i = 0; i < src->n_nodes; i++) {
    const rn_node *sn = &src->nodes[i];
    int ni = rn_graph_add_node(g, sn->name, sn->op_type, sn->domain, sn->n_inputs, sn->inputs,
                               sn->n_outputs, sn->outputs);
    if (ni < 0) goto fail;
    rn_node *n = &g->nodes[ni];
    n->opset = sn->opset;
    n->op = sn->op;
    if (sn->n_attrs) {
      n->attrs = calloc((size_t)sn->n_attrs, sizeof *n->attrs);
      if (!n->attrs) goto fail;
      n->n_attrs = sn->n_attrs;
      for (int k = 0; k < sn->n_attrs; k++)
        if (!attr_copy(&n->attrs[k], &sn->attrs[k])) goto fail;
    }
  }
  g->inputs = dup_ints(src->inputs, src->n_inputs);
  g->n_inputs = src->n_inputs;
  g->outputs = dup_ints(src->outputs, src->n_outputs);
  g->n_outputs = src->n_outputs;
  if (!g->inputs || !g->outputs) goto fail;
  for (int i = 0; i < src->n_opsets; i++)
    if (rn_graph_set_opset(g, src->opsets[i].domain, src->opsets[i].version)) goto fail;
  if (src->n_metadata) {
    g->metadata = calloc((size_t)src->n_metadata, sizeof *g->metadata);
    if (!g->metadata) goto fail;
    g->n_metadata = src->n_metadata;
    for (int i = 0; i < src->n_metadata; i++) {
      g->metadata[i].key = dup_or_null(src->metadata[i].key);
      g->metadata[i].value = dup_or_null(src->metadata[i].value);
    }
  }
  return g;
fail:
  rn_graph_free(g);
  return NULL;
}

int rn_graph_find_value(const rn_graph *g, const char *name) {
  return rn_strmap_get(&g->value_index, name);
}

int rn_graph_value(rn_graph *g, const char *name) {
  int found = rn_graph_find_value(g, name);
  if (found >= 0) return found;
  if (g->n_values == g->cap_values) {
    int cap = g->cap_values ? g->cap_values * 2 : 64;
    rn_value *vals = realloc(g->values, sizeof *vals * (size_t)cap);
    if (!vals) return -1;
    g->values = vals;
    g->cap_values = cap;
    /* The map borrows names; they moved with the array only if the name
     * pointers changed, which they do not (names are separate allocations). */
  }
  rn_value *v = &g->values[g->n_values];
  memset(v, 0, sizeof *v);
  v->name = strdup(name);
  if (!v->name) return -1;
  v->rank = -1;
  v->producer = -1;
  if (!rn_strmap_put(&g->value_index, v->name, g->n_values)) {
    free(v->name);
    return -1;
  }
  return g->n_values++;
}

int rn_graph_new_value(rn_graph *g, const char *hint) {
  char name[256];
  for (int k = 0;; k++) {
    snprintf(name, sizeof name, "%s__%d", hint, k);
    if (rn_graph_find_value(g, name) < 0) return rn_graph_value(g, name);
  }
}

int rn_graph_add_node(rn_graph *g, const char *name, const char *op_type, const char *domain,
                      int n_inputs, const int *inputs, int n_outputs, const int *outputs) {
  if (g->n_nodes == g->cap_nodes) {
    int cap = g->cap_nodes ? g->cap_nodes * 2 : 64;
    rn_node *nodes = realloc(g->nodes, sizeof *nodes * (size_t)cap);
    if (!nodes) return -1;
    g->nodes = nodes;
    g->cap_nodes = cap;
  }
  rn_node *n = &g->nodes[g->n_nodes];
  memset(n, 0, sizeof *n);
  n->name = strdup(name ? name : "");
  n->op_type = strdup(op_type);
  n->domain = strdup(domain ? domain : "");
  n->inputs = dup_ints(inputs, n_inputs);
  n->outputs = dup_ints(outputs, n_outputs);
  n->n_inputs = n_inputs;
  n->n_outputs = n_outputs;
  if (!n->name || !n->op_type || !n->domain || !n->inputs || !n->outputs) {
    node_clear(n);
    return -1;
  }
  return g->n_nodes++;
}

void rn_graph_remove_nodes(rn_graph *g, const bool *removed) {
  int w = 0;
  for (int i = 0; i < g->n_nodes; i++) {
    if (removed[i]) node_clear(&g->nodes[i]);
    else g->nodes[w++] = g->nodes[i];
  }
  g->n_nodes = w;
}

int64_t rn_graph_opset(const rn_graph *g, const char *domain) {
  for (int i = 0; i < g->n_opsets; i++)
    if (strcmp(g->opsets[i].domain, domain) == 0) return g->opsets[i].version;
  return -1;
}

rn_status *rn_graph_set_opset(rn_graph *g, const char *domain, int64_t version) {
  for (int i = 0; i < g->n_opsets; i++)
    if (strcmp(g->opsets[i].domain, domain) == 0) {
      g->opsets[i].version = version;
      return NULL;
    }
  rn_opset *o = realloc(g->opsets, sizeof *o * (size_t)(g->n_opsets + 1));
  if (!o) return rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
  g->opsets = o;
  o[g->n_opsets].domain = strdup(domain);
  o[g->n_opsets].version = version;
  if (!o[g->n_opsets].domain) return rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
  g->n_opsets++;
  return NULL;
}

static const char *node_label(const rn_node *n, int index, char *buf, size_t size) {
  if (n->name && n->name[0]) snprintf(buf, size, "node '%s' (%s)", n->name, n->op_type);
  else snprintf(buf, size, "node #%d (%s)", index, n->op_type);
  return buf;
}

rn_status *rn_graph_validate(rn_graph *g) {
  char label[300];
  for (int i = 0; i < g->n_values; i++) g->values[i].producer = -1;
  bool *is_input = calloc((size_t)g->n_values + 1, 1);
  if (!is_input) return rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
  for (int i = 0; i < g->n_inputs; i++) is_input[g->inputs[i]] = true;
  rn_status *st = NULL;
  for (int i = 0; i < g->n_nodes && !st; i++) {
    rn_node *n = &g->nodes[i];
    node_label(n, i, label, sizeof label);
    for (int k = 0; k < n->n_outputs && !st; k++) {
      int v = n->outputs[k];
      if (v < 0) continue;
      rn_value *val = &g->values[v];
      if (val->producer >= 0)
        st = rn_error(RN_ERR_INVALID_MODEL, "%s: output '%s' is already produced by node #%d",
                      label, val->name, val->producer);
      else if (val->constant || is_input[v])
        st = rn_error(RN_ERR_INVALID_MODEL, "%s: output '%s' is also a graph input or initializer",
                      label, val->name);
      else
        val->producer = i;
    }
  }
  for (int i = 0; i < g->n_nodes && !st; i++) {
    rn_node *n = &g->nodes[i];
    node_label(n, i, label, sizeof label);
    for (int k = 0; k < n->n_inputs && !st; k++) {
      int v = n->inputs[k];
      if (v < 0) continue;
      const rn_value *val = &g->values[v];
      if (val->producer < 0 && !val->constant && !is_input[v])
        st = rn_error(RN_ERR_INVALID_MODEL, "%s: input '%s' is not produced by any node, graph input or initializer",
                      label, val->name);
    }
  }
  for (int i = 0; i < g->n_outputs && !st; i++) {
    const rn_value *val = &g->values[g->outputs[i]];
    if (val->producer < 0 && !val->constant && !is_input[g->outputs[i]])
      st = rn_error(RN_ERR_INVALID_MODEL, "graph output '%s' is not produced by anything",
                    val->name);
  }
  free(is_input);
  if (st) return st;
  int *order = malloc(sizeof *order * (size_t)(g->n_nodes ? g->n_nodes : 1));
  if (!order) return rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
  st = rn_graph_topo_order(g, order);
  free(order);
  return st;
}

rn_status *rn_graph_resolve_ops(rn_graph *g, const rn_env *env) {
  char label[300];
  for (int i = 0; i < g->n_nodes; i++) {
    rn_node *n = &g->nodes[i];
    node_label(n, i, label, sizeof label);
    int64_t opset = rn_graph_opset(g, n->domain);
    if (opset < 0)
      return rn_error(RN_ERR_INVALID_MODEL, "%s: domain '%s' has no opset import", label,
                      n->domain[0] ? n->domain : "ai.onnx");
    n->opset = (int)(opset > 100000 ? 100000 : opset);
    rn_status *st = NULL;
    n->op = rn_op_find_env(env, n->domain, n->op_type, n->opset, &st);
    if (st) return rn_error_prefix(st, "%s", label);
    const rn_op_def *d = n->op;
    if (n->n_inputs < d->min_inputs || n->n_inputs > d->max_inputs)
      return rn_error(RN_ERR_INVALID_MODEL, "%s: has %d inputs, expected %d..%d", label,
                      n->n_inputs, d->min_inputs, d->max_inputs);
    if (n->n_outputs < d->min_outputs || n->n_outputs > d->max_outputs)
      return rn_error(RN_ERR_INVALID_MODEL, "%s: has %d outputs, expected %d..%d", label,
                      n->n_outputs, d->min_outputs, d->max_outputs);
  }
  return NULL;
}

rn_status *rn_graph_topo_order(const rn_graph *g, int *order) {
  /* Kahn's algorithm over producer edges. */
  int n = g->n_nodes;
  int *pending = calloc((size_t)n + 1, sizeof *pending);
  int *queue = malloc(sizeof *queue * ((size_t)n + 1));
  /* consumers: CSR list of node -> nodes that read its outputs */
  int *count = calloc((size_t)n + 1, sizeof *count);
  int total = 0;
  for (int i = 0; i < n; i++) total += g->nodes[i].n_inputs;
  int *start = calloc((size_t)n + 2, sizeof *start);
  int *edges = malloc(sizeof *edges * ((size_t)total + 1));
  rn_status *st = NULL;
  if (!pending || !queue || !count || !start || !edges) {
    st = rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
    goto done;
  }
  for (int i = 0; i < n; i++)
    for (int k = 0; k < g->nodes[i].n_inputs; k++) {
      int v = g->nodes[i].inputs[k];
      int p = v >= 0 ? g->values[v].producer : -1;
      if (p >= 0) {
        count[p]++;
        pending[i]++;
      }
    }
  for (int i = 0; i < n; i++) start[i + 1] = start[i] + count[i];
  memset(count, 0, sizeof *count * (size_t)n);
  for (int i = 0; i < n; i++)
    for (int k = 0; k < g->nodes[i].n_inputs; k++) {
      int v = g->nodes[i].inputs[k];
      int p = v >= 0 ? g->values[v].producer : -1;
      if (p >= 0) edges[start[p] + count[p]++] = i;
    }
  int head = 0, tail = 0;
  for (int i = 0; i < n; i++)
    if (!pending[i]) queue[tail++] = i;
  while (head < tail) {
    int i = queue[head++];
    order[head - 1] = i;
    for (int e = start[i]; e < start[i + 1]; e++)
      if (--pending[edges[e]] == 0) queue[tail++] = edges[e];
  }
  if (head != n) {
    int culprit = 0;
    for (int i = 0; i < n; i++)
      if (pending[i]) {
        culprit = i;
        break;
      }
    char label[300];
    st = rn_error(RN_ERR_INVALID_MODEL, "graph has a cycle through %s",
                  node_label(&g->nodes[culprit], culprit, label, sizeof label));
  }
done:
  free(pending);
  free(queue);
  free(count);
  free(start);
  free(edges);
  return st;
}

/* The first attribute asked for with the wrong type since the last reset,
 * per thread: the getters cannot fail, so the plan builder checks this after
 * each `infer` and turns a mismatch into an error naming the attribute. */
static _Thread_local struct {
  const char *name;
  rn_attr_type want, got;
} mismatch;

static const char *attr_type_name(rn_attr_type t) {
  static const char *names[] = {"UNDEFINED", "FLOAT", "INT", "STRING", "TENSOR", "GRAPH", "FLOATS", "INTS",
                                "STRINGS", "TENSORS", "GRAPHS", "SPARSE_TENSOR", "SPARSE_TENSORS",
                                "TYPE_PROTO", "TYPE_PROTOS"};
  return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "unknown";
}

static void note_mismatch(const rn_attr *a, rn_attr_type want) {
  if (!mismatch.name) {
    mismatch.name = a->name;
    mismatch.want = want;
    mismatch.got = a->type;
  }
}

void rn_attr_reset_mismatch(void) { mismatch.name = NULL; }

rn_status *rn_attr_take_mismatch(void) {
  if (!mismatch.name) return NULL;
  rn_status *st = rn_error(RN_ERR_INVALID_MODEL, "attribute '%s' has type %s, expected %s", mismatch.name,
                           attr_type_name(mismatch.got), attr_type_name(mismatch.want));
  mismatch.name = NULL;
  return st;
}

const rn_attr *rn_node_attr(const rn_node *node, const char *name) {
  for (int i = 0; i < node->n_attrs; i++)
    if (strcmp(node->attrs[i].name, name) == 0) return &node->attrs[i];
  return NULL;
}

int64_t rn_attr_int(const rn_node *node, const char *name, int64_t def) {
  const rn_attr *a = rn_node_attr(node, name);
  if (a && a->type != RN_ATTR_INT) note_mismatch(a, RN_ATTR_INT);
  return a && a->type == RN_ATTR_INT ? a->i : def;
}

float rn_attr_float(const rn_node *node, const char *name, float def) {
  const rn_attr *a = rn_node_attr(node, name);
  if (a && a->type == RN_ATTR_FLOAT) return a->f;
  if (a && a->type == RN_ATTR_INT) return (float)a->i;
  if (a) note_mismatch(a, RN_ATTR_FLOAT);
  return def;
}

const char *rn_attr_string(const rn_node *node, const char *name, const char *def) {
  const rn_attr *a = rn_node_attr(node, name);
  if (a && a->type != RN_ATTR_STRING) note_mismatch(a, RN_ATTR_STRING);
  return a && a->type == RN_ATTR_STRING && a->s ? a->s : def;
}

int64_t rn_attr_ints(const rn_node *node, const char *name, const int64_t **vals) {
  const rn_attr *a = rn_node_attr(node, name);
  if (a && a->type != RN_ATTR_INTS) note_mismatch(a, RN_ATTR_INTS);
  if (!a || a->type != RN_ATTR_INTS) {
    *vals = NULL;
    return -1;
  }
  *vals = a->ints;
  return a->n;
}

int64_t rn_attr_floats(const rn_node *node, const char *name, const float **vals) {
  const rn_attr *a = rn_node_attr(node, name);
  if (a && a->type != RN_ATTR_FLOATS) note_mismatch(a, RN_ATTR_FLOATS);
  if (!a || a->type != RN_ATTR_FLOATS) {
    *vals = NULL;
    return -1;
  }
  *vals = a->floats;
  return a->n;
}
