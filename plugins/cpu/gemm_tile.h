/* Micro-kernel tile sizes per target; included only by the sources that are
 * compiled once per target (simd.c, gemm_tile.c). NR is the panel width in
 * columns (two vectors), MR the rows whose accumulators fit the registers. */
#ifndef RN_CPU_GEMM_TILE_H
#define RN_CPU_GEMM_TILE_H

/* GEMM_ROWS(X) expands X(r) for each row r of the tile; GEMM_ROWS_SHORT
 * for the short variant (GEMM_MR_SHORT rows). */
#if defined(__AVX512F__)
#define GEMM_VW 16 /* 32 zmm: 24 accumulators */
#define GEMM_MR 12
#define GEMM_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
#define GEMM_MR_SHORT 8
#define GEMM_ROWS_SHORT(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
/* The transposed tile also comes one position taller (26 accumulators). */
#define GEMM_MR_T_MAX 13
#define GEMM_ROWS_T_MAX(X) GEMM_ROWS(X) X(12)
#elif defined(__AVX2__)
#define GEMM_VW 8 /* 16 ymm: 12 accumulators */
#define GEMM_MR 6
#define GEMM_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5)
#define GEMM_MR_SHORT 4
#define GEMM_ROWS_SHORT(X) X(0) X(1) X(2) X(3)
#else
#define GEMM_VW 4
#define GEMM_MR 4
#define GEMM_ROWS(X) X(0) X(1) X(2) X(3)
#define GEMM_MR_SHORT 2
#define GEMM_ROWS_SHORT(X) X(0) X(1)
#endif
#ifndef GEMM_MR_T_MAX
#define GEMM_MR_T_MAX GEMM_MR
#endif
#define GEMM_NV 2
#define GEMM_NR (GEMM_VW * GEMM_NV)

#endif
