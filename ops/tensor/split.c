/* Split: cuts the input along an axis into several outputs. The sizes come
 * from the 'split' attribute (before 13) or input (13+, and opset 1), else an
 * equal split: exact before 18, ceil-sized chunks with 'num_outputs' from 18. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "tensor_ops.h"

/* Computes the size of each of the n_outputs parts into sizes. */
static rn_status *split_sizes(const rn_op_ctx *ctx, int *axis, int64_t *sizes) {
  const rn_tensor *x = ctx->inputs[0];
  int r = x->shape.rank;
  int64_t av = rn_attr_int(ctx->node, "axis", 0);
  if (!rn_normalize_axis(av, r, axis))
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "axis %lld out of range for rank %d",
                       (long long)av, r);
  int64_t dim = x->shape.dims[*axis];
  int n = ctx->n_outputs;
  const rn_tensor *st = (ctx->opset >= 13 || ctx->opset == 1) ? rn_op_input(ctx, 1) : NULL;
  const int64_t *vals = NULL;
  int64_t cnt = -1;
  if (st) {
    if (!st->data)
      return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "input 'split' must be constant");
    if (!rn_op_is_index_dtype(st->dtype) || st->shape.rank > 1)
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "input 'split' must be a 1-D int64 tensor");
    cnt = rn_shape_numel(&st->shape);
    if (cnt != n)
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "'split' has %lld values for %d outputs",
                         (long long)cnt, n);
    for (int i = 0; i < n; i++) sizes[i] = rn_tensor_get_int(st, i);
  } else if (ctx->opset < 13 && (cnt = rn_attr_ints(ctx->node, "split", &vals)) >= 0) {
    if (cnt != n)
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "'split' has %lld values for %d outputs",
                         (long long)cnt, n);
    for (int i = 0; i < n; i++) sizes[i] = vals[i];
  } else {
    int64_t parts = n;
    const rn_attr *no = ctx->opset >= 18 ? rn_node_attr(ctx->node, "num_outputs") : NULL;
    if (no) {
      if (no->i != n)
        return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "num_outputs %lld but %d outputs",
                           (long long)no->i, n);
      int64_t chunk = dim / parts + (dim % parts != 0);
      for (int i = 0; i < n; i++) {
        int64_t left = dim - chunk * i;
        sizes[i] = left < 0 ? 0 : left < chunk ? left : chunk;
      }
    } else {
      if (dim % parts != 0)
        return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "dim %lld does not split into %d equal parts",
                           (long long)dim, n);
      for (int i = 0; i < n; i++) sizes[i] = dim / parts;
    }
  }
  int64_t sum = 0;
  for (int i = 0; i < n; i++) {
    if (sizes[i] < 0 || sizes[i] > dim - sum)
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "split sizes do not add up to dim %lld",
                         (long long)dim);
    sum += sizes[i];
  }
  if (sum != dim)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "split sizes add up to %lld, dim is %lld",
                       (long long)sum, (long long)dim);
  return NULL;
}

static size_t split_workspace(const rn_op_ctx *ctx) {
  return (size_t)ctx->n_outputs * sizeof(int64_t);
}

static rn_status *split_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 1));
  const rn_tensor *x = ctx->inputs[0];
  RN_TRY(rn_tops_check_fixed(ctx, x, "input"));
  if (ctx->n_outputs < 1) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "needs outputs");
  int64_t *sizes = malloc((size_t)ctx->n_outputs * sizeof *sizes);
  if (!sizes) return rn_op_error(ctx, RN_ERR_OUT_OF_MEMORY, "out of memory");
  int axis = 0;
  rn_status *st = split_sizes(ctx, &axis, sizes);
  if (!st) {
    for (int i = 0; i < ctx->n_outputs; i++) {
      rn_shape s = x->shape;
      s.dims[axis] = sizes[i];
      rn_op_set_output(ctx, i, x->dtype, &s);
    }
  }
  free(sizes);
  return st;
}

static rn_status *split_run(rn_op_ctx *ctx) {
  const rn_tensor *x = ctx->inputs[0];
  int64_t *sizes = ctx->workspace;
  int axis = 0;
  RN_TRY(split_sizes(ctx, &axis, sizes));
  size_t es = rn_dtype_size(x->dtype);
  int64_t outer = 1, inner = (int64_t)es;
  for (int d = 0; d < axis; d++) outer *= x->shape.dims[d];
  for (int d = axis + 1; d < x->shape.rank; d++) inner *= x->shape.dims[d];
  size_t in_row = (size_t)(x->shape.dims[axis] * inner), off = 0;
  for (int i = 0; i < ctx->n_outputs; i++) {
    size_t row = (size_t)(sizes[i] * inner);
    rn_tensor *y = ctx->outputs[i];
    if (y && row) {
      for (int64_t o = 0; o < outer; o++)
        memcpy((char *)y->data + (size_t)o * row, (const char *)x->data + (size_t)o * in_row + off,
               row);
    }
    off += row;
  }
  return NULL;
}

const rn_op_def rn_op_split = {
    .domain = "", .op_type = "Split", .since_version = 1, .max_version = 21,
    .min_inputs = 1, .max_inputs = 2, .min_outputs = 1, .max_outputs = INT_MAX,
    .infer = split_infer, .run = split_run, .workspace = split_workspace,
    .value_inputs = 1u << 1,
};
