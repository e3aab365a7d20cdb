/* Graph rewrites run by rn_session_create on the session's own copy of the
 * graph when the `optimize` option is on (after rn_graph_validate, before
 * rn_graph_resolve_ops), in this order:
 *   1. BatchNormalization folded into the Conv before it (new constant
 *      weights and bias; the model's constants are never modified; its
 *      parameters may reach it through Identity nodes, which are removed
 *      when nothing else reads them);
 *   2. Conv [+ Add] [+ activation] fused into one ("rn", "FusedConv") node
 *      (ops/nn/fused_conv.c has its semantics); besides the activation ops,
 *      x * Sigmoid(x) is SiLU and x * HardSigmoid(x) with alpha 1/6, beta
 *      1/2 is HardSwish (torch.onnx's form before opset 14).
 * Node opsets are not resolved yet: rewrites read rn_graph_opset(). */
#ifndef RN_CORE_OPTIMIZE_H
#define RN_CORE_OPTIMIZE_H

#include <stddef.h>

#include "graph.h"

/* Activations FusedConv absorbs, in the order of rn_optimize_stats.act. */
enum {
  RN_OPT_ACT_RELU,
  RN_OPT_ACT_CLIP,
  RN_OPT_ACT_SIGMOID,
  RN_OPT_ACT_SILU,
  RN_OPT_ACT_HARD_SIGMOID,
  RN_OPT_ACT_LEAKY_RELU,
  RN_OPT_ACT_HARD_SWISH,
  RN_OPT_ACT_TANH,
  RN_OPT_ACT_COUNT
};

typedef struct rn_optimize_stats {
  int bn_folded;            /* BatchNormalization nodes folded into a Conv */
  int fused;                /* Conv / FusedConv nodes that absorbed something */
  int add_fused;            /* ... of which absorbed an Add (input Z) */
  int act[RN_OPT_ACT_COUNT]; /* ... absorbed activations, by kind */
  int nodes_before, nodes_after;
} rn_optimize_stats;

/* Rewrites g in place (see above), then revalidates it (producers). */
rn_status *rn_graph_optimize(rn_graph *g, rn_optimize_stats *stats);

/* "2 BatchNormalization folded into Conv, 3 Conv fused into FusedConv (1 with
 * Add; activations: 2 Relu, 1 SiLU), 12 -> 5 nodes". */
void rn_optimize_describe(const rn_optimize_stats *stats, char *buf, size_t size);

#endif
