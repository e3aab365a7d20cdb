/* An example rn plugin, written against rn_plugin.h alone: it adds the op
 * com.example::ScaledTanh (y = alpha * tanh(beta * x), attributes alpha and
 * beta, default 1) with its shape inference and a float32 kernel.
 * Build: cc -shared -fPIC -O2 scaled_tanh.c $(pkg-config --cflags rn) -lm -o rn-plugin-example.so */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "rn_plugin.h"

#ifndef EXAMPLE_ABI_VERSION /* the test suite builds a copy with a wrong one */
#define EXAMPLE_ABI_VERSION RN_PLUGIN_ABI_VERSION
#endif

enum { DTYPE_FLOAT = 1 };

static int infer(const rn_plugin_host *host, const rn_plugin_node *node, rn_plugin_tensor *const *outputs,
                 char *err, size_t err_size) {
  const rn_plugin_tensor *x = host->node_input(node, 0);
  if (!x || x->dtype != DTYPE_FLOAT) {
    snprintf(err, err_size, "ScaledTanh takes one float32 input");
    return 1;
  }
  *outputs[0] = *x;
  outputs[0]->data = NULL;
  return 0;
}

typedef struct state {
  float alpha, beta;
} state;

static int supports(const rn_plugin_host *host, const rn_plugin_node *node) {
  const rn_plugin_tensor *x = host->node_input(node, 0);
  return x && x->dtype == DTYPE_FLOAT ? 2 : 0;
}

static int prepare(const rn_plugin_host *host, const rn_plugin_node *node, void **out, char *err, size_t err_size) {
  state *s = malloc(sizeof *s);
  if (!s) {
    snprintf(err, err_size, "out of memory");
    return 1;
  }
  s->alpha = host->attr_float(node, "alpha", 1.0f);
  s->beta = host->attr_float(node, "beta", 1.0f);
  *out = s;
  return 0;
}

static int run(const void *st, const rn_plugin_tensor *const *inputs, int n_inputs, rn_plugin_tensor *const *outputs,
               int n_outputs, void *workspace, char *err, size_t err_size) {
  (void)n_inputs, (void)n_outputs, (void)workspace, (void)err, (void)err_size;
  const state *s = st;
  const float *x = inputs[0]->data;
  float *y = outputs[0]->data;
  size_t n = inputs[0]->nbytes / sizeof(float);
  for (size_t i = 0; i < n; i++) y[i] = s->alpha * tanhf(s->beta * x[i]);
  return 0;
}

static void release(void *s) { free(s); }

static const rn_plugin_schema schemas[] = {
    {EXAMPLE_ABI_VERSION, "com.example", "ScaledTanh", 1, 1, 1, 1, 1, 1, infer},
};
static const rn_plugin_kernel kernels[] = {
    {EXAMPLE_ABI_VERSION, "com.example", "ScaledTanh", 1, 1, supports, prepare, NULL, run, release},
};
static const rn_plugin plugin = {
    EXAMPLE_ABI_VERSION, sizeof(rn_plugin), "example", "1.0", "adds com.example::ScaledTanh",
    1, schemas, 1, kernels,
};

RN_PLUGIN_EXPORT const rn_plugin *rn_plugin_entry(uint32_t host_abi_version) {
  (void)host_abi_version; /* ABI 1 is the only one so far */
  return &plugin;
}
