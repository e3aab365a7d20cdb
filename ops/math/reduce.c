/* Reductions over a set of axes: ReduceSum, ReduceMean, ReduceMax,
 * ReduceMin, ReduceProd, ReduceL1, ReduceL2, ReduceLogSum, ReduceLogSumExp,
 * ReduceSumSquare. The axes are an attribute until opset 13 (ReduceSum) or
 * 18 (the others), then an optional input; noop_with_empty_axes then makes
 * empty axes reduce nothing.
 *
 * The kernel walks the input once in memory order. Adjacent dims that are
 * all reduced or all kept merge into groups, so the innermost loop either
 * folds a contiguous run into one accumulator (inner dims reduced) or folds
 * a contiguous run into a contiguous run of accumulators (inner dims kept).
 * Accumulators live in the workspace: double for float types, 64-bit
 * integers (wrapping) for integer types. ReduceLogSumExp subtracts each
 * output's maximum before exp (two passes). */
#include <math.h>
#include <string.h>

#include "math_ops.h"

enum { R_SUM, R_MEAN, R_MAX, R_MIN, R_PROD, R_L1, R_L2, R_LOGSUM, R_LSE, R_SUMSQ };

/* The opset from which axes come from an input. */
static int axes_input_opset(int op) { return op == R_SUM ? 13 : 18; }

/* Which input dims are reduced. */
typedef struct reduce_plan {
  bool reduce[RN_MAX_RANK];
  bool noop; /* empty axes with noop_with_empty_axes: each element alone */
} reduce_plan;

static rn_status *plan_axes(const rn_op_ctx *ctx, int op, reduce_plan *p) {
  const rn_tensor *x = ctx->inputs[0];
  int rank = x->shape.rank;
  int64_t axes[RN_MAX_RANK];
  int n_axes = 0;
  memset(p, 0, sizeof *p);
  if (ctx->opset >= axes_input_opset(op)) {
    const rn_tensor *t = rn_op_input(ctx, 1);
    if (t) RN_TRY(rn_op_const_ints(ctx, t, "axes", axes, RN_MAX_RANK, &n_axes));
  } else {
    if (ctx->n_inputs > 1)
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "axes is an attribute before opset %d",
                         axes_input_opset(op));
    const int64_t *vals;
    int64_t n = rn_attr_ints(ctx->node, "axes", &vals);
    if (n > RN_MAX_RANK)
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "%lld axes for rank %d", (long long)n, rank);
    for (int64_t i = 0; i < n; i++) axes[n_axes++] = vals[i];
  }
  if (n_axes == 0) {
    int64_t noop = rn_attr_int(ctx->node, "noop_with_empty_axes", 0);
    if (noop) p->noop = true;
    else
      for (int i = 0; i < rank; i++) p->reduce[i] = true;
    return NULL;
  }
  for (int i = 0; i < n_axes; i++) {
    int a;
    if (!rn_normalize_axis(axes[i], rank, &a))
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "axis %lld out of range for rank %d",
                         (long long)axes[i], rank);
    if (p->reduce[a])
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "axis %lld repeated", (long long)axes[i]);
    p->reduce[a] = true;
  }
  return NULL;
}

static rn_status *reduce_infer(rn_op_ctx *ctx, int op) {
  RN_TRY(rn_op_require(ctx, 1));
  const rn_tensor *x = ctx->inputs[0];
  RN_TRY(rn_mops_check_type(ctx, x, op == R_LSE ? RN_MOPS_T_FLOAT : RN_MOPS_T_NUM, "input"));
  reduce_plan p;
  RN_TRY(plan_axes(ctx, op, &p));
  int64_t keepdims = rn_attr_int(ctx->node, "keepdims", 1);
  rn_shape out;
  out.rank = 0;
  for (int i = 0; i < x->shape.rank; i++) {
    if (!p.reduce[i]) out.dims[out.rank++] = x->shape.dims[i];
    else if (keepdims) out.dims[out.rank++] = 1;
  }
  rn_op_set_output(ctx, 0, x->dtype, &out);
  return NULL;
}

static size_t reduce_workspace(const rn_op_ctx *ctx, int op) {
  int64_t n = rn_shape_numel(&ctx->outputs[0]->shape);
  if (n <= 0) return 0;
  return (size_t)n * 8 * (op == R_LSE ? 2 : 1);
}

/* The merged loop nest: groups of dims, outer to inner. */
typedef struct walk {
  int g;                         /* groups (>= 1) */
  int64_t dims[RN_MAX_RANK];
  bool red[RN_MAX_RANK];
  int64_t ostride[RN_MAX_RANK];  /* accumulator stride per group (0 if reduced) */
  int64_t rows, n;               /* rows of n contiguous input elements */
} walk;

static void make_walk(const rn_shape *s, const reduce_plan *p, walk *w) {
  memset(w, 0, sizeof *w);
  for (int i = 0; i < s->rank; i++) {
    int64_t d = s->dims[i];
    if (d == 1) continue;
    bool r = p->noop ? false : p->reduce[i];
    if (w->g > 0 && w->red[w->g - 1] == r) {
      w->dims[w->g - 1] *= d;
    } else {
      w->dims[w->g] = d;
      w->red[w->g] = r;
      w->g++;
    }
  }
  if (w->g == 0) {
    w->g = 1;
    w->dims[0] = 1;
  }
  int64_t st = 1;
  for (int i = w->g - 1; i >= 0; i--) {
    w->ostride[i] = w->red[i] ? 0 : st;
    if (!w->red[i]) st *= w->dims[i];
  }
  w->n = w->dims[w->g - 1];
  w->rows = 1;
  for (int i = 0; i < w->g - 1; i++) w->rows *= w->dims[i];
}

/* Loops over the rows; F(v, J) maps element v (J: its accumulator's index
 * within the row's accumulators) and COMB folds it into an accumulator. */
#define WALK(ACC, F, COMB)                                                                        \
  do {                                                                                            \
    int64_t idx[RN_MAX_RANK] = {0}, ooff = 0;                                                     \
    const int last = w.g - 1;                                                                     \
    for (int64_t row = 0; row < w.rows; row++) {                                                  \
      const elem_t *xr = x + row * w.n;                                                           \
      ACC *ar = acc + ooff;                                                                       \
      const ACC *mr = aux + ooff;                                                                 \
      (void)mr;                                                                                   \
      if (w.red[last]) {                                                                          \
        /* four independent chains: latency-bound folds run 4x faster */                          \
        ACC s = ar[0];                                                                            \
        int64_t i = 0;                                                                            \
        if (w.n >= 8) {                                                                           \
          const ACC v0 = (ACC)xr[0], v1 = (ACC)xr[1];                                             \
          const ACC v2 = (ACC)xr[2], v3 = (ACC)xr[3];                                             \
          ACC s0 = COMB(s, F(v0, 0)), s1 = F(v1, 0), s2 = F(v2, 0), s3 = F(v3, 0);                \
          for (i = 4; i + 4 <= w.n; i += 4) {                                                     \
            const ACC u0 = (ACC)xr[i], u1 = (ACC)xr[i + 1];                                       \
            const ACC u2 = (ACC)xr[i + 2], u3 = (ACC)xr[i + 3];                                   \
            s0 = COMB(s0, F(u0, 0));                                                              \
            s1 = COMB(s1, F(u1, 0));                                                              \
            s2 = COMB(s2, F(u2, 0));                                                              \
            s3 = COMB(s3, F(u3, 0));                                                              \
          }                                                                                       \
          s0 = COMB(s0, s1);                                                                      \
          s2 = COMB(s2, s3);                                                                      \
          s = COMB(s0, s2);                                                                       \
        }                                                                                         \
        for (; i < w.n; i++) {                                                                    \
          const ACC v = (ACC)xr[i];                                                               \
          s = COMB(s, F(v, 0));                                                                   \
        }                                                                                         \
        ar[0] = s;                                                                                \
      } else {                                                                                    \
        for (int64_t i = 0; i < w.n; i++) {                                                       \
          const ACC v = (ACC)xr[i];                                                               \
          ar[i] = COMB(ar[i], F(v, i));                                                           \
        }                                                                                         \
      }                                                                                           \
      for (int d = last - 1; d >= 0; d--) {                                                       \
        ooff += w.ostride[d];                                                                     \
        if (++idx[d] < w.dims[d]) break;                                                          \
        ooff -= w.ostride[d] * w.dims[d];                                                         \
        idx[d] = 0;                                                                               \
      }                                                                                           \
    }                                                                                             \
  } while (0)

#define F_ID(v, J) (v)
#define F_ABS(v, J) ((v) < 0 ? (ACC)((UACC)0 - (UACC)(v)) : (v))
#define F_SQ(v, J) (ACC)((UACC)(v) * (UACC)(v))
#define F_EXPM(v, J) exp((v) - mr[J])
#define C_ADD(a, b) (ACC)((UACC)(a) + (UACC)(b))
#define C_MUL(a, b) (ACC)((UACC)(a) * (UACC)(b))
#define C_MAX(a, b) (((b) > (a) || (b) != (b)) ? (b) : (a))
#define C_MIN(a, b) (((b) < (a) || (b) != (b)) ? (b) : (a))

/* Saturating conversions of a double result to an integer type. */
static int64_t sat_i64(double v) {
  if (v != v) return 0;
  if (v <= -9223372036854775808.0) return INT64_MIN;
  if (v >= 9223372036854775808.0) return INT64_MAX;
  return (int64_t)v;
}
static uint64_t sat_u64(double v) {
  if (!(v > 0)) return 0;
  if (v >= 18446744073709551616.0) return UINT64_MAX;
  return (uint64_t)v;
}

/* Accumulator types per kind, and a double result to T. */
#define ACC_F double
#define UACC_F double
#define ACC_S int64_t
#define UACC_S uint64_t
#define ACC_U uint64_t
#define UACC_U uint64_t
#define FROM_DOUBLE_F(v) (v)
#define FROM_DOUBLE_S(v) sat_i64(v)
#define FROM_DOUBLE_U(v) sat_u64(v)
#define LOWEST_F(T, UT) (-INFINITY)
#define HIGHEST_F(T, UT) INFINITY
#define HIGHEST_S(T, UT) (T)(((UT)1 << (sizeof(T) * 8 - 1)) - 1)
#define LOWEST_S(T, UT) (-HIGHEST_S(T, UT) - 1)
#define LOWEST_U(T, UT) 0
#define HIGHEST_U(T, UT) ((T)-1)

#define REDUCE_KERNEL(DT, T, S, K, UT)                                                            \
  static void reduce_##S(int op, const walk *wp, const T *x, T *y, int64_t nout,                  \
                         int64_t count, void *ws) {                                               \
    typedef ACC_##K ACC;                                                                          \
    typedef UACC_##K UACC;                                                                        \
    const walk w = *wp;                                                                           \
    ACC *acc = ws;                                                                                \
    ACC *aux = acc + nout; /* ReduceLogSumExp: the maxima */                                      \
    const bool has_data = w.rows * w.n > 0;                                                       \
    typedef T elem_t;                                                                             \
    const ACC lowest = LOWEST_##K(T, UT), highest = HIGHEST_##K(T, UT);                           \
    ACC init = 0;                                                                                 \
    if (op == R_PROD) init = 1;                                                                   \
    if (op == R_MAX || op == R_LSE) init = lowest;                                                \
    if (op == R_MIN) init = highest;                                                              \
    for (int64_t i = 0; i < nout; i++) acc[i] = init;                                             \
    if (has_data) switch (op) {                                                                   \
        case R_SUM:                                                                               \
        case R_MEAN:                                                                              \
        case R_LOGSUM: WALK(ACC, F_ID, C_ADD); break;                                             \
        case R_PROD: WALK(ACC, F_ID, C_MUL); break;                                               \
        case R_MAX: WALK(ACC, F_ID, C_MAX); break;                                                \
        case R_MIN: WALK(ACC, F_ID, C_MIN); break;                                                \
        case R_L1: WALK(ACC, F_ABS, C_ADD); break;                                                \
        case R_L2:                                                                                \
        case R_SUMSQ: WALK(ACC, F_SQ, C_ADD); break;                                              \
        case R_LSE:                                                                               \
          WALK(ACC, F_ID, C_MAX);                                                                 \
          for (int64_t i = 0; i < nout; i++) {                                                    \
            aux[i] = acc[i];                                                                      \
            if (!isfinite((double)aux[i])) aux[i] = 0; /* keep exp(v - m) defined */              \
            acc[i] = 0;                                                                           \
          }                                                                                       \
          WALK(ACC, F_EXPM, C_ADD);                                                               \
          break;                                                                                  \
        default: break;                                                                           \
      }                                                                                           \
    for (int64_t i = 0; i < nout; i++) {                                                          \
      switch (op) {                                                                               \
        case R_MEAN:                                                                              \
          y[i] = (T)FROM_DOUBLE_##K((double)acc[i] / (double)count);                              \
          break;                                                                                  \
        case R_L2: y[i] = (T)FROM_DOUBLE_##K(sqrt((double)acc[i])); break;                        \
        case R_LOGSUM: y[i] = (T)FROM_DOUBLE_##K(log((double)acc[i])); break;                     \
        case R_LSE:                                                                               \
          y[i] = (T)FROM_DOUBLE_##K(log((double)acc[i]) + (double)aux[i]);                        \
          if (!has_data) y[i] = (T)FROM_DOUBLE_##K(-INFINITY);                                    \
          break;                                                                                  \
        default: y[i] = (T)acc[i]; break;                                                         \
      }                                                                                           \
    }                                                                                             \
  }

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wtype-limits"
#pragma GCC diagnostic ignored "-Wsign-compare"
RN_MOPS_NUMERIC_TYPES(REDUCE_KERNEL)
#pragma GCC diagnostic pop

static rn_status *reduce_run(rn_op_ctx *ctx, int op) {
  const rn_tensor *x = ctx->inputs[0];
  rn_tensor *y = ctx->outputs[0];
  reduce_plan p;
  RN_TRY(plan_axes(ctx, op, &p));
  walk w;
  make_walk(&x->shape, &p, &w);
  int64_t nout = rn_shape_numel(&y->shape);
  if (nout <= 0) return NULL;
  int64_t count = rn_shape_numel(&x->shape) / nout;
  switch (x->dtype) {
#define REDUCE_CASE(DT, T, S, K, UT)                                                              \
  case DT: reduce_##S(op, &w, x->data, y->data, nout, count, ctx->workspace); break;
    RN_MOPS_NUMERIC_TYPES(REDUCE_CASE)
    default: return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "type %s", rn_dtype_name(x->dtype));
  }
  return NULL;
}

#define DEF_REDUCE(VAR, NAME, ID)                                                                 \
  static rn_status *VAR##_infer(rn_op_ctx *ctx) { return reduce_infer(ctx, ID); }                 \
  static rn_status *VAR##_run(rn_op_ctx *ctx) { return reduce_run(ctx, ID); }                     \
  static size_t VAR##_ws(const rn_op_ctx *ctx) { return reduce_workspace(ctx, ID); }              \
  const rn_op_def rn_op_##VAR = {                                                                 \
      .domain = "", .op_type = NAME, .since_version = 1, .max_version = 21,                       \
      .min_inputs = 1, .max_inputs = 2, .min_outputs = 1, .max_outputs = 1,                       \
      .infer = VAR##_infer, .run = VAR##_run, .workspace = VAR##_ws,                              \
  };

DEF_REDUCE(reduce_sum, "ReduceSum", R_SUM)
DEF_REDUCE(reduce_mean, "ReduceMean", R_MEAN)
DEF_REDUCE(reduce_max, "ReduceMax", R_MAX)
DEF_REDUCE(reduce_min, "ReduceMin", R_MIN)
DEF_REDUCE(reduce_prod, "ReduceProd", R_PROD)
DEF_REDUCE(reduce_l1, "ReduceL1", R_L1)
DEF_REDUCE(reduce_l2, "ReduceL2", R_L2)
DEF_REDUCE(reduce_log_sum, "ReduceLogSum", R_LOGSUM)
DEF_REDUCE(reduce_log_sum_exp, "ReduceLogSumExp", R_LSE)
DEF_REDUCE(reduce_sum_square, "ReduceSumSquare", R_SUMSQ)
