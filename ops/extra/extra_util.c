/* Helpers shared by the extra group's kernels. */
#include "extra_ops.h"

rn_status *rn_xops_require_real(const rn_op_ctx *ctx, const rn_tensor *t, const char *what) {
  if (rn_xops_is_real(t->dtype)) return NULL;
  if (t->dtype == RN_DTYPE_FLOAT16)
    return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "%s: float16 is not supported", what);
  return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "%s must be float or double, not %s", what,
                     rn_dtype_name(t->dtype));
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

