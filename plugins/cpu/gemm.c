/* Gemm (transA, transB, alpha, beta, C broadcast to [M, N]) and MatMul
 * (numpy semantics: 1-D operands, broadcast batch dims), float32, on
 * cblas_sgemm. */
#include <cblas.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "simd.h"

/* ------------------------------------------------ sgemm on the thread pool */

typedef struct sgemm_args {
  int ta, tb;
  int64_t m, n, k;
  float alpha, beta;
  const float *a, *b;
  float *c;
  int64_t lda, ldb, ldc;
  int split_n; /* blocks of columns (else of rows) */
  int64_t block;
} sgemm_args;

static void sgemm_task(void *arg, int task, int thread) {
  (void)thread;
  const sgemm_args *g = arg;
  int64_t lo = task * g->block, hi = lo + g->block, len = g->split_n ? g->n : g->m;
  if (hi > len) hi = len;
  if (lo >= hi) return;
  const float *a = g->a, *b = g->b;
  float *c = g->c;
  int64_t m = g->m, n = g->n;
  if (g->split_n) {
    b += g->tb ? lo * g->ldb : lo;
    c += lo, n = hi - lo;
  } else {
    a += g->ta ? lo : lo * g->lda;
    c += lo * g->ldc, m = hi - lo;
  }
  if (m == 1 && g->tb && (!g->ta || g->lda == 1)) {
    /* A row vector times B^T (classifier heads at batch 1): dot products
     * of B's rows, streamed from memory once by the plugin's own kernel
     * (ResNet-50's 2048 x 1000 head, 1 thread, in the model: 0.70 -> 0.44
     * ms against OpenBLAS 0.3.21's sgemv on Zen 4). */
    const cpu_simd *v = rn_cpu_simd();
    float dots[256];
    for (int64_t i0 = 0; i0 < n; i0 += 256) {
      const int64_t len = n - i0 < 256 ? n - i0 : 256;
      v->dot_rows(b + i0 * g->ldb, g->ldb, len, g->k, a, dots);
      for (int64_t i = 0; i < len; i++) /* beta 0: C is not read (BLAS's rule) */
        c[i0 + i] = g->alpha * dots[i] + (g->beta != 0.0f ? g->beta * c[i0 + i] : 0.0f);
    }
    return;
  }
  if (m == 1) { /* a row vector times B not transposed: sgemv streams B once */
    cblas_sgemv(CblasRowMajor, g->tb ? CblasNoTrans : CblasTrans, g->tb ? (int)n : (int)g->k,
                g->tb ? (int)g->k : (int)n, g->alpha, b, (int)g->ldb, a, g->ta ? (int)g->lda : 1, g->beta, c, 1);
    return;
  }
  cblas_sgemm(CblasRowMajor, g->ta ? CblasTrans : CblasNoTrans, g->tb ? CblasTrans : CblasNoTrans, (int)m, (int)n,
              (int)g->k, g->alpha, a, (int)g->lda, b, (int)g->ldb, g->beta, c, (int)g->ldc);
}

void rn_cpu_sgemm(int threads, int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha, const float *a,
                  int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc) {
  sgemm_args g = {ta, tb, m, n, k, alpha, beta, a, b, c, lda, ldb, ldc, n >= m, 0};
  /* Too little work to share: one call (thread hand-off costs microseconds). */
  if (m * n * k < 64 * 64 * 64 || threads < 2) threads = 1;
  int64_t len = g.split_n ? n : m;
  g.block = (len + threads - 1) / threads;
  g.block = (g.block + 15) / 16 * 16;
  rn_cpu_parallel(threads, (int)((len + g.block - 1) / g.block), sgemm_task, &g);
}

/* ------------------------------------------------------------------ Gemm */

typedef struct gemm_state {
  int64_t m, n, k;
  int ta, tb;
  float alpha, beta;
  int has_c;
  int64_t cm, cn; /* C's shape as [cm, cn], each 1 or the full size */
  int threads;
} gemm_state;

static int gemm_setup(const rn_plugin_host *h, const rn_plugin_node *node, gemm_state *s) {
  memset(s, 0, sizeof *s);
  int nin = h->node_input_count(node);
  if (nin < 2 || nin > 3 || h->node_output_count(node) < 1) return 1;
  const rn_plugin_tensor *a = h->node_input(node, 0), *b = h->node_input(node, 1);
  const rn_plugin_tensor *c = nin > 2 ? h->node_input(node, 2) : NULL, *y = h->node_output(node, 0);
  if (!cpu_is_float(a) || !cpu_is_float(b) || !cpu_is_float(y) || (c && !cpu_is_float(c))) return 1;
  if (a->rank != 2 || b->rank != 2 || y->rank != 2) return 1;
  s->ta = h->attr_int(node, "transA", 0) != 0;
  s->tb = h->attr_int(node, "transB", 0) != 0;
  s->alpha = h->attr_float(node, "alpha", 1.0f);
  s->beta = h->attr_float(node, "beta", 1.0f);
  s->m = s->ta ? a->dims[1] : a->dims[0];
  s->k = s->ta ? a->dims[0] : a->dims[1];
  int64_t kb = s->tb ? b->dims[1] : b->dims[0];
  s->n = s->tb ? b->dims[0] : b->dims[1];
  if (kb != s->k || y->dims[0] != s->m || y->dims[1] != s->n) return 1;
  if (!cpu_fits(s->m) || !cpu_fits(s->n) || !cpu_fits(s->k) || !cpu_fits(a->dims[0]) || !cpu_fits(a->dims[1]) ||
      !cpu_fits(b->dims[0]) || !cpu_fits(b->dims[1]))
    return 1;
  if (c) {
    if (c->rank > 2) return 1;
    s->has_c = 1;
    s->cm = c->rank == 2 ? c->dims[0] : 1;
    s->cn = c->rank >= 1 ? c->dims[c->rank - 1] : 1;
    if ((s->cm != 1 && s->cm != s->m) || (s->cn != 1 && s->cn != s->n)) return 1;
  }
  return 0;
}

int rn_cpu_gemm_supports(const rn_plugin_host *host, const rn_plugin_node *node) {
  gemm_state s;
  return gemm_setup(host, node, &s) == 0 ? CPU_SCORE : 0;
}

int rn_cpu_gemm_prepare(const rn_plugin_host *host, const rn_plugin_node *node, void **state, char *err,
                        size_t err_size) {
  gemm_state *s = malloc(sizeof *s);
  if (!s) return cpu_fail(err, err_size, "out of memory");
  if (gemm_setup(host, node, s)) {
    free(s);
    return cpu_fail(err, err_size, "Gemm shapes not supported");
  }
  rn_cpu_blas_single_threaded();
  s->threads = cpu_threads(host);
  *state = s;
  return 0;
}

size_t rn_cpu_gemm_workspace(const void *state) { return 0; }
void rn_cpu_gemm_release(void *state) { free(state); }

int rn_cpu_gemm_run(const void *state, const rn_plugin_tensor *const *inputs, int n_inputs,
                    rn_plugin_tensor *const *outputs, int n_outputs, void *workspace, char *err, size_t err_size) {
  const gemm_state *s = state;
  if (n_inputs < 2 || n_outputs < 1 || !inputs[0] || !inputs[1] || !outputs[0])
    return cpu_fail(err, err_size, "Gemm: missing input or output");
  const rn_plugin_tensor *at = inputs[0], *bt = inputs[1], *ct = s->has_c && n_inputs > 2 ? inputs[2] : NULL;
  rn_plugin_tensor *yt = outputs[0];
  if (s->has_c && !ct) return cpu_fail(err, err_size, "Gemm: C missing");
  int64_t ar = s->ta ? s->k : s->m, ac = s->ta ? s->m : s->k, br = s->tb ? s->n : s->k, bc = s->tb ? s->k : s->n;
  if (at->rank != 2 || at->dims[0] != ar || at->dims[1] != ac || bt->rank != 2 || bt->dims[0] != br ||
      bt->dims[1] != bc || yt->rank != 2 || yt->dims[0] != s->m || yt->dims[1] != s->n ||
      (ct && cpu_numel(ct) != s->cm * s->cn))
    return cpu_fail(err, err_size, "Gemm: shapes differ from the ones it was prepared for");
  float *y = yt->data;
  if (s->m * s->n == 0) return 0;
  float beta = 0.0f;
  if (ct) {
    const float *c = ct->data;
    for (int64_t i = 0; i < s->m; i++) {
      const float *cr = c + (s->cm == 1 ? 0 : i * s->cn);
      float *yr = y + i * s->n;
      if (s->cn == 1)
        for (int64_t j = 0; j < s->n; j++) yr[j] = s->beta * cr[0];
      else
        for (int64_t j = 0; j < s->n; j++) yr[j] = s->beta * cr[j];
    }
    beta = 1.0f;
  }
  if (s->k == 0) {
    if (!ct) memset(y, 0, (size_t)(s->m * s->n) * sizeof(float));
    return 0;
  }
  rn_cpu_sgemm(s->threads, s->ta, s->tb, s->m, s->n, s->k, s->alpha, at->data, ac > 0 ? ac : 1, bt->data,
               bc > 0 ? bc : 1, beta, y, s->n);
  return 0;
}

/* ---------------------------------------------------------------- MatMul */

typedef struct matmul_state {
  int64_t m, n, k;
  int rank;                             /* of the broadcast batch */
  int64_t batch[RN_PLUGIN_MAX_RANK];    /* output batch dims */
  int64_t a_stride[RN_PLUGIN_MAX_RANK]; /* per batch dim, in matrices (0 = broadcast) */
  int64_t b_stride[RN_PLUGIN_MAX_RANK];
  int64_t nbatch;
  int fold_a;                           /* B has no batch, A contiguous: one sgemm [batch*M, K] */
  int64_t a_dims[RN_PLUGIN_MAX_RANK], b_dims[RN_PLUGIN_MAX_RANK];
  int a_rank, b_rank;
  int threads;
} matmul_state;

static int matmul_setup(const rn_plugin_host *h, const rn_plugin_node *node, matmul_state *s) {
  memset(s, 0, sizeof *s);
  if (h->node_input_count(node) != 2 || h->node_output_count(node) < 1) return 1;
  const rn_plugin_tensor *a = h->node_input(node, 0), *b = h->node_input(node, 1), *y = h->node_output(node, 0);
  if (!cpu_is_float(a) || !cpu_is_float(b) || !cpu_is_float(y)) return 1;
  if (a->rank < 1 || b->rank < 1) return 1;
  s->a_rank = a->rank, s->b_rank = b->rank;
  memcpy(s->a_dims, a->dims, sizeof s->a_dims);
  memcpy(s->b_dims, b->dims, sizeof s->b_dims);
  /* Matrix views: a 1-D A is [1, K], a 1-D B is [K, 1]. */
  int64_t am = a->rank == 1 ? 1 : a->dims[a->rank - 2], ak = a->dims[a->rank - 1];
  int64_t bk = b->rank == 1 ? b->dims[0] : b->dims[b->rank - 2], bn = b->rank == 1 ? 1 : b->dims[b->rank - 1];
  if (ak != bk) return 1;
  s->m = am, s->n = bn, s->k = ak;
  if (!cpu_fits(s->m) || !cpu_fits(s->n) || !cpu_fits(s->k)) return 1;
  int abr = a->rank > 2 ? a->rank - 2 : 0, bbr = b->rank > 2 ? b->rank - 2 : 0;
  s->rank = abr > bbr ? abr : bbr;
  /* Strides of A's and B's batch dims, in matrices. */
  int64_t as[RN_PLUGIN_MAX_RANK], bs[RN_PLUGIN_MAX_RANK], acc = 1;
  for (int d = abr - 1; d >= 0; d--) as[d] = acc, acc *= a->dims[d];
  acc = 1;
  for (int d = bbr - 1; d >= 0; d--) bs[d] = acc, acc *= b->dims[d];
  s->nbatch = 1;
  for (int d = 0; d < s->rank; d++) {
    int ad = d - (s->rank - abr), bd = d - (s->rank - bbr);
    int64_t da = ad >= 0 ? a->dims[ad] : 1, db = bd >= 0 ? b->dims[bd] : 1;
    if (da != db && da != 1 && db != 1) return 1;
    s->batch[d] = da > db ? da : db;
    if (da == 0 || db == 0) s->batch[d] = 0;
    s->a_stride[d] = ad >= 0 && da != 1 ? as[ad] : 0;
    s->b_stride[d] = bd >= 0 && db != 1 ? bs[bd] : 0;
    s->nbatch *= s->batch[d];
  }
  /* The output shape: batch, then M unless A is 1-D, then N unless B is 1-D. */
  int64_t want[RN_PLUGIN_MAX_RANK + 2];
  int wr = 0;
  for (int d = 0; d < s->rank; d++) want[wr++] = s->batch[d];
  if (a->rank > 1) want[wr++] = s->m;
  if (b->rank > 1) want[wr++] = s->n;
  if (wr != y->rank) return 1;
  for (int d = 0; d < wr; d++)
    if (y->dims[d] != want[d]) return 1;
  /* B without batch dims and A's batch not broadcast: fold A's batch into M. */
  s->fold_a = bbr == 0 && s->rank == abr;
  if (s->fold_a && !cpu_fits(s->nbatch * s->m)) s->fold_a = 0;
  return 0;
}

int rn_cpu_matmul_supports(const rn_plugin_host *host, const rn_plugin_node *node) {
  matmul_state s;
  return matmul_setup(host, node, &s) == 0 ? CPU_SCORE : 0;
}

int rn_cpu_matmul_prepare(const rn_plugin_host *host, const rn_plugin_node *node, void **state, char *err,
                          size_t err_size) {
  matmul_state *s = malloc(sizeof *s);
  if (!s) return cpu_fail(err, err_size, "out of memory");
  if (matmul_setup(host, node, s)) {
    free(s);
    return cpu_fail(err, err_size, "MatMul shapes not supported");
  }
  rn_cpu_blas_single_threaded();
  s->threads = cpu_threads(host);
  *state = s;
  return 0;
}

size_t rn_cpu_matmul_workspace(const void *state) { return 0; }
void rn_cpu_matmul_release(void *state) { free(state); }

static int same_dims(const rn_plugin_tensor *t, int rank, const int64_t *dims) {
  if (t->rank != rank) return 0;
  for (int d = 0; d < rank; d++)
    if (t->dims[d] != dims[d]) return 0;
  return 1;
}

int rn_cpu_matmul_run(const void *state, const rn_plugin_tensor *const *inputs, int n_inputs,
                      rn_plugin_tensor *const *outputs, int n_outputs, void *workspace, char *err,
                      size_t err_size) {
  const matmul_state *s = state;
  if (n_inputs < 2 || n_outputs < 1 || !inputs[0] || !inputs[1] || !outputs[0])
    return cpu_fail(err, err_size, "MatMul: missing input or output");
  if (!same_dims(inputs[0], s->a_rank, s->a_dims) || !same_dims(inputs[1], s->b_rank, s->b_dims) ||
      cpu_numel(outputs[0]) != s->nbatch * s->m * s->n)
    return cpu_fail(err, err_size, "MatMul: shapes differ from the ones it was prepared for");
  const float *a = inputs[0]->data, *b = inputs[1]->data;
  float *y = outputs[0]->data;
  int64_t total = s->nbatch * s->m * s->n;
  if (total == 0) return 0;
  if (s->k == 0) {
    memset(y, 0, (size_t)total * sizeof(float));
    return 0;
  }
  const int lda = (int)s->k, ldb = (int)s->n, ldc = (int)s->n;
  if (s->fold_a) {
    rn_cpu_sgemm(s->threads, 0, 0, s->nbatch * s->m, s->n, s->k, 1.0f, a, lda, b, ldb, 0.0f, y, ldc);
    return 0;
  }
  const int64_t amat = s->m * s->k, bmat = s->k * s->n, ymat = s->m * s->n;
  int64_t idx[RN_PLUGIN_MAX_RANK] = {0};
  for (int64_t bi = 0; bi < s->nbatch; bi++) {
    int64_t ao = 0, bo = 0;
    for (int d = 0; d < s->rank; d++) ao += idx[d] * s->a_stride[d], bo += idx[d] * s->b_stride[d];
    float *yb = y + bi * ymat;
    if (s->n == 1) /* matrix-vector: B's column is contiguous */
      cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)s->m, (int)s->k, 1.0f, a + ao * amat, lda, b + bo * bmat, 1,
                  0.0f, yb, 1);
    else
      rn_cpu_sgemm(s->threads, 0, 0, s->m, s->n, s->k, 1.0f, a + ao * amat, lda, b + bo * bmat, ldb, 0.0f, yb, ldc);
    for (int d = s->rank - 1; d >= 0; d--) {
      if (++idx[d] < s->batch[d]) break;
      idx[d] = 0;
    }
  }
  return 0;
}
