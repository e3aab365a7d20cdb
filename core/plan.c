#include "plan.h"

#include "plugin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
  ARENA_ALIGN = 64,
  SHAPE_LIKE_MAX_ELEMENTS = 64,
  SPECIALIZED_MAX_BYTES = 1 << 20 /* larger inputs are never copied into plan keys */
};

static size_t align_up(size_t n) { return (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1); }

bool rn_plan_specializes_input(bool feeds_value_input, rn_dtype dtype, const rn_shape *shape) {
  size_t nbytes;
  if (!rn_shape_nbytes(shape, dtype, &nbytes) || nbytes > SPECIALIZED_MAX_BYTES) return false;
  if (feeds_value_input) return true;
  if (dtype != RN_DTYPE_INT64 && dtype != RN_DTYPE_INT32) return false;
  return shape->rank <= 1 && rn_shape_numel(shape) <= SHAPE_LIKE_MAX_ELEMENTS;
}

void rn_plan_free(rn_plan *plan) {
  if (!plan) return;
  for (int i = 0; i < plan->n_inputs; i++) rn_tensor_release(plan->key_inputs[i]);
  free(plan->key_inputs);
  if (plan->values)
    for (int i = 0; i < plan->n_values; i++) rn_tensor_release(plan->values[i].constant);
  free(plan->values);
  for (int s = 0; plan->steps && s < plan->n_steps; s++)
    if (plan->steps[s].kernel && plan->steps[s].kernel->release) plan->steps[s].kernel->release(plan->steps[s].kernel_state);
  free(plan->steps);
  while (plan->free_arenas) {
    rn_run_arena *a = plan->free_arenas;
    plan->free_arenas = a->next;
    rn_run_arena_free(a);
  }
  free(plan);
}

bool rn_plan_matches(const rn_plan *plan, rn_tensor *const *inputs) {
  for (int i = 0; i < plan->n_inputs; i++) {
    const rn_tensor *k = plan->key_inputs[i], *t = inputs[i];
    if (k->dtype != t->dtype || !rn_shape_equal(&k->shape, &t->shape)) return false;
    if (k->data && memcmp(k->data, t->data, k->nbytes) != 0) return false;
  }
  return true;
}

static const char *node_label(const rn_graph *g, const rn_node *n, char *buf, size_t size) {
  if (n->name && n->name[0]) snprintf(buf, size, "node '%s' (%s)", n->name, n->op_type);
  else if (n->n_outputs > 0 && n->outputs[0] >= 0)
    snprintf(buf, size, "node (%s) producing '%s'", n->op_type, g->values[n->outputs[0]].name);
  else snprintf(buf, size, "node (%s)", n->op_type);
  return buf;
}

/* Runs one node at compile time on constant inputs; outputs become constants. */
static rn_status *fold_node(rn_op_ctx *ctx, rn_tensor **outs, size_t ws_size) {
  for (int k = 0; k < ctx->n_outputs; k++) {
    if (!outs[k]) continue;
    rn_tensor *t = rn_tensor_new(outs[k]->dtype, &outs[k]->shape);
    if (!t) return rn_op_error(ctx, RN_ERR_OUT_OF_MEMORY, "cannot allocate a folded output");
    rn_tensor_release(outs[k]);
    outs[k] = t;
  }
  void *ws = NULL;
  if (ws_size && !(ws = aligned_alloc(ARENA_ALIGN, align_up(ws_size))))
    return rn_op_error(ctx, RN_ERR_OUT_OF_MEMORY, "cannot allocate %zu bytes of workspace", ws_size);
  ctx->workspace = ws;
  rn_status *st = ctx->node->op->run(ctx);
  if (!st) st = rn_attr_take_mismatch();
  free(ws);
  return st;
}

/* Placement: the kernel with the best `supports` score among the plugins of
 * env; rn's reference kernel scores 1. The winner is prepared here, once. */
static rn_status *place_node(const rn_op_ctx *ctx, const rn_env *env, int threads, rn_plan_step *step) {
  const rn_node *n = ctx->node;
  step->placed_on = "reference";
  int best_score = n->op->run ? 1 : 0;
  const rn_plugin_kernel *best = NULL;
  const char *best_plugin = NULL;
  struct rn_plugin_node *pn = NULL;
  rn_plugin_host host = rn_plugin_host_table(threads);
  for (int i = 0; env && i < env->n_plugins; i++) {
    const rn_plugin *t = env->plugins[i]->table;
    for (int k = 0; t && k < t->n_kernels; k++) {
      const rn_plugin_kernel *kern = &t->kernels[k];
      if (strcmp(kern->domain, n->domain) != 0 || strcmp(kern->op_type, n->op_type) != 0 ||
          n->opset < kern->since_version || n->opset > kern->max_version)
        continue;
      if (!pn) {
        if (!(pn = calloc(1, sizeof *pn))) return rn_op_error(ctx, RN_ERR_OUT_OF_MEMORY, "out of memory");
        pn->node = n;
        pn->n_in = ctx->n_inputs < 64 ? ctx->n_inputs : 64;
        pn->n_out = ctx->n_outputs < 64 ? ctx->n_outputs : 64;
        for (int j = 0; j < pn->n_in; j++)
          if ((pn->in_present[j] = ctx->inputs[j] != NULL)) rn_plugin_tensor_from(&pn->in[j], ctx->inputs[j]);
        for (int j = 0; j < pn->n_out; j++)
          if (ctx->outputs[j]) rn_plugin_tensor_from(&pn->out[j], ctx->outputs[j]);
      }
      int score = kern->supports(&host, pn);
      if (score > best_score) {
        best_score = score;
        best = kern;
        best_plugin = t->name;
      }
    }
  }
  rn_status *st = NULL;
  if (best) {
    char err[512] = "";
    void *state = NULL;
    if (best->prepare(&host, pn, &state, err, sizeof err) != 0) {
      err[sizeof err - 1] = 0;
      st = rn_op_error(ctx, RN_ERR_RUNTIME, "plugin '%s' failed to prepare: %s", best_plugin, err);
    } else {
      step->kernel = best;
      step->kernel_state = state;
      step->placed_on = best_plugin;
      step->ws_size = best->workspace ? best->workspace(state) : 0;
    }
  } else if (best_score == 0) {
    st = rn_op_error(ctx, RN_ERR_UNSUPPORTED, "no loaded plugin has a kernel for this op");
  }
  free(pn);
  return st;
}

typedef struct interval {
  int value;  /* value index, or -1 for a workspace */
  int step;   /* for workspaces: the step */
  int first, last;
  size_t size;
  size_t offset;
} interval;

static int by_size_desc(const void *a, const void *b) {
  const interval *x = a, *y = b;
  if (x->size != y->size) return x->size < y->size ? 1 : -1;
  return x->first - y->first;
}

/* Greedy best-fit by decreasing size: each interval takes the lowest offset
 * that does not overlap any already placed interval alive at the same time. */
static rn_status *assign_offsets(interval *iv, int n, size_t *arena_size) {
  qsort(iv, (size_t)n, sizeof *iv, by_size_desc);
  size_t total = 0;
  interval **live = malloc(sizeof *live * (size_t)(n ? n : 1));
  if (!live) return rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
  for (int i = 0; i < n; i++) {
    int n_live = 0;
    for (int j = 0; j < i; j++)
      if (iv[j].first <= iv[i].last && iv[i].first <= iv[j].last) live[n_live++] = &iv[j];
    size_t offset = 0;
    bool moved = true;
    while (moved) { /* slide past every overlapping block (few per value in practice) */
      moved = false;
      for (int j = 0; j < n_live; j++) {
        if (offset < live[j]->offset + live[j]->size && live[j]->offset < offset + iv[i].size) {
          offset = align_up(live[j]->offset + live[j]->size);
          moved = true;
        }
      }
    }
    iv[i].offset = offset;
    if (offset + iv[i].size > total) total = offset + iv[i].size;
  }
  free(live);
  *arena_size = align_up(total);
  return NULL;
}

rn_status *rn_plan_build(const rn_graph *g, const int *order, int n_order,
                         rn_tensor *const *inputs, const bool *feeds_value_input, bool fold,
                         const rn_env *env, int threads, rn_plan **out) {
  *out = NULL;
  char label[300];
  rn_plan *p = calloc(1, sizeof *p);
  if (!p) return rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
  rn_status *st = NULL;
  p->values = calloc((size_t)g->n_values + 1, sizeof *p->values);
  p->steps = calloc((size_t)n_order + 1, sizeof *p->steps);
  p->key_inputs = calloc((size_t)g->n_inputs + 1, sizeof *p->key_inputs);
  int *first = malloc(sizeof(int) * ((size_t)g->n_values + 1));
  int *last = malloc(sizeof(int) * ((size_t)g->n_values + 1));
  interval *iv = NULL;
  if (!p->values || !p->steps || !p->key_inputs || !first || !last) {
    st = rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
    goto fail;
  }
  p->n_values = g->n_values;
  p->n_inputs = g->n_inputs;

  for (int v = 0; v < g->n_values; v++) {
    first[v] = last[v] = -1;
    const rn_value *val = &g->values[v];
    if (val->constant) {
      p->values[v].kind = RN_SLOT_CONST;
      p->values[v].constant = rn_tensor_retain(val->constant);
      p->values[v].dtype = val->constant->dtype;
      p->values[v].shape = val->constant->shape;
      p->values[v].nbytes = val->constant->nbytes;
    }
  }
  for (int i = 0; i < g->n_inputs; i++) {
    int v = g->inputs[i];
    rn_tensor *t = inputs[i];
    rn_plan_value *pv = &p->values[v];
    pv->dtype = t->dtype;
    pv->shape = t->shape;
    pv->nbytes = t->nbytes;
    if (rn_plan_specializes_input(feeds_value_input[i], t->dtype, &t->shape)) {
      pv->kind = RN_SLOT_CONST;
      pv->constant = rn_tensor_clone(t);
      p->key_inputs[i] = rn_tensor_clone(t);
      if (!pv->constant || !p->key_inputs[i]) {
        st = rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
        goto fail;
      }
    } else {
      pv->kind = RN_SLOT_INPUT;
      pv->input_index = i;
      p->key_inputs[i] = rn_tensor_new_info(t->dtype, &t->shape);
      if (!p->key_inputs[i]) {
        st = rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
        goto fail;
      }
    }
  }

  /* Shape inference and folding, node by node in order. */
  for (int oi = 0; oi < n_order; oi++) {
    const rn_node *n = &g->nodes[order[oi]];
    const rn_op_def *op = n->op;
    rn_tensor *ins[64] = {0}, *outs[64] = {0};
    rn_tensor in_views[64];
    if (n->n_inputs > 64 || n->n_outputs > 64) {
      st = rn_error(RN_ERR_UNSUPPORTED, "%s: more than 64 inputs or outputs",
                    node_label(g, n, label, sizeof label));
      goto fail;
    }
    bool all_const = true;
    for (int k = 0; k < n->n_inputs; k++) {
      int v = n->inputs[k];
      if (v < 0) continue;
      rn_plan_value *pv = &p->values[v];
      if (pv->kind == RN_SLOT_CONST) {
        ins[k] = pv->constant;
      } else {
        all_const = false;
        memset(&in_views[k], 0, sizeof in_views[k]);
        in_views[k].dtype = pv->dtype;
        in_views[k].shape = pv->shape;
        in_views[k].nbytes = pv->nbytes;
        ins[k] = &in_views[k];
      }
    }
    for (int k = 0; k < n->n_outputs; k++) {
      if (n->outputs[k] < 0) continue;
      rn_shape empty = {0};
      outs[k] = rn_tensor_new_info(RN_DTYPE_UNDEFINED, &empty);
      if (!outs[k]) {
        st = rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
        goto node_fail;
      }
    }
    rn_op_ctx ctx = {n, n->opset, n->n_inputs, ins, n->n_outputs, outs, NULL};
    rn_attr_reset_mismatch();
    st = op->infer(&ctx);
    if (!st) st = rn_attr_take_mismatch();
    else rn_attr_reset_mismatch();
    if (st) goto node_fail;
    for (int k = 0; k < n->n_outputs; k++) {
      if (!outs[k]) continue;
      size_t nb;
      if (outs[k]->dtype == RN_DTYPE_UNDEFINED || !rn_dtype_size(outs[k]->dtype)) {
        st = rn_op_error(&ctx, RN_ERR_UNSUPPORTED, "output %d has no supported type", k);
        goto node_fail;
      }
      if (outs[k]->shape.rank < 0 || outs[k]->shape.rank > RN_MAX_RANK ||
          !rn_shape_nbytes(&outs[k]->shape, outs[k]->dtype, &nb)) {
        st = rn_op_error(&ctx, RN_ERR_INVALID_MODEL, "output %d has an invalid or overflowing shape", k);
        goto node_fail;
      }
      outs[k]->nbytes = nb;
      char what[300];
      st = rn_env_check_limit(env, RN_LIMIT_TENSOR_BYTES, nb, node_label(g, n, what, sizeof what));
      if (st) goto node_fail;
    }
    size_t ws = op->workspace ? op->workspace(&ctx) : 0;
    if (fold && (all_const || op->shape_only) && !op->no_fold && op->run) {
      st = fold_node(&ctx, outs, ws);
      if (st) goto node_fail;
      for (int k = 0; k < n->n_outputs; k++) {
        if (!outs[k]) continue;
        rn_plan_value *pv = &p->values[n->outputs[k]];
        pv->kind = RN_SLOT_CONST;
        pv->constant = outs[k];
        pv->dtype = outs[k]->dtype;
        pv->shape = outs[k]->shape;
        pv->nbytes = outs[k]->nbytes;
        outs[k] = NULL;
      }
      p->n_folded++;
    } else {
      int s = p->n_steps++;
      p->steps[s].node = order[oi];
      p->steps[s].ws_size = ws;
      st = place_node(&ctx, env, threads, &p->steps[s]);
      if (st) goto node_fail;
      for (int k = 0; k < n->n_inputs; k++) {
        int v = n->inputs[k];
        if (v >= 0 && p->values[v].kind == RN_SLOT_ARENA) last[v] = s;
      }
      for (int k = 0; k < n->n_outputs; k++) {
        if (!outs[k]) continue;
        int v = n->outputs[k];
        rn_plan_value *pv = &p->values[v];
        pv->kind = RN_SLOT_ARENA;
        pv->dtype = outs[k]->dtype;
        pv->shape = outs[k]->shape;
        pv->nbytes = outs[k]->nbytes;
        first[v] = last[v] = s;
      }
    }
  node_fail:
    for (int k = 0; k < n->n_outputs; k++) rn_tensor_release(outs[k]);
    if (st) {
      if (!strstr(rn_status_message(st), "node '") && !strstr(rn_status_message(st), "node ("))
        st = rn_error_prefix(st, "%s", node_label(g, n, label, sizeof label));
      goto fail;
    }
  }

  /* Graph outputs live until the end of the run. */
  for (int i = 0; i < g->n_outputs; i++) {
    int v = g->outputs[i];
    const rn_value *decl = &g->values[v];
    rn_plan_value *pv = &p->values[v];
    if (pv->kind == RN_SLOT_UNUSED) {
      st = rn_error(RN_ERR_INVALID_MODEL, "graph output '%s' is never computed", decl->name);
      goto fail;
    }
    if (decl->dtype != RN_DTYPE_UNDEFINED && decl->dtype != pv->dtype) {
      st = rn_error(RN_ERR_INVALID_MODEL, "graph output '%s' is declared %s but computes %s",
                    decl->name, rn_dtype_name(decl->dtype), rn_dtype_name(pv->dtype));
      goto fail;
    }
    if (pv->kind == RN_SLOT_ARENA) last[v] = p->n_steps;
  }

  /* Lifetimes -> arena offsets. */
  int n_iv = 0;
  iv = calloc((size_t)g->n_values + (size_t)p->n_steps + 1, sizeof *iv);
  if (!iv) {
    st = rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
    goto fail;
  }
  for (int v = 0; v < g->n_values; v++)
    if (p->values[v].kind == RN_SLOT_ARENA)
      iv[n_iv++] = (interval){v, -1, first[v], last[v], align_up(p->values[v].nbytes ? p->values[v].nbytes : 1), 0};
  for (int s = 0; s < p->n_steps; s++)
    if (p->steps[s].ws_size) iv[n_iv++] = (interval){-1, s, s, s, align_up(p->steps[s].ws_size), 0};
  st = assign_offsets(iv, n_iv, &p->arena_size);
  if (!st) st = rn_env_check_limit(env, RN_LIMIT_ARENA_BYTES, p->arena_size, "working memory of one run");
  if (st) goto fail;
  for (int i = 0; i < n_iv; i++) {
    if (iv[i].value >= 0) p->values[iv[i].value].offset = iv[i].offset;
    else p->steps[iv[i].step].ws_offset = iv[i].offset;
  }
  free(iv);
  free(first);
  free(last);
  *out = p;
  return NULL;
fail:
  free(iv);
  free(first);
  free(last);
  rn_plan_free(p);
  return st;
}

rn_run_arena *rn_run_arena_new(const rn_graph *g, const rn_plan *plan) {
  rn_run_arena *a = calloc(1, sizeof *a);
  if (!a) return NULL;
  size_t n_args = 0;
  for (int s = 0; s < plan->n_steps; s++) {
    const rn_node *n = &g->nodes[plan->steps[s].node];
    n_args += (size_t)n->n_inputs + (size_t)n->n_outputs;
  }
  a->memory = plan->arena_size ? aligned_alloc(ARENA_ALIGN, plan->arena_size) : NULL;
  a->views = calloc((size_t)g->n_values + 1, sizeof *a->views);
  a->step_args = calloc(n_args + 1, sizeof *a->step_args);
  a->pviews = calloc((size_t)g->n_values + 1, sizeof *a->pviews);
  a->step_pargs = calloc(n_args + 1, sizeof *a->step_pargs);
  if ((plan->arena_size && !a->memory) || !a->views || !a->step_args || !a->pviews || !a->step_pargs) {
    rn_run_arena_free(a);
    return NULL;
  }
  for (int v = 0; v < g->n_values; v++) {
    const rn_plan_value *pv = &plan->values[v];
    rn_tensor *t = &a->views[v];
    t->dtype = pv->dtype;
    t->shape = pv->shape;
    t->nbytes = pv->nbytes;
    t->refcount = 1;
    if (pv->kind == RN_SLOT_CONST) t->data = pv->constant->data;
    else if (pv->kind == RN_SLOT_ARENA) t->data = (char *)a->memory + pv->offset;
    rn_plugin_tensor_from(&a->pviews[v], t);
  }
  size_t pos = 0;
  for (int s = 0; s < plan->n_steps; s++) {
    const rn_node *n = &g->nodes[plan->steps[s].node];
    for (int k = 0; k < n->n_inputs; k++, pos++) {
      a->step_args[pos] = n->inputs[k] >= 0 ? &a->views[n->inputs[k]] : NULL;
      a->step_pargs[pos] = n->inputs[k] >= 0 ? &a->pviews[n->inputs[k]] : NULL;
    }
    for (int k = 0; k < n->n_outputs; k++, pos++) {
      a->step_args[pos] = n->outputs[k] >= 0 ? &a->views[n->outputs[k]] : NULL;
      a->step_pargs[pos] = n->outputs[k] >= 0 ? &a->pviews[n->outputs[k]] : NULL;
    }
  }
  return a;
}

void rn_run_arena_free(rn_run_arena *a) {
  if (!a) return;
  free(a->memory);
  free(a->views);
  free(a->step_args);
  free(a->pviews);
  free(a->step_pargs);
  free(a);
}

void rn_run_arena_bind(rn_run_arena *a, int value, void *data) {
  a->views[value].data = data;
  a->pviews[value].data = data;
}

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

rn_status *rn_plan_execute(const rn_graph *g, const rn_plan *plan, rn_run_arena *arena,
                           double *times) {
  size_t pos = 0;
  for (int s = 0; s < plan->n_steps; s++) {
    const rn_plan_step *step = &plan->steps[s];
    const rn_node *n = &g->nodes[step->node];
    rn_op_ctx ctx = {n,
                     n->opset,
                     n->n_inputs,
                     arena->step_args + pos,
                     n->n_outputs,
                     arena->step_args + pos + n->n_inputs,
                     step->ws_size ? (char *)arena->memory + step->ws_offset : NULL};
    pos += (size_t)n->n_inputs + (size_t)n->n_outputs;
    if (times) times[2 * s] = now_us();
    rn_status *st = NULL;
    if (step->kernel) {
      char err[512] = "";
      rn_plugin_tensor *const *pargs = arena->step_pargs + (pos - (size_t)n->n_inputs - (size_t)n->n_outputs);
      if (step->kernel->run(step->kernel_state, (const rn_plugin_tensor *const *)pargs, n->n_inputs,
                            pargs + n->n_inputs, n->n_outputs, ctx.workspace, err, sizeof err) != 0) {
        err[sizeof err - 1] = 0;
        st = rn_op_error(&ctx, RN_ERR_RUNTIME, "plugin '%s': %s", step->placed_on, err[0] ? err : "kernel failed");
      }
    } else {
      st = n->op->run(&ctx);
      if (!st) st = rn_attr_take_mismatch(); /* attributes some kernels read only here */
    }
    if (times) times[2 * s + 1] = now_us();
    if (st) {
      if (!strstr(rn_status_message(st), "node '")) {
        char label[300];
        st = rn_error_prefix(st, "%s", node_label(g, n, label, sizeof label));
      }
      return st;
    }
  }
  return NULL;
}
