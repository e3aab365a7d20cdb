/* DepthToSpace (DCR / CRD) and SpaceToDepth: 6-D transposes of a 4-D NCHW
 * tensor, done as one strided copy. */
#include <string.h>

#include "tensor_ops.h"

static rn_status *get_block(const rn_op_ctx *ctx, int64_t *b) {
  const rn_tensor *x = ctx->inputs[0];
  RN_TRY(rn_tops_check_fixed(ctx, x, "input"));
  if (x->shape.rank != 4)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "input must be 4-D (rank %d)", x->shape.rank);
  const rn_attr *a = rn_node_attr(ctx->node, "blocksize");
  if (!a || a->i < 1 || a->i > (1 << 20))
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "blocksize must be a positive int");
  *b = a->i;
  return NULL;
}

static rn_status *d2s_mode(const rn_op_ctx *ctx, bool *crd) {
  const char *m = ctx->opset >= 11 ? rn_attr_string(ctx->node, "mode", "DCR") : "DCR";
  if (!strcmp(m, "DCR")) *crd = false;
  else if (!strcmp(m, "CRD")) *crd = true;
  else return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "unknown mode '%s'", m);
  return NULL;
}

static rn_status *d2s_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 1));
  int64_t b = 0;
  RN_TRY(get_block(ctx, &b));
  bool crd = false;
  RN_TRY(d2s_mode(ctx, &crd));
  const rn_tensor *x = ctx->inputs[0];
  const int64_t *d = x->shape.dims;
  if (d[1] % (b * b) != 0)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "channels %lld not divisible by blocksize^2",
                       (long long)d[1]);
  if (d[2] > INT64_MAX / b || d[3] > INT64_MAX / b)
    return rn_op_error(ctx, RN_ERR_LIMIT, "output size overflows");
  rn_shape out = {.rank = 4, .dims = {d[0], d[1] / (b * b), d[2] * b, d[3] * b}};
  rn_op_set_output(ctx, 0, x->dtype, &out);
  return NULL;
}

static rn_status *d2s_run(rn_op_ctx *ctx) {
  const rn_tensor *x = ctx->inputs[0];
  int64_t b = 0;
  RN_TRY(get_block(ctx, &b));
  bool crd = false;
  RN_TRY(d2s_mode(ctx, &crd));
  const int64_t *d = x->shape.dims;
  int64_t c = d[1] / (b * b), h = d[2], w = d[3], hw = h * w;
  /* Output viewed as [N, C', H, b1, W, b2]. */
  int64_t dims[6] = {d[0], c, h, b, w, b};
  int64_t strides[6] = {d[1] * hw, crd ? b * b * hw : hw, w, crd ? b * hw : b * c * hw, 1,
                        crd ? hw : c * hw};
  rn_tops_strided_copy(ctx->outputs[0]->data, x->data, rn_dtype_size(x->dtype), 6, dims, strides);
  return NULL;
}

const rn_op_def rn_op_depth_to_space = {
    .domain = "", .op_type = "DepthToSpace", .since_version = 1, .max_version = 21,
    .min_inputs = 1, .max_inputs = 1, .min_outputs = 1, .max_outputs = 1,
    .infer = d2s_infer, .run = d2s_run,
};

static rn_status *s2d_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 1));
  int64_t b = 0;
  RN_TRY(get_block(ctx, &b));
  const rn_tensor *x = ctx->inputs[0];
  const int64_t *d = x->shape.dims;
  if (d[2] % b != 0 || d[3] % b != 0)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "height/width not divisible by blocksize");
  if (d[1] > INT64_MAX / (b * b)) return rn_op_error(ctx, RN_ERR_LIMIT, "output size overflows");
  rn_shape out = {.rank = 4, .dims = {d[0], d[1] * b * b, d[2] / b, d[3] / b}};
  rn_op_set_output(ctx, 0, x->dtype, &out);
  return NULL;
}

static rn_status *s2d_run(rn_op_ctx *ctx) {
  const rn_tensor *x = ctx->inputs[0];
  int64_t b = 0;
  RN_TRY(get_block(ctx, &b));
  const int64_t *d = x->shape.dims;
  int64_t c = d[1], h = d[2], w = d[3];
  /* Output viewed as [N, b1, b2, C, H', W']. */
  int64_t dims[6] = {d[0], b, b, c, h / b, w / b};
  int64_t strides[6] = {c * h * w, w, 1, h * w, b * w, b};
  rn_tops_strided_copy(ctx->outputs[0]->data, x->data, rn_dtype_size(x->dtype), 6, dims, strides);
  return NULL;
}

const rn_op_def rn_op_space_to_depth = {
    .domain = "", .op_type = "SpaceToDepth", .since_version = 1, .max_version = 21,
    .min_inputs = 1, .max_inputs = 1, .min_outputs = 1, .max_outputs = 1,
    .infer = s2d_infer, .run = s2d_run,
};
