/* Pad: modes constant / reflect / edge / wrap. pads are an attribute before
 * opset 11 ('paddings' at opset 1) and an input from 11; opset 18 adds an
 * axes input. Negative pads crop. Each output row copies its in-range middle
 * with one memcpy and maps the padded ends element by element. */
#include <string.h>

#include "tensor_ops.h"

enum { PAD_CONSTANT, PAD_REFLECT, PAD_EDGE, PAD_WRAP };

typedef struct pad_plan {
  int mode;
  int64_t begin[RN_MAX_RANK]; /* pads before each dim (negative: crop) */
  rn_shape out;
} pad_plan;

static rn_status *pad_plan_make(const rn_op_ctx *ctx, pad_plan *p) {
  const rn_tensor *x = ctx->inputs[0];
  int r = x->shape.rank;
  const char *mode = rn_attr_string(ctx->node, "mode", "constant");
  if (!strcmp(mode, "constant")) p->mode = PAD_CONSTANT;
  else if (!strcmp(mode, "reflect")) p->mode = PAD_REFLECT;
  else if (!strcmp(mode, "edge")) p->mode = PAD_EDGE;
  else if (!strcmp(mode, "wrap")) p->mode = PAD_WRAP;
  else return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "unknown mode '%s'", mode);

  int64_t pads[2 * RN_MAX_RANK];
  int n = 0;
  int axes[RN_MAX_RANK], na = r;
  for (int i = 0; i < r; i++) axes[i] = i;
  if (ctx->opset < 11) {
    const int64_t *v;
    int64_t cnt = rn_attr_ints(ctx->node, ctx->opset < 2 ? "paddings" : "pads", &v);
    if (cnt < 0) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "attribute 'pads' is missing");
    if (cnt > 2 * RN_MAX_RANK)
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "too many pads (%lld)", (long long)cnt);
    n = (int)cnt;
    for (int i = 0; i < n; i++) pads[i] = v[i];
  } else {
    if (!rn_op_input(ctx, 1)) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "input 'pads' is missing");
    RN_TRY(rn_op_const_ints(ctx, ctx->inputs[1], "pads", pads, 2 * RN_MAX_RANK, &n));
    const rn_tensor *at = ctx->opset >= 18 ? rn_op_input(ctx, 3) : NULL;
    if (at) {
      int64_t av[RN_MAX_RANK];
      RN_TRY(rn_op_const_ints(ctx, at, "axes", av, RN_MAX_RANK, &na));
      bool seen[RN_MAX_RANK] = {false};
      for (int i = 0; i < na; i++) {
        if (!rn_normalize_axis(av[i], r, &axes[i]) || seen[axes[i]])
          return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "bad or repeated axis %lld",
                             (long long)av[i]);
        seen[axes[i]] = true;
      }
    }
  }
  if (n != 2 * na)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "%d pads for %d axes", n, na);
  p->out = x->shape;
  for (int i = 0; i < r; i++) p->begin[i] = 0;
  for (int i = 0; i < na; i++) {
    int a = axes[i];
    int64_t d = x->shape.dims[a], b = pads[i], e = pads[na + i];
    /* Bounds keep every sum below in range; cropping past the dim is meaningless. */
    if (b < -d || e < -d || b > ((int64_t)1 << 40) || e > ((int64_t)1 << 40))
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "pads %lld,%lld out of range for dim %lld",
                         (long long)b, (long long)e, (long long)d);
    int64_t o = d + b + e;
    if (o < 0) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "pads make dim %d negative", a);
    if (p->mode != PAD_CONSTANT && d == 0 && o > 0)
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "cannot pad an empty dim in this mode");
    p->begin[a] = b;
    p->out.dims[a] = o;
  }
  return NULL;
}

static rn_status *pad_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 1));
  const rn_tensor *x = ctx->inputs[0];
  RN_TRY(rn_tops_check_fixed(ctx, x, "data"));
  const rn_tensor *cv = ctx->opset >= 11 ? rn_op_input(ctx, 2) : NULL;
  if (cv && (cv->dtype != x->dtype || rn_shape_numel(&cv->shape) > 1))
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "constant_value must be one %s",
                       rn_dtype_name(x->dtype));
  pad_plan p;
  RN_TRY(pad_plan_make(ctx, &p));
  RN_TRY(rn_op_check_shape(ctx, &p.out, x->dtype));
  rn_op_set_output(ctx, 0, x->dtype, &p.out);
  return NULL;
}

/* Source index for output index o, or -1 for the constant value. */
static int64_t src_index(int64_t o, int64_t b, int64_t d, int mode) {
  int64_t i = o - b;
  if (i >= 0 && i < d) return i;
  switch (mode) {
    case PAD_EDGE: return i < 0 ? 0 : d - 1;
    case PAD_WRAP: return ((i % d) + d) % d;
    case PAD_REFLECT: {
      if (d == 1) return 0;
      int64_t period = 2 * (d - 1);
      i = ((i % period) + period) % period;
      return i < d ? i : period - i;
    }
    default: return -1;
  }
}

static rn_status *pad_run(rn_op_ctx *ctx) {
  const rn_tensor *x = ctx->inputs[0];
  rn_tensor *y = ctx->outputs[0];
  pad_plan p;
  RN_TRY(pad_plan_make(ctx, &p));
  size_t es = rn_dtype_size(x->dtype);
  unsigned char value[16] = {0};
  const rn_tensor *cv = ctx->opset >= 11 ? rn_op_input(ctx, 2) : NULL;
  if (cv && rn_shape_numel(&cv->shape) == 1) memcpy(value, cv->data, es);
  else if (ctx->opset < 11)
    rn_store_double(value, x->dtype, 0, rn_attr_float(ctx->node, "value", 0.0f));

  int64_t total = rn_shape_numel(&p.out);
  if (total == 0) return NULL;
  int r = x->shape.rank;
  if (r == 0) {
    memcpy(y->data, x->data, es);
    return NULL;
  }
  int64_t xs[RN_MAX_RANK];
  rn_op_strides(&x->shape, xs);
  int64_t w = p.out.dims[r - 1], d = x->shape.dims[r - 1], b = p.begin[r - 1];
  /* The in-range middle of each row: output [lo, hi) <- input [lo - b, hi - b). */
  int64_t lo = b > 0 ? b : 0, hi = b + d < w ? b + d : w;
  if (hi < lo) hi = lo;
  int64_t rows = total / w, pos[RN_MAX_RANK] = {0};
  char *out = y->data;
  const char *in = x->data;
  for (int64_t row = 0; row < rows; row++, out += w * (int64_t)es) {
    int64_t off = 0;
    bool valid = true;
    for (int k = 0; k < r - 1 && valid; k++) {
      int64_t s = src_index(pos[k], p.begin[k], x->shape.dims[k], p.mode);
      if (s < 0) valid = false;
      else off += s * xs[k];
    }
    if (!valid) {
      rn_tops_fill(out, value, es, w);
    } else {
      const char *src = in + off * (int64_t)es;
      for (int64_t o = 0; o < lo; o++) {
        int64_t s = src_index(o, b, d, p.mode);
        memcpy(out + o * (int64_t)es, s < 0 ? (const char *)value : src + s * (int64_t)es, es);
      }
      if (hi > lo) memcpy(out + lo * (int64_t)es, src + (lo - b) * (int64_t)es, (size_t)(hi - lo) * es);
      for (int64_t o = hi; o < w; o++) {
        int64_t s = src_index(o, b, d, p.mode);
        memcpy(out + o * (int64_t)es, s < 0 ? (const char *)value : src + s * (int64_t)es, es);
      }
    }
    for (int k = r - 2; k >= 0; k--) {
      if (++pos[k] < p.out.dims[k]) break;
      pos[k] = 0;
    }
  }
  return NULL;
}

const rn_op_def rn_op_pad = {
    .domain = "", .op_type = "Pad", .since_version = 1, .max_version = 21,
    .min_inputs = 1, .max_inputs = 4, .min_outputs = 1, .max_outputs = 1,
    .infer = pad_infer, .run = pad_run,
    .value_inputs = (1u << 1) | (1u << 3),
};
