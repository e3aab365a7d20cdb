/* Expand (numpy broadcast to a shape) and Tile (repeat along each dim):
 * both are strided copies whose source strides are 0 on repeated dims. */
#include "tensor_ops.h"

static rn_status *expand_shape(const rn_op_ctx *ctx, rn_shape *out) {
  const rn_tensor *x = ctx->inputs[0], *s = ctx->inputs[1];
  if (s->dtype != RN_DTYPE_INT64)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "input 'shape' must be int64");
  rn_shape want = {0};
  int n = 0;
  RN_TRY(rn_op_const_ints(ctx, s, "shape", want.dims, RN_MAX_RANK, &n));
  want.rank = n;
  for (int i = 0; i < n; i++)
    if (want.dims[i] < 0)
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "shape[%d] is negative", i);
  if (!rn_broadcast_shapes(&x->shape, &want, out)) {
    char a[128], b[128];
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "cannot broadcast %s to %s",
                       rn_shape_str(&x->shape, a, sizeof a), rn_shape_str(&want, b, sizeof b));
  }
  return NULL;
}

static rn_status *expand_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 2));
  const rn_tensor *x = ctx->inputs[0];
  RN_TRY(rn_tops_check_fixed(ctx, x, "input"));
  rn_shape out;
  RN_TRY(expand_shape(ctx, &out));
  RN_TRY(rn_op_check_shape(ctx, &out, x->dtype));
  rn_op_set_output(ctx, 0, x->dtype, &out);
  return NULL;
}

static rn_status *expand_run(rn_op_ctx *ctx) {
  const rn_tensor *x = ctx->inputs[0];
  rn_tensor *y = ctx->outputs[0];
  int r = y->shape.rank, off = r - x->shape.rank;
  int64_t xs[RN_MAX_RANK], strides[RN_MAX_RANK];
  rn_op_strides(&x->shape, xs);
  for (int i = 0; i < r; i++) {
    int j = i - off;
    strides[i] = (j < 0 || x->shape.dims[j] == 1) ? 0 : xs[j];
  }
  rn_tops_strided_copy(y->data, x->data, rn_dtype_size(x->dtype), r, y->shape.dims, strides);
  return NULL;
}

const rn_op_def rn_op_expand = {
    .domain = "", .op_type = "Expand", .since_version = 8, .max_version = 21,
    .min_inputs = 2, .max_inputs = 2, .min_outputs = 1, .max_outputs = 1,
    .infer = expand_infer, .run = expand_run,
    .value_inputs = 1u << 1,
};

/* ---- Tile ---- */

static rn_status *tile_repeats(const rn_op_ctx *ctx, int64_t *reps) {
  const rn_tensor *x = ctx->inputs[0], *rt = ctx->inputs[1];
  int n = 0;
  RN_TRY(rn_op_const_ints(ctx, rt, "repeats", reps, RN_MAX_RANK, &n));
  if (n != x->shape.rank)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "repeats has %d values for rank %d", n,
                       x->shape.rank);
  for (int i = 0; i < n; i++)
    if (reps[i] < 0) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "repeats[%d] is negative", i);
  return NULL;
}

static rn_status *tile_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 2));
  const rn_tensor *x = ctx->inputs[0];
  RN_TRY(rn_tops_check_fixed(ctx, x, "input"));
  int64_t reps[RN_MAX_RANK];
  RN_TRY(tile_repeats(ctx, reps));
  rn_shape out = x->shape;
  for (int i = 0; i < out.rank; i++) {
    if (reps[i] != 0 && out.dims[i] > INT64_MAX / reps[i])
      return rn_op_error(ctx, RN_ERR_LIMIT, "output size overflows");
    out.dims[i] *= reps[i];
  }
  RN_TRY(rn_op_check_shape(ctx, &out, x->dtype));
  rn_op_set_output(ctx, 0, x->dtype, &out);
  return NULL;
}

static rn_status *tile_run(rn_op_ctx *ctx) {
  const rn_tensor *x = ctx->inputs[0];
  rn_tensor *y = ctx->outputs[0];
  int r = x->shape.rank;
  int64_t reps[RN_MAX_RANK], xs[RN_MAX_RANK];
  RN_TRY(tile_repeats(ctx, reps));
  rn_op_strides(&x->shape, xs);
  /* Output viewed as [rep0, d0, rep1, d1, ...]: the rep dims have stride 0. */
  int64_t dims[RN_TOPS_MAX_COPY_RANK], strides[RN_TOPS_MAX_COPY_RANK];
  for (int i = 0; i < r; i++) {
    dims[2 * i] = reps[i];
    strides[2 * i] = 0;
    dims[2 * i + 1] = x->shape.dims[i];
    strides[2 * i + 1] = xs[i];
  }
  rn_tops_strided_copy(y->data, x->data, rn_dtype_size(x->dtype), 2 * r, dims, strides);
  return NULL;
}

const rn_op_def rn_op_tile = {
    .domain = "", .op_type = "Tile", .since_version = 6, .max_version = 21,
    .min_inputs = 2, .max_inputs = 2, .min_outputs = 1, .max_outputs = 1,
    .infer = tile_infer, .run = tile_run,
    .value_inputs = 1u << 1,
};
