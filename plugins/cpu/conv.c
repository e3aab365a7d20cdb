/* Conv (ONNX opsets 1..21) and rn's FusedConv (Conv + optional residual Z +
 * activation, made by core's graph rewrites), float32, 2-D, NCHW.
 *
 * Paths, chosen in prepare from the geometry:
 *   - depthwise (groups == C == M): a direct vector kernel per channel plane,
 *     or, strided or on small planes, one per block of channels transposed
 *     to channel-interleaved vectors (plan_depthwise_blocked);
 *   - 3x3, stride 1, ungrouped, constant weights, enough output tiles:
 *     Winograd F(4x4, 3x3) (winograd.c), 4x fewer multiplies, or on smaller
 *     planes F(2x2, 3x3), 2.25x fewer;
 *   - everything else: a GEMM per image and group, W[M/g, C/g*kh*kw] times
 *     the input (1x1, stride 1, no pads: the input itself; otherwise its
 *     im2col). With constant weights (the usual case) the weights are packed
 *     once into micro-kernel panels and the GEMM runs on the plugin's own
 *     micro-kernel (gemm_tile.c), the im2col written panel by panel straight
 *     into the layout it reads; weights given at run time go to OpenBLAS.
 * The GEMMs are split into blocks of output positions (and of output
 * channels when there are few positions) run on the plugin's thread pool,
 * OpenBLAS being single-threaded. Each block's bias, residual and activation
 * are applied right after its GEMM, while the block is still in cache. */
#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "simd.h"
#include "winograd.h"

enum { PATH_GEMM = 1, PATH_DEPTHWISE = 2, PATH_WINOGRAD = 3, PATH_PACKED = 4 };

/* Column blocks aim at this many floats of im2col (or output) per block. */
enum { BLOCK_FLOATS = 64 * 1024, MIN_BLOCK = 64 };

/* Transposed tiles store each output separately (a channel plane apart):
 * only for planes small enough that the padding columns they skip matter. */
enum { TRANSPOSED_MAX_PLANE = 32 * 32 };

typedef struct conv_geom {
  int64_t n, c, h, w;     /* input */
  int64_t m, g, cg, mg;   /* output channels, groups, channels per group */
  int64_t kh, kw, sh, sw, dh, dw;
  int64_t pt, pl, pb, pr; /* pads: top, left, bottom, right */
  int64_t oh, ow;
} conv_geom;

/* Derives the geometry exactly as ONNX defines it and checks it against the
 * host's inferred output shape. 0 = a node this plugin runs. */
static int is_fused(const rn_plugin_host *h, const rn_plugin_node *node) {
  return strcmp(h->node_op_type(node), "FusedConv") == 0;
}

static int conv_geometry(const rn_plugin_host *h, const rn_plugin_node *node, conv_geom *g) {
  memset(g, 0, sizeof *g);
  int nin = h->node_input_count(node);
  if (nin < 2 || nin > 3 + is_fused(h, node) || h->node_output_count(node) < 1) return 1;
  const rn_plugin_tensor *x = h->node_input(node, 0), *w = h->node_input(node, 1);
  const rn_plugin_tensor *b = nin > 2 ? h->node_input(node, 2) : NULL, *y = h->node_output(node, 0);
  if (!x || !w || !y) return 1;
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
    if (rn_cpu_attr_ints(h, node, "kernel_shape", 2, 1, 1, ks) || ks[0] != g->kh || ks[1] != g->kw) return 1;
  }
  if (rn_cpu_attr_ints(h, node, "strides", 2, 1, 1, st) || rn_cpu_attr_ints(h, node, "dilations", 2, 1, 1, dil) ||
      rn_cpu_attr_ints(h, node, "pads", 4, 0, 0, pads))
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


typedef struct conv_state {
  conv_geom g;
  int path, im2col;
  int threads;
  int split_rows;        /* GEMM split into row blocks instead of column blocks */
  int64_t block, blocks; /* columns per block, blocks per image and group (or rows per block, row blocks) */
  int has_bias_input;    /* bias comes from input 2 at run time */
  float *weight;         /* copy of a constant weight, or NULL (read at run) */
  float *bias;           /* constant bias, or zeros */
  cpu_act act;
  int has_z;
  cpu_window win;        /* depthwise */
  /* Blocked depthwise (channel-interleaved blocks of simd->vw channels): */
  float *dw_packed;      /* per block: weights [kh*kw][vw], then bias [vw] */
  int64_t dw_blocks, dw_rows, dw_bands; /* channel blocks, output rows per band, bands */
  /* Flat depthwise (stride 1, same width, AVX-512: simd.c's depthwise_flat): */
  uint16_t *dw_masks;    /* lane masks per chunk of 16 outputs and tap */
  int64_t *dw_toff;      /* per tap: its input offset from the output's */
  /* Stride-2 depthwise (3x3 and 5x5, AVX-512: simd.c's depthwise_s2): */
  float *dw_zero_row;    /* w zeros, read for the rows outside the input */
  cpu_winograd wino;     /* Winograd */
  float *wino_weights;   /* its transformed weights */
  /* PATH_PACKED (implicit GEMM, see plan_packed): */
  float *packed;         /* weights as micro-kernel panels [group][panel][K][MR], K tap-major */
  int64_t col_panels, row_panels; /* task grid: panels per task */
  int tile_short;        /* the micro-kernel's short variant (gemm_mr_short rows) */
  int direct;            /* 1x1, stride 1, no pads: B is the input itself */
  int64_t wq, hq, pplane; /* phase planes: width, height, size */
  int64_t ext;           /* output positions at the phase width per image: OH * wq */
  int64_t phase_floats;  /* the phase buffer per image */
  int n_taps;
  uint64_t phases_read;   /* bit a*sw+b: some tap reads phase plane (a, b); only those are filled */
  int64_t *tap_off;      /* per tap: offset of its B rows in an image's phase buffer */
  /* Transposed tiles (short output rows, see plan_packed): */
  int transposed;
  int64_t *pos_in;       /* per output position: its phase-plane offset */
  cpu_tiles_t tiles;         /* the position tiles */
  int64_t tiles_per_task;    /* position tiles per task */
  const cpu_simd *simd;
  size_t ws_per_thread;  /* floats */
  size_t ws;             /* bytes */
} conv_state;

/* Rows of the PATH_PACKED micro-kernel's tiles (its A panels' width). */
static int64_t packed_mr(const conv_state *s) {
  return s->tile_short ? s->simd->gemm_mr_short : s->simd->gemm_mr;
}

/* FusedConv's activation attributes; 0 = understood. */
static int read_activation(const rn_plugin_host *h, const rn_plugin_node *node, cpu_act *act) {
  /* name, kind, parameter count, their ONNX defaults (when the attribute is absent) */
  static const struct {
    const char *name;
    cpu_act_kind kind;
    int n_params;
    float def[2];
  } acts[] = {{"", CPU_ACT_NONE, 0, {0, 0}},
              {"Relu", CPU_ACT_RELU, 0, {0, 0}},
              {"Clip", CPU_ACT_CLIP, 2, {-INFINITY, INFINITY}},
              {"Sigmoid", CPU_ACT_SIGMOID, 0, {0, 0}},
              {"SiLU", CPU_ACT_SILU, 0, {0, 0}},
              {"HardSigmoid", CPU_ACT_HARDSIGMOID, 2, {0.2f, 0.5f}},
              {"LeakyRelu", CPU_ACT_LEAKYRELU, 1, {0.01f, 0}},
              {"HardSwish", CPU_ACT_HARDSWISH, 0, {0, 0}},
              {"Tanh", CPU_ACT_TANH, 0, {0, 0}}};
  memset(act, 0, sizeof *act);
  if (!is_fused(h, node)) return 0;
  const char *name = h->attr_string(node, "activation", "");
  const float *p = NULL;
  int np = h->attr_floats(node, "activation_params", &p);
  for (size_t i = 0; name && i < sizeof acts / sizeof acts[0]; i++) {
    if (strcmp(name, acts[i].name) != 0) continue;
    act->kind = acts[i].kind;
    act->a = acts[i].def[0], act->b = acts[i].def[1];
    if (np < 0 || acts[i].n_params == 0) return 0;
    if (np != acts[i].n_params || !p) return 1;
    act->a = p[0];
    if (np > 1) act->b = p[1];
    return 0;
  }
  return 1;
}

/* Z (FusedConv input 3) must have exactly the output's shape here; other
 * broadcasts stay with the reference kernel. */
static int z_ok(const rn_plugin_host *h, const rn_plugin_node *node, int *has_z) {
  *has_z = 0;
  if (!is_fused(h, node) || h->node_input_count(node) < 4) return 1;
  const rn_plugin_tensor *z = h->node_input(node, 3), *y = h->node_output(node, 0);
  if (!z) return 1;
  if (!cpu_is_float(z) || z->rank != y->rank) return 0;
  for (int d = 0; d < z->rank; d++)
    if (z->dims[d] != y->dims[d]) return 0;
  *has_z = 1;
  return 1;
}

int rn_cpu_conv_supports(const rn_plugin_host *host, const rn_plugin_node *node) {
  conv_geom g;
  cpu_act act;
  int has_z;
  if (conv_geometry(host, node, &g) || read_activation(host, node, &act) || !z_ok(host, node, &has_z)) return 0;
  return CPU_SCORE;
}


/* Chooses the GEMM split (see conv_state) and the workspace it needs. */
static void plan_gemm(conv_state *s) {
  const conv_geom *g = &s->g;
  const int64_t plane = g->oh * g->ow, kdim = g->cg * g->kh * g->kw, per = kdim > g->mg ? kdim : g->mg;
  int64_t block = cpu_round_up(BLOCK_FLOATS / (per > 0 ? per : 1), 16);
  if (block < MIN_BLOCK) block = MIN_BLOCK;
  int64_t blocks = cpu_div_up(plane, block);
  const int64_t images = g->n * g->g;
  if (images * blocks < s->threads && plane < MIN_BLOCK * s->threads && g->mg >= 32 * s->threads) {
    /* Few output positions, many channels: split the rows instead. */
    s->split_rows = 1;
    s->blocks = s->threads;
    s->block = cpu_round_up(cpu_div_up(g->mg, s->threads), 16);
    s->blocks = cpu_div_up(g->mg, s->block);
    s->ws_per_thread = 0;
    s->ws = s->im2col ? (size_t)(kdim * plane) * sizeof(float) : 0;
    return;
  }
  /* Balance the blocks over the threads when images alone don't. */
  if (images * blocks < 4 * s->threads) blocks = cpu_div_up(cpu_round_up(images * blocks, s->threads), images);
  s->block = cpu_round_up(cpu_div_up(plane, blocks), 16);
  s->blocks = cpu_div_up(plane, s->block);
  s->ws_per_thread = s->im2col ? (size_t)(cpu_round_up(kdim * s->block, 16)) : 0;
  s->ws = s->ws_per_thread * (size_t)s->threads * sizeof(float);
}

/* PATH_PACKED: implicit GEMM. The input is copied, zero-padded, into
 * sh x sw "phase" planes (phase (a, b) holds padded rows a, a+sh, ... and
 * columns b, b+sw, ...), so that every kernel tap of a strided convolution
 * reads one phase plane at a fixed offset with stride 1. Output positions
 * are computed at the phase width wq (columns ox >= OW are computed and
 * dropped), which makes the B rows of tap t and channel c contiguous:
 *     B[t*Cg + c][q] = phases[tap_off[t] + c*pplane + q],  q = oy*wq + ox,
 * read in place by the micro-kernel with one segment per tap. A 1x1
 * stride-1 unpadded convolution reads the input itself. */
/* The weights as panels of `width` output channels, K tap-major inside:
 * packed[(group * panels + panel) * K * width + (t * Cg + c) * width + j] =
 * W[group * Mg + panel * width + j][c][tap t], zero past Mg. This is the
 * micro-kernel's A (width MR) or the transposed tile's A^T (width NR). */
static float *pack_weights(const conv_state *s, int64_t width) {
  const conv_geom *g = &s->g;
  const int64_t taps = g->kh * g->kw, kdim = g->cg * taps, panels = cpu_div_up(g->mg, width);
  float *packed = aligned_alloc(64, (size_t)cpu_round_up(g->g * panels * kdim * width * (int64_t)sizeof(float), 64));
  if (!packed) return NULL;
  for (int64_t gi = 0; gi < g->g; gi++)
    for (int64_t p = 0; p < panels; p++) {
      float *dst = packed + (gi * panels + p) * kdim * width;
      for (int64_t t = 0; t < taps; t++)
        for (int64_t c = 0; c < g->cg; c++)
          for (int64_t j = 0; j < width; j++) {
            int64_t m = p * width + j;
            dst[(t * g->cg + c) * width + j] = m < g->mg ? s->weight[((gi * g->mg + m) * g->cg + c) * taps + t] : 0.0f;
          }
    }
  return packed;
}

static int plan_packed(conv_state *s) {
  const conv_geom *g = &s->g;
  const int64_t kdim = g->cg * g->kh * g->kw, images = g->n * g->g, taps = g->kh * g->kw;
  int64_t mr = s->simd->gemm_mr, mpanels = cpu_div_up(g->mg, mr);
  const int64_t nr = s->simd->gemm_nr;
  s->n_taps = (int)taps;
  s->tap_off = malloc((size_t)taps * sizeof *s->tap_off);
  if (!s->tap_off) return 1;
  s->direct = !s->im2col;
  int64_t row_off_max = ((g->kh - 1) * g->dh) / g->sh, col_off_max = ((g->kw - 1) * g->dw) / g->sw;
  if (s->direct) {
    s->wq = g->w, s->hq = g->h, s->phase_floats = 0;
  } else {
    int64_t hpad = g->h + g->pt + g->pb, wpad = g->w + g->pl + g->pr;
    s->wq = cpu_div_up(wpad, g->sw);
    if (s->wq < g->ow + col_off_max) s->wq = g->ow + col_off_max;
    s->hq = cpu_div_up(hpad, g->sh);
    if (s->hq < g->oh + row_off_max) s->hq = g->oh + row_off_max;
    s->hq += 1; /* the dropped columns of the last row read one row further */
    /* + slack: a tail panel reads up to NR positions past the last one */
    s->phase_floats = cpu_round_up(g->sh * g->sw * g->c * s->hq * s->wq + nr + s->wq, 16);
  }
  s->pplane = s->hq * s->wq;
  s->ext = g->oh * s->wq;
  for (int64_t i = 0; i < g->kh; i++)
    for (int64_t j = 0; j < g->kw; j++) {
      int64_t a = (i * g->dh) % g->sh, b = (j * g->dw) % g->sw;
      s->phases_read |= a * g->sw + b < 64 ? 1ull << (a * g->sw + b) : 0;
      s->tap_off[i * g->kw + j] =
          (a * g->sw + b) * g->c * s->pplane + ((i * g->dh) / g->sh) * s->wq + (j * g->dw) / g->sw;
    }
  /* Small planes (7x7, 14x14) waste many of the NR-column panels' columns
   * (on the phase planes' padding columns, or past the last position): then
   * tiles of MR positions (any offsets) by NR output channels do less work
   * (measured: 7x7 layers 12-18% faster). Not with Tanh (no vector form). */
  const int64_t valid = g->oh * g->ow;
  if (s->act.kind != CPU_ACT_TANH && cpu_prefer_transposed(valid, s->ext, g->mg, mr, nr) && valid <= TRANSPOSED_MAX_PLANE &&
      getenv("RN_CPU_NO_TRANSPOSED") == NULL) {
    s->transposed = 1;
    const int64_t jpanels = cpu_div_up(g->mg, nr);
    s->packed = pack_weights(s, nr);
    s->pos_in = malloc((size_t)valid * sizeof *s->pos_in);
    if (!s->packed || !s->pos_in) return 1;
    for (int64_t oy = 0; oy < g->oh; oy++)
      for (int64_t ox = 0; ox < g->ow; ox++) s->pos_in[oy * g->ow + ox] = oy * s->wq + ox;
    /* Tasks: (image, group, channel panel, block of position tiles). */
    s->tiles = cpu_tiles_t_of(valid, mr, s->simd->gemm_mr_t_max);
    const int64_t want = 4 * (int64_t)s->threads, per_panel = cpu_div_up(want, images * jpanels);
    s->tiles_per_task = cpu_div_up(s->tiles.count, per_panel < 1 ? 1 : per_panel);
    s->ws_per_thread = 0;
    s->ws = (size_t)(s->phase_floats * g->n) * sizeof(float);
    return 0;
  }
  /* The short tile (8 rows on AVX-512) when it computes clearly fewer rows
   * (M = 16, 32, 40, 64: 24, 36, 48, 72 rows with MR = 12), or K is short:
   * measured 7-20% faster at K = 16..128 (64 -> 256 on 56x56: 1.22 -> 1.08
   * ms; the ResNet stem, M = 64: 2.93 -> 2.41 ms), equal at K >= 256. Its
   * narrower AVX2 / portable forms (4 and 2 rows, too few sums to hide the
   * FMA latency) were slower: not used. */
  const int64_t short_mr = s->simd->gemm_mr_short;
  if (short_mr >= 8 && short_mr < mr && getenv("RN_CPU_NO_SHORT_TILE") == NULL &&
      (100 * cpu_round_up(g->mg, short_mr) < 95 * cpu_round_up(g->mg, mr) || kdim <= 128)) {
    s->tile_short = 1;
    mr = short_mr, mpanels = cpu_div_up(g->mg, mr);
  }
  if (!(s->packed = pack_weights(s, mr))) return 1;
  /* Column tasks of up to 8 panels, enough of them for every thread; then,
   * if images x column tasks are still too few, row blocks too. */
  const int64_t cpanels = cpu_div_up(s->ext, nr), want = 4 * (int64_t)s->threads;
  int64_t per = cpanels * images / want;
  s->col_panels = per < 1 ? 1 : (per > 8 ? 8 : per);
  int64_t col_tasks = images * cpu_div_up(cpanels, s->col_panels), row_blocks = 1;
  if (s->threads > 1 && col_tasks < want) row_blocks = cpu_div_up(want, col_tasks);
  if (row_blocks > mpanels) row_blocks = mpanels;
  s->row_panels = cpu_div_up(mpanels, row_blocks);
  /* Workspace: the phase planes of all images, then per thread a C tile and
   * (direct input) a copy of a tail panel. */
  s->ws_per_thread = (size_t)cpu_round_up(mr * nr + (s->direct ? kdim * nr : 0), 16);
  s->ws = ((size_t)(s->phase_floats * g->n) + s->ws_per_thread * (size_t)s->threads) * sizeof(float);
  return 0;
}

/* Blocked depthwise (simd.c's depthwise_blocked) for strided convolutions
 * and small planes, where the per-channel kernel's set-up, phase split and
 * padding lanes cost more than the blocked kernel's transposes (measured on
 * MobileNet-v2 and EfficientNet-B0: 7x7 planes 1.6-2.3x faster, stride 2
 * 1.05-1.5x, 28x28 and larger stride-1 planes 1.0-1.4x slower); constant
 * weights and bias, no residual. Weights are packed per block of vw
 * channels, output rows split into bands whose padded input stays within
 * L2. Leaves dw_packed NULL (the per-channel kernel) otherwise. */
enum { DW_BAND_FLOATS = 32 * 1024, DW_BLOCKED_MAX_PLANE = 16 * 16 };
static int plan_depthwise_blocked(conv_state *s) {
  const conv_geom *g = &s->g;
  const int64_t vw = s->simd->vw, taps = g->kh * g->kw;
  if (!s->weight || s->has_bias_input || s->has_z || getenv("RN_CPU_NO_BLOCKED_DEPTHWISE")) return 0;
  if (g->sh == 1 && g->sw == 1 && g->oh * g->ow > DW_BLOCKED_MAX_PLANE && !getenv("RN_CPU_BLOCKED_DEPTHWISE"))
    return 0;
  s->dw_blocks = cpu_div_up(g->c, vw);
  s->dw_packed = aligned_alloc(64, (size_t)cpu_round_up(s->dw_blocks * (taps + 1) * vw * (int64_t)sizeof(float), 64));
  if (!s->dw_packed) return 1;
  memset(s->dw_packed, 0, (size_t)(s->dw_blocks * (taps + 1) * vw) * sizeof(float));
  for (int64_t c = 0; c < g->c; c++) {
    float *blk = s->dw_packed + (c / vw) * (taps + 1) * vw;
    for (int64_t t = 0; t < taps; t++) blk[t * vw + c % vw] = s->weight[c * taps + t];
    blk[taps * vw + c % vw] = s->bias[c];
  }
  const int64_t wp = (g->ow - 1) * g->sw + (g->kw - 1) * g->dw + 1, halo = (g->kh - 1) * g->dh + 1;
  int64_t rows = (DW_BAND_FLOATS / (wp * vw) - halo) / g->sh + 1;
  if (rows < 1) rows = 1;
  if (rows > g->oh) rows = g->oh;
  s->dw_bands = cpu_div_up(g->oh, rows);
  s->dw_rows = cpu_div_up(g->oh, s->dw_bands); /* even bands */
  s->ws_per_thread = (size_t)cpu_round_up(rn_cpu_depthwise_blocked_scratch(&s->win, (int)vw, s->dw_rows), 16);
  return 0;
}

/* Flat depthwise (simd.c's depthwise_flat, AVX-512) for stride-1
 * convolutions whose output is as wide as the input: the planes read in
 * place with masked loads, no copy nor transpose. Measured against the
 * kernels above: 3x3 layers 1.2-1.6x faster from 7x7 to 56x56 planes (about
 * even at 112x112); 5x5 even at 28x28 and 7x7, and at 14x14 (bench_conv,
 * 672 channels) 0.18 -> 0.16 ms since the flat kernel stopped padding a
 * plane to a multiple of four chunks. 1 = out of memory. */
static int plan_depthwise_flat(conv_state *s) {
  const conv_geom *g = &s->g;
  if (!s->simd->depthwise_flat || getenv("RN_CPU_NO_FLAT_DEPTHWISE") || getenv("RN_CPU_BLOCKED_DEPTHWISE")) return 0;
  if (g->sh != 1 || g->sw != 1 || g->ow != g->w) return 0;
  if (!(s->dw_toff = malloc((size_t)(g->kh * g->kw) * sizeof *s->dw_toff))) return 1;
  if (!(s->dw_masks = rn_cpu_depthwise_flat_masks(&s->win, s->dw_toff))) return 1;
  s->ws_per_thread = 0;
  return 0;
}

/* Stride-2 depthwise (simd.c's depthwise_s2, AVX-512) for 3x3 and 5x5
 * kernels: the planes read in place, even and odd columns split by
 * permutes, no transposes (the blocked kernel spent most of its time in
 * them): 1.5-2.4x faster on MobileNet-v2's and EfficientNet-B0's strided
 * layers onto 56x56 down to 14x14 planes. 1 = out of memory. */
static int plan_depthwise_s2(conv_state *s) {
  const conv_geom *g = &s->g;
  if (!s->simd->depthwise_s2 || getenv("RN_CPU_NO_STRIDE2_DEPTHWISE") || getenv("RN_CPU_BLOCKED_DEPTHWISE")) return 0;
  if (g->sh != 2 || g->sw != 2 || g->dh != 1 || g->dw != 1 || g->kh != g->kw || (g->kw != 3 && g->kw != 5)) return 0;
  /* Narrow outputs leave most of a chunk's 16 lanes idle: there the blocked
   * kernel stays ahead (3x3 onto 7x7 1.1x, 5x5 onto 7x7 2-3x, 5x5 onto
   * 28x28 even; 3x3 onto 14x14 is 1.5x faster here, 5x5 onto 56x56 1.4x). */
  if (g->ow < (g->kw == 3 ? 12 : 40)) return 0;
  if (!(s->dw_zero_row = calloc((size_t)g->w + 16, sizeof(float)))) return 1;
  s->ws_per_thread = 0;
  return 0;
}

int rn_cpu_conv_prepare(const rn_plugin_host *host, const rn_plugin_node *node, void **state, char *err,
                        size_t err_size) {
  conv_state *s = calloc(1, sizeof *s);
  if (!s) return cpu_fail(err, err_size, "out of memory");
  if (conv_geometry(host, node, &s->g) || read_activation(host, node, &s->act) || !z_ok(host, node, &s->has_z)) {
    free(s);
    return cpu_fail(err, err_size, "Conv geometry not supported");
  }
  const conv_geom *g = &s->g;
  const rn_plugin_tensor *w = host->node_input(node, 1);
  const rn_plugin_tensor *b = host->node_input_count(node) > 2 ? host->node_input(node, 2) : NULL;
  s->threads = cpu_threads(host);
  s->simd = rn_cpu_simd();
  /* The weight [M, C/g, kh, kw] is already, per group, the row-major GEMM A
   * matrix [M/g, C/g*kh*kw]: a constant one is copied (aligned) once. */
  if (w->data) {
    size_t bytes = (size_t)cpu_numel(w) * sizeof(float);
    s->weight = aligned_alloc(64, (bytes + 63) / 64 * 64 + 64);
    if (!s->weight) goto oom;
    memcpy(s->weight, w->data, bytes);
  }
  s->bias = calloc((size_t)g->m + 1, sizeof(float));
  if (!s->bias) goto oom;
  if (b && b->data) memcpy(s->bias, b->data, (size_t)g->m * sizeof(float));
  s->has_bias_input = b && !b->data;
  int one_by_one = g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->pt == 0 && g->pl == 0 &&
                   g->pb == 0 && g->pr == 0;
  /* Winograd's tile side (4 or 2), or 0 where it does not apply or pay. */
  int wino_tile = 0;
  if (g->kh == 3 && g->kw == 3 && g->sh == 1 && g->sw == 1 && g->dh == 1 && g->dw == 1 && g->g == 1 && s->weight &&
      getenv("RN_CPU_NO_WINOGRAD") == NULL)
    wino_tile = rn_cpu_winograd_tile(g->n, g->c, g->m, g->oh, g->ow);
  if (!one_by_one && g->g == g->c && g->m == g->c && g->kw <= 16) {
    s->path = PATH_DEPTHWISE;
    cpu_window *wn = &s->win;
    wn->h = g->h, wn->w = g->w, wn->oh = g->oh, wn->ow = g->ow;
    wn->kh = g->kh, wn->kw = g->kw, wn->sh = g->sh, wn->sw = g->sw, wn->dh = g->dh, wn->dw = g->dw;
    wn->pt = g->pt, wn->pl = g->pl;
    rn_cpu_window_ranges(wn);
    if (plan_depthwise_flat(s)) goto oom;
    if (plan_depthwise_s2(s)) goto oom;
    if (!s->dw_masks && !s->dw_zero_row && plan_depthwise_blocked(s)) goto oom;
    if (!s->dw_masks && !s->dw_zero_row && !s->dw_packed) s->ws_per_thread = (size_t)cpu_round_up(rn_cpu_depthwise_scratch(wn), 16);
    s->ws = s->ws_per_thread * (size_t)s->threads * sizeof(float);
  } else if (wino_tile) {
    s->path = PATH_WINOGRAD;
    cpu_winograd *wg = &s->wino;
    wg->n = g->n, wg->c = g->c, wg->m = g->m, wg->h = g->h, wg->w = g->w, wg->oh = g->oh, wg->ow = g->ow;
    wg->tile = wino_tile;
    wg->pt = g->pt, wg->pl = g->pl, wg->th = cpu_div_up(g->oh, wg->tile), wg->tw = cpu_div_up(g->ow, wg->tile);
    wg->act = s->act, wg->simd = s->simd;
    wg->transposed = rn_cpu_winograd_transposed(wg);
    if (!(s->wino_weights = rn_cpu_winograd_weights(wg, s->weight))) goto oom;
    s->ws = rn_cpu_winograd_workspace(wg);
  } else if (s->weight) {
    s->path = PATH_PACKED;
    s->im2col = !one_by_one;
    if (plan_packed(s)) goto oom;
  } else {
    s->path = PATH_GEMM;
    s->im2col = !one_by_one;
    plan_gemm(s);
  }
  /* Paths that read only their packed or transformed copy: the plain one
   * goes (at batch 8, ResNet-50 peaked ~100 MB higher with both); a run that
   * still needs the plain weights reads the model's (inputs[1]). */
  if (s->path == PATH_PACKED || s->path == PATH_WINOGRAD || (s->path == PATH_DEPTHWISE && s->dw_packed)) {
    free(s->weight);
    s->weight = NULL;
  }
  rn_cpu_blas_single_threaded();
  *state = s;
  return 0;
oom:
  free(s->weight);
  free(s->bias);
  free(s->wino_weights);
  free(s->packed);
  free(s->tap_off);
  free(s->pos_in);
  free(s->dw_packed);
  free(s->dw_masks);
  free(s->dw_toff);
  free(s->dw_zero_row);
  free(s);
  return cpu_fail(err, err_size, "out of memory");
}

size_t rn_cpu_conv_workspace(const void *state) { return ((const conv_state *)state)->ws; }

void rn_cpu_conv_release(void *state) {
  conv_state *s = state;
  if (!s) return;
  free(s->weight);
  free(s->bias);
  free(s->wino_weights);
  free(s->packed);
  free(s->tap_off);
  free(s->pos_in);
  free(s->dw_packed);
  free(s->dw_masks);
  free(s->dw_toff);
  free(s->dw_zero_row);
  free(s);
}

/* Rows [r0, r1) of the im2col matrix, for output positions [p0, p0 + len):
 * col[(r - r0) * ld + j] = x[c][oy*sh - pt + i*dh][ox*sw - pl + j*dw] with
 * r = (c*kh + i)*kw + j and (oy, ox) the position, 0 outside the input. */
static void im2col(const conv_geom *g, const float *x, int64_t r0, int64_t r1, int64_t p0, int64_t len, float *col,
                   int64_t ld) {
  const int64_t kk = g->kh * g->kw;
  for (int64_t r = r0; r < r1; r++) {
    const int64_t c = r / kk, i = (r % kk) / g->kw, j = r % g->kw;
    const float *xp = x + c * g->h * g->w;
    float *cp = col + (r - r0) * ld;
    const int64_t off = j * g->dw - g->pl;
    int64_t lo, hi;
    rn_cpu_valid_range(off, g->sw, g->w, g->ow, &lo, &hi);
    int64_t oy = p0 / g->ow, ox = p0 % g->ow;
    for (int64_t done = 0; done < len;) {
      int64_t seg = g->ow - ox < len - done ? g->ow - ox : len - done; /* rest of this output row */
      float *dst = cp + done;
      int64_t iy = oy * g->sh - g->pt + i * g->dh;
      if (iy < 0 || iy >= g->h) {
        memset(dst, 0, (size_t)seg * sizeof(float));
      } else {
        const float *xr = xp + iy * g->w;
        int64_t a = ox, e = ox + seg, l = lo > a ? lo : a, h = hi < e ? hi : e;
        if (h < l) h = l;
        for (int64_t o = a; o < l; o++) dst[o - a] = 0.0f;
        if (g->sw == 1) memcpy(dst + (l - a), xr + l + off, (size_t)(h - l) * sizeof(float));
        else
          for (int64_t o = l; o < h; o++) dst[o - a] = xr[o * g->sw + off];
        for (int64_t o = h; o < e; o++) dst[o - a] = 0.0f;
      }
      done += seg;
      ox = 0;
      oy++;
    }
  }
}

/* What a run's tasks share. */
typedef struct conv_run_ctx {
  const conv_state *s;
  const float *x, *w, *bias, *z;
  float *y;
  float *ws;
} conv_run_ctx;

/* Bias, residual and activation on rows [m0, m1) x columns [p0, p0 + len)
 * of one image/group's output (its rows are `plane` apart). */
static void block_epilogue(const conv_run_ctx *r, int64_t img, int64_t gi, int64_t m0, int64_t m1, int64_t p0,
                           int64_t len) {
  const conv_geom *g = &r->s->g;
  const int64_t plane = g->oh * g->ow;
  for (int64_t m = m0; m < m1; m++) {
    int64_t ch = gi * g->mg + m, at = (img * g->m + ch) * plane + p0;
    r->s->simd->epilogue(r->y + at, len, r->bias[ch], r->z ? r->z + at : NULL, &r->s->act);
  }
}

/* Task = (image, group, column block): im2col the block if needed, one
 * sgemm, then the block's epilogue. */
static void gemm_column_task(void *arg, int task, int thread) {
  const conv_run_ctx *r = arg;
  const conv_state *s = r->s;
  const conv_geom *g = &s->g;
  const int64_t plane = g->oh * g->ow, plane_in = g->h * g->w, kdim = g->cg * g->kh * g->kw;
  const int64_t blk = task % s->blocks, ig = task / s->blocks, img = ig / g->g, gi = ig % g->g;
  const int64_t p0 = blk * s->block, len = plane - p0 < s->block ? plane - p0 : s->block;
  const float *xg = r->x + (img * g->c + gi * g->cg) * plane_in;
  const float *bmat = xg + p0;
  int64_t ldb = plane;
  if (s->im2col) {
    float *col = r->ws + (size_t)thread * s->ws_per_thread;
    im2col(g, xg, 0, kdim, p0, len, col, len);
    bmat = col, ldb = len;
  }
  float *yg = r->y + (img * g->m + gi * g->mg) * plane + p0;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)g->mg, (int)len, (int)kdim, 1.0f,
              r->w + gi * g->mg * kdim, (int)kdim, bmat, (int)ldb, 0.0f, yg, (int)plane);
  block_epilogue(r, img, gi, 0, g->mg, p0, len);
}

/* A run split into tasks of per_task units each (phase planes, rows), and
 * (phase planes) each unit into `bands` bands of rows. */
typedef struct chunked_ctx {
  const conv_run_ctx *r;
  int64_t per_task, bands;
} chunked_ctx;

/* PATH_PACKED, before the GEMMs: band task % bands of the phase planes of
 * (image, channel) pairs [task / bands * per, ...) (see plan_packed). Few
 * pairs (a 3-channel stem) are split into bands of rows, so that every
 * thread has a share. */
static void phase_task(void *arg, int task, int thread) {
  (void)thread;
  const chunked_ctx *pc = arg;
  const conv_state *s = pc->r->s;
  const conv_geom *g = &s->g;
  const int64_t band = task % pc->bands, first = task / pc->bands * pc->per_task;
  const int64_t row0 = s->hq * band / pc->bands, row1 = s->hq * (band + 1) / pc->bands;
  for (int64_t p = first; p < first + pc->per_task && p < g->n * g->c; p++) {
    const int64_t img = p / g->c, ch = p % g->c;
    const float *x = pc->r->x + p * g->h * g->w;
    float *buf = pc->r->ws + img * s->phase_floats;
    for (int64_t a = 0; a < g->sh; a++)
      for (int64_t b = 0; b < g->sw; b++) {
        /* e.g. a 1x1 stride-2 convolution reads one phase of four */
        if (a * g->sw + b < 64 && !(s->phases_read >> (a * g->sw + b) & 1)) continue;
        float *dst = buf + ((a * g->sw + b) * g->c + ch) * s->pplane + row0 * s->wq;
        for (int64_t row = row0; row < row1; row++, dst += s->wq) {
          int64_t iy = row * g->sh + a - g->pt; /* input row */
          memset(dst, 0, (size_t)s->wq * sizeof(float));
          if (iy < 0 || iy >= g->h) continue;
          const float *xr = x + iy * g->w;
          /* dst[col] = xr[col*sw + b - pl] for the columns inside the row */
          int64_t off = b - g->pl, lo = off >= 0 ? 0 : cpu_div_up(-off, g->sw);
          int64_t hi = g->w - off <= 0 ? 0 : cpu_div_up(g->w - off, g->sw);
          if (hi > s->wq) hi = s->wq;
          if (g->sw == 1) {
            if (hi > lo) memcpy(dst + lo, xr + lo + off, (size_t)(hi - lo) * sizeof(float));
          } else if (hi > lo) {
            s->simd->gather_stride(xr + lo * g->sw + off, g->sw, hi - lo, dst + lo);
          }
        }
      }
    if (band == pc->bands - 1 && (p == g->n * g->c - 1 || (p + 1) % g->c == 0)) /* the image's slack stays zero */
      memset(buf + g->sh * g->sw * g->c * s->pplane, 0,
             (size_t)(s->phase_floats - g->sh * g->sw * g->c * s->pplane) * sizeof(float));
  }
}

/* Valid output positions before extended position q (see plan_packed). */
static int64_t valid_before(const conv_state *s, int64_t q) {
  int64_t ox = q % s->wq;
  return (q / s->wq) * s->g.ow + (ox < s->g.ow ? ox : s->g.ow);
}

/* PATH_PACKED task = (image, group, block of column panels, block of row
 * panels): the micro-kernel for each (column panel, row panel) into a tile,
 * whose valid columns are copied to the output; then the block's epilogue. */
static void packed_task(void *arg, int task, int thread) {
  const conv_run_ctx *r = arg;
  const conv_state *s = r->s;
  const conv_geom *g = &s->g;
  const cpu_simd *v = s->simd;
  const int64_t plane = g->oh * g->ow, kdim = g->cg * g->kh * g->kw, mr = packed_mr(s), nr = v->gemm_nr;
  const int64_t cpanels = cpu_div_up(s->ext, nr), mpanels = cpu_div_up(g->mg, mr);
  void (*const gemm_tile)(int64_t, int, const int64_t *, const float *, const float *, int64_t, float *, int64_t, int,
                          int, const cpu_tile_epilogue *) = s->tile_short ? v->gemm_tile_short : v->gemm_tile;
  const int64_t col_tasks = cpu_div_up(cpanels, s->col_panels), row_tasks = cpu_div_up(mpanels, s->row_panels);
  int64_t t = task;
  const int64_t rt = t % row_tasks;
  t /= row_tasks;
  const int64_t ct = t % col_tasks;
  t /= col_tasks;
  const int64_t gi = t % g->g, img = t / g->g;
  const int64_t rp0 = rt * s->row_panels, rp1 = rp0 + s->row_panels < mpanels ? rp0 + s->row_panels : mpanels;
  const int64_t cp0 = ct * s->col_panels, cp1 = cp0 + s->col_panels < cpanels ? cp0 + s->col_panels : cpanels;
  /* B of this image and group: channel c of tap t at base + tap_off[t] + c*pplane. */
  const float *base = s->direct ? r->x + (img * g->c + gi * g->cg) * s->pplane
                                : r->ws + img * s->phase_floats + gi * g->cg * s->pplane;
  float *tile = r->ws + (size_t)g->n * s->phase_floats + (size_t)thread * s->ws_per_thread;
  float *tail = tile + mr * nr;
  float *yg = r->y + (img * g->m + gi * g->mg) * plane;
  const float *wg = s->packed + gi * mpanels * kdim * mr;
  /* Row panels outside: each weight panel is read from memory once per task
   * and then from cache for every column panel (at batch 1 the late layers'
   * weights are far bigger than their activations). */
  /* The epilogue runs in the micro-kernel's registers, except for Tanh and
   * for a residual when tiles are not laid out like the output. */
  const int fused_ep = s->act.kind != CPU_ACT_TANH && (s->direct || !r->z);
  for (int64_t rp = rp0; rp < rp1; rp++) {
    const int64_t m0 = rp * mr, rows = g->mg - m0 < mr ? g->mg - m0 : mr;
    const float *a = wg + rp * kdim * mr;
    cpu_tile_epilogue ep = {r->bias + gi * g->mg + m0, NULL, plane, &s->act};
    const cpu_tile_epilogue *epp = fused_ep ? &ep : NULL;
    for (int64_t cp = cp0; cp < cp1; cp++) {
      const int64_t q0 = cp * nr, cols = s->ext - q0 < nr ? s->ext - q0 : nr;
      if (s->direct) { /* positions are output positions: straight into y */
        const float *b = base + q0;
        const int64_t *off = s->tap_off;
        int64_t bstride = s->pplane;
        if (cols < nr) { /* the input's tail panel, copied (once per task) since NR columns would run past it */
          if (rp == rp0)
            for (int64_t k = 0; k < kdim; k++) {
              memcpy(tail + k * nr, base + k * s->pplane + q0, (size_t)cols * sizeof(float));
              memset(tail + k * nr + cols, 0, (size_t)(nr - cols) * sizeof(float));
            }
          b = tail, off = NULL, bstride = nr;
        }
        if (r->z) ep.z = r->z + (img * g->m + gi * g->mg + m0) * plane + q0;
        gemm_tile(g->cg, s->n_taps, off, a, b, bstride, yg + m0 * plane + q0, plane, (int)rows, (int)cols, epp);
        continue;
      }
      gemm_tile(g->cg, s->n_taps, s->tap_off, a, base + q0, s->pplane, tile, nr, (int)rows, (int)cols, epp);
      /* Copy each output row's run of valid columns. */
      for (int64_t q = q0; q < q0 + cols;) {
        const int64_t oy = q / s->wq, ox = q % s->wq, run_end = q - ox + s->wq;
        const int64_t end = run_end < q0 + cols ? run_end : q0 + cols;
        if (ox < g->ow) {
          const int64_t len = (end - q < g->ow - ox ? end - q : g->ow - ox);
          for (int64_t rr = 0; rr < rows; rr++)
            memcpy(yg + (m0 + rr) * plane + oy * g->ow + ox, tile + rr * nr + (q - q0), (size_t)len * sizeof(float));
        }
        q = end;
      }
    }
  }
  const int64_t p_lo = valid_before(s, cp0 * nr), p_hi = valid_before(s, cp1 * nr < s->ext ? cp1 * nr : s->ext);
  const int64_t m1 = rp1 * mr < g->mg ? rp1 * mr : g->mg;
  if (!fused_ep && p_hi > p_lo) block_epilogue(r, img, gi, rp0 * mr, m1, p_lo, p_hi - p_lo);
}

/* Transposed tiles: task = (image, group, channel panel, block of position
 * tiles); each tile is MR (or MR + 1, see cpu_tiles_t) positions x NR
 * channels, written to the output. */
static void transposed_task(void *arg, int task, int thread) {
  (void)thread;
  const conv_run_ctx *r = arg;
  const conv_state *s = r->s;
  const conv_geom *g = &s->g;
  const cpu_simd *v = s->simd;
  const int64_t plane = g->oh * g->ow, kdim = g->cg * g->kh * g->kw, nr = v->gemm_nr;
  const int64_t jpanels = cpu_div_up(g->mg, nr), tiles = s->tiles.count, blocks = cpu_div_up(tiles, s->tiles_per_task);
  int64_t t = task;
  const int64_t blk = t % blocks;
  t /= blocks;
  const int64_t jp = t % jpanels;
  t /= jpanels;
  const int64_t gi = t % g->g, img = t / g->g;
  const float *base = s->direct ? r->x + (img * g->c + gi * g->cg) * s->pplane
                                : r->ws + img * s->phase_floats + gi * g->cg * s->pplane;
  const float *a = s->packed + (gi * jpanels + jp) * kdim * nr;
  const int64_t j0 = jp * nr, nj = g->mg - j0 < nr ? g->mg - j0 : nr;
  float *yc = r->y + (img * g->m + gi * g->mg + j0) * plane;
  for (int64_t tile = blk * s->tiles_per_task; tile < (blk + 1) * s->tiles_per_task && tile < tiles; tile++) {
    const int64_t p0 = cpu_tile_t_start(&s->tiles, tile), p1 = cpu_tile_t_start(&s->tiles, tile + 1);
    const int64_t np = (p1 < plane ? p1 : plane) - p0;
    v->gemm_tile_t(g->cg, s->n_taps, s->tap_off, a, base, s->pplane, s->pos_in + p0, (int)np, yc + p0,
                   plane, (int)nj, r->bias + gi * g->mg + j0, r->z ? r->z + (yc - r->y) + p0 : NULL, &s->act);
  }
}

/* Row-split mode, one image and group at a time: first the whole im2col
 * (tasks = row ranges of it), then the GEMM by output-channel blocks. */
typedef struct row_split_ctx {
  const conv_run_ctx *r;
  int64_t img, gi;
  const float *bmat;
  int64_t ldb;
} row_split_ctx;

static void im2col_rows_task(void *arg, int task, int thread) {
  (void)thread;
  const row_split_ctx *rs = arg;
  const conv_state *s = rs->r->s;
  const conv_geom *g = &s->g;
  const int64_t kdim = g->cg * g->kh * g->kw, plane = g->oh * g->ow, per = cpu_div_up(kdim, s->threads);
  const int64_t r0 = task * per, r1 = r0 + per < kdim ? r0 + per : kdim;
  const float *xg = rs->r->x + (rs->img * g->c + rs->gi * g->cg) * g->h * g->w;
  if (r0 < r1) im2col(g, xg, r0, r1, 0, plane, rs->r->ws + r0 * plane, plane);
}

static void gemm_row_task(void *arg, int task, int thread) {
  (void)thread;
  const row_split_ctx *rs = arg;
  const conv_run_ctx *r = rs->r;
  const conv_state *s = r->s;
  const conv_geom *g = &s->g;
  const int64_t plane = g->oh * g->ow, kdim = g->cg * g->kh * g->kw;
  const int64_t m0 = task * s->block, m1 = m0 + s->block < g->mg ? m0 + s->block : g->mg;
  if (m0 >= m1) return;
  float *yg = r->y + (rs->img * g->m + rs->gi * g->mg + m0) * plane;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(m1 - m0), (int)plane, (int)kdim, 1.0f,
              r->w + (rs->gi * g->mg + m0) * kdim, (int)kdim, rs->bmat, (int)rs->ldb, 0.0f, yg, (int)plane);
  block_epilogue(r, rs->img, rs->gi, m0, m1, 0, plane);
}

/* Blocked depthwise: tasks are (image, channel block, band of output rows). */
static void depthwise_blocked_task(void *arg, int task, int thread) {
  const conv_run_ctx *r = arg;
  const conv_state *s = r->s;
  const conv_geom *g = &s->g;
  const int64_t vw = s->simd->vw, taps = g->kh * g->kw;
  const int64_t band = task % s->dw_bands, blk = (task / s->dw_bands) % s->dw_blocks;
  const int64_t img = task / s->dw_bands / s->dw_blocks, c0 = blk * vw;
  const int64_t oy0 = band * s->dw_rows, oy1 = oy0 + s->dw_rows < g->oh ? oy0 + s->dw_rows : g->oh;
  const int nch = (int)(g->c - c0 < vw ? g->c - c0 : vw);
  const float *wpk = s->dw_packed + blk * (taps + 1) * vw;
  s->simd->depthwise_blocked(&s->win, r->x + (img * g->c + c0) * g->h * g->w, nch, wpk, wpk + taps * vw, &s->act,
                             r->y + (img * g->c + c0) * g->oh * g->ow, oy0, oy1,
                             r->ws + (size_t)thread * s->ws_per_thread);
}

/* 1x1 convolutions of 1x1 planes: task = a block of output rows over
 * (image, group, channel), each a dot product of a weight row and the
 * image's group input, then bias, residual and activation. */
static void sgemv_task(void *arg, int task, int thread) {
  (void)thread;
  const chunked_ctx *sc = arg;
  const conv_run_ctx *r = sc->r;
  const conv_state *s = r->s;
  const conv_geom *g = &s->g;
  const int64_t rows = g->n * g->g * g->mg, r0 = task * sc->per_task;
  const int64_t r1 = r0 + sc->per_task < rows ? r0 + sc->per_task : rows;
  for (int64_t row = r0; row < r1;) {
    /* the run of rows [row, end) in one (image, group) */
    const int64_t ig = row / g->mg, img = ig / g->g, gi = ig % g->g, j0 = row % g->mg;
    const int64_t end = (ig + 1) * g->mg < r1 ? (ig + 1) * g->mg : r1, n = end - row;
    float *yv = r->y + img * g->m + gi * g->mg + j0;
    s->simd->dot_rows(r->w + (gi * g->mg + j0) * g->cg, g->cg, n, g->cg, r->x + img * g->c + gi * g->cg, yv);
    s->simd->add(yv, r->bias + gi * g->mg + j0, yv, n);
    if (r->z) s->simd->add(yv, r->z + img * g->m + gi * g->mg + j0, yv, n);
    s->simd->activation(yv, yv, n, &s->act);
    row = end;
  }
}

/* Depthwise: tasks are ranges of (image, channel) planes. */
static void depthwise_task(void *arg, int task, int thread) {
  const conv_run_ctx *r = arg;
  const conv_state *s = r->s;
  const conv_geom *g = &s->g;
  const int64_t total = g->n * g->c, per = cpu_div_up(total, (int64_t)s->threads * 4);
  const int64_t plane_in = g->h * g->w, plane = g->oh * g->ow, kk = g->kh * g->kw;
  for (int64_t p = task * per; p < (task + 1) * per && p < total; p++) {
    const int64_t c = p % g->c;
    if (s->dw_masks) {
      s->simd->depthwise_flat(&s->win, s->dw_masks, s->dw_toff, r->x + p * plane_in, r->w + c * kk, r->bias[c],
                              r->z ? r->z + p * plane : NULL, &s->act, r->y + p * plane);
      continue;
    }
    if (s->dw_zero_row) {
      s->simd->depthwise_s2(&s->win, r->x + p * plane_in, r->w + c * kk, r->bias[c], r->z ? r->z + p * plane : NULL,
                            &s->act, r->y + p * plane, s->dw_zero_row);
      continue;
    }
    s->simd->depthwise(&s->win, r->x + p * plane_in, r->w + c * kk, r->bias[c], r->z ? r->z + p * plane : NULL,
                       &s->act, r->y + p * plane, r->ws + (size_t)thread * s->ws_per_thread);
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
  conv_run_ctx r = {s, xt->data, s->weight ? s->weight : inputs[1]->data, s->bias, NULL, yt->data, workspace};
  if (s->has_bias_input) {
    if (n_inputs < 3 || !inputs[2]) return cpu_fail(err, err_size, "Conv: bias missing");
    r.bias = inputs[2]->data;
  }
  if (s->has_z) {
    if (n_inputs < 4 || !inputs[3]) return cpu_fail(err, err_size, "FusedConv: residual input Z missing");
    r.z = inputs[3]->data;
  }
  const int64_t plane = g->oh * g->ow, kdim = g->cg * g->kh * g->kw;
  if (g->n * g->m * plane == 0) return 0;
  if (kdim == 0) { /* no input channels: the epilogue of zeros */
    memset(r.y, 0, (size_t)(g->n * g->m * plane) * sizeof(float));
    for (int64_t img = 0; img < g->n; img++)
      for (int64_t gi = 0; gi < g->g; gi++) block_epilogue(&r, img, gi, 0, g->mg, 0, plane);
    return 0;
  }
  if (s->ws && !workspace) return cpu_fail(err, err_size, "Conv: no workspace");
  if (s->path == PATH_PACKED && s->direct && plane == 1) {
    /* 1x1 planes (squeeze-excitation): matrix-vector products, split into
     * blocks of rows when big enough to share (EfficientNet's 1152 x 48). */
    const int64_t rows = g->n * g->g * g->mg, macs = rows * g->cg;
    int64_t per = macs < 16384 || s->threads < 2 ? rows : cpu_div_up(rows, (int64_t)s->threads * 2);
    if (per < 16) per = 16;
    chunked_ctx sc = {&r, per, 1};
    rn_cpu_parallel(s->threads, (int)cpu_div_up(rows, per), sgemv_task, &sc);
    return 0;
  }
  if (s->path == PATH_PACKED) {
    if (!s->direct) {
      const int64_t pairs = g->n * g->c, want = 4 * (int64_t)s->threads, tasks = pairs < want ? pairs : want;
      int64_t bands = s->threads > 1 && pairs < want ? cpu_div_up(want, pairs) : 1;
      if (bands > s->hq) bands = s->hq;
      chunked_ctx pc = {&r, cpu_div_up(pairs, tasks), bands};
      rn_cpu_parallel(s->threads, (int)(cpu_div_up(pairs, pc.per_task) * bands), phase_task, &pc);
    }
    if (s->transposed) {
      const int64_t jpanels = cpu_div_up(g->mg, s->simd->gemm_nr);
      int64_t tasks = g->n * g->g * jpanels * cpu_div_up(s->tiles.count, s->tiles_per_task);
      rn_cpu_parallel(s->threads, (int)tasks, transposed_task, &r);
      return 0;
    }
    const int64_t ext_panels = cpu_div_up(s->ext, s->simd->gemm_nr), mpanels = cpu_div_up(g->mg, packed_mr(s));
    int64_t tasks = g->n * g->g * cpu_div_up(ext_panels, s->col_panels) * cpu_div_up(mpanels, s->row_panels);
    rn_cpu_parallel(s->threads, (int)tasks, packed_task, &r);
  } else if (s->path == PATH_WINOGRAD) {
    rn_cpu_winograd_run(&s->wino, s->threads, r.x, s->wino_weights, r.bias, r.z, r.y, workspace);
  } else if (s->path == PATH_DEPTHWISE && s->dw_packed) {
    rn_cpu_parallel(s->threads, (int)(g->n * s->dw_blocks * s->dw_bands), depthwise_blocked_task, &r);
  } else if (s->path == PATH_DEPTHWISE) {
    int64_t total = g->n * g->c, per = cpu_div_up(total, (int64_t)s->threads * 4);
    rn_cpu_parallel(s->threads, (int)cpu_div_up(total, per), depthwise_task, &r);
  } else if (!s->split_rows) {
    rn_cpu_parallel(s->threads, (int)(g->n * g->g * s->blocks), gemm_column_task, &r);
  } else {
    for (int64_t img = 0; img < g->n; img++)
      for (int64_t gi = 0; gi < g->g; gi++) {
        row_split_ctx rs = {&r, img, gi, r.x + (img * g->c + gi * g->cg) * g->h * g->w, plane};
        if (s->im2col) {
          rn_cpu_parallel(s->threads, s->threads, im2col_rows_task, &rs);
          rs.bmat = r.ws;
        }
        rn_cpu_parallel(s->threads, (int)s->blocks, gemm_row_task, &rs);
      }
  }
  return 0;
}
