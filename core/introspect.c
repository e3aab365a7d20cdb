/* Looking inside a session or model: per-node shapes, parameter and MAC
 * counts (rnrun --summary), Chrome-trace profiles, Graphviz graphs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "session.h"

int rn_session_node_count(const rn_session *s) { return s ? s->n_order : 0; }

/* The plan used most recently (shapes of the last run). Caller holds the lock. */
static const rn_plan *latest_plan(const rn_session *s) {
  const rn_plan *best = NULL;
  for (int i = 0; i < s->n_plans; i++)
    if (!best || s->plans[i]->last_used > best->last_used) best = s->plans[i];
  return best;
}

static bool is_learned_input(const rn_node *n, int k) {
  /* BatchNormalization's running mean and variance are buffers, not
   * parameters (as torchvision counts them). */
  if (strcmp(n->op_type, "BatchNormalization") == 0 && (k == 3 || k == 4)) return false;
  return true;
}

static int64_t node_macs(const rn_node *n, const rn_plan *p) {
  if (!p || n->n_outputs < 1 || n->outputs[0] < 0) return 0;
  const rn_plan_value *out = &p->values[n->outputs[0]];
  int64_t out_numel = rn_shape_numel(&out->shape);
  if (out_numel < 0) return 0;
  const rn_plan_value *in0 = n->n_inputs > 0 && n->inputs[0] >= 0 ? &p->values[n->inputs[0]] : NULL;
  const rn_plan_value *in1 = n->n_inputs > 1 && n->inputs[1] >= 0 ? &p->values[n->inputs[1]] : NULL;
  if (!in0 || !in1) return 0;
  bool fused_conv = strcmp(n->op_type, "FusedConv") == 0 && strcmp(n->domain, "rn") == 0;
  if ((strcmp(n->op_type, "Conv") == 0 || fused_conv) && in1->shape.rank >= 3) {
    /* weight [M, C/group, k...]: each output element costs C/group * prod(k)
     * (a FusedConv whose Z broadcasts the convolution to a larger output is
     * counted at that output's size) */
    int64_t per = 1;
    for (int d = 1; d < in1->shape.rank; d++) per *= in1->shape.dims[d];
    return out_numel * per;
  }
  if (strcmp(n->op_type, "ConvTranspose") == 0 && in1->shape.rank >= 3) {
    int64_t per = 1; /* weight [C, M/group, k...]: each input element */
    for (int d = 1; d < in1->shape.rank; d++) per *= in1->shape.dims[d];
    int64_t in_numel = rn_shape_numel(&in0->shape);
    return in_numel < 0 ? 0 : in_numel * per;
  }
  if (strcmp(n->op_type, "Gemm") == 0 && in0->shape.rank == 2) {
    int64_t k = rn_attr_int(n, "transA", 0) ? in0->shape.dims[0] : in0->shape.dims[1];
    return out_numel * k;
  }
  if (strcmp(n->op_type, "MatMul") == 0 && in0->shape.rank >= 1)
    return out_numel * in0->shape.dims[in0->shape.rank - 1];
  return 0;
}

rn_status *rn_session_node_info(rn_session *s, int index, rn_node_info *info) {
  if (!s || !info || index < 0 || index >= s->n_order)
    return rn_error(RN_ERR_INVALID_ARGUMENT, "node index %d out of range", index);
  const rn_graph *g = s->graph;
  const rn_node *n = &g->nodes[s->order[index]];
  memset(info, 0, sizeof *info);
  info->name = n->name;
  info->op_type = n->op_type;
  info->domain = n->domain;
  info->rank = -1;
  /* Parameters are counted where they are used, by slot: an exporter may
   * share identical initializers through Identity nodes (torch.onnx does for
   * freshly initialized BatchNorms), so Identity chains are followed back to
   * the initializer and Identity nodes themselves count nothing. */
  for (int k = 0; k < n->n_inputs && strcmp(n->op_type, "Identity") != 0; k++) {
    int v = n->inputs[k];
    if (v < 0 || !is_learned_input(n, k)) continue;
    for (int hops = 0; hops < 64 && g->values[v].producer >= 0; hops++) {
      const rn_node *p = &g->nodes[g->values[v].producer];
      if (strcmp(p->op_type, "Identity") != 0 || p->n_inputs < 1 || p->inputs[0] < 0) break;
      v = p->inputs[0];
    }
    const rn_tensor *c = g->values[v].producer < 0 ? g->values[v].constant : NULL;
    if (c && (c->dtype == RN_DTYPE_FLOAT || c->dtype == RN_DTYPE_DOUBLE || c->dtype == RN_DTYPE_FLOAT16))
      info->params += rn_shape_numel(&c->shape);
  }
  pthread_mutex_lock(&s->lock);
  const rn_plan *p = latest_plan(s);
  if (p && n->n_outputs > 0 && n->outputs[0] >= 0) {
    const rn_plan_value *pv = &p->values[n->outputs[0]];
    info->dtype = pv->dtype;
    info->rank = pv->shape.rank;
    memcpy(info->dims, pv->shape.dims, sizeof info->dims);
    info->folded = pv->kind == RN_SLOT_CONST;
    info->macs = node_macs(n, p);
    info->placed_on = info->folded ? "folded" : NULL;
    for (int st_i = 0; st_i < p->n_steps && !info->placed_on; st_i++)
      if (p->steps[st_i].node == s->order[index]) info->placed_on = p->steps[st_i].placed_on;
  }
  pthread_mutex_unlock(&s->lock);
  return NULL;
}

void rn_session_record_profile(rn_session *s, const rn_plan *plan, const double *times) {
  pthread_mutex_lock(&s->lock);
  long run = s->n_runs++;
  enum { MAX_EVENTS = 1 << 20 };
  if (s->n_events + plan->n_steps > s->cap_events && s->n_events + plan->n_steps <= MAX_EVENTS) {
    int cap = s->cap_events ? s->cap_events : 1024;
    while (cap < s->n_events + plan->n_steps) cap *= 2;
    rn_profile_event *ev = realloc(s->events, sizeof *ev * (size_t)cap);
    if (ev) {
      s->events = ev;
      s->cap_events = cap;
    }
  }
  for (int i = 0; i < plan->n_steps && s->n_events < s->cap_events; i++)
    s->events[s->n_events++] = (rn_profile_event){plan->steps[i].node, times[2 * i],
                                                  times[2 * i + 1] - times[2 * i], run};
  pthread_mutex_unlock(&s->lock);
}

static void json_string(FILE *f, const char *str) {
  fputc('"', f);
  for (const unsigned char *c = (const unsigned char *)str; *c; c++) {
    if (*c == '"' || *c == '\\') fprintf(f, "\\%c", *c);
    else if (*c < 0x20) fprintf(f, "\\u%04x", *c);
    else fputc(*c, f);
  }
  fputc('"', f);
}

rn_status *rn_session_write_profile(rn_session *s, const char *path) {
  if (!s || !path) return rn_error(RN_ERR_INVALID_ARGUMENT, "rn_session_write_profile: NULL argument");
  if (!s->options.profiling)
    return rn_error(RN_ERR_INVALID_ARGUMENT, "profiling is not enabled in the session options");
  FILE *f = fopen(path, "w");
  if (!f) return rn_error(RN_ERR_IO, "cannot write profile '%s': %s", path, strerror(errno));
  pthread_mutex_lock(&s->lock);
  double t0 = s->n_events ? s->events[0].start_us : 0;
  fprintf(f, "{\"traceEvents\":[\n");
  for (int i = 0; i < s->n_events; i++) {
    const rn_profile_event *e = &s->events[i];
    const rn_node *n = &s->graph->nodes[e->node];
    fprintf(f, "%s{\"name\":", i ? ",\n" : "");
    json_string(f, n->name && n->name[0] ? n->name : n->op_type);
    fprintf(f, ",\"cat\":");
    json_string(f, n->op_type);
    fprintf(f, ",\"ph\":\"X\",\"ts\":%.3f,\"dur\":%.3f,\"pid\":1,\"tid\":1,\"args\":{\"op\":", e->start_us - t0, e->dur_us);
    json_string(f, n->op_type);
    fprintf(f, ",\"run\":%ld}}", e->run);
  }
  fprintf(f, "\n]}\n");
  s->n_events = 0;
  pthread_mutex_unlock(&s->lock);
  if (fclose(f) != 0) return rn_error(RN_ERR_IO, "cannot write profile '%s'", path);
  return NULL;
}

/* Writes str escaped for a quoted dot string (without the quotes). */
static void dot_escaped(FILE *f, const char *str) {
  for (const char *c = str; *c; c++) {
    if (*c == '"' || *c == '\\') fputc('\\', f);
    if (*c == '\n') fputs("\\n", f);
    else fputc(*c, f);
  }
}

static void dot_string(FILE *f, const char *str) {
  fputc('"', f);
  dot_escaped(f, str);
  fputc('"', f);
}

rn_status *rn_model_write_dot(const rn_model *model, const char *path) {
  if (!model || !path) return rn_error(RN_ERR_INVALID_ARGUMENT, "rn_model_write_dot: NULL argument");
  FILE *f = fopen(path, "w");
  if (!f) return rn_error(RN_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
  const rn_graph *g = model->graph;
  fprintf(f, "digraph rn {\n  rankdir=TB;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n");
  for (int i = 0; i < g->n_inputs; i++) {
    fprintf(f, "  v%d [shape=ellipse, label=", g->inputs[i]);
    dot_string(f, g->values[g->inputs[i]].name);
    fprintf(f, "];\n");
  }
  for (int i = 0; i < g->n_outputs; i++) {
    fprintf(f, "  out%d [shape=ellipse, label=", i);
    dot_string(f, g->values[g->outputs[i]].name);
    fprintf(f, "];\n");
  }
  for (int i = 0; i < g->n_nodes; i++) {
    const rn_node *n = &g->nodes[i];
    fprintf(f, "  n%d [label=\"", i);
    dot_escaped(f, n->op_type);
    fputs("\\n", f);
    dot_escaped(f, n->name ? n->name : "");
    fputs("\"];\n", f);
  }
  for (int i = 0; i < g->n_nodes; i++) {
    const rn_node *n = &g->nodes[i];
    for (int k = 0; k < n->n_inputs; k++) {
      int v = n->inputs[k];
      if (v < 0 || g->values[v].constant) continue; /* weights would drown the picture */
      if (g->values[v].producer >= 0) fprintf(f, "  n%d -> n%d;\n", g->values[v].producer, i);
      else fprintf(f, "  v%d -> n%d;\n", v, i);
    }
  }
  for (int i = 0; i < g->n_outputs; i++) {
    int p = g->values[g->outputs[i]].producer;
    if (p >= 0) fprintf(f, "  n%d -> out%d;\n", p, i);
  }
  fprintf(f, "}\n");
  if (fclose(f) != 0) return rn_error(RN_ERR_IO, "cannot write '%s'", path);
  return NULL;
}
