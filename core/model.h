/* A loaded model: the imported graph, before compilation. */
#ifndef RN_CORE_MODEL_H
#define RN_CORE_MODEL_H

#include "graph.h"

struct rn_model {
  rn_graph *graph;
};

/* Wraps a graph (taking ownership) as a model. */
rn_status *rn_model_from_graph(rn_graph *graph, rn_model **out);

#endif
