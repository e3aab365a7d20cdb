/* MatMul (1..21): numpy matmul semantics: 1-D operands are promoted (and
 * the added dim dropped from the result), leading dims broadcast.
 * float, double, int32/int64, uint32/uint64. */
#include "nn_ops.h"

#include <string.h>

typedef struct matmul_geom {
  int64_t m, n, k;
  rn_shape ys;            /* output shape */
  int nb;                 /* batch rank of the output */
  int64_t bdims[RN_MAX_RANK];
  int64_t astr[RN_MAX_RANK], bstr[RN_MAX_RANK]; /* batch strides (0 = broadcast), elements */
  int64_t batch;          /* product of bdims */
} matmul_geom;

static rn_status *matmul_geom_get(const rn_op_ctx *ctx, matmul_geom *g) {
  RN_TRY(rn_nn_require_inputs(ctx, 2));
  const rn_tensor *a = ctx->inputs[0], *b = ctx->inputs[1];
  if (!rn_nn_gemm_dtype_ok(a->dtype))
    return rn_op_error(ctx, a->dtype == RN_DTYPE_FLOAT16 ? RN_ERR_UNSUPPORTED : RN_ERR_INVALID_MODEL,
                       "element type %s is not supported", rn_dtype_name(a->dtype));
  if (b->dtype != a->dtype)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "A and B must have the same element type");
  int ra = a->shape.rank, rb = b->shape.rank;
  if (ra < 1 || rb < 1)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "operands must have rank >= 1 (%d, %d)", ra, rb);
  /* Promoted views: A as [..., m, k], B as [..., k, n]. */
  g->m = ra == 1 ? 1 : a->shape.dims[ra - 2];
  g->k = a->shape.dims[ra - 1];
  int64_t kb = rb == 1 ? b->shape.dims[0] : b->shape.dims[rb - 2];
  g->n = rb == 1 ? 1 : b->shape.dims[rb - 1];
  if (kb != g->k)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "inner dimensions differ: %lld vs %lld",
                       (long long)g->k, (long long)kb);
  int nba = ra > 2 ? ra - 2 : 0, nbb = rb > 2 ? rb - 2 : 0;
  g->nb = nba > nbb ? nba : nbb;
  int64_t sa = g->m * g->k, sb = g->k * g->n;
  g->batch = 1;
  for (int i = g->nb - 1; i >= 0; i--) {
    int ia = i - (g->nb - nba), ib = i - (g->nb - nbb);
    int64_t da = ia >= 0 ? a->shape.dims[ia] : 1, db = ib >= 0 ? b->shape.dims[ib] : 1;
    if (da != db && da != 1 && db != 1)
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "batch dims %lld and %lld do not broadcast",
                         (long long)da, (long long)db);
    g->bdims[i] = da == 1 ? db : da;
    g->astr[i] = da == 1 ? 0 : sa;
    g->bstr[i] = db == 1 ? 0 : sb;
    sa *= da;
    sb *= db;
  }
  g->ys.rank = 0;
  for (int i = 0; i < g->nb; i++) g->ys.dims[g->ys.rank++] = g->bdims[i];
  if (ra > 1) g->ys.dims[g->ys.rank++] = g->m;
  if (rb > 1) g->ys.dims[g->ys.rank++] = g->n;
  int64_t numel = rn_shape_numel(&g->ys);
  if (numel < 0) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "output size overflows");
  g->batch = rn_nn_prod(g->bdims, g->nb);
  return NULL;
}

static rn_status *matmul_infer(rn_op_ctx *ctx) {
  matmul_geom g;
  RN_TRY(matmul_geom_get(ctx, &g));
  rn_op_set_output(ctx, 0, ctx->inputs[0]->dtype, &g.ys);
  return NULL;
}

static size_t matmul_workspace(const rn_op_ctx *ctx) {
  return rn_nn_gemm_workspace(ctx->inputs[0]->dtype);
}

static rn_status *matmul_run(rn_op_ctx *ctx) {
  matmul_geom g;
  RN_TRY(matmul_geom_get(ctx, &g));
  const rn_tensor *a = ctx->inputs[0], *b = ctx->inputs[1];
  rn_tensor *y = ctx->outputs[0];
  rn_dtype dt = a->dtype;
  size_t es = rn_dtype_size(dt);
  if (g.batch == 0 || g.m == 0 || g.n == 0) return NULL;
  /* B shared by every batch and A contiguous: one tall product. */
  bool b_shared = true, a_full = true;
  for (int i = 0; i < g.nb; i++) {
    if (g.bstr[i] != 0 && g.bdims[i] != 1) b_shared = false;
    if (g.astr[i] == 0 && g.bdims[i] != 1) a_full = false;
  }
  if (b_shared && a_full) {
    rn_nn_gemm_any(dt, g.batch * g.m, g.n, g.k, 1, a->data, g.k, 1, b->data, g.n, 1, 0, y->data, g.n,
                   ctx->workspace);
    return NULL;
  }
  int64_t idx[RN_MAX_RANK] = {0};
  for (int64_t p = 0; p < g.batch; p++) {
    int64_t ao = 0, bo = 0;
    for (int i = 0; i < g.nb; i++) {
      ao += idx[i] * g.astr[i];
      bo += idx[i] * g.bstr[i];
    }
    rn_nn_gemm_any(dt, g.m, g.n, g.k, 1, (const char *)a->data + (size_t)ao * es, g.k, 1,
                   (const char *)b->data + (size_t)bo * es, g.n, 1, 0,
                   (char *)y->data + (size_t)(p * g.m * g.n) * es, g.n, ctx->workspace);
    rn_nn_odometer_next(idx, g.bdims, g.nb);
  }
  return NULL;
}

const rn_op_def rn_op_matmul = {
    .domain = "", .op_type = "MatMul", .since_version = 1, .max_version = 21,
    .min_inputs = 2, .max_inputs = 2, .min_outputs = 1, .max_outputs = 1,
    .infer = matmul_infer, .run = matmul_run, .workspace = matmul_workspace,
};
