/* The extra group's operator definitions (see ops/groups.h). */
#include "extra_ops.h"
#include "groups.h"

static const rn_op_def *const extra_ops[] = {
    /* loss.c */
    &rn_op_nll_loss, &rn_op_sce_loss,
    /* quantize.c */
    &rn_op_quantize_linear, &rn_op_dequantize_linear, &rn_op_dynamic_quantize_linear,
    /* qlinear.c */
    &rn_op_matmul_integer, &rn_op_qlinear_matmul, &rn_op_conv_integer, &rn_op_qlinear_conv,
    /* einsum.c */
    &rn_op_einsum,
    /* maxunpool.c, reverse_sequence.c, det.c */
    &rn_op_max_unpool, &rn_op_reverse_sequence, &rn_op_det,
    /* gridsample.c */
    &rn_op_grid_sample,
    /* roialign.c */
    &rn_op_roi_align,
    /* dft.c */
    &rn_op_dft, &rn_op_stft,
    /* window.c */
    &rn_op_hann_window, &rn_op_hamming_window, &rn_op_blackman_window,
};

const rn_op_def *const *rn_ops_extra(int *count) {
  *count = (int)(sizeof extra_ops / sizeof extra_ops[0]);
  return extra_ops;
}
