/* ConvTranspose (opsets 1..21): any spatial rank, groups, dilations, pads,
 * auto_pad, output_padding, output_shape, optional bias; float and double.
 *
 * Per image and group, a GEMM computes the columns W^T * X (one row per
 * output channel and kernel offset, one column per input position) for a
 * chunk of input positions in the workspace; col2im then adds each column
 * into the output positions it reaches. */
#include "nn_ops.h"

#include <string.h>

#define CONVT_COL_CAP ((int64_t)1 << 22)

typedef struct convt_geom {
  rn_nn_window w;   /* in = input dims, out = output dims; pads may be negative */
  int64_t n, c, m, group, cg, mg;
  int64_t in_sp, out_sp, ksz;
  int64_t rows;     /* GEMM rows: mg * ksz */
  int64_t chunk;    /* input positions per chunk */
} convt_geom;

/* Python-style floor division by 2 (pads may be negative here). */
static int64_t floor_half(int64_t v) { return v >= 0 ? v / 2 : -((-v + 1) / 2); }

static rn_status *convt_geom_get(const rn_op_ctx *ctx, convt_geom *g) {
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
  g->group = rn_attr_int(ctx->node, "group", 1);
  if (g->group < 1 || g->c % g->group != 0)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "group %lld must divide the %lld input channels",
                       (long long)g->group, (long long)g->c);
  if (wt->shape.dims[0] != g->c)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "W has %lld input channels, X has %lld",
                       (long long)wt->shape.dims[0], (long long)g->c);
  g->cg = g->c / g->group;
  g->mg = wt->shape.dims[1];
  if (g->mg > INT64_MAX / g->group) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "too many channels");
  g->m = g->mg * g->group;
  if (b && (b->shape.rank != 1 || b->shape.dims[0] != g->m))
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "B must be a vector of %lld values", (long long)g->m);

  int auto_pad;
  rn_nn_window *w = &g->w;
  RN_TRY(rn_nn_window_attrs(ctx, &x->shape, wt->shape.dims + 2, true, w, &auto_pad));
  int nsp = w->nsp;
  int64_t opad[RN_MAX_RANK] = {0};
  const int64_t *v;
  int64_t cnt = rn_attr_ints(ctx->node, "output_padding", &v);
  if (cnt >= 0) {
    if (cnt != nsp)
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "output_padding has %lld values, expected %d",
                         (long long)cnt, nsp);
    for (int i = 0; i < nsp; i++) {
      if (v[i] < 0 || v[i] > RN_NN_MAX_WINDOW_ATTR)
        return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "output_padding[%d] is out of range", i);
      opad[i] = v[i];
    }
  }
  const int64_t *oshape = NULL;
  cnt = rn_attr_ints(ctx->node, "output_shape", &oshape);
  if (cnt >= 0) {
    /* Either the spatial dims or the whole output shape. */
    if (cnt == nsp + 2) oshape += 2;
    else if (cnt != nsp)
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "output_shape has %lld values, expected %d",
                         (long long)cnt, nsp);
  }
  for (int i = 0; i < nsp; i++) {
    int64_t dk = (w->kernel[i] - 1) * w->dilation[i] + 1;
    if (w->in[i] > 0 && w->stride[i] > (INT64_MAX / 4) / w->in[i])
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "spatial dim %d: output size overflows", i);
    int64_t full = w->stride[i] * (w->in[i] - 1) + opad[i] + dk; /* output with no padding */
    if (w->in[i] == 0) full = 0;
    if (oshape || auto_pad == 1 || auto_pad == 2) {
      int64_t out = oshape ? oshape[i] : w->in[i] * w->stride[i];
      if (out < 0 || out > RN_NN_MAX_WINDOW_ATTR * 4)
        return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "output_shape[%d] = %lld is out of range", i,
                           (long long)out);
      int64_t total = full - out;
      /* SAME_UPPER puts the larger half of the padding at the end. */
      int64_t head = auto_pad == 1 ? floor_half(total) : total - floor_half(total);
      w->pad_begin[i] = head;
      w->pad_end[i] = total - head;
      w->out[i] = out;
    } else {
      if (auto_pad == 3) w->pad_begin[i] = w->pad_end[i] = 0;
      int64_t out = full - w->pad_begin[i] - w->pad_end[i];
      if (out < 0)
        return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "spatial dim %d: pads exceed the output size", i);
      w->out[i] = out;
    }
  }
  rn_shape ys;
  ys.rank = x->shape.rank;
  ys.dims[0] = g->n;
  ys.dims[1] = g->m;
  for (int i = 0; i < nsp; i++) ys.dims[i + 2] = w->out[i];
  if (rn_shape_numel(&ys) < 0) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "output size overflows");
  g->in_sp = rn_nn_prod(w->in, nsp);
  g->out_sp = rn_nn_prod(w->out, nsp);
  g->ksz = rn_nn_prod(w->kernel, nsp);
  g->rows = g->mg * g->ksz; /* a slice of W's element count: no overflow */
  g->chunk = g->in_sp;
  if (g->rows > 0 && g->in_sp > CONVT_COL_CAP / g->rows) {
    g->chunk = CONVT_COL_CAP / g->rows;
    if (g->chunk < 1) g->chunk = 1;
  }
  return NULL;
}

static rn_status *convt_infer(rn_op_ctx *ctx) {
  convt_geom g;
  RN_TRY(convt_geom_get(ctx, &g));
  rn_shape ys = ctx->inputs[0]->shape;
  ys.dims[1] = g.m;
  for (int i = 0; i < g.w.nsp; i++) ys.dims[i + 2] = g.w.out[i];
  rn_op_set_output(ctx, 0, ctx->inputs[0]->dtype, &ys);
  return NULL;
}

static size_t convt_workspace(const rn_op_ctx *ctx) {
  convt_geom g;
  rn_status *st = convt_geom_get(ctx, &g);
  if (st) {
    rn_status_free(st);
    return 0;
  }
  rn_dtype dt = ctx->inputs[0]->dtype;
  return rn_nn_gemm_workspace(dt) + rn_nn_align64((size_t)(g.rows * g.chunk) * rn_dtype_size(dt));
}

#define CONVT_DEFINE(T, DT, SUF, GEMM)                                                             \
  /* y += the columns for input positions [p0, p0 + len) of one group. */                         \
  static void col2im_##SUF(const convt_geom *g, const T *col, int64_t p0, int64_t len, T *y) {    \
    const rn_nn_window *w = &g->w;                                                                \
    int nsp = w->nsp, last = nsp - 1;                                                             \
    int64_t in_last = w->in[last], out_last = w->out[last], s = w->stride[last];                  \
    for (int64_t oc = 0; oc < g->mg; oc++) {                                                      \
      T *yc = y + oc * g->out_sp;                                                                 \
      int64_t k[RN_MAX_RANK] = {0};                                                               \
      do {                                                                                        \
        const T *src = col;                                                                       \
        col += len;                                                                               \
        int64_t i[RN_MAX_RANK], rest = p0;                                                        \
        for (int d = last; d >= 0; d--) {                                                         \
          i[d] = rest % w->in[d];                                                                 \
          rest /= w->in[d];                                                                       \
        }                                                                                         \
        int64_t base = k[last] * w->dilation[last] - w->pad_begin[last];                          \
        for (int64_t left = len; left > 0;) {                                                     \
          int64_t seg = in_last - i[last] < left ? in_last - i[last] : left;                      \
          int64_t off = 0;                                                                        \
          bool ok = true;                                                                         \
          for (int d = 0; d < last; d++) {                                                        \
            int64_t o = i[d] * w->stride[d] - w->pad_begin[d] + k[d] * w->dilation[d];            \
            if (o < 0 || o >= w->out[d]) ok = false;                                              \
            off = off * w->out[d] + o;                                                            \
          }                                                                                       \
          if (ok) {                                                                               \
            T *line = yc + off * out_last;                                                        \
            for (int64_t j = 0; j < seg; j++) {                                                   \
              int64_t o = (i[last] + j) * s + base;                                               \
              if (o >= 0 && o < out_last) line[o] += src[j];                                      \
            }                                                                                     \
          }                                                                                       \
          src += seg;                                                                             \
          left -= seg;                                                                            \
          i[last] += seg;                                                                         \
          if (i[last] == in_last) {                                                               \
            i[last] = 0;                                                                          \
            rn_nn_odometer_next(i, w->in, last);                                                  \
          }                                                                                       \
        }                                                                                         \
      } while (rn_nn_odometer_next(k, w->kernel, nsp));                                           \
    }                                                                                             \
  }                                                                                               \
                                                                                                  \
  static void convt_run_##SUF(const convt_geom *g, const T *x, const T *wt, const T *bias, T *y,  \
                              void *work) {                                                       \
    T *col = (T *)((char *)work + rn_nn_gemm_workspace(DT));                                      \
    for (int64_t b = 0; b < g->n; b++) {                                                          \
      for (int64_t gi = 0; gi < g->group; gi++) {                                                 \
        const T *xg = x + (b * g->c + gi * g->cg) * g->in_sp;                                     \
        const T *wg = wt + gi * g->cg * g->rows;                                                  \
        T *yg = y + (b * g->m + gi * g->mg) * g->out_sp;                                          \
        for (int64_t p0 = 0; p0 < g->in_sp; p0 += g->chunk) {                                     \
          int64_t len = g->in_sp - p0 < g->chunk ? g->in_sp - p0 : g->chunk;                      \
          /* col[rows, len] = Wg^T[rows, cg] * Xg[cg, p0 : p0 + len] */                           \
          GEMM(g->rows, len, g->cg, 1, wg, 1, g->rows, xg + p0, g->in_sp, 1, 0, col, len, work);  \
          col2im_##SUF(g, col, p0, len, yg);                                                      \
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

CONVT_DEFINE(float, RN_DTYPE_FLOAT, f32, rn_nn_sgemm)
CONVT_DEFINE(double, RN_DTYPE_DOUBLE, f64, rn_nn_dgemm)

static rn_status *convt_run(rn_op_ctx *ctx) {
  convt_geom g;
  RN_TRY(convt_geom_get(ctx, &g));
  const rn_tensor *x = ctx->inputs[0], *wt = ctx->inputs[1], *b = rn_op_input(ctx, 2);
  rn_tensor *y = ctx->outputs[0];
  memset(y->data, 0, y->nbytes);
  if (g.out_sp == 0 || g.n == 0 || g.m == 0) return NULL;
  if (g.in_sp == 0 || g.cg == 0) g.group = 0; /* nothing to scatter; only the bias */
  if (x->dtype == RN_DTYPE_FLOAT)
    convt_run_f32(&g, x->data, wt->data, b ? b->data : NULL, y->data, ctx->workspace);
  else
    convt_run_f64(&g, x->data, wt->data, b ? b->data : NULL, y->data, ctx->workspace);
  return NULL;
}

const rn_op_def rn_op_conv_transpose = {
    .domain = "",
    .op_type = "ConvTranspose",
    .since_version = 1,
    .max_version = 21,
    .min_inputs = 2,
    .max_inputs = 3,
    .min_outputs = 1,
    .max_outputs = 1,
    .infer = convt_infer,
    .run = convt_run,
    .workspace = convt_workspace,
};
