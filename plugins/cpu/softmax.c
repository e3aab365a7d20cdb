/* Softmax, float32, over rows: opsets 1..12 flatten the input at `axis`
 * (default 1) into [rows, cols]; from 13 it runs along `axis` (default -1),
 * which this kernel takes when it is the last one. */
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "simd.h"

typedef struct softmax_state {
  int64_t rows, cols;
  int threads;
  const cpu_simd *simd;
} softmax_state;

static int setup(const rn_plugin_host *h, const rn_plugin_node *node, softmax_state *s) {
  memset(s, 0, sizeof *s);
  if (h->node_input_count(node) != 1 || h->node_output_count(node) != 1) return 1;
  const rn_plugin_tensor *x = h->node_input(node, 0), *y = h->node_output(node, 0);
  if (!x || !y || !cpu_is_float(x) || !cpu_is_float(y) || x->rank < 1 || cpu_numel(x) != cpu_numel(y)) return 1;
  int legacy = h->node_opset(node) < 13;
  int64_t axis = h->attr_int(node, "axis", legacy ? 1 : -1);
  if (axis < 0) axis += x->rank;
  if (axis < 0 || axis >= x->rank) return 1;
  if (!legacy && axis != x->rank - 1) return 1;
  s->rows = 1, s->cols = 1;
  for (int d = 0; d < x->rank; d++) *(d < axis ? &s->rows : &s->cols) *= x->dims[d];
  return s->cols == 0;
}

typedef struct softmax_run_ctx {
  const softmax_state *s;
  const float *x;
  float *y;
  int64_t per_task;
} softmax_run_ctx;

static void softmax_task(void *arg, int task, int thread) {
  (void)thread;
  const softmax_run_ctx *r = arg;
  const softmax_state *s = r->s;
  for (int64_t row = task * r->per_task; row < (task + 1) * r->per_task && row < s->rows; row++)
    s->simd->softmax_row(r->x + row * s->cols, r->y + row * s->cols, s->cols);
}

int rn_cpu_softmax_supports(const rn_plugin_host *host, const rn_plugin_node *node) {
  softmax_state s;
  return setup(host, node, &s) == 0 ? CPU_SCORE : 0;
}

int rn_cpu_softmax_prepare(const rn_plugin_host *host, const rn_plugin_node *node, void **state, char *err,
                           size_t err_size) {
  softmax_state *s = malloc(sizeof *s);
  if (!s) return cpu_fail(err, err_size, "out of memory");
  if (setup(host, node, s)) {
    free(s);
    return cpu_fail(err, err_size, "Softmax: not supported here");
  }
  s->threads = cpu_threads(host);
  s->simd = rn_cpu_simd();
  *state = s;
  return 0;
}

int rn_cpu_softmax_run(const void *state, const rn_plugin_tensor *const *inputs, int n_inputs,
                       rn_plugin_tensor *const *outputs, int n_outputs, void *workspace, char *err, size_t err_size) {
  (void)workspace;
  const softmax_state *s = state;
  if (n_inputs < 1 || n_outputs < 1 || !inputs[0] || !outputs[0])
    return cpu_fail(err, err_size, "Softmax: missing input or output");
  if (cpu_numel(inputs[0]) != s->rows * s->cols || cpu_numel(outputs[0]) != s->rows * s->cols)
    return cpu_fail(err, err_size, "Softmax: shapes differ from the ones it was prepared for");
  if (s->rows == 0) return 0;
  int64_t tasks = s->rows * s->cols < 65536 ? 1 : (int64_t)s->threads * 2;
  if (tasks > s->rows) tasks = s->rows;
  softmax_run_ctx r = {s, inputs[0]->data, outputs[0]->data, (s->rows + tasks - 1) / tasks};
  rn_cpu_parallel(s->threads, (int)((s->rows + r.per_task - 1) / r.per_task), softmax_task, &r);
  return 0;
}
