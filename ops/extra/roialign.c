/* RoiAlign (opset 10, 16): average (or max) of bilinear samples over each
 * output bin of each region of interest, following ONNX Runtime's kernel
 * (which ONNX's reference copies): samples more than one pixel outside the
 * image count as zero, the max mode takes the largest weighted corner.
 * coordinate_transformation_mode (16+) half_pixel shifts by -0.5;
 * output_half_pixel (opset 10's behaviour) does not and makes each ROI at
 * least 1x1. */
#include <math.h>
#include <string.h>

#include "extra_ops.h"

typedef struct ra_params {
  bool half_pixel, max_mode;
  int64_t oh, ow, sampling;
  float scale;
} ra_params;

static rn_status *ra_attrs(const rn_op_ctx *ctx, ra_params *p) {
  const char *ct = ctx->opset >= 16
                       ? rn_attr_string(ctx->node, "coordinate_transformation_mode", "half_pixel")
                       : "output_half_pixel";
  if (!strcmp(ct, "half_pixel"))
    p->half_pixel = true;
  else if (!strcmp(ct, "output_half_pixel"))
    p->half_pixel = false;
  else
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "unknown coordinate_transformation_mode '%s'", ct);
  const char *m = rn_attr_string(ctx->node, "mode", "avg");
  if (!strcmp(m, "avg"))
    p->max_mode = false;
  else if (!strcmp(m, "max"))
    p->max_mode = true;
  else
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "unknown mode '%s'", m);
  p->oh = rn_attr_int(ctx->node, "output_height", 1);
  p->ow = rn_attr_int(ctx->node, "output_width", 1);
  p->sampling = rn_attr_int(ctx->node, "sampling_ratio", 0);
  p->scale = rn_attr_float(ctx->node, "spatial_scale", 1.0f);
  if (p->oh < 1 || p->ow < 1 || p->oh > (1 << 24) || p->ow > (1 << 24))
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "output_height/width must be in 1..2^24");
  if (p->sampling < 0 || p->sampling > (1 << 16))
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "sampling_ratio must be in 0..65536");
  if (!isfinite(p->scale))
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "spatial_scale must be finite");
  return NULL;
}

static rn_status *ra_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 3));
  ra_params p;
  RN_TRY(ra_attrs(ctx, &p));
  const rn_tensor *x = ctx->inputs[0], *rois = ctx->inputs[1], *bi = ctx->inputs[2];
  RN_TRY(rn_xops_require_real(ctx, x, "X"));
  if (x->shape.rank != 4) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "X must be 4-D");
  if (rois->dtype != x->dtype || rois->shape.rank != 2 || rois->shape.dims[1] != 4)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "rois must be [num_rois, 4] of X's type");
  if (!rn_op_is_index_dtype(bi->dtype) || bi->shape.rank != 1 ||
      bi->shape.dims[0] != rois->shape.dims[0])
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "batch_indices must be an int [num_rois] tensor");
  rn_shape out = {4, {rois->shape.dims[0], x->shape.dims[1], p.oh, p.ow}};
  RN_TRY(rn_op_check_shape(ctx, &out, x->dtype));
  rn_op_set_output(ctx, 0, x->dtype, &out);
  return NULL;
}

/* Maximum samples per bin axis when sampling_ratio is 0 (adaptive): keeps
 * a hostile ROI from costing unbounded time. */
#define MAX_ADAPTIVE_GRID 4096

static rn_status *ra_run(rn_op_ctx *ctx) {
  ra_params p;
  RN_TRY(ra_attrs(ctx, &p));
  const rn_tensor *x = ctx->inputs[0], *rois = ctx->inputs[1], *bi = ctx->inputs[2];
  rn_tensor *y = ctx->outputs[0];
  int64_t N = x->shape.dims[0], C = x->shape.dims[1], H = x->shape.dims[2], W = x->shape.dims[3];
  int64_t R = rois->shape.dims[0];
  double off = p.half_pixel ? 0.5 : 0;
  for (int64_t r = 0; r < R; r++) {
    int64_t b = rn_tensor_get_int(bi, r);
    if (b < 0 || b >= N)
      return rn_op_error(ctx, RN_ERR_RUNTIME, "batch index %lld out of range", (long long)b);
    double sw = rn_xops_getf(rois->data, rois->dtype, r * 4) * p.scale - off;
    double sh = rn_xops_getf(rois->data, rois->dtype, r * 4 + 1) * p.scale - off;
    double ew = rn_xops_getf(rois->data, rois->dtype, r * 4 + 2) * p.scale - off;
    double eh = rn_xops_getf(rois->data, rois->dtype, r * 4 + 3) * p.scale - off;
    double rw = ew - sw, rh = eh - sh;
    if (!p.half_pixel) {
      if (rw < 1) rw = 1;
      if (rh < 1) rh = 1;
    }
    if (!isfinite(rw) || !isfinite(rh))
      return rn_op_error(ctx, RN_ERR_RUNTIME, "roi %lld is not finite", (long long)r);
    double bh = rh / (double)p.oh, bw = rw / (double)p.ow;
    double gh_d = p.sampling > 0 ? (double)p.sampling : ceil(rh / (double)p.oh);
    double gw_d = p.sampling > 0 ? (double)p.sampling : ceil(rw / (double)p.ow);
    if (gh_d > MAX_ADAPTIVE_GRID || gw_d > MAX_ADAPTIVE_GRID)
      return rn_op_error(ctx, RN_ERR_LIMIT, "roi %lld needs too many samples per bin", (long long)r);
    int64_t gh = gh_d > 0 ? (int64_t)gh_d : 0, gw = gw_d > 0 ? (int64_t)gw_d : 0;
    double count = gh * gw > 1 ? (double)(gh * gw) : 1;
    for (int64_t c = 0; c < C; c++) {
      int64_t base = (b * C + c) * H * W;
      for (int64_t ph = 0; ph < p.oh; ph++)
        for (int64_t pw = 0; pw < p.ow; pw++) {
          double acc = 0;
          bool first = true;
          for (int64_t iy = 0; iy < gh; iy++) {
            double yy = sh + (double)ph * bh + ((double)iy + 0.5) * bh / (double)gh;
            for (int64_t ix = 0; ix < gw; ix++) {
              double xx = sw + (double)pw * bw + ((double)ix + 0.5) * bw / (double)gw;
              double v1 = 0, v2 = 0, v3 = 0, v4 = 0, w1 = 0, w2 = 0, w3 = 0, w4 = 0;
              if (!(yy < -1.0 || yy > (double)H || xx < -1.0 || xx > (double)W) && H > 0 && W > 0) {
                double ty = yy <= 0 ? 0 : yy, tx = xx <= 0 ? 0 : xx;
                int64_t yl = (int64_t)ty, xl = (int64_t)tx, yh, xh;
                if (yl >= H - 1) yh = yl = H - 1, ty = (double)yl; else yh = yl + 1;
                if (xl >= W - 1) xh = xl = W - 1, tx = (double)xl; else xh = xl + 1;
                double ly = ty - (double)yl, lx = tx - (double)xl, hy = 1 - ly, hx = 1 - lx;
                w1 = hy * hx, w2 = hy * lx, w3 = ly * hx, w4 = ly * lx;
                v1 = rn_xops_getf(x->data, x->dtype, base + yl * W + xl);
                v2 = rn_xops_getf(x->data, x->dtype, base + yl * W + xh);
                v3 = rn_xops_getf(x->data, x->dtype, base + yh * W + xl);
                v4 = rn_xops_getf(x->data, x->dtype, base + yh * W + xh);
              }
              if (p.max_mode) {
                double m = fmax(fmax(fmax(w1 * v1, w2 * v2), w3 * v3), w4 * v4);
                acc = first ? m : fmax(acc, m);
                first = false;
              } else {
                acc += w1 * v1 + w2 * v2 + w3 * v3 + w4 * v4;
              }
            }
          }
          if (!p.max_mode) acc /= count;
          rn_xops_setf(y->data, y->dtype, ((r * C + c) * p.oh + ph) * p.ow + pw, acc);
        }
    }
  }
  return NULL;
}

const rn_op_def rn_op_roi_align = {
    .domain = "", .op_type = "RoiAlign", .since_version = 10, .max_version = 21,
    .min_inputs = 3, .max_inputs = 3, .min_outputs = 1, .max_outputs = 1, .infer = ra_infer,
    .run = ra_run,
};
