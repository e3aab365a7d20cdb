/* EyeLike: a 2-D tensor of zeros with ones on the k-th diagonal. */
#include <string.h>

#include "tensor_ops.h"

static rn_status *eye_like_dtype(const rn_op_ctx *ctx, rn_dtype *dt) {
  const rn_attr *a = rn_node_attr(ctx->node, "dtype");
  *dt = ctx->inputs[0]->dtype;
  if (a) {
    if (a->i < 1 || a->i > 13 || a->i == RN_DTYPE_STRING)
      return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "dtype %lld is not supported", (long long)a->i);
    *dt = (rn_dtype)a->i;
  }
  if (rn_dtype_size(*dt) == 0 || *dt == RN_DTYPE_STRING)
    return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "type %s is not supported", rn_dtype_name(*dt));
  return NULL;
}

static rn_status *eye_like_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 1));
  const rn_tensor *x = ctx->inputs[0];
  if (x->shape.rank != 2)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "input must be 2-D (rank %d)", x->shape.rank);
  rn_dtype dt = RN_DTYPE_UNDEFINED;
  RN_TRY(eye_like_dtype(ctx, &dt));
  rn_op_set_output(ctx, 0, dt, &x->shape);
  return NULL;
}

static rn_status *eye_like_run(rn_op_ctx *ctx) {
  rn_tensor *y = ctx->outputs[0];
  int64_t rows = y->shape.dims[0], cols = y->shape.dims[1], k = rn_attr_int(ctx->node, "k", 0);
  size_t es = rn_dtype_size(y->dtype);
  unsigned char one[16] = {0};
  rn_store_double(one, y->dtype, 0, 1.0);
  if (y->nbytes) memset(y->data, 0, y->nbytes);
  char *out = y->data;
  if (k >= cols || k <= -rows) return NULL; /* no diagonal inside; also bounds k */
  for (int64_t i = 0; i < rows; i++) {
    int64_t c = i + k;
    if (c >= 0 && c < cols) memcpy(out + (size_t)(i * cols + c) * es, one, es);
  }
  return NULL;
}

const rn_op_def rn_op_eye_like = {
    .domain = "", .op_type = "EyeLike", .since_version = 9, .max_version = 21,
    .min_inputs = 1, .max_inputs = 1, .min_outputs = 1, .max_outputs = 1,
    .infer = eye_like_infer, .run = eye_like_run,
};
