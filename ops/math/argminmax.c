/* ArgMax / ArgMin along one axis (int64 output). Ties go to the first index,
 * or the last with select_last_index; NaN counts as the extreme value, as in
 * numpy. */
#include "math_ops.h"

#define BETTER_MAX(v, b) ((v) > (b) || ((v) != (v) && (b) == (b)))
#define BETTER_MAX_LAST(v, b) ((v) >= (b) || (v) != (v))
#define BETTER_MIN(v, b) ((v) < (b) || ((v) != (v) && (b) == (b)))
#define BETTER_MIN_LAST(v, b) ((v) <= (b) || (v) != (v))

/* x is [outer, n, inner]; y is [outer, inner]. */
#define ARG_LOOP(BETTER)                                                                          \
  for (int64_t o = 0; o < outer; o++) {                                                           \
    const elem_t *xo = x + o * n * inner;                                                         \
    int64_t *yo = y + o * inner;                                                                  \
    for (int64_t k = 0; k < inner; k++) yo[k] = 0;                                                \
    for (int64_t j = 1; j < n; j++) {                                                             \
      const elem_t *xj = xo + j * inner;                                                          \
      for (int64_t k = 0; k < inner; k++) {                                                       \
        const elem_t v = xj[k], b = xo[yo[k] * inner + k];                                        \
        if (BETTER(v, b)) yo[k] = j;                                                              \
      }                                                                                           \
    }                                                                                             \
  }

#define ARG_KERNEL(DT, T, S, K, UT)                                                               \
  static void arg_##S(bool is_max, bool last, const T *x, int64_t *y, int64_t outer,              \
                      int64_t n, int64_t inner) {                                                 \
    typedef T elem_t;                                                                             \
    if (is_max && !last) ARG_LOOP(BETTER_MAX)                                                     \
    else if (is_max) ARG_LOOP(BETTER_MAX_LAST)                                                    \
    else if (!last) ARG_LOOP(BETTER_MIN)                                                          \
    else ARG_LOOP(BETTER_MIN_LAST)                                                                \
  }
RN_MOPS_NUMERIC_TYPES(ARG_KERNEL)

static rn_status *arg_axis(const rn_op_ctx *ctx, int *axis) {
  const rn_tensor *x = ctx->inputs[0];
  int64_t a = rn_attr_int(ctx->node, "axis", 0);
  if (!rn_normalize_axis(a, x->shape.rank, axis))
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "axis %lld out of range for rank %d",
                       (long long)a, x->shape.rank);
  return NULL;
}

static rn_status *arg_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 1));
  const rn_tensor *x = ctx->inputs[0];
  RN_TRY(rn_mops_check_type(ctx, x, RN_MOPS_T_NUM, "input"));
  int axis;
  RN_TRY(arg_axis(ctx, &axis));
  if (x->shape.dims[axis] == 0)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "axis %d is empty", axis);
  bool keep = rn_attr_int(ctx->node, "keepdims", 1) != 0;
  rn_shape out;
  out.rank = 0;
  for (int i = 0; i < x->shape.rank; i++) {
    if (i != axis) out.dims[out.rank++] = x->shape.dims[i];
    else if (keep) out.dims[out.rank++] = 1;
  }
  rn_op_set_output(ctx, 0, RN_DTYPE_INT64, &out);
  return NULL;
}

static rn_status *arg_run(rn_op_ctx *ctx, bool is_max) {
  const rn_tensor *x = ctx->inputs[0];
  int axis;
  RN_TRY(arg_axis(ctx, &axis));
  int64_t outer = 1, inner = 1, n = x->shape.dims[axis];
  for (int i = 0; i < axis; i++) outer *= x->shape.dims[i];
  for (int i = axis + 1; i < x->shape.rank; i++) inner *= x->shape.dims[i];
  bool last = ctx->opset >= 12 && rn_attr_int(ctx->node, "select_last_index", 0) != 0;
  int64_t *y = ctx->outputs[0]->data;
  switch (x->dtype) {
#define ARG_CASE(DT, T, S, K, UT)                                                                 \
  case DT: arg_##S(is_max, last, x->data, y, outer, n, inner); break;
    RN_MOPS_NUMERIC_TYPES(ARG_CASE)
    default: return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "type %s", rn_dtype_name(x->dtype));
  }
  return NULL;
}

static rn_status *argmax_run(rn_op_ctx *ctx) { return arg_run(ctx, true); }
static rn_status *argmin_run(rn_op_ctx *ctx) { return arg_run(ctx, false); }

const rn_op_def rn_op_argmax = {
    .domain = "", .op_type = "ArgMax", .since_version = 1, .max_version = 21,
    .min_inputs = 1, .max_inputs = 1, .min_outputs = 1, .max_outputs = 1,
    .infer = arg_infer, .run = argmax_run,
};
const rn_op_def rn_op_argmin = {
    .domain = "", .op_type = "ArgMin", .since_version = 1, .max_version = 21,
    .min_inputs = 1, .max_inputs = 1, .min_outputs = 1, .max_outputs = 1,
    .infer = arg_infer, .run = argmin_run,
};
