/* rn-plugin-cpu: the plugin table and its entry point. */
#include <stdatomic.h>
#include <stdlib.h>

#include "cpu.h"

#define CPU_KERNEL(domain, op_type, op, since, max)                                                    \
  {RN_PLUGIN_ABI_VERSION, domain, op_type, since, max, rn_cpu_##op##_supports, rn_cpu_##op##_prepare,     \
   rn_cpu_##op##_workspace, rn_cpu_##op##_run, rn_cpu_##op##_release}

/* Kernels without state beyond one malloc'd block. */
#define CPU_SIMPLE_KERNEL(domain, op_type, op, since, max)                                            \
  {RN_PLUGIN_ABI_VERSION, domain, op_type, since, max, rn_cpu_##op##_supports, rn_cpu_##op##_prepare, \
   rn_cpu_no_workspace, rn_cpu_##op##_run, rn_cpu_free_state}

static const rn_plugin_kernel kernels[] = {
    CPU_KERNEL("", "Conv", conv, 1, 21),
    CPU_KERNEL("rn", "FusedConv", conv, 1, 1),
    CPU_KERNEL("", "Gemm", gemm, 1, 21),
    CPU_KERNEL("", "MatMul", matmul, 1, 21),
    CPU_SIMPLE_KERNEL("", "MaxPool", maxpool, 1, 21),
    CPU_SIMPLE_KERNEL("", "GlobalAveragePool", global_avg, 1, 21),
    CPU_SIMPLE_KERNEL("", "Add", eltwise, 7, 21),
    CPU_SIMPLE_KERNEL("", "Mul", eltwise, 7, 21),
    CPU_SIMPLE_KERNEL("", "Relu", eltwise, 6, 21),
    CPU_SIMPLE_KERNEL("", "Sigmoid", eltwise, 6, 21),
    CPU_SIMPLE_KERNEL("", "Softmax", softmax, 1, 21),
};

static const rn_plugin table = {
    RN_PLUGIN_ABI_VERSION,
    sizeof(rn_plugin),
    "cpu",
    "0.1.0",
    "float32 Conv/FusedConv (GEMM on OpenBLAS, vector depthwise), Gemm, MatMul, pooling, element-wise, Softmax",
    0,
    NULL,
    (int)(sizeof kernels / sizeof kernels[0]),
    kernels,
};

int rn_cpu_attr_ints(const rn_plugin_host *h, const rn_plugin_node *node, const char *name, int n, int64_t def,
                     int64_t lo, int64_t *out) {
  const int64_t *v = NULL;
  int cnt = h->attr_ints(node, name, &v);
  for (int i = 0; i < n; i++) out[i] = def;
  if (cnt < 0) return 0;
  if (cnt != n || !v) return 1;
  for (int i = 0; i < n; i++) {
    if (v[i] < lo || v[i] > (1 << 20)) return 1;
    out[i] = v[i];
  }
  return 0;
}

size_t rn_cpu_no_workspace(const void *state) {
  (void)state;
  return 0;
}
void rn_cpu_free_state(void *state) { free(state); }

static atomic_int blas_single;

/* Exported by OpenBLAS's pthreads builds (Debian's default), which start
 * their worker threads when the library loads; weak, so that a BLAS
 * without it still links and loads. */
extern int blas_thread_shutdown_(void) __attribute__((weak));

void rn_cpu_blas_single_threaded(void) {
  if (atomic_exchange(&blas_single, 1)) return;
  openblas_set_num_threads(1);
  /* Those threads spin, yielding, for about 0.1 s after the library loads
   * before they sleep: on 2 cores, half the machine during a process's
   * first runs (perf, rn-bench on MobileNet-v2 at 1 thread: 5% of all
   * samples, in sched_yield). The plugin never gives OpenBLAS more than one
   * thread, so they are stopped (OpenBLAS starts them again if its host
   * asks it for more threads). */
  if (blas_thread_shutdown_) blas_thread_shutdown_();
}

RN_PLUGIN_EXPORT const rn_plugin *rn_plugin_entry(uint32_t host_abi_version);

RN_PLUGIN_EXPORT const rn_plugin *rn_plugin_entry(uint32_t host_abi_version) {
  if (host_abi_version != RN_PLUGIN_ABI_VERSION) return NULL;
  rn_cpu_blas_single_threaded();
  return &table;
}
