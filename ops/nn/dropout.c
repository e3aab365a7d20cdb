/* Dropout (1..21) for inference: the output is the input and the optional
 * mask is all true (1 of the input's type before opset 10, bool after).
 * Opset 12+'s training_mode = true is UNSUPPORTED unless the ratio is 0
 * (random dropping is not implemented). */
#include "nn_ops.h"

#include <string.h>

static rn_dtype mask_dtype(const rn_op_ctx *ctx) {
  return ctx->opset >= 10 ? RN_DTYPE_BOOL : ctx->inputs[0]->dtype;
}

static rn_status *dropout_check(const rn_op_ctx *ctx) {
  RN_TRY(rn_nn_require_inputs(ctx, 1));
  const rn_tensor *x = ctx->inputs[0];
  if (x->dtype != RN_DTYPE_FLOAT && x->dtype != RN_DTYPE_DOUBLE && x->dtype != RN_DTYPE_FLOAT16)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "element type %s is not allowed", rn_dtype_name(x->dtype));
  if (ctx->opset < 12 && ctx->n_inputs > 1)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "ratio and training_mode inputs need opset 12");
  return NULL;
}

/* Training mode with a non-zero ratio would drop at random: refuse it.
 * Checked when the values are known (at infer time if constant, else at run). */
static rn_status *dropout_check_mode(const rn_op_ctx *ctx) {
  const rn_tensor *ratio = rn_op_input(ctx, 1), *mode = rn_op_input(ctx, 2);
  if (!mode || !mode->data) return NULL;
  if (rn_shape_numel(&mode->shape) != 1 || mode->dtype != RN_DTYPE_BOOL)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "training_mode must be a bool scalar");
  if (!((const uint8_t *)mode->data)[0]) return NULL;
  double r = 0.5;
  if (ratio) {
    if (!ratio->data) return NULL; /* decided at run time */
    if (rn_shape_numel(&ratio->shape) != 1 || !rn_nn_is_real(ratio->dtype))
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "ratio must be a float scalar");
    r = rn_tensor_get_double(ratio, 0);
  }
  if (r != 0)
    return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "training_mode with ratio %g (random dropout) is not supported", r);
  return NULL;
}

static rn_status *dropout_infer(rn_op_ctx *ctx) {
  RN_TRY(dropout_check(ctx));
  RN_TRY(dropout_check_mode(ctx));
  const rn_tensor *x = ctx->inputs[0];
  rn_op_set_output(ctx, 0, x->dtype, &x->shape);
  rn_op_set_output(ctx, 1, mask_dtype(ctx), &x->shape);
  return NULL;
}

static rn_status *dropout_run(rn_op_ctx *ctx) {
  RN_TRY(dropout_check(ctx));
  RN_TRY(dropout_check_mode(ctx));
  const rn_tensor *x = ctx->inputs[0];
  rn_tensor *y = ctx->outputs[0], *mask = rn_op_output(ctx, 1);
  if (y->data != x->data) memcpy(y->data, x->data, x->nbytes);
  if (mask) {
    int64_t n = rn_shape_numel(&mask->shape);
    switch (mask->dtype) {
      case RN_DTYPE_BOOL: memset(mask->data, 1, (size_t)n); break;
      case RN_DTYPE_FLOAT:
        for (int64_t i = 0; i < n; i++) ((float *)mask->data)[i] = 1.0f;
        break;
      case RN_DTYPE_DOUBLE:
        for (int64_t i = 0; i < n; i++) ((double *)mask->data)[i] = 1.0;
        break;
      default: /* float16 1.0 */
        for (int64_t i = 0; i < n; i++) ((uint16_t *)mask->data)[i] = 0x3C00;
        break;
    }
  }
  return NULL;
}

const rn_op_def rn_op_dropout = {
    .domain = "", .op_type = "Dropout", .since_version = 1, .max_version = 21,
    .min_inputs = 1, .max_inputs = 3, .min_outputs = 1, .max_outputs = 2,
    .infer = dropout_infer, .run = dropout_run,
};
