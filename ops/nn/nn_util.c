/* Helpers shared by the nn group: dtype checks and the sliding-window
 * geometry (kernel, strides, dilations, pads, auto_pad) of convolutions and
 * pools. */
#include "nn_ops.h"

#include <string.h>

rn_status *rn_nn_require_real(const rn_op_ctx *ctx, const rn_tensor *t, const char *what) {
  if (rn_nn_is_real(t->dtype)) return NULL;
  if (t->dtype == RN_DTYPE_FLOAT16)
    return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "%s: float16 is not supported (float and double are)",
                       what);
  return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "%s: element type %s is not allowed (float, double)",
                     what, rn_dtype_name(t->dtype));
}

rn_status *rn_nn_require_inputs(const rn_op_ctx *ctx, int n) {
  for (int i = 0; i < n; i++)
    if (!rn_op_input(ctx, i))
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "input %d is required", i);
  if (!rn_op_output(ctx, 0)) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "output 0 is required");
  return NULL;
}

rn_status *rn_nn_lp_p(const rn_op_ctx *ctx, double *p) {
  const rn_attr *pa = rn_node_attr(ctx->node, "p");
  *p = pa ? (pa->type == RN_ATTR_FLOAT ? pa->f : (double)pa->i) : 2;
  if (!(*p > 0) || *p > 1e6) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "p must be positive");
  return NULL;
}

/* Reads an INTS attribute of exactly n values (or `def` for every value
 * when absent), each in [lo, RN_NN_MAX_WINDOW_ATTR]. */
static rn_status *read_ints(const rn_op_ctx *ctx, const char *name, int n, int64_t def, int64_t lo,
                            int64_t *out) {
  const int64_t *v;
  int64_t cnt = rn_attr_ints(ctx->node, name, &v);
  if (cnt < 0) {
    for (int i = 0; i < n; i++) out[i] = def;
    return NULL;
  }
  if (cnt != n)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "attribute %s has %lld values, expected %d", name,
                       (long long)cnt, n);
  for (int i = 0; i < n; i++) {
    if (v[i] < lo || v[i] > RN_NN_MAX_WINDOW_ATTR)
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "attribute %s[%d] = %lld is out of range", name, i,
                         (long long)v[i]);
    out[i] = v[i];
  }
  return NULL;
}

rn_status *rn_nn_window_attrs(const rn_op_ctx *ctx, const rn_shape *x, const int64_t *weight_kernel,
                              bool dilations_allowed, rn_nn_window *w, int *auto_pad) {
  memset(w, 0, sizeof *w);
  if (x->rank < 3)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "input must have rank >= 3 (N, C, spatial...), got %d",
                       x->rank);
  int n = x->rank - 2;
  w->nsp = n;
  for (int i = 0; i < n; i++) w->in[i] = x->dims[i + 2];

  const int64_t *ks;
  int64_t nk = rn_attr_ints(ctx->node, "kernel_shape", &ks);
  if (nk >= 0) {
    RN_TRY(read_ints(ctx, "kernel_shape", n, 1, 1, w->kernel));
    if (weight_kernel)
      for (int i = 0; i < n; i++)
        if (w->kernel[i] != weight_kernel[i])
          return rn_op_error(ctx, RN_ERR_INVALID_MODEL,
                             "kernel_shape[%d] = %lld does not match the weight's %lld", i,
                             (long long)w->kernel[i], (long long)weight_kernel[i]);
  } else if (weight_kernel) {
    for (int i = 0; i < n; i++) {
      if (weight_kernel[i] < 1 || weight_kernel[i] > RN_NN_MAX_WINDOW_ATTR)
        return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "weight kernel dim %d is %lld", i,
                           (long long)weight_kernel[i]);
      w->kernel[i] = weight_kernel[i];
    }
  } else {
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "attribute kernel_shape is required");
  }
  RN_TRY(read_ints(ctx, "strides", n, 1, 1, w->stride));
  if (dilations_allowed) {
    RN_TRY(read_ints(ctx, "dilations", n, 1, 1, w->dilation));
  } else {
    if (rn_node_attr(ctx->node, "dilations"))
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "attribute dilations is not defined at opset %d",
                         ctx->opset);
    for (int i = 0; i < n; i++) w->dilation[i] = 1;
  }
  int64_t pads[2 * RN_MAX_RANK];
  RN_TRY(read_ints(ctx, "pads", 2 * n, 0, 0, pads));
  for (int i = 0; i < n; i++) {
    w->pad_begin[i] = pads[i];
    w->pad_end[i] = pads[i + n];
  }

  const char *ap = rn_attr_string(ctx->node, "auto_pad", "NOTSET");
  if (strcmp(ap, "NOTSET") == 0) *auto_pad = 0;
  else if (strcmp(ap, "SAME_UPPER") == 0) *auto_pad = 1;
  else if (strcmp(ap, "SAME_LOWER") == 0) *auto_pad = 2;
  else if (strcmp(ap, "VALID") == 0) *auto_pad = 3;
  else return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "auto_pad '%s' is not valid", ap);
  return NULL;
}

rn_status *rn_nn_window_init(const rn_op_ctx *ctx, const rn_shape *x, const int64_t *weight_kernel,
                             bool dilations_allowed, bool ceil_mode, rn_nn_window *w) {
  int auto_pad;
  RN_TRY(rn_nn_window_attrs(ctx, x, weight_kernel, dilations_allowed, w, &auto_pad));
  for (int i = 0; i < w->nsp; i++) {
    int64_t in = w->in[i], s = w->stride[i];
    int64_t dk = (w->kernel[i] - 1) * w->dilation[i] + 1; /* effective kernel extent */
    int64_t out;
    if (auto_pad == 1 || auto_pad == 2) {
      out = (in + s - 1) / s;
      int64_t total = (out - 1) * s + dk - in;
      if (total < 0) total = 0;
      /* SAME_UPPER puts the odd pad at the end, SAME_LOWER at the start. */
      w->pad_begin[i] = auto_pad == 1 ? total / 2 : total - total / 2;
      w->pad_end[i] = total - w->pad_begin[i];
    } else {
      if (auto_pad == 3) w->pad_begin[i] = w->pad_end[i] = 0;
      int64_t span = in + w->pad_begin[i] + w->pad_end[i] - dk;
      if (span < 0)
        return rn_op_error(ctx, RN_ERR_INVALID_MODEL,
                           "spatial dim %d: kernel extent %lld exceeds the padded input %lld", i,
                           (long long)dk, (long long)(in + w->pad_begin[i] + w->pad_end[i]));
      if (ceil_mode && auto_pad == 0) {
        out = (span + s - 1) / s + 1;
        /* The last window must start inside the input or its begin padding. */
        if ((out - 1) * s >= in + w->pad_begin[i]) out--;
      } else {
        out = span / s + 1;
      }
    }
    if (in == 0) out = 0;
    w->out[i] = out;
  }
  return NULL;
}
