/* MaxPool (2-D, float32, without the Indices output) and GlobalAveragePool
 * (float32), parallel over channel planes. */
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "simd.h"

typedef struct pool_state {
  int64_t planes;      /* N * C */
  int64_t in_plane, out_plane;
  cpu_window win;      /* MaxPool */
  int stride2;         /* MaxPool on simd->maxpool_s2 */
  int threads;
  const cpu_simd *simd;
} pool_state;

/* The window of a 2-D MaxPool; the output size is the host's inferred one
 * (ceil_mode and auto_pad only change that size and, for SAME_*, the pads). */
static int maxpool_setup(const rn_plugin_host *h, const rn_plugin_node *node, pool_state *s) {
  memset(s, 0, sizeof *s);
  if (h->node_input_count(node) != 1 || h->node_output_count(node) < 1) return 1;
  if (h->node_output_count(node) > 1) {
    const rn_plugin_tensor *idx = h->node_output(node, 1);
    if (idx && idx->dtype != 0) return 1; /* Indices wanted: the reference computes them */
  }
  const rn_plugin_tensor *x = h->node_input(node, 0), *y = h->node_output(node, 0);
  if (!x || !y || !cpu_is_float(x) || !cpu_is_float(y) || x->rank != 4 || y->rank != 4) return 1;
  if (y->dims[0] != x->dims[0] || y->dims[1] != x->dims[1]) return 1;
  int64_t ks[2], st[2], dil[2], pads[4];
  const int64_t *kv = NULL;
  if (h->attr_ints(node, "kernel_shape", &kv) != 2 || rn_cpu_attr_ints(h, node, "kernel_shape", 2, 1, 1, ks) ||
      rn_cpu_attr_ints(h, node, "strides", 2, 1, 1, st) || rn_cpu_attr_ints(h, node, "dilations", 2, 1, 1, dil) ||
      rn_cpu_attr_ints(h, node, "pads", 4, 0, 0, pads) || ks[1] > 16)
    return 1;
  cpu_window *w = &s->win;
  w->h = x->dims[2], w->w = x->dims[3], w->oh = y->dims[2], w->ow = y->dims[3];
  w->kh = ks[0], w->kw = ks[1], w->sh = st[0], w->sw = st[1], w->dh = dil[0], w->dw = dil[1];
  w->pt = pads[0], w->pl = pads[1];
  const char *ap = h->attr_string(node, "auto_pad", "NOTSET");
  if (ap && (strcmp(ap, "SAME_UPPER") == 0 || strcmp(ap, "SAME_LOWER") == 0)) {
    int64_t in[2] = {w->h, w->w}, out[2] = {w->oh, w->ow}, s2[2] = {w->sh, w->sw};
    int64_t dk[2] = {(w->kh - 1) * w->dh + 1, (w->kw - 1) * w->dw + 1}, beg[2];
    for (int i = 0; i < 2; i++) {
      int64_t total = (out[i] - 1) * s2[i] + dk[i] - in[i];
      if (total < 0) total = 0;
      beg[i] = strcmp(ap, "SAME_UPPER") == 0 ? total / 2 : total - total / 2;
    }
    w->pt = beg[0], w->pl = beg[1];
  } else if (ap && strcmp(ap, "VALID") == 0) {
    w->pt = w->pl = 0;
  } else if (ap && strcmp(ap, "NOTSET") != 0) {
    return 1;
  }
  /* Every window must see at least one input element (true of valid models). */
  if (w->pt >= (w->kh - 1) * w->dh + 1 || w->pl >= (w->kw - 1) * w->dw + 1) return 1;
  if ((w->oh - 1) * w->sh - w->pt >= w->h || (w->ow - 1) * w->sw - w->pl >= w->w) return 1;
  rn_cpu_window_ranges(w);
  s->planes = x->dims[0] * x->dims[1];
  s->in_plane = w->h * w->w, s->out_plane = w->oh * w->ow;
  return 0;
}

static int global_avg_setup(const rn_plugin_host *h, const rn_plugin_node *node, pool_state *s) {
  memset(s, 0, sizeof *s);
  if (h->node_input_count(node) != 1 || h->node_output_count(node) != 1) return 1;
  const rn_plugin_tensor *x = h->node_input(node, 0), *y = h->node_output(node, 0);
  if (!x || !y || !cpu_is_float(x) || !cpu_is_float(y) || x->rank < 3 || y->rank != x->rank) return 1;
  s->planes = x->dims[0] * x->dims[1];
  s->in_plane = 1;
  for (int d = 2; d < x->rank; d++) s->in_plane *= x->dims[d];
  s->out_plane = 1;
  return 0;
}

typedef struct pool_run_ctx {
  const pool_state *s;
  const float *x;
  float *y;
  int64_t per_task;
} pool_run_ctx;

static void maxpool_task(void *arg, int task, int thread) {
  (void)thread;
  const pool_run_ctx *r = arg;
  const pool_state *s = r->s;
  for (int64_t p = task * r->per_task; p < (task + 1) * r->per_task && p < s->planes; p++)
    (s->stride2 ? s->simd->maxpool_s2 : s->simd->maxpool)(&s->win, r->x + p * s->in_plane, r->y + p * s->out_plane);
}

static void global_avg_task(void *arg, int task, int thread) {
  (void)thread;
  const pool_run_ctx *r = arg;
  const pool_state *s = r->s;
  for (int64_t p = task * r->per_task; p < (task + 1) * r->per_task && p < s->planes; p++)
    r->y[p] = s->in_plane ? s->simd->sum(r->x + p * s->in_plane, s->in_plane) / (float)s->in_plane : 0.0f;
}

static int prepare(const rn_plugin_host *host, const rn_plugin_node *node, void **state, char *err, size_t err_size,
                   int (*setup)(const rn_plugin_host *, const rn_plugin_node *, pool_state *)) {
  pool_state *s = malloc(sizeof *s);
  if (!s) return cpu_fail(err, err_size, "out of memory");
  if (setup(host, node, s)) {
    free(s);
    return cpu_fail(err, err_size, "%s: not supported here", host->node_op_type(node));
  }
  s->threads = cpu_threads(host);
  s->simd = rn_cpu_simd();
  *state = s;
  return 0;
}

static int run(const pool_state *s, const rn_plugin_tensor *const *inputs, int n_inputs,
               rn_plugin_tensor *const *outputs, int n_outputs, char *err, size_t err_size, cpu_task_fn task) {
  if (n_inputs < 1 || n_outputs < 1 || !inputs[0] || !outputs[0])
    return cpu_fail(err, err_size, "pooling: missing input or output");
  if (cpu_numel(inputs[0]) != s->planes * s->in_plane || cpu_numel(outputs[0]) != s->planes * s->out_plane)
    return cpu_fail(err, err_size, "pooling: shapes differ from the ones it was prepared for");
  if (s->planes == 0) return 0;
  int64_t tasks = (int64_t)s->threads * 4;
  if (tasks > s->planes) tasks = s->planes;
  /* Tiny planes: fewer, larger tasks (a hand-off costs about a microsecond). */
  if (s->planes * (s->in_plane + s->out_plane) < 32768) tasks = 1;
  pool_run_ctx r = {s, inputs[0]->data, outputs[0]->data, (s->planes + tasks - 1) / tasks};
  rn_cpu_parallel(s->threads, (int)((s->planes + r.per_task - 1) / r.per_task), task, &r);
  return 0;
}

int rn_cpu_maxpool_supports(const rn_plugin_host *host, const rn_plugin_node *node) {
  pool_state s;
  return maxpool_setup(host, node, &s) == 0 ? CPU_SCORE : 0;
}
int rn_cpu_maxpool_prepare(const rn_plugin_host *host, const rn_plugin_node *node, void **state, char *err,
                           size_t err_size) {
  if (prepare(host, node, state, err, err_size, maxpool_setup)) return 1;
  pool_state *s = *state;
  const cpu_window *w = &s->win;
  s->stride2 = s->simd->maxpool_s2 && w->sh == 2 && w->sw == 2 && w->dh == 1 && w->dw == 1 && w->kh == w->kw &&
               (w->kw == 2 || w->kw == 3) && !getenv("RN_CPU_NO_STRIDE2_MAXPOOL");
  return 0;
}
int rn_cpu_maxpool_run(const void *state, const rn_plugin_tensor *const *inputs, int n_inputs,
                       rn_plugin_tensor *const *outputs, int n_outputs, void *workspace, char *err, size_t err_size) {
  (void)workspace;
  return run(state, inputs, n_inputs, outputs, n_outputs, err, err_size, maxpool_task);
}

int rn_cpu_global_avg_supports(const rn_plugin_host *host, const rn_plugin_node *node) {
  pool_state s;
  return global_avg_setup(host, node, &s) == 0 ? CPU_SCORE : 0;
}
int rn_cpu_global_avg_prepare(const rn_plugin_host *host, const rn_plugin_node *node, void **state, char *err,
                              size_t err_size) {
  return prepare(host, node, state, err, err_size, global_avg_setup);
}
int rn_cpu_global_avg_run(const void *state, const rn_plugin_tensor *const *inputs, int n_inputs,
                          rn_plugin_tensor *const *outputs, int n_outputs, void *workspace, char *err,
                          size_t err_size) {
  (void)workspace;
  return run(state, inputs, n_inputs, outputs, n_outputs, err, err_size, global_avg_task);
}
