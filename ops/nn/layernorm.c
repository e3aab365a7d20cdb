/* LayerNormalization (17..21): normalizes over dims [axis, rank) of X;
 * Scale and B broadcast (numpy rules) to those dims. Optional outputs Mean
 * and InvStdDev have X's dims before axis and 1s after. Statistics are
 * computed in double (at least stash_type's float precision). */
#include "nn_ops.h"

#include <math.h>
#include <string.h>

typedef struct ln_geom {
  int axis;
  int64_t rows, cols;
} ln_geom;

/* True if t broadcasts (unidirectionally) to dims [axis, rank) of x. */
static bool ln_broadcasts(const rn_tensor *t, const rn_shape *x, int axis) {
  int nr = x->rank - axis;
  if (t->shape.rank > nr) {
    /* extra leading dims must be 1 */
    for (int i = 0; i < t->shape.rank - nr; i++)
      if (t->shape.dims[i] != 1) return false;
  }
  for (int i = 1; i <= t->shape.rank && i <= nr; i++) {
    int64_t d = t->shape.dims[t->shape.rank - i], w = x->dims[x->rank - i];
    if (d != 1 && d != w) return false;
  }
  return true;
}

static rn_status *ln_geom_get(const rn_op_ctx *ctx, ln_geom *g) {
  RN_TRY(rn_nn_require_inputs(ctx, 2));
  const rn_tensor *x = ctx->inputs[0];
  RN_TRY(rn_nn_require_real(ctx, x, "input X"));
  if (x->shape.rank < 1) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "X must have rank >= 1");
  if (!rn_normalize_axis(rn_attr_int(ctx->node, "axis", -1), x->shape.rank, &g->axis))
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "axis is out of range for rank %d", x->shape.rank);
  int64_t st = rn_attr_int(ctx->node, "stash_type", 1);
  if (st != 1 && st != 11)
    return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "stash_type %lld is not supported", (long long)st);
  for (int i = 1; i < 3; i++) {
    const rn_tensor *t = rn_op_input(ctx, i);
    if (!t) continue;
    if (t->dtype != x->dtype)
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "%s must have X's element type", i == 1 ? "Scale" : "B");
    if (!ln_broadcasts(t, &x->shape, g->axis))
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "%s does not broadcast to the normalized dims",
                         i == 1 ? "Scale" : "B");
  }
  g->rows = rn_nn_prod(x->shape.dims, g->axis);
  g->cols = rn_nn_prod(x->shape.dims + g->axis, x->shape.rank - g->axis);
  return NULL;
}

static rn_status *ln_infer(rn_op_ctx *ctx) {
  ln_geom g;
  RN_TRY(ln_geom_get(ctx, &g));
  const rn_tensor *x = ctx->inputs[0];
  rn_op_set_output(ctx, 0, x->dtype, &x->shape);
  rn_shape rs = x->shape;
  for (int i = g.axis; i < rs.rank; i++) rs.dims[i] = 1;
  rn_dtype st = rn_attr_int(ctx->node, "stash_type", 1) == 11 ? RN_DTYPE_DOUBLE : RN_DTYPE_FLOAT;
  rn_op_set_output(ctx, 1, st, &rs);
  rn_op_set_output(ctx, 2, st, &rs);
  return NULL;
}

/* Scale and B expanded to `cols` values each. */
static size_t ln_workspace(const rn_op_ctx *ctx) {
  ln_geom g;
  rn_status *s = ln_geom_get(ctx, &g);
  if (s) {
    rn_status_free(s);
    return 0;
  }
  return (size_t)(2 * g.cols) * rn_dtype_size(ctx->inputs[0]->dtype);
}

/* Copies t, broadcast to the normalized dims, into dst (cols elements). */
static void ln_expand(const rn_tensor *t, const rn_shape *x, int axis, int64_t cols, size_t es,
                      char *dst) {
  int nr = x->rank - axis;
  int64_t idx[RN_MAX_RANK] = {0}, str[RN_MAX_RANK] = {0};
  int64_t s = 1;
  for (int i = 1; i <= nr; i++) {
    int ti = t->shape.rank - i;
    int64_t d = ti >= 0 ? t->shape.dims[ti] : 1;
    str[nr - i] = d == 1 ? 0 : s;
    s *= d;
  }
  for (int64_t j = 0; j < cols; j++) {
    int64_t off = 0;
    for (int i = 0; i < nr; i++) off += idx[i] * str[i];
    memcpy(dst + (size_t)j * es, (const char *)t->data + (size_t)off * es, es);
    rn_nn_odometer_next(idx, x->dims + axis, nr);
  }
}

static void put_stat(rn_tensor *t, int64_t i, double v) {
  if (!t) return;
  if (t->dtype == RN_DTYPE_DOUBLE) ((double *)t->data)[i] = v;
  else ((float *)t->data)[i] = (float)v;
}

#define LN_DEFINE(T, SUF)                                                                          \
  static void ln_##SUF(const ln_geom *g, double eps, const T *x, const T *scale, const T *bias,   \
                       T *y, rn_tensor *mean_out, rn_tensor *inv_out) {                           \
    for (int64_t r = 0; r < g->rows; r++) {                                                       \
      const T *xr = x + r * g->cols;                                                              \
      T *yr = y + r * g->cols;                                                                    \
      double s = 0, s2 = 0;                                                                       \
      for (int64_t j = 0; j < g->cols; j++) s += xr[j];                                           \
      double mean = g->cols > 0 ? s / (double)g->cols : 0;                                        \
      for (int64_t j = 0; j < g->cols; j++) s2 += (xr[j] - mean) * (xr[j] - mean);                \
      double inv = 1.0 / sqrt((g->cols > 0 ? s2 / (double)g->cols : 0) + eps);                    \
      for (int64_t j = 0; j < g->cols; j++) {                                                     \
        T v = (T)((xr[j] - mean) * inv) * scale[j];                                               \
        yr[j] = bias ? v + bias[j] : v;                                                           \
      }                                                                                           \
      put_stat(mean_out, r, mean);                                                                \
      put_stat(inv_out, r, inv);                                                                  \
    }                                                                                             \
  }

LN_DEFINE(float, f32)
LN_DEFINE(double, f64)

static rn_status *ln_run(rn_op_ctx *ctx) {
  ln_geom g;
  RN_TRY(ln_geom_get(ctx, &g));
  const rn_tensor *x = ctx->inputs[0], *sc = ctx->inputs[1], *b = rn_op_input(ctx, 2);
  size_t es = rn_dtype_size(x->dtype);
  char *scale = ctx->workspace, *bias = scale + (size_t)g.cols * es;
  ln_expand(sc, &x->shape, g.axis, g.cols, es, scale);
  if (b) ln_expand(b, &x->shape, g.axis, g.cols, es, bias);
  double eps = rn_attr_float(ctx->node, "epsilon", 1e-5f);
  rn_tensor *y = ctx->outputs[0], *mo = rn_op_output(ctx, 1), *io = rn_op_output(ctx, 2);
  if (x->dtype == RN_DTYPE_FLOAT)
    ln_f32(&g, eps, x->data, (const float *)scale, b ? (const float *)bias : NULL, y->data, mo, io);
  else
    ln_f64(&g, eps, x->data, (const double *)scale, b ? (const double *)bias : NULL, y->data, mo, io);
  return NULL;
}

const rn_op_def rn_op_layer_normalization = {
    .domain = "", .op_type = "LayerNormalization", .since_version = 17, .max_version = 21,
    .min_inputs = 2, .max_inputs = 3, .min_outputs = 1, .max_outputs = 3,
    .infer = ln_infer, .run = ln_run, .workspace = ln_workspace,
};
