/* QuantizeLinear, DequantizeLinear (opset 10: per-tensor; 13+: per-axis with
 * a 1-D scale along `axis`) and DynamicQuantizeLinear (opset 11).
 * Quantize: y = saturate(round_half_even(x / scale) + zero_point).
 * Dequantize: y = (x - zero_point) * scale.
 * Quantized types: uint8, int8, and (opset 21) uint16, int16. Blocked
 * quantization (opset 21 block_size > 0) and float8/int4 are unsupported. */
#include <math.h>

#include "extra_ops.h"

static bool is_qtype(rn_dtype dt, int opset) {
  if (dt == RN_DTYPE_UINT8 || dt == RN_DTYPE_INT8) return true;
  return opset >= 21 && (dt == RN_DTYPE_UINT16 || dt == RN_DTYPE_INT16);
}

static void qrange(rn_dtype dt, double *lo, double *hi) {
  switch (dt) {
    case RN_DTYPE_INT8: *lo = -128, *hi = 127; break;
    case RN_DTYPE_UINT16: *lo = 0, *hi = 65535; break;
    case RN_DTYPE_INT16: *lo = -32768, *hi = 32767; break;
    case RN_DTYPE_INT32: *lo = -2147483648.0, *hi = 2147483647.0; break;
    default: *lo = 0, *hi = 255; break;
  }
}

/* The layout of scale / zero point against x: per-tensor (count 1) or
 * per-axis (x = [outer, count, inner]). */
typedef struct qaxis {
  int64_t outer, count, inner;
} qaxis;

static rn_status *qparams(const rn_op_ctx *ctx, const rn_tensor *x, const rn_tensor *scale,
                          const rn_tensor *zp, qaxis *q) {
  if (ctx->opset >= 21 && rn_attr_int(ctx->node, "block_size", 0) != 0)
    return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "blocked quantization is not supported");
  int64_t n = rn_shape_numel(&scale->shape);
  q->outer = 1;
  q->count = 1;
  q->inner = 1;
  if (n == 1 && scale->shape.rank <= 1) {
    q->inner = rn_shape_numel(&x->shape); /* per-tensor */
  } else if (ctx->opset >= 13 && scale->shape.rank == 1) {
    int axis;
    int64_t a = rn_attr_int(ctx->node, "axis", 1);
    if (!rn_normalize_axis(a, x->shape.rank, &axis))
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "axis %lld out of range for rank %d",
                         (long long)a, x->shape.rank);
    if (scale->shape.dims[0] != x->shape.dims[axis])
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "scale has %lld values, axis %d has %lld",
                         (long long)scale->shape.dims[0], axis, (long long)x->shape.dims[axis]);
    q->outer = 1;
    for (int i = 0; i < axis; i++) q->outer *= x->shape.dims[i];
    q->count = x->shape.dims[axis];
    for (int i = axis + 1; i < x->shape.rank; i++) q->inner *= x->shape.dims[i];
  } else {
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "scale must be a scalar%s",
                       ctx->opset >= 13 ? " or 1-D" : "");
  }
  if (zp && !rn_shape_equal(&zp->shape, &scale->shape) &&
      !(rn_shape_numel(&zp->shape) == 1 && n == 1))
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "zero point and scale shapes differ");
  return NULL;
}

/* ---- QuantizeLinear ---- */

static rn_status *quant_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 2));
  const rn_tensor *x = ctx->inputs[0], *s = ctx->inputs[1], *zp = rn_op_input(ctx, 2);
  if (!rn_xops_is_real(x->dtype) && x->dtype != RN_DTYPE_INT32)
    return rn_op_error(ctx, x->dtype == RN_DTYPE_FLOAT16 ? RN_ERR_UNSUPPORTED : RN_ERR_INVALID_MODEL,
                       "x has unsupported type %s", rn_dtype_name(x->dtype));
  if (!rn_xops_is_real(s->dtype))
    return rn_op_error(ctx, s->dtype == RN_DTYPE_FLOAT16 ? RN_ERR_UNSUPPORTED : RN_ERR_INVALID_MODEL,
                       "y_scale has unsupported type %s", rn_dtype_name(s->dtype));
  rn_dtype out = RN_DTYPE_UINT8;
  int64_t odt = ctx->opset >= 21 ? rn_attr_int(ctx->node, "output_dtype", 0) : 0;
  if (zp)
    out = zp->dtype;
  else if (odt)
    out = (rn_dtype)odt;
  if (zp && odt && odt != (int64_t)zp->dtype)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "output_dtype differs from y_zero_point's type");
  if (!is_qtype(out, ctx->opset))
    return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "quantized type %s is not supported",
                       rn_dtype_name(out));
  qaxis q;
  RN_TRY(qparams(ctx, x, s, zp, &q));
  rn_op_set_output(ctx, 0, out, &x->shape);
  return NULL;
}

static rn_status *quant_run(rn_op_ctx *ctx) {
  const rn_tensor *x = ctx->inputs[0], *s = ctx->inputs[1], *zp = rn_op_input(ctx, 2);
  rn_tensor *y = ctx->outputs[0];
  qaxis q;
  RN_TRY(qparams(ctx, x, s, zp, &q));
  double lo, hi;
  qrange(y->dtype, &lo, &hi);
  for (int64_t o = 0; o < q.outer; o++)
    for (int64_t c = 0; c < q.count; c++) {
      double sc = rn_xops_getf(s->data, s->dtype, c);
      double z = zp ? rn_tensor_get_double(zp, c) : 0;
      int64_t base = (o * q.count + c) * q.inner;
      for (int64_t i = 0; i < q.inner; i++) {
        double v;
        if (x->dtype == RN_DTYPE_FLOAT && s->dtype == RN_DTYPE_FLOAT)
          v = rintf(((const float *)x->data)[base + i] / (float)sc); /* as float32 math */
        else
          v = rint(rn_tensor_get_double(x, base + i) / sc);
        v += z;
        v = v != v ? 0 : v < lo ? lo : v > hi ? hi : v;
        rn_store_double(y->data, y->dtype, base + i, v);
      }
    }
  return NULL;
}

const rn_op_def rn_op_quantize_linear = {
    .domain = "", .op_type = "QuantizeLinear", .since_version = 10, .max_version = 21,
    .min_inputs = 2, .max_inputs = 3, .min_outputs = 1, .max_outputs = 1, .infer = quant_infer,
    .run = quant_run,
};

/* ---- DequantizeLinear ---- */

static rn_status *dequant_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 2));
  const rn_tensor *x = ctx->inputs[0], *s = ctx->inputs[1], *zp = rn_op_input(ctx, 2);
  if (!is_qtype(x->dtype, ctx->opset) && x->dtype != RN_DTYPE_INT32)
    return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "x has unsupported type %s",
                       rn_dtype_name(x->dtype));
  if (zp && zp->dtype != x->dtype)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "x_zero_point's type differs from x's");
  if (!rn_xops_is_real(s->dtype))
    return rn_op_error(ctx, s->dtype == RN_DTYPE_FLOAT16 ? RN_ERR_UNSUPPORTED : RN_ERR_INVALID_MODEL,
                       "x_scale has unsupported type %s", rn_dtype_name(s->dtype));
  qaxis q;
  RN_TRY(qparams(ctx, x, s, zp, &q));
  rn_op_set_output(ctx, 0, s->dtype, &x->shape);
  return NULL;
}

static rn_status *dequant_run(rn_op_ctx *ctx) {
  const rn_tensor *x = ctx->inputs[0], *s = ctx->inputs[1], *zp = rn_op_input(ctx, 2);
  rn_tensor *y = ctx->outputs[0];
  qaxis q;
  RN_TRY(qparams(ctx, x, s, zp, &q));
  for (int64_t o = 0; o < q.outer; o++)
    for (int64_t c = 0; c < q.count; c++) {
      double sc = rn_xops_getf(s->data, s->dtype, c);
      double z = zp ? rn_tensor_get_double(zp, c) : 0;
      int64_t base = (o * q.count + c) * q.inner;
      if (y->dtype == RN_DTYPE_FLOAT) {
        float *yd = (float *)y->data + base;
        for (int64_t i = 0; i < q.inner; i++)
          yd[i] = (float)(rn_tensor_get_double(x, base + i) - z) * (float)sc;
      } else {
        double *yd = (double *)y->data + base;
        for (int64_t i = 0; i < q.inner; i++) yd[i] = (rn_tensor_get_double(x, base + i) - z) * sc;
      }
    }
  return NULL;
}

const rn_op_def rn_op_dequantize_linear = {
    .domain = "", .op_type = "DequantizeLinear", .since_version = 10, .max_version = 21,
    .min_inputs = 2, .max_inputs = 3, .min_outputs = 1, .max_outputs = 1,
    .infer = dequant_infer, .run = dequant_run,
};

/* ---- DynamicQuantizeLinear: uint8 over [min(0, x), max(0, x)] ---- */

static rn_status *dynq_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 1));
  const rn_tensor *x = ctx->inputs[0];
  if (x->dtype != RN_DTYPE_FLOAT)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "x must be float, not %s",
                       rn_dtype_name(x->dtype));
  rn_shape scalar = {0, {0}};
  rn_op_set_output(ctx, 0, RN_DTYPE_UINT8, &x->shape);
  rn_op_set_output(ctx, 1, RN_DTYPE_FLOAT, &scalar);
  rn_op_set_output(ctx, 2, RN_DTYPE_UINT8, &scalar);
  return NULL;
}

static float clampf(float v, float lo, float hi) {
  return v != v ? 0 : v < lo ? lo : v > hi ? hi : v;
}

static rn_status *dynq_run(rn_op_ctx *ctx) {
  const rn_tensor *x = ctx->inputs[0];
  const float *xd = x->data;
  int64_t n = rn_shape_numel(&x->shape);
  float mn = 0, mx = 0;
  for (int64_t i = 0; i < n; i++) {
    if (xd[i] < mn) mn = xd[i];
    if (xd[i] > mx) mx = xd[i];
  }
  float scale = (mx - mn) / 255.0f;
  float zp = scale > 0 ? clampf(rintf((0 - mn) / scale), 0, 255) : 0;
  uint8_t *y = ctx->outputs[0]->data;
  for (int64_t i = 0; i < n; i++)
    y[i] = scale > 0 ? (uint8_t)clampf(rintf(xd[i] / scale) + zp, 0, 255) : 0;
  rn_tensor *ys = rn_op_output(ctx, 1), *yz = rn_op_output(ctx, 2);
  if (ys) *(float *)ys->data = scale;
  if (yz) *(uint8_t *)yz->data = (uint8_t)zp;
  return NULL;
}

const rn_op_def rn_op_dynamic_quantize_linear = {
    .domain = "", .op_type = "DynamicQuantizeLinear", .since_version = 11, .max_version = 21,
    .min_inputs = 1, .max_inputs = 1, .min_outputs = 1, .max_outputs = 3, .infer = dynq_infer,
    .run = dynq_run,
};
