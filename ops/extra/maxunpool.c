/* MaxUnpool (opset 9, 11): scatters X into a zero-filled output at the flat
 * indices I (as MaxPool's Indices output gives them: over the whole tensor of
 * the default shape, (in - 1) * stride + kernel - pads per spatial dim). The
 * optional output_shape input (which must be constant) pads that result at
 * the end of each dim, as ONNX's reference does: an index keeps its
 * coordinates in the default shape. */
#include <string.h>

#include "extra_ops.h"
#include "nn/nn_ops.h"

static rn_status *unpool_shape(const rn_op_ctx *ctx, rn_shape *out, rn_shape *dflt) {
  const rn_tensor *x = ctx->inputs[0], *idx = ctx->inputs[1], *os = rn_op_input(ctx, 2);
  rn_nn_window w;
  int ap;
  RN_TRY(rn_nn_window_attrs(ctx, &x->shape, NULL, false, &w, &ap));
  if (ap != 0) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "MaxUnpool has no auto_pad");
  if (idx->dtype != RN_DTYPE_INT64 || !rn_shape_equal(&idx->shape, &x->shape))
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "I must be int64 with X's shape");
  *out = x->shape;
  for (int i = 0; i < w.nsp; i++)
    out->dims[i + 2] = (w.in[i] - 1) * w.stride[i] + w.kernel[i] - w.pad_begin[i] - w.pad_end[i];
  RN_TRY(rn_op_check_shape(ctx, out, x->dtype));
  *dflt = *out;
  if (os) {
    int64_t v[RN_MAX_RANK];
    int n;
    RN_TRY(rn_op_const_ints(ctx, os, "output_shape", v, RN_MAX_RANK, &n));
    if (n != x->shape.rank)
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "output_shape has %d values for rank %d", n,
                         x->shape.rank);
    if (v[0] != x->shape.dims[0] || v[1] != x->shape.dims[1])
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "output_shape must keep N and C");
    for (int i = 0; i < n; i++) out->dims[i] = v[i];
  }
  return rn_op_check_shape(ctx, out, x->dtype);
}

static rn_status *unpool_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 2));
  const rn_tensor *x = ctx->inputs[0];
  if (rn_dtype_size(x->dtype) == 0)
    return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "type %s", rn_dtype_name(x->dtype));
  rn_shape out, dflt;
  RN_TRY(unpool_shape(ctx, &out, &dflt));
  rn_op_set_output(ctx, 0, x->dtype, &out);
  return NULL;
}

static rn_status *unpool_run(rn_op_ctx *ctx) {
  const rn_tensor *x = ctx->inputs[0], *idx = ctx->inputs[1];
  rn_tensor *y = ctx->outputs[0];
  size_t es = rn_dtype_size(x->dtype);
  rn_shape out, dflt;
  RN_TRY(unpool_shape(ctx, &out, &dflt));
  int64_t n = rn_shape_numel(&x->shape), total = rn_shape_numel(&dflt);
  int64_t ostr[RN_MAX_RANK];
  rn_op_strides(&y->shape, ostr);
  const int64_t *ix = idx->data;
  memset(y->data, 0, y->nbytes);
  for (int64_t i = 0; i < n; i++) {
    if (ix[i] < 0 || ix[i] >= total)
      return rn_op_error(ctx, RN_ERR_RUNTIME, "index %lld out of range [0, %lld)",
                         (long long)ix[i], (long long)total);
    int64_t r = ix[i], off = 0;
    for (int d = dflt.rank - 1; d >= 0; d--) {
      int64_t c = r % dflt.dims[d];
      r /= dflt.dims[d];
      if (c >= y->shape.dims[d])
        return rn_op_error(ctx, RN_ERR_RUNTIME, "index %lld falls outside output_shape",
                           (long long)ix[i]);
      off += c * ostr[d];
    }
    memcpy((char *)y->data + off * es, (const char *)x->data + i * es, es);
  }
  return NULL;
}

const rn_op_def rn_op_max_unpool = {
    .domain = "", .op_type = "MaxUnpool", .since_version = 9, .max_version = 21, .min_inputs = 2,
    .max_inputs = 3, .min_outputs = 1, .max_outputs = 1, .infer = unpool_infer,
    .run = unpool_run, .value_inputs = 1u << 2,
};
