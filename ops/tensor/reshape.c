/* Reshape and Flatten: same bytes, new shape (a memcpy at run time). */
#include "tensor_ops.h"

static rn_status *view_run(rn_op_ctx *ctx) {
  rn_tops_copy_data(ctx->outputs[0], ctx->inputs[0]);
  return NULL;
}

static rn_status *reshape_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 1));
  const rn_tensor *x = ctx->inputs[0];
  RN_TRY(rn_tops_check_fixed(ctx, x, "data"));
  int64_t req[RN_MAX_RANK];
  int n = 0;
  if (ctx->opset < 5) {
    const int64_t *vals;
    int64_t cnt = rn_attr_ints(ctx->node, "shape", &vals);
    if (cnt < 0) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "attribute 'shape' is missing");
    if (cnt > RN_MAX_RANK)
      return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "output rank %lld exceeds %d", (long long)cnt,
                         RN_MAX_RANK);
    n = (int)cnt;
    for (int i = 0; i < n; i++) req[i] = vals[i];
  } else {
    if (!rn_op_input(ctx, 1))
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "input 'shape' is missing");
    if (ctx->inputs[1]->dtype != RN_DTYPE_INT64)
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "input 'shape' must be int64");
    RN_TRY(rn_op_const_ints(ctx, ctx->inputs[1], "shape", req, RN_MAX_RANK, &n));
  }
  bool allowzero = ctx->opset >= 14 && rn_attr_int(ctx->node, "allowzero", 0) != 0;
  int64_t in_numel = rn_shape_numel(&x->shape);
  rn_shape out = {.rank = n};
  int infer_at = -1;
  int64_t known = 1;
  bool has_zero = false;
  for (int i = 0; i < n; i++) {
    int64_t d = req[i];
    if (d == -1) {
      if (infer_at >= 0)
        return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "shape has more than one -1");
      infer_at = i;
      continue;
    }
    if (d < -1) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "shape[%d] = %lld", i, (long long)d);
    if (d == 0 && !allowzero) {
      if (i >= x->shape.rank)
        return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "shape[%d] = 0 copies a dim the input lacks",
                           i);
      d = x->shape.dims[i];
    }
    if (d == 0) has_zero = true;
    out.dims[i] = d;
    if (d != 0 && known > INT64_MAX / d)
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "shape element count overflows");
    known *= d;
  }
  if (infer_at >= 0) {
    if (has_zero || known == 0) {
      if (allowzero)
        return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "shape has both 0 and -1 with allowzero");
      if (in_numel != 0)
        return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "cannot infer -1 next to a 0 dim");
      out.dims[infer_at] = 0;
    } else {
      if (in_numel % known != 0)
        return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "cannot reshape %lld elements with -1",
                           (long long)in_numel);
      out.dims[infer_at] = in_numel / known;
    }
  }
  if (rn_shape_numel(&out) != in_numel) {
    char a[128], b[128];
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "cannot reshape %s to %s",
                       rn_shape_str(&x->shape, a, sizeof a), rn_shape_str(&out, b, sizeof b));
  }
  rn_op_set_output(ctx, 0, x->dtype, &out);
  return NULL;
}

const rn_op_def rn_op_reshape = {
    .domain = "", .op_type = "Reshape", .since_version = 1, .max_version = 21,
    .min_inputs = 1, .max_inputs = 2, .min_outputs = 1, .max_outputs = 1,
    .infer = reshape_infer, .run = view_run,
    .value_inputs = 1u << 1,
};

static rn_status *flatten_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 1));
  const rn_tensor *x = ctx->inputs[0];
  RN_TRY(rn_tops_check_fixed(ctx, x, "input"));
  int r = x->shape.rank;
  int64_t axis = rn_attr_int(ctx->node, "axis", 1);
  if (axis < 0) axis += r;
  if (axis < 0 || axis > r)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "axis %lld out of range for rank %d",
                       (long long)rn_attr_int(ctx->node, "axis", 1), r);
  rn_shape out = {.rank = 2, .dims = {1, 1}};
  for (int i = 0; i < r; i++) {
    int64_t *acc = &out.dims[i < axis ? 0 : 1];
    int64_t d = x->shape.dims[i];
    if (d != 0 && *acc > INT64_MAX / d)
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "element count overflows");
    *acc *= d;
  }
  rn_op_set_output(ctx, 0, x->dtype, &out);
  return NULL;
}

const rn_op_def rn_op_flatten = {
    .domain = "", .op_type = "Flatten", .since_version = 1, .max_version = 21,
    .min_inputs = 1, .max_inputs = 1, .min_outputs = 1, .max_outputs = 1,
    .infer = flatten_infer, .run = view_run,
};
