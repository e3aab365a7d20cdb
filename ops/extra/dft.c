/* DFT (opset 17; 20+ takes axis as an input) and STFT (opset 17): direct
 * O(n^2) transforms in double precision with a twiddle table. Complex values
 * are a trailing dim of 2 (a trailing 1 is a real signal). dft_length,
 * axis (20+), frame_step and frame_length set output shapes, so they must
 * be constant. */
#include <math.h>

#include "extra_ops.h"

/* Largest transform length (the twiddle table and line buffers are 32
 * bytes per point in the workspace). */
#define MAX_DFT_LEN ((int64_t)1 << 26)

/* One transform: y[k] = scale * sum_{j<n} x[j] e^{-+2 pi i jk/n}, k < bins;
 * x holds n complex values (interleaved re, im). tw holds cos, sin of
 * 2 pi m / n for m < n. */
static void dft_line(const double *x, int64_t n, int64_t bins, bool inverse, const double *tw,
                     double *y) {
  double sgn = inverse ? 1 : -1, scale = inverse ? 1.0 / (double)n : 1;
  for (int64_t k = 0; k < bins; k++) {
    double re = 0, im = 0;
    int64_t m = 0; /* (j * k) mod n, kept incrementally */
    for (int64_t j = 0; j < n; j++) {
      double c = tw[2 * m], s = sgn * tw[2 * m + 1];
      re += x[2 * j] * c - x[2 * j + 1] * s;
      im += x[2 * j] * s + x[2 * j + 1] * c;
      m += k;
      if (m >= n) m %= n;
    }
    y[2 * k] = re * scale;
    y[2 * k + 1] = im * scale;
  }
}

static void twiddles(double *tw, int64_t n) {
  for (int64_t m = 0; m < n; m++) {
    double a = 2 * M_PI * (double)m / (double)n;
    tw[2 * m] = cos(a);
    tw[2 * m + 1] = sin(a);
  }
}

static rn_status *const_scalar(const rn_op_ctx *ctx, int i, const char *what, int64_t *v) {
  const rn_tensor *t = ctx->inputs[i];
  if (!rn_op_is_index_dtype(t->dtype) || rn_shape_numel(&t->shape) != 1 || t->shape.rank > 1)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "%s must be an int scalar", what);
  if (!t->data) return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "input '%s' must be constant", what);
  *v = rn_tensor_get_int(t, 0);
  return NULL;
}

/* ---- DFT ---- */

typedef struct dft_geom {
  int axis;
  int64_t len, n, bins; /* input length on the axis, transform length, output bins */
  bool inverse;
  rn_shape out;
} dft_geom;

static rn_status *dft_geometry(const rn_op_ctx *ctx, dft_geom *g) {
  const rn_tensor *x = ctx->inputs[0];
  int r = x->shape.rank;
  if (r < 2 || (x->shape.dims[r - 1] != 1 && x->shape.dims[r - 1] != 2))
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "input must be [..., 1 or 2]");
  int64_t a = ctx->opset >= 20 ? -2 : rn_attr_int(ctx->node, "axis", 1);
  if (ctx->opset >= 20 && rn_op_input(ctx, 2)) RN_TRY(const_scalar(ctx, 2, "axis", &a));
  if (!rn_normalize_axis(a, r, &g->axis) || g->axis == r - 1)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "axis %lld out of range", (long long)a);
  g->len = x->shape.dims[g->axis];
  g->n = g->len;
  if (rn_op_input(ctx, 1)) {
    RN_TRY(const_scalar(ctx, 1, "dft_length", &g->n));
    if (g->n < 1) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "dft_length must be >= 1");
  }
  if (g->n > MAX_DFT_LEN)
    return rn_op_error(ctx, RN_ERR_LIMIT, "DFT length %lld is too large", (long long)g->n);
  g->inverse = rn_attr_int(ctx->node, "inverse", 0) != 0;
  bool onesided = rn_attr_int(ctx->node, "onesided", 0) != 0;
  g->bins = onesided ? g->n / 2 + 1 : g->n;
  g->out = x->shape;
  g->out.dims[g->axis] = g->bins;
  g->out.dims[r - 1] = 2;
  return NULL;
}

static rn_status *dft_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 1));
  const rn_tensor *x = ctx->inputs[0];
  RN_TRY(rn_xops_require_real(ctx, x, "input"));
  dft_geom g;
  RN_TRY(dft_geometry(ctx, &g));
  RN_TRY(rn_op_check_shape(ctx, &g.out, x->dtype));
  rn_op_set_output(ctx, 0, x->dtype, &g.out);
  return NULL;
}

static size_t dft_workspace(const rn_op_ctx *ctx) {
  dft_geom g;
  rn_status *st = dft_geometry(ctx, &g);
  if (st) {
    rn_status_free(st);
    return 0;
  }
  int64_t m = g.n > g.bins ? g.n : g.bins;
  return (size_t)(2 * g.n + 2 * g.n + 2 * m) * sizeof(double);
}

static rn_status *dft_run(rn_op_ctx *ctx) {
  const rn_tensor *x = ctx->inputs[0];
  rn_tensor *y = ctx->outputs[0];
  dft_geom g;
  RN_TRY(dft_geometry(ctx, &g));
  int r = x->shape.rank;
  int64_t cx = x->shape.dims[r - 1], outer = 1, inner = 1;
  for (int i = 0; i < g.axis; i++) outer *= x->shape.dims[i];
  for (int i = g.axis + 1; i < r - 1; i++) inner *= x->shape.dims[i];
  double *tw = ctx->workspace, *line = tw + 2 * g.n, *res = line + 2 * g.n;
  twiddles(tw, g.n);
  int64_t take = g.len < g.n ? g.len : g.n;
  for (int64_t o = 0; o < outer; o++)
    for (int64_t i = 0; i < inner; i++) {
      for (int64_t j = 0; j < g.n; j++) {
        int64_t xi = ((o * g.len + j) * inner + i) * cx;
        line[2 * j] = j < take ? rn_xops_getf(x->data, x->dtype, xi) : 0;
        line[2 * j + 1] = j < take && cx == 2 ? rn_xops_getf(x->data, x->dtype, xi + 1) : 0;
      }
      dft_line(line, g.n, g.bins, g.inverse, tw, res);
      for (int64_t k = 0; k < g.bins; k++) {
        int64_t yi = ((o * g.bins + k) * inner + i) * 2;
        rn_xops_setf(y->data, y->dtype, yi, res[2 * k]);
        rn_xops_setf(y->data, y->dtype, yi + 1, res[2 * k + 1]);
      }
    }
  return NULL;
}

const rn_op_def rn_op_dft = {
    .domain = "", .op_type = "DFT", .since_version = 17, .max_version = 21, .min_inputs = 1,
    .max_inputs = 3, .min_outputs = 1, .max_outputs = 1, .infer = dft_infer, .run = dft_run,
    .workspace = dft_workspace, .value_inputs = (1u << 1) | (1u << 2),
};

/* ---- STFT: signal [batch, length, 1 or 2], frame_step, [window], [frame_length] ---- */

typedef struct stft_geom {
  int64_t batch, len, cx, step, fl, frames, bins;
} stft_geom;

static rn_status *stft_geometry(const rn_op_ctx *ctx, stft_geom *g) {
  const rn_tensor *x = ctx->inputs[0], *w = rn_op_input(ctx, 2);
  if (x->shape.rank != 3 || (x->shape.dims[2] != 1 && x->shape.dims[2] != 2))
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "signal must be [batch, length, 1 or 2]");
  g->batch = x->shape.dims[0];
  g->len = x->shape.dims[1];
  g->cx = x->shape.dims[2];
  g->step = 0;
  RN_TRY(const_scalar(ctx, 1, "frame_step", &g->step));
  if (g->step < 1) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "frame_step must be >= 1");
  g->fl = -1;
  if (w) {
    if (w->shape.rank != 1 || w->dtype != x->dtype)
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "window must be 1-D of the signal's type");
    g->fl = w->shape.dims[0];
  }
  if (rn_op_input(ctx, 3)) {
    int64_t fl = 0;
    RN_TRY(const_scalar(ctx, 3, "frame_length", &fl));
    if (g->fl >= 0 && fl != g->fl)
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "frame_length differs from the window's length");
    g->fl = fl;
  }
  if (g->fl < 1)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "frame_length or a window is required (>= 1)");
  if (g->fl > g->len || g->fl > MAX_DFT_LEN)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "frame_length %lld exceeds the signal",
                       (long long)g->fl);
  g->frames = 1 + (g->len - g->fl) / g->step;
  bool onesided = rn_attr_int(ctx->node, "onesided", 1) != 0;
  g->bins = onesided ? g->fl / 2 + 1 : g->fl;
  return NULL;
}

static rn_status *stft_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 2));
  const rn_tensor *x = ctx->inputs[0];
  RN_TRY(rn_xops_require_real(ctx, x, "signal"));
  stft_geom g;
  RN_TRY(stft_geometry(ctx, &g));
  rn_shape out = {4, {g.batch, g.frames, g.bins, 2}};
  RN_TRY(rn_op_check_shape(ctx, &out, x->dtype));
  rn_op_set_output(ctx, 0, x->dtype, &out);
  return NULL;
}

static size_t stft_workspace(const rn_op_ctx *ctx) {
  stft_geom g = {0};
  rn_status *st = stft_geometry(ctx, &g);
  if (st) {
    rn_status_free(st);
    return 0;
  }
  return (size_t)(6 * g.fl) * sizeof(double);
}

static rn_status *stft_run(rn_op_ctx *ctx) {
  const rn_tensor *x = ctx->inputs[0], *w = rn_op_input(ctx, 2);
  rn_tensor *y = ctx->outputs[0];
  stft_geom g;
  RN_TRY(stft_geometry(ctx, &g));
  double *tw = ctx->workspace, *line = tw + 2 * g.fl, *res = line + 2 * g.fl;
  twiddles(tw, g.fl);
  for (int64_t b = 0; b < g.batch; b++)
    for (int64_t f = 0; f < g.frames; f++) {
      for (int64_t j = 0; j < g.fl; j++) {
        double wv = w ? rn_xops_getf(w->data, w->dtype, j) : 1;
        int64_t xi = (b * g.len + f * g.step + j) * g.cx;
        line[2 * j] = rn_xops_getf(x->data, x->dtype, xi) * wv;
        line[2 * j + 1] = g.cx == 2 ? rn_xops_getf(x->data, x->dtype, xi + 1) * wv : 0;
      }
      dft_line(line, g.fl, g.bins, false, tw, res);
      for (int64_t k = 0; k < g.bins; k++) {
        int64_t yi = ((b * g.frames + f) * g.bins + k) * 2;
        rn_xops_setf(y->data, y->dtype, yi, res[2 * k]);
        rn_xops_setf(y->data, y->dtype, yi + 1, res[2 * k + 1]);
      }
    }
  return NULL;
}

const rn_op_def rn_op_stft = {
    .domain = "", .op_type = "STFT", .since_version = 17, .max_version = 21, .min_inputs = 2,
    .max_inputs = 4, .min_outputs = 1, .max_outputs = 1, .infer = stft_infer, .run = stft_run,
    .workspace = stft_workspace, .value_inputs = (1u << 1) | (1u << 3),
};
