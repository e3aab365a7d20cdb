/* Winograd F(4x4, 3x3) convolution (Lavin & Gray, "Fast Algorithms for
 * Convolutional Neural Networks", 2016): each 4x4 output tile comes from a
 * 6x6 input tile with 36 multiplies per (input, output) channel pair
 * instead of 144, i.e. 4x fewer; F(2x2, 3x3), for planes too small for
 * enough 4x4 tiles (14x14), 2x2 tiles from 4x4 with 16 instead of 36, 2.25x
 * fewer. The multiplies are (tile + 2)^2 independent GEMMs
 *     M[xi] (M x T) = U[xi] (M x C) * V[xi] (C x T),   xi = 0..35 (or 15),
 * with U the transformed weights (once, in prepare), V the transformed
 * input tiles and T the number of tiles (all images of the batch). A run
 * has three parallel phases: input transform (by channel), the GEMMs (by
 * xi and block of output channels), output transform + epilogue (by output
 * channel). The GEMMs run on the plugin's micro-kernel: U is packed into its
 * row panels in prepare, and the input transform writes V straight into its
 * column panels [xi][tile panel][C][NR]. Where the tiles fill those NR-wide
 * column panels badly (49 tiles: 64 columns computed), they run on the
 * transposed tile instead (rows = MR tiles, vectors = NR output channels:
 * 49 = 4 x 12 + 1), U packed into channel panels [xi][panel][C][NR] and V
 * laid out [xi][C][T]. */
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "winograd.h"

/* G g G^T for one 3x3 kernel g; u is 6x6 (tile 4) or 4x4 (tile 2), row-major. */
static void transform_kernel(int tile, const float *g, float *u) {
  static const double G4[6][3] = {{1.0 / 4, 0, 0},
                                  {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                  {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                  {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                  {1.0 / 24, -1.0 / 12, 1.0 / 6},
                                  {0, 0, 1}};
  static const double G2[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
  const double(*G)[3] = tile == 4 ? G4 : G2;
  const int a = tile + 2;
  double t[6][3];
  for (int i = 0; i < a; i++)
    for (int j = 0; j < 3; j++) t[i][j] = G[i][0] * g[j] + G[i][1] * g[3 + j] + G[i][2] * g[6 + j];
  for (int i = 0; i < a; i++)
    for (int j = 0; j < a; j++) u[i * a + j] = (float)(t[i][0] * G[j][0] + t[i][1] * G[j][1] + t[i][2] * G[j][2]);
}

/* Transformed values per tile: (tile + 2)^2. */
static int64_t xis(const cpu_winograd *g) { return (int64_t)(g->tile + 2) * (g->tile + 2); }

int rn_cpu_winograd_tile(int64_t n, int64_t c, int64_t m, int64_t oh, int64_t ow) {
  /* Few tiles: the transformed weight matrices (4x the weight bytes for
   * F(4x4), 1.8x for F(2x2)) cost more to stream than the multiplies saved
   * (measured on ResNet-50: F(4x4) slower than the implicit GEMM at 16
   * tiles, faster at 49). */
  if (c < 8 || m < 8) return 0;
  int64_t tiles4 = n * ((oh + 3) / 4) * ((ow + 3) / 4), tiles2 = n * ((oh + 1) / 2) * ((ow + 1) / 2);
  if (tiles4 >= 32 && cpu_fits(36 * c * tiles4) && cpu_fits(36 * m * tiles4)) return 4;
  if (tiles2 >= 32 && cpu_fits(16 * c * tiles2) && cpu_fits(16 * m * tiles2) && !getenv("RN_CPU_NO_WINOGRAD2"))
    return 2;
  return 0;
}

/* Tiles of all images, and their column panels. */
static int64_t tile_count(const cpu_winograd *g) { return g->n * g->th * g->tw; }
static int64_t tile_panels(const cpu_winograd *g) { return cpu_div_up(tile_count(g), g->simd->gemm_nr); }

int rn_cpu_winograd_transposed(const cpu_winograd *g) {
  const int64_t t = tile_count(g);
  return !getenv("RN_CPU_NO_TRANSPOSED") && cpu_prefer_transposed(t, t, g->m, g->simd->gemm_mr, g->simd->gemm_nr);
}

float *rn_cpu_winograd_weights(const cpu_winograd *g, const float *w) {
  /* Panels of `width` output channels: the micro-kernel's rows (MR) or the
   * transposed tile's vectors (NR). */
  const int64_t width = g->transposed ? g->simd->gemm_nr : g->simd->gemm_mr;
  const int64_t mpanels = cpu_div_up(g->m, width), c = g->c, nxi = xis(g);
  float *u = aligned_alloc(64, ((size_t)(nxi * mpanels * width * c) * sizeof(float) + 63) / 64 * 64);
  if (!u) return NULL;
  float t[36];
  /* U[xi] as panels: u[((xi * mpanels + panel) * C + ci) * width + r]. */
  for (int64_t o = 0; o < mpanels * width; o++)
    for (int64_t i = 0; i < c; i++) {
      if (o < g->m) transform_kernel(g->tile, w + (o * c + i) * 9, t);
      else memset(t, 0, sizeof t);
      for (int64_t xi = 0; xi < nxi; xi++) u[((xi * mpanels + o / width) * c + i) * width + o % width] = t[xi];
    }
  return u;
}

size_t rn_cpu_winograd_workspace(const cpu_winograd *g) {
  const int64_t padded = g->transposed ? tile_count(g) : tile_panels(g) * g->simd->gemm_nr;
  return (size_t)(xis(g) * padded * g->c + xis(g) * tile_count(g) * g->m) * sizeof(float);
}

typedef struct wino_run {
  const cpu_winograd *g;
  const float *x, *u, *bias, *z;
  float *y, *v, *mo; /* V [xi][tile panel][C][NR] (transposed: [xi][C][T]), M [xi][M][T] */
  int64_t tiles;     /* T */
  int64_t per_task;
  int64_t row_panels; /* GEMM tasks: output-channel panels per task */
} wino_run;

static void input_task(void *arg, int task, int thread) {
  (void)thread;
  const wino_run *r = arg;
  const cpu_winograd *g = r->g;
  const int64_t nr = g->simd->gemm_nr, planes = g->n * g->c, tiles = tile_count(g);
  const int64_t xi_stride = g->transposed ? g->c * tiles : tile_panels(g) * g->c * nr;
  for (int64_t p = task * r->per_task; p < (task + 1) * r->per_task && p < planes; p++) {
    const int64_t img = p / g->c, ch = p % g->c;
    const float *xp = r->x + p * g->h * g->w;
    for (int64_t ty = 0; ty < g->th; ty++) {
      const float *rows[6];
      for (int i = 0; i < g->tile + 2; i++) {
        int64_t yy = ty * g->tile - g->pt + i;
        rows[i] = yy >= 0 && yy < g->h ? xp + yy * g->w : NULL;
      }
      for (int64_t tx = 0; tx < g->tw;) {
        /* A run of tiles that stays in one column panel (transposed: in
         * the channel's row of V). */
        const int64_t t = (img * g->th + ty) * g->tw + tx, lane = t % nr;
        int64_t n = g->tw - tx;
        if (n > CPU_WINO_TILES) n = CPU_WINO_TILES;
        if (!g->transposed && n > nr - lane) n = nr - lane;
        float *dst = g->transposed ? r->v + ch * tiles + t : r->v + ((t / nr) * g->c + ch) * nr + lane;
        (g->tile == 4 ? g->simd->winograd_input : g->simd->winograd2_input)(rows, tx * g->tile - g->pl, g->w, (int)n,
                                                                             dst, xi_stride);
        tx += n;
      }
    }
  }
}

/* The lanes of the last column panel past T: zeros, so that the unused
 * columns the micro-kernel computes stay finite (and fast). */
static void clear_tail_lanes(const wino_run *r) {
  const cpu_winograd *g = r->g;
  const int64_t nr = g->simd->gemm_nr, panels = tile_panels(g), used = r->tiles - (panels - 1) * nr;
  if (used == nr) return;
  for (int64_t xi = 0; xi < xis(g); xi++)
    for (int64_t c = 0; c < g->c; c++)
      memset(r->v + ((xi * panels + panels - 1) * g->c + c) * nr + used, 0, (size_t)(nr - used) * sizeof(float));
}

/* Task = (xi, block of output-channel panels): every tile panel. */
static void gemm_task(void *arg, int task, int thread) {
  (void)thread;
  const wino_run *r = arg;
  const cpu_winograd *g = r->g;
  const cpu_simd *v = g->simd;
  const int64_t mr = v->gemm_mr, nr = v->gemm_nr, mpanels = cpu_div_up(g->m, mr), tpanels = tile_panels(g);
  const int64_t blocks = cpu_div_up(mpanels, r->row_panels), xi = task / blocks, blk = task % blocks;
  const int64_t p0 = blk * r->row_panels, p1 = p0 + r->row_panels < mpanels ? p0 + r->row_panels : mpanels;
  const float *u = r->u + xi * mpanels * g->c * mr;
  const float *vx = r->v + xi * tpanels * g->c * nr;
  float *mo = r->mo + xi * g->m * r->tiles;
  for (int64_t tp = 0; tp < tpanels; tp++) {
    const int64_t cols = r->tiles - tp * nr < nr ? r->tiles - tp * nr : nr;
    for (int64_t p = p0; p < p1; p++) {
      const int64_t rows = g->m - p * mr < mr ? g->m - p * mr : mr;
      v->gemm_tile(g->c, 1, NULL, u + p * g->c * mr, vx + tp * g->c * nr, nr, mo + p * mr * r->tiles + tp * nr, r->tiles,
                   (int)rows, (int)cols, NULL);
    }
  }
}

/* Transposed: task = (xi, block of output-channel panels of NR); each
 * panel's MR-tile rows, from V [xi][C][T], into M [xi][M][T]. */
static void gemm_t_task(void *arg, int task, int thread) {
  (void)thread;
  const wino_run *r = arg;
  const cpu_winograd *g = r->g;
  const cpu_simd *v = g->simd;
  const int64_t mr = v->gemm_mr, nr = v->gemm_nr, jpanels = cpu_div_up(g->m, nr);
  const int64_t blocks = cpu_div_up(jpanels, r->row_panels), xi = task / blocks, blk = task % blocks;
  const int64_t jp0 = blk * r->row_panels, jp1 = jp0 + r->row_panels < jpanels ? jp0 + r->row_panels : jpanels;
  const float *vx = r->v + xi * g->c * r->tiles;
  float *mo = r->mo + xi * g->m * r->tiles;
  const cpu_tiles_t rows = cpu_tiles_t_of(r->tiles, mr, v->gemm_mr_t_max);
  int64_t pos[CPU_MAX_MR];
  for (int64_t jp = jp0; jp < jp1; jp++) {
    const float *u = r->u + (xi * jpanels + jp) * g->c * nr;
    const int64_t j0 = jp * nr, nj = g->m - j0 < nr ? g->m - j0 : nr;
    for (int64_t ti = 0; ti < rows.count; ti++) {
      const int64_t p0 = cpu_tile_t_start(&rows, ti), p1 = cpu_tile_t_start(&rows, ti + 1);
      const int64_t np = (p1 < r->tiles ? p1 : r->tiles) - p0;
      for (int64_t i = 0; i < np; i++) pos[i] = p0 + i;
      v->gemm_tile_t(g->c, 1, NULL, u, vx, r->tiles, pos, (int)np, mo + j0 * r->tiles + p0, r->tiles, (int)nj, NULL, NULL,
                     NULL);
    }
  }
}

static void output_task(void *arg, int task, int thread) {
  (void)thread;
  const wino_run *r = arg;
  const cpu_winograd *g = r->g;
  const int64_t planes = g->n * g->m, plane = g->oh * g->ow, xi_stride = g->m * r->tiles;
  for (int64_t p = task * r->per_task; p < (task + 1) * r->per_task && p < planes; p++) {
    const int64_t img = p / g->m, oc = p % g->m;
    const float *mp = r->mo + oc * r->tiles + img * g->th * g->tw;
    float *yp = r->y + p * plane;
    for (int64_t ty = 0; ty < g->th; ty++) {
      float *rows[4];
      for (int i = 0; i < g->tile; i++) rows[i] = ty * g->tile + i < g->oh ? yp + (ty * g->tile + i) * g->ow : NULL;
      for (int64_t tx = 0; tx < g->tw; tx += CPU_WINO_TILES) {
        int n = (int)(g->tw - tx < CPU_WINO_TILES ? g->tw - tx : CPU_WINO_TILES);
        (g->tile == 4 ? g->simd->winograd_output : g->simd->winograd2_output)(mp + ty * g->tw + tx, xi_stride, n, rows,
                                                                              tx * g->tile, g->ow);
      }
    }
    g->simd->epilogue(yp, plane, r->bias[oc], r->z ? r->z + p * plane : NULL, &g->act);
  }
}

void rn_cpu_winograd_run(const cpu_winograd *g, int threads, const float *x, const float *u, const float *bias,
                         const float *z, float *y, float *workspace) {
  wino_run r = {g, x, u, bias, z, y, workspace, NULL, tile_count(g), 0, 0};
  const int64_t nxi = xis(g);
  r.mo = r.v + nxi * (g->transposed ? tile_count(g) : tile_panels(g) * g->simd->gemm_nr) * g->c;
  if (!g->transposed) clear_tail_lanes(&r);
  int64_t planes = g->n * g->c, tasks = planes < threads * 4 ? planes : threads * 4;
  r.per_task = (planes + tasks - 1) / tasks;
  rn_cpu_parallel(threads, (int)((planes + r.per_task - 1) / r.per_task), input_task, &r);
  /* The GEMMs; split their rows too when the threads would not share them evenly. */
  const int64_t mpanels = cpu_div_up(g->m, g->transposed ? g->simd->gemm_nr : g->simd->gemm_mr);
  r.row_panels = threads > 1 && nxi % threads != 0 ? cpu_div_up(mpanels, 4) : mpanels;
  rn_cpu_parallel(threads, (int)(nxi * cpu_div_up(mpanels, r.row_panels)), g->transposed ? gemm_t_task : gemm_task, &r);
  planes = g->n * g->m, tasks = planes < threads * 4 ? planes : threads * 4;
  r.per_task = (planes + tasks - 1) / tasks;
  rn_cpu_parallel(threads, (int)((planes + r.per_task - 1) / r.per_task), output_task, &r);
}
