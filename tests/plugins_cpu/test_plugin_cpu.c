/* Differential test of rn-plugin-cpu (argv[1]: the plugin's path): randomized
 * one-node Conv, Gemm and MatMul models run with rn's reference kernels
 * (no environment) and with the plugin loaded; the outputs must agree within
 * 1e-4 * (1 + max|ref|), and rn_session_node_info must say the plugin ran
 * the node (or the reference kernel, for the nodes it must decline).
 * Public API only. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rn.h"

static int failures, cases, plugin_cases;
static double worst_rel, worst_abs;
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint32_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (uint32_t)(rng_state >> 11);
}
static int rnd_int(int lo, int hi) { return lo + (int)(rnd() % (uint32_t)(hi - lo + 1)); } /* [lo, hi] */
static float rnd_float(void) { return (float)(rnd() >> 8) / 8388608.0f - 1.0f; } /* [-1, 1) */

#define FAIL(...)                                     \
  do {                                                \
    fprintf(stderr, "FAIL [%s] ", desc);              \
    fprintf(stderr, __VA_ARGS__);                     \
    fprintf(stderr, "\n");                            \
    failures++;                                       \
  } while (0)

/* A random float tensor (caller frees). */
static rn_tensor *random_tensor(rn_dtype dtype, int rank, const int64_t *dims) {
  rn_tensor *t = NULL;
  rn_status *st = rn_tensor_create(dtype, dims, rank, &t);
  if (st) {
    fprintf(stderr, "rn_tensor_create: %s\n", rn_status_message(st));
    exit(2);
  }
  int64_t n = rn_tensor_numel(t);
  if (dtype == RN_DTYPE_DOUBLE) {
    double *d = rn_tensor_data(t);
    for (int64_t i = 0; i < n; i++) d[i] = rnd_float();
  } else {
    float *d = rn_tensor_data(t);
    for (int64_t i = 0; i < n; i++) d[i] = rnd_float();
  }
  return t;
}

/* One node's operands: names, shapes, and whether each is an initializer. */
typedef struct operand {
  const char *name; /* NULL: omitted */
  int rank;
  int64_t dims[RN_MAX_RANK];
  int constant;
} operand;

typedef struct node_case {
  const char *op;
  const char *domain; /* NULL: ONNX */
  int opset;
  rn_dtype dtype;
  int n_ops;
  operand ops[4];
  /* attributes */
  int n_ints;
  const char *int_names[8];
  int64_t int_vals[8];
  int n_lists;
  const char *list_names[4];
  int list_len[4];
  int64_t list_vals[4][4];
  int n_floats;
  const char *float_names[2];
  float float_vals[2];
  const char *auto_pad; /* NULL: absent */
  const char *str_name, *str_val; /* one more string attribute, or NULL */
  int n_float_list;
  const char *float_list_name;
  float float_list[4];
  int expect_plugin;    /* 1: placed on "cpu"; 0: on "reference"; -1: either */
} node_case;

/* Builds the model; returns NULL (and counts a failure) if rn rejects it. */
static rn_model *build(const node_case *c, rn_tensor **values, const char *desc) {
  rn_model *m = NULL;
  rn_status *st = rn_model_create("plugin_cpu_case", &m);
  if (!st) st = rn_model_set_opset(m, c->domain ? c->domain : "", c->opset);
  if (!st && c->domain) st = rn_model_set_opset(m, "", 17);
  const char *in_names[4];
  for (int i = 0; !st && i < c->n_ops; i++) {
    const operand *o = &c->ops[i];
    in_names[i] = o->name ? o->name : "";
    if (!o->name) continue;
    if (o->constant) st = rn_model_set_initializer(m, o->name, values[i]);
    else st = rn_model_add_input(m, o->name, c->dtype, o->rank, o->dims, NULL);
  }
  const char *out = "Y";
  int node = 0;
  if (!st) st = rn_model_add_node(m, c->op, c->domain ? c->domain : "", "node", c->n_ops, in_names, 1, &out, &node);
  for (int i = 0; !st && i < c->n_ints; i++) st = rn_model_node_set_int(m, node, c->int_names[i], c->int_vals[i]);
  for (int i = 0; !st && i < c->n_lists; i++)
    st = rn_model_node_set_ints(m, node, c->list_names[i], c->list_len[i], c->list_vals[i]);
  for (int i = 0; !st && i < c->n_floats; i++)
    st = rn_model_node_set_float(m, node, c->float_names[i], c->float_vals[i]);
  if (!st && c->auto_pad) st = rn_model_node_set_string(m, node, "auto_pad", c->auto_pad);
  if (!st && c->str_name) st = rn_model_node_set_string(m, node, c->str_name, c->str_val);
  if (!st && c->float_list_name)
    st = rn_model_node_set_floats(m, node, c->float_list_name, c->n_float_list, c->float_list);
  if (!st) st = rn_model_check_node(m, node);
  if (!st) st = rn_model_add_output(m, "Y");
  if (st) {
    FAIL("building the model: %s", rn_status_message(st));
    rn_status_free(st);
    rn_model_free(m);
    return NULL;
  }
  return m;
}

/* Runs the model in a session made with `env`; returns the output (or NULL). */
static rn_tensor *run(const rn_env *env, const rn_model *m, const node_case *c, rn_tensor **values,
                      const char **placed_on, const char *desc) {
  rn_session *s = NULL;
  rn_session_options *opts = NULL;
  rn_status *st = rn_session_options_create(&opts);
  /* 1, 2 or 3 threads: every split of the work gets exercised. */
  if (!st) st = rn_session_options_set_threads(opts, 1 + cases % 3);
  if (!st) st = rn_session_create(env, m, opts, &s);
  rn_session_options_free(opts);
  rn_tensor *y = NULL;
  const char *names[4];
  rn_tensor *ins[4];
  int n = 0;
  for (int i = 0; i < c->n_ops; i++)
    if (c->ops[i].name && !c->ops[i].constant) names[n] = c->ops[i].name, ins[n++] = values[i];
  const char *out = "Y";
  if (!st) st = rn_session_run(s, n, names, ins, 1, &out, &y);
  if (!st && placed_on) {
    rn_node_info info;
    memset(&info, 0, sizeof info);
    st = rn_session_node_info(s, 0, &info);
    /* the string lives with the session: keep a static copy */
    static char where[64];
    snprintf(where, sizeof where, "%s", info.placed_on ? info.placed_on : "(null)");
    *placed_on = where;
  }
  if (st) {
    FAIL("%s session: %s", env ? "plugin" : "reference", rn_status_message(st));
    rn_status_free(st);
    rn_tensor_free(y);
    y = NULL;
  }
  rn_session_free(s);
  return y;
}

static void check_case(const rn_env *env, const node_case *c, const char *desc) {
  cases++;
  rn_tensor *values[4] = {0};
  for (int i = 0; i < c->n_ops; i++)
    if (c->ops[i].name) values[i] = random_tensor(c->dtype, c->ops[i].rank, c->ops[i].dims);
  rn_model *m = build(c, values, desc);
  if (m) {
    const char *where = NULL;
    rn_tensor *ref = run(NULL, m, c, values, NULL, desc);
    rn_tensor *got = ref ? run(env, m, c, values, &where, desc) : NULL;
    if (ref && got) {
      const char *want = c->expect_plugin ? "cpu" : "reference";
      if (c->expect_plugin >= 0 && strcmp(where, want) != 0) FAIL("placed on '%s', expected '%s'", where, want);
      if (strcmp(where, "cpu") == 0) plugin_cases++;
      int64_t n = rn_tensor_numel(ref);
      if (n != rn_tensor_numel(got) || rn_tensor_rank(ref) != rn_tensor_rank(got)) {
        FAIL("output shapes differ");
      } else {
        double maxref = 0, maxdiff = 0;
        for (int64_t i = 0; i < n; i++) {
          double r, g;
          if (c->dtype == RN_DTYPE_DOUBLE) {
            r = ((double *)rn_tensor_data(ref))[i];
            g = ((double *)rn_tensor_data(got))[i];
          } else {
            r = ((float *)rn_tensor_data(ref))[i];
            g = ((float *)rn_tensor_data(got))[i];
          }
          maxref = fmax(maxref, fabs(r));
          double d = fabs(r - g);
          if (!(d <= maxdiff)) maxdiff = isnan(d) ? INFINITY : d;
        }
        double bound = 1e-4 * (1 + maxref);
        if (!(maxdiff <= bound)) FAIL("max |diff| %g > %g (max |ref| %g)", maxdiff, bound, maxref);
        worst_abs = fmax(worst_abs, maxdiff);
        worst_rel = fmax(worst_rel, maxdiff / (1 + maxref));
      }
    }
    rn_tensor_free(ref);
    rn_tensor_free(got);
    rn_model_free(m);
  }
  for (int i = 0; i < c->n_ops; i++) rn_tensor_free(values[i]);
}

static void set_operand(operand *o, const char *name, int rank, const int64_t *dims, int constant) {
  o->name = name;
  o->rank = rank;
  for (int d = 0; d < rank; d++) o->dims[d] = dims[d];
  o->constant = constant;
}

static void add_int(node_case *c, const char *name, int64_t v) {
  c->int_names[c->n_ints] = name;
  c->int_vals[c->n_ints++] = v;
}

static void add_list(node_case *c, const char *name, int n, const int64_t *v) {
  c->list_names[c->n_lists] = name;
  c->list_len[c->n_lists] = n;
  for (int i = 0; i < n; i++) c->list_vals[c->n_lists][i] = v[i];
  c->n_lists++;
}

static void add_float(node_case *c, const char *name, float v) {
  c->float_names[c->n_floats] = name;
  c->float_vals[c->n_floats++] = v;
}

/* ------------------------------------------------------------------ Conv */

typedef struct conv_params {
  int n, c, m, h, w, groups, kh, kw, sh, sw, dh, dw, pads[4], bias, set_kernel_shape, weight_const, opset;
  const char *auto_pad;
  rn_dtype dtype;
  /* FusedConv (domain rn): activation (index into fused_acts, 0 = none) and
   * Z: 0 none, 1 the output's shape, 2 [1, M, 1, 1] (broadcast: reference). */
  int fused, act, z;
} conv_params;

static const struct {
  const char *name;
  int n_params;
  float params[2];
} fused_acts[] = {{"", 0, {0, 0}},           {"Relu", 0, {0, 0}},       {"Clip", 2, {0.0f, 6.0f}},
                  {"Sigmoid", 0, {0, 0}},    {"SiLU", 0, {0, 0}},       {"HardSigmoid", 2, {0.3f, 0.4f}},
                  {"LeakyRelu", 1, {0.1f, 0}}, {"HardSwish", 0, {0, 0}}, {"Tanh", 0, {0, 0}},
                  {"Clip", 0, {0, 0}},       {"LeakyRelu", 0, {0, 0}}}; /* the last two: default params */
enum { N_FUSED_ACTS = sizeof fused_acts / sizeof fused_acts[0] };

static void conv_case(const rn_env *env, const conv_params *p, int expect_plugin) {
  char desc[256];
  snprintf(desc, sizeof desc,
           "%s%d x[%d,%d,%d,%d] w[%d,%d,%d,%d] g%d s%d,%d d%d,%d pads %d,%d,%d,%d %s bias%d wconst%d %s act '%s'%s z%d",
           p->fused ? "FusedConv" : "Conv", p->opset, p->n, p->c, p->h, p->w, p->m, p->c / p->groups, p->kh, p->kw,
           p->groups, p->sh, p->sw, p->dh, p->dw, p->pads[0], p->pads[1], p->pads[2], p->pads[3],
           p->auto_pad ? p->auto_pad : "-", p->bias, p->weight_const, rn_dtype_name(p->dtype), fused_acts[p->act].name,
           fused_acts[p->act].n_params ? "" : "(defaults)", p->z);
  node_case c;
  memset(&c, 0, sizeof c);
  c.op = p->fused ? "FusedConv" : "Conv";
  c.domain = p->fused ? "rn" : NULL;
  c.opset = p->fused ? 1 : p->opset;
  c.dtype = p->dtype;
  c.expect_plugin = expect_plugin;
  int64_t xd[4] = {p->n, p->c, p->h, p->w}, wd[4] = {p->m, p->c / p->groups, p->kh, p->kw}, bd[1] = {p->m};
  set_operand(&c.ops[0], "X", 4, xd, 0);
  set_operand(&c.ops[1], "W", 4, wd, p->weight_const);
  c.n_ops = 2;
  if (p->bias) set_operand(&c.ops[c.n_ops++], "B", 1, bd, p->weight_const);
  if (p->fused && p->z) { /* explicit pads only: the output size is simple */
    int64_t zd[4] = {p->n, p->m, (p->h + p->pads[0] + p->pads[2] - ((p->kh - 1) * p->dh + 1)) / p->sh + 1,
                     (p->w + p->pads[1] + p->pads[3] - ((p->kw - 1) * p->dw + 1)) / p->sw + 1};
    if (p->z == 2) zd[0] = 1, zd[2] = 1, zd[3] = 1;
    c.n_ops = 3; /* B omitted when absent */
    set_operand(&c.ops[3], "Z", 4, zd, 0);
    c.n_ops = 4;
  }
  if (p->fused && (p->act || rnd() % 2)) {
    c.str_name = "activation", c.str_val = fused_acts[p->act].name;
    if (fused_acts[p->act].n_params) {
      c.float_list_name = "activation_params";
      c.n_float_list = fused_acts[p->act].n_params;
      memcpy(c.float_list, fused_acts[p->act].params, sizeof fused_acts[p->act].params);
    }
  }
  if (p->groups != 1 || rnd() % 2) add_int(&c, "group", p->groups);
  int64_t v[4];
  if (p->set_kernel_shape) {
    v[0] = p->kh, v[1] = p->kw;
    add_list(&c, "kernel_shape", 2, v);
  }
  if (p->sh != 1 || p->sw != 1 || rnd() % 2) {
    v[0] = p->sh, v[1] = p->sw;
    add_list(&c, "strides", 2, v);
  }
  if (p->dh != 1 || p->dw != 1 || rnd() % 2) {
    v[0] = p->dh, v[1] = p->dw;
    add_list(&c, "dilations", 2, v);
  }
  if (!p->auto_pad || strcmp(p->auto_pad, "NOTSET") == 0) {
    if (p->pads[0] || p->pads[1] || p->pads[2] || p->pads[3] || rnd() % 2) {
      for (int i = 0; i < 4; i++) v[i] = p->pads[i];
      add_list(&c, "pads", 4, v);
    }
  }
  c.auto_pad = p->auto_pad;
  check_case(env, &c, desc);
}

static void conv_random(const rn_env *env, int kind, int fused) {
  static const int kernels[4] = {1, 3, 5, 7};
  static const char *const pads_modes[5] = {NULL, "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"};
  static const int opsets[4] = {1, 11, 17, 21};
  conv_params p;
  memset(&p, 0, sizeof p);
  p.dtype = RN_DTYPE_FLOAT;
  p.opset = opsets[rnd() % 4];
  p.n = rnd() % 2 ? 1 : 3;
  p.kh = kernels[rnd() % 4];
  p.kw = rnd() % 4 ? p.kh : kernels[rnd() % 4];
  p.sh = rnd_int(1, 3), p.sw = rnd() % 3 ? p.sh : rnd_int(1, 3);
  p.dh = rnd_int(1, 2), p.dw = rnd() % 3 ? p.dh : rnd_int(1, 2);
  p.auto_pad = pads_modes[rnd() % 5];
  if (rnd() % 2) p.auto_pad = NULL; /* explicit pads half of the time */
  if (fused) {
    p.fused = 1, p.act = rnd_int(0, N_FUSED_ACTS - 1), p.z = rnd_int(0, 2);
    if (p.z) p.auto_pad = NULL;
  }
  switch (kind) {
  case 0: /* groups 1 */
    p.groups = 1, p.c = rnd_int(1, 9), p.m = rnd_int(1, 11);
    break;
  case 1: /* groups 2 */
    p.groups = 2, p.c = 2 * rnd_int(1, 5), p.m = 2 * rnd_int(1, 5);
    break;
  case 2: /* depthwise */
    p.c = rnd_int(1, 13), p.groups = p.c, p.m = p.c;
    break;
  case 3: /* 1x1, stride 1, no pads (the direct GEMM path) */
    p.groups = rnd() % 3 ? 1 : 2, p.c = p.groups * rnd_int(1, 17), p.m = p.groups * rnd_int(1, 17);
    p.kh = p.kw = 1, p.sh = p.sw = 1, p.auto_pad = rnd() % 2 || p.z ? NULL : "VALID";
    break;
  default: /* depthwise with a channel multiplier (im2col path) */
    p.c = rnd_int(1, 6), p.groups = p.c, p.m = p.c * rnd_int(2, 3);
    break;
  }
  int dkh = (p.kh - 1) * p.dh + 1, dkw = (p.kw - 1) * p.dw + 1;
  p.h = rnd_int(dkh > 1 ? dkh - 1 : 1, dkh + 12) | 1; /* odd sizes mostly */
  p.w = rnd_int(dkw > 1 ? dkw - 1 : 1, dkw + 14);
  if (kind != 3 && (!p.auto_pad || strcmp(p.auto_pad, "NOTSET") == 0))
    for (int i = 0; i < 4; i++) p.pads[i] = rnd() % 3 ? rnd_int(0, (i % 2 ? p.kw : p.kh) - 1 + 1) : 0;
  /* NOTSET/VALID need the padded input to cover the kernel. */
  if (!p.auto_pad || strcmp(p.auto_pad, "NOTSET") == 0) {
    if (p.h + p.pads[0] + p.pads[2] < dkh) p.h = dkh;
    if (p.w + p.pads[1] + p.pads[3] < dkw) p.w = dkw;
  } else if (strcmp(p.auto_pad, "VALID") == 0) {
    if (p.h < dkh) p.h = dkh;
    if (p.w < dkw) p.w = dkw;
  }
  p.bias = rnd() % 2;
  p.set_kernel_shape = rnd() % 2;
  p.weight_const = rnd() % 4 != 0;
  conv_case(env, &p, p.z == 2 ? 0 : 1);
}

/* ------------------------------------------------------------------ Gemm */

static void gemm_case(const rn_env *env, int m, int n, int k, int ta, int tb, int set_alpha, float alpha,
                      int set_beta, float beta, int c_kind, int b_const, rn_dtype dtype, int expect_plugin) {
  static const char *const c_names[8] = {"none", "[N]", "[1,N]", "[M,1]", "[M,N]", "scalar", "[1]", "[1,1]"};
  char desc[200];
  snprintf(desc, sizeof desc, "Gemm M%d N%d K%d tA%d tB%d alpha%s%g beta%s%g C%s bconst%d %s", m, n, k, ta, tb,
           set_alpha ? "=" : "~", alpha, set_beta ? "=" : "~", beta, c_names[c_kind], b_const, rn_dtype_name(dtype));
  node_case c;
  memset(&c, 0, sizeof c);
  c.op = "Gemm";
  c.opset = c_kind == 0 ? (rnd() % 2 ? 11 : 13) : (rnd() % 2 ? 9 : 13);
  c.dtype = dtype;
  c.expect_plugin = expect_plugin;
  int64_t ad[2] = {ta ? k : m, ta ? m : k}, bd[2] = {tb ? n : k, tb ? k : n}, cd[2] = {0, 0};
  set_operand(&c.ops[0], "A", 2, ad, 0);
  set_operand(&c.ops[1], "B", 2, bd, b_const);
  c.n_ops = 2;
  int crank = 0;
  switch (c_kind) {
  case 1: crank = 1, cd[0] = n; break;
  case 2: crank = 2, cd[0] = 1, cd[1] = n; break;
  case 3: crank = 2, cd[0] = m, cd[1] = 1; break;
  case 4: crank = 2, cd[0] = m, cd[1] = n; break;
  case 5: crank = 0; break;
  case 6: crank = 1, cd[0] = 1; break;
  case 7: crank = 2, cd[0] = 1, cd[1] = 1; break;
  default: break;
  }
  if (c_kind) set_operand(&c.ops[c.n_ops++], "C", crank, cd, rnd() % 2);
  if (ta || rnd() % 2) add_int(&c, "transA", ta);
  if (tb || rnd() % 2) add_int(&c, "transB", tb);
  if (set_alpha) add_float(&c, "alpha", alpha);
  if (set_beta) add_float(&c, "beta", beta);
  check_case(env, &c, desc);
}

/* ---------------------------------------------------------------- MatMul */

static void matmul_case(const rn_env *env, int ra, const int64_t *a, int rb, const int64_t *b, int b_const,
                        rn_dtype dtype, int expect_plugin) {
  char desc[200], *p = desc;
  p += sprintf(p, "MatMul a[");
  for (int d = 0; d < ra; d++) p += sprintf(p, "%s%lld", d ? "," : "", (long long)a[d]);
  p += sprintf(p, "] b[");
  for (int d = 0; d < rb; d++) p += sprintf(p, "%s%lld", d ? "," : "", (long long)b[d]);
  sprintf(p, "] bconst%d %s", b_const, rn_dtype_name(dtype));
  node_case c;
  memset(&c, 0, sizeof c);
  c.op = "MatMul";
  c.opset = rnd() % 2 ? 9 : 13;
  c.dtype = dtype;
  c.expect_plugin = expect_plugin;
  set_operand(&c.ops[0], "A", ra, a, 0);
  set_operand(&c.ops[1], "B", rb, b, b_const);
  c.n_ops = 2;
  check_case(env, &c, desc);
}

static void matmul_random(const rn_env *env) {
  int ra = rnd_int(1, 4), rb = rnd_int(1, 4);
  int64_t m = rnd_int(1, 19), n = rnd_int(1, 21), k = rnd_int(1, 23);
  int64_t a[4], b[4];
  int batch = (ra > rb ? ra : rb) - 2;
  int64_t bdims[2] = {rnd_int(2, 3), rnd_int(1, 4)};
  /* batch dims: shared values, each operand sometimes broadcasting a 1 */
  for (int d = 0; d < ra - 2; d++) {
    int bd = d + (batch - (ra - 2));
    a[d] = rnd() % 3 ? bdims[bd] : 1;
  }
  for (int d = 0; d < rb - 2; d++) {
    int bd = d + (batch - (rb - 2));
    b[d] = rnd() % 3 ? bdims[bd] : 1;
  }
  if (ra == 1) a[0] = k;
  else a[ra - 2] = m, a[ra - 1] = k;
  if (rb == 1) b[0] = k;
  else b[rb - 2] = k, b[rb - 1] = n;
  matmul_case(env, ra, a, rb, b, rnd() % 2, RN_DTYPE_FLOAT, 1);
}

/* ------------------------------------------------- pooling, element-wise */

static void dims_desc(char *p, int rank, const int64_t *d) {
  p += sprintf(p, "[");
  for (int i = 0; i < rank; i++) p += sprintf(p, "%s%lld", i ? "," : "", (long long)d[i]);
  sprintf(p, "]");
}

static void maxpool_random(const rn_env *env) {
  node_case c;
  memset(&c, 0, sizeof c);
  c.op = "MaxPool";
  c.opset = 12;
  c.dtype = RN_DTYPE_FLOAT;
  int64_t k[2] = {rnd_int(1, 4), rnd_int(1, 4)}, st[2] = {rnd_int(1, 3), rnd_int(1, 3)};
  int64_t dil[2] = {rnd() % 4 ? 1 : 2, rnd() % 4 ? 1 : 2}, pads[4];
  for (int i = 0; i < 4; i++) pads[i] = rnd_int(0, (int)((k[i % 2] - 1) * dil[i % 2]));
  int64_t x[4] = {rnd_int(1, 3), rnd_int(1, 5), rnd_int(1, 14), rnd_int(1, 14)};
  for (int i = 0; i < 2; i++) /* at least one window */
    if (x[2 + i] < (k[i] - 1) * dil[i] + 1) x[2 + i] = (k[i] - 1) * dil[i] + 1;
  set_operand(&c.ops[0], "X", 4, x, 0);
  c.n_ops = 1;
  add_list(&c, "kernel_shape", 2, k);
  add_list(&c, "strides", 2, st);
  add_list(&c, "dilations", 2, dil);
  int mode = rnd_int(0, 5);
  static const char *const modes[] = {"SAME_UPPER", "SAME_LOWER", "VALID"};
  if (mode < 3) add_list(&c, "pads", 4, pads);
  else c.auto_pad = modes[mode - 3];
  int ceil_mode = rnd() % 3 == 0;
  if (ceil_mode) add_int(&c, "ceil_mode", 1);
  c.expect_plugin = mode < 3 && !ceil_mode ? 1 : -1;
  char desc[200], xs[64];
  dims_desc(xs, 4, x);
  snprintf(desc, sizeof desc, "MaxPool x%s k%lldx%lld s%lld,%lld d%lld,%lld pads %lld,%lld,%lld,%lld %s ceil%d", xs,
           (long long)k[0], (long long)k[1], (long long)st[0], (long long)st[1], (long long)dil[0],
           (long long)dil[1], (long long)pads[0], (long long)pads[1], (long long)pads[2], (long long)pads[3],
           c.auto_pad ? c.auto_pad : "pads", ceil_mode);
  check_case(env, &c, desc);
}

/* Stride-2 square windows (AVX-512: the even/odd-column kernel): ResNet's
 * 3x3 pooling, several 16-column chunks, odd widths, asymmetric and no pads,
 * 2x2 windows with and without a pad. Inputs are in [-1, 1): a padding read
 * as 0 instead of -inf would win. */
static void maxpool_stride2_cases(const rn_env *env) {
  static const struct {
    int64_t c, h, w, k, pads[4];
  } cases[] = {
      {64, 112, 112, 3, {1, 1, 1, 1}}, {5, 17, 15, 3, {1, 0, 1, 1}}, {3, 40, 71, 3, {0, 0, 0, 0}},
      {4, 9, 10, 2, {0, 0, 0, 0}},     {6, 33, 35, 2, {1, 1, 0, 0}}, {2, 5, 3, 3, {1, 2, 1, 2}},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    node_case c;
    memset(&c, 0, sizeof c);
    c.op = "MaxPool", c.opset = 12, c.dtype = RN_DTYPE_FLOAT, c.n_ops = 1, c.expect_plugin = 1;
    int64_t x[4] = {1 + (int64_t)(i % 2), cases[i].c, cases[i].h, cases[i].w}, k[2] = {cases[i].k, cases[i].k};
    const int64_t st[2] = {2, 2};
    set_operand(&c.ops[0], "X", 4, x, 0);
    add_list(&c, "kernel_shape", 2, k);
    add_list(&c, "strides", 2, st);
    add_list(&c, "pads", 4, cases[i].pads);
    char desc[160];
    snprintf(desc, sizeof desc, "MaxPool stride 2 x[%lld,%lld,%lld,%lld] k%lld pads %lld,%lld,%lld,%lld", (long long)x[0],
             (long long)x[1], (long long)x[2], (long long)x[3], (long long)k[0], (long long)cases[i].pads[0],
             (long long)cases[i].pads[1], (long long)cases[i].pads[2], (long long)cases[i].pads[3]);
    check_case(env, &c, desc);
  }
}

static void global_avg_random(const rn_env *env) {
  node_case c;
  memset(&c, 0, sizeof c);
  c.op = "GlobalAveragePool";
  c.opset = 1;
  c.dtype = RN_DTYPE_FLOAT;
  int rank = rnd_int(3, 5);
  int64_t x[5];
  for (int d = 0; d < rank; d++) x[d] = rnd_int(1, d < 2 ? 6 : 12);
  set_operand(&c.ops[0], "X", rank, x, 0);
  c.n_ops = 1;
  c.expect_plugin = 1;
  char desc[200], xs[64];
  dims_desc(xs, rank, x);
  snprintf(desc, sizeof desc, "GlobalAveragePool x%s", xs);
  check_case(env, &c, desc);
}

/* Binary op with the second operand of rank rb (dims b); expect: placement. */
static void binary_case(const rn_env *env, const char *op, int ra, const int64_t *a, int rb, const int64_t *b,
                        int swap, int b_const, int expect) {
  node_case c;
  memset(&c, 0, sizeof c);
  c.op = op;
  c.opset = rnd() % 2 ? 7 : 14;
  c.dtype = RN_DTYPE_FLOAT;
  set_operand(&c.ops[swap], "A", ra, a, 0);
  set_operand(&c.ops[1 - swap], "B", rb, b, b_const);
  c.n_ops = 2;
  c.expect_plugin = expect;
  char desc[200], as[64], bs[64];
  dims_desc(as, ra, a);
  dims_desc(bs, rb, b);
  snprintf(desc, sizeof desc, "%s %s %s swap%d bconst%d", op, as, bs, swap, b_const);
  check_case(env, &c, desc);
}

static void binary_random(const rn_env *env, const char *op) {
  int ra = rnd_int(1, 4);
  int64_t a[4], b[4];
  for (int d = 0; d < ra; d++) a[d] = rnd_int(1, 9);
  if (rnd() % 8 == 0) a[ra - 1] = 1000 + rnd_int(0, 99); /* large enough to be split */
  /* b: a suffix of a's dims with some set to 1 */
  int rb = rnd_int(0, ra);
  for (int d = 0; d < rb; d++) b[d] = rnd() % 3 ? a[ra - rb + d] : 1;
  binary_case(env, op, ra, a, rb, b, rnd() % 2, rnd() % 2, -1);
}

static void unary_random(const rn_env *env, const char *op) {
  node_case c;
  memset(&c, 0, sizeof c);
  c.op = op;
  c.opset = rnd() % 2 ? 6 : 13;
  c.dtype = RN_DTYPE_FLOAT;
  int rank = rnd_int(0, 4);
  int64_t x[4];
  for (int d = 0; d < rank; d++) x[d] = rnd_int(1, d == rank - 1 && rnd() % 4 == 0 ? 300 : 9); /* one long axis at most */
  set_operand(&c.ops[0], "X", rank, x, 0);
  c.n_ops = 1;
  c.expect_plugin = 1;
  char desc[200], xs[64];
  dims_desc(xs, rank, x);
  snprintf(desc, sizeof desc, "%s x%s", op, xs);
  check_case(env, &c, desc);
}

/* The plugin's Sigmoid (the vector form that SiLU shares) against exact
 * 1/(1+e^-x) on a million values over [-12, 12]: per value, a relative error
 * within 1e-6 (the 1e-4 differential bound above would let a sloppy
 * approximation pass), and on average no bias: a bias of 5e-8, invisible per
 * value, tripled EfficientNet-B0's logit error over its ~50 SiLU layers. */
static void sigmoid_accuracy(const rn_env *env) {
  const char *desc = "Sigmoid accuracy";
  enum { N = 1 << 20 };
  node_case c;
  memset(&c, 0, sizeof c);
  c.op = "Sigmoid", c.opset = 13, c.dtype = RN_DTYPE_FLOAT, c.n_ops = 1, c.expect_plugin = 1;
  int64_t dims[1] = {N};
  set_operand(&c.ops[0], "X", 1, dims, 0);
  rn_tensor *values[4] = {0};
  rn_status *st = rn_tensor_create(RN_DTYPE_FLOAT, dims, 1, &values[0]);
  if (st) {
    FAIL("%s", rn_status_message(st));
    rn_status_free(st);
    return;
  }
  float *x = rn_tensor_data(values[0]);
  for (int i = 0; i < N; i++) x[i] = -12.0f + 24.0f * (float)i / N;
  cases++;
  rn_model *m = build(&c, values, desc);
  const char *where = NULL;
  rn_tensor *y = m ? run(env, m, &c, values, &where, desc) : NULL;
  if (y) {
    if (strcmp(where, "cpu") != 0) FAIL("placed on '%s'", where);
    plugin_cases++;
    const float *got = rn_tensor_data(y);
    double worst = 0, bias = 0;
    for (int i = 0; i < N; i++) {
      const double exact = 1.0 / (1.0 + exp(-(double)x[i])), rel = (got[i] - exact) / exact;
      bias += rel;
      if (!(fabs(rel) <= worst)) worst = isnan(rel) ? INFINITY : fabs(rel);
    }
    bias /= N;
    if (!(worst <= 1e-6)) FAIL("max relative error %.3g > 1e-6", worst);
    if (!(fabs(bias) <= 2e-8)) FAIL("mean relative error (bias) %.3g, beyond +-2e-8", bias);
    printf("Sigmoid on the plugin (RN_CPU_ISA=%s): max relative error %.3g, mean %.3g\n",
           getenv("RN_CPU_ISA") ? getenv("RN_CPU_ISA") : "(best)", worst, bias);
  }
  rn_tensor_free(y);
  rn_model_free(m);
  rn_tensor_free(values[0]);
}

static void softmax_random(const rn_env *env) {
  node_case c;
  memset(&c, 0, sizeof c);
  c.op = "Softmax";
  c.opset = rnd() % 2 ? 11 : 13;
  c.dtype = RN_DTYPE_FLOAT;
  int rank = rnd_int(1, 4);
  int64_t x[4];
  for (int d = 0; d < rank; d++) x[d] = rnd_int(1, d == rank - 1 && rnd() % 4 == 0 ? 1100 : 7); /* one long axis at most */
  set_operand(&c.ops[0], "X", rank, x, 0);
  c.n_ops = 1;
  int axis = rnd_int(-rank, rank - 1), set_axis = rnd() % 3 != 0;
  if (set_axis) add_int(&c, "axis", axis);
  int norm = axis < 0 ? axis + rank : axis;
  c.expect_plugin = c.opset < 13 || !set_axis || norm == rank - 1 ? 1 : 0;
  if (c.opset < 13 && !set_axis && rank == 1) c.expect_plugin = -1; /* default axis 1 is past a 1-D input */
  char desc[200], xs[64];
  dims_desc(xs, rank, x);
  snprintf(desc, sizeof desc, "Softmax opset %d x%s axis %s%d", c.opset, xs, set_axis ? "" : "(default) ", axis);
  check_case(env, &c, desc);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s PATH/rn-plugin-cpu.so [seed]\n", argv[0]);
    return 2;
  }
  if (argc > 2) rng_state = strtoull(argv[2], NULL, 0) | 1;
  rn_env *env = NULL;
  rn_status *st = rn_env_create(&env);
  if (!st) st = rn_env_load_plugin(env, argv[1]);
  if (st) {
    fprintf(stderr, "FAIL loading %s: %s\n", argv[1], rn_status_message(st));
    return 1;
  }
  rn_plugin_info info;
  st = rn_env_plugin_info(env, 0, &info);
  if (st || rn_env_plugin_count(env) != 1 || !info.name || strcmp(info.name, "cpu") != 0 || info.n_kernels != 11) {
    fprintf(stderr, "FAIL plugin info: %s\n", st ? rn_status_message(st) : info.error ? info.error : "unexpected");
    return 1;
  }

  /* Fixed Conv cases: each path, asymmetric pads, auto_pad with odd totals. */
  conv_params p = {0};
  p.dtype = RN_DTYPE_FLOAT;
  p.opset = 17;
  p.n = 3, p.c = 6, p.m = 10, p.h = 9, p.w = 11, p.groups = 1, p.kh = p.kw = 3, p.sh = p.sw = 1, p.dh = p.dw = 1;
  p.bias = 1, p.weight_const = 1;
  p.pads[0] = 1, p.pads[1] = 0, p.pads[2] = 2, p.pads[3] = 1;
  conv_case(env, &p, 1); /* im2col, asymmetric pads */
  memset(p.pads, 0, sizeof p.pads);
  p.kh = p.kw = 1;
  conv_case(env, &p, 1); /* 1x1 GEMM */
  p.groups = 2;
  conv_case(env, &p, 1); /* 1x1 GEMM, 2 groups */
  p.groups = p.c = p.m = 8, p.kh = p.kw = 3, p.pads[0] = p.pads[1] = p.pads[2] = p.pads[3] = 1;
  conv_case(env, &p, 1); /* depthwise stride 1 */
  p.sh = p.sw = 2, p.auto_pad = "SAME_UPPER";
  conv_case(env, &p, 1); /* depthwise stride 2, SAME_UPPER */
  p.auto_pad = "SAME_LOWER", p.kh = p.kw = 4, p.sh = 3, p.sw = 1;
  conv_case(env, &p, 1); /* even kernel: odd pad totals */
  p.auto_pad = NULL, p.h = 13, p.groups = 1, p.c = 3, p.m = 4, p.kh = 7, p.kw = 5, p.dh = 2, p.dw = 1, p.sh = 2, p.sw = 3;
  p.pads[0] = 3, p.pads[1] = 0, p.pads[2] = 0, p.pads[3] = 4;
  conv_case(env, &p, 1);
  p.bias = 0, p.weight_const = 0;
  conv_case(env, &p, 1); /* weight as a graph input */
  /* Declined: double. */
  p.dtype = RN_DTYPE_DOUBLE;
  conv_case(env, &p, 0);

  for (int i = 0; i < 400; i++) conv_random(env, i % 5, 0);
  for (int i = 0; i < 300; i++) conv_random(env, i % 5, 1);

  /* Deep convolutions (long K, tail panels, residual and activation in the
   * micro-kernel's registers or after the copy to the output). */
  {
    static const struct {
      int c, m, hw, k, s, groups, fused, act, z;
    } deep[] = {
        {1100, 20, 5, 1, 1, 1, 0, 0, 0}, /* 1x1 (input read in place), a tail panel */
        {700, 17, 6, 1, 1, 1, 1, 4, 1},  /* ... with a residual and SiLU in registers */
        {200, 30, 9, 3, 1, 1, 0, 0, 0},  /* 3x3 through the phase planes */
        {130, 25, 7, 3, 1, 1, 1, 1, 1},  /* ... residual (added after the copy) + Relu */
        {600, 13, 11, 3, 2, 1, 1, 2, 0}, /* 3x3 stride 2, Clip */
        {1040, 24, 4, 1, 1, 2, 1, 5, 0}, /* grouped, 520 channels per group */
        {96, 40, 12, 7, 1, 1, 1, 8, 0},  /* 7x7, Tanh (no vector form: applied after) */
        /* short output rows: the transposed tiles (positions x channels) */
        {24, 64, 7, 3, 1, 1, 0, 0, 0},   /* 7x7 plane, 3x3 */
        {40, 96, 7, 3, 1, 1, 1, 4, 0},   /* ... SiLU in registers */
        {20, 32, 15, 3, 2, 1, 1, 2, 0},  /* stride 2 onto 8x8, Clip */
        {16, 64, 9, 5, 1, 2, 1, 1, 0},   /* 5x5, two groups, Relu */
        {36, 64, 7, 3, 1, 1, 1, 1, 1},   /* ... with a residual */
        {512, 64, 7, 1, 1, 1, 1, 1, 1},  /* 1x1 on a 7x7 input read in place, residual + Relu */
        {256, 96, 14, 1, 1, 1, 1, 4, 0}, /* 1x1 on 14x14, SiLU */
        /* output-channel counts for the short micro-kernel (8 rows on AVX-512) */
        {64, 16, 40, 1, 1, 1, 0, 0, 0},  /* 1x1 read in place, M = 16 */
        {32, 16, 40, 1, 1, 1, 1, 1, 1},  /* ... residual + Relu */
        {27, 40, 36, 3, 2, 1, 1, 4, 0},  /* 3x3 stride 2, M = 40, SiLU */
        {3, 64, 46, 7, 2, 1, 1, 1, 0},   /* a ResNet stem: 7x7 stride 2 from 3 channels, M = 64 */
        {3, 32, 45, 3, 2, 1, 1, 2, 0},   /* a MobileNet stem, Clip */
        /* 1x1 planes (squeeze-excitation): matrix-vector products */
        {1152, 48, 1, 1, 1, 1, 1, 4, 0}, /* reduce, SiLU */
        {48, 1152, 1, 1, 1, 1, 1, 3, 1}, /* expand, residual, Sigmoid */
        {64, 32, 1, 1, 1, 2, 1, 8, 0},   /* two groups, Tanh */
    };
    for (size_t i = 0; i < sizeof deep / sizeof deep[0]; i++) {
      conv_params q = {0};
      q.dtype = RN_DTYPE_FLOAT;
      q.opset = 17;
      q.n = 1 + (int)(i % 2), q.c = deep[i].c, q.m = deep[i].m, q.h = q.w = deep[i].hw, q.groups = deep[i].groups;
      q.kh = q.kw = deep[i].k, q.sh = q.sw = deep[i].s, q.dh = q.dw = 1, q.bias = 1, q.weight_const = 1;
      for (int k = 0; k < 4; k++) q.pads[k] = deep[i].k / 2;
      q.fused = deep[i].fused, q.act = deep[i].act, q.z = deep[i].z;
      conv_case(env, &q, 1);
    }
  }

  /* Depthwise in channel-interleaved blocks: several blocks and a partial
   * one, planes tall enough for several bands of rows, strides, dilation,
   * 5x5, asymmetric pads, activations fused or (Tanh) applied after, and a
   * residual (the per-channel kernel). */
  {
    static const struct {
      int c, h, w, k, s, d, pads[4], act, z, n;
    } dw[] = {
        {40, 14, 14, 3, 1, 1, {1, 1, 1, 1}, 4, 0, 1},     /* 2.5 blocks, SiLU */
        {37, 7, 7, 5, 1, 1, {2, 2, 2, 2}, 4, 0, 2},       /* 5x5 on 7x7, batch 2 */
        {24, 113, 97, 3, 2, 1, {1, 1, 0, 1}, 2, 0, 1},    /* bands, stride 2, Clip */
        {20, 120, 64, 3, 1, 1, {1, 1, 1, 1}, 1, 0, 2},    /* bands, stride 1, Relu */
        {33, 30, 31, 5, 2, 1, {2, 1, 2, 3}, 0, 0, 1},     /* 5x5 stride 2, odd pads */
        {18, 19, 23, 3, 1, 2, {2, 2, 2, 2}, 8, 0, 1},     /* dilation 2, Tanh after */
        {17, 9, 9, 3, 1, 1, {0, 0, 0, 0}, 5, 0, 1},       /* no pads, HardSigmoid */
        {32, 11, 10, 3, 2, 1, {1, 1, 1, 1}, 7, 0, 1},     /* HardSwish */
        {16, 28, 28, 3, 1, 1, {1, 1, 1, 1}, 1, 1, 1},     /* residual: the per-channel kernel */
        {48, 1, 1, 3, 1, 1, {1, 1, 1, 1}, 6, 0, 1},       /* 1x1 plane, LeakyRelu */
        {19, 6, 40, 1, 1, 1, {0, 2, 0, 0}, 0, 0, 1},      /* 1x1 kernel with a pad */
        /* stride 2 read in place (AVX-512: 3x3 onto >= 12 columns, 5x5 onto >= 40) */
        {12, 30, 29, 3, 2, 1, {0, 0, 1, 1}, 1, 0, 1},     /* TF-style pads: a chunk before the first */
        {8, 26, 30, 3, 2, 1, {2, 2, 2, 2}, 0, 0, 2},      /* wide pads, batch 2 */
        {16, 56, 56, 3, 2, 1, {1, 1, 1, 1}, 4, 1, 1},     /* a residual, SiLU */
        {10, 84, 90, 5, 2, 1, {2, 2, 2, 2}, 8, 0, 1},     /* 5x5, Tanh after */
        {6, 90, 88, 5, 2, 1, {0, 0, 0, 0}, 7, 0, 1},      /* 5x5, no pads, HardSwish */
    };
    for (size_t i = 0; i < sizeof dw / sizeof dw[0]; i++) {
      conv_params q = {0};
      q.dtype = RN_DTYPE_FLOAT;
      q.opset = 17;
      q.n = dw[i].n, q.c = q.m = q.groups = dw[i].c, q.h = dw[i].h, q.w = dw[i].w;
      q.kh = q.kw = dw[i].k, q.sh = q.sw = dw[i].s, q.dh = q.dw = dw[i].d, q.bias = 1, q.weight_const = 1;
      memcpy(q.pads, dw[i].pads, sizeof q.pads);
      q.fused = 1, q.act = dw[i].act, q.z = dw[i].z;
      conv_case(env, &q, 1);
    }
  }

  /* 3x3 stride-1 convolutions big enough for Winograd: partial tiles, every
   * pad combination, batches. */
  for (int i = 0; i < 60; i++) {
    conv_params q = {0};
    q.dtype = RN_DTYPE_FLOAT;
    q.opset = 17;
    q.n = rnd_int(1, 3), q.c = rnd_int(8, 40), q.m = rnd_int(8, 40), q.h = rnd_int(5, 30), q.w = rnd_int(5, 30);
    q.groups = 1, q.kh = q.kw = 3, q.sh = q.sw = 1, q.dh = q.dw = 1, q.bias = rnd() % 2, q.weight_const = 1;
    for (int k = 0; k < 4; k++) q.pads[k] = rnd_int(0, 2);
    q.set_kernel_shape = rnd() % 2;
    conv_case(env, &q, 1);
  }

  /* Gemm: every trans/alpha/beta/C shape combination, then random sizes. */
  for (int ta = 0; ta < 2; ta++)
    for (int tb = 0; tb < 2; tb++)
      for (int ck = 0; ck < 8; ck++) {
        gemm_case(env, 7, 5, 9, ta, tb, 0, 1.0f, 0, 1.0f, ck, 1, RN_DTYPE_FLOAT, 1);
        gemm_case(env, rnd_int(1, 33), rnd_int(1, 37), rnd_int(1, 41), ta, tb, 1, rnd_float() * 2, 1,
                  rnd_float() * 2, ck, rnd() % 2, RN_DTYPE_FLOAT, 1);
        gemm_case(env, 1, rnd_int(1, 9), rnd_int(1, 9), ta, tb, 1, 0.5f, 1, 0.0f, ck, 1, RN_DTYPE_FLOAT, 1);
        /* a classifier head at batch 1: more rows than one block of the
         * plugin's dot products (256), a depth past its vector loop */
        gemm_case(env, 1, rnd_int(257, 600), rnd_int(40, 700), ta, tb, 1, rnd_float() * 2, 1, rnd_float() * 2, ck,
                  rnd() % 2, RN_DTYPE_FLOAT, 1);
      }
  for (int i = 0; i < 100; i++)
    gemm_case(env, rnd_int(1, 65), rnd_int(1, 65), rnd_int(1, 65), rnd() % 2, rnd() % 2, rnd() % 2,
              rnd_float() * 3, rnd() % 2, rnd_float() * 3, rnd() % 8, rnd() % 2, RN_DTYPE_FLOAT, 1);
  gemm_case(env, 4, 3, 2, 0, 1, 0, 1, 0, 1, 1, 1, RN_DTYPE_DOUBLE, 0); /* declined */

  /* MatMul: 1-D operands and broadcasting, fixed then random. */
  {
    int64_t a[4], b[4];
    a[0] = 7, b[0] = 7;
    matmul_case(env, 1, a, 1, b, 0, RN_DTYPE_FLOAT, 1); /* dot */
    a[0] = 7, b[0] = 7, b[1] = 5;
    matmul_case(env, 1, a, 2, b, 1, RN_DTYPE_FLOAT, 1); /* vector x matrix */
    a[0] = 3, a[1] = 7, b[0] = 7;
    matmul_case(env, 2, a, 1, b, 1, RN_DTYPE_FLOAT, 1); /* matrix x vector */
    a[0] = 2, a[1] = 3, a[2] = 4, a[3] = 7, b[0] = 7, b[1] = 5;
    matmul_case(env, 4, a, 2, b, 1, RN_DTYPE_FLOAT, 1); /* batched x 2-D (folded) */
    a[0] = 3, a[1] = 7, b[0] = 2, b[1] = 1, b[2] = 7, b[3] = 5;
    matmul_case(env, 2, a, 4, b, 0, RN_DTYPE_FLOAT, 1); /* 2-D x batched */
    a[0] = 2, a[1] = 1, a[2] = 3, a[3] = 7, b[0] = 1, b[1] = 4, b[2] = 7, b[3] = 5;
    matmul_case(env, 4, a, 4, b, 0, RN_DTYPE_FLOAT, 1); /* both broadcast */
    a[0] = 7, b[0] = 3, b[1] = 7, b[2] = 2;
    matmul_case(env, 1, a, 3, b, 0, RN_DTYPE_FLOAT, 1); /* vector x batched */
    a[0] = 3, a[1] = 4, a[2] = 7, b[0] = 7;
    matmul_case(env, 3, a, 1, b, 0, RN_DTYPE_FLOAT, 1); /* batched x vector */
    a[0] = 3, a[1] = 7, b[0] = 7, b[1] = 5;
    matmul_case(env, 2, a, 2, b, 0, RN_DTYPE_DOUBLE, 0); /* declined */
  }
  for (int i = 0; i < 200; i++) matmul_random(env);

  for (int i = 0; i < 150; i++) maxpool_random(env);
  maxpool_stride2_cases(env);
  for (int i = 0; i < 30; i++) global_avg_random(env);
  {
    /* The shapes CNNs use: same shapes, per-channel scales, a scalar; and
     * a broadcast the plugin leaves to the reference. */
    int64_t x[4] = {2, 16, 9, 11}, ch[4] = {2, 16, 1, 1}, ch3[3] = {16, 1, 1}, row[4] = {1, 1, 1, 11};
    int64_t mid[4] = {1, 16, 1, 11}, one[1] = {1};
    for (int k = 0; k < 2; k++) {
      const char *op = k ? "Mul" : "Add";
      binary_case(env, op, 4, x, 4, x, 0, 0, 1);
      binary_case(env, op, 4, x, 4, ch, 1, 0, 1);
      binary_case(env, op, 4, x, 3, ch3, 0, 1, 1);
      binary_case(env, op, 4, x, 0, one, 1, 1, 1);
      binary_case(env, op, 4, x, 1, one, 0, 0, 1);
      binary_case(env, op, 4, x, 4, row, 0, 1, 1);
      binary_case(env, op, 4, x, 4, mid, 0, 1, 0);
    }
  }
  for (int i = 0; i < 150; i++) binary_random(env, i % 2 ? "Mul" : "Add");
  for (int i = 0; i < 40; i++) unary_random(env, i % 2 ? "Sigmoid" : "Relu");
  sigmoid_accuracy(env);
  for (int i = 0; i < 60; i++) softmax_random(env);

  rn_env_free(env);
  printf("plugin-cpu differential: %d cases (%d on the plugin), %d failures, max |diff| %.3g, "
         "max |diff|/(1+max|ref|) %.3g\n",
         cases, plugin_cases, failures, worst_abs, worst_rel);
  return failures ? 1 : 0;
}
