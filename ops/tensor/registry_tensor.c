/* The tensor group's operator definitions (see ops/groups.h). */
#include "groups.h"
#include "tensor_ops.h"

static const rn_op_def *const tensor_ops[] = {
    &rn_op_identity,
    &rn_op_constant,
    &rn_op_constant_of_shape,
    &rn_op_shape,
    &rn_op_size,
    &rn_op_reshape,
    &rn_op_flatten,
    &rn_op_squeeze,
    &rn_op_unsqueeze,
    &rn_op_concat,
    &rn_op_split,
    &rn_op_slice,
    &rn_op_gather,
    &rn_op_gather_elements,
    &rn_op_gather_nd,
    &rn_op_scatter_elements,
    &rn_op_scatter,
    &rn_op_scatter_nd,
    &rn_op_transpose,
    &rn_op_expand,
    &rn_op_tile,
    &rn_op_range,
    &rn_op_cast,
    &rn_op_cast_like,
    &rn_op_pad,
    &rn_op_eye_like,
    &rn_op_trilu,
    &rn_op_one_hot,
    &rn_op_depth_to_space,
    &rn_op_space_to_depth,
    &rn_op_resize,
    &rn_op_upsample,
    &rn_op_nonzero,
};

const rn_op_def *const *rn_ops_tensor(int *count) {
  *count = (int)(sizeof tensor_ops / sizeof tensor_ops[0]);
  return tensor_ops;
}
