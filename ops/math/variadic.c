/* Variadic element-wise ops with numpy broadcasting across 1..N inputs: Sum,
 * Mean, Max, Min. The first two inputs combine into the output, then each
 * further input accumulates into it in place. Max/Min propagate NaN like
 * numpy's maximum/minimum. */
#include <string.h>

#include "math_ops.h"

#define SUM_F(T, S, UT) x + z
#define SUM_S(T, S, UT) (UT)x + (UT)z
#define SUM_U SUM_S
#define MAX_F(T, S, UT) ((x > z || x != x) ? x : z)
#define MAX_S MAX_F
#define MAX_U MAX_F
#define MIN_F(T, S, UT) ((x < z || x != x) ? x : z)
#define MIN_S MIN_F
#define MIN_U MIN_F

#define GEN(OP, DT, T, S, K, UT) RN_MOPS_BIN_KERNEL(OP##_##S, T, T, T, OP##_##K(T, S, UT))
#define VARIADIC_OP(OP) RN_MOPS_BIN_OP_TABLE(OP, GEN)

VARIADIC_OP(SUM)
VARIADIC_OP(MAX)
VARIADIC_OP(MIN)

enum { OP_SUM, OP_MEAN, OP_MAX, OP_MIN };

static rn_status *variadic_infer(rn_op_ctx *ctx, int op) {
  if (ctx->n_inputs < 1) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "needs at least 1 input");
  RN_TRY(rn_op_require(ctx, ctx->n_inputs));
  const rn_tensor *a = ctx->inputs[0];
  RN_TRY(rn_mops_check_type(ctx, a, op == OP_MEAN ? RN_MOPS_T_FLOAT : RN_MOPS_T_NUM, "input 0"));
  rn_shape out = a->shape;
  char b1[128], b2[128];
  for (int i = 1; i < ctx->n_inputs; i++) {
    const rn_tensor *t = ctx->inputs[i];
    if (t->dtype != a->dtype)
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "input %d has type %s, input 0 %s", i,
                         rn_dtype_name(t->dtype), rn_dtype_name(a->dtype));
    rn_shape next;
    if (!rn_broadcast_shapes(&out, &t->shape, &next))
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "input %d shape %s does not broadcast with %s",
                         i, rn_shape_str(&t->shape, b1, sizeof b1),
                         rn_shape_str(&out, b2, sizeof b2));
    out = next;
  }
  RN_TRY(rn_op_check_shape(ctx, &out, a->dtype));
  rn_op_set_output(ctx, 0, a->dtype, &out);
  return NULL;
}

static rn_status *variadic_run(rn_op_ctx *ctx, int op) {
  rn_tensor *y = ctx->outputs[0];
  const rn_tensor *a = ctx->inputs[0];
  rn_dtype t = a->dtype;
  rn_mops_bin_fn fn = op == OP_MAX ? find_MAX(t) : op == OP_MIN ? find_MIN(t) : find_SUM(t);
  if (!fn) return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "type %s", rn_dtype_name(t));
  int n = ctx->n_inputs;
  if (n == 1) {
    if (y->data != a->data) memcpy(y->data, a->data, y->nbytes);
  } else {
    const rn_tensor *b = ctx->inputs[1];
    rn_mops_bcast_binary(y, a->data, &a->shape, t, b->data, &b->shape, t, fn);
    for (int i = 2; i < n; i++) {
      b = ctx->inputs[i];
      rn_mops_bcast_binary(y, y->data, &y->shape, t, b->data, &b->shape, t, fn);
    }
  }
  if (op == OP_MEAN) {
    int64_t m = rn_shape_numel(&y->shape);
    if (t == RN_DTYPE_FLOAT) {
      float *p = y->data;
      for (int64_t i = 0; i < m; i++) p[i] /= (float)n;
    } else {
      double *p = y->data;
      for (int64_t i = 0; i < m; i++) p[i] /= (double)n;
    }
  }
  return NULL;
}

#define DEF_VARIADIC(VAR, NAME, ID)                                                               \
  static rn_status *VAR##_infer(rn_op_ctx *ctx) { return variadic_infer(ctx, OP_##ID); }          \
  static rn_status *VAR##_run(rn_op_ctx *ctx) { return variadic_run(ctx, OP_##ID); }              \
  const rn_op_def rn_op_##VAR = {                                                                 \
      .domain = "", .op_type = NAME, .since_version = 1, .max_version = 21,                       \
      .min_inputs = 1, .max_inputs = 1 << 20, .min_outputs = 1, .max_outputs = 1,                 \
      .infer = VAR##_infer, .run = VAR##_run,                                                     \
  };

DEF_VARIADIC(sum, "Sum", SUM)
DEF_VARIADIC(mean, "Mean", MEAN)
DEF_VARIADIC(max, "Max", MAX)
DEF_VARIADIC(min, "Min", MIN)
