/* Winograd F(4x4, 3x3) and F(2x2, 3x3) for stride-1, undilated, ungrouped
 * 3x3 convolutions (winograd.c). */
#ifndef RN_CPU_WINOGRAD_H
#define RN_CPU_WINOGRAD_H

#include <stddef.h>
#include <stdint.h>

#include "simd.h"

typedef struct cpu_winograd {
  int64_t n, c, m, h, w, oh, ow;
  int64_t pt, pl; /* top and left pads */
  int tile;       /* output tile side: 4 (F(4x4, 3x3)) or 2 (F(2x2, 3x3)) */
  int64_t th, tw; /* tiles per image: ceil(oh / tile) x ceil(ow / tile) */
  cpu_act act;
  const cpu_simd *simd;
  /* The GEMMs on transposed tiles (rows = Winograd tiles, vectors = output
   * channels; see rn_cpu_winograd_transposed), else on the micro-kernel. */
  int transposed;
} cpu_winograd;

/* The tile side Winograd should use to beat the implicit GEMM for these
 * sizes (4 or 2), or 0. */
int rn_cpu_winograd_tile(int64_t n, int64_t c, int64_t m, int64_t oh, int64_t ow);
/* Whether the GEMMs should run on transposed tiles (g's sizes and tile
 * set): when the tile count fills the micro-kernel's column panels badly. */
int rn_cpu_winograd_transposed(const cpu_winograd *g);
/* The (tile + 2)^2 transformed weight matrices of W [M, C, 3, 3] (g->tile
 * and g->transposed set), packed into the micro-kernel's row panels or the
 * transposed tile's channel panels (aligned_alloc'd; NULL when out of
 * memory). */
float *rn_cpu_winograd_weights(const cpu_winograd *g, const float *w);
/* Workspace bytes a run needs. */
size_t rn_cpu_winograd_workspace(const cpu_winograd *g);
/* y = act(conv(x) + bias + z) (z may be NULL). */
void rn_cpu_winograd_run(const cpu_winograd *g, int threads, const float *x, const float *u, const float *bias,
                         const float *z, float *y, float *workspace);

#endif
