/* The math group's operator definitions (see ops/groups.h). */
#include "groups.h"
#include "math_ops.h"

static const rn_op_def *const math_ops[] = {
    /* unary.c */
    &rn_op_relu, &rn_op_sigmoid, &rn_op_tanh, &rn_op_exp, &rn_op_log, &rn_op_abs, &rn_op_neg,
    &rn_op_sqrt, &rn_op_reciprocal, &rn_op_floor, &rn_op_ceil, &rn_op_round, &rn_op_sign,
    &rn_op_sin, &rn_op_cos, &rn_op_tan, &rn_op_asin, &rn_op_acos, &rn_op_atan, &rn_op_sinh,
    &rn_op_cosh, &rn_op_asinh, &rn_op_acosh, &rn_op_atanh, &rn_op_erf, &rn_op_softplus,
    &rn_op_softsign, &rn_op_hard_swish, &rn_op_mish, &rn_op_not, &rn_op_isnan, &rn_op_isinf,
    &rn_op_elu, &rn_op_selu, &rn_op_leaky_relu, &rn_op_thresholded_relu, &rn_op_celu,
    &rn_op_hard_sigmoid, &rn_op_gelu, &rn_op_shrink,
    /* clip.c */
    &rn_op_clip,
    /* binary.c */
    &rn_op_add, &rn_op_sub, &rn_op_mul, &rn_op_div, &rn_op_pow, &rn_op_mod, &rn_op_bitshift,
    &rn_op_prelu,
    /* compare.c */
    &rn_op_equal, &rn_op_less, &rn_op_greater, &rn_op_less_or_equal, &rn_op_greater_or_equal,
    &rn_op_and, &rn_op_or, &rn_op_xor,
    /* where.c, variadic.c */
    &rn_op_where, &rn_op_sum, &rn_op_mean, &rn_op_max, &rn_op_min,
    /* reduce.c */
    &rn_op_reduce_mean, &rn_op_reduce_sum, &rn_op_reduce_max, &rn_op_reduce_min,
    &rn_op_reduce_prod, &rn_op_reduce_l1, &rn_op_reduce_l2, &rn_op_reduce_log_sum,
    &rn_op_reduce_log_sum_exp, &rn_op_reduce_sum_square,
    /* argminmax.c, cumsum.c, topk.c */
    &rn_op_argmax, &rn_op_argmin, &rn_op_cumsum, &rn_op_topk,
};

const rn_op_def *const *rn_ops_math(int *count) {
  *count = (int)(sizeof math_ops / sizeof math_ops[0]);
  return math_ops;
}
