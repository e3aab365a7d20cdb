/* OneHot: output[..., j, ...] = on if j == index else off, along a new axis of
 * size depth (depth must be constant). Out-of-range indices give all-off. */
#include <math.h>
#include <string.h>

#include "tensor_ops.h"

static rn_status *onehot_params(const rn_op_ctx *ctx, int64_t *depth, int *axis) {
  const rn_tensor *ind = ctx->inputs[0], *dt = ctx->inputs[1], *vals = ctx->inputs[2];
  if (!dt->data) return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "input 'depth' must be constant");
  if (rn_shape_numel(&dt->shape) != 1 || rn_dtype_size(dt->dtype) == 0)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "depth must hold one number");
  double dv = rn_tensor_get_double(dt, 0);
  if (!(dv >= 1 && dv < 9.0e15))
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "depth %g out of range", dv);
  *depth = (int64_t)dv;
  if (rn_shape_numel(&vals->shape) != 2)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "values must hold [off, on]");
  int64_t a = rn_attr_int(ctx->node, "axis", -1);
  if (!rn_normalize_axis(a, ind->shape.rank + 1, axis))
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "axis %lld out of range", (long long)a);
  return NULL;
}

static rn_status *onehot_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 3));
  const rn_tensor *ind = ctx->inputs[0], *vals = ctx->inputs[2];
  RN_TRY(rn_tops_check_fixed(ctx, vals, "values"));
  if (rn_dtype_size(ind->dtype) == 0 || ind->dtype == RN_DTYPE_BOOL)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "indices must be numeric");
  if (ind->shape.rank + 1 > RN_MAX_RANK)
    return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "output rank exceeds %d", RN_MAX_RANK);
  int64_t depth = 0;
  int axis = 0;
  RN_TRY(onehot_params(ctx, &depth, &axis));
  rn_shape out = {.rank = ind->shape.rank + 1};
  for (int i = 0, j = 0; i < out.rank; i++) out.dims[i] = i == axis ? depth : ind->shape.dims[j++];
  RN_TRY(rn_op_check_shape(ctx, &out, vals->dtype));
  rn_op_set_output(ctx, 0, vals->dtype, &out);
  return NULL;
}

static rn_status *onehot_run(rn_op_ctx *ctx) {
  const rn_tensor *ind = ctx->inputs[0], *vals = ctx->inputs[2];
  rn_tensor *y = ctx->outputs[0];
  int64_t depth = 0;
  int axis = 0;
  RN_TRY(onehot_params(ctx, &depth, &axis));
  size_t es = rn_dtype_size(vals->dtype);
  const char *off = vals->data, *on = off + es;
  rn_tops_fill(y->data, off, es, rn_shape_numel(&y->shape));
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; i++) outer *= ind->shape.dims[i];
  for (int i = axis; i < ind->shape.rank; i++) inner *= ind->shape.dims[i];
  char *out = y->data;
  for (int64_t o = 0; o < outer; o++)
    for (int64_t i = 0; i < inner; i++) {
      double v = rn_tensor_get_double(ind, o * inner + i);
      if (!(v > -9.0e15 && v < 9.0e15)) continue;
      int64_t k = (int64_t)v;
      if (k < 0) k += depth;
      if (k < 0 || k >= depth) continue;
      memcpy(out + (size_t)((o * depth + k) * inner + i) * es, on, es);
    }
  return NULL;
}

const rn_op_def rn_op_one_hot = {
    .domain = "", .op_type = "OneHot", .since_version = 9, .max_version = 21,
    .min_inputs = 3, .max_inputs = 3, .min_outputs = 1, .max_outputs = 1,
    .infer = onehot_infer, .run = onehot_run,
    .value_inputs = 1u << 1,
};
