/* The GEMM micro-kernel behind the plugin's convolutions, compiled once per
 * target like simd.c (same -DCPU_SIMD_SUFFIX). It computes one MR x NR tile
 * of C = A * B over the whole depth K, with
 *   - A packed once per plan (prepare): a panel of MR rows stored [K][MR];
 *   - B a panel of NR columns whose row k starts at b + k * bstride: the
 *     input itself for 1x1 convolutions (bstride = H*W), or an im2col panel
 *     built straight into this layout (bstride = NR), so no copy is made
 *     beyond the one im2col needs anyway.
 * The MR x NR accumulators stay in vector registers for all of K: GCC's
 * vector extensions give one source for AVX-512 (16 lanes), AVX2 (8) and
 * SSE2 (4). */
#include <string.h>

#include "gemm_tile.h"
#include "simd.h"
#include "vec_math.h"

#define TILE_CAT2(a, b) a##_##b
#define TILE_CAT(a, b) TILE_CAT2(a, b)

#define VW GEMM_VW
#define MR GEMM_MR
#define NV GEMM_NV
#define NR GEMM_NR

typedef vfw vf; /* vec_math.h */

enum { PREFETCH_ROWS = 6 };

void TILE_CAT(rn_cpu_gemm_tile, CPU_SIMD_SUFFIX)(int64_t k_depth, int nseg, const int64_t *seg_off, const float *a,
                                                 const float *b, int64_t bstride, float *c, int64_t ldc, int mr, int nr,
                                                 const cpu_tile_epilogue *ep);

/* Bias, residual and activation on one vector (half j of row r); by value,
 * so that the accumulators never need an address (they stay in registers). */
static inline vf lane_epilogue(const cpu_tile_epilogue *ep, int r, int j, int nr, vf c) {
  if (ep->bias) c += ep->bias[r];
  if (ep->z) {
    const float *zp = ep->z + r * ep->ldz + j * VW;
    vf zv;
    if (nr == NR) { /* a constant-size copy: one vector load */
      memcpy(&zv, zp, sizeof zv);
    } else {
      float z[VW] = {0};
      int n = nr - j * VW;
      for (int i = 0; i < n && i < VW; i++) z[i] = zp[i];
      memcpy(&zv, z, sizeof zv);
    }
    c += zv;
  }
  return ep->act->kind != CPU_ACT_NONE ? act_v(c, ep->act) : c;
}

/* One named variable per accumulator: GCC keeps them in registers (an
 * array would live on the stack). */
#define DECLARE(r) vf c##r##_0 = {0}, c##r##_1 = {0};
#define STEP(r)                            \
  {                                        \
    const float av = ak[r];                \
    c##r##_0 += av * b0;                   \
    c##r##_1 += av * b1;                   \
  }
#define EPILOGUE(r)                                   \
  if (r < mr) {                                       \
    c##r##_0 = lane_epilogue(ep, r, 0, nr, c##r##_0); \
    c##r##_1 = lane_epilogue(ep, r, 1, nr, c##r##_1); \
  }
#define STORE_DIRECT(r)                                 \
  memcpy(c + r * ldc, &c##r##_0, sizeof(vf));           \
  memcpy(c + r * ldc + VW, &c##r##_1, sizeof(vf));
#define STORE(r)                                        \
  memcpy(tile[r], &c##r##_0, sizeof(vf));               \
  memcpy(tile[r] + VW, &c##r##_1, sizeof(vf));
/* The tile's body for the MRV rows ROWS(X) expands (A panels MRV wide). */
#define TILE_BODY(ROWS, MRV)                                                                   \
  ROWS(DECLARE)                                                                                \
  const float *ak = a;                                                                         \
  for (int sg = 0; sg < nseg; sg++) {                                                          \
    const float *bk = b + (seg_off ? seg_off[sg] : 0);                                         \
    for (int64_t k = 0; k < k_depth; k++, bk += bstride, ak += (MRV)) {                        \
      /* B rows are bstride apart (a channel plane for convolutions): fetch                   \
       * a few rows ahead, the hardware prefetcher does not follow. */                         \
      __builtin_prefetch(bk + PREFETCH_ROWS * bstride);                                        \
      __builtin_prefetch(bk + PREFETCH_ROWS * bstride + VW);                                   \
      vf b0, b1;                                                                               \
      memcpy(&b0, bk, sizeof b0);                                                              \
      memcpy(&b1, bk + VW, sizeof b1);                                                         \
      ROWS(STEP)                                                                               \
    }                                                                                          \
  }                                                                                            \
  if (ep) {                                                                                    \
    ROWS(EPILOGUE)                                                                             \
  }                                                                                            \
  if (mr == (MRV) && nr == NR) { /* a whole tile: straight from the registers */              \
    ROWS(STORE_DIRECT)                                                                         \
    return;                                                                                    \
  }                                                                                            \
  float tile[MRV][NR];                                                                         \
  ROWS(STORE)                                                                                  \
  if (nr == NR)                                                                                \
    for (int r = 0; r < mr; r++) memcpy(c + r * ldc, tile[r], sizeof tile[r]);                 \
  else                                                                                         \
    for (int r = 0; r < mr; r++) memcpy(c + r * ldc, tile[r], (size_t)nr * sizeof(float));

void TILE_CAT(rn_cpu_gemm_tile, CPU_SIMD_SUFFIX)(int64_t k_depth, int nseg, const int64_t *seg_off, const float *a,
                                                 const float *b, int64_t bstride, float *c, int64_t ldc, int mr, int nr,
                                                 const cpu_tile_epilogue *ep) {
  TILE_BODY(GEMM_ROWS, MR)
}

/* The same with GEMM_MR_SHORT rows, for output-channel counts that MR
 * divides badly (16 = 12 + 4 computes 24 rows; 8 + 8 computes 16). */
void TILE_CAT(rn_cpu_gemm_tile_short, CPU_SIMD_SUFFIX)(int64_t k_depth, int nseg, const int64_t *seg_off,
                                                       const float *a, const float *b, int64_t bstride, float *c,
                                                       int64_t ldc, int mr, int nr, const cpu_tile_epilogue *ep);
void TILE_CAT(rn_cpu_gemm_tile_short, CPU_SIMD_SUFFIX)(int64_t k_depth, int nseg, const int64_t *seg_off,
                                                       const float *a, const float *b, int64_t bstride, float *c,
                                                       int64_t ldc, int mr, int nr, const cpu_tile_epilogue *ep) {
  TILE_BODY(GEMM_ROWS_SHORT, GEMM_MR_SHORT)
}
#undef DECLARE
#undef STEP
#undef EPILOGUE
#undef STORE_DIRECT
#undef STORE
#undef TILE_BODY

/* The transposed tile, for convolutions whose output rows are short (7x7):
 * rows are output positions and the vector columns output channels, so a
 * tile takes any MR positions (offsets pos[] into B, skipping the phase
 * planes' padding columns) instead of NR consecutive ones:
 *     C[p][j] = sum_k B[k][pos[p]] * A[k][j],   A packed [K][NR] (channels),
 * with B's row k of segment s at b + seg_off[s] + k * bstride as above.
 * Output: channel j of position p goes to c[j * ldc + p] (NCHW: ldc is
 * the plane size, the positions consecutive outputs); np <= MR positions,
 * nj <= NR channels; bias (per channel, may be NULL), a residual z laid out
 * as c (may be NULL) and act applied in registers. */
void TILE_CAT(rn_cpu_gemm_tile_t, CPU_SIMD_SUFFIX)(int64_t k_depth, int nseg, const int64_t *seg_off,
                                                   const float *a, const float *b, int64_t bstride,
                                                   const int64_t *pos, int np, float *c,
                                                   int64_t ldc, int nj, const float *bias, const float *z, const cpu_act *act);

#define DECLARE_T(r) vf c##r##_0 = {0}, c##r##_1 = {0}; const int64_t p##r = pos[r < np ? r : 0];
/* The transposed tile's A panel (K rows of NR weights, 128 bytes each on
 * AVX-512) is fetched this many rows ahead: a panel's first tile reads it
 * from L3 or memory (weights outgrow L2 in the late layers), the others
 * from L2 (interleaved A/B at 1 thread: MobileNet-v2 -2.3%, ResNet-50 and
 * EfficientNet-B0 -1.1%). */
enum { A_PREFETCH_ROWS = 16 };

/* Consecutive positions (every tile of a 1x1 convolution read in place):
 * the broadcasts take constant offsets from one pointer, which frees the
 * twelve registers that held the positions (the general loop spills three). */
#define STEP_TC(r)                         \
  {                                        \
    const float bv = bk[r];                \
    c##r##_0 += bv * a0;                   \
    c##r##_1 += bv * a1;                   \
  }
#define STEP_T(r)                          \
  {                                        \
    const float bv = bk[p##r];             \
    c##r##_0 += bv * a0;                   \
    c##r##_1 += bv * a1;                   \
  }
#define STORE_T(r)                                        \
  h0[r] = c##r##_0 + b0, h1[r] = c##r##_1 + b1;           \
  if (row_act) h0[r] = act_v(h0[r], act), h1[r] = act_v(h1[r], act);
/* The k loop over every segment, each row of A's NR weights combined with
 * the B values that STEP(r) reads at bk (b + the segment's offset + base). */
#define TILE_T_LOOP(ROWS, STEP, BASE)                                                      \
  for (int sg = 0; sg < nseg; sg++) {                                                      \
    const float *bk = b + (seg_off ? seg_off[sg] : 0) + (BASE);                            \
    for (int64_t k = 0; k < k_depth; k++, bk += bstride, ak += NR) {                       \
      vf a0, a1;                                                                           \
      __builtin_prefetch(ak + A_PREFETCH_ROWS * NR);                                       \
      __builtin_prefetch(ak + A_PREFETCH_ROWS * NR + VW);                                  \
      memcpy(&a0, ak, sizeof a0);                                                          \
      memcpy(&a1, ak + VW, sizeof a1);                                                     \
      ROWS(STEP)                                                                           \
    }                                                                                      \
  }

/* The tile's body for the NROWS rows ROWS(X) expands (all of them
 * computed, the ones past np on a copy of position 0 and not stored). Bias
 * (and, without a residual, the activation) per position row, then each
 * VW-channel half is transposed in registers (rows past the tile's zero) so
 * that every channel's np consecutive positions leave as one store, after
 * the residual and activation when there is a residual. */
#define TILE_T_BODY(ROWS, NROWS)                                                           \
  ROWS(DECLARE_T)                                                                          \
  const float *ak = a;                                                                     \
  if (np == (NROWS) && pos[np - 1] - pos[0] == np - 1) {                                   \
    TILE_T_LOOP(ROWS, STEP_TC, pos[0])                                                     \
  } else {                                                                                 \
    TILE_T_LOOP(ROWS, STEP_T, 0)                                                           \
  }                                                                                        \
  vf b0 = {0}, b1 = {0};                                                                   \
  if (bias) {                                                                              \
    float bl[NR] = {0};                                                                    \
    memcpy(bl, bias, (size_t)nj * sizeof(float));                                          \
    memcpy(&b0, bl, sizeof b0);                                                            \
    memcpy(&b1, bl + VW, sizeof b1);                                                       \
  }                                                                                        \
  const int do_act = act && act->kind != CPU_ACT_NONE, row_act = do_act && !z;             \
  vf h0[VW], h1[VW];                                                                       \
  for (int r = (NROWS); r < VW; r++) h0[r] = h1[r] = (vf){0};                              \
  ROWS(STORE_T)                                                                            \
  transpose_vw(h0);                                                                        \
  if (z) residual_t(h0, nj < VW ? nj : VW, z, ldc, np, do_act ? act : NULL);               \
  for (int j = 0; j < nj && j < VW; j++) store_positions(c + j * ldc, h0[j], np);          \
  if (nj > VW) {                                                                           \
    transpose_vw(h1);                                                                      \
    if (z) residual_t(h1, nj - VW, z + VW * ldc, ldc, np, do_act ? act : NULL);            \
    for (int j = VW; j < nj; j++) store_positions(c + j * ldc, h1[j - VW], np);            \
  }

/* The first np lanes of v to dst: one masked store on AVX-512 (a memcpy of
 * a run-time size is a library call, 32 per tile). */
static inline void store_positions(float *dst, vf v, int np) {
#if defined(__AVX512F__)
  _mm512_mask_storeu_ps(dst, first_lanes(np), (__m512)v);
#else
  if (np == VW) memcpy(dst, &v, sizeof v);
  else memcpy(dst, &v, (size_t)np * sizeof(float));
#endif
}

/* Channel rows h[0..nj) of np positions: + the residual's rows (z + j*ldc),
 * then act (may be NULL). */
static inline void residual_t(vf *h, int nj, const float *z, int64_t ldc, int np, const cpu_act *act) {
  for (int j = 0; j < nj; j++) {
    vf zv;
#if defined(__AVX512F__) /* a masked load: no store-forwarding stall */
    zv = (vf)_mm512_maskz_loadu_ps(first_lanes(np), z + j * ldc);
#else
    float zl[VW] = {0};
    memcpy(zl, z + j * ldc, (size_t)np * sizeof(float));
    memcpy(&zv, zl, sizeof zv);
#endif
    h[j] += zv;
    if (act) h[j] = act_v(h[j], act);
  }
}

/* A short tile for the last few positions of a plane (7x7 = 4 x 12 + 1):
 * its cost is its rows, not MR. */
#if GEMM_MR >= 12
#define TILE_T_SMALL 4
#define TILE_T_SMALL_ROWS(X) X(0) X(1) X(2) X(3)
#else
#define TILE_T_SMALL 2
#define TILE_T_SMALL_ROWS(X) X(0) X(1)
#endif

static void tile_t_small(int64_t k_depth, int nseg, const int64_t *seg_off, const float *a, const float *b,
                         int64_t bstride, const int64_t *pos, int np, float *c, int64_t ldc, int nj,
                         const float *bias, const float *z, const cpu_act *act) {
  TILE_T_BODY(TILE_T_SMALL_ROWS, TILE_T_SMALL)
}

#if GEMM_MR_T_MAX > GEMM_MR
/* One position more than MR, so that tile counts cover a plane exactly
 * (7x7: 13 + 12 + 12 + 12) instead of ending on a short tile. */
static void tile_t_max(int64_t k_depth, int nseg, const int64_t *seg_off, const float *a, const float *b,
                       int64_t bstride, const int64_t *pos, int np, float *c, int64_t ldc, int nj,
                       const float *bias, const float *z, const cpu_act *act) {
  TILE_T_BODY(GEMM_ROWS_T_MAX, GEMM_MR_T_MAX)
}
#endif

void TILE_CAT(rn_cpu_gemm_tile_t, CPU_SIMD_SUFFIX)(int64_t k_depth, int nseg, const int64_t *seg_off,
                                                   const float *a, const float *b, int64_t bstride,
                                                   const int64_t *pos, int np, float *c,
                                                   int64_t ldc, int nj, const float *bias, const float *z, const cpu_act *act) {
  if (np <= TILE_T_SMALL) {
    tile_t_small(k_depth, nseg, seg_off, a, b, bstride, pos, np, c, ldc, nj, bias, z, act);
    return;
  }
#if GEMM_MR_T_MAX > GEMM_MR
  if (np > GEMM_MR) {
    tile_t_max(k_depth, nseg, seg_off, a, b, bstride, pos, np, c, ldc, nj, bias, z, act);
    return;
  }
#endif
  TILE_T_BODY(GEMM_ROWS, GEMM_MR)
}
#undef DECLARE_T
#undef STEP_T
#undef STEP_TC
#undef TILE_T_LOOP
#undef STORE_T
#undef TILE_T_BODY
