/* LRN (1..21): y = x / (bias + alpha / size * sum of x^2 over the `size`
 * neighbouring channels) ^ beta. */
#include "nn_ops.h"

#include <math.h>

static rn_status *lrn_check(const rn_op_ctx *ctx) {
  RN_TRY(rn_nn_require_inputs(ctx, 1));
  const rn_tensor *x = ctx->inputs[0];
  RN_TRY(rn_nn_require_real(ctx, x, "input X"));
  if (x->shape.rank < 2)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "X must have rank >= 2, got %d", x->shape.rank);
  const rn_attr *size = rn_node_attr(ctx->node, "size");
  if (!size || size->type != RN_ATTR_INT || size->i < 1 || size->i > RN_NN_MAX_WINDOW_ATTR)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "attribute size must be a positive integer");
  return NULL;
}

static rn_status *lrn_infer(rn_op_ctx *ctx) {
  RN_TRY(lrn_check(ctx));
  rn_op_set_output(ctx, 0, ctx->inputs[0]->dtype, &ctx->inputs[0]->shape);
  return NULL;
}

#define LRN_DEFINE(T, SUF)                                                                         \
  static void lrn_##SUF(int64_t n, int64_t c, int64_t sp, int64_t size, double alpha,             \
                        double beta, double bias, const T *x, T *y) {                             \
    int64_t lo_off = (size - 1) / 2, hi_off = size - 1 - lo_off;                                  \
    for (int64_t b = 0; b < n; b++) {                                                             \
      const T *xb = x + b * c * sp;                                                               \
      T *yb = y + b * c * sp;                                                                     \
      for (int64_t ch = 0; ch < c; ch++) {                                                        \
        int64_t lo = ch - lo_off < 0 ? 0 : ch - lo_off;                                           \
        int64_t hi = ch + hi_off > c - 1 ? c - 1 : ch + hi_off;                                   \
        for (int64_t i = 0; i < sp; i++) {                                                        \
          double s = 0;                                                                           \
          for (int64_t k = lo; k <= hi; k++) {                                                    \
            double v = xb[k * sp + i];                                                            \
            s += v * v;                                                                           \
          }                                                                                       \
          yb[ch * sp + i] = (T)(xb[ch * sp + i] / pow(bias + alpha / (double)size * s, beta));    \
        }                                                                                         \
      }                                                                                           \
    }                                                                                             \
  }

LRN_DEFINE(float, f32)
LRN_DEFINE(double, f64)

static rn_status *lrn_run(rn_op_ctx *ctx) {
  RN_TRY(lrn_check(ctx));
  const rn_tensor *x = ctx->inputs[0];
  int64_t n = x->shape.dims[0], c = x->shape.dims[1];
  int64_t sp = rn_nn_prod(x->shape.dims + 2, x->shape.rank - 2);
  int64_t size = rn_attr_int(ctx->node, "size", 1);
  double alpha = rn_attr_float(ctx->node, "alpha", 1e-4f);
  double beta = rn_attr_float(ctx->node, "beta", 0.75f);
  double bias = rn_attr_float(ctx->node, "bias", 1.0f);
  if (x->dtype == RN_DTYPE_FLOAT)
    lrn_f32(n, c, sp, size, alpha, beta, bias, x->data, ctx->outputs[0]->data);
  else
    lrn_f64(n, c, sp, size, alpha, beta, bias, x->data, ctx->outputs[0]->data);
  return NULL;
}

const rn_op_def rn_op_lrn = {
    .domain = "", .op_type = "LRN", .since_version = 1, .max_version = 21,
    .min_inputs = 1, .max_inputs = 1, .min_outputs = 1, .max_outputs = 1,
    .infer = lrn_infer, .run = lrn_run,
};
