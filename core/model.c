#include "model.h"

#include <stdlib.h>
#include <string.h>

rn_status *rn_model_from_graph(rn_graph *graph, const rn_env *env, rn_model **out) {
  rn_model *m = calloc(1, sizeof *m);
  if (!m) {
    rn_graph_free(graph);
    return rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
  }
  m->graph = graph;
  m->env = env ? *env : *rn_env_default();
  *out = m;
  return NULL;
}

void rn_model_free(rn_model *model) {
  if (!model) return;
  rn_graph_free(model->graph);
  free(model);
}

const char *rn_model_graph_name(const rn_model *model) {
  return model && model->graph->name ? model->graph->name : "";
}

const char *rn_model_metadata(const rn_model *model, const char *key) {
  if (!model || !key) return NULL;
  const rn_graph *g = model->graph;
  for (int i = 0; i < g->n_metadata; i++)
    if (g->metadata[i].key && strcmp(g->metadata[i].key, key) == 0) return g->metadata[i].value;
  return NULL;
}
