/* rn-plugin-cpu: the plugin table and its entry point. */
#include <stdatomic.h>

#include "cpu.h"

#define CPU_KERNEL(op_type, op, since, max)                                                            \
  {RN_PLUGIN_ABI_VERSION, "", op_type, since, max, rn_cpu_##op##_supports, rn_cpu_##op##_prepare,     \
   rn_cpu_##op##_workspace, rn_cpu_##op##_run, rn_cpu_##op##_release}

static const rn_plugin_kernel kernels[] = {
    CPU_KERNEL("Conv", conv, 1, 21),
    CPU_KERNEL("Gemm", gemm, 1, 21),
    CPU_KERNEL("MatMul", matmul, 1, 21),
};

static const rn_plugin table = {
    RN_PLUGIN_ABI_VERSION,
    sizeof(rn_plugin),
    "cpu",
    "0.1.0",
    "float32 Conv (1x1 GEMM, depthwise direct, im2col+GEMM), Gemm and MatMul on OpenBLAS",
    0,
    NULL,
    (int)(sizeof kernels / sizeof kernels[0]),
    kernels,
};

static atomic_int blas_threads;

void rn_cpu_set_threads(int threads) {
  if (threads < 1) threads = 1;
  if (atomic_exchange(&blas_threads, threads) != threads) openblas_set_num_threads(threads);
}

RN_PLUGIN_EXPORT const rn_plugin *rn_plugin_entry(uint32_t host_abi_version);

RN_PLUGIN_EXPORT const rn_plugin *rn_plugin_entry(uint32_t host_abi_version) {
  if (host_abi_version != RN_PLUGIN_ABI_VERSION) return NULL;
  return &table;
}
