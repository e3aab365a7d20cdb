/* The vector kernels of simd.h. Compiled once per target by meson with
 * -DCPU_SIMD_SUFFIX=<isa> and that target's -m flags; every function here is
 * static except the table named rn_cpu_simd_<isa>. Loops are kept simple
 * (unit stride, no calls, branch-free bodies) so that -O3 vectorizes them. */
#include <math.h>
#include <stdint.h>
#include <string.h>


#include "gemm_tile.h"
#include "simd.h"
#include "vec_math.h"

#define SIMD_CAT2(a, b) a##_##b
#define SIMD_CAT(a, b) SIMD_CAT2(a, b)
#define SIMD_TABLE SIMD_CAT(rn_cpu_simd, CPU_SIMD_SUFFIX)
#define SIMD_STR2(x) #x
#define SIMD_STR(x) SIMD_STR2(x)

/* exp(x) for x <= 0: Cody-Waite reduction by ln 2 and a degree-6 polynomial
 * (Cephes' expf), branch-free so that loops calling it vectorize. The same
 * formula as rn's reference (ops/math/unary.c), which a plugin cannot link:
 * it sees only rn_plugin.h. Clamped
 * below at -87 (exp = 1.6e-38, still a normal float). */
static inline float exp_nonpos(float x) {
  x = x < -87.0f ? -87.0f : x;
  const float round_magic = 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer */
  float t = x * 1.44269504088896341f + round_magic;
  int32_t tbits;
  memcpy(&tbits, &t, sizeof t);
  float k = t - round_magic;
  float r = x - k * 0.693359375f - k * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  int32_t sbits = (tbits - 0x4B400000 + 127) * (1 << 23); /* 2^k */
  float scale;
  memcpy(&scale, &sbits, sizeof scale);
  return p * scale;
}

/* 1 / (1 + exp(-v)), from exp(-|v|) so that it never overflows. */
static inline float sigmoid(float v) {
  float e = exp_nonpos(-fabsf(v));
  float r = 1.0f / (1.0f + e);
  return v >= 0.0f ? r : e * r;
}

/* Depthwise kernels up to this many taps keep their sums in registers. */
enum { MAX_DW_TAPS = 64 };

/* y[0..n) += a * x[0..n) (separate arrays). */
static void axpy(int64_t n, float a, const float *restrict x, float *restrict y) {
  for (int64_t k = 0; k < n; k++) y[k] += a * x[k];
}

#define ACT_LOOP(expr)                                    \
  for (int64_t i = 0; i < n; i++) {                      \
    float v = x[i];                                      \
    y[i] = (expr);                                       \
  }

static void activation(const float *x, float *y, int64_t n, const cpu_act *act) {
  const float a = act->a, b = act->b;
  switch (act->kind) {
  case CPU_ACT_NONE:
    if (x != y) memmove(y, x, (size_t)n * sizeof *y);
    break;
  case CPU_ACT_RELU: ACT_LOOP(v > 0.0f ? v : 0.0f) break;
  case CPU_ACT_CLIP: ACT_LOOP(v < a ? a : (v > b ? b : v)) break;
  case CPU_ACT_SIGMOID:
  case CPU_ACT_SILU: {
    const int silu = act->kind == CPU_ACT_SILU;
    int64_t i = 0;
    for (; i + GEMM_VW <= n; i += GEMM_VW) {
      vfw v;
      memcpy(&v, x + i, sizeof v);
      vfw r = sigmoid_v(v);
      if (silu) r *= v;
      memcpy(y + i, &r, sizeof r);
    }
    for (; i < n; i++) y[i] = silu ? x[i] * sigmoid(x[i]) : sigmoid(x[i]);
    break;
  }
  case CPU_ACT_HARDSIGMOID: ACT_LOOP(fmaxf(fminf(a * v + b, 1.0f), 0.0f)) break;
  case CPU_ACT_LEAKYRELU: ACT_LOOP(v < 0.0f ? a * v : v) break;
  case CPU_ACT_HARDSWISH: ACT_LOOP(v * fmaxf(fminf((v + 3.0f) / 6.0f, 1.0f), 0.0f)) break;
  case CPU_ACT_TANH: ACT_LOOP(tanhf(v)) break;
  }
}

static void epilogue(float *y, int64_t n, float bias, const float *z, const cpu_act *act) {
  if (z)
    for (int64_t i = 0; i < n; i++) y[i] = y[i] + bias + z[i];
  else if (bias != 0.0f)
    for (int64_t i = 0; i < n; i++) y[i] += bias;
  if (act->kind != CPU_ACT_NONE) activation(y, y, n, act);
}

/* Depthwise convolution of one channel. The zero-padded input is split into
 * sh x sw phase planes (phase (a, b) holds padded rows a, a+sh, ... and
 * columns b, b+sw, ...), so that tap (i, j) of every output reads one phase
 * plane with stride 1: output (oy, ox) at index q = oy*wq + ox reads
 * phase[q + (i*dh/sh)*wq + j*dw/sw]. Each tap is then one long vector loop
 * over the whole plane at the phase width wq (columns ox >= ow are computed
 * and dropped), even for 7x7 planes and strided convolutions. */
static void depthwise(const cpu_window *g, const float *x, const float *w, float bias, const float *z,
                      const cpu_act *act, float *y, float *scratch) {
  const int64_t wq = g->wq, hq = g->hq, pplane = hq * wq, n = g->oh * wq;
  float *phases = scratch, *acc = scratch + g->sh * g->sw * pplane + 64;
  memset(acc - 64, 0, 64 * sizeof *acc); /* read past the last plane by the last vectors */
  for (int64_t a = 0; a < g->sh; a++)
    for (int64_t b = 0; b < g->sw; b++) {
      float *dst = phases + (a * g->sw + b) * pplane;
      memset(dst, 0, (size_t)pplane * sizeof *dst); /* one call: planes are often tiny */
      const int64_t off = b - g->pl;
      int64_t lo = off >= 0 ? 0 : (-off + g->sw - 1) / g->sw, hi = g->w - off <= 0 ? 0 : (g->w - off + g->sw - 1) / g->sw;
      if (hi > wq) hi = wq;
      for (int64_t r = 0; r < hq; r++) {
        const int64_t iy = r * g->sh + a - g->pt;
        if (iy < 0 || iy >= g->h || lo >= hi) continue;
        const float *xr = x + iy * g->w + off;
        if (g->sw == 1) memcpy(dst + r * wq + lo, xr + lo, (size_t)(hi - lo) * sizeof *dst);
        else if (g->sw == 2) /* a constant stride vectorizes */
          for (int64_t c = lo; c < hi; c++) dst[r * wq + c] = xr[2 * c];
        else
          for (int64_t c = lo; c < hi; c++) dst[r * wq + c] = xr[c * g->sw];
      }
    }
  const int64_t taps = g->kh * g->kw;
  if (taps > MAX_DW_TAPS) { /* rare: one pass per tap, then the epilogue */
    memset(acc, 0, (size_t)n * sizeof *acc);
    for (int64_t i = 0; i < g->kh; i++)
      for (int64_t j = 0; j < g->kw; j++) {
        const int64_t ri = i * g->dh, cj = j * g->dw;
        const float *src = phases + ((ri % g->sh) * g->sw + cj % g->sw) * pplane + (ri / g->sh) * wq + cj / g->sw;
        axpy(n, w[i * g->kw + j], src, acc);
      }
    for (int64_t oy = 0; oy < g->oh; oy++) memcpy(y + oy * g->ow, acc + oy * wq, (size_t)g->ow * sizeof *y);
    epilogue(y, g->oh * g->ow, bias, z, act);
    return;
  }
  const float *src[MAX_DW_TAPS];
  for (int64_t i = 0; i < g->kh; i++)
    for (int64_t j = 0; j < g->kw; j++) {
      const int64_t ri = i * g->dh, cj = j * g->dw;
      src[i * g->kw + j] = phases + ((ri % g->sh) * g->sw + cj % g->sw) * pplane + (ri / g->sh) * wq + cj / g->sw;
    }
  /* The whole plane at the phase width, four vectors at a time: all taps
   * summed in registers (independent sums hide the FMA latency), then bias
   * and activation there too unless a residual or Tanh needs the pass below. */
  const int in_registers = !z && act->kind != CPU_ACT_TANH;
  for (int64_t k = 0; k < n; k += 4 * GEMM_VW) {
    vfw s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0};
    for (int64_t t = 0; t < taps; t++) {
      vfw x0, x1, x2, x3;
      const float *p = src[t] + k, wt = w[t];
      memcpy(&x0, p, sizeof x0);
      memcpy(&x1, p + GEMM_VW, sizeof x1);
      memcpy(&x2, p + 2 * GEMM_VW, sizeof x2);
      memcpy(&x3, p + 3 * GEMM_VW, sizeof x3);
      s0 += wt * x0, s1 += wt * x1, s2 += wt * x2, s3 += wt * x3;
    }
    if (in_registers) {
      s0 += bias, s1 += bias, s2 += bias, s3 += bias;
      if (act->kind != CPU_ACT_NONE)
        s0 = act_v(s0, act), s1 = act_v(s1, act), s2 = act_v(s2, act), s3 = act_v(s3, act);
    }
    memcpy(acc + k, &s0, sizeof s0);
    memcpy(acc + k + GEMM_VW, &s1, sizeof s1);
    memcpy(acc + k + 2 * GEMM_VW, &s2, sizeof s2);
    memcpy(acc + k + 3 * GEMM_VW, &s3, sizeof s3);
  }
  for (int64_t oy = 0; oy < g->oh; oy++) memcpy(y + oy * g->ow, acc + oy * wq, (size_t)g->ow * sizeof *y);
  if (!in_registers) epilogue(y, g->oh * g->ow, bias, z, act);
}

/* Depthwise convolution of one channel, stride 1 with the output as wide as
 * the input (the usual "same" padding), straight from the NCHW planes: the
 * plane is flattened, so that tap (i, j) of output q reads input
 * q + toff[t] for every q, and the lanes whose tap falls in the padding (or
 * wraps into the next row) are masked out of the load (AVX-512 masked loads
 * do not fault). No copy, no transpose, no per-channel set-up: kh*kw masked
 * FMAs per 16 outputs, four chunks of 16 at a time (independent sums).
 * masks[c * taps + t]: the lanes of chunk c valid for tap t, from
 * rn_cpu_depthwise_flat_masks. y may not alias x. */
#if defined(__AVX512F__)
/* The residual (z, may be NULL) and activation on a chunk's sums, then
 * their first n lanes (at most 16) stored to y. */
static inline void store_chunk(__m512 v, float *y, const float *z, int64_t n, int fuse_act, const cpu_act *act) {
  const __mmask16 keep = first_lanes(n);
  if (z) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(keep, z));
  if (fuse_act) v = (__m512)act_v((vfw)v, act);
  _mm512_mask_storeu_ps(y, keep, v);
}

/* store_chunk for chunk c of a flat plane. */
static inline void flat_store(__m512 v, int64_t c, int64_t plane, const float *z, int fuse_act, const cpu_act *act,
                              float *y) {
  store_chunk(v, y + c * 16, z ? z + c * 16 : NULL, plane - c * 16, fuse_act, act);
}

static void depthwise_flat(const cpu_window *g, const uint16_t *masks, const int64_t *toff, const float *x,
                           const float *w, float bias, const float *z, const cpu_act *act, float *y) {
  const int64_t plane = g->oh * g->ow, taps = g->kh * g->kw, chunks = (plane + 15) / 16;
  const int fuse_act = act->kind != CPU_ACT_NONE && act_has_vector_form(act);
  int64_t c0 = 0;
  for (; c0 + 4 <= chunks; c0 += 4) {
    __m512 a0 = _mm512_set1_ps(bias), a1 = a0, a2 = a0, a3 = a0;
    const uint16_t *m = masks + c0 * taps;
    const float *xq = x + c0 * 16;
    for (int64_t t = 0; t < taps; t++) {
      const __m512 wt = _mm512_set1_ps(w[t]);
      const float *p = xq + toff[t];
      a0 = _mm512_fmadd_ps(wt, _mm512_maskz_loadu_ps(m[t], p), a0);
      a1 = _mm512_fmadd_ps(wt, _mm512_maskz_loadu_ps(m[taps + t], p + 16), a1);
      a2 = _mm512_fmadd_ps(wt, _mm512_maskz_loadu_ps(m[2 * taps + t], p + 32), a2);
      a3 = _mm512_fmadd_ps(wt, _mm512_maskz_loadu_ps(m[3 * taps + t], p + 48), a3);
    }
    flat_store(a0, c0, plane, z, fuse_act, act, y);
    flat_store(a1, c0 + 1, plane, z, fuse_act, act, y);
    flat_store(a2, c0 + 2, plane, z, fuse_act, act, y);
    flat_store(a3, c0 + 3, plane, z, fuse_act, act, y);
  }
  /* The last chunks one at a time, not padded to four (a 14x14 plane is 13
   * chunks): each is one chain of dependent FMAs, which the next channel's
   * independent work overlaps (576x14x14, bench_conv, 1 thread: 0.079 ->
   * 0.069 ms against padding with empty masks). */
  for (; c0 < chunks; c0++) {
    __m512 a = _mm512_set1_ps(bias);
    const uint16_t *m = masks + c0 * taps;
    const float *xq = x + c0 * 16;
    for (int64_t t = 0; t < taps; t++) a = _mm512_fmadd_ps(_mm512_set1_ps(w[t]), _mm512_maskz_loadu_ps(m[t], xq + toff[t]), a);
    flat_store(a, c0, plane, z, fuse_act, act, y);
  }
  if (act->kind != CPU_ACT_NONE && !fuse_act) activation(y, y, plane, act);
}
#define DEPTHWISE_FLAT depthwise_flat
#else
#define DEPTHWISE_FLAT NULL
#endif

/* Depthwise convolution of one channel, stride 2 with a square 3x3 or 5x5
 * kernel (dilation 1, any pads), straight from the NCHW plane: each input
 * row's 32 columns from s are split into their even and odd columns (two
 * permutes), so that an output chunk of 16 columns reads every tap as one
 * vector: tap j of output ox reads input column 2*ox + j - pl, which is
 *   (u = j - K + 2, even if u is) the even or odd vector shifted up by
 *   -floor(u/2) lanes (0, 1 or 2), the lanes shifted in taken from the
 *   previous chunk's vector (valignd),
 * with s = 32 * chunk + K - 2 - pl chosen so that no tap reads ahead of its
 * chunk. Loads are masked to the row (columns outside it read as zero: the
 * padding); rows outside the plane read zero_row (at least w zeros).
 * Against the blocked kernel's transposes (bench_conv, one thread, 3x3):
 * 96x112x112 0.45 -> 0.19 ms, 144x56x56 0.17 -> 0.09, 192x28x28 0.057 ->
 * 0.039; conv.c keeps narrow outputs on the blocked kernel. y may not
 * alias x. */
#if defined(__AVX512F__)
static inline __m512 shift_in(__m512 cur, __m512 prev, int lanes) {
  const __m512i c = _mm512_castps_si512(cur), p = _mm512_castps_si512(prev);
  if (lanes == 1) return _mm512_castsi512_ps(_mm512_alignr_epi32(c, p, 15));
  if (lanes == 2) return _mm512_castsi512_ps(_mm512_alignr_epi32(c, p, 14));
  return cur;
}

/* Lanes [lo, hi) of 32 set (clamped to [0, 32]). */
static inline uint32_t lanes32(int64_t lo, int64_t hi) {
  if (lo < 0) lo = 0;
  if (hi > 32) hi = 32;
  if (hi <= lo) return 0;
  return (hi == 32 ? 0xFFFFFFFFu : (1u << hi) - 1) & ~((1u << lo) - 1);
}

/* Columns [s, s + 32) of row r split into even and odd columns; columns
 * outside [0, w) read as `fill`. */
static inline void split_row(const float *r, int64_t s, int64_t w, __m512 fill, __m512 *even, __m512 *odd) {
  const __m512i ie = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  const __m512i io = _mm512_add_epi32(ie, _mm512_set1_epi32(1));
  __m512 lo, hi;
  if (s >= 0 && s + 32 <= w) {
    lo = _mm512_loadu_ps(r + s), hi = _mm512_loadu_ps(r + s + 16);
  } else {
    const uint32_t m = lanes32(-s, w - s);
    lo = _mm512_mask_loadu_ps(fill, (__mmask16)m, r + s), hi = _mm512_mask_loadu_ps(fill, (__mmask16)(m >> 16), r + s + 16);
  }
  *even = _mm512_permutex2var_ps(lo, ie, hi);
  *odd = _mm512_permutex2var_ps(lo, io, hi);
}

static inline __attribute__((always_inline)) void depthwise_s2_k(const cpu_window *g, const float *x, const float *w,
                                                                  float bias, const float *z, const cpu_act *act,
                                                                  float *y, const float *zero_row, const int K) {
  const int64_t chunks = (g->ow + 15) / 16, beta = K - 2 - g->pl;
  const int fuse_act = act->kind != CPU_ACT_NONE && act_has_vector_form(act);
  __m512 wv[25];
  for (int t = 0; t < K * K; t++) wv[t] = _mm512_set1_ps(w[t]);
  for (int64_t oy = 0; oy < g->oh; oy++) {
    const float *rows[5];
    __m512 pe[5], po[5]; /* the previous chunk's even and odd vectors, per kernel row */
#pragma GCC unroll 5
    for (int i = 0; i < K; i++) {
      const int64_t iy = oy * 2 - g->pt + i;
      rows[i] = iy >= 0 && iy < g->h ? x + iy * g->w : zero_row;
      /* the chunk before the first: zeros, or input columns when s > 0 */
      if (beta > 0) split_row(rows[i], beta - 32, g->w, _mm512_setzero_ps(), &pe[i], &po[i]);
      else pe[i] = po[i] = _mm512_setzero_ps();
    }
    for (int64_t ch = 0; ch < chunks; ch++) {
      const int64_t s = 32 * ch + beta;
      __m512 acc[5]; /* one sum per kernel column: independent FMA chains */
#pragma GCC unroll 5
      for (int j = 0; j < K; j++) acc[j] = _mm512_setzero_ps();
      acc[0] = _mm512_set1_ps(bias);
#pragma GCC unroll 5
      for (int i = 0; i < K; i++) {
        __m512 e, o;
        split_row(rows[i], s, g->w, _mm512_setzero_ps(), &e, &o);
#pragma GCC unroll 5
        for (int j = 0; j < K; j++) {
          const int u = j - K + 2, lanes = u >= 0 ? 0 : (1 - u) / 2;
          const __m512 v = (u & 1) ? shift_in(o, po[i], lanes) : shift_in(e, pe[i], lanes);
          acc[j] = _mm512_fmadd_ps(v, wv[i * K + j], acc[j]);
        }
        pe[i] = e, po[i] = o;
      }
      __m512 v = acc[0];
#pragma GCC unroll 5
      for (int j = 1; j < K; j++) v = _mm512_add_ps(v, acc[j]);
      const int64_t q = oy * g->ow + 16 * ch;
      store_chunk(v, y + q, z ? z + q : NULL, g->ow - 16 * ch, fuse_act, act);
    }
  }
  if (act->kind != CPU_ACT_NONE && !fuse_act) activation(y, y, g->oh * g->ow, act);
}

static void depthwise_s2(const cpu_window *g, const float *x, const float *w, float bias, const float *z,
                         const cpu_act *act, float *y, const float *zero_row) {
  if (g->kw == 3) depthwise_s2_k(g, x, w, bias, z, act, y, zero_row, 3);
  else depthwise_s2_k(g, x, w, bias, z, act, y, zero_row, 5);
}
#define DEPTHWISE_S2 depthwise_s2

/* Max pooling of one channel, stride 2 with a square 2x2 or 3x3 window
 * (dilation 1, any pads), the even/odd split of depthwise_s2 above: padding
 * and rows outside the plane never win (-inf, skipped). Same NaN rule as
 * maxpool() below: a NaN input is passed over. ResNet's 3x3 pooling onto
 * 56x56, in the model: 0.33 -> 0.11 ms (the strided loop below does not
 * vectorize). */
static inline __attribute__((always_inline)) void maxpool_s2_k(const cpu_window *g, const float *x, float *y,
                                                                const int K) {
  const int64_t chunks = (g->ow + 15) / 16, beta = K - 2 - g->pl;
  const __m512 lowest = _mm512_set1_ps(-INFINITY);
  for (int64_t oy = 0; oy < g->oh; oy++) {
    const float *rows[3];
    __m512 pe[3], po[3];
#pragma GCC unroll 3
    for (int i = 0; i < K; i++) {
      const int64_t iy = oy * 2 - g->pt + i;
      rows[i] = iy >= 0 && iy < g->h ? x + iy * g->w : NULL;
      if (rows[i] && beta > 0) split_row(rows[i], beta - 32, g->w, lowest, &pe[i], &po[i]);
      else pe[i] = po[i] = lowest;
    }
    for (int64_t ch = 0; ch < chunks; ch++) {
      const int64_t s = 32 * ch + beta;
      __m512 acc = lowest;
#pragma GCC unroll 3
      for (int i = 0; i < K; i++) {
        if (!rows[i]) continue;
        __m512 e, o;
        split_row(rows[i], s, g->w, lowest, &e, &o);
#pragma GCC unroll 3
        for (int j = 0; j < K; j++) {
          const int u = j - K + 2, lanes = u >= 0 ? 0 : (1 - u) / 2;
          acc = _mm512_max_ps((u & 1) ? shift_in(o, po[i], lanes) : shift_in(e, pe[i], lanes), acc);
        }
        pe[i] = e, po[i] = o;
      }
      _mm512_mask_storeu_ps(y + oy * g->ow + 16 * ch, first_lanes(g->ow - 16 * ch), acc);
    }
  }
}

static void maxpool_s2(const cpu_window *g, const float *x, float *y) {
  if (g->kw == 3) maxpool_s2_k(g, x, y, 3);
  else maxpool_s2_k(g, x, y, 2);
}
#define MAXPOOL_S2 maxpool_s2
#else
#define DEPTHWISE_S2 NULL
#define MAXPOOL_S2 NULL
#endif

/* Depthwise convolution of a block of up to VW channels, channel-interleaved
 * ("NCHWc", as ONNX Runtime's kernels): one vector holds one position's VW
 * channels, so a tap is one FMA for VW channels whatever the plane's size or
 * stride, with no per-channel set-up. For the output rows [oy0, oy1):
 *   1. the input rows they read are transposed, VW elements of VW channels
 *      at a time, into buf[row][col][VW], zero-padded (col = input x + pl);
 *   2. outputs are computed VW positions at a time (in NCHW order, across
 *      row ends), as two halves of VW/2 independent sums, then bias and
 *      activation, and transposed back into the NCHW planes.
 * x, y: the block's first channel plane; wpk [taps][VW], bias [VW] packed
 * with zeros past nch; scratch: rn_cpu_depthwise_blocked_scratch floats. */
#if GEMM_VW == 16
#define DW_HALF(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
#elif GEMM_VW == 8
#define DW_HALF(X) X(0) X(1) X(2) X(3)
#else
#define DW_HALF(X) X(0) X(1)
#endif
static void depthwise_blocked(const cpu_window *g, const float *x, int nch, const float *wpk, const float *bias,
                              const cpu_act *act, float *y, int64_t oy0, int64_t oy1, float *scratch) {
  enum { VW = GEMM_VW, HALF = GEMM_VW / 2 };
  const int64_t plane_in = g->h * g->w, plane = g->oh * g->ow;
  const int64_t wp = (g->ow - 1) * g->sw + (g->kw - 1) * g->dw + 1;
  const int64_t rows = (oy1 - oy0 - 1) * g->sh + (g->kh - 1) * g->dh + 1, iy0 = oy0 * g->sh - g->pt;
  float *buf = scratch, *tile = scratch + rows * wp * VW;
  /* 1. zero the padding, then the input rows [ry0, ry1), columns [0, xw). */
  const int64_t xw = g->w < wp - g->pl ? g->w : wp - g->pl; /* input columns inside the buffer */
  const int64_t c_lo = g->pl < wp ? g->pl : wp, c_hi = g->pl + (xw > 0 ? xw : 0);
  int64_t ry0 = iy0 < 0 ? 0 : iy0, ry1 = iy0 + rows < g->h ? iy0 + rows : g->h;
  if (xw <= 0) ry1 = ry0;
  for (int64_t r = 0; r < rows; r++) {
    float *br = buf + r * wp * VW;
    if (iy0 + r < ry0 || iy0 + r >= ry1) {
      memset(br, 0, (size_t)(wp * VW) * sizeof *br);
      continue;
    }
    memset(br, 0, (size_t)(c_lo * VW) * sizeof *br);
    memset(br + c_hi * VW, 0, (size_t)((wp - c_hi) * VW) * sizeof *br);
  }
  const int64_t e_end = ry1 * g->w;
  int64_t iy = ry0, ix = 0;
  for (int64_t e0 = ry0 * g->w; e0 < e_end; e0 += VW) {
    const int64_t cnt = e_end - e0 < VW ? e_end - e0 : VW;
    vfw v[VW];
    for (int c = 0; c < VW; c++) {
      if (c < nch && cnt == VW) memcpy(&v[c], x + c * plane_in + e0, sizeof v[c]);
      else {
        float t[VW] = {0};
        if (c < nch) memcpy(t, x + c * plane_in + e0, (size_t)cnt * sizeof *t);
        memcpy(&v[c], t, sizeof v[c]);
      }
    }
    transpose_vw(v);
    for (int64_t i = 0; i < cnt; i++) {
      if (ix < xw) memcpy(buf + ((iy - iy0) * wp + ix + g->pl) * VW, &v[i], sizeof v[i]);
      if (++ix == g->w) ix = 0, iy++;
    }
  }
  /* 2. VW output positions at a time. */
  const int fuse_act = act->kind != CPU_ACT_NONE && act_has_vector_form(act);
  vfw bv;
  memcpy(&bv, bias, sizeof bv);
  const int64_t q_end = oy1 * g->ow, row_step = g->sh * wp * VW, col_step = g->sw * VW;
  for (int64_t q0 = oy0 * g->ow; q0 < q_end; q0 += VW) {
    const int64_t cnt = q_end - q0 < VW ? q_end - q0 : VW;
    int64_t off[VW], oy = q0 / g->ow, ox = q0 % g->ow;
    for (int64_t i = 0; i < VW; i++) {
      off[i] = i < cnt ? (oy - oy0) * row_step + ox * col_step : off[0];
      if (++ox == g->ow) ox = 0, oy++;
    }
    for (int half = 0; half < 2; half++) {
#define DW_DECL(k) vfw a##k = bv; const float *p##k = buf + off[half * HALF + k];
#define DW_FMA(k)                                   \
  {                                                 \
    vfw xv;                                         \
    memcpy(&xv, p##k + o, sizeof xv);               \
    a##k += wv * xv;                                \
  }
#define DW_STORE(k)                           \
  if (fuse_act) a##k = act_v(a##k, act);      \
  memcpy(tile + (half * HALF + k) * VW, &a##k, sizeof a##k);
      DW_HALF(DW_DECL)
      const float *wt = wpk;
      for (int64_t ti = 0; ti < g->kh; ti++)
        for (int64_t tj = 0; tj < g->kw; tj++, wt += VW) {
          const int64_t o = (ti * g->dh * wp + tj * g->dw) * VW;
          vfw wv;
          memcpy(&wv, wt, sizeof wv);
          DW_HALF(DW_FMA)
        }
      DW_HALF(DW_STORE)
#undef DW_DECL
#undef DW_FMA
#undef DW_STORE
    }
    vfw v[VW];
    memcpy(v, tile, sizeof v);
    transpose_vw(v);
    for (int c = 0; c < nch; c++) {
      float *dst = y + c * plane + q0;
      if (cnt == VW) memcpy(dst, &v[c], sizeof v[c]);
      else memcpy(dst, &v[c], (size_t)cnt * sizeof *dst);
    }
  }
  if (act->kind != CPU_ACT_NONE && !fuse_act)
    for (int c = 0; c < nch; c++) activation(y + c * plane + oy0 * g->ow, y + c * plane + oy0 * g->ow, q_end - oy0 * g->ow, act);
}

static void maxpool(const cpu_window *g, const float *x, float *y) {
  const int64_t plane = g->oh * g->ow;
  for (int64_t i = 0; i < plane; i++) y[i] = -INFINITY;
  for (int64_t oy = 0; oy < g->oh; oy++) {
    float *restrict yr = y + oy * g->ow;
    for (int64_t i = 0; i < g->kh; i++) {
      int64_t iy = oy * g->sh - g->pt + i * g->dh;
      if (iy < 0 || iy >= g->h) continue;
      const float *xr = x + iy * g->w;
      for (int64_t j = 0; j < g->kw; j++) {
        const float *restrict p = xr + j * g->dw - g->pl;
        const int64_t a = g->col_lo[j], b = g->col_hi[j];
        if (g->sw == 1)
          for (int64_t o = a; o < b; o++) yr[o] = p[o] > yr[o] ? p[o] : yr[o];
        else if (g->sw == 2)
          for (int64_t o = a; o < b; o++) yr[o] = p[2 * o] > yr[o] ? p[2 * o] : yr[o];
        else
          for (int64_t o = a; o < b; o++) yr[o] = p[o * g->sw] > yr[o] ? p[o * g->sw] : yr[o];
      }
    }
  }
}

static float sum(const float *x, int64_t n) {
  float acc[16] = {0};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int t = 0; t < 16; t++) acc[t] += x[i + t];
  float s = 0.0f;
  for (int t = 0; t < 16; t++) s += acc[t];
  for (; i < n; i++) s += x[i];
  return s;
}

/* y[i] = dot(w + i * ldw, x) over k values, for i < n: four rows at a time,
 * two vectors each, so that every x vector loaded serves eight independent
 * sums. A classifier at batch 1 (2048 x 1000 weights) streams its weights
 * from memory once: OpenBLAS 0.3.21's sgemv (its default Zen 4 kernel) ran
 * ResNet-50's at 11.7 GB/s, half of what one core reads (see gemm.c). */
static inline float hsum_v(vfw v) {
  float s = 0.0f;
  for (int l = 0; l < GEMM_VW; l++) s += v[l];
  return s;
}
static void dot_rows(const float *w, int64_t ldw, int64_t n, int64_t k, const float *x, float *y) {
  enum { VW = GEMM_VW };
  const int64_t kv = k / (2 * VW) * (2 * VW);
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const float *w0 = w + i * ldw, *w1 = w0 + ldw, *w2 = w1 + ldw, *w3 = w2 + ldw;
    vfw a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, b0 = {0}, b1 = {0}, b2 = {0}, b3 = {0};
    for (int64_t j = 0; j < kv; j += 2 * VW) {
      vfw xa, xb, v;
      memcpy(&xa, x + j, sizeof xa);
      memcpy(&xb, x + j + VW, sizeof xb);
#define DOT_ROW(r)                                 \
  memcpy(&v, w##r + j, sizeof v), a##r += v * xa; \
  memcpy(&v, w##r + j + VW, sizeof v), b##r += v * xb;
      DOT_ROW(0) DOT_ROW(1) DOT_ROW(2) DOT_ROW(3)
#undef DOT_ROW
    }
    float s0 = hsum_v(a0 + b0), s1 = hsum_v(a1 + b1), s2 = hsum_v(a2 + b2), s3 = hsum_v(a3 + b3);
    for (int64_t j = kv; j < k; j++) s0 += w0[j] * x[j], s1 += w1[j] * x[j], s2 += w2[j] * x[j], s3 += w3[j] * x[j];
    y[i] = s0, y[i + 1] = s1, y[i + 2] = s2, y[i + 3] = s3;
  }
  for (; i < n; i++) {
    const float *wr = w + i * ldw;
    vfw a = {0};
    for (int64_t j = 0; j < kv; j += VW) {
      vfw v, xv;
      memcpy(&v, wr + j, sizeof v);
      memcpy(&xv, x + j, sizeof xv);
      a += v * xv;
    }
    float s = hsum_v(a);
    for (int64_t j = kv; j < k; j++) s += wr[j] * x[j];
    y[i] = s;
  }
}

/* dst[i] = src[i * stride] for i < n: a strided convolution's phase planes.
 * Stride 2 gets its own loop, which the compiler turns into permutes (the
 * general one stays scalar). */
static void gather_stride(const float *restrict src, int64_t stride, int64_t n, float *restrict dst) {
  if (stride == 2) {
    for (int64_t i = 0; i < n; i++) dst[i] = src[2 * i];
    return;
  }
  for (int64_t i = 0; i < n; i++) dst[i] = src[i * stride];
}

static void add(const float *a, const float *b, float *y, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] = a[i] + b[i];
}
static void mul(const float *a, const float *b, float *y, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] = a[i] * b[i];
}
static void add_scalar(const float *a, float b, float *y, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] = a[i] + b;
}
static void mul_scalar(const float *a, float b, float *y, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] = a[i] * b;
}

/* y = exp(x - max) / sum over the row (the max keeps exp's argument <= 0). */
static void softmax_row(const float *x, float *y, int64_t n) {
  float mx = -INFINITY;
  for (int64_t i = 0; i < n; i++) mx = x[i] > mx ? x[i] : mx;
  for (int64_t i = 0; i < n; i++) y[i] = exp_nonpos(x[i] - mx);
  float inv = 1.0f / sum(y, n);
  for (int64_t i = 0; i < n; i++) y[i] *= inv;
}

/* Winograd F(4x4, 3x3) transforms of up to 16 tiles side by side (one tile
 * row of one channel), each step a loop over the tiles so that it
 * vectorizes. Lane k is tile k; its 6x6 input starts at column 4k of `rows`
 * (6 row pointers, NULL for a padding row); columns outside [0, w) of the
 * row (relative to col0) read as zero. */
enum { WT = 16 };

/* dst[0..n) = src[0..n) for a short run (the transforms' rows of up to
 * 4 * WT values): masked vector moves on AVX-512, where a memcpy of a
 * run-time size would be a library call per row. */
static inline void copy_short(float *dst, const float *src, int64_t n) {
#if defined(__AVX512F__)
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = first_lanes(n - i);
    _mm512_mask_storeu_ps(dst + i, m, _mm512_maskz_loadu_ps(m, src + i));
  }
#else
  memcpy(dst, src, (size_t)n * sizeof(float));
#endif
}

/* One output row of up to WT tiles of `tile` columns (oi[j * WT + k]:
 * column j of tile k), side by side into out[col0, ...) clipped to w.
 * Inlined with a constant tile. */
static inline __attribute__((always_inline)) void winograd_store_row(const float *oi, int tile, int ntiles,
                                                                     float *out, int64_t col0, int64_t w) {
  float row[4 * WT];
  for (int k = 0; k < WT; k++)
    for (int j = 0; j < tile; j++) row[tile * k + j] = oi[j * WT + k];
  copy_short(out + col0, row, tile * ntiles < w - col0 ? tile * ntiles : w - col0);
}

/* The a x a input tiles of up to WT tiles side by side, tiles `step`
 * columns apart: d[(i * a + j) * WT + k] = row i, column col0 + j + step*k,
 * zero outside the row (or the tile count). Inlined with constant a, step. */
static inline void winograd_load(const float *const *rows, int64_t col0, int64_t w, int ntiles, int a, int step,
                                 float *d) {
  for (int i = 0; i < a; i++)
    for (int j = 0; j < a; j++) {
      const float *r = rows[i];
      float *dij = d + (i * a + j) * WT;
      int64_t c = col0 + j;
      if (r && c >= 0 && c + step * (ntiles - 1) < w) {
        for (int k = 0; k < WT; k++) dij[k] = r[c + step * (k < ntiles ? k : 0)];
      } else {
        for (int k = 0; k < WT; k++) {
          int64_t cc = c + step * k;
          dij[k] = r && k < ntiles && cc >= 0 && cc < w ? r[cc] : 0.0f;
        }
      }
    }
}

static void winograd_input(const float *const *rows, int64_t col0, int64_t w, int ntiles, float *v, int64_t xi_stride) {
  float d[6][6][WT], t[6][6][WT];
  winograd_load(rows, col0, w, ntiles, 6, 4, &d[0][0][0]);
  /* t = B^T d (columns), then v = t B (rows). */
  for (int j = 0; j < 6; j++)
    for (int k = 0; k < WT; k++) {
      float d0 = d[0][j][k], d1 = d[1][j][k], d2 = d[2][j][k], d3 = d[3][j][k], d4 = d[4][j][k], d5 = d[5][j][k];
      t[0][j][k] = 4 * d0 - 5 * d2 + d4;
      t[1][j][k] = -4 * d1 - 4 * d2 + d3 + d4;
      t[2][j][k] = 4 * d1 - 4 * d2 - d3 + d4;
      t[3][j][k] = -2 * d1 - d2 + 2 * d3 + d4;
      t[4][j][k] = 2 * d1 - d2 - 2 * d3 + d4;
      t[5][j][k] = 4 * d1 - 5 * d3 + d5;
    }
  for (int i = 0; i < 6; i++) {
    float r[6][WT];
    for (int k = 0; k < WT; k++) {
      float d0 = t[i][0][k], d1 = t[i][1][k], d2 = t[i][2][k], d3 = t[i][3][k], d4 = t[i][4][k], d5 = t[i][5][k];
      r[0][k] = 4 * d0 - 5 * d2 + d4;
      r[1][k] = -4 * d1 - 4 * d2 + d3 + d4;
      r[2][k] = 4 * d1 - 4 * d2 - d3 + d4;
      r[3][k] = -2 * d1 - d2 + 2 * d3 + d4;
      r[4][k] = 2 * d1 - d2 - 2 * d3 + d4;
      r[5][k] = 4 * d1 - 5 * d3 + d5;
    }
    for (int j = 0; j < 6; j++) copy_short(v + (i * 6 + j) * xi_stride, r[j], ntiles);
  }
}

/* The inverse: 36 values per tile (m + xi * xi_stride, tiles contiguous)
 * to 4x4 outputs; out_rows[i] (NULL past the plane) gets columns
 * [col0, col0 + 4 * ntiles) clipped to w. */
static void winograd_output(const float *m, int64_t xi_stride, int ntiles, float *const *out_rows, int64_t col0,
                            int64_t w) {
  float t[4][6][WT], o[4][4][WT];
  for (int j = 0; j < 6; j++)
    for (int k = 0; k < WT; k++) {
      const int64_t kk = k < ntiles ? k : 0;
      float m0 = m[(0 * 6 + j) * xi_stride + kk], m1 = m[(1 * 6 + j) * xi_stride + kk],
            m2 = m[(2 * 6 + j) * xi_stride + kk], m3 = m[(3 * 6 + j) * xi_stride + kk],
            m4 = m[(4 * 6 + j) * xi_stride + kk], m5 = m[(5 * 6 + j) * xi_stride + kk];
      t[0][j][k] = m0 + m1 + m2 + m3 + m4;
      t[1][j][k] = m1 - m2 + 2 * m3 - 2 * m4;
      t[2][j][k] = m1 + m2 + 4 * m3 + 4 * m4;
      t[3][j][k] = m1 - m2 + 8 * m3 - 8 * m4 + m5;
    }
  for (int i = 0; i < 4; i++)
    for (int k = 0; k < WT; k++) {
      float m0 = t[i][0][k], m1 = t[i][1][k], m2 = t[i][2][k], m3 = t[i][3][k], m4 = t[i][4][k], m5 = t[i][5][k];
      o[i][0][k] = m0 + m1 + m2 + m3 + m4;
      o[i][1][k] = m1 - m2 + 2 * m3 - 2 * m4;
      o[i][2][k] = m1 + m2 + 4 * m3 + 4 * m4;
      o[i][3][k] = m1 - m2 + 8 * m3 - 8 * m4 + m5;
    }
  for (int i = 0; i < 4; i++)
    if (out_rows[i]) winograd_store_row(&o[i][0][0], 4, ntiles, out_rows[i], col0, w);
}

/* Winograd F(2x2, 3x3), the same way: lane k is tile k, its 4x4 input
 * starting at column 2k of `rows` (4 row pointers); 16 values per tile. */
static void winograd2_input(const float *const *rows, int64_t col0, int64_t w, int ntiles, float *v,
                            int64_t xi_stride) {
  float d[4][4][WT], t[4][4][WT];
  winograd_load(rows, col0, w, ntiles, 4, 2, &d[0][0][0]);
  /* t = B^T d, then v = t B, B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]. */
  for (int j = 0; j < 4; j++)
    for (int k = 0; k < WT; k++) {
      float d0 = d[0][j][k], d1 = d[1][j][k], d2 = d[2][j][k], d3 = d[3][j][k];
      t[0][j][k] = d0 - d2;
      t[1][j][k] = d1 + d2;
      t[2][j][k] = d2 - d1;
      t[3][j][k] = d1 - d3;
    }
  for (int i = 0; i < 4; i++) {
    float r[4][WT];
    for (int k = 0; k < WT; k++) {
      float d0 = t[i][0][k], d1 = t[i][1][k], d2 = t[i][2][k], d3 = t[i][3][k];
      r[0][k] = d0 - d2;
      r[1][k] = d1 + d2;
      r[2][k] = d2 - d1;
      r[3][k] = d1 - d3;
    }
    for (int j = 0; j < 4; j++) copy_short(v + (i * 4 + j) * xi_stride, r[j], ntiles);
  }
}

/* Its inverse: 16 values per tile to 2x2 outputs, A^T = [1 1 1 0; 0 1 -1 -1]. */
static void winograd2_output(const float *m, int64_t xi_stride, int ntiles, float *const *out_rows, int64_t col0,
                             int64_t w) {
  float t[2][4][WT], o[2][2][WT];
  for (int j = 0; j < 4; j++)
    for (int k = 0; k < WT; k++) {
      const int64_t kk = k < ntiles ? k : 0;
      float m0 = m[(0 * 4 + j) * xi_stride + kk], m1 = m[(1 * 4 + j) * xi_stride + kk],
            m2 = m[(2 * 4 + j) * xi_stride + kk], m3 = m[(3 * 4 + j) * xi_stride + kk];
      t[0][j][k] = m0 + m1 + m2;
      t[1][j][k] = m1 - m2 - m3;
    }
  for (int i = 0; i < 2; i++)
    for (int k = 0; k < WT; k++) {
      float m0 = t[i][0][k], m1 = t[i][1][k], m2 = t[i][2][k], m3 = t[i][3][k];
      o[i][0][k] = m0 + m1 + m2;
      o[i][1][k] = m1 - m2 - m3;
    }
  for (int i = 0; i < 2; i++)
    if (out_rows[i]) winograd_store_row(&o[i][0][0], 2, ntiles, out_rows[i], col0, w);
}

void SIMD_CAT(rn_cpu_gemm_tile, CPU_SIMD_SUFFIX)(int64_t k_depth, int nseg, const int64_t *seg_off, const float *a,
                                                 const float *b, int64_t bstride, float *c, int64_t ldc, int mr, int nr,
                                                 const cpu_tile_epilogue *ep);

void SIMD_CAT(rn_cpu_gemm_tile_t, CPU_SIMD_SUFFIX)(int64_t k_depth, int nseg, const int64_t *seg_off,
                                                   const float *a, const float *b, int64_t bstride,
                                                   const int64_t *pos, int np, float *c,
                                                   int64_t ldc, int nj, const float *bias, const float *z, const cpu_act *act);

void SIMD_CAT(rn_cpu_gemm_tile_short, CPU_SIMD_SUFFIX)(int64_t k_depth, int nseg, const int64_t *seg_off,
                                                       const float *a, const float *b, int64_t bstride, float *c,
                                                       int64_t ldc, int mr, int nr, const cpu_tile_epilogue *ep);

const cpu_simd SIMD_TABLE = {
    SIMD_STR(CPU_SIMD_SUFFIX), GEMM_VW, epilogue, activation, depthwise, depthwise_blocked, DEPTHWISE_FLAT, DEPTHWISE_S2, maxpool, MAXPOOL_S2, sum, dot_rows, gather_stride, add, mul, add_scalar, mul_scalar,
    softmax_row, winograd_input, winograd_output, winograd2_input, winograd2_output,
    SIMD_CAT(rn_cpu_gemm_tile, CPU_SIMD_SUFFIX),
    GEMM_MR, GEMM_NR, SIMD_CAT(rn_cpu_gemm_tile_short, CPU_SIMD_SUFFIX), GEMM_MR_SHORT,
    SIMD_CAT(rn_cpu_gemm_tile_t, CPU_SIMD_SUFFIX), GEMM_MR_T_MAX,
};
