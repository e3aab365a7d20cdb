/* HannWindow, HammingWindow, BlackmanWindow (opset 17): generalized cosine
 * windows of `size` points (a constant scalar input, it sets the output
 * shape). periodic (default 1) divides by size, else by size - 1.
 * output_datatype is an ONNX TensorProto type (default float). */
#include <math.h>

#include "extra_ops.h"

static rn_status *win_size(const rn_op_ctx *ctx, int64_t *n) {
  const rn_tensor *s = ctx->inputs[0];
  if (!rn_op_is_index_dtype(s->dtype) || rn_shape_numel(&s->shape) != 1 || s->shape.rank > 1)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "size must be an int32/int64 scalar");
  if (!s->data) return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "input 'size' must be constant");
  *n = rn_tensor_get_int(s, 0);
  if (*n < 0) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "size %lld is negative", (long long)*n);
  return NULL;
}

static rn_status *win_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 1));
  int64_t n;
  RN_TRY(win_size(ctx, &n));
  int64_t dt = rn_attr_int(ctx->node, "output_datatype", RN_DTYPE_FLOAT);
  switch (dt) {
    case RN_DTYPE_FLOAT: case RN_DTYPE_DOUBLE: case RN_DTYPE_INT8: case RN_DTYPE_UINT8:
    case RN_DTYPE_INT16: case RN_DTYPE_UINT16: case RN_DTYPE_INT32: case RN_DTYPE_UINT32:
    case RN_DTYPE_INT64: case RN_DTYPE_UINT64: break;
    default: return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "output_datatype %lld", (long long)dt);
  }
  rn_shape out = {1, {n}};
  RN_TRY(rn_op_check_shape(ctx, &out, (rn_dtype)dt));
  rn_op_set_output(ctx, 0, (rn_dtype)dt, &out);
  return NULL;
}

/* y[i] = a0 - a1 cos(2 pi i / N) + a2 cos(4 pi i / N) */
static rn_status *win_run(rn_op_ctx *ctx, double a0, double a1, double a2) {
  int64_t n;
  RN_TRY(win_size(ctx, &n));
  bool periodic = rn_attr_int(ctx->node, "periodic", 1) != 0;
  double den = periodic ? (double)n : (double)(n - 1);
  rn_tensor *y = ctx->outputs[0];
  for (int64_t i = 0; i < n; i++) {
    double t = den > 0 ? 2 * M_PI * (double)i / den : 0;
    rn_store_double(y->data, y->dtype, i, a0 - a1 * cos(t) + a2 * cos(2 * t));
  }
  return NULL;
}

static rn_status *hann_run(rn_op_ctx *ctx) { return win_run(ctx, 0.5, 0.5, 0); }
static rn_status *hamming_run(rn_op_ctx *ctx) { return win_run(ctx, 25.0 / 46, 21.0 / 46, 0); }
static rn_status *blackman_run(rn_op_ctx *ctx) { return win_run(ctx, 0.42, 0.5, 0.08); }

#define WINDOW_DEF(NAME, OP, RUN)                                                              \
  const rn_op_def NAME = {                                                                     \
      .domain = "", .op_type = OP, .since_version = 17, .max_version = 21, .min_inputs = 1,    \
      .max_inputs = 1, .min_outputs = 1, .max_outputs = 1, .infer = win_infer, .run = RUN,     \
      .value_inputs = 1u,                                                                      \
  };
WINDOW_DEF(rn_op_hann_window, "HannWindow", hann_run)
WINDOW_DEF(rn_op_hamming_window, "HammingWindow", hamming_run)
WINDOW_DEF(rn_op_blackman_window, "BlackmanWindow", blackman_run)
