/* Graph rewrites at session creation (core/optimize.c): BatchNormalization
 * folding into Conv and Conv [+ Add] [+ activation] fusion into
 * ("rn", "FusedConv"). Every model is built with the builder API, run with
 * optimize on and off on the same random inputs, and the outputs compared;
 * the node list of the optimized session (rn_session_node_info) shows that
 * the rewrite happened, or did not where it must not, and the INFO log
 * counts the rewrites. Internals (session.h) are read only to check the
 * fused node's attributes and that the model's shared constants are intact. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "rn.h"
#include "session.h"

#define LIST(...) (int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *)), (const char *[]){__VA_ARGS__}
#define DIMS(...) (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)), (int64_t[]){__VA_ARGS__}

static rn_status *build_error; /* the first builder error of the current model */

static void ok(rn_status *st) {
  if (st && !build_error) build_error = st;
  else rn_status_free(st);
}

static unsigned long long rng = 88172645463325252ull;
static double uniform(double lo, double hi) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return lo + (hi - lo) * (double)(rng >> 11) / 9007199254740992.0;
}

static void fill(rn_tensor *t, double lo, double hi) {
  int64_t n = rn_tensor_numel(t);
  for (int64_t i = 0; i < n; i++) {
    double v = uniform(lo, hi);
    if (rn_tensor_dtype(t) == RN_DTYPE_FLOAT) ((float *)rn_tensor_data(t))[i] = (float)v;
    else ((double *)rn_tensor_data(t))[i] = v;
  }
}

/* A random initializer with values in [lo, hi). */
static void init(rn_model *m, const char *name, rn_dtype dt, double lo, double hi, int rank, const int64_t *dims) {
  rn_tensor *t = NULL;
  ok(rn_tensor_create(dt, dims, rank, &t));
  if (!t) return;
  fill(t, lo, hi);
  ok(rn_model_set_initializer(m, name, t));
  rn_tensor_free(t);
}

static void scalar(rn_model *m, const char *name, rn_dtype dt, double v) {
  rn_tensor *t = NULL;
  ok(rn_tensor_create(dt, NULL, 0, &t));
  if (!t) return;
  if (dt == RN_DTYPE_FLOAT) *(float *)rn_tensor_data(t) = (float)v;
  else *(double *)rn_tensor_data(t) = v;
  ok(rn_model_set_initializer(m, name, t));
  rn_tensor_free(t);
}

static void input(rn_model *m, const char *name, rn_dtype dt, int rank, const int64_t *dims) {
  ok(rn_model_add_input(m, name, dt, rank, dims, NULL));
}

static int node(rn_model *m, const char *op, const char *domain, const char *name, int nin, const char **ins,
                int nout, const char **outs) {
  int idx = -1;
  ok(rn_model_add_node(m, op, domain, name, nin, ins, nout, outs, &idx));
  return idx;
}

static rn_model *new_model(const char *name, int64_t opset) {
  rn_model *m = NULL;
  ok(rn_model_create(name, &m));
  if (m && opset != 17) ok(rn_model_set_opset(m, "", opset));
  return m;
}

/* Conv(x, w[, b]) -> out, kernel k x k, pads p. */
static void conv(rn_model *m, const char *name, const char *x, const char *w, const char *b, const char *out,
                 int64_t k, int64_t p) {
  int n = b ? node(m, "Conv", NULL, name, LIST(x, w, b), LIST(out)) : node(m, "Conv", NULL, name, LIST(x, w), LIST(out));
  if (n < 0) return;
  ok(rn_model_node_set_ints(m, n, "kernel_shape", DIMS(k, k)));
  ok(rn_model_node_set_ints(m, n, "pads", DIMS(p, p, p, p)));
}

/* BatchNormalization with random constants for c channels (prefix.scale, ...). */
static int batchnorm(rn_model *m, const char *prefix, rn_dtype dt, int64_t c, const char *x, const char *out) {
  char s[64], b[64], mu[64], var[64];
  snprintf(s, sizeof s, "%s.scale", prefix);
  snprintf(b, sizeof b, "%s.bias", prefix);
  snprintf(mu, sizeof mu, "%s.mean", prefix);
  snprintf(var, sizeof var, "%s.var", prefix);
  init(m, s, dt, 0.5, 1.5, DIMS(c));
  init(m, b, dt, -0.5, 0.5, DIMS(c));
  init(m, mu, dt, -0.3, 0.3, DIMS(c));
  init(m, var, dt, 0.2, 2.0, DIMS(c));
  return node(m, "BatchNormalization", NULL, prefix, LIST(x, s, b, mu, var), LIST(out));
}

/* ---- running ---- */

typedef struct outcome {
  rn_tensor *outs[4];
  int n_outs;
  char ops[256];     /* the session's nodes: "FusedConv Add" */
  char log[1024];    /* INFO messages */
  char fused_act[32]; /* activation attribute of the first FusedConv ("-" if none) */
  int fused_inputs;  /* its input count */
  float fused_params[2];
  int fused_n_params;
} outcome;

static void logger(void *user, rn_log_level level, const char *message) {
  outcome *o = user;
  if (level == RN_LOG_INFO && strlen(o->log) + strlen(message) + 2 < sizeof o->log) {
    strcat(o->log, message);
    strcat(o->log, "\n");
  }
}

static rn_tensor *inputs[8];
static const char *input_names[8];
static int n_inputs;

/* Random inputs for the model's declared (static) input shapes. */
static void make_inputs(const rn_model *m) {
  n_inputs = rn_model_input_count(m);
  for (int i = 0; i < n_inputs && i < 8; i++) {
    rn_value_info info;
    input_names[i] = rn_model_input_name(m, i);
    ok(rn_model_value_info(m, input_names[i], &info));
    inputs[i] = NULL;
    ok(rn_tensor_create(info.dtype, info.dims, info.rank, &inputs[i]));
    if (inputs[i]) fill(inputs[i], -1, 1);
  }
}

static void free_inputs(void) {
  for (int i = 0; i < n_inputs; i++) rn_tensor_free(inputs[i]);
  n_inputs = 0;
}

static rn_status *run(const rn_model *m, int optimize, outcome *o) {
  memset(o, 0, sizeof *o);
  strcpy(o->fused_act, "-");
  rn_env *env = NULL;
  rn_session_options *so = NULL;
  rn_session *s = NULL;
  rn_status *st = rn_env_create(&env);
  if (!st) st = rn_env_set_logger(env, RN_LOG_INFO, logger, o);
  if (!st) st = rn_session_options_create(&so);
  if (!st) st = rn_session_options_set_optimize(so, optimize);
  if (!st) st = rn_session_create(env, m, so, &s);
  if (!st) {
    o->n_outs = rn_session_output_count(s);
    const char *names[4];
    for (int i = 0; i < o->n_outs && i < 4; i++) names[i] = rn_session_output_name(s, i);
    st = rn_session_run(s, n_inputs, input_names, inputs, o->n_outs, names, o->outs);
  }
  for (int i = 0; !st && i < rn_session_node_count(s); i++) {
    rn_node_info ni;
    st = rn_session_node_info(s, i, &ni);
    if (st) break;
    size_t len = strlen(o->ops);
    snprintf(o->ops + len, sizeof o->ops - len, "%s%s", len ? " " : "", ni.op_type);
  }
  /* the fused node's attributes, from the session's graph (internals) */
  for (int i = 0; s && i < s->graph->n_nodes; i++) {
    const rn_node *n = &s->graph->nodes[i];
    if (strcmp(n->op_type, "FusedConv") != 0 || strcmp(n->domain, "rn") != 0) continue;
    o->fused_inputs = n->n_inputs;
    const rn_attr *a = rn_node_attr(n, "activation");
    if (a) snprintf(o->fused_act, sizeof o->fused_act, "%s", a->s);
    const rn_attr *p = rn_node_attr(n, "activation_params");
    o->fused_n_params = p ? (int)p->n : 0;
    for (int k = 0; p && k < p->n && k < 2; k++) o->fused_params[k] = p->floats[k];
    break;
  }
  rn_session_free(s);
  rn_session_options_free(so);
  rn_env_free(env);
  return st;
}

static void free_outcome(outcome *o) {
  for (int i = 0; i < o->n_outs; i++) rn_tensor_free(o->outs[i]);
}

/* Largest |a - b| over the outputs, relative to the largest |b| (at least 1e-3). */
static double compare(const outcome *a, const outcome *b, bool *exact, bool *same_shapes) {
  double worst = 0;
  *exact = true;
  *same_shapes = a->n_outs == b->n_outs;
  for (int i = 0; *same_shapes && i < a->n_outs; i++) {
    const rn_tensor *x = a->outs[i], *y = b->outs[i];
    if (rn_tensor_dtype(x) != rn_tensor_dtype(y) || rn_tensor_numel(x) != rn_tensor_numel(y) ||
        rn_tensor_rank(x) != rn_tensor_rank(y) ||
        memcmp(rn_tensor_dims(x), rn_tensor_dims(y), sizeof(int64_t) * (size_t)rn_tensor_rank(x)) != 0) {
      *same_shapes = false;
      break;
    }
    int64_t n = rn_tensor_numel(x);
    bool f32 = rn_tensor_dtype(x) == RN_DTYPE_FLOAT;
    const void *px = rn_tensor_data((rn_tensor *)x), *py = rn_tensor_data((rn_tensor *)y);
    double scale = 1e-3, err = 0;
    for (int64_t k = 0; k < n; k++) {
      double u = f32 ? ((const float *)px)[k] : ((const double *)px)[k];
      double v = f32 ? ((const float *)py)[k] : ((const double *)py)[k];
      scale = fmax(scale, fabs(v));
      if (!(u == v)) *exact = false;
      err = fmax(err, isnan(u) || isnan(v) ? (isnan(u) && isnan(v) ? 0 : INFINITY) : fabs(u - v));
    }
    if (n && memcmp(px, py, (size_t)n * (f32 ? 4 : 8)) != 0) *exact = false;
    worst = fmax(worst, err / scale);
  }
  return worst;
}

/* Runs m with optimize on and off; the optimized session's nodes must be
 * `want_ops`; outputs equal within 1e-5 (relative to the output's largest
 * value), bit for bit when `exact` (no BatchNorm folded: the same
 * arithmetic). `opt` receives the optimized outcome (caller frees). */
static void check_case(const char *label, rn_model *m, const char *want_ops, bool exact, outcome *opt) {
  outcome on, off;
  memset(&on, 0, sizeof on);
  memset(&off, 0, sizeof off);
  CHECK(!build_error, "%s: building: %s", label, build_error ? rn_status_message(build_error) : "");
  if (build_error) {
    rn_status_free(build_error);
    build_error = NULL;
    if (opt) memset(opt, 0, sizeof *opt);
    return;
  }
  make_inputs(m);
  rn_status *st = run(m, 1, &on);
  CHECK(!st, "%s: optimized run: %s", label, st ? rn_status_message(st) : "");
  rn_status_free(st);
  st = run(m, 0, &off);
  CHECK(!st, "%s: plain run: %s", label, st ? rn_status_message(st) : "");
  rn_status_free(st);
  free_inputs();
  int failures_before = failures;
  bool same_exact, same_shapes;
  double err = compare(&on, &off, &same_exact, &same_shapes);
  CHECK(strcmp(on.ops, want_ops) == 0, "%s: optimized nodes '%s', expected '%s' (plain: '%s')", label, on.ops,
        want_ops, off.ops);
  CHECK(same_shapes, "%s: outputs differ in number, type or shape", label);
  CHECK(err <= 1e-5, "%s: outputs differ by %.3g (relative to the largest)", label, err);
  CHECK(!exact || same_exact, "%s: outputs are not bit-identical (max rel diff %.3g)", label, err);
  /* logged when something was rewritten */
  bool rewritten = strcmp(on.ops, off.ops) != 0;
  CHECK(!strstr(on.log, "optimized:") == !rewritten && !strstr(off.log, "optimized:"), "%s: INFO log: '%s'", label,
        on.log);
  printf("%s %-44s %-28s <- %-44s max rel diff %.2g%s\n", failures > failures_before ? "!!" : "ok", label, on.ops, off.ops, err,
         same_exact ? " (bit-identical)" : "");
  free_outcome(&off);
  if (opt) *opt = on;
  else free_outcome(&on);
}

/* ---- cases ---- */

static void test_bn_folding(void) {
  for (int with_bias = 0; with_bias < 2; with_bias++) {
    rn_model *m = new_model("conv_bn", 17);
    input(m, "x", RN_DTYPE_FLOAT, DIMS(2, 3, 9, 9));
    init(m, "w", RN_DTYPE_FLOAT, -0.5, 0.5, DIMS(5, 3, 3, 3));
    if (with_bias) init(m, "b", RN_DTYPE_FLOAT, -0.5, 0.5, DIMS(5));
    conv(m, "conv", "x", "w", with_bias ? "b" : NULL, "c", 3, 1);
    int bn = batchnorm(m, "bn", RN_DTYPE_FLOAT, 5, "c", "y");
    ok(rn_model_node_set_float(m, bn, "epsilon", 1e-3f));
    ok(rn_model_add_output(m, "y"));
    /* the model's constants must survive the folding untouched */
    const rn_tensor *w = rn_model_initializer(m, "w");
    float before[135];
    memcpy(before, rn_tensor_data((rn_tensor *)w), sizeof before);
    outcome o;
    check_case(with_bias ? "Conv(bias)+BN -> Conv" : "Conv+BN -> Conv", m, "Conv", false, &o);
    CHECK(memcmp(before, rn_tensor_data((rn_tensor *)rn_model_initializer(m, "w")), sizeof before) == 0,
          "the model's weight was modified");
    CHECK(strstr(o.log, "1 BatchNormalization folded into Conv, 0 Conv fused"), "log: %s", o.log);
    free_outcome(&o);
    /* a second session over the same model still folds from the originals */
    check_case("Conv+BN again (same model)", m, "Conv", false, NULL);
    rn_model_free(m);
  }
}

/* torch.onnx (export_params with keep_initializers_as_inputs off, or
 * training=PRESERVE) can share identical initializers through Identity
 * nodes: BN statistics, even the weight, reached through Identity chains
 * are still constants, and the chains left unread disappear. A chain that
 * something else still reads stays. */
static void test_bn_through_identity(void) {
  for (int shared = 0; shared < 2; shared++) {
    rn_model *m = new_model("conv_bn_identity", 17);
    input(m, "x", RN_DTYPE_FLOAT, DIMS(1, 3, 7, 7));
    init(m, "w0", RN_DTYPE_FLOAT, -0.5, 0.5, DIMS(4, 3, 3, 3));
    node(m, "Identity", NULL, "id_w", LIST("w0"), LIST("w"));
    conv(m, "conv", "x", "w", NULL, "c", 3, 1);
    init(m, "s0", RN_DTYPE_FLOAT, 0.5, 1.5, DIMS(4));
    init(m, "b0", RN_DTYPE_FLOAT, -0.5, 0.5, DIMS(4));
    init(m, "mu0", RN_DTYPE_FLOAT, -0.3, 0.3, DIMS(4));
    init(m, "var0", RN_DTYPE_FLOAT, 0.2, 2.0, DIMS(4));
    node(m, "Identity", NULL, "id_s1", LIST("s0"), LIST("s1"));
    node(m, "Identity", NULL, "id_s", LIST("s1"), LIST("s")); /* a chain of two */
    node(m, "Identity", NULL, "id_b", LIST("b0"), LIST("b"));
    node(m, "Identity", NULL, "id_mu", LIST("mu0"), LIST("mu"));
    node(m, "Identity", NULL, "id_var", LIST("var0"), LIST("var"));
    node(m, "BatchNormalization", NULL, "bn", LIST("c", "s", "b", "mu", "var"), LIST("y"));
    ok(rn_model_add_output(m, "y"));
    if (shared) { /* the scale is also a graph output: its Identity chain stays */
      ok(rn_model_add_output(m, "s"));
      check_case("Conv+BN through Identity, one chain still read", m, "Identity Conv Identity", false, NULL);
    } else {
      check_case("Conv+BN through Identity: folded", m, "Conv", false, NULL);
    }
    rn_model_free(m);
  }
}

static void test_bn_relu_double(void) {
  rn_model *m = new_model("conv_bn_add_leaky_f64", 17);
  input(m, "x", RN_DTYPE_DOUBLE, DIMS(1, 4, 6, 6));
  input(m, "r", RN_DTYPE_DOUBLE, DIMS(1, 6, 6, 6));
  init(m, "w", RN_DTYPE_DOUBLE, -0.5, 0.5, DIMS(6, 2, 3, 3));
  int c = node(m, "Conv", NULL, "conv", LIST("x", "w"), LIST("c"));
  ok(rn_model_node_set_int(m, c, "group", 2));
  ok(rn_model_node_set_ints(m, c, "pads", DIMS(1, 1, 1, 1)));
  batchnorm(m, "bn", RN_DTYPE_DOUBLE, 6, "c", "n");
  node(m, "Add", NULL, "add", LIST("r", "n"), LIST("a"));
  int l = node(m, "LeakyRelu", NULL, "leaky", LIST("a"), LIST("y"));
  ok(rn_model_node_set_float(m, l, "alpha", 0.25f));
  ok(rn_model_add_output(m, "y"));
  outcome o;
  check_case("f64 grouped Conv+BN+Add(r,y)+LeakyRelu", m, "FusedConv", false, &o);
  CHECK(strcmp(o.fused_act, "LeakyRelu") == 0 && o.fused_n_params == 1 && o.fused_params[0] == 0.25f &&
            o.fused_inputs == 4,
        "fused node: activation %s, %d params, %d inputs", o.fused_act, o.fused_n_params, o.fused_inputs);
  CHECK(strstr(o.log, "1 BatchNormalization folded into Conv, 1 Conv fused into FusedConv (1 with Add; "
                      "activations: 1 LeakyRelu)"),
        "log: %s", o.log);
  free_outcome(&o);
  rn_model_free(m);
}

static void test_add_relu(void) {
  for (int order = 0; order < 2; order++) {
    rn_model *m = new_model("conv_add_relu", 17);
    input(m, "x", RN_DTYPE_FLOAT, DIMS(2, 3, 8, 8));
    input(m, "r", RN_DTYPE_FLOAT, DIMS(2, 4, 8, 8));
    init(m, "w", RN_DTYPE_FLOAT, -0.5, 0.5, DIMS(4, 3, 3, 3));
    init(m, "b", RN_DTYPE_FLOAT, -0.5, 0.5, DIMS(4));
    conv(m, "conv", "x", "w", "b", "c", 3, 1);
    if (order) node(m, "Add", NULL, "add", LIST("r", "c"), LIST("a"));
    else node(m, "Add", NULL, "add", LIST("c", "r"), LIST("a"));
    node(m, "Relu", NULL, "relu", LIST("a"), LIST("y"));
    ok(rn_model_add_output(m, "y"));
    outcome o;
    check_case(order ? "Conv+Add(r,y)+Relu" : "Conv+Add(y,r)+Relu", m, "FusedConv", true, &o);
    CHECK(strcmp(o.fused_act, "Relu") == 0 && o.fused_inputs == 4 && o.fused_n_params == 0,
          "fused node: activation %s, %d inputs", o.fused_act, o.fused_inputs);
    free_outcome(&o);
    rn_model_free(m);
  }
}

/* A ResNet block: two Conv+BN, one with Relu, the residual Add, Relu. */
static void test_resnet_block(void) {
  rn_model *m = new_model("block", 17);
  input(m, "x", RN_DTYPE_FLOAT, DIMS(1, 4, 10, 10));
  init(m, "w1", RN_DTYPE_FLOAT, -0.4, 0.4, DIMS(4, 4, 3, 3));
  init(m, "w2", RN_DTYPE_FLOAT, -0.4, 0.4, DIMS(4, 4, 3, 3));
  conv(m, "conv1", "x", "w1", NULL, "c1", 3, 1);
  batchnorm(m, "bn1", RN_DTYPE_FLOAT, 4, "c1", "n1");
  node(m, "Relu", NULL, "relu1", LIST("n1"), LIST("r1"));
  conv(m, "conv2", "r1", "w2", NULL, "c2", 3, 1);
  batchnorm(m, "bn2", RN_DTYPE_FLOAT, 4, "c2", "n2");
  node(m, "Add", NULL, "add", LIST("n2", "x"), LIST("a"));
  node(m, "Relu", NULL, "relu2", LIST("a"), LIST("y"));
  ok(rn_model_add_output(m, "y"));
  outcome o;
  check_case("ResNet block (2 BN, Add, 2 Relu)", m, "FusedConv FusedConv", false, &o);
  CHECK(strstr(o.log, "2 BatchNormalization folded into Conv, 2 Conv fused into FusedConv (1 with Add; "
                      "activations: 2 Relu), 7 -> 2 nodes"),
        "log: %s", o.log);
  free_outcome(&o);
  rn_model_free(m);
}

static void test_silu(void) {
  for (int order = 0; order < 2; order++) {
    rn_model *m = new_model("conv_silu", 17);
    input(m, "x", RN_DTYPE_FLOAT, DIMS(1, 3, 12, 12));
    init(m, "w", RN_DTYPE_FLOAT, -1, 1, DIMS(8, 3, 3, 3));
    int c = node(m, "Conv", NULL, "conv", LIST("x", "w"), LIST("c"));
    ok(rn_model_node_set_ints(m, c, "strides", DIMS(2, 2)));
    ok(rn_model_node_set_string(m, c, "auto_pad", "SAME_UPPER"));
    node(m, "Sigmoid", NULL, "sig", LIST("c"), LIST("s"));
    if (order) node(m, "Mul", NULL, "mul", LIST("s", "c"), LIST("y"));
    else node(m, "Mul", NULL, "mul", LIST("c", "s"), LIST("y"));
    ok(rn_model_add_output(m, "y"));
    outcome o;
    check_case(order ? "Conv+SiLU (Mul(s,v), strided SAME)" : "Conv+SiLU (Mul(v,s), strided SAME)", m, "FusedConv",
               true, &o);
    CHECK(strcmp(o.fused_act, "SiLU") == 0 && o.fused_inputs == 2, "fused node: activation %s, %d inputs",
          o.fused_act, o.fused_inputs);
    CHECK(strstr(o.log, "activations: 1 SiLU"), "log: %s", o.log);
    free_outcome(&o);
    rn_model_free(m);
  }
}

/* Conv -> Clip with constant inputs (opset 11+; one bound omitted too) and
 * with attributes (opset 6). */
/* HardSwish as torch.onnx writes it before opset 14: x * HardSigmoid(x)
 * with alpha = 1/6, beta = 1/2. Another alpha is a different function. */
static void test_hardswish_as_hardsigmoid(void) {
  for (int variant = 0; variant < 3; variant++) {
    rn_model *m = new_model("conv_hardswish11", 11);
    input(m, "x", RN_DTYPE_FLOAT, DIMS(1, 3, 10, 10));
    init(m, "w", RN_DTYPE_FLOAT, -2, 2, DIMS(6, 3, 3, 3));
    init(m, "b", RN_DTYPE_FLOAT, -1, 1, DIMS(6));
    conv(m, "conv", "x", "w", "b", "c", 3, 1);
    int hs = node(m, "HardSigmoid", NULL, "hsig", LIST("c"), LIST("s"));
    ok(rn_model_node_set_float(m, hs, "alpha", variant == 2 ? 0.2f : 1.0f / 6.0f));
    if (variant == 1) ok(rn_model_node_set_float(m, hs, "beta", 0.5f)); /* the default, spelled out */
    node(m, "Mul", NULL, "mul", LIST("c", "s"), LIST("y"));
    ok(rn_model_add_output(m, "y"));
    if (variant == 2) {
      /* alpha 0.2: no fusion (the conv's output is read twice) */
      check_case("Conv+x*HardSigmoid(x) with alpha 0.2: not HardSwish", m, "Conv HardSigmoid Mul", true, NULL);
    } else {
      outcome o;
      check_case("Conv+x*HardSigmoid(x) (HardSwish, opset 11)", m, "FusedConv", false, &o);
      CHECK(strcmp(o.fused_act, "HardSwish") == 0, "fused node: activation %s", o.fused_act);
      free_outcome(&o);
    }
    rn_model_free(m);
  }
}

static void test_clip(void) {
  struct {
    int64_t opset;
    const char *lo, *hi;
    float want_lo, want_hi;
  } cases[] = {
      {11, "zero", "six", 0, 6},
      {11, "", "six", -INFINITY, 6},
      {13, "cmin", "cmax", -1, 1.5f}, /* outputs of Constant nodes */
      {6, NULL, NULL, 0, 6},
  };
  for (int i = 0; i < 4; i++) {
    rn_model *m = new_model("conv_clip", cases[i].opset);
    input(m, "x", RN_DTYPE_FLOAT, DIMS(2, 3, 7, 7));
    init(m, "w", RN_DTYPE_FLOAT, -3, 3, DIMS(4, 3, 3, 3));
    conv(m, "conv", "x", "w", NULL, "c", 3, 0);
    if (cases[i].opset >= 11) {
      scalar(m, "zero", RN_DTYPE_FLOAT, 0);
      scalar(m, "six", RN_DTYPE_FLOAT, 6);
      const char *cname[2] = {"cmin", "cmax"};
      for (int k = 0; k < 2; k++) {
        rn_tensor *t = NULL;
        ok(rn_tensor_create(RN_DTYPE_FLOAT, NULL, 0, &t));
        if (!t) continue;
        *(float *)rn_tensor_data(t) = k ? 1.5f : -1.0f;
        int cn = node(m, "Constant", NULL, cname[k], 0, NULL, LIST(cname[k]));
        ok(rn_model_node_set_tensor(m, cn, "value", t));
        rn_tensor_free(t);
      }
      node(m, "Clip", NULL, "clip", LIST("c", cases[i].lo, cases[i].hi), LIST("y"));
    } else {
      int n = node(m, "Clip", NULL, "clip", LIST("c"), LIST("y"));
      ok(rn_model_node_set_float(m, n, "min", 0));
      ok(rn_model_node_set_float(m, n, "max", 6));
    }
    ok(rn_model_add_output(m, "y"));
    char label[64];
    snprintf(label, sizeof label, "Conv+Clip opset %lld%s", (long long)cases[i].opset,
             cases[i].opset < 11     ? " (attributes)"
             : !cases[i].lo[0]       ? " (max only)"
             : cases[i].lo[0] == 'c' ? " (Constant nodes)"
                                     : " (initializers)");
    outcome o;
    check_case(label, m, "FusedConv", true, &o);
    CHECK(strcmp(o.fused_act, "Clip") == 0 && o.fused_n_params == 2 && o.fused_params[0] == cases[i].want_lo &&
              o.fused_params[1] == cases[i].want_hi,
          "%s: fused activation %s params %g %g", label, o.fused_act, o.fused_params[0], o.fused_params[1]);
    free_outcome(&o);
    rn_model_free(m);
  }
}

/* Each single-input activation after a Conv. */
static void test_activations(void) {
  const char *ops[] = {"Relu", "Sigmoid", "Tanh", "HardSwish", "HardSigmoid", "LeakyRelu"};
  for (int i = 0; i < 6; i++) {
    for (int dt_i = 0; dt_i < 2; dt_i++) {
      rn_dtype dt = dt_i ? RN_DTYPE_DOUBLE : RN_DTYPE_FLOAT;
      rn_model *m = new_model("conv_act", 17);
      input(m, "x", dt, DIMS(1, 2, 6, 5));
      init(m, "w", dt, -2, 2, DIMS(3, 2, 1, 1));
      init(m, "b", dt, -1, 1, DIMS(3));
      conv(m, "conv", "x", "w", "b", "c", 1, 0);
      int n = node(m, ops[i], NULL, "act", LIST("c"), LIST("y"));
      if (strcmp(ops[i], "HardSigmoid") == 0) {
        ok(rn_model_node_set_float(m, n, "alpha", 0.3f));
        ok(rn_model_node_set_float(m, n, "beta", 0.4f));
      }
      ok(rn_model_add_output(m, "y"));
      char label[64];
      snprintf(label, sizeof label, "Conv 1x1+%s %s", ops[i], dt_i ? "f64" : "f32");
      outcome o;
      check_case(label, m, "FusedConv", true, &o);
      CHECK(strcmp(o.fused_act, ops[i]) == 0, "%s: fused activation %s", label, o.fused_act);
      if (strcmp(ops[i], "HardSigmoid") == 0)
        CHECK(o.fused_n_params == 2 && o.fused_params[0] == 0.3f && o.fused_params[1] == 0.4f, "%s: params", label);
      if (strcmp(ops[i], "LeakyRelu") == 0)
        CHECK(o.fused_n_params == 1 && o.fused_params[0] == 0.01f, "%s: default alpha", label);
      free_outcome(&o);
      rn_model_free(m);
    }
  }
}

/* Z broadcasting: the conv's [N,C,1,1] against Z [N,C,H,W] (output takes
 * Z's shape) and the conv's [N,C,H,W] against Z [1,C,1,1]. */
static void test_broadcast_z(void) {
  for (int big_z = 0; big_z < 2; big_z++) {
    rn_model *m = new_model("conv_add_broadcast", 17);
    input(m, "x", RN_DTYPE_FLOAT, DIMS(2, 3, 3, 3));
    if (big_z) input(m, "r", RN_DTYPE_FLOAT, DIMS(2, 4, 5, 5));
    else input(m, "r", RN_DTYPE_FLOAT, DIMS(1, 4, 1, 1));
    init(m, "w", RN_DTYPE_FLOAT, -1, 1, DIMS(4, 3, 3, 3));
    conv(m, "conv", "x", "w", NULL, "c", 3, big_z ? 0 : 1);
    node(m, "Add", NULL, "add", LIST("c", "r"), LIST("a"));
    node(m, "Sigmoid", NULL, "sig", LIST("a"), LIST("y"));
    ok(rn_model_add_output(m, "y"));
    outcome o;
    check_case(big_z ? "Conv [2,4,1,1] + Z [2,4,5,5] + Sigmoid" : "Conv [2,4,3,3] + Z [1,4,1,1] + Sigmoid", m,
               "FusedConv", true, &o);
    CHECK(o.n_outs == 1 && o.outs[0] && rn_tensor_dims(o.outs[0])[3] == (big_z ? 5 : 3), "output shape");
    free_outcome(&o);
    rn_model_free(m);
  }
}

static void test_no_fusion(void) {
  /* the conv's output is also a graph output */
  rn_model *m = new_model("conv_output", 17);
  input(m, "x", RN_DTYPE_FLOAT, DIMS(1, 3, 6, 6));
  init(m, "w", RN_DTYPE_FLOAT, -1, 1, DIMS(4, 3, 3, 3));
  conv(m, "conv", "x", "w", NULL, "c", 3, 1);
  node(m, "Relu", NULL, "relu", LIST("c"), LIST("y"));
  ok(rn_model_add_output(m, "y"));
  ok(rn_model_add_output(m, "c"));
  check_case("Conv output is a graph output: no fusion", m, "Conv Relu", true, NULL);
  rn_model_free(m);

  /* two consumers */
  m = new_model("conv_two_users", 17);
  input(m, "x", RN_DTYPE_FLOAT, DIMS(1, 3, 6, 6));
  init(m, "w", RN_DTYPE_FLOAT, -1, 1, DIMS(4, 3, 3, 3));
  conv(m, "conv", "x", "w", NULL, "c", 3, 1);
  node(m, "Relu", NULL, "relu", LIST("c"), LIST("r"));
  node(m, "Sigmoid", NULL, "sig", LIST("c"), LIST("s"));
  node(m, "Add", NULL, "add", LIST("r", "s"), LIST("y"));
  ok(rn_model_add_output(m, "y"));
  check_case("Conv output read twice: no fusion", m, "Conv Relu Sigmoid Add", true, NULL);
  rn_model_free(m);

  /* BN whose conv output is also read elsewhere: no folding */
  m = new_model("conv_bn_two_users", 17);
  input(m, "x", RN_DTYPE_FLOAT, DIMS(1, 3, 6, 6));
  init(m, "w", RN_DTYPE_FLOAT, -1, 1, DIMS(4, 3, 3, 3));
  conv(m, "conv", "x", "w", NULL, "c", 3, 1);
  batchnorm(m, "bn", RN_DTYPE_FLOAT, 4, "c", "n");
  node(m, "Add", NULL, "add", LIST("n", "c"), LIST("y"));
  ok(rn_model_add_output(m, "y"));
  check_case("Conv read by BN and Add: no folding", m, "Conv BatchNormalization Add", true, NULL);
  rn_model_free(m);

  /* W is a graph input: no BN folding (and BN is no activation) */
  m = new_model("conv_bn_input_w", 17);
  input(m, "x", RN_DTYPE_FLOAT, DIMS(1, 3, 6, 6));
  input(m, "w", RN_DTYPE_FLOAT, DIMS(4, 3, 3, 3));
  conv(m, "conv", "x", "w", NULL, "c", 3, 1);
  batchnorm(m, "bn", RN_DTYPE_FLOAT, 4, "c", "y");
  ok(rn_model_add_output(m, "y"));
  check_case("non-constant W: no BN folding", m, "Conv BatchNormalization", true, NULL);
  rn_model_free(m);

  /* ... but Conv + Relu with a non-constant W still fuses */
  m = new_model("conv_relu_input_w", 17);
  input(m, "x", RN_DTYPE_FLOAT, DIMS(1, 3, 6, 6));
  input(m, "w", RN_DTYPE_FLOAT, DIMS(4, 3, 3, 3));
  conv(m, "conv", "x", "w", NULL, "c", 3, 1);
  node(m, "Relu", NULL, "relu", LIST("c"), LIST("y"));
  ok(rn_model_add_output(m, "y"));
  check_case("non-constant W + Relu: fused", m, "FusedConv", true, NULL);
  rn_model_free(m);

  /* Add after the activation is not absorbed */
  m = new_model("conv_relu_add", 17);
  input(m, "x", RN_DTYPE_FLOAT, DIMS(1, 3, 6, 6));
  input(m, "r", RN_DTYPE_FLOAT, DIMS(1, 4, 6, 6));
  init(m, "w", RN_DTYPE_FLOAT, -1, 1, DIMS(4, 3, 3, 3));
  conv(m, "conv", "x", "w", NULL, "c", 3, 1);
  node(m, "Relu", NULL, "relu", LIST("c"), LIST("a"));
  node(m, "Add", NULL, "add", LIST("a", "r"), LIST("y"));
  ok(rn_model_add_output(m, "y"));
  check_case("Conv+Relu+Add: Add stays", m, "FusedConv Add", true, NULL);
  rn_model_free(m);

  /* Add of a constant is not a Z; the Relu after it then stays too */
  m = new_model("conv_add_const", 17);
  input(m, "x", RN_DTYPE_FLOAT, DIMS(1, 3, 6, 6));
  init(m, "w", RN_DTYPE_FLOAT, -1, 1, DIMS(4, 3, 3, 3));
  init(m, "k", RN_DTYPE_FLOAT, -1, 1, DIMS(1, 4, 6, 6));
  conv(m, "conv", "x", "w", NULL, "c", 3, 1);
  node(m, "Add", NULL, "add", LIST("c", "k"), LIST("a"));
  node(m, "Relu", NULL, "relu", LIST("a"), LIST("y"));
  ok(rn_model_add_output(m, "y"));
  check_case("Conv+Add(constant)+Relu: no fusion", m, "Conv Add Relu", true, NULL);
  rn_model_free(m);

  /* SiLU whose sigmoid output is read elsewhere too */
  m = new_model("conv_silu_shared", 17);
  input(m, "x", RN_DTYPE_FLOAT, DIMS(1, 3, 6, 6));
  init(m, "w", RN_DTYPE_FLOAT, -1, 1, DIMS(4, 3, 3, 3));
  conv(m, "conv", "x", "w", NULL, "c", 3, 1);
  node(m, "Sigmoid", NULL, "sig", LIST("c"), LIST("s"));
  node(m, "Mul", NULL, "mul", LIST("c", "s"), LIST("y"));
  ok(rn_model_add_output(m, "y"));
  ok(rn_model_add_output(m, "s"));
  check_case("SiLU with the sigmoid a graph output: no fusion", m, "Conv Sigmoid Mul", true, NULL);
  rn_model_free(m);
}

/* BatchNormalization at opset 6: folded only with is_test = 1. */
static void test_bn_opset6(void) {
  for (int is_test = 0; is_test < 2; is_test++) {
    rn_model *m = new_model("conv_bn_opset6", 6);
    input(m, "x", RN_DTYPE_FLOAT, DIMS(1, 3, 6, 6));
    init(m, "w", RN_DTYPE_FLOAT, -1, 1, DIMS(4, 3, 3, 3));
    conv(m, "conv", "x", "w", NULL, "c", 3, 1);
    int bn = batchnorm(m, "bn", RN_DTYPE_FLOAT, 4, "c", "n");
    if (is_test) ok(rn_model_node_set_int(m, bn, "is_test", 1));
    node(m, "Relu", NULL, "relu", LIST("n"), LIST("y"));
    ok(rn_model_add_output(m, "y"));
    check_case(is_test ? "opset 6 BN is_test=1: folded" : "opset 6 BN without is_test: kept", m,
               is_test ? "FusedConv" : "Conv BatchNormalization Relu", !is_test, NULL);
    rn_model_free(m);
  }
}

/* A FusedConv written in the model by hand: activation parameters, and the
 * errors of its infer. */
static void test_fused_conv_node(void) {
  rn_model *m = new_model("fused_by_hand", 17);
  ok(rn_model_set_opset(m, "rn", 1));
  input(m, "x", RN_DTYPE_FLOAT, DIMS(1, 2, 5, 5));
  input(m, "z", RN_DTYPE_FLOAT, DIMS(1, 3, 5, 5));
  init(m, "w", RN_DTYPE_FLOAT, -1, 1, DIMS(3, 2, 3, 3));
  int n = node(m, "FusedConv", "rn", "fc", LIST("x", "w", "", "z"), LIST("f"));
  ok(rn_model_node_set_ints(m, n, "pads", DIMS(1, 1, 1, 1)));
  ok(rn_model_node_set_string(m, n, "activation", "Clip"));
  ok(rn_model_node_set_floats(m, n, "activation_params", 2, (const float[]){-0.5f, 0.25f}));
  /* a Relu after it stays: the FusedConv has its activation already */
  node(m, "Relu", NULL, "relu", LIST("f"), LIST("y"));
  ok(rn_model_add_output(m, "y"));
  /* reference: the same by plain ops */
  rn_model *r = new_model("plain", 17);
  input(r, "x", RN_DTYPE_FLOAT, DIMS(1, 2, 5, 5));
  input(r, "z", RN_DTYPE_FLOAT, DIMS(1, 3, 5, 5));
  /* same weights: copy the initializer */
  ok(rn_model_set_initializer(r, "w", rn_model_initializer(m, "w")));
  conv(r, "conv", "x", "w", NULL, "c", 3, 1);
  node(r, "Add", NULL, "add", LIST("c", "z"), LIST("a"));
  scalar(r, "lo", RN_DTYPE_FLOAT, -0.5);
  scalar(r, "hi", RN_DTYPE_FLOAT, 0.25);
  node(r, "Clip", NULL, "clip", LIST("a", "lo", "hi"), LIST("k"));
  node(r, "Relu", NULL, "relu", LIST("k"), LIST("y"));
  ok(rn_model_add_output(r, "y"));
  CHECK(!build_error, "hand-built FusedConv: %s", build_error ? rn_status_message(build_error) : "");
  rn_status_free(build_error);
  build_error = NULL;
  make_inputs(m);
  outcome a, b;
  rn_status *st = run(m, 0, &a);
  CHECK(!st, "FusedConv by hand: %s", st ? rn_status_message(st) : "");
  rn_status_free(st);
  st = run(r, 0, &b);
  CHECK(!st, "plain: %s", st ? rn_status_message(st) : "");
  rn_status_free(st);
  bool exact, same_shapes;
  double err = compare(&a, &b, &exact, &same_shapes);
  CHECK(same_shapes && exact, "hand-built FusedConv vs plain ops: max rel diff %g", err);
  CHECK(strcmp(a.ops, "FusedConv Relu") == 0 && strcmp(b.ops, "Conv Add Clip Relu") == 0, "ops: %s / %s", a.ops,
        b.ops);
  printf("ok  hand-built FusedConv(Z, Clip [-0.5, 0.25]) == Conv+Add+Clip, bit-identical\n");
  free_outcome(&a);
  free_outcome(&b);
  /* with optimize on, the Relu stays: the FusedConv already has an activation */
  st = run(m, 1, &a);
  CHECK(!st && strcmp(a.ops, "FusedConv Relu") == 0, "optimized hand-built: %s %s", st ? rn_status_message(st) : "",
        a.ops);
  rn_status_free(st);
  free_outcome(&a);
  free_inputs();
  rn_model_free(r);

  /* infer's errors */
  struct {
    const char *act;
    int n_params;
    const char *want;
  } bad[] = {{"Swish", 0, "unknown activation 'Swish'"}, {"Clip", 1, "takes 2 parameters, got 1"},
             {"Relu", 1, "takes 0 parameters, got 1"}};
  for (int i = 0; i < 3; i++) {
    ok(rn_model_node_set_string(m, n, "activation", bad[i].act));
    ok(rn_model_node_set_floats(m, n, "activation_params", bad[i].n_params, (const float[]){1, 2}));
    st = rn_model_check_node(m, n);
    CHECK(st && strstr(rn_status_message(st), bad[i].want) && strstr(rn_status_message(st), "node 'fc' (FusedConv)"),
          "bad FusedConv: %s", st ? rn_status_message(st) : "accepted");
    printf("ok  FusedConv %-6s %d param(s) -> %s\n", bad[i].act, bad[i].n_params, st ? rn_status_message(st) : "");
    rn_status_free(st);
  }
  rn_status_free(build_error);
  build_error = NULL;
  rn_model_free(m);
}

/* A FusedConv without Z or activation in the model absorbs Add and Relu. */
static void test_fused_conv_extends(void) {
  rn_model *m = new_model("fused_extends", 17);
  ok(rn_model_set_opset(m, "rn", 1));
  input(m, "x", RN_DTYPE_FLOAT, DIMS(1, 2, 5, 5));
  input(m, "r", RN_DTYPE_FLOAT, DIMS(1, 3, 5, 5));
  init(m, "w", RN_DTYPE_FLOAT, -1, 1, DIMS(3, 2, 3, 3));
  int n = node(m, "FusedConv", "rn", "fc", LIST("x", "w"), LIST("f"));
  ok(rn_model_node_set_ints(m, n, "pads", DIMS(1, 1, 1, 1)));
  node(m, "Add", NULL, "add", LIST("f", "r"), LIST("a"));
  node(m, "Relu", NULL, "relu", LIST("a"), LIST("y"));
  ok(rn_model_add_output(m, "y"));
  outcome o;
  check_case("FusedConv (bare) in the model + Add + Relu", m, "FusedConv", true, &o);
  CHECK(strcmp(o.fused_act, "Relu") == 0 && o.fused_inputs == 4, "fused: %s %d inputs", o.fused_act, o.fused_inputs);
  free_outcome(&o);
  rn_model_free(m);
}

/* Double Clip bounds are fused only when a float holds them exactly. */
static void test_clip_double(void) {
  for (int exact_bound = 0; exact_bound < 2; exact_bound++) {
    rn_model *m = new_model("conv_clip_f64", 17);
    input(m, "x", RN_DTYPE_DOUBLE, DIMS(1, 2, 5, 5));
    init(m, "w", RN_DTYPE_DOUBLE, -2, 2, DIMS(3, 2, 3, 3));
    conv(m, "conv", "x", "w", NULL, "c", 3, 1);
    scalar(m, "lo", RN_DTYPE_DOUBLE, exact_bound ? -0.5 : -0.1);
    node(m, "Clip", NULL, "clip", LIST("c", "lo"), LIST("y"));
    ok(rn_model_add_output(m, "y"));
    check_case(exact_bound ? "f64 Conv+Clip(min -0.5): fused" : "f64 Conv+Clip(min -0.1, not a float): kept", m,
               exact_bound ? "FusedConv" : "Conv Clip", true, NULL);
    rn_model_free(m);
  }
}

/* The default options turn the rewrites on; NULL options too. */
static void test_defaults(void) {
  rn_model *m = new_model("defaults", 17);
  input(m, "x", RN_DTYPE_FLOAT, DIMS(1, 3, 6, 6));
  init(m, "w", RN_DTYPE_FLOAT, -1, 1, DIMS(4, 3, 3, 3));
  conv(m, "conv", "x", "w", NULL, "c", 3, 1);
  node(m, "Relu", NULL, "relu", LIST("c"), LIST("y"));
  ok(rn_model_add_output(m, "y"));
  rn_session *s = NULL;
  rn_status *st = rn_session_create(NULL, m, NULL, &s);
  rn_node_info ni;
  if (!st) st = rn_session_node_info(s, 0, &ni);
  CHECK(!st && rn_session_node_count(s) == 1 && strcmp(ni.op_type, "FusedConv") == 0 && strcmp(ni.domain, "rn") == 0 &&
            strcmp(ni.name, "conv") == 0 && ni.placed_on && strcmp(ni.placed_on, "reference") == 0,
        "NULL options: %s", st ? rn_status_message(st) : ni.op_type);
  rn_status_free(st);
  rn_session_free(s);
  CHECK(rn_model_node_count(m) == 2 && rn_model_opset(m, "rn") < 0, "the model itself is unchanged");
  rn_status_free(build_error);
  build_error = NULL;
  rn_model_free(m);
}

int main(void) {
  test_bn_folding();
  test_bn_through_identity();
  test_bn_relu_double();
  test_add_relu();
  test_resnet_block();
  test_silu();
  test_hardswish_as_hardsigmoid();
  test_clip();
  test_activations();
  test_broadcast_z();
  test_no_fusion();
  test_bn_opset6();
  test_fused_conv_node();
  test_fused_conv_extends();
  test_clip_double();
  test_defaults();
  if (failures) {
    fprintf(stderr, "%d of %d checks failed\n", failures, checks);
    return 1;
  }
  printf("all %d optimizer checks passed\n", checks);
  return 0;
}
