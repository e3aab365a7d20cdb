/* Det (opset 11): determinants of the trailing [M, M] matrices, by LU
 * decomposition with partial pivoting in double precision. */
#include <math.h>

#include "extra_ops.h"

static rn_status *det_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 1));
  const rn_tensor *x = ctx->inputs[0];
  RN_TRY(rn_xops_require_real(ctx, x, "input"));
  int r = x->shape.rank;
  if (r < 2 || x->shape.dims[r - 1] != x->shape.dims[r - 2])
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "input must be [..., M, M]");
  rn_shape out = x->shape;
  out.rank -= 2;
  rn_op_set_output(ctx, 0, x->dtype, &out);
  return NULL;
}

static size_t det_workspace(const rn_op_ctx *ctx) {
  const rn_shape *s = &ctx->inputs[0]->shape;
  int64_t m = s->dims[s->rank - 1];
  return (size_t)(m > 0 ? m * m : 1) * sizeof(double);
}

static rn_status *det_run(rn_op_ctx *ctx) {
  const rn_tensor *x = ctx->inputs[0];
  rn_tensor *y = ctx->outputs[0];
  int64_t m = x->shape.dims[x->shape.rank - 1], count = rn_shape_numel(&y->shape);
  double *a = ctx->workspace;
  for (int64_t b = 0; b < count; b++) {
    for (int64_t i = 0; i < m * m; i++) a[i] = rn_xops_getf(x->data, x->dtype, b * m * m + i);
    double det = 1;
    for (int64_t c = 0; c < m && det != 0; c++) {
      int64_t p = c;
      for (int64_t r = c + 1; r < m; r++)
        if (fabs(a[r * m + c]) > fabs(a[p * m + c])) p = r;
      if (a[p * m + c] == 0) {
        det = 0;
        break;
      }
      if (p != c) {
        for (int64_t k = 0; k < m; k++) {
          double t = a[c * m + k];
          a[c * m + k] = a[p * m + k];
          a[p * m + k] = t;
        }
        det = -det;
      }
      double piv = a[c * m + c];
      det *= piv;
      for (int64_t r = c + 1; r < m; r++) {
        double f = a[r * m + c] / piv;
        for (int64_t k = c + 1; k < m; k++) a[r * m + k] -= f * a[c * m + k];
      }
    }
    rn_xops_setf(y->data, y->dtype, b, det);
  }
  return NULL;
}

const rn_op_def rn_op_det = {
    .domain = "", .op_type = "Det", .since_version = 11, .max_version = 21, .min_inputs = 1,
    .max_inputs = 1, .min_outputs = 1, .max_outputs = 1, .infer = det_infer, .run = det_run,
    .workspace = det_workspace,
};
