/* CumSum along the axis given by input 1 (a scalar), optionally exclusive
 * and/or reversed. Sums in the element type (integers wrap), like numpy. */
#include "math_ops.h"

#define ADD_F(T, UT, a, b) (a) + (b)
#define ADD_S(T, UT, a, b) (T)((UT)(a) + (UT)(b))
#define ADD_U ADD_S

/* x, y are [outer, n, inner]; step is +inner or -inner along the axis. */
#define CUMSUM_KERNEL(DT, T, S, K, UT)                                                            \
  static void cumsum_##S(const T *x, T *y, int64_t outer, int64_t n, int64_t inner,               \
                         bool exclusive, bool reverse) {                                          \
    for (int64_t o = 0; o < outer; o++) {                                                         \
      const T *xo = x + o * n * inner;                                                            \
      T *yo = y + o * n * inner;                                                                  \
      for (int64_t j = 0; j < n; j++) {                                                           \
        int64_t cur = reverse ? n - 1 - j : j, prev = reverse ? cur + 1 : cur - 1;                \
        T *yc = yo + cur * inner;                                                                 \
        const T *xc = xo + cur * inner;                                                           \
        if (j == 0) {                                                                             \
          for (int64_t k = 0; k < inner; k++) yc[k] = exclusive ? 0 : xc[k];                      \
        } else {                                                                                  \
          const T *yp = yo + prev * inner;                                                        \
          const T *xa = exclusive ? xo + prev * inner : xc;                                       \
          for (int64_t k = 0; k < inner; k++) yc[k] = ADD_##K(T, UT, yp[k], xa[k]);               \
        }                                                                                         \
      }                                                                                           \
    }                                                                                             \
  }
RN_MOPS_NUMERIC_TYPES(CUMSUM_KERNEL)

static rn_status *cumsum_axis(const rn_op_ctx *ctx, int *axis) {
  const rn_tensor *a = ctx->inputs[1];
  if (!rn_op_is_index_dtype(a->dtype))
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "axis must be int32 or int64, not %s",
                       rn_dtype_name(a->dtype));
  if (rn_shape_numel(&a->shape) != 1 || a->shape.rank > 1)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "axis must be a scalar");
  if (!a->data) {
    *axis = -1; /* known only at run time */
    return NULL;
  }
  int64_t v = rn_tensor_get_int(a, 0);
  if (!rn_normalize_axis(v, ctx->inputs[0]->shape.rank, axis))
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "axis %lld out of range for rank %d",
                       (long long)v, ctx->inputs[0]->shape.rank);
  return NULL;
}

static rn_status *cumsum_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 2));
  const rn_tensor *x = ctx->inputs[0];
  RN_TRY(rn_mops_check_type(ctx, x, RN_MOPS_T_NUM, "input"));
  if (x->shape.rank == 0)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "input must have rank >= 1");
  int axis;
  RN_TRY(cumsum_axis(ctx, &axis));
  rn_op_set_output(ctx, 0, x->dtype, &x->shape);
  return NULL;
}

static rn_status *cumsum_run(rn_op_ctx *ctx) {
  const rn_tensor *x = ctx->inputs[0];
  int axis;
  RN_TRY(cumsum_axis(ctx, &axis));
  int64_t outer = 1, inner = 1, n = x->shape.dims[axis];
  for (int i = 0; i < axis; i++) outer *= x->shape.dims[i];
  for (int i = axis + 1; i < x->shape.rank; i++) inner *= x->shape.dims[i];
  bool exclusive = rn_attr_int(ctx->node, "exclusive", 0) != 0;
  bool reverse = rn_attr_int(ctx->node, "reverse", 0) != 0;
  void *y = ctx->outputs[0]->data;
  switch (x->dtype) {
#define CUMSUM_CASE(DT, T, S, K, UT)                                                              \
  case DT: cumsum_##S(x->data, y, outer, n, inner, exclusive, reverse); break;
    RN_MOPS_NUMERIC_TYPES(CUMSUM_CASE)
    default: return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "type %s", rn_dtype_name(x->dtype));
  }
  return NULL;
}

const rn_op_def rn_op_cumsum = {
    .domain = "", .op_type = "CumSum", .since_version = 11, .max_version = 21,
    .min_inputs = 2, .max_inputs = 2, .min_outputs = 1, .max_outputs = 1,
    .infer = cumsum_infer, .run = cumsum_run,
};
