/* Conv (opsets 1..21): 1-D/2-D/3-D (any spatial rank), groups, dilations,
 * pads/auto_pad, optional bias; float and double.
 *
 * Three paths: 1x1/stride-1/no-pad convolutions are one GEMM per image and
 * group straight on the input; depthwise convolutions (one input channel per
 * group) run a direct sliding-window kernel; everything else im2col's chunks
 * of output positions into the workspace and multiplies by the weight. */
#include "nn_ops.h"

#include <string.h>

/* im2col chunks are capped at this many elements (16 MiB of float). */
#define CONV_COL_CAP ((int64_t)1 << 22)

typedef struct conv_geom {
  rn_nn_window w;
  int64_t n, c, m, group;
  int64_t cg, mg;           /* input / output channels per group */
  int64_t in_sp, out_sp;    /* spatial element counts */
  int64_t ksz;              /* kernel elements per channel */
  int64_t kdim;             /* GEMM depth: cg * ksz */
  int64_t chunk;            /* output positions per im2col chunk */
  bool pointwise, depthwise;
} conv_geom;

static rn_status *conv_geom_get(const rn_op_ctx *ctx, conv_geom *g) {
  RN_TRY(rn_nn_require_inputs(ctx, 2));
  const rn_tensor *x = ctx->inputs[0], *wt = ctx->inputs[1], *b = rn_op_input(ctx, 2);
  RN_TRY(rn_nn_require_real(ctx, x, "input X"));
  if (wt->dtype != x->dtype || (b && b->dtype != x->dtype))
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "X, W and B must have the same element type");
  if (x->shape.rank < 3 || wt->shape.rank != x->shape.rank)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "X (rank %d) and W (rank %d) must have the same rank >= 3",
                       x->shape.rank, wt->shape.rank);
  memset(g, 0, sizeof *g);
  g->n = x->shape.dims[0];
  g->c = x->shape.dims[1];
  g->m = wt->shape.dims[0];
  g->group = rn_attr_int(ctx->node, "group", 1);
  if (g->group < 1 || g->c % g->group != 0 || g->m % g->group != 0)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "group %lld must divide the %lld input and %lld output channels",
                       (long long)g->group, (long long)g->c, (long long)g->m);
  g->cg = g->c / g->group;
  g->mg = g->m / g->group;
  if (wt->shape.dims[1] != g->cg)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "W has %lld input channels per group, expected %lld",
                       (long long)wt->shape.dims[1], (long long)g->cg);
  if (b && (b->shape.rank != 1 || b->shape.dims[0] != g->m))
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "B must be a vector of %lld values", (long long)g->m);
  RN_TRY(rn_nn_window_init(ctx, &x->shape, wt->shape.dims + 2, true, false, &g->w));
  int nsp = g->w.nsp;
  g->in_sp = rn_nn_prod(g->w.in, nsp);
  g->ksz = rn_nn_prod(g->w.kernel, nsp);
  g->kdim = g->cg * g->ksz; /* W's element count bounds it: no overflow */
  rn_shape ys;
  ys.rank = x->shape.rank;
  ys.dims[0] = g->n;
  ys.dims[1] = g->m;
  for (int i = 0; i < nsp; i++) ys.dims[i + 2] = g->w.out[i];
  if (rn_shape_numel(&ys) < 0) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "output size overflows");
  g->out_sp = rn_nn_prod(g->w.out, nsp);
  g->pointwise = true;
  for (int i = 0; i < nsp; i++)
    if (g->w.kernel[i] != 1 || g->w.stride[i] != 1 || g->w.pad_begin[i] != 0 || g->w.pad_end[i] != 0)
      g->pointwise = false;
  g->depthwise = !g->pointwise && g->cg == 1 && g->group > 1;
  g->chunk = g->out_sp;
  if (g->kdim > 0 && g->out_sp > CONV_COL_CAP / g->kdim) {
    g->chunk = CONV_COL_CAP / g->kdim;
    if (g->chunk < 1) g->chunk = 1;
  }
  return NULL;
}

rn_status *rn_nn_conv_infer(rn_op_ctx *ctx) {
  conv_geom g;
  RN_TRY(conv_geom_get(ctx, &g));
  rn_shape ys = ctx->inputs[0]->shape;
  ys.dims[1] = g.m;
  for (int i = 0; i < g.w.nsp; i++) ys.dims[i + 2] = g.w.out[i];
  rn_op_set_output(ctx, 0, ctx->inputs[0]->dtype, &ys);
  return NULL;
}

size_t rn_nn_conv_workspace(const rn_op_ctx *ctx) {
  conv_geom g;
  rn_status *st = conv_geom_get(ctx, &g);
  if (st) {
    rn_status_free(st);
    return 0;
  }
  if (g.depthwise) return 0;
  rn_dtype dt = ctx->inputs[0]->dtype;
  size_t ws = rn_nn_gemm_workspace(dt);
  if (!g.pointwise) ws += rn_nn_align64((size_t)(g.kdim * g.chunk) * rn_dtype_size(dt));
  return ws;
}

/* Valid range [*lo, *hi) of o in [0, n) with 0 <= o*s + base < in. */
static void valid_range(int64_t base, int64_t s, int64_t in, int64_t n, int64_t *lo, int64_t *hi) {
  int64_t l = base >= 0 ? 0 : (-base + s - 1) / s;
  int64_t h = in - 1 - base >= 0 ? (in - 1 - base) / s + 1 : 0;
  if (h > n) h = n;
  if (l > h) l = h;
  *lo = l;
  *hi = h;
}

/* Offset of the input line (all spatial dims but the last) that output line
 * `o` (nsp - 1 dims) reads at kernel offset `k`, or -1 if it is padding. */
static int64_t in_line_offset(const rn_nn_window *w, const int64_t *o, const int64_t *k) {
  int64_t off = 0;
  for (int d = 0; d < w->nsp - 1; d++) {
    int64_t i = o[d] * w->stride[d] - w->pad_begin[d] + k[d] * w->dilation[d];
    if (i < 0 || i >= w->in[d]) return -1;
    off = off * w->in[d] + i;
  }
  return off;
}

#define CONV_DEFINE(T, DT, SUF, GEMM)                                                              \
  /* y[0:n] += a * x[0:n]; blocks of 8 with restrict so that -O2 vectorizes it. */                \
  static void axpy_##SUF(int64_t n, T a, const T *restrict x, T *restrict y) {                    \
    int64_t j = 0;                                                                                \
    for (; j + 8 <= n; j += 8)                                                                    \
      for (int t = 0; t < 8; t++) y[j + t] += a * x[j + t];                                       \
    for (; j < n; j++) y[j] += a * x[j];                                                          \
  }                                                                                               \
                                                                                                  \
  /* col[r * len + j], r = (ci, kernel index), j = output position p0 + j. */                       \
  static void im2col_##SUF(const conv_geom *g, const T *x, int64_t p0, int64_t len, T *col) {     \
    const rn_nn_window *w = &g->w;                                                                \
    int last = w->nsp - 1;                                                                        \
    int64_t out_last = w->out[last], in_last = w->in[last], s = w->stride[last];                  \
    int64_t k[RN_MAX_RANK];                                                                       \
    for (int64_t ci = 0; ci < g->cg; ci++) {                                                      \
      const T *xc = x + ci * g->in_sp;                                                            \
      memset(k, 0, sizeof k);                                                                     \
      do {                                                                                        \
        T *dst = col;                                                                             \
        col += len;                                                                               \
        int64_t o[RN_MAX_RANK], rest = p0;                                                        \
        for (int d = last; d >= 0; d--) {                                                         \
          o[d] = rest % w->out[d];                                                                \
          rest /= w->out[d];                                                                      \
        }                                                                                         \
        int64_t base = k[last] * w->dilation[last] - w->pad_begin[last];                          \
        for (int64_t left = len; left > 0;) {                                                     \
          int64_t seg = out_last - o[last] < left ? out_last - o[last] : left;                    \
          int64_t off = in_line_offset(w, o, k);                                                  \
          if (off < 0) {                                                                          \
            memset(dst, 0, (size_t)seg * sizeof(T));                                              \
          } else {                                                                                \
            const T *line = xc + off * in_last;                                                   \
            int64_t lo, hi, a = o[last], e = o[last] + seg;                                       \
            valid_range(base, s, in_last, out_last, &lo, &hi);                                    \
            if (lo < a) lo = a;                                                                   \
            if (hi > e) hi = e;                                                                   \
            if (hi < lo) hi = lo;                                                                 \
            int64_t j = a;                                                                        \
            for (; j < lo && j < e; j++) dst[j - a] = 0;                                          \
            if (s == 1) {                                                                         \
              if (hi > lo) memcpy(dst + (lo - a), line + lo + base, (size_t)(hi - lo) * sizeof(T)); \
            } else {                                                                              \
              for (j = lo; j < hi; j++) dst[j - a] = line[j * s + base];                          \
            }                                                                                     \
            for (j = hi > a ? hi : a; j < e; j++) dst[j - a] = 0;                                 \
          }                                                                                       \
          dst += seg;                                                                             \
          left -= seg;                                                                            \
          o[last] += seg;                                                                         \
          if (o[last] == out_last) {                                                              \
            o[last] = 0;                                                                          \
            rn_nn_odometer_next(o, w->out, last);                                                 \
          }                                                                                       \
        }                                                                                         \
      } while (rn_nn_odometer_next(k, w->kernel, w->nsp));                                        \
    }                                                                                             \
  }                                                                                               \
                                                                                                  \
  /* One output channel of a depthwise convolution: y += W (*) x, on one channel. */              \
  static void depthwise_##SUF(const conv_geom *g, const T *x, const T *wk, T *y) {                \
    const rn_nn_window *w = &g->w;                                                                \
    int last = w->nsp - 1;                                                                        \
    int64_t out_last = w->out[last], in_last = w->in[last], s = w->stride[last];                  \
    int64_t o[RN_MAX_RANK] = {0};                                                                 \
    do {                                                                                          \
      int64_t k[RN_MAX_RANK] = {0};                                                               \
      const T *wp = wk;                                                                           \
      do {                                                                                        \
        const T wv = *wp++;                                                                       \
        int64_t off = in_line_offset(w, o, k);                                                    \
        if (off < 0 || wv == 0) continue;                                                         \
        const T *line = x + off * in_last;                                                        \
        int64_t base = k[last] * w->dilation[last] - w->pad_begin[last], lo, hi;                  \
        valid_range(base, s, in_last, out_last, &lo, &hi);                                        \
        if (s == 1) {                                                                             \
          axpy_##SUF(hi - lo, wv, line + base + lo, y + lo);                                      \
        } else {                                                                                  \
          for (int64_t j = lo; j < hi; j++) y[j] += wv * line[j * s + base];                      \
        }                                                                                         \
      } while (rn_nn_odometer_next(k, w->kernel, w->nsp));                                        \
      y += out_last;                                                                              \
    } while (rn_nn_odometer_next(o, w->out, last));                                               \
  }                                                                                               \
                                                                                                  \
  static void conv_run_##SUF(const conv_geom *g, const T *x, const T *wt, const T *bias, T *y,    \
                             void *work) {                                                        \
    for (int64_t b = 0; b < g->n; b++) {                                                          \
      for (int64_t gi = 0; gi < g->group; gi++) {                                                 \
        const T *xg = x + (b * g->c + gi * g->cg) * g->in_sp;                                     \
        const T *wg = wt + gi * g->mg * g->kdim;                                                  \
        T *yg = y + (b * g->m + gi * g->mg) * g->out_sp;                                          \
        if (g->depthwise) {                                                                       \
          memset(yg, 0, (size_t)(g->mg * g->out_sp) * sizeof(T));                                 \
          for (int64_t mi = 0; mi < g->mg; mi++)                                                  \
            depthwise_##SUF(g, xg, wg + mi * g->ksz, yg + mi * g->out_sp);                        \
        } else if (g->pointwise) {                                                                \
          GEMM(g->mg, g->out_sp, g->cg, 1, wg, g->kdim, 1, xg, g->in_sp, 1, 0, yg, g->out_sp, work); \
        } else {                                                                                  \
          /* the im2col buffer follows the GEMM's packing buffer */                             \
          T *col = (T *)((char *)work + rn_nn_gemm_workspace(DT));                                \
          for (int64_t p0 = 0; p0 < g->out_sp; p0 += g->chunk) {                                  \
            int64_t len = g->out_sp - p0 < g->chunk ? g->out_sp - p0 : g->chunk;                  \
            im2col_##SUF(g, xg, p0, len, col);                                                    \
            GEMM(g->mg, len, g->kdim, 1, wg, g->kdim, 1, col, len, 1, 0, yg + p0, g->out_sp, work); \
          }                                                                                       \
        }                                                                                         \
      }                                                                                           \
      if (bias) {                                                                                 \
        for (int64_t oc = 0; oc < g->m; oc++) {                                                   \
          T *yc = y + (b * g->m + oc) * g->out_sp;                                                \
          const T bv = bias[oc];                                                                  \
          for (int64_t j = 0; j < g->out_sp; j++) yc[j] += bv;                                    \
        }                                                                                         \
      }                                                                                           \
    }                                                                                             \
  }

CONV_DEFINE(float, RN_DTYPE_FLOAT, f32, rn_nn_sgemm)
CONV_DEFINE(double, RN_DTYPE_DOUBLE, f64, rn_nn_dgemm)

rn_status *rn_nn_conv_run(rn_op_ctx *ctx) {
  conv_geom g;
  RN_TRY(conv_geom_get(ctx, &g));
  const rn_tensor *x = ctx->inputs[0], *wt = ctx->inputs[1], *b = rn_op_input(ctx, 2);
  rn_tensor *y = ctx->outputs[0];
  if (g.out_sp == 0 || g.n == 0 || g.m == 0) return NULL;
  if (g.kdim == 0) { /* no input channels: the output is the bias */
    memset(y->data, 0, y->nbytes);
    g.group = 0; /* skip the products, keep the bias loop */
  }
  if (x->dtype == RN_DTYPE_FLOAT)
    conv_run_f32(&g, x->data, wt->data, b ? b->data : NULL, y->data, ctx->workspace);
  else
    conv_run_f64(&g, x->data, wt->data, b ? b->data : NULL, y->data, ctx->workspace);
  return NULL;
}

const rn_op_def rn_op_conv = {
    .domain = "",
    .op_type = "Conv",
    .since_version = 1,
    .max_version = 21,
    .min_inputs = 2,
    .max_inputs = 3,
    .min_outputs = 1,
    .max_outputs = 1,
    .infer = rn_nn_conv_infer,
    .run = rn_nn_conv_run,
    .workspace = rn_nn_conv_workspace,
};
