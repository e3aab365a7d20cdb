/* A plan: the graph specialized to one set of concrete input shapes.
 *
 * Building a plan runs shape inference node by node, evaluates every node
 * whose inputs are all known at compile time (constant folding: this is what
 * turns Shape->Gather->Concat->Reshape chains into constants), and assigns
 * each remaining intermediate tensor an offset in one arena by lifetime.
 * A plan is immutable once built and shared by concurrent runs; each run
 * borrows an arena (with its tensor views) from the plan's pool.
 */
#ifndef RN_CORE_PLAN_H
#define RN_CORE_PLAN_H

#include <pthread.h>
#include <stdbool.h>

#include "env.h"
#include "graph.h"
#include "op.h"
#include "rn_plugin.h"

typedef enum rn_slot_kind {
  RN_SLOT_UNUSED = 0, /* not needed for any output */
  RN_SLOT_CONST,      /* initializer or folded: data known at compile time */
  RN_SLOT_INPUT,      /* graph input: bound to the caller's tensor per run */
  RN_SLOT_ARENA       /* computed at run time, lives in the arena */
} rn_slot_kind;

typedef struct rn_plan_value {
  rn_slot_kind kind;
  rn_dtype dtype;
  rn_shape shape;
  rn_tensor *constant; /* RN_SLOT_CONST (a reference) */
  int input_index;     /* RN_SLOT_INPUT: index into graph->inputs */
  size_t offset;       /* RN_SLOT_ARENA */
  size_t nbytes;
} rn_plan_value;

typedef struct rn_plan_step {
  int node;            /* index into graph->nodes */
  size_t ws_offset;    /* workspace in the arena */
  size_t ws_size;
  /* Placement: a plugin kernel (with its prepared state), or NULL for rn's
   * reference kernel (node->op->run). */
  const rn_plugin_kernel *kernel;
  void *kernel_state;
  const char *placed_on; /* the plugin's name, or "reference" */
} rn_plan_step;

typedef struct rn_run_arena rn_run_arena;

typedef struct rn_plan {
  /* The key: what the plan was specialized to. */
  int n_inputs;
  rn_tensor **key_inputs; /* per graph input: type/shape, with data only for shape-like inputs */

  int n_values;
  rn_plan_value *values;  /* one per graph value */
  rn_plan_step *steps;
  int n_steps;
  size_t arena_size;
  int n_folded;           /* nodes evaluated at compile time */

  /* Pool of arenas not in use (guarded by the session's lock). */
  rn_run_arena *free_arenas;
  int users;              /* runs holding this plan (guarded by the session's lock) */
  unsigned long last_used;
} rn_plan;

/* True if a graph input is specialized by value: it feeds an input whose
 * value shapes the outputs (`feeds_value_input`, see rn_op_def.value_inputs),
 * or it looks shape-like (a small integer vector, which may reach such an
 * input through other nodes). */
bool rn_plan_specializes_input(bool feeds_value_input, rn_dtype dtype, const rn_shape *shape);

/* Builds a plan for `order` (node indices to run, topologically sorted) with
 * the given graph inputs (one per graph->inputs entry; data is read only for
 * inputs specialized by value). `feeds_value_input` has one flag per graph
 * input. `fold` enables constant folding. `env` gives the tensor and arena
 * size limits and the plugins whose kernels may take nodes (placement);
 * `threads` is what plugin kernels are told they may use. */
rn_status *rn_plan_build(const rn_graph *g, const int *order, int n_order,
                         rn_tensor *const *inputs, const bool *feeds_value_input, bool fold,
                         const rn_env *env, int threads, rn_plan **out);
void rn_plan_free(rn_plan *plan);

/* True if the plan was built for exactly these inputs. */
bool rn_plan_matches(const rn_plan *plan, rn_tensor *const *inputs);

/* Arena + tensor views for one run; taken from and returned to a plan. */
struct rn_run_arena {
  rn_run_arena *next;
  void *memory;
  rn_tensor *views;       /* one per graph value */
  rn_tensor **step_args;  /* per step: inputs then outputs */
  rn_plugin_tensor *pviews;      /* the same views as plugins see them */
  rn_plugin_tensor **step_pargs; /* per step: inputs then outputs */
};
/* Points an input's views (core and plugin) at the caller's data. */
void rn_run_arena_bind(rn_run_arena *a, int value, void *data);
rn_run_arena *rn_run_arena_new(const rn_graph *g, const rn_plan *plan);
void rn_run_arena_free(rn_run_arena *a);

/* Executes the plan's steps on an arena whose input views are bound. If
 * `times` is not NULL it receives each step's start and end (microseconds). */
rn_status *rn_plan_execute(const rn_graph *g, const rn_plan *plan, rn_run_arena *arena,
                           double *times);

#endif
