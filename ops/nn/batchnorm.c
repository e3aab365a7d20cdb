/* BatchNormalization (1..21). Inference: y = (x - mean) / sqrt(var + eps) *
 * scale + B per channel (per channel and position with opset < 9's
 * spatial = 0). Opsets 14+ also run training_mode = 1 (batch statistics,
 * running mean/var outputs); earlier opsets' training outputs (mean, var,
 * saved_mean, saved_var) are UNSUPPORTED. X: float/double; scale, B, mean
 * and var may each be float or double (opset 15 allows them to differ). */
#include "nn_ops.h"

#include <math.h>

typedef struct bn_geom {
  int64_t n, c, sp;  /* batch, channels, spatial elements per channel */
  int64_t np;        /* parameters per input: c, or c * sp when !spatial */
  bool training;
} bn_geom;

static rn_status *bn_geom_get(const rn_op_ctx *ctx, bn_geom *g) {
  RN_TRY(rn_nn_require_inputs(ctx, 5));
  const rn_tensor *x = ctx->inputs[0];
  RN_TRY(rn_nn_require_real(ctx, x, "input X"));
  if (x->shape.rank < 2)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "X must have rank >= 2, got %d", x->shape.rank);
  g->n = x->shape.dims[0];
  g->c = x->shape.dims[1];
  g->sp = rn_nn_prod(x->shape.dims + 2, x->shape.rank - 2);
  bool spatial = ctx->opset >= 9 || rn_attr_int(ctx->node, "spatial", 1) != 0;
  g->np = spatial ? g->c : g->c * g->sp;
  static const char *const names[] = {"X", "scale", "B", "mean", "var"};
  for (int i = 1; i < 5; i++) {
    const rn_tensor *t = ctx->inputs[i];
    RN_TRY(rn_nn_require_real(ctx, t, names[i]));
    if (rn_shape_numel(&t->shape) != g->np || (spatial && t->shape.rank != 1))
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "input %s must hold %lld values", names[i],
                         (long long)g->np);
  }
  g->training = ctx->opset >= 14 && rn_attr_int(ctx->node, "training_mode", 0) != 0;
  int extra = 0;
  for (int i = 1; i < ctx->n_outputs; i++)
    if (ctx->outputs[i]) extra++;
  if (ctx->opset < 14 && extra > 0)
    return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "training outputs (mean, var, saved_mean, saved_var) are not supported before opset 14");
  if (ctx->opset >= 14 && extra > 0 && !g->training)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "running_mean/running_var outputs need training_mode = 1");
  if (g->training && !spatial)
    return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "training mode with spatial = 0 is not supported");
  return NULL;
}

static rn_status *bn_infer(rn_op_ctx *ctx) {
  bn_geom g;
  RN_TRY(bn_geom_get(ctx, &g));
  rn_op_set_output(ctx, 0, ctx->inputs[0]->dtype, &ctx->inputs[0]->shape);
  for (int i = 1; i < ctx->n_outputs && i < 3; i++)
    rn_op_set_output(ctx, i, ctx->inputs[3]->dtype, &ctx->inputs[3]->shape);
  return NULL;
}

/* Two coefficients per parameter (y = x * a + b), as double. */
static size_t bn_workspace(const rn_op_ctx *ctx) {
  bn_geom g;
  rn_status *st = bn_geom_get(ctx, &g);
  if (st) {
    rn_status_free(st);
    return 0;
  }
  return (size_t)(4 * g.np) * sizeof(double);
}

static void set_real(rn_tensor *t, int64_t i, double v) {
  if (t->dtype == RN_DTYPE_FLOAT) ((float *)t->data)[i] = (float)v;
  else ((double *)t->data)[i] = v;
}

#define BN_DEFINE(T, SUF)                                                                          \
  static void bn_apply_##SUF(const bn_geom *g, const T *x, const double *a, const double *b,      \
                             T *y) {                                                              \
    bool per_channel = g->np == g->c;                                                             \
    for (int64_t n = 0; n < g->n; n++) {                                                          \
      for (int64_t c = 0; c < g->c; c++) {                                                        \
        const T *xc = x + (n * g->c + c) * g->sp;                                                 \
        T *yc = y + (n * g->c + c) * g->sp;                                                       \
        if (per_channel) {                                                                        \
          const T av = (T)a[c], bv = (T)b[c];                                                     \
          for (int64_t i = 0; i < g->sp; i++) yc[i] = xc[i] * av + bv;                            \
        } else {                                                                                  \
          const double *ac = a + c * g->sp, *bc = b + c * g->sp;                                  \
          for (int64_t i = 0; i < g->sp; i++) yc[i] = (T)(xc[i] * ac[i] + bc[i]);                 \
        }                                                                                         \
      }                                                                                           \
    }                                                                                             \
  }                                                                                               \
  /* Batch mean and (population) variance per channel, in double. */                              \
  static void bn_stats_##SUF(const bn_geom *g, const T *x, double *mean, double *var) {           \
    double cnt = (double)(g->n * g->sp);                                                          \
    for (int64_t c = 0; c < g->c; c++) {                                                          \
      double s = 0, s2 = 0;                                                                       \
      for (int64_t n = 0; n < g->n; n++) {                                                        \
        const T *xc = x + (n * g->c + c) * g->sp;                                                 \
        for (int64_t i = 0; i < g->sp; i++) s += xc[i];                                           \
      }                                                                                           \
      double m = cnt > 0 ? s / cnt : 0;                                                           \
      for (int64_t n = 0; n < g->n; n++) {                                                        \
        const T *xc = x + (n * g->c + c) * g->sp;                                                 \
        for (int64_t i = 0; i < g->sp; i++) s2 += (xc[i] - m) * (xc[i] - m);                      \
      }                                                                                           \
      mean[c] = m;                                                                                \
      var[c] = cnt > 0 ? s2 / cnt : 0;                                                            \
    }                                                                                             \
  }

BN_DEFINE(float, f32)
BN_DEFINE(double, f64)

static rn_status *bn_run(rn_op_ctx *ctx) {
  bn_geom g;
  RN_TRY(bn_geom_get(ctx, &g));
  const rn_tensor *x = ctx->inputs[0], *scale = ctx->inputs[1], *bias = ctx->inputs[2];
  const rn_tensor *mean_in = ctx->inputs[3], *var_in = ctx->inputs[4];
  double eps = rn_attr_float(ctx->node, "epsilon", 1e-5f);
  double *a = ctx->workspace, *b = a + g.np, *mean = b + g.np, *var = mean + g.np;
  if (g.training) {
    if (x->dtype == RN_DTYPE_FLOAT) bn_stats_f32(&g, x->data, mean, var);
    else bn_stats_f64(&g, x->data, mean, var);
    double mom = rn_attr_float(ctx->node, "momentum", 0.9f);
    rn_tensor *rm = rn_op_output(ctx, 1), *rv = rn_op_output(ctx, 2);
    for (int64_t c = 0; c < g.np; c++) {
      if (rm) set_real(rm, c, rn_tensor_get_double(mean_in, c) * mom + mean[c] * (1 - mom));
      if (rv) set_real(rv, c, rn_tensor_get_double(var_in, c) * mom + var[c] * (1 - mom));
    }
  } else {
    for (int64_t c = 0; c < g.np; c++) {
      mean[c] = rn_tensor_get_double(mean_in, c);
      var[c] = rn_tensor_get_double(var_in, c);
    }
  }
  for (int64_t c = 0; c < g.np; c++) {
    a[c] = rn_tensor_get_double(scale, c) / sqrt(var[c] + eps);
    b[c] = rn_tensor_get_double(bias, c) - mean[c] * a[c];
  }
  if (x->dtype == RN_DTYPE_FLOAT) bn_apply_f32(&g, x->data, a, b, ctx->outputs[0]->data);
  else bn_apply_f64(&g, x->data, a, b, ctx->outputs[0]->data);
  return NULL;
}

const rn_op_def rn_op_batch_normalization = {
    .domain = "", .op_type = "BatchNormalization", .since_version = 1, .max_version = 21,
    .min_inputs = 5, .max_inputs = 5, .min_outputs = 1, .max_outputs = 5,
    .infer = bn_infer, .run = bn_run, .workspace = bn_workspace,
};
