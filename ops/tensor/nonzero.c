/* NonZero: the indices of non-zero elements, [rank, count] int64. The count
 * depends on the input's values, so the input must be constant at infer. */
#include <string.h>

#include "tensor_ops.h"

static bool is_nonzero(const rn_tensor *t, int64_t i, size_t es) {
  if (t->dtype == RN_DTYPE_FLOAT16) /* +0 and -0 */
    return (((const uint16_t *)t->data)[i] & 0x7fff) != 0;
  if (t->dtype == RN_DTYPE_FLOAT) return ((const float *)t->data)[i] != 0;
  if (t->dtype == RN_DTYPE_DOUBLE) return ((const double *)t->data)[i] != 0;
  const unsigned char *p = (const unsigned char *)t->data + (size_t)i * es;
  for (size_t k = 0; k < es; k++)
    if (p[k]) return true;
  return false;
}

static int64_t count_nonzero(const rn_tensor *x) {
  int64_t n = rn_shape_numel(&x->shape), c = 0;
  size_t es = rn_dtype_size(x->dtype);
  for (int64_t i = 0; i < n; i++) c += is_nonzero(x, i, es);
  return c;
}

static rn_status *nonzero_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 1));
  const rn_tensor *x = ctx->inputs[0];
  RN_TRY(rn_tops_check_fixed(ctx, x, "input"));
  if (!x->data)
    return rn_op_error(ctx, RN_ERR_UNSUPPORTED,
                       "input must be constant (output shape depends on its values)");
  /* A scalar counts as rank 1, like numpy's nonzero on a 0-d array. */
  int r = x->shape.rank ? x->shape.rank : 1;
  rn_shape out = {.rank = 2, .dims = {r, count_nonzero(x)}};
  rn_op_set_output(ctx, 0, RN_DTYPE_INT64, &out);
  return NULL;
}

static rn_status *nonzero_run(rn_op_ctx *ctx) {
  const rn_tensor *x = ctx->inputs[0];
  rn_tensor *y = ctx->outputs[0];
  int64_t cnt = count_nonzero(x);
  if (y->shape.rank != 2 || y->shape.dims[1] != cnt)
    return rn_op_error(ctx, RN_ERR_RUNTIME, "input values changed since shape inference");
  int r = x->shape.rank;
  int64_t n = rn_shape_numel(&x->shape), pos[RN_MAX_RANK] = {0}, j = 0;
  size_t es = rn_dtype_size(x->dtype);
  int64_t *out = y->data;
  for (int64_t i = 0; i < n; i++) {
    if (is_nonzero(x, i, es)) {
      if (r == 0) out[j] = 0;
      for (int k = 0; k < r; k++) out[k * cnt + j] = pos[k];
      j++;
    }
    for (int k = r - 1; k >= 0; k--) {
      if (++pos[k] < x->shape.dims[k]) break;
      pos[k] = 0;
    }
  }
  return NULL;
}

const rn_op_def rn_op_nonzero = {
    .domain = "", .op_type = "NonZero", .since_version = 9, .max_version = 21,
    .min_inputs = 1, .max_inputs = 1, .min_outputs = 1, .max_outputs = 1,
    .infer = nonzero_infer, .run = nonzero_run,
    .value_inputs = 1u << 0,
};
