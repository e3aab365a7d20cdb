/* Range: start, start+delta, ... below limit (above it for delta < 0).
 * Element count max(ceil((limit - start) / delta), 0); inputs must be
 * constant since they fix the output length. */
#include <math.h>

#include "tensor_ops.h"

static bool range_type(rn_dtype dt) {
  return dt == RN_DTYPE_FLOAT || dt == RN_DTYPE_DOUBLE || dt == RN_DTYPE_INT16 ||
         dt == RN_DTYPE_INT32 || dt == RN_DTYPE_INT64;
}

static rn_status *range_count(const rn_op_ctx *ctx, int64_t *count) {
  const rn_tensor *s = ctx->inputs[0], *l = ctx->inputs[1], *d = ctx->inputs[2];
  if (!s->data || !l->data || !d->data)
    return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "inputs start/limit/delta must be constant");
  if (s->dtype == RN_DTYPE_FLOAT || s->dtype == RN_DTYPE_DOUBLE) {
    double n;
    if (s->dtype == RN_DTYPE_FLOAT) { /* in float, like the kernels of other runtimes */
      float a = *(const float *)s->data, b = *(const float *)l->data, c = *(const float *)d->data;
      if (c == 0) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "delta is 0");
      n = ceilf((b - a) / c);
    } else {
      double a = *(const double *)s->data, b = *(const double *)l->data, c = *(const double *)d->data;
      if (c == 0) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "delta is 0");
      n = ceil((b - a) / c);
    }
    if (n != n || n > 9007199254740992.0)
      return rn_op_error(ctx, RN_ERR_LIMIT, "element count is not finite or too large");
    *count = n > 0 ? (int64_t)n : 0;
    return NULL;
  }
  int64_t a = rn_tensor_get_int(s, 0), b = rn_tensor_get_int(l, 0), c = rn_tensor_get_int(d, 0);
  if (c == 0) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "delta is 0");
  uint64_t diff, step;
  if (c > 0 && b > a) {
    diff = (uint64_t)b - (uint64_t)a;
    step = (uint64_t)c;
  } else if (c < 0 && a > b) {
    diff = (uint64_t)a - (uint64_t)b;
    step = (uint64_t)0 - (uint64_t)c;
  } else {
    *count = 0;
    return NULL;
  }
  uint64_t n = diff / step + (diff % step != 0);
  if (n > (uint64_t)INT64_MAX) return rn_op_error(ctx, RN_ERR_LIMIT, "element count too large");
  *count = (int64_t)n;
  return NULL;
}

static rn_status *range_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 3));
  rn_dtype dt = ctx->inputs[0]->dtype;
  if (!range_type(dt))
    return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "type %s is not supported", rn_dtype_name(dt));
  for (int i = 0; i < 3; i++) {
    if (ctx->inputs[i]->dtype != dt)
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "inputs must share one type");
    if (rn_shape_numel(&ctx->inputs[i]->shape) != 1)
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "input %d must be a scalar", i);
  }
  int64_t n = 0;
  RN_TRY(range_count(ctx, &n));
  rn_shape out = {.rank = 1, .dims = {n}};
  RN_TRY(rn_op_check_shape(ctx, &out, dt));
  rn_op_set_output(ctx, 0, dt, &out);
  return NULL;
}

#define FILL(T)                                                   \
  do {                                                            \
    T a = *(const T *)ctx->inputs[0]->data, c = *(const T *)ctx->inputs[2]->data; \
    T *o = y->data;                                               \
    for (int64_t i = 0; i < n; i++) o[i] = (T)(a + (T)i * c);     \
  } while (0)

static rn_status *range_run(rn_op_ctx *ctx) {
  rn_tensor *y = ctx->outputs[0];
  int64_t n = rn_shape_numel(&y->shape);
  switch (y->dtype) {
    case RN_DTYPE_FLOAT: FILL(float); break;
    case RN_DTYPE_DOUBLE: FILL(double); break;
    case RN_DTYPE_INT16: FILL(int16_t); break;
    case RN_DTYPE_INT32: FILL(int32_t); break;
    case RN_DTYPE_INT64: { /* a + i*c fits int64 since the last value lies before limit */
      int64_t a = *(const int64_t *)ctx->inputs[0]->data, c = *(const int64_t *)ctx->inputs[2]->data;
      int64_t *o = y->data;
      for (int64_t i = 0; i < n; i++) o[i] = (int64_t)((uint64_t)a + (uint64_t)i * (uint64_t)c);
      break;
    }
    default: break;
  }
  return NULL;
}

const rn_op_def rn_op_range = {
    .domain = "", .op_type = "Range", .since_version = 11, .max_version = 21,
    .min_inputs = 3, .max_inputs = 3, .min_outputs = 1, .max_outputs = 1,
    .infer = range_infer, .run = range_run,
    .value_inputs = 7u,
};
