/* ReverseSequence (opset 10): for each batch entry b, reverses the first
 * sequence_lens[b] steps along time_axis and copies the rest. time_axis and
 * batch_axis are 0 and 1 in some order. */
#include <string.h>

#include "extra_ops.h"

static rn_status *rs_axes(const rn_op_ctx *ctx, int *ta, int *ba) {
  int64_t t = rn_attr_int(ctx->node, "time_axis", 0), b = rn_attr_int(ctx->node, "batch_axis", 1);
  if (!((t == 0 && b == 1) || (t == 1 && b == 0)))
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "time_axis/batch_axis must be 0/1 or 1/0");
  *ta = (int)t;
  *ba = (int)b;
  return NULL;
}

static rn_status *rs_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 2));
  const rn_tensor *x = ctx->inputs[0], *sl = ctx->inputs[1];
  int ta = 0, ba = 1;
  RN_TRY(rs_axes(ctx, &ta, &ba));
  if (x->shape.rank < 2) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "input must have rank >= 2");
  if (rn_dtype_size(x->dtype) == 0)
    return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "type %s", rn_dtype_name(x->dtype));
  if (!rn_op_is_index_dtype(sl->dtype) || sl->shape.rank != 1 ||
      sl->shape.dims[0] != x->shape.dims[ba])
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "sequence_lens must be an int [batch] tensor");
  rn_op_set_output(ctx, 0, x->dtype, &x->shape);
  return NULL;
}

static rn_status *rs_run(rn_op_ctx *ctx) {
  const rn_tensor *x = ctx->inputs[0], *sl = ctx->inputs[1];
  rn_tensor *y = ctx->outputs[0];
  int ta = 0, ba = 1;
  RN_TRY(rs_axes(ctx, &ta, &ba));
  int64_t T = x->shape.dims[ta], B = x->shape.dims[ba], inner = 1;
  for (int i = 2; i < x->shape.rank; i++) inner *= x->shape.dims[i];
  size_t es = rn_dtype_size(x->dtype), row = (size_t)inner * es;
  int64_t st = (ta == 0 ? B : 1) * inner, sb = (ba == 0 ? T : 1) * inner;
  for (int64_t b = 0; b < B; b++) {
    int64_t len = rn_tensor_get_int(sl, b);
    if (len < 0 || len > T)
      return rn_op_error(ctx, RN_ERR_RUNTIME, "sequence_lens[%lld] = %lld out of range [0, %lld]",
                         (long long)b, (long long)len, (long long)T);
    for (int64_t t = 0; t < T; t++) {
      int64_t src = t < len ? len - 1 - t : t;
      memcpy((char *)y->data + (b * sb + t * st) * es,
             (const char *)x->data + (b * sb + src * st) * es, row);
    }
  }
  return NULL;
}

const rn_op_def rn_op_reverse_sequence = {
    .domain = "", .op_type = "ReverseSequence", .since_version = 10, .max_version = 21,
    .min_inputs = 2, .max_inputs = 2, .min_outputs = 1, .max_outputs = 1, .infer = rs_infer,
    .run = rs_run,
};
