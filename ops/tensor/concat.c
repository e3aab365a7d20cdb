/* Concat: joins inputs along an axis (block copies). */
#include <limits.h>
#include <string.h>

#include "tensor_ops.h"

static rn_status *concat_axis(const rn_op_ctx *ctx, int rank, int *axis) {
  const rn_attr *a = rn_node_attr(ctx->node, "axis");
  if (!a && ctx->opset >= 4) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "attribute 'axis' is missing");
  int64_t v = a ? a->i : 1;
  if (!rn_normalize_axis(v, rank, axis))
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "axis %lld out of range for rank %d",
                       (long long)v, rank);
  return NULL;
}

static rn_status *concat_infer(rn_op_ctx *ctx) {
  if (ctx->n_inputs < 1) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "needs inputs");
  RN_TRY(rn_op_require(ctx, ctx->n_inputs));
  const rn_tensor *x0 = ctx->inputs[0];
  RN_TRY(rn_tops_check_fixed(ctx, x0, "input 0"));
  int axis = 0;
  RN_TRY(concat_axis(ctx, x0->shape.rank, &axis));
  rn_shape out = x0->shape;
  for (int i = 1; i < ctx->n_inputs; i++) {
    const rn_tensor *x = ctx->inputs[i];
    if (x->dtype != x0->dtype)
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "input %d is %s, input 0 is %s", i,
                         rn_dtype_name(x->dtype), rn_dtype_name(x0->dtype));
    if (x->shape.rank != x0->shape.rank)
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "input %d has rank %d, input 0 has %d", i,
                         x->shape.rank, x0->shape.rank);
    for (int d = 0; d < out.rank; d++) {
      if (d == axis) continue;
      if (x->shape.dims[d] != out.dims[d])
        return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "input %d dim %d is %lld, expected %lld", i,
                           d, (long long)x->shape.dims[d], (long long)out.dims[d]);
    }
    if (out.dims[axis] > INT64_MAX - x->shape.dims[axis])
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "concatenated dim overflows");
    out.dims[axis] += x->shape.dims[axis];
  }
  RN_TRY(rn_op_check_shape(ctx, &out, x0->dtype));
  rn_op_set_output(ctx, 0, x0->dtype, &out);
  return NULL;
}

static rn_status *concat_run(rn_op_ctx *ctx) {
  rn_tensor *y = ctx->outputs[0];
  int axis = 0;
  RN_TRY(concat_axis(ctx, y->shape.rank, &axis));
  size_t es = rn_dtype_size(y->dtype);
  int64_t outer = 1, inner = (int64_t)es;
  for (int d = 0; d < axis; d++) outer *= y->shape.dims[d];
  for (int d = axis + 1; d < y->shape.rank; d++) inner *= y->shape.dims[d];
  size_t out_row = (size_t)(y->shape.dims[axis] * inner);
  size_t off = 0;
  for (int i = 0; i < ctx->n_inputs; i++) {
    const rn_tensor *x = ctx->inputs[i];
    size_t row = (size_t)(x->shape.dims[axis] * inner);
    if (row == 0) continue;
    const char *src = x->data;
    char *dst = (char *)y->data + off;
    for (int64_t o = 0; o < outer; o++) memcpy(dst + (size_t)o * out_row, src + (size_t)o * row, row);
    off += row;
  }
  return NULL;
}

const rn_op_def rn_op_concat = {
    .domain = "", .op_type = "Concat", .since_version = 1, .max_version = 21,
    .min_inputs = 1, .max_inputs = INT_MAX, .min_outputs = 1, .max_outputs = 1,
    .infer = concat_infer, .run = concat_run,
};
