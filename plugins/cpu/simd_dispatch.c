/* Picks the vector kernels for this CPU, and the window helper they share. */
#include <stdlib.h>
#include <string.h>

#include "simd.h"

extern const cpu_simd rn_cpu_simd_generic;
#if defined(__x86_64__)
extern const cpu_simd rn_cpu_simd_avx2;
extern const cpu_simd rn_cpu_simd_avx512;
#endif

/* RN_CPU_ISA=generic|avx2 picks a narrower table than the CPU allows (tests
 * run every table on one machine); an ISA the CPU lacks is ignored. */
const cpu_simd *rn_cpu_simd(void) {
  const char *want = getenv("RN_CPU_ISA");
  if (want && strcmp(want, "generic") == 0) return &rn_cpu_simd_generic;
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (want && strcmp(want, "avx2") == 0 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    return &rn_cpu_simd_avx2;
  /* the AVX-512 table is compiled with F, VL and DQ (vreduceps in sigmoid,
   * masked loads everywhere): all three, or a Xeon Phi (F without DQ) would
   * fault on an illegal instruction */
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
    return &rn_cpu_simd_avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return &rn_cpu_simd_avx2;
#endif
  return &rn_cpu_simd_generic;
}

void rn_cpu_valid_range(int64_t off, int64_t s, int64_t in, int64_t out, int64_t *lo, int64_t *hi) {
  int64_t a = off >= 0 ? 0 : (-off + s - 1) / s;
  int64_t b = in - off <= 0 ? 0 : (in - off - 1) / s + 1;
  if (b > out) b = out;
  if (a > b) a = b;
  *lo = a, *hi = b;
}

void rn_cpu_window_ranges(cpu_window *g) {
  for (int64_t j = 0; j < g->kw && j < 16; j++)
    rn_cpu_valid_range(j * g->dw - g->pl, g->sw, g->w, g->ow, &g->col_lo[j], &g->col_hi[j]);
  /* The depthwise kernel's phase planes (see simd.c): every tap of every
   * output inside them, plus the row its dropped columns read. */
  g->wq = g->ow + ((g->kw - 1) * g->dw) / g->sw;
  g->hq = g->oh + ((g->kh - 1) * g->dh) / g->sh + 1;
}

int64_t rn_cpu_depthwise_scratch(const cpu_window *g) {
  /* the phase planes, the output rows at their width; slack: vector loops
   * run up to 64 floats past both */
  return g->sh * g->sw * g->hq * g->wq + 64 + g->oh * g->wq + 64;
}

int64_t rn_cpu_depthwise_blocked_scratch(const cpu_window *g, int vw, int64_t rows) {
  /* the padded input rows those output rows read, then one vw x vw tile */
  const int64_t wp = (g->ow - 1) * g->sw + (g->kw - 1) * g->dw + 1;
  return ((rows - 1) * g->sh + (g->kh - 1) * g->dh + 1) * wp * vw + (int64_t)vw * vw;
}

uint16_t *rn_cpu_depthwise_flat_masks(const cpu_window *g, int64_t *toff) {
  const int64_t plane = g->oh * g->ow, taps = g->kh * g->kw, chunks = (plane + 15) / 16;
  uint16_t *masks = calloc((size_t)(chunks * taps) + 1, sizeof *masks);
  if (!masks) return NULL;
  for (int64_t i = 0; i < g->kh; i++)
    for (int64_t j = 0; j < g->kw; j++) {
      const int64_t t = i * g->kw + j, di = i * g->dh - g->pt, dj = j * g->dw - g->pl;
      toff[t] = di * g->w + dj;
      for (int64_t q = 0; q < plane; q++) {
        const int64_t iy = q / g->ow + di, ix = q % g->ow + dj;
        if (iy >= 0 && iy < g->h && ix >= 0 && ix < g->w) masks[(q / 16) * taps + t] |= (uint16_t)(1u << (q % 16));
      }
    }
  return masks;
}
