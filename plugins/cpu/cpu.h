/* rn-plugin-cpu internals: the kernels' tables and shared helpers. Plugin
 * code includes only rn_plugin.h (the ABI), cblas.h and libc. */
#ifndef RN_CPU_PLUGIN_H
#define RN_CPU_PLUGIN_H

#include <limits.h>
#include <stdarg.h>
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

static inline int cpu_is_float(const rn_plugin_tensor *t) { return t && t->dtype == CPU_FLOAT; }

static inline int64_t cpu_numel(const rn_plugin_tensor *t) {
  int64_t n = 1;
  for (int d = 0; d < t->rank; d++) n *= t->dims[d];
  return n;
}

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

/* Sets OpenBLAS's thread count once per distinct value (prepare only). */
void rn_cpu_set_threads(int threads);

#endif
