/* The nn group (convolution, pooling, matrix products, normalization,
 * softmax): definitions and the helpers its files share. */
#ifndef RN_OPS_NN_OPS_H
#define RN_OPS_NN_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "op.h"

/* ---- definitions ---- */
extern const rn_op_def rn_op_conv;
extern const rn_op_def rn_op_conv_transpose;
extern const rn_op_def rn_op_batch_normalization;
extern const rn_op_def rn_op_instance_normalization;
extern const rn_op_def rn_op_layer_normalization;
extern const rn_op_def rn_op_lrn;
extern const rn_op_def rn_op_max_pool;
extern const rn_op_def rn_op_average_pool;
extern const rn_op_def rn_op_lp_pool;
extern const rn_op_def rn_op_global_average_pool;
extern const rn_op_def rn_op_global_max_pool;
extern const rn_op_def rn_op_global_lp_pool;
extern const rn_op_def rn_op_gemm;
extern const rn_op_def rn_op_matmul;
extern const rn_op_def rn_op_softmax;
extern const rn_op_def rn_op_log_softmax;
extern const rn_op_def rn_op_hardmax;
extern const rn_op_def rn_op_dropout;
extern const rn_op_def rn_op_fused_conv; /* ("rn", "FusedConv"): Conv + Add + activation */

/* ---- Conv's infer / run / workspace (conv.c), shared with FusedConv ----
 * They read inputs 0..2 (X, W, optional B), output 0 and the node's Conv
 * attributes; a caller may pass a context narrowed to those. */
rn_status *rn_nn_conv_infer(rn_op_ctx *ctx);
rn_status *rn_nn_conv_run(rn_op_ctx *ctx);
size_t rn_nn_conv_workspace(const rn_op_ctx *ctx);

/* ---- GEMM (gemm_ref.c) ----
 * C[m,n] = alpha * A[m,k] * B[k,n] + beta * C, where A[i,p] is
 * a[i*rsa + p*csa] and B[p,j] is b[p*rsb + j*csb] (so either operand may be
 * transposed by its strides), C row-major with row stride ldc. beta == 0
 * ignores C's old contents. `work` holds rn_nn_gemm_workspace(dtype) bytes,
 * suitably aligned for the element type. */
size_t rn_nn_gemm_workspace(rn_dtype dtype);
void rn_nn_sgemm(int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t rsa,
                 int64_t csa, const float *b, int64_t rsb, int64_t csb, float beta, float *c,
                 int64_t ldc, void *work);
void rn_nn_dgemm(int64_t m, int64_t n, int64_t k, double alpha, const double *a, int64_t rsa,
                 int64_t csa, const double *b, int64_t rsb, int64_t csb, double beta, double *c,
                 int64_t ldc, void *work);

/* Element types rn_nn_gemm_any handles: float, double, int32/64, uint32/64. */
bool rn_nn_gemm_dtype_ok(rn_dtype dt);
/* The same product for any of those types (integers wrap; alpha/beta other
 * than 1 are applied through double). `work` as above. */
void rn_nn_gemm_any(rn_dtype dt, int64_t m, int64_t n, int64_t k, double alpha, const void *a,
                    int64_t rsa, int64_t csa, const void *b, int64_t rsb, int64_t csb, double beta,
                    void *c, int64_t ldc, void *work);

/* ---- shared helpers (nn_util.c) ---- */

/* Element types the float kernels handle. */
static inline bool rn_nn_is_real(rn_dtype dt) { return dt == RN_DTYPE_FLOAT || dt == RN_DTYPE_DOUBLE; }

/* UNSUPPORTED (float16 and others) / INVALID_MODEL (non-numeric) unless t is
 * float32 or float64. `what` names the input in the message. */
rn_status *rn_nn_require_real(const rn_op_ctx *ctx, const rn_tensor *t, const char *what);

/* The p attribute of LpPool / GlobalLpPool (default 2; FLOAT, or INT in old
 * models), in (0, 1e6]: one reader for both pool files. */
rn_status *rn_nn_lp_p(const rn_op_ctx *ctx, double *p);

/* Error unless inputs 0..n-1 and output 0 are present. */
rn_status *rn_nn_require_inputs(const rn_op_ctx *ctx, int n);

/* The sliding-window geometry of Conv, ConvTranspose and the pools over the
 * spatial dims (the dims after N and C). */
typedef struct rn_nn_window {
  int nsp;                         /* number of spatial dims */
  int64_t in[RN_MAX_RANK];         /* input spatial dims */
  int64_t out[RN_MAX_RANK];        /* output spatial dims */
  int64_t kernel[RN_MAX_RANK];
  int64_t stride[RN_MAX_RANK];
  int64_t dilation[RN_MAX_RANK];
  int64_t pad_begin[RN_MAX_RANK];  /* may be negative only for ConvTranspose */
  int64_t pad_end[RN_MAX_RANK];
} rn_nn_window;

/* Largest accepted kernel/stride/dilation/pad value: keeps the window
 * arithmetic far from int64 overflow. */
#define RN_NN_MAX_WINDOW_ATTR ((int64_t)1 << 31)

/* Reads kernel_shape (or, when the attribute is absent, `weight_kernel` if it
 * is not NULL), strides, dilations (only when `dilations_allowed`), pads and
 * auto_pad for input shape x (rank >= 3), and computes the forward
 * (Conv/pool) output dims; `ceil_mode` rounds output dims up as the pools'
 * attribute says. */
rn_status *rn_nn_window_init(const rn_op_ctx *ctx, const rn_shape *x, const int64_t *weight_kernel,
                             bool dilations_allowed, bool ceil_mode, rn_nn_window *w);

/* Reads the window attributes without computing output dims or applying
 * auto_pad (ConvTranspose). auto_pad is returned in *auto_pad:
 * 0 NOTSET, 1 SAME_UPPER, 2 SAME_LOWER, 3 VALID. */
rn_status *rn_nn_window_attrs(const rn_op_ctx *ctx, const rn_shape *x, const int64_t *weight_kernel,
                              bool dilations_allowed, rn_nn_window *w, int *auto_pad);

/* Advances a row-major multi-index idx[0..n) below lim; false after the last. */
static inline bool rn_nn_odometer_next(int64_t *idx, const int64_t *lim, int n) {
  for (int d = n - 1; d >= 0; d--) {
    if (++idx[d] < lim[d]) return true;
    idx[d] = 0;
  }
  return false;
}

/* Product of n dims (all already validated and known not to overflow). */
static inline int64_t rn_nn_prod(const int64_t *dims, int n) {
  int64_t p = 1;
  for (int i = 0; i < n; i++) p *= dims[i];
  return p;
}

/* Rounds bytes up to a multiple of 64 (to keep workspace parts aligned). */
static inline size_t rn_nn_align64(size_t n) { return (n + 63) & ~(size_t)63; }

#endif
