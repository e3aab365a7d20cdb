/* The vector kernels of simd.h. Compiled once per target by meson with
 * -DCPU_SIMD_SUFFIX=<isa> and that target's -m flags; every function here is
 * static except the table named rn_cpu_simd_<isa>. Loops are kept simple
 * (unit stride, no calls, branch-free bodies) so that -O3 vectorizes them. */
#include <math.h>
#include <string.h>

#include "simd.h"

#define SIMD_CAT2(a, b) a##_##b
#define SIMD_CAT(a, b) SIMD_CAT2(a, b)
#define SIMD_TABLE SIMD_CAT(rn_cpu_simd, CPU_SIMD_SUFFIX)
#define SIMD_STR2(x) #x
#define SIMD_STR(x) SIMD_STR2(x)

/* exp(x) for x <= 0: Cody-Waite reduction by ln 2 and a degree-6 polynomial
 * (Cephes' expf), branch-free so that loops calling it vectorize. Clamped
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
  case CPU_ACT_SIGMOID: ACT_LOOP(sigmoid(v)) break;
  case CPU_ACT_SILU: ACT_LOOP(v * sigmoid(v)) break;
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

/* yr[o] += sum_j w[j] * xr[o*s + j*d + base] for o in [lo, hi): the common
 * shapes get loops with compile-time strides; the rest one pass per tap. */
static void dw_row(const cpu_window *g, const float *restrict xr, const float *restrict w, float *restrict yr) {
  const int64_t base = -g->pl, lo = g->all_lo, hi = g->all_hi;
  if (g->dw == 1 && g->kw == 3 && g->sw == 1) {
    const float w0 = w[0], w1 = w[1], w2 = w[2];
    const float *p = xr + base;
    for (int64_t o = lo; o < hi; o++) yr[o] += w0 * p[o] + w1 * p[o + 1] + w2 * p[o + 2];
  } else if (g->dw == 1 && g->kw == 3 && g->sw == 2) {
    const float w0 = w[0], w1 = w[1], w2 = w[2];
    const float *p = xr + base;
    for (int64_t o = lo; o < hi; o++) yr[o] += w0 * p[2 * o] + w1 * p[2 * o + 1] + w2 * p[2 * o + 2];
  } else if (g->dw == 1 && g->kw == 5 && g->sw == 1) {
    const float w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4];
    const float *p = xr + base;
    for (int64_t o = lo; o < hi; o++)
      yr[o] += w0 * p[o] + w1 * p[o + 1] + w2 * p[o + 2] + w3 * p[o + 3] + w4 * p[o + 4];
  } else if (g->dw == 1 && g->kw == 5 && g->sw == 2) {
    const float w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4];
    const float *p = xr + base;
    for (int64_t o = lo; o < hi; o++)
      yr[o] += w0 * p[2 * o] + w1 * p[2 * o + 1] + w2 * p[2 * o + 2] + w3 * p[2 * o + 3] + w4 * p[2 * o + 4];
  } else {
    for (int64_t j = 0; j < g->kw; j++) {
      const float wv = w[j], *p = xr + j * g->dw + base;
      const int64_t s = g->sw;
      for (int64_t o = lo; o < hi; o++) yr[o] += wv * p[o * s];
    }
  }
  /* Border columns: only the taps that fall inside the row. */
  for (int64_t j = 0; j < g->kw; j++) {
    const float wv = w[j], *p = xr + j * g->dw + base;
    int64_t a = g->col_lo[j], b = g->col_hi[j];
    for (int64_t o = a; o < b && o < lo; o++) yr[o] += wv * p[o * g->sw];
    for (int64_t o = a > hi ? a : hi; o < b; o++) yr[o] += wv * p[o * g->sw];
  }
}

static void depthwise(const cpu_window *g, const float *x, const float *w, float bias, const float *z,
                      const cpu_act *act, float *y) {
  const int64_t plane = g->oh * g->ow;
  memset(y, 0, (size_t)plane * sizeof *y);
  for (int64_t oy = 0; oy < g->oh; oy++) {
    float *yr = y + oy * g->ow;
    for (int64_t i = 0; i < g->kh; i++) {
      int64_t iy = oy * g->sh - g->pt + i * g->dh;
      if (iy >= 0 && iy < g->h) dw_row(g, x + iy * g->w, w + i * g->kw, yr);
    }
  }
  epilogue(y, plane, bias, z, act);
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

const cpu_simd SIMD_TABLE = {
    SIMD_STR(CPU_SIMD_SUFFIX), epilogue, activation, depthwise, maxpool, sum, add, mul, add_scalar, mul_scalar,
    softmax_row,
};
