/* Squeeze and Unsqueeze: remove / insert unit dims (a memcpy at run time).
 * Axes are an attribute before opset 13 and an input from 13. */
#include "tensor_ops.h"

/* Reads the axes (attribute or input 1); *n = -1 when absent. */
static rn_status *get_axes(const rn_op_ctx *ctx, int64_t *axes, int max, int *n) {
  *n = -1;
  if (ctx->opset < 13) {
    const int64_t *vals;
    int64_t cnt = rn_attr_ints(ctx->node, "axes", &vals);
    if (cnt < 0) return NULL;
    if (cnt > max)
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "too many axes (%lld)", (long long)cnt);
    for (int64_t i = 0; i < cnt; i++) axes[i] = vals[i];
    *n = (int)cnt;
    return NULL;
  }
  const rn_tensor *t = rn_op_input(ctx, 1);
  if (!t) return NULL;
  if (t->dtype != RN_DTYPE_INT64)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "input 'axes' must be int64");
  return rn_op_const_ints(ctx, t, "axes", axes, max, n);
}

static rn_status *view_run(rn_op_ctx *ctx) {
  rn_tops_copy_data(ctx->outputs[0], ctx->inputs[0]);
  return NULL;
}

static rn_status *squeeze_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 1));
  const rn_tensor *x = ctx->inputs[0];
  RN_TRY(rn_tops_check_fixed(ctx, x, "data"));
  int r = x->shape.rank;
  int64_t axes[RN_MAX_RANK];
  int n = 0;
  RN_TRY(get_axes(ctx, axes, RN_MAX_RANK, &n));
  bool drop[RN_MAX_RANK] = {false};
  if (n < 0) {
    for (int i = 0; i < r; i++) drop[i] = x->shape.dims[i] == 1;
  } else {
    for (int i = 0; i < n; i++) {
      int a = 0;
      if (!rn_normalize_axis(axes[i], r, &a))
        return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "axis %lld out of range for rank %d",
                           (long long)axes[i], r);
      if (drop[a]) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "axis %d repeated", a);
      if (x->shape.dims[a] != 1)
        return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "cannot squeeze dim %d of size %lld", a,
                           (long long)x->shape.dims[a]);
      drop[a] = true;
    }
  }
  rn_shape out = {0};
  for (int i = 0; i < r; i++)
    if (!drop[i]) out.dims[out.rank++] = x->shape.dims[i];
  rn_op_set_output(ctx, 0, x->dtype, &out);
  return NULL;
}

const rn_op_def rn_op_squeeze = {
    .domain = "", .op_type = "Squeeze", .since_version = 1, .max_version = 21,
    .min_inputs = 1, .max_inputs = 2, .min_outputs = 1, .max_outputs = 1,
    .infer = squeeze_infer, .run = view_run,
    .value_inputs = 1u << 1,
};

static rn_status *unsqueeze_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 1));
  const rn_tensor *x = ctx->inputs[0];
  RN_TRY(rn_tops_check_fixed(ctx, x, "data"));
  int64_t axes[RN_MAX_RANK];
  int n = 0;
  RN_TRY(get_axes(ctx, axes, RN_MAX_RANK, &n));
  if (n < 0) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "axes are missing");
  int r = x->shape.rank + n;
  if (r > RN_MAX_RANK)
    return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "output rank %d exceeds %d", r, RN_MAX_RANK);
  bool ins[RN_MAX_RANK] = {false};
  for (int i = 0; i < n; i++) {
    int a = 0;
    if (!rn_normalize_axis(axes[i], r, &a))
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "axis %lld out of range for rank %d",
                         (long long)axes[i], r);
    if (ins[a]) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "axis %d repeated", a);
    ins[a] = true;
  }
  rn_shape out = {.rank = r};
  for (int i = 0, j = 0; i < r; i++) out.dims[i] = ins[i] ? 1 : x->shape.dims[j++];
  rn_op_set_output(ctx, 0, x->dtype, &out);
  return NULL;
}

const rn_op_def rn_op_unsqueeze = {
    .domain = "", .op_type = "Unsqueeze", .since_version = 1, .max_version = 21,
    .min_inputs = 1, .max_inputs = 2, .min_outputs = 1, .max_outputs = 1,
    .infer = unsqueeze_infer, .run = view_run,
    .value_inputs = 1u << 1,
};
