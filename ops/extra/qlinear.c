/* Integer matrix products and convolutions over uint8/int8 data:
 * MatMulInteger / ConvInteger (opset 10) accumulate (a - a_zero_point) *
 * (b - b_zero_point) in int32; QLinearMatMul / QLinearConv (opset 10)
 * requantize that sum: y = saturate(round(acc * a_scale * b_scale / y_scale)
 * + y_zero_point). Zero points and scales are per-tensor, or per-row of A /
 * per-column of B / per-output-channel of W. Padding contributes zero (it
 * holds the zero point). */
#include <math.h>

#include "extra_ops.h"
#include "nn/nn_ops.h"

static bool is_q8(rn_dtype dt) { return dt == RN_DTYPE_UINT8 || dt == RN_DTYPE_INT8; }

static inline int32_t q8(const void *d, rn_dtype dt, int64_t i) {
  return dt == RN_DTYPE_UINT8 ? (int32_t)((const uint8_t *)d)[i] : (int32_t)((const int8_t *)d)[i];
}

/* A zero point / scale that is a scalar or a 1-D tensor of `n` values. */
static rn_status *check_param(const rn_op_ctx *ctx, const rn_tensor *t, int64_t n,
                              rn_dtype want, const char *what) {
  if (!t) return NULL;
  if (want != RN_DTYPE_UNDEFINED && t->dtype != want)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "%s must be %s, not %s", what,
                       rn_dtype_name(want), rn_dtype_name(t->dtype));
  int64_t c = rn_shape_numel(&t->shape);
  if (t->shape.rank > 1 || (c != 1 && c != n))
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "%s must be a scalar or hold %lld values", what,
                       (long long)n);
  return NULL;
}

/* Element i of a per-tensor-or-per-index parameter (0 when absent). */
static inline double param_at(const rn_tensor *t, int64_t i) {
  if (!t) return 0;
  return rn_tensor_get_double(t, rn_shape_numel(&t->shape) == 1 ? 0 : i);
}

static inline double sat_round(double v, rn_dtype dt) {
  double lo = dt == RN_DTYPE_INT8 ? -128 : 0, hi = dt == RN_DTYPE_INT8 ? 127 : 255;
  v = rint(v);
  return v != v ? 0 : v < lo ? lo : v > hi ? hi : v;
}

/* ---- matrix products ---- */

typedef struct mm_geom {
  int64_t m, k, n, batch;
  int nb;                          /* batch rank */
  int64_t bdims[RN_MAX_RANK];      /* output batch dims */
  int64_t astr[RN_MAX_RANK], bstr[RN_MAX_RANK]; /* batch strides in matrices (0 = broadcast) */
  rn_shape out;
} mm_geom;

static rn_status *mm_shapes(const rn_op_ctx *ctx, const rn_shape *a, const rn_shape *b,
                            mm_geom *g) {
  if (a->rank < 1 || b->rank < 1)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "matrix inputs must have rank >= 1");
  g->m = a->rank == 1 ? 1 : a->dims[a->rank - 2];
  g->k = a->dims[a->rank - 1];
  int64_t kb = b->rank == 1 ? b->dims[0] : b->dims[b->rank - 2];
  g->n = b->rank == 1 ? 1 : b->dims[b->rank - 1];
  if (g->k != kb)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "inner dims differ (%lld vs %lld)",
                       (long long)g->k, (long long)kb);
  int ab = a->rank > 2 ? a->rank - 2 : 0, bb = b->rank > 2 ? b->rank - 2 : 0;
  g->nb = ab > bb ? ab : bb;
  int64_t am = 1, bm = 1;
  g->batch = 1;
  for (int i = g->nb - 1; i >= 0; i--) {
    int ia = i - (g->nb - ab), ib = i - (g->nb - bb);
    int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
    if (da != db && da != 1 && db != 1)
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "batch dims do not broadcast");
    g->bdims[i] = da == 1 ? db : da;
    g->astr[i] = da == 1 ? 0 : am;
    g->bstr[i] = db == 1 ? 0 : bm;
    am *= da;
    bm *= db;
    g->batch *= g->bdims[i];
  }
  g->out.rank = 0;
  for (int i = 0; i < g->nb; i++) g->out.dims[g->out.rank++] = g->bdims[i];
  if (a->rank > 1) g->out.dims[g->out.rank++] = g->m;
  if (b->rank > 1) g->out.dims[g->out.rank++] = g->n;
  return NULL;
}

/* Index of batch `bi` into A's (or B's) matrices. */
static int64_t mm_batch_index(const mm_geom *g, int64_t bi, const int64_t *str) {
  int64_t r = 0;
  for (int i = g->nb - 1; i >= 0; i--) {
    r += (bi % g->bdims[i]) * str[i];
    bi /= g->bdims[i];
  }
  return r;
}

/* acc[b, i, j] = sum_p (A[b, i, p] - azp[i]) * (B[b, p, j] - bzp[j]), then
 * `emit` stores it. */
typedef struct mm_args {
  const rn_tensor *a, *b, *azp, *bzp;
} mm_args;

static void mm_run(const mm_geom *g, const mm_args *x, int64_t *acc_row,
                   void (*emit)(void *, int64_t, int64_t, int64_t), void *cookie) {
  int32_t *zb = (int32_t *)(acc_row + g->n); /* b's zero point per column */
  for (int64_t j = 0; j < g->n; j++) zb[j] = (int32_t)param_at(x->bzp, j);
  for (int64_t bi = 0; bi < g->batch; bi++) {
    int64_t ao = mm_batch_index(g, bi, g->astr) * g->m * g->k;
    int64_t bo = mm_batch_index(g, bi, g->bstr) * g->k * g->n;
    for (int64_t i = 0; i < g->m; i++) {
      int32_t za = (int32_t)param_at(x->azp, i);
      for (int64_t j = 0; j < g->n; j++) acc_row[j] = 0;
      for (int64_t p = 0; p < g->k; p++) {
        int64_t av = q8(x->a->data, x->a->dtype, ao + i * g->k + p) - za;
        if (!av) continue;
        for (int64_t j = 0; j < g->n; j++)
          acc_row[j] += av * (q8(x->b->data, x->b->dtype, bo + p * g->n + j) - zb[j]);
      }
      for (int64_t j = 0; j < g->n; j++) emit(cookie, (bi * g->m + i) * g->n + j, j, acc_row[j]);
    }
  }
}

static size_t mm_workspace_n(const rn_op_ctx *ctx, int ia, int ib) {
  const rn_shape *b = &ctx->inputs[ib]->shape;
  int64_t n = b->rank == 1 ? 1 : b->dims[b->rank - 1];
  return (size_t)(n > 0 ? n : 1) * (sizeof(int64_t) + sizeof(int32_t));
}

static rn_status *mmi_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 2));
  const rn_tensor *a = ctx->inputs[0], *b = ctx->inputs[1];
  if (!is_q8(a->dtype) || !is_q8(b->dtype))
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "A and B must be uint8 or int8");
  mm_geom g;
  RN_TRY(mm_shapes(ctx, &a->shape, &b->shape, &g));
  RN_TRY(check_param(ctx, rn_op_input(ctx, 2), g.m, a->dtype, "a_zero_point"));
  RN_TRY(check_param(ctx, rn_op_input(ctx, 3), g.n, b->dtype, "b_zero_point"));
  RN_TRY(rn_op_check_shape(ctx, &g.out, RN_DTYPE_INT32));
  rn_op_set_output(ctx, 0, RN_DTYPE_INT32, &g.out);
  return NULL;
}

static void emit_i32(void *y, int64_t idx, int64_t col, int64_t acc) {
  ((int32_t *)y)[idx] = (int32_t)acc;
}

static size_t mmi_workspace(const rn_op_ctx *ctx) { return mm_workspace_n(ctx, 0, 1); }

static rn_status *mmi_run(rn_op_ctx *ctx) {
  mm_geom g;
  RN_TRY(mm_shapes(ctx, &ctx->inputs[0]->shape, &ctx->inputs[1]->shape, &g));
  mm_args x = {ctx->inputs[0], ctx->inputs[1], rn_op_input(ctx, 2), rn_op_input(ctx, 3)};
  mm_run(&g, &x, ctx->workspace, emit_i32, ctx->outputs[0]->data);
  return NULL;
}

const rn_op_def rn_op_matmul_integer = {
    .domain = "", .op_type = "MatMulInteger", .since_version = 10, .max_version = 21,
    .min_inputs = 2, .max_inputs = 4, .min_outputs = 1, .max_outputs = 1, .infer = mmi_infer,
    .run = mmi_run, .workspace = mmi_workspace,
};

/* QLinearMatMul: a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp */
static rn_status *qmm_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 8));
  const rn_tensor *a = ctx->inputs[0], *b = ctx->inputs[3], *yzp = ctx->inputs[7];
  if (!is_q8(a->dtype) || !is_q8(b->dtype) || !is_q8(yzp->dtype))
    return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "a, b and y_zero_point must be uint8 or int8");
  mm_geom g;
  RN_TRY(mm_shapes(ctx, &a->shape, &b->shape, &g));
  RN_TRY(check_param(ctx, ctx->inputs[1], g.m, RN_DTYPE_FLOAT, "a_scale"));
  RN_TRY(check_param(ctx, ctx->inputs[2], g.m, a->dtype, "a_zero_point"));
  RN_TRY(check_param(ctx, ctx->inputs[4], g.n, RN_DTYPE_FLOAT, "b_scale"));
  RN_TRY(check_param(ctx, ctx->inputs[5], g.n, b->dtype, "b_zero_point"));
  RN_TRY(check_param(ctx, ctx->inputs[6], 1, RN_DTYPE_FLOAT, "y_scale"));
  RN_TRY(check_param(ctx, yzp, 1, RN_DTYPE_UNDEFINED, "y_zero_point"));
  RN_TRY(rn_op_check_shape(ctx, &g.out, yzp->dtype));
  rn_op_set_output(ctx, 0, yzp->dtype, &g.out);
  return NULL;
}

typedef struct qmm_emit {
  const rn_op_ctx *ctx;
  const mm_geom *g;
  rn_tensor *y;
  float ys, yz;
} qmm_emit;

static void emit_q(void *cookie, int64_t idx, int64_t col, int64_t acc) {
  qmm_emit *e = cookie;
  int64_t row = (idx / e->g->n) % e->g->m;
  float mult = (float)param_at(e->ctx->inputs[1], row) * (float)param_at(e->ctx->inputs[4], col) / e->ys;
  rn_store_double(e->y->data, e->y->dtype, idx,
                     sat_round((double)((float)acc * mult) + e->yz, e->y->dtype));
}

static size_t qmm_workspace(const rn_op_ctx *ctx) { return mm_workspace_n(ctx, 0, 3); }

static rn_status *qmm_run(rn_op_ctx *ctx) {
  mm_geom g;
  RN_TRY(mm_shapes(ctx, &ctx->inputs[0]->shape, &ctx->inputs[3]->shape, &g));
  mm_args x = {ctx->inputs[0], ctx->inputs[3], ctx->inputs[2], ctx->inputs[5]};
  qmm_emit e = {ctx, &g, ctx->outputs[0], (float)param_at(ctx->inputs[6], 0),
                (float)param_at(ctx->inputs[7], 0)};
  mm_run(&g, &x, ctx->workspace, emit_q, &e);
  return NULL;
}

const rn_op_def rn_op_qlinear_matmul = {
    .domain = "", .op_type = "QLinearMatMul", .since_version = 10, .max_version = 20,
    .min_inputs = 8, .max_inputs = 8, .min_outputs = 1, .max_outputs = 1, .infer = qmm_infer,
    .run = qmm_run, .workspace = qmm_workspace,
};

/* ---- convolutions ---- */

typedef struct conv_geom {
  rn_nn_window w;
  int64_t n, c, m, group, cg, mg; /* batch, in channels, out channels, groups, per group */
  rn_shape out;
} conv_geom;

static rn_status *conv_shapes(const rn_op_ctx *ctx, const rn_tensor *x, const rn_tensor *w,
                              conv_geom *g) {
  if (!is_q8(x->dtype) || !is_q8(w->dtype))
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "x and w must be uint8 or int8");
  if (x->shape.rank < 3 || w->shape.rank != x->shape.rank)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "x and w must have the same rank >= 3");
  RN_TRY(rn_nn_window_init(ctx, &x->shape, w->shape.dims + 2, true, false, &g->w));
  g->n = x->shape.dims[0];
  g->c = x->shape.dims[1];
  g->m = w->shape.dims[0];
  g->group = rn_attr_int(ctx->node, "group", 1);
  if (g->group < 1 || g->c % g->group || g->m % g->group || w->shape.dims[1] != g->c / g->group)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "group %lld does not fit %lld input / %lld output channels",
                       (long long)g->group, (long long)g->c, (long long)g->m);
  g->cg = g->c / g->group;
  g->mg = g->m / g->group;
  g->out.rank = x->shape.rank;
  g->out.dims[0] = g->n;
  g->out.dims[1] = g->m;
  for (int i = 0; i < g->w.nsp; i++) g->out.dims[i + 2] = g->w.out[i];
  return NULL;
}

/* acc[n, m, out...] = sum (x - xzp) * (w[m] - wzp[m]) over the window. */
static void conv_acc(const conv_geom *g, const rn_tensor *x, const rn_tensor *w, int32_t xzp,
                     const rn_tensor *wzp, int32_t *acc) {
  const rn_nn_window *win = &g->w;
  int nsp = win->nsp;
  int64_t osz = rn_nn_prod(win->out, nsp), isz = rn_nn_prod(win->in, nsp),
          ksz = rn_nn_prod(win->kernel, nsp);
  int64_t istr[RN_MAX_RANK];
  int64_t s = 1;
  for (int d = nsp - 1; d >= 0; d--) istr[d] = s, s *= win->in[d];
  for (int64_t n = 0; n < g->n; n++)
    for (int64_t m = 0; m < g->m; m++) {
      int64_t grp = m / g->mg;
      int32_t wz = (int32_t)param_at(wzp, m);
      int32_t *y = acc + (n * g->m + m) * osz;
      int64_t o[RN_MAX_RANK] = {0};
      for (int64_t oi = 0; oi < osz; oi++, rn_nn_odometer_next(o, win->out, nsp)) {
        int64_t sum = 0;
        for (int64_t ci = 0; ci < g->cg; ci++) {
          int64_t xc = (n * g->c + grp * g->cg + ci) * isz;
          int64_t wc = (m * g->cg + ci) * ksz;
          int64_t k[RN_MAX_RANK] = {0};
          for (int64_t ki = 0; ki < ksz; ki++, rn_nn_odometer_next(k, win->kernel, nsp)) {
            int64_t off = 0;
            bool in = true;
            for (int d = 0; d < nsp && in; d++) {
              int64_t p = o[d] * win->stride[d] - win->pad_begin[d] + k[d] * win->dilation[d];
              in = p >= 0 && p < win->in[d];
              off += p * istr[d];
            }
            if (!in) continue;
            sum += (int64_t)(q8(x->data, x->dtype, xc + off) - xzp) *
                   (q8(w->data, w->dtype, wc + ki) - wz);
          }
        }
        y[oi] = (int32_t)sum;
      }
    }
}

static rn_status *convi_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 2));
  conv_geom g;
  const rn_tensor *x = ctx->inputs[0], *w = ctx->inputs[1];
  RN_TRY(conv_shapes(ctx, x, w, &g));
  RN_TRY(check_param(ctx, rn_op_input(ctx, 2), 1, x->dtype, "x_zero_point"));
  RN_TRY(check_param(ctx, rn_op_input(ctx, 3), g.m, w->dtype, "w_zero_point"));
  RN_TRY(rn_op_check_shape(ctx, &g.out, RN_DTYPE_INT32));
  rn_op_set_output(ctx, 0, RN_DTYPE_INT32, &g.out);
  return NULL;
}

static rn_status *convi_run(rn_op_ctx *ctx) {
  conv_geom g;
  RN_TRY(conv_shapes(ctx, ctx->inputs[0], ctx->inputs[1], &g));
  conv_acc(&g, ctx->inputs[0], ctx->inputs[1], (int32_t)param_at(rn_op_input(ctx, 2), 0),
           rn_op_input(ctx, 3), ctx->outputs[0]->data);
  return NULL;
}

const rn_op_def rn_op_conv_integer = {
    .domain = "", .op_type = "ConvInteger", .since_version = 10, .max_version = 21,
    .min_inputs = 2, .max_inputs = 4, .min_outputs = 1, .max_outputs = 1, .infer = convi_infer,
    .run = convi_run,
};

/* QLinearConv: x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, [B int32] */
static rn_status *qconv_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 8));
  conv_geom g;
  const rn_tensor *x = ctx->inputs[0], *w = ctx->inputs[3], *yzp = ctx->inputs[7],
                  *bias = rn_op_input(ctx, 8);
  RN_TRY(conv_shapes(ctx, x, w, &g));
  if (!is_q8(yzp->dtype))
    return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "y_zero_point must be uint8 or int8");
  RN_TRY(check_param(ctx, ctx->inputs[1], 1, RN_DTYPE_FLOAT, "x_scale"));
  RN_TRY(check_param(ctx, ctx->inputs[2], 1, x->dtype, "x_zero_point"));
  RN_TRY(check_param(ctx, ctx->inputs[4], g.m, RN_DTYPE_FLOAT, "w_scale"));
  RN_TRY(check_param(ctx, ctx->inputs[5], g.m, w->dtype, "w_zero_point"));
  RN_TRY(check_param(ctx, ctx->inputs[6], 1, RN_DTYPE_FLOAT, "y_scale"));
  RN_TRY(check_param(ctx, yzp, 1, RN_DTYPE_UNDEFINED, "y_zero_point"));
  if (bias && (bias->dtype != RN_DTYPE_INT32 || bias->shape.rank != 1 || bias->shape.dims[0] != g.m))
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "B must be an int32 [M] tensor");
  RN_TRY(rn_op_check_shape(ctx, &g.out, RN_DTYPE_INT32));
  rn_op_set_output(ctx, 0, yzp->dtype, &g.out);
  return NULL;
}

static size_t qconv_workspace(const rn_op_ctx *ctx) {
  int64_t n = rn_shape_numel(&ctx->outputs[0]->shape);
  return n > 0 ? (size_t)n * sizeof(int32_t) : 0;
}

static rn_status *qconv_run(rn_op_ctx *ctx) {
  conv_geom g;
  RN_TRY(conv_shapes(ctx, ctx->inputs[0], ctx->inputs[3], &g));
  int32_t *acc = ctx->workspace;
  conv_acc(&g, ctx->inputs[0], ctx->inputs[3], (int32_t)param_at(ctx->inputs[2], 0),
           ctx->inputs[5], acc);
  rn_tensor *y = ctx->outputs[0];
  const rn_tensor *bias = rn_op_input(ctx, 8);
  float xs = (float)param_at(ctx->inputs[1], 0), ys = (float)param_at(ctx->inputs[6], 0);
  double yz = param_at(ctx->inputs[7], 0);
  int64_t osz = rn_nn_prod(g.w.out, g.w.nsp);
  for (int64_t n = 0; n < g.n; n++)
    for (int64_t m = 0; m < g.m; m++) {
      float mult = xs * (float)param_at(ctx->inputs[4], m) / ys;
      int64_t b = bias ? ((const int32_t *)bias->data)[m] : 0;
      int64_t base = (n * g.m + m) * osz;
      for (int64_t i = 0; i < osz; i++)
        rn_store_double(y->data, y->dtype, base + i,
                           sat_round((double)((float)(acc[base + i] + b) * mult) + yz, y->dtype));
    }
  return NULL;
}

const rn_op_def rn_op_qlinear_conv = {
    .domain = "", .op_type = "QLinearConv", .since_version = 10, .max_version = 21,
    .min_inputs = 8, .max_inputs = 9, .min_outputs = 1, .max_outputs = 1, .infer = qconv_infer,
    .run = qconv_run, .workspace = qconv_workspace,
};
