/* Graph rewrites at session creation (see optimize.h): BatchNormalization
 * folding into Conv, then Conv [+ Add] [+ activation] fusion into
 * ("rn", "FusedConv").
 *
 * Each pass walks the nodes in array order with a table of who reads each
 * value (use counts and the first two readers). A rewrite edits the Conv
 * node in place, moves it into the array slot of the last node it absorbs
 * (so an array in topological order stays so: everything it reads was
 * before the absorbed nodes) and marks the absorbed slots removed; the
 * readers of the fused node's inputs are retargeted to its new slot.
 * Removed nodes are freed at the end of the pass and the graph is
 * revalidated, which recomputes the values' producers; intermediate values
 * simply become unused. Constants are shared with the model (rn_graph_clone
 * retains them), so folded weights are new constant values, never edits. */
#include "optimize.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct opt {
  rn_graph *g;
  int nv;          /* values the tables cover; values added later are new constants */
  int *uses;       /* input slots of live nodes that read each value */
  int (*cons)[2];  /* the nodes of the first two of those slots, -1 if none */
  bool *is_out;    /* graph outputs */
  bool *removed;   /* per node slot */
} opt;

static const char *const act_names[RN_OPT_ACT_COUNT] = {
    [RN_OPT_ACT_RELU] = "Relu",
    [RN_OPT_ACT_CLIP] = "Clip",
    [RN_OPT_ACT_SIGMOID] = "Sigmoid",
    [RN_OPT_ACT_SILU] = "SiLU",
    [RN_OPT_ACT_HARD_SIGMOID] = "HardSigmoid",
    [RN_OPT_ACT_LEAKY_RELU] = "LeakyRelu",
    [RN_OPT_ACT_HARD_SWISH] = "HardSwish",
    [RN_OPT_ACT_TANH] = "Tanh",
};

static rn_status *oom(void) { return rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory optimizing the graph"); }

static void opt_free(opt *o) {
  free(o->uses);
  free(o->cons);
  free(o->is_out);
  free(o->removed);
  memset(o, 0, sizeof *o);
}

/* (Re)builds the tables for the graph as it is now; no node is removed. */
static rn_status *opt_init(opt *o, rn_graph *g) {
  opt_free(o);
  o->g = g;
  o->nv = g->n_values;
  size_t nv = (size_t)g->n_values + 1, nn = (size_t)g->n_nodes + 1;
  o->uses = calloc(nv, sizeof *o->uses);
  o->cons = malloc(nv * sizeof *o->cons);
  o->is_out = calloc(nv, sizeof *o->is_out);
  o->removed = calloc(nn, sizeof *o->removed);
  if (!o->uses || !o->cons || !o->is_out || !o->removed) {
    opt_free(o);
    return oom();
  }
  for (int v = 0; v < o->nv; v++) o->cons[v][0] = o->cons[v][1] = -1;
  for (int i = 0; i < g->n_outputs; i++)
    if (g->outputs[i] >= 0 && g->outputs[i] < o->nv) o->is_out[g->outputs[i]] = true;
  for (int i = 0; i < g->n_nodes; i++) {
    const rn_node *n = &g->nodes[i];
    for (int k = 0; k < n->n_inputs; k++) {
      int v = n->inputs[k];
      if (v < 0 || v >= o->nv) continue;
      if (o->uses[v] < 2) o->cons[v][o->uses[v]] = i;
      o->uses[v]++;
    }
  }
  return NULL;
}

/* Frees the removed nodes, keeps the others in order, and recomputes the
 * values' producers (rn_graph_validate). */
static rn_status *opt_compact(opt *o) {
  rn_graph_remove_nodes(o->g, o->removed);
  return rn_graph_validate(o->g);
}

/* ---- small queries ---- */

static bool is_op(const rn_node *n, const char *domain, const char *op_type) {
  return strcmp(n->domain, domain) == 0 && strcmp(n->op_type, op_type) == 0;
}

static bool is_real(rn_dtype dt) { return dt == RN_DTYPE_FLOAT || dt == RN_DTYPE_DOUBLE; }

/* The node reading v, if exactly one input slot of a live node reads it
 * and it is not a graph output; else -1. */
static int sole_consumer(const opt *o, int v) {
  if (v < 0 || v >= o->nv || o->is_out[v] || o->uses[v] != 1) return -1;
  return o->cons[v][0];
}

/* Element type of a value: its constant's, else its declared one. */
static rn_dtype value_dtype(const rn_graph *g, int v) {
  if (v < 0) return RN_DTYPE_UNDEFINED;
  const rn_value *val = &g->values[v];
  return val->constant ? val->constant->dtype : val->dtype;
}


/* An initializer, or the output of a Constant node with a `value` tensor. */
static const rn_tensor *const_or_constant_node(const opt *o, int v) {
  const rn_graph *g = o->g;
  if (v < 0) return NULL;
  if (g->values[v].constant) return g->values[v].constant;
  int p = g->values[v].producer;
  if (p < 0 || p >= g->n_nodes || o->removed[p]) return NULL;
  const rn_node *n = &g->nodes[p];
  if (!is_op(n, "", "Constant") || n->n_outputs < 1 || n->outputs[0] != v) return NULL;
  const rn_attr *a = rn_node_attr(n, "value");
  return a && a->type == RN_ATTR_TENSOR && a->t && a->t->data ? a->t : NULL;
}

/* const_or_constant_node, looked up through Identity nodes: torch.onnx
 * shares identical initializers through them (freshly initialized
 * BatchNorms' statistics, for instance). */
static const rn_tensor *const_through_identity(const opt *o, int v) {
  for (int hops = 0; v >= 0 && hops < 64; hops++) {
    const rn_tensor *t = const_or_constant_node(o, v);
    if (t) return t;
    int p = o->g->values[v].producer;
    if (p < 0 || p >= o->g->n_nodes || o->removed[p]) return NULL;
    const rn_node *n = &o->g->nodes[p];
    if (!is_op(n, "", "Identity") || n->n_inputs < 1 || n->n_outputs < 1 || n->outputs[0] != v) return NULL;
    v = n->inputs[0];
  }
  return NULL;
}

/* A node no longer reads v: one use fewer; an Identity chain left without
 * readers (see const_through_identity) is removed with it. */
static void drop_read(opt *o, int v) {
  for (int hops = 0; v >= 0 && v < o->nv && hops < 64; hops++) {
    if (o->uses[v] > 0) o->uses[v]--;
    if (o->uses[v] > 0 || o->is_out[v]) return;
    int p = o->g->values[v].producer;
    if (p < 0 || p >= o->g->n_nodes || o->removed[p]) return;
    const rn_node *n = &o->g->nodes[p];
    if (!is_op(n, "", "Identity") || n->n_inputs < 1 || n->n_outputs != 1) return;
    o->removed[p] = true;
    v = n->inputs[0];
  }
}

/* A 1-D tensor of m values of type dt with data. */
static bool is_vector(const rn_tensor *t, rn_dtype dt, int64_t m) {
  return t && t->dtype == dt && t->data && t->shape.rank == 1 && t->shape.dims[0] == m;
}

/* Attribute readers that say whether the attribute is usable: false when
 * present with a type the op would reject (the rewrite is then skipped, and
 * the node reports it as usual). */
static bool attr_int(const rn_node *n, const char *name, int64_t def, int64_t *out) {
  const rn_attr *a = rn_node_attr(n, name);
  if (a && a->type != RN_ATTR_INT) return false;
  *out = a ? a->i : def;
  return true;
}

/* FLOAT, or INT read as float (as rn_attr_float does). */
static bool attr_float(const rn_node *n, const char *name, float def, float *out) {
  const rn_attr *a = rn_node_attr(n, name);
  if (a && a->type != RN_ATTR_FLOAT && a->type != RN_ATTR_INT) return false;
  *out = !a ? def : a->type == RN_ATTR_FLOAT ? a->f : (float)a->i;
  return true;
}

/* ---- editing nodes ---- */

static bool set_attr(rn_node *n, rn_attr *a) {
  for (int k = 0; k < n->n_attrs; k++)
    if (strcmp(n->attrs[k].name, a->name) == 0) {
      rn_attr_clear(&n->attrs[k]);
      n->attrs[k] = *a;
      return true;
    }
  rn_attr *attrs = realloc(n->attrs, sizeof *attrs * (size_t)(n->n_attrs + 1));
  if (!attrs) return false;
  n->attrs = attrs;
  n->attrs[n->n_attrs++] = *a;
  return true;
}

static bool set_string_attr(rn_node *n, const char *name, const char *s) {
  rn_attr a = {0};
  a.type = RN_ATTR_STRING;
  a.name = strdup(name);
  a.s = strdup(s);
  a.s_len = strlen(s);
  if (!a.name || !a.s || !set_attr(n, &a)) {
    rn_attr_clear(&a);
    return false;
  }
  return true;
}

static bool set_floats_attr(rn_node *n, const char *name, int count, const float *vals) {
  rn_attr a = {0};
  a.type = RN_ATTR_FLOATS;
  a.name = strdup(name);
  a.n = count;
  a.floats = malloc(sizeof(float) * (size_t)(count ? count : 1));
  if (a.floats && count) memcpy(a.floats, vals, sizeof(float) * (size_t)count);
  if (!a.name || !a.floats || !set_attr(n, &a)) {
    rn_attr_clear(&a);
    return false;
  }
  return true;
}

static void remove_attr(rn_node *n, const char *name) {
  for (int k = 0; k < n->n_attrs; k++)
    if (strcmp(n->attrs[k].name, name) == 0) {
      rn_attr_clear(&n->attrs[k]);
      n->attrs[k] = n->attrs[--n->n_attrs];
      return;
    }
}

static bool set_string(char **field, const char *s) {
  char *c = strdup(s);
  if (!c) return false;
  free(*field);
  *field = c;
  return true;
}

/* Moves the rewritten node from slot `from` into slot `to` (the last node it
 * absorbed), marks `from` and the absorbed slots removed (`to` holds the
 * rewritten node), and points the readers of its inputs at `to`. */
static void move_node(opt *o, int from, int to, const int *absorbed, int n_absorbed) {
  rn_graph *g = o->g;
  rn_node tmp = g->nodes[to];
  g->nodes[to] = g->nodes[from];
  g->nodes[from] = tmp;
  o->removed[from] = true;
  for (int k = 0; k < n_absorbed; k++)
    if (absorbed[k] != to) o->removed[absorbed[k]] = true;
  const rn_node *n = &g->nodes[to];
  for (int k = 0; k < n->n_inputs; k++) {
    int v = n->inputs[k];
    if (v < 0 || v >= o->nv) continue;
    for (int t = 0; t < 2; t++) {
      int c = o->cons[v][t];
      bool old = c == from;
      for (int a = 0; a < n_absorbed && !old; a++) old = c == absorbed[a];
      if (old) o->cons[v][t] = to;
    }
  }
}

/* A new constant value holding t (the value takes the reference). */
static int new_constant(rn_graph *g, const char *hint, rn_tensor *t) {
  char h[200];
  snprintf(h, sizeof h, "%.160s", hint); /* rn_graph_new_value appends to a 256-byte name */
  int v = rn_graph_new_value(g, h);
  if (v < 0) return -1;
  rn_value *val = &g->values[v];
  val->constant = t;
  val->dtype = t->dtype;
  val->rank = t->shape.rank;
  for (int d = 0; d < t->shape.rank; d++) val->dims[d] = t->shape.dims[d];
  return v;
}

/* ---- pass 1: BatchNormalization folded into Conv ---- */

#define FOLD_LOOP(T)                                                                              \
  do {                                                                                            \
    const T *src = w->data;                                                                       \
    T *dst = nw->data, *db = nb->data;                                                            \
    for (int64_t mi = 0; mi < m; mi++) {                                                          \
      double s = rn_tensor_get_double(scale, mi) / sqrt(rn_tensor_get_double(var, mi) + eps);     \
      for (int64_t j = mi * per; j < (mi + 1) * per; j++) dst[j] = (T)((double)src[j] * s);       \
      double b0 = b ? rn_tensor_get_double(b, mi) : 0;                                            \
      db[mi] = (T)((b0 - rn_tensor_get_double(mean, mi)) * s + rn_tensor_get_double(bias, mi));   \
    }                                                                                             \
  } while (0)

static rn_status *fold_bn(opt *o, int ci, bool *done) {
  rn_graph *g = o->g;
  rn_node *c = &g->nodes[ci];
  *done = false;
  if (!is_op(c, "", "Conv") || c->n_inputs < 2 || c->n_inputs > 3 || c->n_outputs != 1) return NULL;
  int y = c->outputs[0], wv = c->inputs[1], bv = c->n_inputs > 2 ? c->inputs[2] : -1;
  if (y < 0 || c->inputs[0] < 0 || wv < 0) return NULL;
  const rn_tensor *w = const_through_identity(o, wv), *b = const_through_identity(o, bv);
  if (!w || !w->data || !is_real(w->dtype) || w->shape.rank < 3 || (bv >= 0 && !b)) return NULL;
  rn_dtype dt = w->dtype;
  int64_t m = w->shape.dims[0], wn = rn_shape_numel(&w->shape);
  if (m <= 0 || wn < 0 || wn % m != 0 || (b && !is_vector(b, dt, m))) return NULL;
  int64_t per = wn / m;

  int bi = sole_consumer(o, y);
  if (bi < 0) return NULL;
  const rn_node *bn = &g->nodes[bi];
  if (!is_op(bn, "", "BatchNormalization") || bn->n_inputs != 5 || bn->inputs[0] != y ||
      bn->n_outputs < 1 || bn->outputs[0] < 0)
    return NULL;
  /* Only the plain inference form: per-channel (spatial, opset < 9), test
   * mode (is_test, opset < 7), no training_mode (opset >= 14), and no
   * training output read by anything. */
  int64_t opset = rn_graph_opset(g, ""), spatial = 1, is_test = 1, training = 0;
  float eps;
  if (opset < 9 && (!attr_int(bn, "spatial", 1, &spatial) || spatial == 0)) return NULL;
  if (opset < 7 && (!attr_int(bn, "is_test", 0, &is_test) || is_test == 0)) return NULL;
  if (opset >= 14 && (!attr_int(bn, "training_mode", 0, &training) || training != 0)) return NULL;
  if (!attr_float(bn, "epsilon", 1e-5f, &eps)) return NULL;
  for (int k = 1; k < bn->n_outputs; k++) {
    int v = bn->outputs[k];
    if (v >= 0 && (v >= o->nv || o->uses[v] || o->is_out[v])) return NULL;
  }
  const rn_tensor *scale = const_through_identity(o, bn->inputs[1]), *bias = const_through_identity(o, bn->inputs[2]);
  const rn_tensor *mean = const_through_identity(o, bn->inputs[3]), *var = const_through_identity(o, bn->inputs[4]);
  if (!is_vector(scale, dt, m) || !is_vector(bias, dt, m) || !is_vector(mean, dt, m) || !is_vector(var, dt, m))
    return NULL;

  /* W'[m] = W[m] * s[m], B'[m] = (B[m] - mean[m]) * s[m] + bias[m], with
   * s = scale / sqrt(var + eps), in double. */
  if (c->n_inputs == 2) {
    int *in = realloc(c->inputs, sizeof *in * 3);
    if (!in) return oom();
    c->inputs = in;
    c->inputs[2] = -1;
    c->n_inputs = 3;
  }
  rn_shape bshape = rn_shape_make(1, &m);
  rn_tensor *nw = rn_tensor_new(dt, &w->shape), *nb = rn_tensor_new(dt, &bshape);
  if (!nw || !nb) {
    rn_tensor_release(nw);
    rn_tensor_release(nb);
    return oom();
  }
  if (dt == RN_DTYPE_FLOAT) FOLD_LOOP(float);
  else FOLD_LOOP(double);
  char hint[300];
  snprintf(hint, sizeof hint, "%.140s_bnfold", g->values[wv].name);
  int nwv = new_constant(g, hint, nw);
  if (nwv < 0) {
    rn_tensor_release(nw);
    rn_tensor_release(nb);
    return oom();
  }
  snprintf(hint, sizeof hint, "%.140s_bnfold", bv >= 0 ? g->values[bv].name : g->values[bn->inputs[2]].name);
  int nbv = new_constant(g, hint, nb);
  if (nbv < 0) {
    rn_tensor_release(nb);
    return oom();
  }
  /* the old weight, bias and BN parameters are read no more */
  drop_read(o, wv);
  drop_read(o, bv);
  for (int k = 1; k < 5; k++) drop_read(o, bn->inputs[k]);
  c->inputs[1] = nwv;
  c->inputs[2] = nbv;
  c->outputs[0] = bn->outputs[0];
  o->uses[y] = 0;
  int absorbed[1] = {bi};
  move_node(o, ci, bi, absorbed, 1);
  *done = true;
  return NULL;
}

/* ---- pass 2: Conv [+ Add] [+ activation] -> FusedConv ---- */

/* Add(y, r) or Add(r, y), r another non-constant value: sets *z = r. */
static bool add_fusable(const opt *o, int ai, int y, rn_dtype dt, int *z) {
  const rn_graph *g = o->g;
  const rn_node *a = &g->nodes[ai];
  if (!is_op(a, "", "Add") || a->n_inputs != 2 || a->n_outputs != 1 || a->outputs[0] < 0) return false;
  int r = a->inputs[0] == y ? a->inputs[1] : a->inputs[1] == y ? a->inputs[0] : -1;
  if (r < 0 || r == y || g->values[r].constant) return false;
  rn_dtype zdt = value_dtype(g, r);
  if (zdt != RN_DTYPE_UNDEFINED && dt != RN_DTYPE_UNDEFINED && zdt != dt) return false;
  /* Before opset 7, broadcast = 1 aligns B at `axis` instead of numpy's way. */
  int64_t bc = 0;
  if (rn_graph_opset(g, "") < 7 && (!attr_int(a, "broadcast", 0, &bc) || bc != 0)) return false;
  *z = r;
  return true;
}

/* A Clip bound: an omitted input, or a constant scalar of the conv's type
 * that a float holds exactly (FusedConv's parameters are floats). */
static bool clip_bound(const opt *o, const rn_node *n, int k, rn_dtype dt, float def, float *out) {
  if (k >= n->n_inputs || n->inputs[k] < 0) {
    *out = def;
    return true;
  }
  const rn_tensor *t = const_or_constant_node(o, n->inputs[k]);
  if (!t || !is_real(t->dtype) || (dt != RN_DTYPE_UNDEFINED && t->dtype != dt) || rn_shape_numel(&t->shape) != 1)
    return false;
  double d = rn_tensor_get_double(t, 0);
  float f = (float)d;
  if (t->dtype == RN_DTYPE_DOUBLE && (double)f != d) return false;
  *out = f;
  return true;
}

/* Node ni applying an activation FusedConv knows to v. */
static bool activation_of(const opt *o, int ni, int v, rn_dtype dt, int *kind, float *params, int *n_params) {
  const rn_graph *g = o->g;
  const rn_node *n = &g->nodes[ni];
  if (n->domain[0] || n->n_outputs != 1 || n->outputs[0] < 0 || n->n_inputs < 1 || n->inputs[0] != v) return false;
  int64_t opset = rn_graph_opset(g, "");
  *n_params = 0;
  const char *op = n->op_type;
  if (strcmp(op, "Clip") == 0) {
    if (opset < 11) {
      if (n->n_inputs != 1) return false;
      /* clip.c reads the attributes' float fields */
      const rn_attr *lo = rn_node_attr(n, "min"), *hi = rn_node_attr(n, "max");
      if ((lo && lo->type != RN_ATTR_FLOAT) || (hi && hi->type != RN_ATTR_FLOAT)) return false;
      params[0] = lo ? lo->f : -INFINITY;
      params[1] = hi ? hi->f : INFINITY;
    } else {
      if (n->n_inputs > 3 || !clip_bound(o, n, 1, dt, -INFINITY, &params[0]) ||
          !clip_bound(o, n, 2, dt, INFINITY, &params[1]))
        return false;
    }
    *kind = RN_OPT_ACT_CLIP;
    *n_params = 2;
    return true;
  }
  if (n->n_inputs != 1) return false;
  if (strcmp(op, "Relu") == 0) *kind = RN_OPT_ACT_RELU;
  else if (strcmp(op, "Sigmoid") == 0) *kind = RN_OPT_ACT_SIGMOID;
  else if (strcmp(op, "Tanh") == 0) *kind = RN_OPT_ACT_TANH;
  else if (strcmp(op, "HardSwish") == 0 && opset >= 14) *kind = RN_OPT_ACT_HARD_SWISH;
  else if (strcmp(op, "LeakyRelu") == 0) {
    if (!attr_float(n, "alpha", 0.01f, &params[0])) return false;
    *kind = RN_OPT_ACT_LEAKY_RELU;
    *n_params = 1;
  } else if (strcmp(op, "HardSigmoid") == 0) {
    if (!attr_float(n, "alpha", 0.2f, &params[0]) || !attr_float(n, "beta", 0.5f, &params[1])) return false;
    *kind = RN_OPT_ACT_HARD_SIGMOID;
    *n_params = 2;
  } else {
    return false;
  }
  return true;
}

/* A gate G(v) such that v * G(v) is an activation: Sigmoid (SiLU), and
 * HardSigmoid with alpha = 1/6, beta = 1/2 (HardSwish, as torch.onnx writes
 * it before opset 14). -1 if none. */
static int gated_activation(const rn_node *s) {
  if (is_op(s, "", "Sigmoid")) return RN_OPT_ACT_SILU;
  if (is_op(s, "", "HardSigmoid")) {
    float alpha, beta;
    if (attr_float(s, "alpha", 0.2f, &alpha) && attr_float(s, "beta", 0.5f, &beta) && alpha == 1.0f / 6.0f &&
        beta == 0.5f)
      return RN_OPT_ACT_HARD_SWISH;
  }
  return -1;
}

/* v read by exactly a gate G(v) -> s (see gated_activation) and Mul(v, s) /
 * Mul(s, v), s read only by that Mul, neither a graph output: *act the
 * activation v * G(v) is. */
static bool gate_of(const opt *o, int v, int *gate, int *mul, int *act) {
  const rn_graph *g = o->g;
  if (v < 0 || v >= o->nv || o->is_out[v] || o->uses[v] != 2) return false;
  int a = o->cons[v][0], b = o->cons[v][1];
  if (a < 0 || b < 0 || a == b) return false;
  for (int t = 0; t < 2; t++) {
    int si = t ? b : a, mi = t ? a : b;
    const rn_node *s = &g->nodes[si], *m = &g->nodes[mi];
    int kind = gated_activation(s);
    if (kind < 0 || s->n_inputs != 1 || s->inputs[0] != v || s->n_outputs != 1) continue;
    int sv = s->outputs[0];
    if (sv < 0 || sole_consumer(o, sv) != mi) continue;
    if (!is_op(m, "", "Mul") || m->n_inputs != 2 || m->n_outputs != 1 || m->outputs[0] < 0) continue;
    if (!((m->inputs[0] == v && m->inputs[1] == sv) || (m->inputs[0] == sv && m->inputs[1] == v))) continue;
    *gate = si;
    *mul = mi;
    *act = kind;
    return true;
  }
  return false;
}

static rn_status *fuse_conv(opt *o, int ci, rn_optimize_stats *stats) {
  rn_graph *g = o->g;
  rn_node *c = &g->nodes[ci];
  bool was_fused = is_op(c, "rn", "FusedConv");
  if (!was_fused && !is_op(c, "", "Conv")) return NULL;
  if (c->n_outputs != 1 || c->outputs[0] < 0 || c->n_inputs < 2 || c->n_inputs > (was_fused ? 4 : 3) ||
      c->inputs[0] < 0 || c->inputs[1] < 0)
    return NULL;
  /* float32/float64 only, as far as the declared types tell */
  rn_dtype dt = value_dtype(g, c->inputs[1]), xdt = value_dtype(g, c->inputs[0]);
  if ((dt != RN_DTYPE_UNDEFINED && !is_real(dt)) || (xdt != RN_DTYPE_UNDEFINED && !is_real(xdt))) return NULL;
  if (dt == RN_DTYPE_UNDEFINED) dt = xdt;
  bool has_z = false;
  if (was_fused) {
    const rn_attr *a = rn_node_attr(c, "activation");
    if (a && (a->type != RN_ATTR_STRING || (a->s && a->s[0]))) return NULL; /* has one already */
    has_z = c->n_inputs == 4 && c->inputs[3] >= 0;
  }
  int absorbed[3], n_absorbed = 0, cur = c->outputs[0], z = -1;
  /* one Add, and only before the activation */
  int ai = has_z ? -1 : sole_consumer(o, cur);
  if (ai >= 0 && add_fusable(o, ai, cur, dt, &z)) {
    absorbed[n_absorbed++] = ai;
    cur = g->nodes[ai].outputs[0];
  }
  int act = -1, n_params = 0, sig, mul;
  float params[2] = {0, 0};
  int ni = sole_consumer(o, cur);
  if (ni >= 0 && activation_of(o, ni, cur, dt, &act, params, &n_params)) {
    absorbed[n_absorbed++] = ni;
    cur = g->nodes[ni].outputs[0];
  } else if (gate_of(o, cur, &sig, &mul, &act)) {
    absorbed[n_absorbed++] = sig;
    absorbed[n_absorbed++] = mul;
    cur = g->nodes[mul].outputs[0];
  }
  if (!n_absorbed) return NULL;

  if (rn_graph_opset(g, "rn") < 0) RN_TRY(rn_graph_set_opset(g, "rn", 1));
  if (!was_fused && (!set_string(&c->op_type, "FusedConv") || !set_string(&c->domain, "rn"))) return oom();
  if (z >= 0) {
    int *in = realloc(c->inputs, sizeof *in * 4);
    if (!in) return oom();
    for (int k = c->n_inputs; k < 3; k++) in[k] = -1;
    in[3] = z;
    c->inputs = in;
    c->n_inputs = 4;
  }
  if (act >= 0) {
    if (!set_string_attr(c, "activation", act_names[act])) return oom();
    if (n_params && !set_floats_attr(c, "activation_params", n_params, params)) return oom();
    if (!n_params) remove_attr(c, "activation_params");
  }
  /* intermediates: the conv's output, the Add's, the gate's */
  o->uses[c->outputs[0]] = 0;
  for (int k = 0; k < n_absorbed; k++) {
    int v = g->nodes[absorbed[k]].outputs[0];
    if (v != cur && v < o->nv) o->uses[v] = 0;
  }
  c->outputs[0] = cur;
  move_node(o, ci, absorbed[n_absorbed - 1], absorbed, n_absorbed);
  stats->fused++;
  if (z >= 0) stats->add_fused++;
  if (act >= 0) stats->act[act]++;
  return NULL;
}

rn_status *rn_graph_optimize(rn_graph *g, rn_optimize_stats *stats) {
  rn_optimize_stats local;
  if (!stats) stats = &local;
  memset(stats, 0, sizeof *stats);
  stats->nodes_before = g->n_nodes;
  opt o = {0};
  rn_status *st = opt_init(&o, g);
  /* 1. BatchNorm folding (a folded Conv is revisited in its new slot, so
   *    Conv -> BN -> BN folds twice). */
  for (int i = 0; !st && i < g->n_nodes; i++) {
    if (o.removed[i]) continue;
    bool done;
    st = fold_bn(&o, i, &done);
    if (!st && done) stats->bn_folded++;
  }
  if (!st && stats->bn_folded) st = opt_compact(&o);
  /* 2. Conv fusion, unless the graph already uses domain "rn" at another version. */
  int64_t rn_version = rn_graph_opset(g, "rn");
  if (!st && (rn_version < 0 || rn_version == 1)) {
    st = opt_init(&o, g);
    for (int i = 0; !st && i < g->n_nodes; i++)
      if (!o.removed[i]) st = fuse_conv(&o, i, stats);
    if (!st && stats->fused) st = opt_compact(&o);
  }
  opt_free(&o);
  stats->nodes_after = g->n_nodes;
  return st;
}

void rn_optimize_describe(const rn_optimize_stats *s, char *buf, size_t size) {
  size_t pos = (size_t)snprintf(buf, size, "%d BatchNormalization folded into Conv, %d Conv fused into FusedConv",
                                s->bn_folded, s->fused);
  if (s->fused && pos < size) {
    pos += (size_t)snprintf(buf + pos, size - pos, " (%d with Add; activations:", s->add_fused);
    int shown = 0;
    for (int k = 0; k < RN_OPT_ACT_COUNT && pos < size; k++)
      if (s->act[k]) pos += (size_t)snprintf(buf + pos, size - pos, "%s %d %s", shown++ ? "," : "", s->act[k], act_names[k]);
    if (!shown && pos < size) pos += (size_t)snprintf(buf + pos, size - pos, " none");
    if (pos < size) pos += (size_t)snprintf(buf + pos, size - pos, ")");
  }
  if (pos < size) snprintf(buf + pos, size - pos, ", %d -> %d nodes", s->nodes_before, s->nodes_after);
}
