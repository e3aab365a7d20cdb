/* Each group of built-in operators lists its definitions; ops/registry.c
 * joins the lists. One group per folder: nn/ (convolution, pooling, matrix
 * products, normalization, softmax), math/ (element-wise unary,
 * binary with broadcasting, comparisons, logic, reductions), tensor/ (shape and data
 * movement: Reshape, Concat, Gather, Slice, Cast, Constant, ...), extra/
 * (losses, quantization, Einsum, sampling and the rest of the ONNX set). */
#ifndef RN_OPS_GROUPS_H
#define RN_OPS_GROUPS_H

#include "op.h"

const rn_op_def *const *rn_ops_nn(int *count);
const rn_op_def *const *rn_ops_math(int *count);
const rn_op_def *const *rn_ops_tensor(int *count);
const rn_op_def *const *rn_ops_extra(int *count);

#endif
