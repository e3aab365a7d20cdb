/* Sessions: a compiled model, a cache of plans per input signature, and
 * thread-safe runs (plans are immutable; each run borrows its own arena). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model.h"
#include "optimize.h"

#include "session.h"

rn_status *rn_session_options_create(rn_session_options **out) {
  if (!out) return rn_error(RN_ERR_INVALID_ARGUMENT, "rn_session_options_create: out is NULL");
  *out = calloc(1, sizeof **out);
  if (!*out) return rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
  (*out)->optimize = 1;
  return NULL;
}

void rn_session_options_free(rn_session_options *o) { free(o); }

rn_status *rn_session_options_set_threads(rn_session_options *o, int threads) {
  if (!o || threads < 0)
    return rn_error(RN_ERR_INVALID_ARGUMENT, "threads must be >= 0 (got %d)", threads);
  o->threads = threads;
  return NULL;
}

rn_status *rn_session_options_set_optimize(rn_session_options *o, int enabled) {
  if (!o) return rn_error(RN_ERR_INVALID_ARGUMENT, "options is NULL");
  o->optimize = enabled != 0;
  return NULL;
}

rn_status *rn_session_options_set_profiling(rn_session_options *o, int enabled) {
  if (!o) return rn_error(RN_ERR_INVALID_ARGUMENT, "options is NULL");
  o->profiling = enabled != 0;
  return NULL;
}

/* Nodes that contribute to some graph output, in topological order. */
static rn_status *compute_order(rn_session *s) {
  const rn_graph *g = s->graph;
  int *topo = malloc(sizeof(int) * ((size_t)g->n_nodes + 1));
  bool *needed = calloc((size_t)g->n_nodes + 1, 1);
  s->order = malloc(sizeof(int) * ((size_t)g->n_nodes + 1));
  if (!topo || !needed || !s->order) {
    free(topo);
    free(needed);
    return rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
  }
  rn_status *st = rn_graph_topo_order(g, topo);
  if (!st) {
    for (int i = 0; i < g->n_outputs; i++) {
      int p = g->values[g->outputs[i]].producer;
      if (p >= 0) needed[p] = true;
    }
    for (int i = g->n_nodes - 1; i >= 0; i--) {
      const rn_node *n = &g->nodes[topo[i]];
      if (!needed[topo[i]]) continue;
      for (int k = 0; k < n->n_inputs; k++) {
        int v = n->inputs[k];
        if (v >= 0 && g->values[v].producer >= 0) needed[g->values[v].producer] = true;
      }
    }
    for (int i = 0; i < g->n_nodes; i++)
      if (needed[topo[i]]) s->order[s->n_order++] = topo[i];
  }
  s->feeds_value_input = calloc((size_t)g->n_inputs + 1, sizeof *s->feeds_value_input);
  if (!st && !s->feeds_value_input) st = rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
  for (int i = 0; !st && i < s->n_order; i++) {
    const rn_node *n = &g->nodes[s->order[i]];
    for (int k = 0; k < n->n_inputs && k < 32; k++) {
      if (n->inputs[k] < 0 || !(n->op->value_inputs & (1u << k))) continue;
      for (int j = 0; j < g->n_inputs; j++)
        if (g->inputs[j] == n->inputs[k]) s->feeds_value_input[j] = true;
    }
  }
  free(topo);
  free(needed);
  return st;
}

static bool input_fully_static(const rn_value *v) {
  if (v->rank < 0 || v->dtype == RN_DTYPE_UNDEFINED) return false;
  for (int d = 0; d < v->rank; d++)
    if (v->dims[d] < 0) return false;
  return true;
}

static rn_status *find_plan(rn_session *s, rn_tensor *const *inputs, rn_plan **out);

rn_status *rn_session_create(const rn_env *env, const rn_model *model,
                             const rn_session_options *options, rn_session **out) {
  if (!model || !out) return rn_error(RN_ERR_INVALID_ARGUMENT, "rn_session_create: NULL argument");
  *out = NULL;
  rn_session *s = calloc(1, sizeof *s);
  if (!s) return rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
  s->options.optimize = 1;
  if (options) s->options = *options;
  s->env = env ? *env : model->env;
  pthread_mutex_init(&s->lock, NULL);
  rn_status *st = NULL;
  s->graph = rn_graph_clone(model->graph);
  if (!s->graph) st = rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory copying the graph");
  if (!st) st = rn_graph_validate(s->graph); /* built models were not checked at load */
  if (!st && s->options.optimize) { /* rewrites (core/optimize.h) on the session's own copy */
    rn_optimize_stats os;
    st = rn_graph_optimize(s->graph, &os);
    if (!st && (os.bn_folded || os.fused)) {
      char what[512];
      rn_optimize_describe(&os, what, sizeof what);
      rn_log(&s->env, RN_LOG_INFO, "graph '%s': optimized: %s", s->graph->name ? s->graph->name : "", what);
    }
  }
  if (!st) st = rn_graph_resolve_ops(s->graph, &s->env);
  if (!st) st = compute_order(s);
  /* Compile now when every input shape is known, so errors surface here. */
  bool all_static = true;
  for (int i = 0; !st && i < s->graph->n_inputs; i++) {
    const rn_value *v = &s->graph->values[s->graph->inputs[i]];
    if (!input_fully_static(v)) {
      all_static = false;
      continue;
    }
    rn_shape shape = rn_shape_make(v->rank, v->dims);
    if (rn_plan_specializes_input(s->feeds_value_input[i], v->dtype, &shape))
      all_static = false; /* the plan needs its value */
  }
  if (!st && all_static) {
    int n = s->graph->n_inputs;
    rn_tensor **ins = calloc((size_t)n + 1, sizeof *ins);
    if (!ins) st = rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
    for (int i = 0; !st && i < n; i++) {
      const rn_value *v = &s->graph->values[s->graph->inputs[i]];
      rn_shape shape = rn_shape_make(v->rank, v->dims);
      ins[i] = rn_tensor_new_info(v->dtype, &shape);
      if (!ins[i]) st = rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
    }
    rn_plan *plan = NULL;
    if (!st) st = find_plan(s, ins, &plan);
    if (plan) plan->users--;
    for (int i = 0; ins && i < n; i++) rn_tensor_release(ins[i]);
    free(ins);
  }
  if (st) {
    rn_session_free(s);
    return st;
  }
  *out = s;
  return NULL;
}

void rn_session_free(rn_session *s) {
  if (!s) return;
  for (int i = 0; i < s->n_plans; i++) rn_plan_free(s->plans[i]);
  free(s->events);
  pthread_mutex_destroy(&s->lock);
  rn_graph_free(s->graph);
  free(s->order);
  free(s->feeds_value_input);
  free(s);
}

int rn_session_input_count(const rn_session *s) { return s ? s->graph->n_inputs : 0; }
int rn_session_output_count(const rn_session *s) { return s ? s->graph->n_outputs : 0; }

const char *rn_session_input_name(const rn_session *s, int i) {
  if (!s || i < 0 || i >= s->graph->n_inputs) return NULL;
  return s->graph->values[s->graph->inputs[i]].name;
}

const char *rn_session_output_name(const rn_session *s, int i) {
  if (!s || i < 0 || i >= s->graph->n_outputs) return NULL;
  return s->graph->values[s->graph->outputs[i]].name;
}

static void fill_info(const rn_value *v, rn_value_info *info) {
  memset(info, 0, sizeof *info);
  info->dtype = v->dtype;
  info->rank = v->rank;
  for (int d = 0; d < v->rank && d < RN_MAX_RANK; d++) {
    info->dims[d] = v->dims[d];
    info->dim_names[d] = v->dim_params[d];
  }
}

rn_status *rn_session_input_info(const rn_session *s, int i, rn_value_info *info) {
  if (!s || !info || i < 0 || i >= s->graph->n_inputs)
    return rn_error(RN_ERR_INVALID_ARGUMENT, "input index %d out of range", i);
  fill_info(&s->graph->values[s->graph->inputs[i]], info);
  return NULL;
}

rn_status *rn_session_output_info(const rn_session *s, int i, rn_value_info *info) {
  if (!s || !info || i < 0 || i >= s->graph->n_outputs)
    return rn_error(RN_ERR_INVALID_ARGUMENT, "output index %d out of range", i);
  fill_info(&s->graph->values[s->graph->outputs[i]], info);
  return NULL;
}

/* Finds or builds the plan for these inputs; the caller holds a use. */
static rn_status *find_plan(rn_session *s, rn_tensor *const *inputs, rn_plan **out) {
  pthread_mutex_lock(&s->lock);
  s->clock++;
  for (int i = 0; i < s->n_plans; i++)
    if (rn_plan_matches(s->plans[i], inputs)) {
      *out = s->plans[i];
      s->plans[i]->users++;
      s->plans[i]->last_used = s->clock;
      pthread_mutex_unlock(&s->lock);
      return NULL;
    }
  /* Built under the lock: concurrent first runs with one new shape wait
   * for one build instead of each building their own. */
  rn_plan *p = NULL;
  /* Folding is not optional: shape subgraphs must be known to infer shapes. */
  rn_status *st = rn_plan_build(s->graph, s->order, s->n_order, inputs, s->feeds_value_input, true,
                                &s->env, s->options.threads > 0 ? s->options.threads : (int)sysconf(_SC_NPROCESSORS_ONLN), &p);
  if (!st)
    rn_log(&s->env, RN_LOG_INFO, "graph '%s': plan %d built: %d nodes to run, %d folded at compile time, arena %zu bytes",
           s->graph->name ? s->graph->name : "", s->n_plans + 1, p->n_steps, p->n_folded, p->arena_size);
  if (!st) {
    if (s->n_plans == MAX_CACHED_PLANS) {
      int victim = -1;
      for (int i = 0; i < s->n_plans; i++)
        if (!s->plans[i]->users && (victim < 0 || s->plans[i]->last_used < s->plans[victim]->last_used))
          victim = i;
      if (victim < 0) {
        st = rn_error(RN_ERR_LIMIT, "more than %d input shapes in use at once", MAX_CACHED_PLANS);
        rn_plan_free(p);
        p = NULL;
      } else {
        rn_plan_free(s->plans[victim]);
        s->plans[victim] = s->plans[--s->n_plans];
      }
    }
    if (p) {
      p->users = 1;
      p->last_used = s->clock;
      s->plans[s->n_plans++] = p;
    }
  }
  pthread_mutex_unlock(&s->lock);
  *out = p;
  return st;
}

static rn_status *check_input(const rn_value *decl, const rn_tensor *t) {
  if (decl->dtype != RN_DTYPE_UNDEFINED && t->dtype != decl->dtype)
    return rn_error(RN_ERR_INVALID_ARGUMENT, "input '%s' must be %s, got %s", decl->name,
                    rn_dtype_name(decl->dtype), rn_dtype_name(t->dtype));
  if (decl->rank >= 0) {
    char a[128], b[128];
    rn_shape want = rn_shape_make(decl->rank, decl->dims);
    bool ok = t->shape.rank == decl->rank;
    for (int d = 0; ok && d < decl->rank; d++)
      if (decl->dims[d] >= 0 && decl->dims[d] != t->shape.dims[d]) ok = false;
    if (!ok)
      return rn_error(RN_ERR_INVALID_ARGUMENT, "input '%s' has shape %s, the model expects %s (-1 = any)",
                      decl->name, rn_shape_str(&t->shape, a, sizeof a), rn_shape_str(&want, b, sizeof b));
  }
  if (t->nbytes && !t->data)
    return rn_error(RN_ERR_INVALID_ARGUMENT, "input '%s' has no data", decl->name);
  return NULL;
}

rn_status *rn_session_run(rn_session *s, int n_inputs, const char *const *input_names,
                          rn_tensor *const *inputs, int n_outputs, const char *const *output_names,
                          rn_tensor **outputs) {
  if (!s || n_inputs < 0 || n_outputs < 0 || (n_inputs && (!input_names || !inputs)) ||
      (n_outputs && (!output_names || !outputs)))
    return rn_error(RN_ERR_INVALID_ARGUMENT, "rn_session_run: invalid arguments");
  const rn_graph *g = s->graph;
  /* Per-run bookkeeping lives on the stack for the usual handful of inputs
   * and outputs, so a steady-state run allocates nothing but its outputs. */
  enum { SMALL = 16 };
  rn_tensor *bound_small[SMALL] = {0};
  int out_values_small[SMALL];
  bool created_small[SMALL] = {0};
  bool small = g->n_inputs <= SMALL && n_outputs <= SMALL;
  rn_tensor **bound = small ? bound_small : calloc((size_t)g->n_inputs + 1, sizeof *bound);
  int *out_values = small ? out_values_small : malloc(sizeof(int) * ((size_t)n_outputs + 1));
  bool *created = small ? created_small : calloc((size_t)n_outputs + 1, sizeof *created); /* outputs rn allocated */
  rn_status *st = NULL;
  rn_plan *plan = NULL;
  rn_run_arena *arena = NULL;
  if (!bound || !out_values || !created) {
    st = rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
    goto done;
  }
  for (int i = 0; i < n_inputs && !st; i++) {
    int k = 0;
    while (k < g->n_inputs && strcmp(g->values[g->inputs[k]].name, input_names[i] ? input_names[i] : "") != 0) k++;
    if (k == g->n_inputs) st = rn_error(RN_ERR_NOT_FOUND, "the model has no input named '%s'", input_names[i] ? input_names[i] : "(null)");
    else if (!inputs[i]) st = rn_error(RN_ERR_INVALID_ARGUMENT, "input '%s' is NULL", input_names[i]);
    else if (bound[k]) st = rn_error(RN_ERR_INVALID_ARGUMENT, "input '%s' given twice", input_names[i]);
    else {
      st = check_input(&g->values[g->inputs[k]], inputs[i]);
      bound[k] = inputs[i];
    }
  }
  for (int k = 0; k < g->n_inputs && !st; k++)
    if (!bound[k]) st = rn_error(RN_ERR_INVALID_ARGUMENT, "input '%s' was not given", g->values[g->inputs[k]].name);
  for (int i = 0; i < n_outputs && !st; i++) {
    int k = 0;
    while (k < g->n_outputs && strcmp(g->values[g->outputs[k]].name, output_names[i] ? output_names[i] : "") != 0) k++;
    if (k == g->n_outputs) st = rn_error(RN_ERR_NOT_FOUND, "the model has no output named '%s'", output_names[i] ? output_names[i] : "(null)");
    else out_values[i] = g->outputs[k];
  }
  if (st) goto done;

  st = find_plan(s, bound, &plan);
  if (st) goto done;
  pthread_mutex_lock(&s->lock);
  arena = plan->free_arenas;
  if (arena) plan->free_arenas = arena->next;
  pthread_mutex_unlock(&s->lock);
  if (!arena && !(arena = rn_run_arena_new(g, plan))) {
    st = rn_error(RN_ERR_OUT_OF_MEMORY, "cannot allocate a %zu-byte arena", plan->arena_size);
    goto done;
  }
  for (int k = 0; k < g->n_inputs; k++) {
    int v = g->inputs[k];
    if (plan->values[v].kind == RN_SLOT_INPUT) rn_run_arena_bind(arena, v, bound[k]->data);
  }
  double *times = NULL;
  if (s->options.profiling) times = malloc(sizeof(double) * 2 * ((size_t)plan->n_steps + 1));
  st = rn_plan_execute(g, plan, arena, times);
  if (times) {
    if (!st) rn_session_record_profile(s, plan, times);
    free(times);
  }
  for (int i = 0; i < n_outputs && !st; i++) {
    const rn_tensor *src = &arena->views[out_values[i]];
    if (outputs[i]) {
      char a[128], b[128];
      if (outputs[i]->dtype != src->dtype || !rn_shape_equal(&outputs[i]->shape, &src->shape))
        st = rn_error(RN_ERR_INVALID_ARGUMENT, "output '%s' is %s %s, the caller's tensor is %s %s",
                      output_names[i], rn_dtype_name(src->dtype), rn_shape_str(&src->shape, a, sizeof a),
                      rn_dtype_name(outputs[i]->dtype), rn_shape_str(&outputs[i]->shape, b, sizeof b));
      else if (src->nbytes)
        memcpy(outputs[i]->data, src->data, src->nbytes);
    } else {
      outputs[i] = rn_tensor_new(src->dtype, &src->shape);
      created[i] = outputs[i] != NULL;
      if (!outputs[i]) st = rn_error(RN_ERR_OUT_OF_MEMORY, "cannot allocate output '%s'", output_names[i]);
      else if (src->nbytes) memcpy(outputs[i]->data, src->data, src->nbytes);
    }
  }
  if (st)
    for (int i = 0; i < n_outputs; i++)
      if (created && created[i]) {
        rn_tensor_release(outputs[i]);
        outputs[i] = NULL;
      }
done:
  if (plan) {
    pthread_mutex_lock(&s->lock);
    if (arena) {
      arena->next = plan->free_arenas;
      plan->free_arenas = arena;
    }
    plan->users--;
    pthread_mutex_unlock(&s->lock);
  }
  if (!small) {
    free(bound);
    free(out_values);
    free(created);
  }
  return st;
}

#define RN_STR2(x) #x
#define RN_STR(x) RN_STR2(x)
const char *rn_version(void) {
  return RN_STR(RN_VERSION_MAJOR) "." RN_STR(RN_VERSION_MINOR) "." RN_STR(RN_VERSION_PATCH);
}
