/* Each group of built-in operators lists its definitions; ops/registry.c
 * joins the lists. One group per folder: nn/ (convolution, pooling, matrix
 * products, normalization, softmax, reductions), math/ (element-wise unary,
 * binary with broadcasting, comparisons, logic), tensor/ (shape and data
 * movement: Reshape, Concat, Gather, Slice, Cast, Constant, ...). */
#ifndef RN_OPS_GROUPS_H
#define RN_OPS_GROUPS_H

#include "op.h"

const rn_op_def *const *rn_ops_nn(int *count);
const rn_op_def *const *rn_ops_math(int *count);
const rn_op_def *const *rn_ops_tensor(int *count);

#endif
