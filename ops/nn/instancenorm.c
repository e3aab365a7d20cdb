/* InstanceNormalization (1..21): y = scale * (x - mean) / sqrt(var + eps) + B,
 * mean and variance over the spatial dims of each (image, channel). */
#include "nn_ops.h"

#include <math.h>

static rn_status *in_check(const rn_op_ctx *ctx) {
  RN_TRY(rn_nn_require_inputs(ctx, 3));
  const rn_tensor *x = ctx->inputs[0];
  RN_TRY(rn_nn_require_real(ctx, x, "input X"));
  if (x->shape.rank < 3)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "X must have rank >= 3, got %d", x->shape.rank);
  for (int i = 1; i < 3; i++) {
    const rn_tensor *t = ctx->inputs[i];
    if (t->dtype != x->dtype || t->shape.rank != 1 || t->shape.dims[0] != x->shape.dims[1])
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "%s must be a vector of %lld values of X's type",
                         i == 1 ? "scale" : "B", (long long)x->shape.dims[1]);
  }
  return NULL;
}

static rn_status *in_infer(rn_op_ctx *ctx) {
  RN_TRY(in_check(ctx));
  rn_op_set_output(ctx, 0, ctx->inputs[0]->dtype, &ctx->inputs[0]->shape);
  return NULL;
}

#define IN_DEFINE(T, SUF)                                                                          \
  static void in_##SUF(int64_t n, int64_t c, int64_t sp, double eps, const T *x, const T *scale,  \
                       const T *bias, T *y) {                                                     \
    for (int64_t p = 0; p < n * c; p++) {                                                         \
      const T *xp = x + p * sp;                                                                   \
      T *yp = y + p * sp;                                                                         \
      double s = 0, s2 = 0;                                                                       \
      for (int64_t i = 0; i < sp; i++) s += xp[i];                                                \
      double mean = sp > 0 ? s / (double)sp : 0;                                                  \
      for (int64_t i = 0; i < sp; i++) s2 += (xp[i] - mean) * (xp[i] - mean);                     \
      double var = sp > 0 ? s2 / (double)sp : 0;                                                  \
      double a = scale[p % c] / sqrt(var + eps);                                                  \
      const T av = (T)a, bv = (T)(bias[p % c] - mean * a);                                        \
      for (int64_t i = 0; i < sp; i++) yp[i] = xp[i] * av + bv;                                   \
    }                                                                                             \
  }

IN_DEFINE(float, f32)
IN_DEFINE(double, f64)

static rn_status *in_run(rn_op_ctx *ctx) {
  RN_TRY(in_check(ctx));
  const rn_tensor *x = ctx->inputs[0];
  int64_t n = x->shape.dims[0], c = x->shape.dims[1];
  int64_t sp = rn_nn_prod(x->shape.dims + 2, x->shape.rank - 2);
  double eps = rn_attr_float(ctx->node, "epsilon", 1e-5f);
  if (x->dtype == RN_DTYPE_FLOAT)
    in_f32(n, c, sp, eps, x->data, ctx->inputs[1]->data, ctx->inputs[2]->data, ctx->outputs[0]->data);
  else
    in_f64(n, c, sp, eps, x->data, ctx->inputs[1]->data, ctx->inputs[2]->data, ctx->outputs[0]->data);
  return NULL;
}

const rn_op_def rn_op_instance_normalization = {
    .domain = "", .op_type = "InstanceNormalization", .since_version = 1, .max_version = 21,
    .min_inputs = 3, .max_inputs = 3, .min_outputs = 1, .max_outputs = 1,
    .infer = in_infer, .run = in_run,
};
