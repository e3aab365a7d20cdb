/* Element-wise float32 ops on the thread pool: Add and Mul (same shapes, a
 * scalar, or an operand that varies only along leading axes, like the
 * per-channel scales of squeeze-excitation: [N,C,H,W] * [N,C,1,1]), and the
 * activations Relu and Sigmoid. Other broadcasts stay with the reference. */
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "simd.h"

enum { OP_ADD, OP_MUL, OP_RELU, OP_SIGMOID };

typedef struct eltwise_state {
  int op;
  int64_t total;
  /* Binary: `full` is the operand with the output's shape; the other one,
   * `small`, holds period values, each repeated over `inner` consecutive
   * outputs (period = total / inner: same shapes; period = 1: a scalar). */
  int full, small;
  int64_t inner, period;
  int threads;
  const cpu_simd *simd;
} eltwise_state;

static int op_of(const char *type) {
  if (strcmp(type, "Add") == 0) return OP_ADD;
  if (strcmp(type, "Mul") == 0) return OP_MUL;
  if (strcmp(type, "Relu") == 0) return OP_RELU;
  return OP_SIGMOID;
}

static int same_shape(const rn_plugin_tensor *a, const rn_plugin_tensor *b) {
  if (a->rank != b->rank) return 0;
  for (int d = 0; d < a->rank; d++)
    if (a->dims[d] != b->dims[d]) return 0;
  return 1;
}

/* How `small` (right-aligned against y) repeats: ones, then y's dims, then
 * ones. 0 = that form, with inner and period set. */
static int broadcast_form(const rn_plugin_tensor *small, const rn_plugin_tensor *y, int64_t *inner,
                          int64_t *period) {
  if (small->rank > y->rank) return 1;
  int off = y->rank - small->rank, d = y->rank - 1;
  *inner = 1, *period = 1;
  for (; d >= 0 && (d < off || small->dims[d - off] == 1); d--) *inner *= y->dims[d]; /* trailing ones */
  for (; d >= off && small->dims[d - off] == y->dims[d] && y->dims[d] != 1; d--) *period *= y->dims[d];
  for (; d >= 0; d--)
    if (d >= off && small->dims[d - off] != 1) return 1; /* leading part must be ones */
  return 0;
}

static int setup(const rn_plugin_host *h, const rn_plugin_node *node, eltwise_state *s) {
  memset(s, 0, sizeof *s);
  s->op = op_of(h->node_op_type(node));
  int arity = s->op == OP_ADD || s->op == OP_MUL ? 2 : 1;
  if (h->node_input_count(node) != arity || h->node_output_count(node) != 1) return 1;
  const rn_plugin_tensor *y = h->node_output(node, 0), *in[2] = {h->node_input(node, 0), NULL};
  if (!y || !cpu_is_float(y) || !in[0] || !cpu_is_float(in[0])) return 1;
  s->total = cpu_numel(y);
  if (arity == 1) return !same_shape(in[0], y);
  if (!(in[1] = h->node_input(node, 1)) || !cpu_is_float(in[1])) return 1;
  s->full = same_shape(in[0], y) ? 0 : 1;
  s->small = 1 - s->full;
  if (!same_shape(in[s->full], y)) return 1;
  return broadcast_form(in[s->small], y, &s->inner, &s->period);
}

typedef struct eltwise_run_ctx {
  const eltwise_state *s;
  const float *full, *small;
  float *y;
  int64_t per_task; /* values (unary, same shapes) or rows of `inner` */
} eltwise_run_ctx;

static void eltwise_task(void *arg, int task, int thread) {
  (void)thread;
  const eltwise_run_ctx *r = arg;
  const eltwise_state *s = r->s;
  const cpu_simd *v = s->simd;
  if (s->op == OP_RELU || s->op == OP_SIGMOID || s->inner == 1) {
    int64_t lo = task * r->per_task, n = s->total - lo < r->per_task ? s->total - lo : r->per_task;
    if (n <= 0) return;
    if (s->op == OP_RELU || s->op == OP_SIGMOID) {
      cpu_act act = {s->op == OP_RELU ? CPU_ACT_RELU : CPU_ACT_SIGMOID, 0, 0};
      v->activation(r->full + lo, r->y + lo, n, &act);
    } else if (s->period == s->total) {
      (s->op == OP_ADD ? v->add : v->mul)(r->full + lo, r->small + lo, r->y + lo, n);
    } else { /* small repeats with period, one value per output */
      for (int64_t i = lo; i < lo + n; i++)
        r->y[i] = s->op == OP_ADD ? r->full[i] + r->small[i % s->period] : r->full[i] * r->small[i % s->period];
    }
    return;
  }
  int64_t rows = s->total / s->inner;
  for (int64_t row = task * r->per_task; row < (task + 1) * r->per_task && row < rows; row++) {
    float b = r->small[row % s->period];
    int64_t at = row * s->inner;
    (s->op == OP_ADD ? v->add_scalar : v->mul_scalar)(r->full + at, b, r->y + at, s->inner);
  }
}

int rn_cpu_eltwise_supports(const rn_plugin_host *host, const rn_plugin_node *node) {
  eltwise_state s;
  return setup(host, node, &s) == 0 ? CPU_SCORE : 0;
}

int rn_cpu_eltwise_prepare(const rn_plugin_host *host, const rn_plugin_node *node, void **state, char *err,
                           size_t err_size) {
  eltwise_state *s = malloc(sizeof *s);
  if (!s) return cpu_fail(err, err_size, "out of memory");
  if (setup(host, node, s)) {
    free(s);
    return cpu_fail(err, err_size, "%s: shapes not supported here", host->node_op_type(node));
  }
  s->threads = cpu_threads(host);
  s->simd = rn_cpu_simd();
  *state = s;
  return 0;
}

int rn_cpu_eltwise_run(const void *state, const rn_plugin_tensor *const *inputs, int n_inputs,
                       rn_plugin_tensor *const *outputs, int n_outputs, void *workspace, char *err, size_t err_size) {
  (void)workspace;
  const eltwise_state *s = state;
  int binary = s->op == OP_ADD || s->op == OP_MUL;
  if (n_inputs < 1 + binary || n_outputs < 1 || !inputs[0] || (binary && !inputs[1]) || !outputs[0])
    return cpu_fail(err, err_size, "element-wise op: missing input or output");
  if (cpu_numel(outputs[0]) != s->total || cpu_numel(inputs[binary ? s->full : 0]) != s->total)
    return cpu_fail(err, err_size, "element-wise op: shapes differ from the ones it was prepared for");
  if (s->total == 0) return 0;
  eltwise_run_ctx r = {s, inputs[binary ? s->full : 0]->data, binary ? inputs[s->small]->data : NULL,
                       outputs[0]->data, 0};
  int row_wise = binary && s->inner > 1;
  int64_t units = row_wise ? s->total / s->inner : s->total;
  int64_t tasks = s->total < 65536 ? 1 : (int64_t)s->threads * 2; /* small: not worth a hand-off */
  if (tasks > units) tasks = units;
  r.per_task = (units + tasks - 1) / tasks;
  if (!row_wise) r.per_task = (r.per_task + 15) / 16 * 16;
  rn_cpu_parallel(s->threads, (int)((units + r.per_task - 1) / r.per_task), eltwise_task, &r);
  return 0;
}
