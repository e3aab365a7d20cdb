/* FusedConv (domain "rn", version 1): Y = act(Conv(X, W, B) + Z), made by
 * the graph optimizer (core/optimize.c) from Conv [+ Add] [+ activation].
 *
 * Inputs: X, W, optional B (as Conv), optional Z (index 3), which broadcasts
 * with the convolution's result the ONNX way (the output has the broadcast
 * shape; usually Z has exactly the convolution's shape). Attributes: Conv's
 * (auto_pad, dilations, group, kernel_shape, pads, strides), `activation`
 * ("" or absent: none, "Relu", "Clip", "Sigmoid", "SiLU", "HardSigmoid",
 * "LeakyRelu", "HardSwish", "Tanh") and `activation_params` (FLOATS: Clip
 * [min, max], LeakyRelu [alpha], HardSigmoid [alpha, beta]; absent: the
 * ONNX defaults). float and double.
 *
 * The reference kernel runs Conv's own kernel (conv.c), then adds Z and
 * applies the activation in place with the standalone ops' loops
 * (ops/math), so it matches the unfused graph bit for bit. */
#include "nn_ops.h"

#include <math.h>
#include <string.h>

#include "math/math_ops.h"

typedef struct fc_act {
  rn_mops_act kind;
  float params[2];
} fc_act;

static rn_status *read_activation(const rn_op_ctx *ctx, fc_act *act) {
  static const struct {
    const char *name;
    rn_mops_act kind;
    int n_params;
    float defaults[2];
  } table[] = {
      {"", RN_MOPS_ACT_NONE, 0, {0, 0}},
      {"Relu", RN_MOPS_ACT_RELU, 0, {0, 0}},
      {"Clip", RN_MOPS_ACT_CLIP, 2, {-INFINITY, INFINITY}},
      {"Sigmoid", RN_MOPS_ACT_SIGMOID, 0, {0, 0}},
      {"SiLU", RN_MOPS_ACT_SILU, 0, {0, 0}},
      {"HardSigmoid", RN_MOPS_ACT_HARD_SIGMOID, 2, {0.2f, 0.5f}},
      {"LeakyRelu", RN_MOPS_ACT_LEAKY_RELU, 1, {0.01f, 0}},
      {"HardSwish", RN_MOPS_ACT_HARD_SWISH, 0, {0, 0}},
      {"Tanh", RN_MOPS_ACT_TANH, 0, {0, 0}},
  };
  const rn_attr *a = rn_node_attr(ctx->node, "activation");
  if (a && a->type != RN_ATTR_STRING)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "attribute 'activation' must be a string");
  const char *name = a && a->s ? a->s : "";
  int found = -1;
  for (int i = 0; i < (int)(sizeof table / sizeof table[0]); i++)
    if (strcmp(table[i].name, name) == 0) found = i;
  if (found < 0)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL,
                       "unknown activation '%s' (expected Relu, Clip, Sigmoid, SiLU, HardSigmoid, "
                       "LeakyRelu, HardSwish, Tanh or none)", name);
  act->kind = table[found].kind;
  memcpy(act->params, table[found].defaults, sizeof act->params);
  const rn_attr *p = rn_node_attr(ctx->node, "activation_params");
  if (p) {
    if (p->type != RN_ATTR_FLOATS)
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "attribute 'activation_params' must be floats");
    if (p->n != table[found].n_params)
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "activation '%s' takes %d parameters, got %lld",
                         name[0] ? name : "(none)", table[found].n_params, (long long)p->n);
    for (int64_t i = 0; i < p->n; i++) act->params[i] = p->floats[i];
  }
  return NULL;
}

/* The context Conv's functions see: X, W, B and one output `conv_out`. */
static rn_op_ctx conv_view(const rn_op_ctx *ctx, rn_tensor **outs, rn_tensor *conv_out) {
  rn_op_ctx c = *ctx;
  c.n_inputs = ctx->n_inputs < 3 ? ctx->n_inputs : 3;
  outs[0] = conv_out;
  c.n_outputs = 1;
  c.outputs = outs;
  return c;
}

/* The convolution's own output type and shape (no data). */
static rn_status *conv_shape(const rn_op_ctx *ctx, rn_tensor *conv_out) {
  memset(conv_out, 0, sizeof *conv_out);
  conv_out->refcount = 1;
  rn_tensor *outs[1];
  rn_op_ctx c = conv_view(ctx, outs, conv_out);
  c.workspace = NULL;
  return rn_nn_conv_infer(&c);
}

static rn_status *fused_conv_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_nn_require_inputs(ctx, 2));
  fc_act act;
  RN_TRY(read_activation(ctx, &act));
  rn_tensor conv_out;
  RN_TRY(conv_shape(ctx, &conv_out));
  rn_shape ys = conv_out.shape;
  const rn_tensor *z = rn_op_input(ctx, 3);
  if (z) {
    char a[128], b[128];
    if (z->dtype != conv_out.dtype)
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "Z has type %s, X %s", rn_dtype_name(z->dtype),
                         rn_dtype_name(conv_out.dtype));
    if (!rn_broadcast_shapes(&conv_out.shape, &z->shape, &ys))
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "Z %s does not broadcast with the convolution's output %s",
                         rn_shape_str(&z->shape, a, sizeof a), rn_shape_str(&conv_out.shape, b, sizeof b));
    RN_TRY(rn_op_check_shape(ctx, &ys, conv_out.dtype));
  }
  rn_op_set_output(ctx, 0, conv_out.dtype, &ys);
  return NULL;
}

/* Conv's workspace, then (only when Z broadcasts the result to a larger
 * shape) the convolution's own output. */
static bool needs_conv_buffer(const rn_op_ctx *ctx, const rn_tensor *conv_out) {
  const rn_tensor *z = rn_op_input(ctx, 3), *y = rn_op_output(ctx, 0);
  return z && y && !rn_shape_equal(&conv_out->shape, &y->shape);
}

static size_t fused_conv_workspace(const rn_op_ctx *ctx) {
  rn_tensor conv_out;
  rn_status *st = conv_shape(ctx, &conv_out);
  if (st) {
    rn_status_free(st);
    return 0;
  }
  rn_tensor *outs[1];
  rn_op_ctx c = conv_view(ctx, outs, &conv_out);
  size_t ws = rn_nn_align64(rn_nn_conv_workspace(&c));
  if (needs_conv_buffer(ctx, &conv_out)) ws += rn_nn_align64(conv_out.nbytes);
  return ws;
}

RN_MOPS_BIN_KERNEL(add_f32, float, float, float, x + z)
RN_MOPS_BIN_KERNEL(add_f64, double, double, double, x + z)

static rn_status *fused_conv_run(rn_op_ctx *ctx) {
  fc_act act;
  RN_TRY(read_activation(ctx, &act));
  rn_tensor conv_out;
  RN_TRY(conv_shape(ctx, &conv_out));
  rn_tensor *y = ctx->outputs[0];
  const rn_tensor *z = rn_op_input(ctx, 3);
  rn_tensor *outs[1];
  rn_op_ctx c = conv_view(ctx, outs, &conv_out);
  size_t conv_ws = rn_nn_align64(rn_nn_conv_workspace(&c));
  bool separate = needs_conv_buffer(ctx, &conv_out);
  /* Fast path: the convolution writes Y directly. */
  conv_out.data = separate ? (char *)ctx->workspace + conv_ws : y->data;
  c.workspace = ctx->workspace;
  RN_TRY(rn_nn_conv_run(&c));
  rn_mops_bin_fn add = y->dtype == RN_DTYPE_FLOAT ? add_f32 : add_f64;
  if (z && rn_shape_numel(&y->shape) > 0)
    rn_mops_bcast_binary(y, conv_out.data, &conv_out.shape, conv_out.dtype, z->data, &z->shape, z->dtype, add);
  if (act.kind != RN_MOPS_ACT_NONE)
    rn_mops_activation(act.kind, y->dtype, y->data, rn_shape_numel(&y->shape), act.params);
  return NULL;
}

const rn_op_def rn_op_fused_conv = {
    .domain = "rn",
    .op_type = "FusedConv",
    .since_version = 1,
    .max_version = 1,
    .min_inputs = 2,
    .max_inputs = 4,
    .min_outputs = 1,
    .max_outputs = 1,
    .infer = fused_conv_infer,
    .run = fused_conv_run,
    .workspace = fused_conv_workspace,
};
