/* Identity: the output is the input (a copy unless core aliases them). */
#include "tensor_ops.h"

static rn_status *identity_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 1));
  const rn_tensor *x = ctx->inputs[0];
  RN_TRY(rn_tops_check_fixed(ctx, x, "input"));
  rn_op_set_output(ctx, 0, x->dtype, &x->shape);
  return NULL;
}

static rn_status *identity_run(rn_op_ctx *ctx) {
  rn_tops_copy_data(ctx->outputs[0], ctx->inputs[0]);
  return NULL;
}

const rn_op_def rn_op_identity = {
    .domain = "", .op_type = "Identity", .since_version = 1, .max_version = 21,
    .min_inputs = 1, .max_inputs = 1, .min_outputs = 1, .max_outputs = 1,
    .infer = identity_infer, .run = identity_run,
};
