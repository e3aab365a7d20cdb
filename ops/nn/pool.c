/* MaxPool (1..21, optional Indices), AveragePool (1..21) and LpPool (1..21):
 * any spatial rank, strides, dilations, pads/auto_pad, ceil_mode.
 * MaxPool handles float, double, int8 and uint8; the others float and double. */
#include "nn_ops.h"

#include <math.h>
#include <string.h>

enum { POOL_MAX, POOL_AVG, POOL_LP };

typedef struct pool_geom {
  rn_nn_window w;
  int64_t planes;          /* N * C */
  int64_t in_sp, out_sp;
  bool count_include_pad;
  bool col_major;          /* MaxPool storage_order 1 */
  double p;                /* LpPool exponent */
} pool_geom;

static rn_status *pool_geom_get(const rn_op_ctx *ctx, int kind, pool_geom *g) {
  RN_TRY(rn_nn_require_inputs(ctx, 1));
  const rn_tensor *x = ctx->inputs[0];
  rn_dtype dt = x->dtype;
  if (kind == POOL_MAX && (dt == RN_DTYPE_INT8 || dt == RN_DTYPE_UINT8)) {
    if (ctx->opset < 12)
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "int8/uint8 inputs need opset 12");
  } else {
    RN_TRY(rn_nn_require_real(ctx, x, "input X"));
  }
  memset(g, 0, sizeof *g);
  int64_t ceil_mode = rn_attr_int(ctx->node, "ceil_mode", 0);
  if (ceil_mode != 0 && ceil_mode != 1)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "ceil_mode must be 0 or 1");
  RN_TRY(rn_nn_window_init(ctx, &x->shape, NULL, true, ceil_mode == 1, &g->w));
  int64_t cip = rn_attr_int(ctx->node, "count_include_pad", 0);
  if (cip != 0 && cip != 1) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "count_include_pad must be 0 or 1");
  g->count_include_pad = cip == 1;
  int64_t so = rn_attr_int(ctx->node, "storage_order", 0);
  if (so != 0 && so != 1) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "storage_order must be 0 or 1");
  g->col_major = so == 1;
  if (kind == POOL_LP) RN_TRY(rn_nn_lp_p(ctx, &g->p));
  g->planes = x->shape.dims[0] * x->shape.dims[1];
  g->in_sp = rn_nn_prod(g->w.in, g->w.nsp);
  rn_shape ys = x->shape;
  for (int i = 0; i < g->w.nsp; i++) ys.dims[i + 2] = g->w.out[i];
  if (rn_shape_numel(&ys) < 0) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "output size overflows");
  g->out_sp = rn_nn_prod(g->w.out, g->w.nsp);
  return NULL;
}

static rn_status *pool_infer(rn_op_ctx *ctx, int kind) {
  pool_geom g;
  RN_TRY(pool_geom_get(ctx, kind, &g));
  rn_shape ys = ctx->inputs[0]->shape;
  for (int i = 0; i < g.w.nsp; i++) ys.dims[i + 2] = g.w.out[i];
  rn_op_set_output(ctx, 0, ctx->inputs[0]->dtype, &ys);
  if (kind == POOL_MAX) rn_op_set_output(ctx, 1, RN_DTYPE_INT64, &ys);
  return NULL;
}

/* The window of output position o: for each dim, the kernel offsets
 * [klo, khi) that land inside the input, and the window start. Returns the
 * number of kernel positions inside the padded input (count_include_pad). */
static int64_t pool_window(const rn_nn_window *w, const int64_t *o, int64_t *start, int64_t *klo,
                           int64_t *khi) {
  int64_t padded = 1;
  for (int d = 0; d < w->nsp; d++) {
    int64_t st = o[d] * w->stride[d] - w->pad_begin[d], dil = w->dilation[d], k = w->kernel[d];
    int64_t lo = st >= 0 ? 0 : (-st + dil - 1) / dil;
    int64_t hi = w->in[d] - 1 - st >= 0 ? (w->in[d] - 1 - st) / dil + 1 : 0;
    if (hi > k) hi = k;
    if (lo > hi) lo = hi;
    start[d] = st;
    klo[d] = lo;
    khi[d] = hi;
    /* positions inside [-pad_begin, in + pad_end) */
    int64_t pst = st + w->pad_begin[d], plim = w->in[d] + w->pad_begin[d] + w->pad_end[d];
    int64_t phi = plim - 1 - pst >= 0 ? (plim - 1 - pst) / dil + 1 : 0;
    if (phi > k) phi = k;
    padded *= phi;
  }
  return padded;
}

/* Walks the in-input part of one window: calls BODY with `off` the input
 * offset (row-major) and `idx` the per-dim input index. */
#define POOL_FOR_WINDOW(w, start, klo, khi, BODY)                                                  \
  do {                                                                                            \
    int64_t k_[RN_MAX_RANK], idx[RN_MAX_RANK];                                                     \
    bool empty_ = false;                                                                          \
    for (int d_ = 0; d_ < (w)->nsp; d_++) {                                                       \
      k_[d_] = klo[d_];                                                                           \
      if (klo[d_] >= khi[d_]) empty_ = true;                                                      \
    }                                                                                             \
    while (!empty_) {                                                                             \
      int64_t off = 0;                                                                            \
      for (int d_ = 0; d_ < (w)->nsp; d_++) {                                                     \
        idx[d_] = start[d_] + k_[d_] * (w)->dilation[d_];                                         \
        off = off * (w)->in[d_] + idx[d_];                                                        \
      }                                                                                           \
      BODY;                                                                                       \
      int d_ = (w)->nsp - 1;                                                                      \
      for (; d_ >= 0; d_--) {                                                                     \
        if (++k_[d_] < khi[d_]) break;                                                            \
        k_[d_] = klo[d_];                                                                         \
      }                                                                                           \
      if (d_ < 0) break;                                                                          \
    }                                                                                             \
  } while (0)

#define MAXPOOL_DEFINE(T, SUF)                                                                    \
  static void maxpool_##SUF(const pool_geom *g, const T *x, T *y, int64_t *ind) {                 \
    const rn_nn_window *w = &g->w;                                                                \
    for (int64_t pl = 0; pl < g->planes; pl++) {                                                  \
      const T *xp = x + pl * g->in_sp;                                                            \
      int64_t o[RN_MAX_RANK] = {0};                                                               \
      for (int64_t p = 0; p < g->out_sp; p++) {                                                   \
        int64_t start[RN_MAX_RANK], klo[RN_MAX_RANK], khi[RN_MAX_RANK];                           \
        pool_window(w, o, start, klo, khi);                                                       \
        T best = 0;                                                                               \
        int64_t best_i = -1;                                                                      \
        int64_t best_idx[RN_MAX_RANK] = {0};                                                      \
        POOL_FOR_WINDOW(w, start, klo, khi, {                                                     \
          if (best_i < 0 || xp[off] > best) {                                                     \
            best = xp[off];                                                                       \
            best_i = off;                                                                         \
            memcpy(best_idx, idx, sizeof idx);                                                    \
          }                                                                                       \
        });                                                                                       \
        y[pl * g->out_sp + p] = best;                                                             \
        if (ind) {                                                                                \
          int64_t li = 0;                                                                         \
          if (best_i >= 0 && g->col_major) {                                                      \
            for (int d = w->nsp - 1; d >= 0; d--) li = li * w->in[d] + best_idx[d];               \
          } else if (best_i >= 0) {                                                               \
            li = best_i;                                                                          \
          }                                                                                       \
          ind[pl * g->out_sp + p] = pl * g->in_sp + li;                                           \
        }                                                                                         \
        if (w->nsp > 0) rn_nn_odometer_next(o, w->out, w->nsp);                                   \
      }                                                                                           \
    }                                                                                             \
  }

MAXPOOL_DEFINE(float, f32)
MAXPOOL_DEFINE(double, f64)
MAXPOOL_DEFINE(int8_t, i8)
MAXPOOL_DEFINE(uint8_t, u8)

#define AVGPOOL_DEFINE(T, SUF)                                                                    \
  static void avgpool_##SUF(const pool_geom *g, int kind, const T *x, T *y) {                    \
    const rn_nn_window *w = &g->w;                                                                \
    double p = g->p;                                                                              \
    for (int64_t pl = 0; pl < g->planes; pl++) {                                                  \
      const T *xp = x + pl * g->in_sp;                                                            \
      int64_t o[RN_MAX_RANK] = {0};                                                               \
      for (int64_t q = 0; q < g->out_sp; q++) {                                                   \
        int64_t start[RN_MAX_RANK], klo[RN_MAX_RANK], khi[RN_MAX_RANK];                           \
        int64_t padded = pool_window(w, o, start, klo, khi), cnt = 0;                             \
        T acc = 0;                                                                                \
        if (kind == POOL_AVG) {                                                                   \
          POOL_FOR_WINDOW(w, start, klo, khi, { acc += xp[off]; cnt++; });                        \
          int64_t div = g->count_include_pad ? padded : cnt;                                      \
          acc = div > 0 ? acc / (T)div : 0;                                                       \
        } else if (p == 2) {                                                                      \
          POOL_FOR_WINDOW(w, start, klo, khi, { acc += xp[off] * xp[off]; });                     \
          acc = (T)sqrt((double)acc);                                                             \
        } else if (p == 1) {                                                                      \
          POOL_FOR_WINDOW(w, start, klo, khi, { acc += (T)fabs((double)xp[off]); });              \
        } else {                                                                                  \
          POOL_FOR_WINDOW(w, start, klo, khi, { acc += (T)pow(fabs((double)xp[off]), p); });      \
          acc = (T)pow((double)acc, 1.0 / p);                                                     \
        }                                                                                         \
        y[pl * g->out_sp + q] = acc;                                                              \
        rn_nn_odometer_next(o, w->out, w->nsp);                                                   \
      }                                                                                           \
    }                                                                                             \
  }

AVGPOOL_DEFINE(float, f32)
AVGPOOL_DEFINE(double, f64)

static rn_status *pool_run(rn_op_ctx *ctx, int kind) {
  pool_geom g;
  RN_TRY(pool_geom_get(ctx, kind, &g));
  const rn_tensor *x = ctx->inputs[0];
  rn_tensor *y = ctx->outputs[0], *ind = rn_op_output(ctx, 1);
  int64_t *ip = ind ? ind->data : NULL;
  if (kind == POOL_MAX) {
    switch (x->dtype) {
      case RN_DTYPE_FLOAT: maxpool_f32(&g, x->data, y->data, ip); break;
      case RN_DTYPE_DOUBLE: maxpool_f64(&g, x->data, y->data, ip); break;
      case RN_DTYPE_INT8: maxpool_i8(&g, x->data, y->data, ip); break;
      default: maxpool_u8(&g, x->data, y->data, ip); break;
    }
  } else if (x->dtype == RN_DTYPE_FLOAT) {
    avgpool_f32(&g, kind, x->data, y->data);
  } else {
    avgpool_f64(&g, kind, x->data, y->data);
  }
  return NULL;
}

static rn_status *maxpool_infer(rn_op_ctx *ctx) {
  if (rn_op_output(ctx, 1) && ctx->opset < 8)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "the Indices output needs opset 8");
  return pool_infer(ctx, POOL_MAX);
}
static rn_status *maxpool_run(rn_op_ctx *ctx) { return pool_run(ctx, POOL_MAX); }
static rn_status *avgpool_infer(rn_op_ctx *ctx) { return pool_infer(ctx, POOL_AVG); }
static rn_status *avgpool_run(rn_op_ctx *ctx) { return pool_run(ctx, POOL_AVG); }
static rn_status *lppool_infer(rn_op_ctx *ctx) { return pool_infer(ctx, POOL_LP); }
static rn_status *lppool_run(rn_op_ctx *ctx) { return pool_run(ctx, POOL_LP); }

const rn_op_def rn_op_max_pool = {
    .domain = "", .op_type = "MaxPool", .since_version = 1, .max_version = 21,
    .min_inputs = 1, .max_inputs = 1, .min_outputs = 1, .max_outputs = 2,
    .infer = maxpool_infer, .run = maxpool_run,
};

const rn_op_def rn_op_average_pool = {
    .domain = "", .op_type = "AveragePool", .since_version = 1, .max_version = 21,
    .min_inputs = 1, .max_inputs = 1, .min_outputs = 1, .max_outputs = 1,
    .infer = avgpool_infer, .run = avgpool_run,
};

const rn_op_def rn_op_lp_pool = {
    .domain = "", .op_type = "LpPool", .since_version = 1, .max_version = 21,
    .min_inputs = 1, .max_inputs = 1, .min_outputs = 1, .max_outputs = 1,
    .infer = lppool_infer, .run = lppool_run,
};
