/* Helpers shared by the extra group's kernels. */
#include "extra_ops.h"

rn_status *rn_xops_require_real(const rn_op_ctx *ctx, const rn_tensor *t, const char *what) {
  if (rn_xops_is_real(t->dtype)) return NULL;
  if (t->dtype == RN_DTYPE_FLOAT16)
    return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "%s: float16 is not supported", what);
  return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "%s must be float or double, not %s", what,
                     rn_dtype_name(t->dtype));
}


