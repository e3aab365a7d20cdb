/* Clip: y = min(max(x, lo), hi). Before opset 11 the bounds are the
 * attributes min/max; from 11 they are optional scalar inputs 1 and 2 (an
 * omitted bound does not clamp). NaN passes through. */
#include <math.h>

#include "math_ops.h"

#define CLIP_KERNEL(DT, T, S, K, UT)                                                              \
  static void clip_##S(const void *xv, void *yv, int64_t n, const void *lov, const void *hiv) {   \
    const T *x = xv;                                                                              \
    T *y = yv;                                                                                    \
    if (lov && hiv) {                                                                             \
      const T lo = *(const T *)lov, hi = *(const T *)hiv;                                         \
      for (int64_t i = 0; i < n; i++) {                                                           \
        T v = x[i] < lo ? lo : x[i];                                                              \
        y[i] = v > hi ? hi : v;                                                                   \
      }                                                                                           \
    } else if (lov) {                                                                             \
      const T lo = *(const T *)lov;                                                               \
      for (int64_t i = 0; i < n; i++) y[i] = x[i] < lo ? lo : x[i];                               \
    } else if (hiv) {                                                                             \
      const T hi = *(const T *)hiv;                                                               \
      for (int64_t i = 0; i < n; i++) y[i] = x[i] > hi ? hi : x[i];                               \
    } else {                                                                                      \
      for (int64_t i = 0; i < n; i++) y[i] = x[i];                                                \
    }                                                                                             \
  }
RN_MOPS_NUMERIC_TYPES(CLIP_KERNEL)

static rn_status *check_bound(rn_op_ctx *ctx, int i, const char *what) {
  const rn_tensor *t = rn_op_input(ctx, i);
  if (!t) return NULL;
  if (t->dtype != ctx->inputs[0]->dtype)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "%s has type %s, input %s", what,
                       rn_dtype_name(t->dtype), rn_dtype_name(ctx->inputs[0]->dtype));
  if (rn_shape_numel(&t->shape) != 1)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "%s must be a scalar", what);
  return NULL;
}

static rn_status *clip_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 1));
  const rn_tensor *x = ctx->inputs[0];
  RN_TRY(rn_mops_check_type(ctx, x, ctx->opset < 12 ? RN_MOPS_T_FLOAT : RN_MOPS_T_NUM, "input"));
  if (ctx->opset >= 11) {
    RN_TRY(check_bound(ctx, 1, "min"));
    RN_TRY(check_bound(ctx, 2, "max"));
  } else if (ctx->n_inputs > 1) {
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "takes 1 input before opset 11");
  }
  rn_op_set_output(ctx, 0, x->dtype, &x->shape);
  return NULL;
}

static rn_status *clip_run(rn_op_ctx *ctx) {
  const rn_tensor *x = ctx->inputs[0];
  rn_tensor *y = ctx->outputs[0];
  int64_t n = rn_shape_numel(&x->shape);
  const void *lo = NULL, *hi = NULL;
  float flo, fhi;
  double dlo, dhi;
  if (ctx->opset < 11) {
    /* Attribute bounds (float and double inputs only at these opsets). */
    const rn_attr *amin = rn_node_attr(ctx->node, "min"), *amax = rn_node_attr(ctx->node, "max");
    flo = amin ? amin->f : -INFINITY;
    fhi = amax ? amax->f : INFINITY;
    dlo = flo;
    dhi = fhi;
    lo = x->dtype == RN_DTYPE_FLOAT ? (const void *)&flo : (const void *)&dlo;
    hi = x->dtype == RN_DTYPE_FLOAT ? (const void *)&fhi : (const void *)&dhi;
  } else {
    const rn_tensor *tlo = rn_op_input(ctx, 1), *thi = rn_op_input(ctx, 2);
    lo = tlo ? tlo->data : NULL;
    hi = thi ? thi->data : NULL;
  }
  switch (x->dtype) {
#define CLIP_CASE(DT, T, S, K, UT)                                                                \
  case DT: clip_##S(x->data, y->data, n, lo, hi); break;
    RN_MOPS_NUMERIC_TYPES(CLIP_CASE)
    default: return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "type %s", rn_dtype_name(x->dtype));
  }
  return NULL;
}

const rn_op_def rn_op_clip = {
    .domain = "", .op_type = "Clip", .since_version = 1, .max_version = 21,
    .min_inputs = 1, .max_inputs = 3, .min_outputs = 1, .max_outputs = 1,
    .infer = clip_infer, .run = clip_run,
};
