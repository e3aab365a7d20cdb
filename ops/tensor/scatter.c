/* ScatterElements (and the deprecated Scatter) and ScatterND: the output is
 * a copy of data with updates written (or reduced: add/mul/max/min) at the
 * given indices. Indices are range-checked at run time. */
#include <string.h>

#include "tensor_ops.h"

enum { RED_NONE, RED_ADD, RED_MUL, RED_MAX, RED_MIN };

static rn_status *get_reduction(const rn_op_ctx *ctx, int *red) {
  const char *s = ctx->opset >= 16 ? rn_attr_string(ctx->node, "reduction", "none") : "none";
  if (!strcmp(s, "none")) *red = RED_NONE;
  else if (!strcmp(s, "add")) *red = RED_ADD;
  else if (!strcmp(s, "mul")) *red = RED_MUL;
  else if (!strcmp(s, "max") && ctx->opset >= 18) *red = RED_MAX;
  else if (!strcmp(s, "min") && ctx->opset >= 18) *red = RED_MIN;
  else return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "unknown reduction '%s'", s);
  return NULL;
}

/* ADD/MUL: floats natively, integers in unsigned 64-bit (wraps, no UB). */
#define REDUCE_T(T, FLOATING)                                                   \
  do {                                                                          \
    T a, b;                                                                     \
    memcpy(&a, dst, sizeof a);                                                  \
    memcpy(&b, src, sizeof b);                                                  \
    switch (red) {                                                              \
      case RED_ADD: a = FLOATING ? (T)(a + b) : (T)((uint64_t)a + (uint64_t)b); break; \
      case RED_MUL: a = FLOATING ? (T)(a * b) : (T)((uint64_t)a * (uint64_t)b); break; \
      case RED_MAX: a = a > b ? a : b; break;                                   \
      default: a = a < b ? a : b; break;                                        \
    }                                                                           \
    memcpy(dst, &a, sizeof a);                                                  \
  } while (0)

/* dst = dst (op) src for one element; dtypes were checked in infer. */
static void reduce_elem(char *dst, const char *src, rn_dtype dt, size_t es, int red) {
  switch (dt) {
    case RN_DTYPE_FLOAT: REDUCE_T(float, 1); break;
    case RN_DTYPE_DOUBLE: REDUCE_T(double, 1); break;
    case RN_DTYPE_INT8: REDUCE_T(int8_t, 0); break;
    case RN_DTYPE_UINT8: REDUCE_T(uint8_t, 0); break;
    case RN_DTYPE_INT16: REDUCE_T(int16_t, 0); break;
    case RN_DTYPE_UINT16: REDUCE_T(uint16_t, 0); break;
    case RN_DTYPE_INT32: REDUCE_T(int32_t, 0); break;
    case RN_DTYPE_UINT32: REDUCE_T(uint32_t, 0); break;
    case RN_DTYPE_UINT64: REDUCE_T(uint64_t, 0); break;
    case RN_DTYPE_INT64: REDUCE_T(int64_t, 0); break;
    case RN_DTYPE_FLOAT16: {
      uint16_t ha, hb;
      memcpy(&ha, dst, 2);
      memcpy(&hb, src, 2);
      float a = rn_half_to_float(ha), b = rn_half_to_float(hb);
      a = red == RED_ADD ? a + b : red == RED_MUL ? a * b : red == RED_MAX ? (a > b ? a : b)
                                                                           : (a < b ? a : b);
      ha = rn_float_to_half(a);
      memcpy(dst, &ha, 2);
      break;
    }
    default: memcpy(dst, src, es); break; /* bool: infer refuses reductions */
  }
}

static inline int64_t index_at(const rn_tensor *t, int64_t i) {
  return t->dtype == RN_DTYPE_INT64 ? ((const int64_t *)t->data)[i]
                                    : ((const int32_t *)t->data)[i];
}

static inline void put(char *dst, const char *src, rn_dtype dt, size_t es, int red) {
  if (red == RED_NONE) memcpy(dst, src, es);
  else reduce_elem(dst, src, dt, es, red);
}

static rn_status *common_checks(const rn_op_ctx *ctx, int *red) {
  RN_TRY(rn_op_require(ctx, 3));
  const rn_tensor *x = ctx->inputs[0], *idx = ctx->inputs[1], *upd = ctx->inputs[2];
  RN_TRY(rn_tops_check_fixed(ctx, x, "data"));
  if (!rn_op_is_index_dtype(idx->dtype))
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "indices must be int32 or int64");
  if (upd->dtype != x->dtype)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "updates type %s differs from data type %s",
                       rn_dtype_name(upd->dtype), rn_dtype_name(x->dtype));
  RN_TRY(get_reduction(ctx, red));
  if (*red != RED_NONE && x->dtype == RN_DTYPE_BOOL)
    return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "reductions on bool are not supported");
  return NULL;
}

/* ---- ScatterElements / Scatter ---- */

static rn_status *scatter_elements_infer(rn_op_ctx *ctx) {
  int red = 0;
  RN_TRY(common_checks(ctx, &red));
  const rn_tensor *x = ctx->inputs[0], *idx = ctx->inputs[1], *upd = ctx->inputs[2];
  int r = x->shape.rank, axis;
  int64_t av = rn_attr_int(ctx->node, "axis", 0);
  if (!rn_normalize_axis(av, r, &axis))
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "axis %lld out of range for rank %d",
                       (long long)av, r);
  if (!rn_shape_equal(&idx->shape, &upd->shape))
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "indices and updates shapes differ");
  if (idx->shape.rank != r)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "indices rank %d differs from data rank %d",
                       idx->shape.rank, r);
  for (int i = 0; i < r; i++)
    if (i != axis && idx->shape.dims[i] > x->shape.dims[i])
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "indices dim %d exceeds data's", i);
  rn_op_set_output(ctx, 0, x->dtype, &x->shape);
  return NULL;
}

static rn_status *scatter_elements_run(rn_op_ctx *ctx) {
  int red = 0;
  RN_TRY(get_reduction(ctx, &red));
  const rn_tensor *x = ctx->inputs[0], *idx = ctx->inputs[1], *upd = ctx->inputs[2];
  rn_tensor *y = ctx->outputs[0];
  rn_tops_copy_data(y, x);
  int r = x->shape.rank, axis;
  rn_normalize_axis(rn_attr_int(ctx->node, "axis", 0), r, &axis);
  size_t es = rn_dtype_size(x->dtype);
  int64_t xs[RN_MAX_RANK], pos[RN_MAX_RANK] = {0};
  rn_op_strides(&x->shape, xs);
  int64_t n = rn_shape_numel(&idx->shape), dim = x->shape.dims[axis], off = 0;
  char *dst = y->data;
  const char *src = upd->data;
  for (int64_t j = 0; j < n; j++) {
    int64_t k = index_at(idx, j);
    if (k < -dim || k >= dim)
      return rn_op_error(ctx, RN_ERR_RUNTIME, "index %lld out of range for dim %lld",
                         (long long)k, (long long)dim);
    if (k < 0) k += dim;
    put(dst + (size_t)(off + k * xs[axis]) * es, src + (size_t)j * es, x->dtype, es, red);
    for (int d = r - 1; d >= 0; d--) {
      if (++pos[d] < idx->shape.dims[d]) {
        if (d != axis) off += xs[d];
        break;
      }
      if (d != axis) off -= xs[d] * (pos[d] - 1);
      pos[d] = 0;
    }
  }
  return NULL;
}

const rn_op_def rn_op_scatter_elements = {
    .domain = "", .op_type = "ScatterElements", .since_version = 11, .max_version = 21,
    .min_inputs = 3, .max_inputs = 3, .min_outputs = 1, .max_outputs = 1,
    .infer = scatter_elements_infer, .run = scatter_elements_run,
};

const rn_op_def rn_op_scatter = {
    .domain = "", .op_type = "Scatter", .since_version = 9, .max_version = 10,
    .min_inputs = 3, .max_inputs = 3, .min_outputs = 1, .max_outputs = 1,
    .infer = scatter_elements_infer, .run = scatter_elements_run,
};

/* ---- ScatterND ---- */

static rn_status *scatter_nd_infer(rn_op_ctx *ctx) {
  int red = 0;
  RN_TRY(common_checks(ctx, &red));
  const rn_tensor *x = ctx->inputs[0], *idx = ctx->inputs[1], *upd = ctx->inputs[2];
  int r = x->shape.rank, q = idx->shape.rank;
  if (r < 1 || q < 1) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "data and indices need rank >= 1");
  int64_t k = idx->shape.dims[q - 1];
  if (k < 1 || k > r)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "indices last dim %lld out of range 1..%d",
                       (long long)k, r);
  /* updates shape = indices.shape[:-1] + data.shape[k:] */
  bool ok = upd->shape.rank == q - 1 + r - (int)k;
  for (int i = 0; ok && i < q - 1; i++) ok = upd->shape.dims[i] == idx->shape.dims[i];
  for (int i = (int)k; ok && i < r; i++) ok = upd->shape.dims[q - 1 + i - (int)k] == x->shape.dims[i];
  if (!ok) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "updates shape does not match");
  rn_op_set_output(ctx, 0, x->dtype, &x->shape);
  return NULL;
}

static rn_status *scatter_nd_run(rn_op_ctx *ctx) {
  int red = 0;
  RN_TRY(get_reduction(ctx, &red));
  const rn_tensor *x = ctx->inputs[0], *idx = ctx->inputs[1], *upd = ctx->inputs[2];
  rn_tensor *y = ctx->outputs[0];
  rn_tops_copy_data(y, x);
  int q = idx->shape.rank;
  int k = (int)idx->shape.dims[q - 1];
  size_t es = rn_dtype_size(x->dtype);
  int64_t xs[RN_MAX_RANK];
  rn_op_strides(&x->shape, xs);
  int64_t tuples = 1, slice = xs[k - 1];
  for (int i = 0; i < q - 1; i++) tuples *= idx->shape.dims[i];
  char *dst = y->data;
  const char *src = upd->data;
  for (int64_t t = 0; t < tuples; t++) {
    int64_t off = 0;
    for (int c = 0; c < k; c++) {
      int64_t v = index_at(idx, t * k + c), dim = x->shape.dims[c];
      if (v < -dim || v >= dim)
        return rn_op_error(ctx, RN_ERR_RUNTIME, "index %lld out of range for dim %lld",
                           (long long)v, (long long)dim);
      if (v < 0) v += dim;
      off += v * xs[c];
    }
    char *d = dst + (size_t)off * es;
    const char *s = src + (size_t)(t * slice) * es;
    if (red == RED_NONE) memcpy(d, s, (size_t)slice * es);
    else
      for (int64_t e = 0; e < slice; e++) reduce_elem(d + e * (int64_t)es, s + e * (int64_t)es, x->dtype, es, red);
  }
  return NULL;
}

const rn_op_def rn_op_scatter_nd = {
    .domain = "", .op_type = "ScatterND", .since_version = 11, .max_version = 21,
    .min_inputs = 3, .max_inputs = 3, .min_outputs = 1, .max_outputs = 1,
    .infer = scatter_nd_infer, .run = scatter_nd_run,
};
