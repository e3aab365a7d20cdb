/* rn-plugin-cpu internals: the kernels' tables and shared helpers. Plugin
 * code includes only rn_plugin.h (the ABI), cblas.h and libc. */
#ifndef RN_CPU_PLUGIN_H
#define RN_CPU_PLUGIN_H

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include "rn_plugin.h"

#define CPU_SCORE 10 /* beats rn's reference kernel (1) */
#define CPU_FLOAT 1  /* ONNX TensorProto.FLOAT */

/* OpenBLAS's own thread control (not in cblas.h on every version). */
void openblas_set_num_threads(int num_threads);

/* The kernels' entry points (see rn_plugin_kernel). */
#define CPU_DECLARE_KERNEL(op)                                                                        \
  int rn_cpu_##op##_supports(const rn_plugin_host *host, const rn_plugin_node *node);                 \
  int rn_cpu_##op##_prepare(const rn_plugin_host *host, const rn_plugin_node *node, void **state,     \
                            char *err, size_t err_size);                                              \
  size_t rn_cpu_##op##_workspace(const void *state);                                                  \
  int rn_cpu_##op##_run(const void *state, const rn_plugin_tensor *const *inputs, int n_inputs,       \
                        rn_plugin_tensor *const *outputs, int n_outputs, void *workspace, char *err,  \
                        size_t err_size);                                                             \
  void rn_cpu_##op##_release(void *state);
CPU_DECLARE_KERNEL(conv)
CPU_DECLARE_KERNEL(gemm)
CPU_DECLARE_KERNEL(matmul)
CPU_DECLARE_KERNEL(maxpool)
CPU_DECLARE_KERNEL(global_avg)
CPU_DECLARE_KERNEL(eltwise)
CPU_DECLARE_KERNEL(softmax)
/* For kernels whose state is one malloc'd block and that need no workspace. */
size_t rn_cpu_no_workspace(const void *state);
void rn_cpu_free_state(void *state);

static inline int cpu_is_float(const rn_plugin_tensor *t) { return t && t->dtype == CPU_FLOAT; }

static inline int64_t cpu_numel(const rn_plugin_tensor *t) {
  int64_t n = 1;
  for (int d = 0; d < t->rank; d++) n *= t->dims[d];
  return n;
}

static inline int64_t cpu_div_up(int64_t a, int64_t b) { return (a + b - 1) / b; }
static inline int64_t cpu_round_up(int64_t v, int64_t m) { return cpu_div_up(v, m) * m; }

/* The transposed tiles over n positions: MR each, except that where the
 * kernel table's tile takes one more (mr_max = MR + 1), the first n % MR
 * tiles do, when n is large enough, so that the tiles cover n exactly
 * (49 = 13 + 12 + 12 + 12) instead of ending on a short tile. Tile i
 * starts at position cpu_tile_t_start(&t, i) and has MR + (i < extra). */
typedef struct cpu_tiles_t {
  int64_t count, mr, extra;
} cpu_tiles_t;

static inline cpu_tiles_t cpu_tiles_t_of(int64_t n, int64_t mr, int64_t mr_max) {
  const int64_t extra = n % mr;
  cpu_tiles_t t = {cpu_div_up(n, mr), mr, 0};
  if (mr_max > mr && extra > 0 && extra * (mr + 1) <= n) t.count = n / mr, t.extra = extra;
  return t;
}
static inline int64_t cpu_tile_t_start(const cpu_tiles_t *t, int64_t i) { return i * t->mr + (i < t->extra ? i : t->extra); }

/* Whether transposed tiles (MR positions x NR output channels) waste
 * clearly less work than the micro-kernel's (MR channels x NR positions)
 * on `positions` outputs of m channels, of which the micro-kernel would
 * compute `computed` positions (more where it also computes dropped ones). */
static inline int cpu_prefer_transposed(int64_t positions, int64_t computed, int64_t m, int64_t mr, int64_t nr) {
  const double util_cols = (double)positions / (double)cpu_round_up(computed, nr) * (double)m / (double)cpu_round_up(m, mr);
  const double util_rows = (double)positions / (double)cpu_round_up(positions, mr) * (double)m / (double)cpu_round_up(m, nr);
  return util_rows > util_cols + 0.05;
}

/* Reads the INTS attribute `name`: exactly n values, each in [lo, 2^20], or
 * `def` for all n when absent. 0 = ok. */
int rn_cpu_attr_ints(const rn_plugin_host *h, const rn_plugin_node *node, const char *name, int n, int64_t def,
                     int64_t lo, int64_t *out);

/* Dimension usable as a BLAS int. */
static inline int cpu_fits(int64_t v) { return v >= 0 && v <= INT_MAX / 2; }

static inline int cpu_fail(char *err, size_t err_size, const char *fmt, ...) {
  if (err && err_size) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_size, fmt, ap);
    va_end(ap);
  }
  return 1;
}

/* Puts OpenBLAS in single-threaded mode and stops the worker threads it
 * started when it loaded (once): the plugin's own pool (below) runs sgemm
 * calls in parallel instead. */
void rn_cpu_blas_single_threaded(void);

/* The thread pool (pool.c). A task gets its index in [0, n_tasks) and the
 * index of the thread running it in [0, threads), e.g. to pick a per-thread
 * slice of the workspace. Returns when every task has run. */
#define CPU_MAX_THREADS 64
typedef void (*cpu_task_fn)(void *ctx, int task, int thread);
void rn_cpu_parallel(int threads, int n_tasks, cpu_task_fn fn, void *ctx);
/* Starts the pool's workers for `threads` threads now (kernels' prepare):
 * the first run then finds them already placed on their own cores. */
void rn_cpu_pool_start(int threads);

/* cblas_sgemm (row-major) split over `threads` threads of the pool. */
void rn_cpu_sgemm(int threads, int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha, const float *a,
                  int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc);

/* Threads a kernel prepared under `host` may use. */
static inline int cpu_threads(const rn_plugin_host *host) {
  int t = host->threads;
  t = t < 1 ? 1 : (t > CPU_MAX_THREADS ? CPU_MAX_THREADS : t);
  if (t > 1) rn_cpu_pool_start(t);
  return t;
}

#endif
