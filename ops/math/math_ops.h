/* The math group (element-wise unary, broadcasting binary, comparisons,
 * logic, reductions, ArgMax/ArgMin, CumSum, TopK): definitions and the
 * helpers its files share. */
#ifndef RN_OPS_MATH_OPS_H
#define RN_OPS_MATH_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "op.h"

/* GCC 12 at -O2 vectorizes only loops that need no scalar remainder (the
 * "very cheap" cost model), which leaves every element-wise loop of this
 * group scalar and branchy; and it will not if-convert a float select
 * (x < 0 ? 0 : x) while it must preserve FP exception flags, which rn never
 * reads. Ask for both in these files (values are unchanged). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("tree-vectorize", "vect-cost-model=dynamic", "no-trapping-math")
#endif

/* ---- definitions (one per ONNX op and opset range) ---- */

/* unary.c: element-wise functions and activations */
extern const rn_op_def rn_op_relu, rn_op_sigmoid, rn_op_tanh, rn_op_exp, rn_op_log, rn_op_abs,
    rn_op_neg, rn_op_sqrt, rn_op_reciprocal, rn_op_floor, rn_op_ceil, rn_op_round, rn_op_sign,
    rn_op_sin, rn_op_cos, rn_op_tan, rn_op_asin, rn_op_acos, rn_op_atan, rn_op_sinh, rn_op_cosh,
    rn_op_asinh, rn_op_acosh, rn_op_atanh, rn_op_erf, rn_op_softplus, rn_op_softsign,
    rn_op_hard_swish, rn_op_mish, rn_op_not, rn_op_isnan, rn_op_isinf, rn_op_elu, rn_op_selu,
    rn_op_leaky_relu, rn_op_thresholded_relu,
    rn_op_celu, rn_op_hard_sigmoid, rn_op_gelu, rn_op_shrink;
/* clip.c */
extern const rn_op_def rn_op_clip;
/* binary.c */
extern const rn_op_def rn_op_add, rn_op_sub, rn_op_mul, rn_op_div, rn_op_pow, rn_op_mod,
    rn_op_bitshift, rn_op_prelu;
/* compare.c: comparisons and logic */
extern const rn_op_def rn_op_equal, rn_op_less, rn_op_greater, rn_op_less_or_equal,
    rn_op_greater_or_equal, rn_op_and, rn_op_or, rn_op_xor;
/* where.c */
extern const rn_op_def rn_op_where;
/* variadic.c */
extern const rn_op_def rn_op_sum, rn_op_mean, rn_op_max, rn_op_min;
/* reduce.c */
extern const rn_op_def rn_op_reduce_mean, rn_op_reduce_sum, rn_op_reduce_max, rn_op_reduce_min,
    rn_op_reduce_prod, rn_op_reduce_l1, rn_op_reduce_l2, rn_op_reduce_log_sum,
    rn_op_reduce_log_sum_exp, rn_op_reduce_sum_square;
/* argminmax.c */
extern const rn_op_def rn_op_argmax, rn_op_argmin;
/* cumsum.c */
extern const rn_op_def rn_op_cumsum;
/* topk.c */
extern const rn_op_def rn_op_topk;

/* ---- activations for fused kernels (unary.c) ----
 * rn_mops_activation applies one activation in place to n elements of a
 * float or double buffer with the very loops of the standalone ops (Relu,
 * Sigmoid, Tanh, HardSwish, LeakyRelu, HardSigmoid from unary.c; Clip as
 * clip.c; SiLU as Sigmoid then Mul), so a fused kernel matches the unfused
 * graph bit for bit. params: Clip [min, max] (+-inf for no bound),
 * LeakyRelu [alpha], HardSigmoid [alpha, beta]; NULL for the others. */
typedef enum rn_mops_act {
  RN_MOPS_ACT_NONE = 0,
  RN_MOPS_ACT_RELU,
  RN_MOPS_ACT_CLIP,
  RN_MOPS_ACT_SIGMOID,
  RN_MOPS_ACT_SILU,
  RN_MOPS_ACT_HARD_SIGMOID,
  RN_MOPS_ACT_LEAKY_RELU,
  RN_MOPS_ACT_HARD_SWISH,
  RN_MOPS_ACT_TANH
} rn_mops_act;

void rn_mops_activation(rn_mops_act act, rn_dtype dt, void *data, int64_t n, const float *params);

/* ---- element types ---- */

/* X(DTYPE, C type, suffix, kind, unsigned wide type) over the numeric types
 * the reference kernels handle. kind: F float, S signed int, U unsigned int.
 * The wide unsigned type does signed arithmetic without overflow UB (and
 * without promotion of small types to int). */
#define RN_MOPS_NUMERIC_TYPES(X)                                                                  \
  X(RN_DTYPE_FLOAT, float, f32, F, float)                                                         \
  X(RN_DTYPE_DOUBLE, double, f64, F, double)                                                      \
  X(RN_DTYPE_INT8, int8_t, i8, S, unsigned int)                                                   \
  X(RN_DTYPE_UINT8, uint8_t, u8, U, unsigned int)                                                 \
  X(RN_DTYPE_INT16, int16_t, i16, S, unsigned int)                                                \
  X(RN_DTYPE_UINT16, uint16_t, u16, U, unsigned int)                                              \
  X(RN_DTYPE_INT32, int32_t, i32, S, uint32_t)                                                    \
  X(RN_DTYPE_UINT32, uint32_t, u32, U, uint32_t)                                                  \
  X(RN_DTYPE_INT64, int64_t, i64, S, uint64_t)                                                    \
  X(RN_DTYPE_UINT64, uint64_t, u64, U, uint64_t)

/* The same list, passing ARG first: X(ARG, DTYPE, T, suffix, kind, UT). */
#define RN_MOPS_NUMERIC_TYPES_ARG(X, ARG)                                                         \
  X(ARG, RN_DTYPE_FLOAT, float, f32, F, float)                                                    \
  X(ARG, RN_DTYPE_DOUBLE, double, f64, F, double)                                                 \
  X(ARG, RN_DTYPE_INT8, int8_t, i8, S, unsigned int)                                              \
  X(ARG, RN_DTYPE_UINT8, uint8_t, u8, U, unsigned int)                                            \
  X(ARG, RN_DTYPE_INT16, int16_t, i16, S, unsigned int)                                           \
  X(ARG, RN_DTYPE_UINT16, uint16_t, u16, U, unsigned int)                                         \
  X(ARG, RN_DTYPE_INT32, int32_t, i32, S, uint32_t)                                               \
  X(ARG, RN_DTYPE_UINT32, uint32_t, u32, U, uint32_t)                                             \
  X(ARG, RN_DTYPE_INT64, int64_t, i64, S, uint64_t)                                               \
  X(ARG, RN_DTYPE_UINT64, uint64_t, u64, U, uint64_t)

/* Type-class bits for "which dtypes does this op take". */
enum {
  RN_MOPS_T_F32 = 1 << 0,
  RN_MOPS_T_F64 = 1 << 1,
  RN_MOPS_T_SINT = 1 << 2,   /* int8/16/32/64 */
  RN_MOPS_T_UINT = 1 << 3,   /* uint8/16/32/64 */
  RN_MOPS_T_BOOL = 1 << 4,
  RN_MOPS_T_FLOAT = RN_MOPS_T_F32 | RN_MOPS_T_F64,
  RN_MOPS_T_INT = RN_MOPS_T_SINT | RN_MOPS_T_UINT,
  RN_MOPS_T_NUM = RN_MOPS_T_FLOAT | RN_MOPS_T_INT,
  RN_MOPS_T_SNUM = RN_MOPS_T_FLOAT | RN_MOPS_T_SINT,
};

/* The class bit of dt (0 for float16, string, undefined). */
unsigned rn_mops_type_class(rn_dtype dt);
/* UNSUPPORTED (float16, other classes the kernels lack) or INVALID_MODEL
 * (a type the op never takes) unless t's dtype is in `allowed`. */
rn_status *rn_mops_check_type(const rn_op_ctx *ctx, const rn_tensor *t, unsigned allowed,
                              const char *what);

/* ---- broadcasting ---- */

#define RN_MOPS_MAX_BCAST_IN 3

/* Numpy broadcasting of up to RN_MOPS_MAX_BCAST_IN inputs to one contiguous
 * output, as rows: the output is `rows` rows of `inner` elements; along a
 * row, input k advances by inner_stride[k] (0 or 1) elements. Dims of size 1
 * are dropped and adjacent dims that every input walks contiguously are
 * merged, so the common cases (same shape, scalar, per-channel [1,C,1,1]
 * against [N,C,H,W]) become a few long rows. */
typedef struct rn_mops_bcast {
  int n_in;
  int rank;                                   /* merged outer rank (without the row dim) */
  int64_t dims[RN_MAX_RANK];                  /* outer dims */
  int64_t strides[RN_MOPS_MAX_BCAST_IN][RN_MAX_RANK]; /* elements, 0 where broadcast */
  int64_t inner;
  int64_t inner_stride[RN_MOPS_MAX_BCAST_IN];
  int64_t rows;
} rn_mops_bcast;

/* `ins[k]` must broadcast to `out` (aligned to the right, rank <= out's). */
void rn_mops_bcast_init(rn_mops_bcast *b, const rn_shape *out, int n_in,
                        const rn_shape *const *ins);

/* Cursor over the rows of a rn_mops_bcast: offsets (in elements) of the
 * current row's first element in each input. */
typedef struct rn_mops_cursor {
  int64_t idx[RN_MAX_RANK];
  int64_t off[RN_MOPS_MAX_BCAST_IN];
} rn_mops_cursor;

void rn_mops_cursor_start(const rn_mops_bcast *b, rn_mops_cursor *c);
static inline void rn_mops_cursor_next(const rn_mops_bcast *b, rn_mops_cursor *c) {
  for (int d = b->rank - 1; d >= 0; d--) {
    for (int k = 0; k < b->n_in; k++) c->off[k] += b->strides[k][d];
    if (++c->idx[d] < b->dims[d]) return;
    for (int k = 0; k < b->n_in; k++) c->off[k] -= b->strides[k][d] * b->dims[d];
    c->idx[d] = 0;
  }
}

/* A binary kernel over one row: y[i] = f(a[i*sa], b[i*sb]), sa/sb in {0,1}. */
typedef void (*rn_mops_bin_fn)(void *y, const void *a, const void *b, int64_t n, int64_t sa,
                               int64_t sb);

/* Defines a row kernel NAME (an rn_mops_bin_fn) computing y[i] = EXPR from
 * x (type TA, from a) and z (type TB, from b). Specialized per stride case
 * so each loop vectorizes. */
#define RN_MOPS_BIN_KERNEL(NAME, TA, TB, TY, EXPR)                                                \
  static void NAME(void *yv, const void *av, const void *bv, int64_t n, int64_t sa,               \
                   int64_t sb) {                                                                  \
    TY *y = yv;                                                                                   \
    const TA *a = av;                                                                             \
    const TB *b = bv;                                                                             \
    if (sa && sb) {                                                                               \
      for (int64_t i = 0; i < n; i++) {                                                           \
        const TA x = a[i];                                                                        \
        const TB z = b[i];                                                                        \
        y[i] = (TY)(EXPR);                                                                        \
      }                                                                                           \
    } else if (sa) {                                                                              \
      const TB z = b[0];                                                                          \
      for (int64_t i = 0; i < n; i++) {                                                           \
        const TA x = a[i];                                                                        \
        y[i] = (TY)(EXPR);                                                                        \
      }                                                                                           \
    } else if (sb) {                                                                              \
      const TA x = a[0];                                                                          \
      for (int64_t i = 0; i < n; i++) {                                                           \
        const TB z = b[i];                                                                        \
        y[i] = (TY)(EXPR);                                                                        \
      }                                                                                           \
    } else {                                                                                      \
      const TA x = a[0];                                                                          \
      const TB z = b[0];                                                                          \
      const TY r = (TY)(EXPR);                                                                    \
      for (int64_t i = 0; i < n; i++) y[i] = r;                                                   \
    }                                                                                             \
  }

/* The per-type dispatch of a binary kernel family (binary, variadic and
 * compare ops): defines the row kernels OP_<suffix>, one per numeric type,
 * with GEN(OP, DT, T, S, K, UT), and `find_OP(dtype)` returning the one for a
 * dtype (NULL if none). */
#define RN_MOPS_CASE_(OP, DT, T, S, K, UT)                                                        \
  case DT: return OP##_##S;
#define RN_MOPS_BIN_OP_TABLE(OP, GEN)                                                             \
  RN_MOPS_NUMERIC_TYPES_ARG(GEN, OP)                                                              \
  static rn_mops_bin_fn find_##OP(rn_dtype dt) {                                                  \
    switch (dt) {                                                                                 \
      RN_MOPS_NUMERIC_TYPES_ARG(RN_MOPS_CASE_, OP)                                                \
      default: return NULL;                                                                       \
    }                                                                                             \
  }

/* Runs fn over y = f(a, b) with a, b shaped as given broadcast to y's shape.
 * y may alias a when a has y's shape (in-place accumulation). */
void rn_mops_bcast_binary(rn_tensor *y, const void *a, const rn_shape *sa, rn_dtype ta,
                          const void *b, const rn_shape *sb, rn_dtype tb, rn_mops_bin_fn fn);

/* Shapes of the two inputs of a binary op as seen by numpy broadcasting.
 * Before opset 7 (the `broadcast`/`axis` attributes), B is aligned to A at
 * `axis` (default: suffix) and the result has A's shape. `legacy` selects
 * that mode. Sets *out to the output shape. */
rn_status *rn_mops_binary_shapes(const rn_op_ctx *ctx, bool legacy, rn_shape *sa, rn_shape *sb,
                                 rn_shape *out);

#endif
