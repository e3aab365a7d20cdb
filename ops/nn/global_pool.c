/* GlobalAveragePool, GlobalMaxPool, GlobalLpPool (1..21): reduce every
 * spatial dim (all dims after N and C) to 1; float and double. */
#include "nn_ops.h"

#include <math.h>

enum { GP_AVG, GP_MAX, GP_LP };

static rn_status *gp_infer(rn_op_ctx *ctx, int kind) {
  RN_TRY(rn_nn_require_inputs(ctx, 1));
  const rn_tensor *x = ctx->inputs[0];
  RN_TRY(rn_nn_require_real(ctx, x, "input X"));
  if (x->shape.rank < 2)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "input must have rank >= 2, got %d", x->shape.rank);
  double p;
  if (kind == GP_LP) RN_TRY(rn_nn_lp_p(ctx, &p)); /* validates the attribute */
  rn_shape ys = x->shape;
  for (int i = 2; i < ys.rank; i++) ys.dims[i] = 1;
  rn_op_set_output(ctx, 0, x->dtype, &ys);
  return NULL;
}

#define GP_DEFINE(T, SUF)                                                                          \
  static void gp_##SUF(int kind, double p, int64_t planes, int64_t sp, const T *x, T *y) {        \
    for (int64_t pl = 0; pl < planes; pl++, x += sp) {                                            \
      T acc = 0;                                                                                  \
      if (kind == GP_MAX) {                                                                       \
        acc = sp > 0 ? x[0] : 0;                                                                  \
        for (int64_t i = 1; i < sp; i++)                                                          \
          if (x[i] > acc || isnan(x[i])) acc = x[i];                                              \
      } else if (kind == GP_AVG) {                                                                \
        for (int64_t i = 0; i < sp; i++) acc += x[i];                                             \
        acc = sp > 0 ? acc / (T)sp : 0;                                                           \
      } else if (p == 2) {                                                                        \
        for (int64_t i = 0; i < sp; i++) acc += x[i] * x[i];                                      \
        acc = (T)sqrt((double)acc);                                                               \
      } else {                                                                                    \
        for (int64_t i = 0; i < sp; i++) acc += (T)pow(fabs((double)x[i]), p);                    \
        acc = (T)pow((double)acc, 1.0 / p);                                                       \
      }                                                                                           \
      y[pl] = acc;                                                                                \
    }                                                                                             \
  }

GP_DEFINE(float, f32)
GP_DEFINE(double, f64)

static rn_status *gp_run(rn_op_ctx *ctx, int kind) {
  const rn_tensor *x = ctx->inputs[0];
  double p = 2;
  if (kind == GP_LP) RN_TRY(rn_nn_lp_p(ctx, &p));
  int64_t planes = x->shape.dims[0] * x->shape.dims[1];
  int64_t sp = rn_nn_prod(x->shape.dims + 2, x->shape.rank - 2);
  if (x->dtype == RN_DTYPE_FLOAT) gp_f32(kind, p, planes, sp, x->data, ctx->outputs[0]->data);
  else gp_f64(kind, p, planes, sp, x->data, ctx->outputs[0]->data);
  return NULL;
}

static rn_status *gap_infer(rn_op_ctx *ctx) { return gp_infer(ctx, GP_AVG); }
static rn_status *gap_run(rn_op_ctx *ctx) { return gp_run(ctx, GP_AVG); }
static rn_status *gmp_infer(rn_op_ctx *ctx) { return gp_infer(ctx, GP_MAX); }
static rn_status *gmp_run(rn_op_ctx *ctx) { return gp_run(ctx, GP_MAX); }
static rn_status *glp_infer(rn_op_ctx *ctx) { return gp_infer(ctx, GP_LP); }
static rn_status *glp_run(rn_op_ctx *ctx) { return gp_run(ctx, GP_LP); }

const rn_op_def rn_op_global_average_pool = {
    .domain = "", .op_type = "GlobalAveragePool", .since_version = 1, .max_version = 21,
    .min_inputs = 1, .max_inputs = 1, .min_outputs = 1, .max_outputs = 1,
    .infer = gap_infer, .run = gap_run,
};

const rn_op_def rn_op_global_max_pool = {
    .domain = "", .op_type = "GlobalMaxPool", .since_version = 1, .max_version = 21,
    .min_inputs = 1, .max_inputs = 1, .min_outputs = 1, .max_outputs = 1,
    .infer = gmp_infer, .run = gmp_run,
};

const rn_op_def rn_op_global_lp_pool = {
    .domain = "", .op_type = "GlobalLpPool", .since_version = 1, .max_version = 21,
    .min_inputs = 1, .max_inputs = 1, .min_outputs = 1, .max_outputs = 1,
    .infer = glp_infer, .run = glp_run,
};
