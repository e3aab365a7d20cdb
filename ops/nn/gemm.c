/* Gemm (1..21): Y = alpha * op(A) * op(B) + beta * C, C broadcast to
 * [M, N] (unidirectionally) and optional (as opset 11 allows; earlier opsets'
 * `broadcast` attribute is subsumed by always broadcasting). */
#include "nn_ops.h"

#include <string.h>

typedef struct gemm_geom {
  int64_t m, n, k;
  bool ta, tb;
} gemm_geom;

static rn_status *gemm_geom_get(const rn_op_ctx *ctx, gemm_geom *g) {
  RN_TRY(rn_nn_require_inputs(ctx, 2));
  const rn_tensor *a = ctx->inputs[0], *b = ctx->inputs[1], *c = rn_op_input(ctx, 2);
  if (!rn_nn_gemm_dtype_ok(a->dtype))
    return rn_op_error(ctx, a->dtype == RN_DTYPE_FLOAT16 ? RN_ERR_UNSUPPORTED : RN_ERR_INVALID_MODEL,
                       "element type %s is not supported", rn_dtype_name(a->dtype));
  if (b->dtype != a->dtype || (c && c->dtype != a->dtype))
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "A, B and C must have the same element type");
  if (a->shape.rank != 2 || b->shape.rank != 2)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "A and B must be matrices (ranks %d, %d)",
                       a->shape.rank, b->shape.rank);
  g->ta = rn_attr_int(ctx->node, "transA", 0) != 0;
  g->tb = rn_attr_int(ctx->node, "transB", 0) != 0;
  g->m = a->shape.dims[g->ta ? 1 : 0];
  g->k = a->shape.dims[g->ta ? 0 : 1];
  int64_t kb = b->shape.dims[g->tb ? 1 : 0];
  g->n = b->shape.dims[g->tb ? 0 : 1];
  if (kb != g->k)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "inner dimensions differ: %lld vs %lld",
                       (long long)g->k, (long long)kb);
  if (c) {
    if (c->shape.rank > 2)
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "C must have rank <= 2, got %d", c->shape.rank);
    int64_t want[2] = {g->m, g->n};
    for (int i = 0; i < c->shape.rank; i++) {
      int64_t d = c->shape.dims[c->shape.rank - 1 - i], w = want[1 - i];
      if (d != 1 && d != w)
        return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "C does not broadcast to [%lld, %lld]",
                           (long long)g->m, (long long)g->n);
    }
  }
  rn_shape ys = rn_shape_make(2, (int64_t[]){g->m, g->n});
  if (rn_shape_numel(&ys) < 0) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "output size overflows");
  return NULL;
}

static rn_status *gemm_infer(rn_op_ctx *ctx) {
  gemm_geom g;
  RN_TRY(gemm_geom_get(ctx, &g));
  rn_shape ys = rn_shape_make(2, (int64_t[]){g.m, g.n});
  rn_op_set_output(ctx, 0, ctx->inputs[0]->dtype, &ys);
  return NULL;
}

static size_t gemm_workspace(const rn_op_ctx *ctx) {
  return rn_nn_gemm_workspace(ctx->inputs[0]->dtype);
}

static rn_status *gemm_run(rn_op_ctx *ctx) {
  gemm_geom g;
  RN_TRY(gemm_geom_get(ctx, &g));
  const rn_tensor *a = ctx->inputs[0], *b = ctx->inputs[1], *c = rn_op_input(ctx, 2);
  rn_tensor *y = ctx->outputs[0];
  double alpha = rn_attr_float(ctx->node, "alpha", 1.0f);
  double beta = rn_attr_float(ctx->node, "beta", 1.0f);
  size_t es = rn_dtype_size(a->dtype);
  if (c && beta != 0) {
    /* Y = C broadcast; the product then accumulates onto beta * Y. */
    int64_t cm = c->shape.rank == 2 ? c->shape.dims[0] : 1;
    int64_t cn = c->shape.rank >= 1 ? c->shape.dims[c->shape.rank - 1] : 1;
    char *yp = y->data;
    const char *cp = c->data;
    for (int64_t i = 0; i < g.m; i++) {
      const char *crow = cp + (size_t)(cm == 1 ? 0 : i) * (size_t)cn * es;
      char *yrow = yp + (size_t)(i * g.n) * es;
      if (cn == g.n) {
        memcpy(yrow, crow, (size_t)g.n * es);
      } else {
        for (int64_t j = 0; j < g.n; j++) memcpy(yrow + (size_t)j * es, crow, es);
      }
    }
  } else {
    beta = 0;
  }
  int64_t rsa = g.ta ? 1 : g.k, csa = g.ta ? g.m : 1;
  int64_t rsb = g.tb ? 1 : g.n, csb = g.tb ? g.k : 1;
  rn_nn_gemm_any(a->dtype, g.m, g.n, g.k, alpha, a->data, rsa, csa, b->data, rsb, csb, beta, y->data,
                 g.n, ctx->workspace);
  return NULL;
}

const rn_op_def rn_op_gemm = {
    .domain = "", .op_type = "Gemm", .since_version = 1, .max_version = 21,
    .min_inputs = 2, .max_inputs = 3, .min_outputs = 1, .max_outputs = 1,
    .infer = gemm_infer, .run = gemm_run, .workspace = gemm_workspace,
};
