/* Trilu: keeps the upper (j - i >= k) or lower (j - i <= k) triangle of the
 * last two dims and zeroes the rest (zero is all-zero bytes for every type). */
#include <string.h>

#include "tensor_ops.h"

static rn_status *trilu_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 1));
  const rn_tensor *x = ctx->inputs[0], *k = rn_op_input(ctx, 1);
  RN_TRY(rn_tops_check_fixed(ctx, x, "input"));
  if (x->shape.rank < 2)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "input rank %d < 2", x->shape.rank);
  if (k && (k->dtype != RN_DTYPE_INT64 || rn_shape_numel(&k->shape) != 1))
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "k must be one int64");
  rn_op_set_output(ctx, 0, x->dtype, &x->shape);
  return NULL;
}

static rn_status *trilu_run(rn_op_ctx *ctx) {
  const rn_tensor *x = ctx->inputs[0], *kt = rn_op_input(ctx, 1);
  rn_tensor *y = ctx->outputs[0];
  rn_tops_copy_data(y, x);
  int64_t k = kt ? *(const int64_t *)kt->data : 0;
  bool upper = rn_attr_int(ctx->node, "upper", 1) != 0;
  int r = x->shape.rank;
  int64_t n = x->shape.dims[r - 2], m = x->shape.dims[r - 1];
  int64_t mats = n != 0 && m != 0 ? rn_shape_numel(&x->shape) / (n * m) : 0;
  size_t es = rn_dtype_size(x->dtype);
  /* Clamp k so that i + k stays in range without overflow. */
  if (k > m) k = m;
  if (k < -n) k = -n;
  char *out = y->data;
  for (int64_t t = 0; t < mats; t++) {
    for (int64_t i = 0; i < n; i++) {
      char *row = out + (size_t)((t * n + i) * m) * es;
      int64_t c = i + k; /* first kept column (upper) / last kept column (lower) */
      if (upper) {
        int64_t z = c < 0 ? 0 : c > m ? m : c; /* zero [0, z) */
        if (z) memset(row, 0, (size_t)z * es);
      } else {
        int64_t s = c + 1 < 0 ? 0 : c + 1 > m ? m : c + 1; /* zero [s, m) */
        if (m > s) memset(row + (size_t)s * es, 0, (size_t)(m - s) * es);
      }
    }
  }
  return NULL;
}

const rn_op_def rn_op_trilu = {
    .domain = "", .op_type = "Trilu", .since_version = 14, .max_version = 21,
    .min_inputs = 1, .max_inputs = 2, .min_outputs = 1, .max_outputs = 1,
    .infer = trilu_infer, .run = trilu_run,
};
