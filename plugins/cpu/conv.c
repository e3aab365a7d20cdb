/* Conv (ONNX opsets 1..21), float32, 2-D (NCHW input, MCkk weight):
 *   - 1x1, stride 1, no pads: one sgemm per batch and group on the input;
 *   - depthwise (groups == C == M): a direct kernel over output rows;
 *   - anything else: im2col into the run's workspace, then sgemm per group.
 * The bias is the initial value of the output (sgemm with beta = 1). */
#include <cblas.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"

enum { PATH_1X1 = 1, PATH_DEPTHWISE = 2, PATH_IM2COL = 3 };

typedef struct conv_geom {
  int64_t n, c, h, w;     /* input */
  int64_t m, g, cg, mg;   /* output channels, groups, channels per group */
  int64_t kh, kw, sh, sw, dh, dw;
  int64_t pt, pl, pb, pr; /* pads: top, left, bottom, right */
  int64_t oh, ow;
} conv_geom;

typedef struct conv_state {
  conv_geom g;
  int path;
  int has_bias;
  float *weight; /* packed copy of a constant weight, or NULL (read at run) */
  float *bias;   /* copy of a constant bias, or NULL */
  size_t ws;     /* workspace bytes */
} conv_state;

/* Reads `name` (exactly n values, each >= lo) or fills `def`. 0 = ok. */
static int read_ints(const rn_plugin_host *h, const rn_plugin_node *node, const char *name, int n, int64_t def,
                     int64_t lo, int64_t *out) {
  const int64_t *v = NULL;
  int cnt = h->attr_ints(node, name, &v);
  if (cnt < 0) {
    for (int i = 0; i < n; i++) out[i] = def;
    return 0;
  }
  if (cnt != n || !v) return 1;
  for (int i = 0; i < n; i++) {
    if (v[i] < lo || v[i] > (1 << 20)) return 1;
    out[i] = v[i];
  }
  return 0;
}

/* Derives the geometry exactly as ONNX defines it and checks it against the
 * host's inferred output shape. 0 = a node this plugin runs. */
static int conv_geometry(const rn_plugin_host *h, const rn_plugin_node *node, conv_geom *g) {
  memset(g, 0, sizeof *g);
  int nin = h->node_input_count(node);
  if (nin < 2 || nin > 3 || h->node_output_count(node) < 1) return 1;
  const rn_plugin_tensor *x = h->node_input(node, 0), *w = h->node_input(node, 1);
  const rn_plugin_tensor *b = nin > 2 ? h->node_input(node, 2) : NULL, *y = h->node_output(node, 0);
  if (!cpu_is_float(x) || !cpu_is_float(w) || !cpu_is_float(y) || (b && !cpu_is_float(b))) return 1;
  if (x->rank != 4 || w->rank != 4 || y->rank != 4) return 1;
  for (int d = 0; d < 4; d++)
    if (x->dims[d] < 0 || w->dims[d] < 0 || y->dims[d] < 0 || !cpu_fits(x->dims[d]) || !cpu_fits(w->dims[d]))
      return 1;
  g->n = x->dims[0], g->c = x->dims[1], g->h = x->dims[2], g->w = x->dims[3];
  g->m = w->dims[0], g->kh = w->dims[2], g->kw = w->dims[3];
  g->g = h->attr_int(node, "group", 1);
  if (g->g < 1 || g->c % g->g != 0 || g->m % g->g != 0) return 1;
  g->cg = g->c / g->g, g->mg = g->m / g->g;
  if (w->dims[1] != g->cg || g->kh < 1 || g->kw < 1) return 1;
  if (b && (b->rank != 1 || b->dims[0] != g->m)) return 1;

  int64_t ks[2], st[2], dil[2], pads[4];
  const int64_t *kv = NULL;
  if (h->attr_ints(node, "kernel_shape", &kv) >= 0) {
    if (read_ints(h, node, "kernel_shape", 2, 1, 1, ks) || ks[0] != g->kh || ks[1] != g->kw) return 1;
  }
  if (read_ints(h, node, "strides", 2, 1, 1, st) || read_ints(h, node, "dilations", 2, 1, 1, dil) ||
      read_ints(h, node, "pads", 4, 0, 0, pads))
    return 1;
  g->sh = st[0], g->sw = st[1], g->dh = dil[0], g->dw = dil[1];
  g->pt = pads[0], g->pl = pads[1], g->pb = pads[2], g->pr = pads[3];

  const char *ap = h->attr_string(node, "auto_pad", "NOTSET");
  int mode;
  if (!ap || strcmp(ap, "NOTSET") == 0) mode = 0;
  else if (strcmp(ap, "SAME_UPPER") == 0) mode = 1;
  else if (strcmp(ap, "SAME_LOWER") == 0) mode = 2;
  else if (strcmp(ap, "VALID") == 0) mode = 3;
  else return 1;
  int64_t in[2] = {g->h, g->w}, s[2] = {g->sh, g->sw}, dk[2] = {(g->kh - 1) * g->dh + 1, (g->kw - 1) * g->dw + 1};
  int64_t pbeg[2] = {g->pt, g->pl}, pend[2] = {g->pb, g->pr}, out[2];
  for (int i = 0; i < 2; i++) {
    if (mode == 1 || mode == 2) {
      out[i] = (in[i] + s[i] - 1) / s[i];
      int64_t total = (out[i] - 1) * s[i] + dk[i] - in[i];
      if (total < 0) total = 0;
      /* SAME_UPPER puts the odd pad at the end, SAME_LOWER at the start. */
      pbeg[i] = mode == 1 ? total / 2 : total - total / 2;
      pend[i] = total - pbeg[i];
    } else {
      if (mode == 3) pbeg[i] = pend[i] = 0;
      int64_t span = in[i] + pbeg[i] + pend[i] - dk[i];
      if (span < 0) return 1;
      out[i] = span / s[i] + 1;
    }
  }
  g->pt = pbeg[0], g->pb = pend[0], g->pl = pbeg[1], g->pr = pend[1];
  g->oh = out[0], g->ow = out[1];
  if (y->dims[0] != g->n || y->dims[1] != g->m || y->dims[2] != g->oh || y->dims[3] != g->ow) return 1;
  /* sgemm dimensions must fit a BLAS int. */
  if (!cpu_fits(g->oh * g->ow) || !cpu_fits(g->h * g->w) || !cpu_fits(g->cg * g->kh * g->kw) ||
      !cpu_fits(g->cg * g->kh * g->kw * g->oh * g->ow))
    return 1;
  return 0;
}

int rn_cpu_conv_supports(const rn_plugin_host *host, const rn_plugin_node *node) {
  conv_geom g;
  return conv_geometry(host, node, &g) == 0 ? CPU_SCORE : 0;
}

int rn_cpu_conv_prepare(const rn_plugin_host *host, const rn_plugin_node *node, void **state, char *err,
                        size_t err_size) {
  conv_state *s = calloc(1, sizeof *s);
  if (!s) return cpu_fail(err, err_size, "out of memory");
  if (conv_geometry(host, node, &s->g)) {
    free(s);
    return cpu_fail(err, err_size, "Conv geometry not supported");
  }
  const conv_geom *g = &s->g;
  const rn_plugin_tensor *w = host->node_input(node, 1);
  const rn_plugin_tensor *b = host->node_input_count(node) > 2 ? host->node_input(node, 2) : NULL;
  s->has_bias = b != NULL;
  /* The weight [M, C/g, kh, kw] is already, per group, the row-major GEMM A
   * matrix [M/g, C/g*kh*kw]: a constant one is copied (aligned) once. */
  if (w->data) {
    size_t bytes = (size_t)cpu_numel(w) * sizeof(float);
    s->weight = aligned_alloc(64, (bytes + 63) / 64 * 64 + 64);
    if (!s->weight) goto oom;
    memcpy(s->weight, w->data, bytes);
  }
  if (b && b->data) {
    s->bias = malloc((size_t)g->m * sizeof(float) + 1);
    if (!s->bias) goto oom;
    memcpy(s->bias, b->data, (size_t)g->m * sizeof(float));
  }
  int one_by_one = g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->pt == 0 && g->pl == 0 &&
                   g->pb == 0 && g->pr == 0;
  if (one_by_one) s->path = PATH_1X1;
  else if (g->g == g->c && g->m == g->c) s->path = PATH_DEPTHWISE;
  else {
    s->path = PATH_IM2COL;
    s->ws = (size_t)(g->cg * g->kh * g->kw) * (size_t)(g->oh * g->ow) * sizeof(float);
  }
  rn_cpu_set_threads(host->threads);
  *state = s;
  return 0;
oom:
  free(s->weight);
  free(s);
  return cpu_fail(err, err_size, "out of memory");
}

size_t rn_cpu_conv_workspace(const void *state) { return ((const conv_state *)state)->ws; }

void rn_cpu_conv_release(void *state) {
  conv_state *s = state;
  if (!s) return;
  free(s->weight);
  free(s->bias);
  free(s);
}

/* Fills each of the m planes (of `plane` floats) with its bias, or zeros. */
static void init_planes(float *y, const float *bias, int64_t m, int64_t plane) {
  for (int64_t o = 0; o < m; o++) {
    float v = bias ? bias[o] : 0.0f;
    float *p = y + o * plane;
    for (int64_t i = 0; i < plane; i++) p[i] = v;
  }
}

/* First and one-past-last output index o in [0, out) with
 * 0 <= o*s + off < in (off = tap offset - pad). */
static inline void valid_range(int64_t off, int64_t s, int64_t in, int64_t out, int64_t *lo, int64_t *hi) {
  int64_t a = off >= 0 ? 0 : (-off + s - 1) / s;
  int64_t b = in - off <= 0 ? 0 : (in - off - 1) / s + 1; /* o*s + off <= in-1 */
  if (b > out) b = out;
  if (a > b) a = b;
  *lo = a, *hi = b;
}

/* One output row's taps for one kernel column: y[o] += wv * x[o*s + off]. */
static inline void axpy_row_s1(float *restrict y, const float *restrict x, float wv, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] += wv * x[i];
}
static inline void axpy_row_strided(float *restrict y, const float *restrict x, float wv, int64_t n, int64_t s) {
  for (int64_t i = 0; i < n; i++) y[i] += wv * x[i * s];
}

/* Depthwise (multiplier 1): per channel, plane initialized with the bias,
 * then every tap accumulated row by row over its valid output columns. */
static void conv_depthwise(const conv_geom *g, const float *x, const float *w, const float *bias, float *y) {
  const int64_t plane_in = g->h * g->w, plane_out = g->oh * g->ow, kk = g->kh * g->kw;
  int64_t col_lo[64], col_hi[64];
  int cache_cols = g->kw <= 64;
  if (cache_cols)
    for (int64_t j = 0; j < g->kw; j++) valid_range(j * g->dw - g->pl, g->sw, g->w, g->ow, &col_lo[j], &col_hi[j]);
  for (int64_t n = 0; n < g->n; n++)
    for (int64_t c = 0; c < g->c; c++) {
      const float *xp = x + (n * g->c + c) * plane_in;
      float *yp = y + (n * g->m + c) * plane_out;
      const float *wp = w + c * kk;
      float bv = bias ? bias[c] : 0.0f;
      for (int64_t i = 0; i < plane_out; i++) yp[i] = bv;
      for (int64_t oy = 0; oy < g->oh; oy++) {
        float *yr = yp + oy * g->ow;
        for (int64_t i = 0; i < g->kh; i++) {
          int64_t iy = oy * g->sh - g->pt + i * g->dh;
          if (iy < 0 || iy >= g->h) continue;
          const float *xr = xp + iy * g->w;
          for (int64_t j = 0; j < g->kw; j++) {
            int64_t off = j * g->dw - g->pl, lo, hi;
            if (cache_cols) lo = col_lo[j], hi = col_hi[j];
            else valid_range(off, g->sw, g->w, g->ow, &lo, &hi);
            if (lo >= hi) continue;
            float wv = wp[i * g->kw + j];
            if (g->sw == 1) axpy_row_s1(yr + lo, xr + lo + off, wv, hi - lo);
            else axpy_row_strided(yr + lo, xr + lo * g->sw + off, wv, hi - lo, g->sw);
          }
        }
      }
    }
}

/* col[(c*kh + i)*kw + j][oy*ow + ox] = x[c][oy*sh - pt + i*dh][ox*sw - pl + j*dw], 0 outside. */
static void im2col(const conv_geom *g, const float *x, float *col) {
  const int64_t plane_out = g->oh * g->ow;
  for (int64_t c = 0; c < g->cg; c++) {
    const float *xp = x + c * g->h * g->w;
    for (int64_t i = 0; i < g->kh; i++)
      for (int64_t j = 0; j < g->kw; j++) {
        float *cp = col + ((c * g->kh + i) * g->kw + j) * plane_out;
        int64_t off = j * g->dw - g->pl, lo, hi;
        valid_range(off, g->sw, g->w, g->ow, &lo, &hi);
        for (int64_t oy = 0; oy < g->oh; oy++) {
          float *cr = cp + oy * g->ow;
          int64_t iy = oy * g->sh - g->pt + i * g->dh;
          if (iy < 0 || iy >= g->h) {
            memset(cr, 0, (size_t)g->ow * sizeof(float));
            continue;
          }
          const float *xr = xp + iy * g->w;
          for (int64_t ox = 0; ox < lo; ox++) cr[ox] = 0.0f;
          if (g->sw == 1) memcpy(cr + lo, xr + lo + off, (size_t)(hi - lo) * sizeof(float));
          else
            for (int64_t ox = lo; ox < hi; ox++) cr[ox] = xr[ox * g->sw + off];
          for (int64_t ox = hi; ox < g->ow; ox++) cr[ox] = 0.0f;
        }
      }
  }
}

int rn_cpu_conv_run(const void *state, const rn_plugin_tensor *const *inputs, int n_inputs,
                    rn_plugin_tensor *const *outputs, int n_outputs, void *workspace, char *err, size_t err_size) {
  const conv_state *s = state;
  const conv_geom *g = &s->g;
  if (n_inputs < 2 || n_outputs < 1 || !inputs[0] || !inputs[1] || !outputs[0])
    return cpu_fail(err, err_size, "Conv: missing input or output");
  const rn_plugin_tensor *xt = inputs[0], *yt = outputs[0];
  if (xt->rank != 4 || xt->dims[0] != g->n || xt->dims[1] != g->c || xt->dims[2] != g->h || xt->dims[3] != g->w ||
      yt->rank != 4 || yt->dims[0] != g->n || yt->dims[1] != g->m || yt->dims[2] != g->oh || yt->dims[3] != g->ow)
    return cpu_fail(err, err_size, "Conv: shapes differ from the ones it was prepared for");
  const float *x = xt->data, *w = s->weight ? s->weight : inputs[1]->data;
  const float *bias = NULL;
  if (s->has_bias) {
    if (s->bias) bias = s->bias;
    else if (n_inputs > 2 && inputs[2]) bias = inputs[2]->data;
    else return cpu_fail(err, err_size, "Conv: bias missing");
  }
  float *y = yt->data;
  const int64_t plane_in = g->h * g->w, plane_out = g->oh * g->ow, kdim = g->cg * g->kh * g->kw;
  if (g->n * g->m * plane_out == 0) return 0;
  if (kdim == 0) { /* no input channels: the bias alone */
    for (int64_t n = 0; n < g->n; n++) init_planes(y + n * g->m * plane_out, bias, g->m, plane_out);
    return 0;
  }
  if (s->path == PATH_DEPTHWISE) {
    conv_depthwise(g, x, w, bias, y);
    return 0;
  }
  if (s->path == PATH_IM2COL && !workspace) return cpu_fail(err, err_size, "Conv: no workspace");
  for (int64_t n = 0; n < g->n; n++)
    for (int64_t gi = 0; gi < g->g; gi++) {
      float *yg = y + (n * g->m + gi * g->mg) * plane_out;
      const float *xg = x + (n * g->c + gi * g->cg) * plane_in;
      const float *wg = w + gi * g->mg * kdim;
      const float *bg = bias ? bias + gi * g->mg : NULL;
      if (bg) init_planes(yg, bg, g->mg, plane_out);
      const float *bmat = xg;
      if (s->path == PATH_IM2COL) {
        im2col(g, xg, workspace);
        bmat = workspace;
      }
      /* yg[mg, plane_out] (+)= wg[mg, kdim] * bmat[kdim, plane_out] */
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)g->mg, (int)plane_out, (int)kdim, 1.0f, wg,
                  (int)kdim, bmat, (int)plane_out, bg ? 1.0f : 0.0f, yg, (int)plane_out);
    }
  return 0;
}
