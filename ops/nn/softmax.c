/* Softmax, LogSoftmax, Hardmax (1..21). Before opset 13 the input is
 * coerced to 2-D at `axis` (default 1) and the op works on each row; from
 * opset 13 it works along the single dim `axis` (default -1). */
#include "nn_ops.h"

#include <math.h>

enum { SM_SOFTMAX, SM_LOGSOFTMAX, SM_HARDMAX };

typedef struct sm_geom {
  int64_t outer, n, inner; /* the op runs along n, elements inner apart */
} sm_geom;

static rn_status *sm_geom_get(const rn_op_ctx *ctx, sm_geom *g) {
  RN_TRY(rn_nn_require_inputs(ctx, 1));
  const rn_tensor *x = ctx->inputs[0];
  RN_TRY(rn_nn_require_real(ctx, x, "input"));
  int r = x->shape.rank;
  const int64_t *d = x->shape.dims;
  int axis;
  if (ctx->opset < 13) {
    int64_t a = rn_attr_int(ctx->node, "axis", 1);
    /* axis == rank is allowed by the 2-D coercion (all dims in the rows). */
    if (r == 0 || a == r) {
      axis = r;
    } else if (!rn_normalize_axis(a, r, &axis)) {
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "axis %lld is out of range for rank %d", (long long)a, r);
    }
    g->outer = rn_nn_prod(d, axis);
    g->n = rn_nn_prod(d + axis, r - axis);
    g->inner = 1;
  } else {
    int64_t a = rn_attr_int(ctx->node, "axis", -1);
    if (r == 0) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "input must have rank >= 1");
    if (!rn_normalize_axis(a, r, &axis))
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "axis %lld is out of range for rank %d", (long long)a, r);
    g->outer = rn_nn_prod(d, axis);
    g->n = d[axis];
    g->inner = rn_nn_prod(d + axis + 1, r - axis - 1);
  }
  return NULL;
}

static rn_status *sm_infer(rn_op_ctx *ctx) {
  sm_geom g;
  RN_TRY(sm_geom_get(ctx, &g));
  rn_op_set_output(ctx, 0, ctx->inputs[0]->dtype, &ctx->inputs[0]->shape);
  return NULL;
}

/* Per inner position: the running max and sum (double). */
static size_t sm_workspace(const rn_op_ctx *ctx) {
  sm_geom g;
  rn_status *st = sm_geom_get(ctx, &g);
  if (st) {
    rn_status_free(st);
    return 0;
  }
  return (size_t)(2 * g.inner) * sizeof(double);
}

#define SM_DEFINE(T, SUF, EXP, LOG)                                                                \
  static void sm_##SUF(int kind, const sm_geom *g, const T *x, T *y, double *work) {              \
    int64_t in = g->inner;                                                                        \
    double *mx = work, *sum = work + in;                                                          \
    for (int64_t o = 0; o < g->outer; o++) {                                                      \
      const T *xo = x + o * g->n * in;                                                            \
      T *yo = y + o * g->n * in;                                                                  \
      if (g->n == 0) continue;                                                                    \
      if (kind == SM_HARDMAX) {                                                                   \
        for (int64_t j = 0; j < in; j++) {                                                        \
          int64_t best = 0;                                                                       \
          for (int64_t k = 1; k < g->n; k++)                                                      \
            if (xo[k * in + j] > xo[best * in + j]) best = k;                                     \
          for (int64_t k = 0; k < g->n; k++) yo[k * in + j] = k == best ? 1 : 0;                  \
        }                                                                                         \
        continue;                                                                                 \
      }                                                                                           \
      for (int64_t j = 0; j < in; j++) {                                                          \
        mx[j] = xo[j];                                                                            \
        sum[j] = 0;                                                                               \
      }                                                                                           \
      for (int64_t k = 1; k < g->n; k++)                                                          \
        for (int64_t j = 0; j < in; j++)                                                          \
          if (xo[k * in + j] > mx[j]) mx[j] = xo[k * in + j];                                     \
      for (int64_t k = 0; k < g->n; k++) {                                                        \
        for (int64_t j = 0; j < in; j++) {                                                        \
          T e = EXP((T)(xo[k * in + j] - mx[j]));                                                 \
          sum[j] += e;                                                                            \
          if (kind == SM_SOFTMAX) yo[k * in + j] = e;                                             \
        }                                                                                         \
      }                                                                                           \
      if (kind == SM_SOFTMAX) {                                                                   \
        for (int64_t j = 0; j < in; j++) sum[j] = 1.0 / sum[j];                                   \
        for (int64_t k = 0; k < g->n; k++)                                                        \
          for (int64_t j = 0; j < in; j++) yo[k * in + j] = (T)(yo[k * in + j] * sum[j]);         \
      } else {                                                                                    \
        for (int64_t j = 0; j < in; j++) sum[j] = mx[j] + log(sum[j]);                            \
        for (int64_t k = 0; k < g->n; k++)                                                        \
          for (int64_t j = 0; j < in; j++) yo[k * in + j] = (T)(xo[k * in + j] - sum[j]);         \
      }                                                                                           \
    }                                                                                             \
  }

SM_DEFINE(float, f32, expf, logf)
SM_DEFINE(double, f64, exp, log)

static rn_status *sm_run(rn_op_ctx *ctx, int kind) {
  sm_geom g;
  RN_TRY(sm_geom_get(ctx, &g));
  const rn_tensor *x = ctx->inputs[0];
  if (x->dtype == RN_DTYPE_FLOAT) sm_f32(kind, &g, x->data, ctx->outputs[0]->data, ctx->workspace);
  else sm_f64(kind, &g, x->data, ctx->outputs[0]->data, ctx->workspace);
  return NULL;
}

static rn_status *softmax_run(rn_op_ctx *ctx) { return sm_run(ctx, SM_SOFTMAX); }
static rn_status *logsoftmax_run(rn_op_ctx *ctx) { return sm_run(ctx, SM_LOGSOFTMAX); }
static rn_status *hardmax_run(rn_op_ctx *ctx) { return sm_run(ctx, SM_HARDMAX); }

const rn_op_def rn_op_softmax = {
    .domain = "", .op_type = "Softmax", .since_version = 1, .max_version = 21,
    .min_inputs = 1, .max_inputs = 1, .min_outputs = 1, .max_outputs = 1,
    .infer = sm_infer, .run = softmax_run, .workspace = sm_workspace,
};

const rn_op_def rn_op_log_softmax = {
    .domain = "", .op_type = "LogSoftmax", .since_version = 1, .max_version = 21,
    .min_inputs = 1, .max_inputs = 1, .min_outputs = 1, .max_outputs = 1,
    .infer = sm_infer, .run = logsoftmax_run, .workspace = sm_workspace,
};

const rn_op_def rn_op_hardmax = {
    .domain = "", .op_type = "Hardmax", .since_version = 1, .max_version = 21,
    .min_inputs = 1, .max_inputs = 1, .min_outputs = 1, .max_outputs = 1,
    .infer = sm_infer, .run = hardmax_run, .workspace = sm_workspace,
};
