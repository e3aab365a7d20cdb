/* The extra group (losses, quantization, Einsum, sampling, signal and the
 * rest of the ONNX set): definitions and the helpers its files share. */
#ifndef RN_OPS_EXTRA_OPS_H
#define RN_OPS_EXTRA_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "op.h"

/* ---- definitions ---- */

/* loss.c */
extern const rn_op_def rn_op_nll_loss, rn_op_sce_loss;
/* quantize.c */
extern const rn_op_def rn_op_quantize_linear, rn_op_dequantize_linear,
    rn_op_dynamic_quantize_linear;
/* qlinear.c: integer matrix products and convolutions */
extern const rn_op_def rn_op_matmul_integer, rn_op_qlinear_matmul, rn_op_conv_integer,
    rn_op_qlinear_conv;
/* einsum.c */
extern const rn_op_def rn_op_einsum;
/* maxunpool.c */
extern const rn_op_def rn_op_max_unpool;
/* reverse_sequence.c */
extern const rn_op_def rn_op_reverse_sequence;
/* gridsample.c */
extern const rn_op_def rn_op_grid_sample;
/* roialign.c */
extern const rn_op_def rn_op_roi_align;
/* det.c */
extern const rn_op_def rn_op_det;
/* window.c */
extern const rn_op_def rn_op_hann_window, rn_op_hamming_window, rn_op_blackman_window;
/* dft.c */
extern const rn_op_def rn_op_dft, rn_op_stft;

/* ---- shared helpers (extra_util.c) ---- */

/* UNSUPPORTED (float16, ...) / INVALID_MODEL (non-numeric) unless t is
 * float32 or float64. */
rn_status *rn_xops_require_real(const rn_op_ctx *ctx, const rn_tensor *t, const char *what);

static inline bool rn_xops_is_real(rn_dtype dt) {
  return dt == RN_DTYPE_FLOAT || dt == RN_DTYPE_DOUBLE;
}
/* Element i of a float or double tensor's data. */
static inline double rn_xops_getf(const void *data, rn_dtype dt, int64_t i) {
  return dt == RN_DTYPE_FLOAT ? (double)((const float *)data)[i] : ((const double *)data)[i];
}
static inline void rn_xops_setf(void *data, rn_dtype dt, int64_t i, double v) {
  if (dt == RN_DTYPE_FLOAT)
    ((float *)data)[i] = (float)v;
  else
    ((double *)data)[i] = v;
}

#endif
