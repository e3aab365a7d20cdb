/* A loaded model: the imported graph, before compilation. */
#ifndef RN_CORE_MODEL_H
#define RN_CORE_MODEL_H

#include "env.h"
#include "graph.h"

struct rn_model {
  rn_graph *graph;
  rn_env env; /* a copy of the environment it was loaded with */
};

/* Wraps a graph (taking ownership) as a model; env may be NULL. */
rn_status *rn_model_from_graph(rn_graph *graph, const rn_env *env, rn_model **out);

#endif
