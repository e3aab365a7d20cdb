/* The plain-C GEMM shared by Conv, ConvTranspose, Gemm and MatMul.
 *
 * BLIS-style blocking without intrinsics: B is packed (zero-padded) into
 * panels of NR columns so the micro-kernel streams it contiguously; the
 * micro-kernel keeps an MR x NR accumulator tile whose inner loops have
 * constant trip counts, which GCC/Clang vectorize at -O2. A is read in place
 * through (row, column) strides, so transposed A costs nothing. */
#include "nn_ops.h"

#include <string.h>

#define GEMM_MR 4
#define GEMM_NR 8
#define GEMM_KC 256
#define GEMM_NC 512

size_t rn_nn_gemm_workspace(rn_dtype dtype) {
  return (size_t)GEMM_KC * GEMM_NC * (dtype == RN_DTYPE_DOUBLE ? sizeof(double) : sizeof(float));
}

/* One kernel per element type, written once. */
#define RN_NN_DEFINE_GEMM(T, NAME)                                                                 \
  /* Packs B[k0:k0+kc, j0:j0+nc] (B at (rsb, csb) strides) into NR-wide panels. */                 \
  static void NAME##_pack_b(const T *b, int64_t rsb, int64_t csb, int64_t kc, int64_t nc,         \
                            T *restrict bp) {                                                     \
    for (int64_t j = 0; j < nc; j += GEMM_NR) {                                                   \
      int64_t nr = nc - j < GEMM_NR ? nc - j : GEMM_NR;                                           \
      if (nr == GEMM_NR && csb == 1) {                                                            \
        for (int64_t k = 0; k < kc; k++) {                                                        \
          const T *src = b + k * rsb + j;                                                         \
          for (int c = 0; c < GEMM_NR; c++) bp[c] = src[c];                                       \
          bp += GEMM_NR;                                                                          \
        }                                                                                         \
      } else {                                                                                    \
        for (int64_t k = 0; k < kc; k++) {                                                        \
          int c = 0;                                                                              \
          for (; c < nr; c++) bp[c] = b[k * rsb + (j + c) * csb];                                 \
          for (; c < GEMM_NR; c++) bp[c] = 0;                                                     \
          bp += GEMM_NR;                                                                          \
        }                                                                                         \
      }                                                                                           \
    }                                                                                             \
  }                                                                                               \
                                                                                                  \
  /* acc[MR][NR] = A rows a0..a3 (column stride csa) times the packed panel. */                   \
  static void NAME##_micro(int64_t kc, const T *a0, const T *a1, const T *a2, const T *a3,        \
                           int64_t csa, const T *restrict bp, T acc[GEMM_MR][GEMM_NR]) {          \
    T c0[GEMM_NR] = {0}, c1[GEMM_NR] = {0}, c2[GEMM_NR] = {0}, c3[GEMM_NR] = {0};                 \
    for (int64_t k = 0; k < kc; k++) {                                                            \
      const T x0 = a0[k * csa], x1 = a1[k * csa], x2 = a2[k * csa], x3 = a3[k * csa];             \
      for (int j = 0; j < GEMM_NR; j++) {                                                         \
        const T bv = bp[j];                                                                       \
        c0[j] += x0 * bv;                                                                         \
        c1[j] += x1 * bv;                                                                         \
        c2[j] += x2 * bv;                                                                         \
        c3[j] += x3 * bv;                                                                         \
      }                                                                                           \
      bp += GEMM_NR;                                                                              \
    }                                                                                             \
    memcpy(acc[0], c0, sizeof c0);                                                                \
    memcpy(acc[1], c1, sizeof c1);                                                                \
    memcpy(acc[2], c2, sizeof c2);                                                                \
    memcpy(acc[3], c3, sizeof c3);                                                                \
  }                                                                                               \
                                                                                                  \
  void NAME(int64_t m, int64_t n, int64_t k, T alpha, const T *a, int64_t rsa, int64_t csa,       \
            const T *b, int64_t rsb, int64_t csb, T beta, T *c, int64_t ldc, void *work) {        \
    T *bp = work;                                                                                 \
    if (beta == 0) {                                                                              \
      for (int64_t i = 0; i < m; i++) memset(c + i * ldc, 0, (size_t)n * sizeof(T));              \
    } else if (beta != 1) {                                                                       \
      for (int64_t i = 0; i < m; i++)                                                             \
        for (int64_t j = 0; j < n; j++) c[i * ldc + j] *= beta;                                   \
    }                                                                                             \
    if (k <= 0 || alpha == 0) return;                                                             \
    T acc[GEMM_MR][GEMM_NR];                                                                      \
    for (int64_t j0 = 0; j0 < n; j0 += GEMM_NC) {                                                 \
      int64_t nc = n - j0 < GEMM_NC ? n - j0 : GEMM_NC;                                           \
      for (int64_t p0 = 0; p0 < k; p0 += GEMM_KC) {                                               \
        int64_t kc = k - p0 < GEMM_KC ? k - p0 : GEMM_KC;                                         \
        NAME##_pack_b(b + p0 * rsb + j0 * csb, rsb, csb, kc, nc, bp);                             \
        for (int64_t i0 = 0; i0 < m; i0 += GEMM_MR) {                                             \
          int64_t mr = m - i0 < GEMM_MR ? m - i0 : GEMM_MR;                                       \
          /* Rows past the end alias the last valid row; their results are dropped. */           \
          const T *ar[GEMM_MR];                                                                   \
          for (int r = 0; r < GEMM_MR; r++)                                                       \
            ar[r] = a + (i0 + (r < mr ? r : mr - 1)) * rsa + p0 * csa;                            \
          for (int64_t jr = 0; jr < nc; jr += GEMM_NR) {                                          \
            int64_t nr = nc - jr < GEMM_NR ? nc - jr : GEMM_NR;                                   \
            NAME##_micro(kc, ar[0], ar[1], ar[2], ar[3], csa, bp + jr * kc, acc);                 \
            T *cp = c + i0 * ldc + j0 + jr;                                                       \
            if (nr == GEMM_NR) {                                                                  \
              for (int r = 0; r < mr; r++)                                                        \
                for (int j = 0; j < GEMM_NR; j++) cp[r * ldc + j] += alpha * acc[r][j];           \
            } else {                                                                              \
              for (int r = 0; r < mr; r++)                                                        \
                for (int j = 0; j < nr; j++) cp[r * ldc + j] += alpha * acc[r][j];                \
            }                                                                                     \
          }                                                                                       \
        }                                                                                         \
      }                                                                                           \
    }                                                                                             \
  }

RN_NN_DEFINE_GEMM(float, rn_nn_sgemm)
RN_NN_DEFINE_GEMM(double, rn_nn_dgemm)

/* Integer products: a plain i-p-j loop with wrapping (two's complement)
 * arithmetic done in uint64 so that overflow is defined. */
#define RN_NN_DEFINE_IGEMM(T, NAME)                                                                \
  static void NAME(int64_t m, int64_t n, int64_t k, double alpha, const T *a, int64_t rsa,        \
                   int64_t csa, const T *b, int64_t rsb, int64_t csb, double beta, T *c,          \
                   int64_t ldc) {                                                                 \
    for (int64_t i = 0; i < m; i++) {                                                             \
      T *ci = c + i * ldc;                                                                        \
      for (int64_t j = 0; j < n; j++) {                                                           \
        uint64_t acc = 0;                                                                         \
        for (int64_t p = 0; p < k; p++)                                                           \
          acc += (uint64_t)a[i * rsa + p * csa] * (uint64_t)b[p * rsb + j * csb];                 \
        T v = (T)acc;                                                                             \
        if (alpha != 1) v = (T)(alpha * (double)v);                                               \
        if (beta == 1) v = (T)((uint64_t)v + (uint64_t)ci[j]);                                    \
        else if (beta != 0) v = (T)((uint64_t)v + (uint64_t)(T)(beta * (double)ci[j]));           \
        ci[j] = v;                                                                                \
      }                                                                                           \
    }                                                                                             \
  }

RN_NN_DEFINE_IGEMM(int32_t, igemm_i32)
RN_NN_DEFINE_IGEMM(int64_t, igemm_i64)
RN_NN_DEFINE_IGEMM(uint32_t, igemm_u32)
RN_NN_DEFINE_IGEMM(uint64_t, igemm_u64)

bool rn_nn_gemm_dtype_ok(rn_dtype dt) {
  switch (dt) {
    case RN_DTYPE_FLOAT: case RN_DTYPE_DOUBLE: case RN_DTYPE_INT32: case RN_DTYPE_INT64:
    case RN_DTYPE_UINT32: case RN_DTYPE_UINT64:
      return true;
    default:
      return false;
  }
}

void rn_nn_gemm_any(rn_dtype dt, int64_t m, int64_t n, int64_t k, double alpha, const void *a,
                    int64_t rsa, int64_t csa, const void *b, int64_t rsb, int64_t csb, double beta,
                    void *c, int64_t ldc, void *work) {
  switch (dt) {
    case RN_DTYPE_FLOAT:
      rn_nn_sgemm(m, n, k, (float)alpha, a, rsa, csa, b, rsb, csb, (float)beta, c, ldc, work);
      break;
    case RN_DTYPE_DOUBLE:
      rn_nn_dgemm(m, n, k, alpha, a, rsa, csa, b, rsb, csb, beta, c, ldc, work);
      break;
    case RN_DTYPE_INT32: igemm_i32(m, n, k, alpha, a, rsa, csa, b, rsb, csb, beta, c, ldc); break;
    case RN_DTYPE_INT64: igemm_i64(m, n, k, alpha, a, rsa, csa, b, rsb, csb, beta, c, ldc); break;
    case RN_DTYPE_UINT32: igemm_u32(m, n, k, alpha, a, rsa, csa, b, rsb, csb, beta, c, ldc); break;
    case RN_DTYPE_UINT64: igemm_u64(m, n, k, alpha, a, rsa, csa, b, rsb, csb, beta, c, ldc); break;
    default: break;
  }
}
