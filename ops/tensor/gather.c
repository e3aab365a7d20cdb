/* Gather, GatherElements, GatherND: copies selected elements / slices.
 * Indices (int32/int64, negative counts from the end) are range-checked at
 * run time. */
#include <string.h>

#include "tensor_ops.h"

static inline int64_t index_at(const rn_tensor *t, int64_t i) {
  return t->dtype == RN_DTYPE_INT64 ? ((const int64_t *)t->data)[i]
                                    : ((const int32_t *)t->data)[i];
}

static rn_status *check_indices(const rn_op_ctx *ctx, const rn_tensor *idx) {
  if (!rn_op_is_index_dtype(idx->dtype))
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "indices must be int32 or int64, not %s",
                       rn_dtype_name(idx->dtype));
  return NULL;
}

static rn_status *bad_index(const rn_op_ctx *ctx, int64_t k, int64_t dim) {
  return rn_op_error(ctx, RN_ERR_RUNTIME, "index %lld out of range for dim %lld", (long long)k,
                     (long long)dim);
}

static inline void copy_elem(char *dst, const char *src, size_t es) {
  switch (es) {
    case 1: *dst = *src; break;
    case 2: memcpy(dst, src, 2); break;
    case 4: memcpy(dst, src, 4); break;
    case 8: memcpy(dst, src, 8); break;
    default: memcpy(dst, src, es);
  }
}

/* ---- Gather ---- */

static rn_status *gather_axis(const rn_op_ctx *ctx, int rank, int *axis) {
  int64_t a = rn_attr_int(ctx->node, "axis", 0);
  if (!rn_normalize_axis(a, rank, axis))
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "axis %lld out of range for rank %d",
                       (long long)a, rank);
  return NULL;
}

static rn_status *gather_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 2));
  const rn_tensor *x = ctx->inputs[0], *idx = ctx->inputs[1];
  RN_TRY(rn_tops_check_fixed(ctx, x, "data"));
  RN_TRY(check_indices(ctx, idx));
  int axis = 0;
  RN_TRY(gather_axis(ctx, x->shape.rank, &axis));
  rn_shape out = {.rank = x->shape.rank - 1 + idx->shape.rank};
  if (out.rank > RN_MAX_RANK)
    return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "output rank %d exceeds %d", out.rank, RN_MAX_RANK);
  int k = 0;
  for (int i = 0; i < axis; i++) out.dims[k++] = x->shape.dims[i];
  for (int i = 0; i < idx->shape.rank; i++) out.dims[k++] = idx->shape.dims[i];
  for (int i = axis + 1; i < x->shape.rank; i++) out.dims[k++] = x->shape.dims[i];
  RN_TRY(rn_op_check_shape(ctx, &out, x->dtype));
  rn_op_set_output(ctx, 0, x->dtype, &out);
  return NULL;
}

static rn_status *gather_run(rn_op_ctx *ctx) {
  const rn_tensor *x = ctx->inputs[0], *idx = ctx->inputs[1];
  rn_tensor *y = ctx->outputs[0];
  int axis = 0;
  RN_TRY(gather_axis(ctx, x->shape.rank, &axis));
  size_t es = rn_dtype_size(x->dtype);
  int64_t outer = 1, inner = 1, dim = x->shape.dims[axis];
  for (int i = 0; i < axis; i++) outer *= x->shape.dims[i];
  for (int i = axis + 1; i < x->shape.rank; i++) inner *= x->shape.dims[i];
  int64_t n = rn_shape_numel(&idx->shape);
  for (int64_t j = 0; j < n; j++) {
    int64_t k = index_at(idx, j);
    if (k < -dim || k >= dim) return bad_index(ctx, k, dim);
  }
  size_t row = (size_t)inner * es;
  if (row == 0) return NULL;
  char *dst = y->data;
  const char *src = x->data;
  for (int64_t o = 0; o < outer; o++) {
    const char *base = src + (size_t)(o * dim) * row;
    for (int64_t j = 0; j < n; j++) {
      int64_t k = index_at(idx, j);
      if (k < 0) k += dim;
      if (inner == 1) copy_elem(dst, base + (size_t)k * row, es);
      else memcpy(dst, base + (size_t)k * row, row);
      dst += row;
    }
  }
  return NULL;
}

const rn_op_def rn_op_gather = {
    .domain = "", .op_type = "Gather", .since_version = 1, .max_version = 21,
    .min_inputs = 2, .max_inputs = 2, .min_outputs = 1, .max_outputs = 1,
    .infer = gather_infer, .run = gather_run,
};

/* ---- GatherElements ---- */

static rn_status *gather_elements_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 2));
  const rn_tensor *x = ctx->inputs[0], *idx = ctx->inputs[1];
  RN_TRY(rn_tops_check_fixed(ctx, x, "data"));
  RN_TRY(check_indices(ctx, idx));
  int axis = 0;
  RN_TRY(gather_axis(ctx, x->shape.rank, &axis));
  if (idx->shape.rank != x->shape.rank)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "indices rank %d differs from data rank %d",
                       idx->shape.rank, x->shape.rank);
  for (int i = 0; i < x->shape.rank; i++)
    if (i != axis && idx->shape.dims[i] > x->shape.dims[i])
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "indices dim %d (%lld) exceeds data's (%lld)",
                         i, (long long)idx->shape.dims[i], (long long)x->shape.dims[i]);
  rn_op_set_output(ctx, 0, x->dtype, &idx->shape);
  return NULL;
}

static rn_status *gather_elements_run(rn_op_ctx *ctx) {
  const rn_tensor *x = ctx->inputs[0], *idx = ctx->inputs[1];
  rn_tensor *y = ctx->outputs[0];
  int axis = 0;
  RN_TRY(gather_axis(ctx, x->shape.rank, &axis));
  size_t es = rn_dtype_size(x->dtype);
  int r = x->shape.rank;
  int64_t xs[RN_MAX_RANK], pos[RN_MAX_RANK] = {0};
  rn_op_strides(&x->shape, xs);
  int64_t n = rn_shape_numel(&idx->shape), dim = x->shape.dims[axis], off = 0;
  const char *src = x->data;
  char *dst = y->data;
  for (int64_t j = 0; j < n; j++) {
    int64_t k = index_at(idx, j);
    if (k < -dim || k >= dim) return bad_index(ctx, k, dim);
    if (k < 0) k += dim;
    copy_elem(dst + (size_t)j * es, src + (size_t)(off + k * xs[axis]) * es, es);
    for (int d = r - 1; d >= 0; d--) { /* odometer over indices' shape, axis excluded */
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

const rn_op_def rn_op_gather_elements = {
    .domain = "", .op_type = "GatherElements", .since_version = 11, .max_version = 21,
    .min_inputs = 2, .max_inputs = 2, .min_outputs = 1, .max_outputs = 1,
    .infer = gather_elements_infer, .run = gather_elements_run,
};

/* ---- GatherND ---- */

static rn_status *gather_nd_check(const rn_op_ctx *ctx, int *batch_dims, int *m) {
  const rn_tensor *x = ctx->inputs[0], *idx = ctx->inputs[1];
  int r = x->shape.rank, q = idx->shape.rank;
  int64_t b = ctx->opset >= 12 ? rn_attr_int(ctx->node, "batch_dims", 0) : 0;
  if (r < 1 || q < 1) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "data and indices need rank >= 1");
  if (b < 0 || b >= q || b >= r)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "batch_dims %lld out of range", (long long)b);
  for (int i = 0; i < b; i++)
    if (x->shape.dims[i] != idx->shape.dims[i])
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "batch dim %d differs between data and indices", i);
  int64_t mm = idx->shape.dims[q - 1];
  if (mm < 1 || mm > r - b)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "indices last dim %lld out of range 1..%lld",
                       (long long)mm, (long long)(r - b));
  *batch_dims = (int)b;
  *m = (int)mm;
  return NULL;
}

static rn_status *gather_nd_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 2));
  const rn_tensor *x = ctx->inputs[0], *idx = ctx->inputs[1];
  RN_TRY(rn_tops_check_fixed(ctx, x, "data"));
  if (!rn_op_is_index_dtype(idx->dtype))
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "indices must be int64");
  int b = 0, m = 0;
  RN_TRY(gather_nd_check(ctx, &b, &m));
  rn_shape out = {.rank = idx->shape.rank - 1 + x->shape.rank - b - m};
  if (out.rank > RN_MAX_RANK)
    return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "output rank %d exceeds %d", out.rank, RN_MAX_RANK);
  int k = 0;
  for (int i = 0; i < idx->shape.rank - 1; i++) out.dims[k++] = idx->shape.dims[i];
  for (int i = b + m; i < x->shape.rank; i++) out.dims[k++] = x->shape.dims[i];
  RN_TRY(rn_op_check_shape(ctx, &out, x->dtype));
  rn_op_set_output(ctx, 0, x->dtype, &out);
  return NULL;
}

static rn_status *gather_nd_run(rn_op_ctx *ctx) {
  const rn_tensor *x = ctx->inputs[0], *idx = ctx->inputs[1];
  rn_tensor *y = ctx->outputs[0];
  int b = 0, m = 0;
  RN_TRY(gather_nd_check(ctx, &b, &m));
  size_t es = rn_dtype_size(x->dtype);
  int64_t xs[RN_MAX_RANK];
  rn_op_strides(&x->shape, xs);
  int64_t batches = 1, tuples = 1;
  for (int i = 0; i < b; i++) batches *= x->shape.dims[i];
  for (int i = b; i < idx->shape.rank - 1; i++) tuples *= idx->shape.dims[i];
  int64_t batch_stride = b > 0 ? xs[b - 1] : 0; /* elements per batch */
  size_t slice = (size_t)(b + m < x->shape.rank ? xs[b + m - 1] : 1) * es;
  char *dst = y->data;
  const char *src = x->data;
  int64_t t = 0;
  for (int64_t bi = 0; bi < batches; bi++) {
    for (int64_t j = 0; j < tuples; j++, t++) {
      int64_t off = bi * batch_stride;
      for (int c = 0; c < m; c++) {
        int64_t k = index_at(idx, t * m + c), dim = x->shape.dims[b + c];
        if (k < -dim || k >= dim) return bad_index(ctx, k, dim);
        if (k < 0) k += dim;
        off += k * xs[b + c];
      }
      if (slice) memcpy(dst, src + (size_t)off * es, slice);
      dst += slice;
    }
  }
  return NULL;
}

const rn_op_def rn_op_gather_nd = {
    .domain = "", .op_type = "GatherND", .since_version = 11, .max_version = 21,
    .min_inputs = 2, .max_inputs = 2, .min_outputs = 1, .max_outputs = 1,
    .infer = gather_nd_infer, .run = gather_nd_run,
};
