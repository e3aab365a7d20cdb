/* Transpose: permutes dims (default: reversed); a strided copy. */
#include "tensor_ops.h"

static rn_status *get_perm(const rn_op_ctx *ctx, int r, int *perm) {
  const int64_t *p;
  int64_t n = rn_attr_ints(ctx->node, "perm", &p);
  if (n < 0) {
    for (int i = 0; i < r; i++) perm[i] = r - 1 - i;
    return NULL;
  }
  if (n != r)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "perm has %lld entries for rank %d",
                       (long long)n, r);
  bool seen[RN_MAX_RANK] = {false};
  for (int i = 0; i < r; i++) {
    int a = 0;
    if (!rn_normalize_axis(p[i], r, &a) || seen[a])
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "perm is not a permutation of 0..%d", r - 1);
    seen[a] = true;
    perm[i] = a;
  }
  return NULL;
}

static rn_status *transpose_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 1));
  const rn_tensor *x = ctx->inputs[0];
  RN_TRY(rn_tops_check_fixed(ctx, x, "data"));
  int perm[RN_MAX_RANK];
  RN_TRY(get_perm(ctx, x->shape.rank, perm));
  rn_shape out = {.rank = x->shape.rank};
  for (int i = 0; i < out.rank; i++) out.dims[i] = x->shape.dims[perm[i]];
  rn_op_set_output(ctx, 0, x->dtype, &out);
  return NULL;
}

static rn_status *transpose_run(rn_op_ctx *ctx) {
  const rn_tensor *x = ctx->inputs[0];
  rn_tensor *y = ctx->outputs[0];
  int perm[RN_MAX_RANK];
  RN_TRY(get_perm(ctx, x->shape.rank, perm));
  int64_t xs[RN_MAX_RANK], strides[RN_MAX_RANK];
  rn_op_strides(&x->shape, xs);
  for (int i = 0; i < x->shape.rank; i++) strides[i] = xs[perm[i]];
  rn_tops_strided_copy(y->data, x->data, rn_dtype_size(x->dtype), x->shape.rank, y->shape.dims,
                       strides);
  return NULL;
}

const rn_op_def rn_op_transpose = {
    .domain = "", .op_type = "Transpose", .since_version = 1, .max_version = 21,
    .min_inputs = 1, .max_inputs = 1, .min_outputs = 1, .max_outputs = 1,
    .infer = transpose_infer, .run = transpose_run,
};
