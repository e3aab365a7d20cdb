/* GridSample (opset 16; 20+ names the modes linear/cubic): samples X
 * [N, C, H, W] at the normalized (x, y) points of grid [N, Ho, Wo, 2], as
 * PyTorch's grid_sample does: coordinates unnormalized per align_corners,
 * padding_mode zeros / border (clamp) / reflection, bicubic with A = -0.75
 * applying the padding to each of its 16 taps. Only 4-D inputs. */
#include <math.h>
#include <string.h>

#include "extra_ops.h"

enum { M_BILINEAR, M_NEAREST, M_BICUBIC };
enum { P_ZEROS, P_BORDER, P_REFLECTION };

typedef struct gs_params {
  int mode, pad;
  bool align;
} gs_params;

static rn_status *gs_attrs(const rn_op_ctx *ctx, gs_params *p) {
  const char *m = rn_attr_string(ctx->node, "mode", ctx->opset >= 20 ? "linear" : "bilinear");
  const char *pm = rn_attr_string(ctx->node, "padding_mode", "zeros");
  bool v20 = ctx->opset >= 20;
  if (!strcmp(m, v20 ? "linear" : "bilinear"))
    p->mode = M_BILINEAR;
  else if (!strcmp(m, "nearest"))
    p->mode = M_NEAREST;
  else if (!strcmp(m, v20 ? "cubic" : "bicubic"))
    p->mode = M_BICUBIC;
  else
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "unknown mode '%s'", m);
  if (!strcmp(pm, "zeros"))
    p->pad = P_ZEROS;
  else if (!strcmp(pm, "border"))
    p->pad = P_BORDER;
  else if (!strcmp(pm, "reflection"))
    p->pad = P_REFLECTION;
  else
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "unknown padding_mode '%s'", pm);
  p->align = rn_attr_int(ctx->node, "align_corners", 0) != 0;
  return NULL;
}

static rn_status *gs_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 2));
  gs_params p;
  RN_TRY(gs_attrs(ctx, &p));
  const rn_tensor *x = ctx->inputs[0], *g = ctx->inputs[1];
  RN_TRY(rn_xops_require_real(ctx, x, "X"));
  RN_TRY(rn_xops_require_real(ctx, g, "grid"));
  if (x->shape.rank != 4)
    return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "only 4-D inputs are supported (rank %d)",
                       x->shape.rank);
  if (g->shape.rank != 4 || g->shape.dims[0] != x->shape.dims[0] || g->shape.dims[3] != 2)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "grid must be [N, H_out, W_out, 2]");
  rn_shape out = {4, {x->shape.dims[0], x->shape.dims[1], g->shape.dims[1], g->shape.dims[2]}};
  RN_TRY(rn_op_check_shape(ctx, &out, x->dtype));
  rn_op_set_output(ctx, 0, x->dtype, &out);
  return NULL;
}

static double unnormalize(double c, int64_t size, bool align) {
  return align ? (c + 1) / 2 * (double)(size - 1) : ((c + 1) * (double)size - 1) / 2;
}

static double reflect(double v, double twice_lo, double twice_hi) {
  if (twice_lo == twice_hi) return 0;
  double mn = twice_lo / 2, span = (twice_hi - twice_lo) / 2;
  v = fabs(v - mn);
  double extra = fmod(v, span);
  double flips = floor(v / span);
  return fmod(flips, 2) == 0 ? extra + mn : span - extra + mn;
}

static double clampd(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }

/* Applies the padding mode to a pixel coordinate. */
static double pad_coord(double c, int64_t size, const gs_params *p) {
  if (p->pad == P_BORDER) return clampd(c, 0, (double)(size - 1));
  if (p->pad == P_REFLECTION) {
    c = p->align ? reflect(c, 0, 2.0 * (double)(size - 1)) : reflect(c, -1, 2.0 * (double)size - 1);
    return clampd(c, 0, (double)(size - 1));
  }
  return c;
}

/* Pixel (ix, iy) of one channel plane, 0 outside. */
static inline double pix(const void *x, rn_dtype dt, int64_t base, int64_t h, int64_t w,
                         int64_t iy, int64_t ix) {
  if (iy < 0 || iy >= h || ix < 0 || ix >= w) return 0;
  return rn_xops_getf(x, dt, base + iy * w + ix);
}

static void cubic_coeffs(double t, double *c) {
  const double a = -0.75;
  double x;
  x = t + 1, c[0] = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  x = t, c[1] = ((a + 2) * x - (a + 3)) * x * x + 1;
  x = 1 - t, c[2] = ((a + 2) * x - (a + 3)) * x * x + 1;
  x = 2 - t, c[3] = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
}

static rn_status *gs_run(rn_op_ctx *ctx) {
  gs_params p;
  RN_TRY(gs_attrs(ctx, &p));
  const rn_tensor *x = ctx->inputs[0], *g = ctx->inputs[1];
  rn_tensor *y = ctx->outputs[0];
  int64_t N = x->shape.dims[0], C = x->shape.dims[1], H = x->shape.dims[2], W = x->shape.dims[3];
  int64_t Ho = y->shape.dims[2], Wo = y->shape.dims[3];
  for (int64_t n = 0; n < N; n++)
    for (int64_t oy = 0; oy < Ho; oy++)
      for (int64_t ox = 0; ox < Wo; ox++) {
        int64_t gi = ((n * Ho + oy) * Wo + ox) * 2;
        double gx = rn_xops_getf(g->data, g->dtype, gi), gy = rn_xops_getf(g->data, g->dtype, gi + 1);
        double fx = unnormalize(gx, W, p.align), fy = unnormalize(gy, H, p.align);
        for (int64_t c = 0; c < C; c++) {
          int64_t base = (n * C + c) * H * W;
          double v = 0;
          if (p.mode == M_BICUBIC) {
            double x0 = floor(fx), y0 = floor(fy), cx[4], cy[4];
            cubic_coeffs(fx - x0, cx);
            cubic_coeffs(fy - y0, cy);
            for (int i = 0; i < 4; i++)
              for (int j = 0; j < 4; j++) {
                double px = pad_coord(x0 - 1 + j, W, &p), py = pad_coord(y0 - 1 + i, H, &p);
                if (px != px || py != py) continue;
                v += cy[i] * cx[j] *
                     pix(x->data, x->dtype, base, H, W, (int64_t)floor(py), (int64_t)floor(px));
              }
          } else {
            double px = pad_coord(fx, W, &p), py = pad_coord(fy, H, &p);
            if (px != px || py != py || fabs(px) > 1e15 || fabs(py) > 1e15) {
              v = 0; /* NaN or absurd coordinates sample padding */
            } else if (p.mode == M_NEAREST) {
              v = pix(x->data, x->dtype, base, H, W, (int64_t)rint(py), (int64_t)rint(px));
            } else {
              double x0 = floor(px), y0 = floor(py), lx = px - x0, ly = py - y0;
              int64_t ix = (int64_t)x0, iy = (int64_t)y0;
              v = (1 - ly) * ((1 - lx) * pix(x->data, x->dtype, base, H, W, iy, ix) +
                              lx * pix(x->data, x->dtype, base, H, W, iy, ix + 1)) +
                  ly * ((1 - lx) * pix(x->data, x->dtype, base, H, W, iy + 1, ix) +
                        lx * pix(x->data, x->dtype, base, H, W, iy + 1, ix + 1));
            }
          }
          rn_xops_setf(y->data, y->dtype, ((n * C + c) * Ho + oy) * Wo + ox, v);
        }
      }
  return NULL;
}

const rn_op_def rn_op_grid_sample = {
    .domain = "", .op_type = "GridSample", .since_version = 16, .max_version = 21,
    .min_inputs = 2, .max_inputs = 2, .min_outputs = 1, .max_outputs = 1, .infer = gs_infer,
    .run = gs_run,
};
