/* Helpers shared by the extra group's kernels. */
#include "extra_ops.h"

rn_status *rn_xops_require(const rn_op_ctx *ctx, int n_inputs) {
  for (int i = 0; i < n_inputs; i++)
    if (!rn_op_input(ctx, i))
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "required input %d is missing", i);
  if (!rn_op_output(ctx, 0)) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "output 0 is missing");
  return NULL;
}

rn_status *rn_xops_require_real(const rn_op_ctx *ctx, const rn_tensor *t, const char *what) {
  if (rn_xops_is_real(t->dtype)) return NULL;
  if (t->dtype == RN_DTYPE_FLOAT16)
    return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "%s: float16 is not supported", what);
  return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "%s must be float or double, not %s", what,
                     rn_dtype_name(t->dtype));
}

rn_status *rn_xops_check_shape(const rn_op_ctx *ctx, const rn_shape *shape, rn_dtype dtype) {
  size_t nbytes;
  if (shape->rank < 0 || shape->rank > RN_MAX_RANK)
    return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "output rank %d exceeds %d", shape->rank,
                       RN_MAX_RANK);
  for (int i = 0; i < shape->rank; i++)
    if (shape->dims[i] < 0)
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "output dim %d is negative (%lld)", i,
                         (long long)shape->dims[i]);
  if (!rn_shape_nbytes(shape, dtype, &nbytes))
    return rn_op_error(ctx, RN_ERR_LIMIT, "output size overflows");
  return NULL;
}

rn_status *rn_xops_const_ints(const rn_op_ctx *ctx, const rn_tensor *t, const char *what,
                              int64_t *vals, int max, int *n) {
  if (!t->data) return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "input '%s' must be constant", what);
  if (!rn_xops_is_index(t->dtype))
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "input '%s' must be int64 or int32, not %s",
                       what, rn_dtype_name(t->dtype));
  if (t->shape.rank > 1)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "input '%s' must be 1-D (rank %d)", what,
                       t->shape.rank);
  int64_t count = rn_shape_numel(&t->shape);
  if (count < 0 || count > max)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "input '%s' has %lld values, at most %d allowed",
                       what, (long long)count, max);
  for (int64_t i = 0; i < count; i++) vals[i] = rn_tensor_get_int(t, i);
  *n = (int)count;
  return NULL;
}

static int64_t sat_i64(double v) {
  if (v != v) return 0;
  if (v >= 9223372036854775807.0) return INT64_MAX;
  if (v <= -9223372036854775808.0) return INT64_MIN;
  return (int64_t)v;
}

void rn_xops_set_double(void *data, rn_dtype dt, int64_t i, double v) {
  switch (dt) {
    case RN_DTYPE_FLOAT: ((float *)data)[i] = (float)v; break;
    case RN_DTYPE_DOUBLE: ((double *)data)[i] = v; break;
    case RN_DTYPE_BOOL: ((uint8_t *)data)[i] = v != 0; break;
    case RN_DTYPE_INT8: ((int8_t *)data)[i] = (int8_t)sat_i64(v); break;
    case RN_DTYPE_UINT8: ((uint8_t *)data)[i] = (uint8_t)sat_i64(v); break;
    case RN_DTYPE_INT16: ((int16_t *)data)[i] = (int16_t)sat_i64(v); break;
    case RN_DTYPE_UINT16: ((uint16_t *)data)[i] = (uint16_t)sat_i64(v); break;
    case RN_DTYPE_INT32: ((int32_t *)data)[i] = (int32_t)sat_i64(v); break;
    case RN_DTYPE_UINT32: ((uint32_t *)data)[i] = (uint32_t)sat_i64(v); break;
    case RN_DTYPE_INT64: ((int64_t *)data)[i] = sat_i64(v); break;
    case RN_DTYPE_UINT64: ((uint64_t *)data)[i] = v >= 0 ? (uint64_t)sat_i64(v) : 0; break;
    default: break;
  }
}

void rn_xops_strides(const rn_shape *shape, int64_t *strides) {
  int64_t s = 1;
  for (int i = shape->rank - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape->dims[i];
  }
}
