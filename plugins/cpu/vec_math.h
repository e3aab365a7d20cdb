/* Vector math shared by the sources compiled once per target (simd.c,
 * gemm_tile.c): GCC vector types of the target's width and the activations
 * on them. Include after gemm_tile.h. */
#ifndef RN_CPU_VEC_MATH_H
#define RN_CPU_VEC_MATH_H

#include <stdint.h>
#include <string.h>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "gemm_tile.h"
#include "simd.h"

/* One vector of the target (see gemm_tile.h), and its integer twin. */
typedef float vfw __attribute__((vector_size(GEMM_VW * sizeof(float))));
typedef int32_t viw __attribute__((vector_size(GEMM_VW * sizeof(int32_t))));

static inline vfw vf_bits(viw v) {
  vfw f;
  memcpy(&f, &v, sizeof f);
  return f;
}
static inline viw vi_bits(vfw v) {
  viw i;
  memcpy(&i, &v, sizeof i);
  return i;
}
/* m ? a : b, lane by lane (m from a vector comparison: all ones or zero). */
static inline vfw vf_select(viw m, vfw a, vfw b) { return vf_bits((m & vi_bits(a)) | (~m & vi_bits(b))); }

/* exp_nonpos, a vector at a time. */
static inline vfw exp_nonpos_v(vfw x) {
  const vfw zero = {0};
  x = vf_select(x < zero - 87.0f, zero - 87.0f, x);
  vfw t = x * 1.44269504088896341f + 12582912.0f;
  vfw k = t - 12582912.0f;
  vfw r = x - k * 0.693359375f - k * -2.12194440e-4f;
  vfw p = zero + 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  return p * vf_bits((vi_bits(t) - 0x4B400000 + 127) << 23);
}

/* 1 / d: the hardware estimate refined by Newton steps (division is
 * several times slower and this runs on every activation of EfficientNet).
 * A Newton step always lands below 1/d, by d * (its input's error)^2: from
 * AVX-512's 14-bit estimate one step leaves 4e-9, from AVX2's 12-bit one
 * 6e-8, a bias that adds up over a network's layers, so AVX2 takes two. */
static inline vfw recip_v(vfw d) {
#if defined(__AVX512F__)
  vfw r = (vfw)_mm512_rcp14_ps((__m512)d);
  return r * (2.0f - d * r);
#elif defined(__AVX2__)
  vfw r = (vfw)_mm256_rcp_ps((__m256)d);
  r = r * (2.0f - d * r);
  return r * (2.0f - d * r);
#else
  return 1.0f / d;
#endif
}

/* sigmoid, a vector at a time (as sigmoid() below). */
#if defined(__AVX512F__) && defined(__AVX512DQ__)
/* 1 / (1 + 2^t), t = -v * log2(e): 2^t as 2^(t - round(t)) (vreduceps), a
 * degree-5 polynomial, scaled by 2^round(t) with vscalefps, which needs no
 * exponent-field arithmetic nor the select on v's sign of the form below:
 * about 20 instructions against 30, and EfficientNet runs SiLU on about 6
 * million values per image (0.46 -> 0.27 ns per value in L1). Relative
 * error at most 3.1e-7 (2.4e-7 on [-8, 8]) and, what matters over dozens of
 * layers, no bias (mean 1e-8): EfficientNet-B0's logits are as close to
 * float64 PyTorch's as with the form below. v is clamped to +-88 so that
 * 1 + 2^t stays finite (the reciprocal of +inf would make the Newton step
 * NaN); NaN stays NaN. */
static inline vfw sigmoid_v(vfw v) {
  __m512 x = _mm512_max_ps(_mm512_set1_ps(-88.0f), (__m512)v); /* NaN: the second operand */
  x = _mm512_min_ps(_mm512_set1_ps(88.0f), x);
  /* t = x * -log2(e) in two parts: the rounded product, and (FMA) what its
   * rounding and the constant's lost, added to the reduced argument */
  const __m512 c = _mm512_set1_ps(-1.44269502e+00f), c_lo = _mm512_set1_ps(-1.92596299e-08f);
  const __m512 t = _mm512_mul_ps(x, c);
  const __m512 t_lo = _mm512_fmadd_ps(x, c_lo, _mm512_fmsub_ps(x, c, t));
  const __m512 r = _mm512_reduce_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); /* t - round(t) */
  const __m512 f = _mm512_add_ps(r, t_lo);
  /* 1 + f * q(f): a constant term of exactly 1 (a fitted one rounds to a
   * float 1.2e-7 away, which biased every result by 5e-8) */
  __m512 p = _mm512_set1_ps(1.326463651e-3f);
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(9.671482258e-3f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(5.550733581e-2f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(2.402224243e-1f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(6.931470037e-1f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f));
  const __m512 e = _mm512_scalef_ps(p, _mm512_sub_ps(t, r));
  return recip_v((vfw)_mm512_add_ps(e, _mm512_set1_ps(1.0f)));
}
#else
static inline vfw sigmoid_v(vfw v) {
  const vfw zero = {0};
  vfw e = exp_nonpos_v(vf_select(v < zero, v, -v));
  vfw r = recip_v(1.0f + e);
  return vf_select(v >= zero, r, e * r);
}
#endif

/* act(v) for the activations with a vector form; 0 if `act` has none
 * (Tanh: the caller applies it afterwards). */
static inline int act_has_vector_form(const cpu_act *act) { return act->kind != CPU_ACT_TANH; }

static inline vfw act_v(vfw v, const cpu_act *act) {
  const vfw zero = {0};
  switch (act->kind) {
  case CPU_ACT_RELU: return vf_select(v < zero, zero, v); /* NaN stays NaN, as in Relu */
  case CPU_ACT_CLIP: {
    vfw lo = zero + act->a, hi = zero + act->b;
    v = vf_select(v < lo, lo, v);
    return vf_select(v > hi, hi, v);
  }
  case CPU_ACT_SIGMOID: return sigmoid_v(v);
  case CPU_ACT_SILU: return v * sigmoid_v(v);
  case CPU_ACT_HARDSIGMOID: {
    vfw h = act->a * v + act->b;
    h = vf_select(h < zero, zero, h);
    return vf_select(h > zero + 1.0f, zero + 1.0f, h);
  }
  case CPU_ACT_LEAKYRELU: return vf_select(v < zero, act->a * v, v);
  case CPU_ACT_HARDSWISH: {
    vfw h = (v + 3.0f) * (1.0f / 6.0f);
    h = vf_select(h < zero, zero, h);
    return v * vf_select(h > zero + 1.0f, zero + 1.0f, h);
  }
  default: return v;
  }
}

#if defined(__AVX512F__)
/* The first n of 16 lanes (n clamped to [0, 16]): the mask of a chunk's
 * valid lanes for masked loads and stores. */
static inline __mmask16 first_lanes(int64_t n) { return (__mmask16)(n >= 16 ? 0xFFFF : n <= 0 ? 0 : (1u << n) - 1); }
#endif

/* Transposes a GEMM_VW x GEMM_VW block held as GEMM_VW vectors: lane j of
 * r[i] becomes lane i of r[j]. log2(VW) rounds of a perfect shuffle: round
 * output 2i (2i+1) interleaves the low (high) halves of rows i and i+VW/2;
 * each output is one two-source permute. */
#if GEMM_VW == 16
#define VW_ZIP_LO {0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23}
#define VW_ZIP_HI {8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31}
#define VW_LOG2 4
#elif GEMM_VW == 8
#define VW_ZIP_LO {0, 8, 1, 9, 2, 10, 3, 11}
#define VW_ZIP_HI {4, 12, 5, 13, 6, 14, 7, 15}
#define VW_LOG2 3
#else
#define VW_ZIP_LO {0, 4, 1, 5}
#define VW_ZIP_HI {2, 6, 3, 7}
#define VW_LOG2 2
#endif
static inline void transpose_vw(vfw r[GEMM_VW]) {
  const viw lo = VW_ZIP_LO, hi = VW_ZIP_HI;
  for (int round = 0; round < VW_LOG2; round++) {
    vfw t[GEMM_VW];
    for (int i = 0; i < GEMM_VW / 2; i++) {
      t[2 * i] = __builtin_shuffle(r[i], r[i + GEMM_VW / 2], lo);
      t[2 * i + 1] = __builtin_shuffle(r[i], r[i + GEMM_VW / 2], hi);
    }
    memcpy(r, t, sizeof t);
  }
}

#endif
