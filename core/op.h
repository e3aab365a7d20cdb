/* The contract between core and an operator implementation (ops/, plugins).
 *
 * An operator definition validates its attributes and infers its outputs'
 * types and shapes (`infer`), and computes them (`run`). Both receive the
 * same context:
 *   - during `infer`, inputs carry dtype and shape; `data` is non-NULL only
 *     for inputs whose value is known at compile time (initializers, folded
 *     constants, shape-like graph inputs). `infer` sets each present output's
 *     dtype and shape (use rn_op_set_output).
 *   - during `run`, every present input and output has data; outputs are
 *     already sized to the shapes `infer` gave.
 * An omitted optional input or output is NULL in the arrays.
 */
#ifndef RN_CORE_OP_H
#define RN_CORE_OP_H

#include <stdbool.h>
#include <stddef.h>

#include "graph.h"
#include "status.h"
#include "tensor.h"

typedef struct rn_op_ctx {
  const rn_node *node;
  int opset;                 /* the node's domain opset version */
  int n_inputs;
  rn_tensor *const *inputs;  /* n_inputs entries, NULL for omitted optional ones */
  int n_outputs;
  rn_tensor *const *outputs; /* n_outputs entries, NULL for omitted optional ones */
  void *workspace;           /* run only: `workspace(ctx)` bytes, 64-byte aligned */
} rn_op_ctx;

typedef struct rn_op_def {
  const char *domain;   /* "" for the default ONNX domain */
  const char *op_type;
  int since_version;    /* lowest opset this definition handles */
  int max_version;      /* highest opset it handles (semantics checked up to there) */
  int min_inputs, max_inputs;   /* counts including omitted optional trailing inputs */
  int min_outputs, max_outputs;
  rn_status *(*infer)(rn_op_ctx *ctx);
  rn_status *(*run)(rn_op_ctx *ctx);
  /* Optional: scratch bytes `run` needs for these shapes (known at infer time). */
  size_t (*workspace)(const rn_op_ctx *ctx);
  /* True if the op must not be evaluated at compile time (random ops). */
  bool no_fold;
  /* True if the outputs depend only on the inputs' types and shapes, never
   * their data (Shape, Size): such a node is evaluated at compile time as soon
   * as the shapes are known, with inputs whose `data` is NULL. */
  bool shape_only;
  /* Bit i set: the VALUE of input i is needed to infer output shapes
   * (Reshape's shape, Slice's starts...). A graph input feeding such a slot
   * is specialized by value: each distinct value gets its own plan. */
  unsigned value_inputs;
} rn_op_def;

/* The registry of built-in operator definitions (ops/registry.c). */
const rn_op_def *const *rn_builtin_ops(int *count);

/* Finds the definition for (domain, op_type) at `opset`. On failure returns
 * NULL and, if `why` is not NULL, an UNSUPPORTED status saying why. */
const rn_op_def *rn_op_find(const char *domain, const char *op_type, int opset, rn_status **why);

/* ---- helpers for op implementations ---- */

/* Sets output i's dtype and shape (no-op when the output is omitted). */
void rn_op_set_output(rn_op_ctx *ctx, int i, rn_dtype dtype, const rn_shape *shape);

/* An error prefixed with the node's name and op type. */
rn_status *rn_op_error(const rn_op_ctx *ctx, rn_status_code code, const char *fmt, ...)
    RN_PRINTF(3, 4);

/* Input i if present, else NULL (also when i >= n_inputs). */
static inline rn_tensor *rn_op_input(const rn_op_ctx *ctx, int i) {
  return i < ctx->n_inputs ? ctx->inputs[i] : NULL;
}
static inline rn_tensor *rn_op_output(const rn_op_ctx *ctx, int i) {
  return i < ctx->n_outputs ? ctx->outputs[i] : NULL;
}

/* Normalizes a possibly negative axis against rank; false if out of range. */
bool rn_normalize_axis(int64_t axis, int rank, int *out);

/* True for the index element types ONNX allows (int32, int64); every op
 * group checks this. */
static inline bool rn_op_is_index_dtype(rn_dtype dt) {
  return dt == RN_DTYPE_INT64 || dt == RN_DTYPE_INT32;
}

/* Error unless inputs 0..n_inputs-1 and output 0 are present: the common
 * first check of an op's infer. */
rn_status *rn_op_require(const rn_op_ctx *ctx, int n_inputs);

/* Checks an inferred output shape before it is set: rank <= RN_MAX_RANK,
 * dims >= 0 and a byte size (for dtype) that does not overflow. */
rn_status *rn_op_check_shape(const rn_op_ctx *ctx, const rn_shape *shape, rn_dtype dtype);

/* Reads a constant int32/int64 tensor of rank <= 1 (axes, pads, shapes...)
 * into vals, at most `max` values; UNSUPPORTED when its data is not known at
 * infer time. `what` names the input in messages. */
rn_status *rn_op_const_ints(const rn_op_ctx *ctx, const rn_tensor *t, const char *what,
                            int64_t *vals, int max, int *n);

/* Row-major element strides of a shape, for kernels that walk it by index. */
void rn_op_strides(const rn_shape *shape, int64_t *strides);

#endif
