/* The nn group's operator definitions (see ops/groups.h). */
#include "groups.h"
#include "nn_ops.h"

static const rn_op_def *const nn_ops[] = {
    &rn_op_conv,
    &rn_op_conv_transpose,
    &rn_op_batch_normalization,
    &rn_op_instance_normalization,
    &rn_op_layer_normalization,
    &rn_op_lrn,
    &rn_op_max_pool,
    &rn_op_average_pool,
    &rn_op_lp_pool,
    &rn_op_global_average_pool,
    &rn_op_global_max_pool,
    &rn_op_global_lp_pool,
    &rn_op_gemm,
    &rn_op_matmul,
    &rn_op_softmax,
    &rn_op_log_softmax,
    &rn_op_hardmax,
    &rn_op_dropout,
    &rn_op_fused_conv,
};

const rn_op_def *const *rn_ops_nn(int *count) {
  *count = (int)(sizeof nn_ops / sizeof nn_ops[0]);
  return nn_ops;
}
