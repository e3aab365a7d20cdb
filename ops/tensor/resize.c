/* Resize (opsets 10, 11-12, 13-17, 18, 19+) and Upsample (7, 9): N-D
 * nearest / linear / cubic interpolation, separable per axis as in the ONNX
 * reference: each output coordinate maps to an input coordinate
 * (coordinate_transformation_mode), each axis contributes up to 4 taps, and
 * the output is the weighted sum over the product of the taps (in double).
 * Out-of-range taps clamp to the edge (or are dropped and renormalized with
 * exclude_outside). Antialiasing (opset 18) is not implemented. */
#include <math.h>
#include <string.h>

#include "tensor_ops.h"

enum { M_NEAREST, M_LINEAR, M_CUBIC };
enum { C_HALF_PIXEL, C_HALF_PIXEL_SYM, C_PYTORCH_HALF_PIXEL, C_ALIGN_CORNERS, C_ASYMMETRIC,
       C_TF_HALF_PIXEL_NN, C_TF_CROP_AND_RESIZE };
enum { N_ROUND_PREFER_FLOOR, N_ROUND_PREFER_CEIL, N_FLOOR, N_CEIL, N_SIMPLE };

typedef struct rs_params {
  int mode, coord, nearest;
  double cubic_a, extrap;
  bool exclude_outside;
  int rank;
  int n_axes;
  int axes[RN_MAX_RANK];          /* the axes scales/sizes/roi refer to */
  int64_t in[RN_MAX_RANK], out[RN_MAX_RANK];
  double scale[RN_MAX_RANK];      /* scale used by the coordinate transform */
} rs_params;

static rn_status *str_choice(const rn_op_ctx *ctx, const char *attr, const char *def,
                             const char *const *names, int n, int *out) {
  const char *s = rn_attr_string(ctx->node, attr, def);
  for (int i = 0; i < n; i++)
    if (!strcmp(s, names[i])) {
      *out = i;
      return NULL;
    }
  return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "unknown %s '%s'", attr, s);
}

/* Reads a constant float tensor's values (scales / roi). */
static rn_status *read_floats(const rn_op_ctx *ctx, const rn_tensor *t, const char *what,
                              double *vals, int max, int *n) {
  if (!t->data) return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "input '%s' must be constant", what);
  if (t->dtype != RN_DTYPE_FLOAT && t->dtype != RN_DTYPE_DOUBLE && t->dtype != RN_DTYPE_FLOAT16)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "input '%s' must be floating point", what);
  int64_t cnt = rn_shape_numel(&t->shape);
  if (t->shape.rank > 1 || cnt < 0 || cnt > max)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "input '%s' has a bad shape", what);
  for (int64_t i = 0; i < cnt; i++) vals[i] = rn_tensor_get_double(t, i);
  *n = (int)cnt;
  return NULL;
}

static bool is_upsample(const rn_op_ctx *ctx) { return ctx->node->op_type[0] == 'U'; }

static rn_status *rs_parse(const rn_op_ctx *ctx, rs_params *p) {
  const rn_tensor *x = ctx->inputs[0];
  bool up = is_upsample(ctx), old = up || ctx->opset < 11;
  memset(p, 0, sizeof *p);
  p->rank = x->shape.rank;
  if (p->rank < 1) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "input must have rank >= 1");
  for (int i = 0; i < p->rank; i++) {
    p->in[i] = p->out[i] = x->shape.dims[i];
    p->scale[i] = 1.0;
  }

  /* Attributes. */
  if (old) {
    const char *m = rn_attr_string(ctx->node, "mode", "nearest");
    if (!strcmp(m, "nearest")) p->mode = M_NEAREST;
    else if (!strcmp(m, "linear") || !strcmp(m, "bilinear")) p->mode = M_LINEAR;
    else return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "unknown mode '%s'", m);
    p->coord = C_ASYMMETRIC;
    p->nearest = N_SIMPLE; /* floor when upsampling, ceil when downsampling */
  } else {
    static const char *const modes[] = {"nearest", "linear", "cubic"};
    static const char *const coords[] = {"half_pixel", "half_pixel_symmetric",
                                         "pytorch_half_pixel", "align_corners", "asymmetric",
                                         "tf_half_pixel_for_nn", "tf_crop_and_resize"};
    static const char *const nmodes[] = {"round_prefer_floor", "round_prefer_ceil", "floor",
                                         "ceil"};
    RN_TRY(str_choice(ctx, "mode", "nearest", modes, 3, &p->mode));
    RN_TRY(str_choice(ctx, "coordinate_transformation_mode", "half_pixel", coords, 7, &p->coord));
    RN_TRY(str_choice(ctx, "nearest_mode", "round_prefer_floor", nmodes, 4, &p->nearest));
    p->cubic_a = rn_attr_float(ctx->node, "cubic_coeff_a", -0.75f);
    p->exclude_outside = rn_attr_int(ctx->node, "exclude_outside", 0) != 0;
    p->extrap = rn_attr_float(ctx->node, "extrapolation_value", 0.0f);
  }

  /* Axes (opset 18). */
  p->n_axes = p->rank;
  for (int i = 0; i < p->rank; i++) p->axes[i] = i;
  if (!old && ctx->opset >= 18) {
    const int64_t *av;
    int64_t na = rn_attr_ints(ctx->node, "axes", &av);
    if (na >= 0) {
      if (na > p->rank) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "too many axes");
      bool seen[RN_MAX_RANK] = {false};
      for (int i = 0; i < na; i++) {
        if (!rn_normalize_axis(av[i], p->rank, &p->axes[i]) || seen[p->axes[i]])
          return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "bad or repeated axis %lld",
                             (long long)av[i]);
        seen[p->axes[i]] = true;
      }
      p->n_axes = (int)na;
    }
  }

  /* Scales or sizes. */
  double scales[RN_MAX_RANK];
  int ns = -1;
  const rn_tensor *st = NULL, *sz = NULL;
  if (up && ctx->opset < 9) {
    const float *f;
    int64_t cnt = rn_attr_floats(ctx->node, "scales", &f);
    if (cnt < 0) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "attribute 'scales' is missing");
    if (cnt > RN_MAX_RANK) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "too many scales");
    ns = (int)cnt;
    for (int i = 0; i < ns; i++) scales[i] = f[i];
  } else {
    st = rn_op_input(ctx, old ? 1 : 2);
    sz = old ? NULL : rn_op_input(ctx, 3);
    if (st && rn_shape_numel(&st->shape) == 0) st = NULL; /* "" or empty: use sizes */
    if (sz && rn_shape_numel(&sz->shape) == 0) sz = NULL;
    if (st && sz) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "has both scales and sizes");
    if (!st && !sz) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "needs scales or sizes");
    if (st) RN_TRY(read_floats(ctx, st, "scales", scales, RN_MAX_RANK, &ns));
  }
  if (ns >= 0) {
    if (ns != p->n_axes)
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "%d scales for %d axes", ns, p->n_axes);
    for (int i = 0; i < ns; i++) {
      int a = p->axes[i];
      double s = scales[i], o = floor((double)p->in[a] * s);
      if (!(s > 0) || !(o < 4.0e18))
        return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "scale %g is invalid", s);
      p->scale[a] = s;
      p->out[a] = (int64_t)o;
    }
  } else {
    if (sz->dtype != RN_DTYPE_INT64)
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "input 'sizes' must be int64");
    int64_t sizes[RN_MAX_RANK];
    int n = 0;
    RN_TRY(rn_op_const_ints(ctx, sz, "sizes", sizes, RN_MAX_RANK, &n));
    if (n != p->n_axes)
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "%d sizes for %d axes", n, p->n_axes);
    for (int i = 0; i < n; i++)
      if (sizes[i] < 0) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "sizes[%d] is negative", i);
    const char *policy = ctx->opset >= 18 ? rn_attr_string(ctx->node, "keep_aspect_ratio_policy",
                                                           "stretch") : "stretch";
    bool smaller = !strcmp(policy, "not_larger"), larger = !strcmp(policy, "not_smaller");
    if (!smaller && !larger && strcmp(policy, "stretch"))
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "unknown keep_aspect_ratio_policy '%s'",
                         policy);
    if (smaller || larger) {
      double s = smaller ? INFINITY : 0;
      for (int i = 0; i < n; i++) {
        int64_t d = p->in[p->axes[i]];
        double r = d ? (double)sizes[i] / (double)d : 1.0;
        s = smaller ? fmin(s, r) : fmax(s, r);
      }
      for (int i = 0; i < n; i++) {
        int a = p->axes[i];
        double o = floor(s * (double)p->in[a] + 0.5);
        if (!(o < 4.0e18)) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "sizes too large");
        p->scale[a] = s;
        p->out[a] = (int64_t)o;
      }
    } else {
      for (int i = 0; i < n; i++) {
        int a = p->axes[i];
        p->out[a] = sizes[i];
        p->scale[a] = p->in[a] ? (double)sizes[i] / (double)p->in[a] : 1.0;
      }
    }
  }

  if (rn_attr_int(ctx->node, "antialias", 0) != 0 && !old && ctx->opset >= 18 &&
      p->mode != M_NEAREST)
    for (int i = 0; i < p->rank; i++)
      if (p->scale[i] < 1.0)
        return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "antialiased downscaling is not supported");
  if (p->mode != M_NEAREST && x->dtype == RN_DTYPE_BOOL)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "cannot interpolate bool");
  for (int i = 0; i < p->rank; i++)
    if (p->in[i] == 0 && p->out[i] > 0)
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "cannot resize an empty dim");
  return NULL;
}

static rn_status *resize_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 1));
  const rn_tensor *x = ctx->inputs[0];
  RN_TRY(rn_tops_check_fixed(ctx, x, "X"));
  rs_params p;
  RN_TRY(rs_parse(ctx, &p));
  rn_shape out = rn_shape_make(p.rank, p.out);
  RN_TRY(rn_op_check_shape(ctx, &out, x->dtype));
  rn_op_set_output(ctx, 0, x->dtype, &out);
  return NULL;
}

/* ---- one axis: output coordinate -> taps ---- */

typedef struct axis_taps {
  int n;
  bool extrapolate;
  int64_t off[4]; /* element offsets (index * stride) */
  double w[4];
} axis_taps;

static void cubic_coeffs(double r, double a, double *c) {
  double s = r + 1, t = 1 - r, u = 2 - r;
  c[0] = ((a * s - 5 * a) * s + 8 * a) * s - 4 * a;
  c[1] = ((a + 2) * r - (a + 3)) * r * r + 1;
  c[2] = ((a + 2) * t - (a + 3)) * t * t + 1;
  c[3] = ((a * u - 5 * a) * u + 8 * a) * u - 4 * a;
}

static void compute_taps(const rs_params *p, int ax, int64_t x, double roi_s, double roi_e,
                         int64_t stride, axis_taps *t) {
  int64_t in = p->in[ax];
  double scale = p->scale[ax];
  double len = scale * (double)in; /* the resized length as the reference computes it */
  double xo, xr = (double)x;
  t->extrapolate = false;
  switch (p->coord) {
    case C_HALF_PIXEL: xo = (xr + 0.5) / scale - 0.5; break;
    case C_HALF_PIXEL_SYM: {
      double adj = (double)p->out[ax] / len, center = (double)in / 2;
      xo = center * (1 - adj) + (xr + 0.5) / scale - 0.5;
      break;
    }
    case C_PYTORCH_HALF_PIXEL: xo = len > 1 ? (xr + 0.5) / scale - 0.5 : 0; break;
    case C_ALIGN_CORNERS: xo = len == 1 ? 0 : xr * (double)(in - 1) / (len - 1); break;
    case C_TF_HALF_PIXEL_NN: xo = (xr + 0.5) / scale; break;
    case C_TF_CROP_AND_RESIZE:
      xo = len > 1 ? roi_s * (double)(in - 1) + xr * (roi_e - roi_s) * (double)(in - 1) / (len - 1)
                   : 0.5 * (roi_s + roi_e) * (double)(in - 1);
      if (xo < 0 || xo > (double)(in - 1)) {
        t->extrapolate = true;
        t->n = 0;
        return;
      }
      break;
    default: xo = xr / scale; break;
  }
  if (!(xo > -1.0e15 && xo < 1.0e15)) xo = 0; /* NaN/inf from degenerate scales */
  double fl = floor(xo), r = xo - fl;
  int64_t i0 = (int64_t)fl;
  if (p->mode == M_NEAREST) {
    int64_t i = i0;
    if (r != 0) {
      switch (p->nearest) {
        case N_ROUND_PREFER_FLOOR: i = r <= 0.5 ? i0 : i0 + 1; break;
        case N_ROUND_PREFER_CEIL: i = r < 0.5 ? i0 : i0 + 1; break;
        case N_FLOOR: i = i0; break;
        case N_CEIL: i = i0 + 1; break;
        default: i = scale < 1 ? i0 + 1 : i0; break;
      }
    }
    t->n = 1;
    t->off[0] = (i < 0 ? 0 : i >= in ? in - 1 : i) * stride;
    t->w[0] = 1;
    return;
  }
  double c[4];
  int first, cnt;
  if (p->mode == M_LINEAR) {
    c[0] = 1 - r;
    c[1] = r;
    first = 0;
    cnt = 2;
  } else {
    cubic_coeffs(r, p->cubic_a, c);
    first = -1;
    cnt = 4;
  }
  if (p->exclude_outside) {
    double sum = 0;
    for (int k = 0; k < cnt; k++) {
      int64_t i = i0 + first + k;
      if (i < 0 || i >= in) c[k] = 0;
      sum += c[k];
    }
    if (sum != 0)
      for (int k = 0; k < cnt; k++) c[k] /= sum;
  }
  t->n = 0;
  for (int k = 0; k < cnt; k++) {
    if (c[k] == 0) continue; /* exact zeros add nothing */
    int64_t i = i0 + first + k;
    i = i < 0 ? 0 : i >= in ? in - 1 : i;
    t->off[t->n] = i * stride;
    t->w[t->n] = c[k];
    t->n++;
  }
  if (t->n == 0) { /* every weight was zero (all taps outside): contribute 0 */
    t->off[0] = (i0 < 0 ? 0 : i0 >= in ? in - 1 : i0) * stride;
    t->w[0] = 0;
    t->n = 1;
  }
}

static rn_status *resize_run(rn_op_ctx *ctx) {
  const rn_tensor *x = ctx->inputs[0];
  rn_tensor *y = ctx->outputs[0];
  rs_params p;
  RN_TRY(rs_parse(ctx, &p));
  int r = p.rank;
  double roi_s[RN_MAX_RANK], roi_e[RN_MAX_RANK];
  for (int i = 0; i < r; i++) {
    roi_s[i] = 0;
    roi_e[i] = 1;
  }
  if (p.coord == C_TF_CROP_AND_RESIZE) {
    const rn_tensor *rt = rn_op_input(ctx, 1);
    double roi[2 * RN_MAX_RANK];
    int n = 0;
    if (!rt) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "tf_crop_and_resize needs roi");
    RN_TRY(read_floats(ctx, rt, "roi", roi, 2 * RN_MAX_RANK, &n));
    if (n != 2 * p.n_axes)
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "roi has %d values for %d axes", n, p.n_axes);
    for (int i = 0; i < p.n_axes; i++) {
      roi_s[p.axes[i]] = roi[i];
      roi_e[p.axes[i]] = roi[p.n_axes + i];
    }
  }
  int64_t total = rn_shape_numel(&y->shape);
  if (total == 0) return NULL;
  size_t es = rn_dtype_size(x->dtype);
  int64_t xs[RN_MAX_RANK], pos[RN_MAX_RANK] = {0};
  rn_op_strides(&x->shape, xs);
  axis_taps taps[RN_MAX_RANK];
  for (int k = 0; k < r; k++) compute_taps(&p, k, 0, roi_s[k], roi_e[k], xs[k], &taps[k]);
  bool is_float = x->dtype == RN_DTYPE_FLOAT;
  bool is_int = x->dtype != RN_DTYPE_FLOAT && x->dtype != RN_DTYPE_DOUBLE &&
                x->dtype != RN_DTYPE_FLOAT16;
  const char *src = x->data;
  char *dst = y->data;
  for (int64_t e = 0; e < total; e++) {
    bool extrap = false;
    for (int k = 0; k < r; k++) extrap = extrap || taps[k].extrapolate;
    if (p.mode == M_NEAREST && !extrap) {
      int64_t off = 0;
      for (int k = 0; k < r; k++) off += taps[k].off[0];
      memcpy(dst + e * (int64_t)es, src + off * (int64_t)es, es);
    } else {
      double acc = p.extrap;
      if (!extrap) {
        /* Sum over the product of every axis' taps. */
        int t[RN_MAX_RANK] = {0};
        acc = 0;
        for (;;) {
          int64_t off = 0;
          double w = 1;
          for (int k = 0; k < r; k++) {
            off += taps[k].off[t[k]];
            w *= taps[k].w[t[k]];
          }
          acc += w * (is_float ? (double)((const float *)src)[off] : rn_tensor_get_double(x, off));
          int k = r - 1;
          for (; k >= 0; k--) {
            if (++t[k] < taps[k].n) break;
            t[k] = 0;
          }
          if (k < 0) break;
        }
      }
      if (is_float) ((float *)dst)[e] = (float)acc;
      else rn_store_double(dst, x->dtype, e, is_int ? nearbyint(acc) : acc);
    }
    for (int k = r - 1; k >= 0; k--) {
      if (++pos[k] < p.out[k]) {
        for (int j = k; j < r; j++) compute_taps(&p, j, pos[j], roi_s[j], roi_e[j], xs[j], &taps[j]);
        break;
      }
      pos[k] = 0;
    }
  }
  return NULL;
}

const rn_op_def rn_op_resize = {
    .domain = "", .op_type = "Resize", .since_version = 10, .max_version = 21,
    .min_inputs = 1, .max_inputs = 4, .min_outputs = 1, .max_outputs = 1,
    .infer = resize_infer, .run = resize_run,
    .value_inputs = (1u << 1) | (1u << 2) | (1u << 3),
};

const rn_op_def rn_op_upsample = {
    .domain = "", .op_type = "Upsample", .since_version = 7, .max_version = 9,
    .min_inputs = 1, .max_inputs = 2, .min_outputs = 1, .max_outputs = 1,
    .infer = resize_infer, .run = resize_run,
    .value_inputs = 1u << 1,
};
