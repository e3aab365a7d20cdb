/* Shape (opset 15: start/end slice of the dims) and Size. Both depend only
 * on the input's shape, never on its data. */
#include "tensor_ops.h"

static int64_t clamp_dim_index(int64_t v, int rank) {
  if (v < 0) v += rank;
  return v < 0 ? 0 : v > rank ? rank : v;
}

static void shape_range(const rn_op_ctx *ctx, int *start, int *end) {
  int rank = ctx->inputs[0]->shape.rank;
  int64_t s = 0, e = rank;
  if (ctx->opset >= 15) {
    s = clamp_dim_index(rn_attr_int(ctx->node, "start", 0), rank);
    const rn_attr *ea = rn_node_attr(ctx->node, "end");
    if (ea) e = clamp_dim_index(ea->i, rank);
  }
  *start = (int)s;
  *end = (int)(e > s ? e : s);
}

static rn_status *shape_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 1));
  int s = 0, e = 0;
  shape_range(ctx, &s, &e);
  rn_shape out = {.rank = 1, .dims = {e - s}};
  rn_op_set_output(ctx, 0, RN_DTYPE_INT64, &out);
  return NULL;
}

static rn_status *shape_run(rn_op_ctx *ctx) {
  int s = 0, e = 0;
  shape_range(ctx, &s, &e);
  int64_t *y = ctx->outputs[0]->data;
  for (int i = s; i < e; i++) y[i - s] = ctx->inputs[0]->shape.dims[i];
  return NULL;
}

const rn_op_def rn_op_shape = {
    .domain = "", .op_type = "Shape", .since_version = 1, .max_version = 21,
    .min_inputs = 1, .max_inputs = 1, .min_outputs = 1, .max_outputs = 1,
    .infer = shape_infer, .run = shape_run,
    .shape_only = true,
};

static rn_status *size_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 1));
  if (rn_shape_numel(&ctx->inputs[0]->shape) < 0)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "input element count overflows");
  rn_shape out = {0};
  rn_op_set_output(ctx, 0, RN_DTYPE_INT64, &out);
  return NULL;
}

static rn_status *size_run(rn_op_ctx *ctx) {
  *(int64_t *)ctx->outputs[0]->data = rn_shape_numel(&ctx->inputs[0]->shape);
  return NULL;
}

const rn_op_def rn_op_size = {
    .domain = "", .op_type = "Size", .since_version = 1, .max_version = 21,
    .min_inputs = 1, .max_inputs = 1, .min_outputs = 1, .max_outputs = 1,
    .infer = size_infer, .run = size_run,
    .shape_only = true,
};
