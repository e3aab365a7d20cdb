/* rn-plugin-cpu's vector kernels: one source (simd.c) compiled three times,
 * for AVX-512, AVX2+FMA and portable C, and picked once at run time from
 * what the CPU supports (rn_cpu_simd). The kernels are plain loops written
 * so that the compiler vectorizes them for each target. */
#ifndef RN_CPU_SIMD_H
#define RN_CPU_SIMD_H

#include <stdint.h>

/* Activations a kernel can apply to its output (fused epilogues). */
typedef enum cpu_act_kind {
  CPU_ACT_NONE = 0,
  CPU_ACT_RELU,
  CPU_ACT_CLIP,        /* a = min, b = max */
  CPU_ACT_SIGMOID,
  CPU_ACT_SILU,        /* x * sigmoid(x) */
  CPU_ACT_HARDSIGMOID, /* max(0, min(1, a*x + b)) */
  CPU_ACT_LEAKYRELU,   /* a = alpha */
  CPU_ACT_HARDSWISH,
  CPU_ACT_TANH
} cpu_act_kind;

typedef struct cpu_act {
  cpu_act_kind kind;
  float a, b;
} cpu_act;

/* What the GEMM micro-kernel applies to its tile before storing it:
 * C = act(C + bias[r] + z[r][col]); bias and z may be NULL. */
typedef struct cpu_tile_epilogue {
  const float *bias; /* one per tile row */
  const float *z;    /* tile row r at z + r * ldz */
  int64_t ldz;
  const cpu_act *act; /* must have a vector form (not Tanh) */
} cpu_tile_epilogue;

/* A 2-D sliding window over one channel plane (depthwise conv, pooling). */
typedef struct cpu_window {
  int64_t h, w, oh, ow;   /* input and output plane sizes */
  int64_t kh, kw, sh, sw, dh, dw;
  int64_t pt, pl;         /* top and left pads */
  /* Per kernel column j: the output columns [col_lo[j], col_hi[j]) whose tap
   * j falls inside the input row (max pooling). */
  int64_t col_lo[16], col_hi[16];
  /* The depthwise kernel's sh*sw phase planes of the zero-padded input,
   * hq rows of wq floats each (see simd.c). */
  int64_t hq, wq;
} cpu_window;

typedef struct cpu_simd {
  const char *isa;
  int vw; /* floats per vector: the channels of a depthwise_blocked block */
  /* y[i] = act(y[i] + bias + z[i]) for i < n; z may be NULL. */
  void (*epilogue)(float *y, int64_t n, float bias, const float *z, const cpu_act *act);
  /* y[i] = act(x[i]) (x may equal y). */
  void (*activation)(const float *x, float *y, int64_t n, const cpu_act *act);
  /* One channel of a depthwise convolution, with its epilogue; scratch
   * holds rn_cpu_depthwise_scratch(g) floats. */
  void (*depthwise)(const cpu_window *g, const float *x, const float *w, float bias, const float *z,
                    const cpu_act *act, float *y, float *scratch);
  /* Output rows [oy0, oy1) of up to vw channels of a depthwise convolution,
   * channel-interleaved inside (see simd.c): x, y the first channel's planes,
   * wpk the weights [kh*kw][vw] and bias [vw] zero-padded past nch; the
   * activation is applied, a residual is not. scratch holds
   * rn_cpu_depthwise_blocked_scratch(g, vw, oy1 - oy0) floats. */
  void (*depthwise_blocked)(const cpu_window *g, const float *x, int nch, const float *wpk, const float *bias,
                            const cpu_act *act, float *y, int64_t oy0, int64_t oy1, float *scratch);
  /* One channel of a stride-1 depthwise convolution whose output is as wide
   * as its input, read in place with masked loads (see simd.c); masks and
   * toff from rn_cpu_depthwise_flat_masks; with its epilogue. NULL where the
   * ISA has no masked loads (AVX-512 only). */
  void (*depthwise_flat)(const cpu_window *g, const uint16_t *masks, const int64_t *toff, const float *x,
                         const float *w, float bias, const float *z, const cpu_act *act, float *y);
  /* One channel of a stride-2 depthwise convolution with a 3x3 or 5x5
   * kernel (dilation 1), read in place: even and odd input columns split by
   * permutes (see simd.c); rows outside the plane read zero_row (w zeros);
   * with its epilogue. NULL where the ISA has no masked loads (AVX-512 only). */
  void (*depthwise_s2)(const cpu_window *g, const float *x, const float *w, float bias, const float *z,
                       const cpu_act *act, float *y, const float *zero_row);
  /* One channel of max pooling (padding never wins). */
  void (*maxpool)(const cpu_window *g, const float *x, float *y);
  /* The same for stride 2 with a square 2x2 or 3x3 window (dilation 1),
   * read in place like depthwise_s2; NULL where the ISA has no masked loads. */
  void (*maxpool_s2)(const cpu_window *g, const float *x, float *y);
  /* Sum of x[0..n). */
  float (*sum)(const float *x, int64_t n);
  /* y[i] = dot(w + i * ldw, x[0..k)) for i < n (a matrix-vector product
   * with the matrix's rows contiguous). */
  void (*dot_rows)(const float *w, int64_t ldw, int64_t n, int64_t k, const float *x, float *y);
  /* dst[i] = src[i * stride] for i < n. */
  void (*gather_stride)(const float *src, int64_t stride, int64_t n, float *dst);
  /* y = a + b, y = a * b over n values; the _scalar forms take b as one value. */
  void (*add)(const float *a, const float *b, float *y, int64_t n);
  void (*mul)(const float *a, const float *b, float *y, int64_t n);
  void (*add_scalar)(const float *a, float b, float *y, int64_t n);
  void (*mul_scalar)(const float *a, float b, float *y, int64_t n);
  /* Softmax of one row of n values (n >= 1). */
  void (*softmax_row)(const float *x, float *y, int64_t n);
  /* Winograd F(4x4, 3x3) input and output transforms of up to CPU_WINO_TILES
   * tiles of one tile row (see simd.c). */
  void (*winograd_input)(const float *const *rows, int64_t col0, int64_t w, int ntiles, float *v, int64_t xi_stride);
  void (*winograd_output)(const float *m, int64_t xi_stride, int ntiles, float *const *out_rows, int64_t col0,
                          int64_t w);
  /* The same for F(2x2, 3x3): 4x4 input tiles, 2x2 outputs, 16 values per tile. */
  void (*winograd2_input)(const float *const *rows, int64_t col0, int64_t w, int ntiles, float *v, int64_t xi_stride);
  void (*winograd2_output)(const float *m, int64_t xi_stride, int ntiles, float *const *out_rows, int64_t col0,
                           int64_t w);
  /* The GEMM micro-kernel (gemm_tile.c): C[mr x nr] = A panel [K][gemm_mr]
   * times B (gemm_nr floats per row; nseg segments of k_depth rows, row k of
   * segment s at b + seg_off[s] + k*bstride; seg_off NULL: one segment at b),
   * mr <= gemm_mr, nr <= gemm_nr; ep (may be NULL) is applied in registers. */
  void (*gemm_tile)(int64_t k_depth, int nseg, const int64_t *seg_off, const float *a, const float *b,
                    int64_t bstride, float *c, int64_t ldc, int mr, int nr, const cpu_tile_epilogue *ep);
  int gemm_mr, gemm_nr;
  /* The same micro-kernel with gemm_mr_short rows (A panels that wide). */
  void (*gemm_tile_short)(int64_t k_depth, int nseg, const int64_t *seg_off, const float *a, const float *b,
                          int64_t bstride, float *c, int64_t ldc, int mr, int nr, const cpu_tile_epilogue *ep);
  int gemm_mr_short;
  /* The transposed tile (gemm_tile.c): up to gemm_mr_t_max output
   * positions (any offsets into b, consecutive outputs; gemm_mr or one
   * more) x gemm_nr output channels, for short output rows. */
  void (*gemm_tile_t)(int64_t k_depth, int nseg, const int64_t *seg_off, const float *a, const float *b,
                      int64_t bstride, const int64_t *pos, int np, float *c, int64_t ldc, int nj,
                      const float *bias, const float *z, const cpu_act *act);
  int gemm_mr_t_max;
} cpu_simd;

#define CPU_WINO_TILES 16
/* At least every table's gemm_mr (positions of a transposed tile). */
#define CPU_MAX_MR 16

/* First and one-past-last o in [0, out) with 0 <= o*s + off < in: the
 * outputs whose tap (at offset off from o*s) falls inside the input. */
void rn_cpu_valid_range(int64_t off, int64_t s, int64_t in, int64_t out, int64_t *lo, int64_t *hi);

/* Fills the per-column ranges and padded sizes of g (its kw must be <= 16). */
void rn_cpu_window_ranges(cpu_window *g);
/* Floats of scratch the depthwise kernel needs per channel. */
int64_t rn_cpu_depthwise_scratch(const cpu_window *g);
/* For depthwise_flat (g: stride 1, ow == w): the per-tap input offsets
 * toff[kh*kw] and the lane masks, chunk by chunk (chunks of 16 outputs),
 * malloc'ed; NULL when out of memory. */
uint16_t *rn_cpu_depthwise_flat_masks(const cpu_window *g, int64_t *toff);
/* Floats of scratch depthwise_blocked needs for `rows` output rows. */
int64_t rn_cpu_depthwise_blocked_scratch(const cpu_window *g, int vw, int64_t rows);

/* The best table for this CPU (chosen once). */
const cpu_simd *rn_cpu_simd(void);

#endif
