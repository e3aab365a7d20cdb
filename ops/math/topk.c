/* TopK: the k largest (or smallest) elements along an axis and their int64
 * indices, sorted, equal values by lower index first (a stable sort). NaN
 * counts as larger than any number. k is an attribute before opset 10, then
 * input 1, which must be constant (it sets the output shape). */
#include "math_ops.h"

/* Pairs of value and index, sorted by a stable bottom-up merge sort. */
#define TOPK_KERNEL(DT, T, S, K, UT)                                                              \
  typedef struct pair_##S {                                                                       \
    T v;                                                                                          \
    int64_t i;                                                                                    \
  } pair_##S;                                                                                     \
  static inline bool before_##S(T a, T b, bool largest) {                                         \
    bool an = a != a, bn = b != b;                                                                \
    return largest ? (a > b || (an && !bn)) : (a < b || (bn && !an));                             \
  }                                                                                               \
  static void topk_##S(const T *x, T *yv, int64_t *yi, int64_t outer, int64_t n,                  \
                       int64_t inner, int64_t k, bool largest, void *ws) {                        \
    pair_##S *a = ws, *b = a + n;                                                                 \
    for (int64_t o = 0; o < outer; o++)                                                           \
      for (int64_t c = 0; c < inner; c++) {                                                       \
        const T *xs = x + o * n * inner + c;                                                      \
        for (int64_t j = 0; j < n; j++) {                                                         \
          a[j].v = xs[j * inner];                                                                 \
          a[j].i = j;                                                                             \
        }                                                                                         \
        pair_##S *src = a, *dst = b;                                                              \
        for (int64_t w = 1; w < n; w *= 2) {                                                      \
          for (int64_t lo = 0; lo < n; lo += 2 * w) {                                             \
            int64_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;          \
            int64_t p = lo, q = mid, r = lo;                                                      \
            while (p < mid && q < hi)                                                             \
              dst[r++] = before_##S(src[q].v, src[p].v, largest) ? src[q++] : src[p++];           \
            while (p < mid) dst[r++] = src[p++];                                                  \
            while (q < hi) dst[r++] = src[q++];                                                   \
          }                                                                                       \
          pair_##S *t = src;                                                                      \
          src = dst;                                                                              \
          dst = t;                                                                                \
        }                                                                                         \
        int64_t base = o * k * inner + c;                                                         \
        for (int64_t j = 0; j < k; j++) {                                                         \
          if (yv) yv[base + j * inner] = src[j].v;                                                \
          if (yi) yi[base + j * inner] = src[j].i;                                                \
        }                                                                                         \
      }                                                                                           \
  }
RN_MOPS_NUMERIC_TYPES(TOPK_KERNEL)

static rn_status *topk_params(const rn_op_ctx *ctx, int *axis, int64_t *k) {
  const rn_tensor *x = ctx->inputs[0];
  int64_t a = rn_attr_int(ctx->node, "axis", -1);
  if (!rn_normalize_axis(a, x->shape.rank, axis))
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "axis %lld out of range for rank %d",
                       (long long)a, x->shape.rank);
  if (ctx->opset < 10) {
    const rn_attr *ka = rn_node_attr(ctx->node, "k");
    if (!ka) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "attribute k is missing");
    *k = ka->i;
  } else {
    const rn_tensor *kt = rn_op_input(ctx, 1);
    if (!kt) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "input K is missing");
    int64_t vals[1];
    int n;
    RN_TRY(rn_op_const_ints(ctx, kt, "K", vals, 1, &n));
    if (n != 1) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "K must hold one value");
    *k = vals[0];
  }
  if (*k < 0 || *k > x->shape.dims[*axis])
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "k = %lld out of range 0..%lld", (long long)*k,
                       (long long)x->shape.dims[*axis]);
  return NULL;
}

static rn_status *topk_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 1));
  const rn_tensor *x = ctx->inputs[0];
  RN_TRY(rn_mops_check_type(ctx, x, RN_MOPS_T_NUM, "input"));
  if (x->shape.rank == 0)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "input must have rank >= 1");
  int axis;
  int64_t k;
  RN_TRY(topk_params(ctx, &axis, &k));
  rn_shape out = x->shape;
  out.dims[axis] = k;
  rn_op_set_output(ctx, 0, x->dtype, &out);
  rn_op_set_output(ctx, 1, RN_DTYPE_INT64, &out);
  return NULL;
}

static size_t topk_workspace(const rn_op_ctx *ctx) {
  const rn_tensor *x = ctx->inputs[0];
  int axis;
  if (!rn_normalize_axis(rn_attr_int(ctx->node, "axis", -1), x->shape.rank, &axis)) return 0;
  /* two arrays of (value, index) pairs along the axis; a pair is <= 16 bytes */
  return (size_t)x->shape.dims[axis] * 2 * 16;
}

static rn_status *topk_run(rn_op_ctx *ctx) {
  const rn_tensor *x = ctx->inputs[0];
  int axis;
  int64_t k;
  RN_TRY(topk_params(ctx, &axis, &k));
  int64_t outer = 1, inner = 1, n = x->shape.dims[axis];
  for (int i = 0; i < axis; i++) outer *= x->shape.dims[i];
  for (int i = axis + 1; i < x->shape.rank; i++) inner *= x->shape.dims[i];
  bool largest = ctx->opset < 11 || rn_attr_int(ctx->node, "largest", 1) != 0;
  rn_tensor *yv = rn_op_output(ctx, 0), *yi = rn_op_output(ctx, 1);
  if (k == 0 || outer * inner == 0) return NULL;
  switch (x->dtype) {
#define TOPK_CASE(DT, T, S, K, UT)                                                                \
  case DT:                                                                                        \
    topk_##S(x->data, yv ? yv->data : NULL, yi ? yi->data : NULL, outer, n, inner, k, largest,    \
             ctx->workspace);                                                                     \
    break;
    RN_MOPS_NUMERIC_TYPES(TOPK_CASE)
    default: return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "type %s", rn_dtype_name(x->dtype));
  }
  return NULL;
}

const rn_op_def rn_op_topk = {
    .domain = "", .op_type = "TopK", .since_version = 1, .max_version = 21,
    .min_inputs = 1, .max_inputs = 2, .min_outputs = 2, .max_outputs = 2,
    .infer = topk_infer, .run = topk_run, .workspace = topk_workspace,
};
