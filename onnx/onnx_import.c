/* ModelProto -> core graph. Every field is treated as hostile: counts,
 * names, types and shapes are checked before they are used. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "graph.h"
#include "model.h"
#include "onnx_internal.h"

static const char *norm_domain(const char *d) {
  if (!d || strcmp(d, "ai.onnx") == 0) return "";
  return d;
}

/* Declared tensor type of a graph input/output/value_info. */
static rn_status *import_value_info(rn_graph *g, const Onnx__ValueInfoProto *vi, const char *role,
                                    int *index_out) {
  if (!vi->name || !vi->name[0])
    return rn_error(RN_ERR_INVALID_MODEL, "graph %s without a name", role);
  int idx = rn_graph_value(g, vi->name);
  if (idx < 0) return rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
  *index_out = idx;
  const Onnx__TypeProto *tp = vi->type;
  if (!tp) return NULL; /* type unknown: inferred later */
  if (tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE) {
    const char *kind = tp->value_case == ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE   ? "sequence"
                       : tp->value_case == ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE ? "optional"
                       : tp->value_case == ONNX__TYPE_PROTO__VALUE_MAP_TYPE      ? "map"
                       : tp->value_case == ONNX__TYPE_PROTO__VALUE_SPARSE_TENSOR_TYPE
                           ? "sparse tensor"
                           : "unknown";
    return rn_error(RN_ERR_UNSUPPORTED, "graph %s '%s' has %s type; rn supports tensors only",
                    role, vi->name, kind);
  }
  rn_value *v = &g->values[idx];
  const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
  if (!tt) return NULL;
  if (tt->has_elem_type) {
    if (tt->elem_type < 0 || tt->elem_type > RN_DTYPE_UINT64)
      return rn_error(RN_ERR_UNSUPPORTED, "graph %s '%s' has element type %d", role, vi->name,
                      tt->elem_type);
    v->dtype = (rn_dtype)tt->elem_type;
  }
  if (!tt->shape) return NULL;
  if (tt->shape->n_dim > RN_MAX_RANK)
    return rn_error(RN_ERR_UNSUPPORTED, "graph %s '%s' has rank %zu (rn's maximum is %d)", role,
                    vi->name, tt->shape->n_dim, RN_MAX_RANK);
  v->rank = (int)tt->shape->n_dim;
  for (size_t i = 0; i < tt->shape->n_dim; i++) {
    const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
    v->dims[i] = -1;
    free(v->dim_params[i]);
    v->dim_params[i] = NULL;
    if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
      if (d->dim_value < 0)
        return rn_error(RN_ERR_INVALID_MODEL, "graph %s '%s': dim %zu is negative (%lld)", role,
                        vi->name, i, (long long)d->dim_value);
      v->dims[i] = d->dim_value;
    } else if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM &&
               d->dim_param) {
      v->dim_params[i] = strdup(d->dim_param);
    }
  }
  return NULL;
}

static rn_status *import_attr(const Onnx__AttributeProto *ap, const rn_env *env, const char *base_dir,
                              const char *where, rn_attr *a) {
  memset(a, 0, sizeof *a);
  if (!ap->name || !ap->name[0]) return rn_error(RN_ERR_INVALID_MODEL, "%s: attribute without a name", where);
  a->name = strdup(ap->name);
  if (!a->name) return rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
  char what[400];
  snprintf(what, sizeof what, "%s: attribute '%s'", where, ap->name);
  int type = ap->has_type ? (int)ap->type : 0;
  if (!ap->has_type) {
    /* IR < 0.0.2 models: infer the type from the field that is set. */
    if (ap->has_f) type = RN_ATTR_FLOAT;
    else if (ap->has_i) type = RN_ATTR_INT;
    else if (ap->has_s) type = RN_ATTR_STRING;
    else if (ap->t) type = RN_ATTR_TENSOR;
    else if (ap->n_floats) type = RN_ATTR_FLOATS;
    else if (ap->n_ints) type = RN_ATTR_INTS;
    else if (ap->n_strings) type = RN_ATTR_STRINGS;
  }
  a->type = (rn_attr_type)type;
  switch (type) {
    case RN_ATTR_FLOAT: a->f = ap->f; break;
    case RN_ATTR_INT: a->i = ap->i; break;
    case RN_ATTR_STRING:
      a->s = malloc(ap->s.len + 1);
      if (!a->s) return rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
      if (ap->s.len) memcpy(a->s, ap->s.data, ap->s.len);
      a->s[ap->s.len] = 0;
      a->s_len = ap->s.len;
      break;
    case RN_ATTR_TENSOR:
      if (!ap->t) return rn_error(RN_ERR_INVALID_MODEL, "%s has type TENSOR but no tensor", what);
      RN_TRY(rn_onnx_tensor_convert(ap->t, env, base_dir, what, &a->t));
      break;
    case RN_ATTR_FLOATS:
      a->n = (int64_t)ap->n_floats;
      a->floats = malloc(sizeof(float) * (ap->n_floats ? ap->n_floats : 1));
      if (!a->floats) return rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
      if (ap->n_floats) memcpy(a->floats, ap->floats, sizeof(float) * ap->n_floats);
      break;
    case RN_ATTR_INTS:
      a->n = (int64_t)ap->n_ints;
      a->ints = malloc(sizeof(int64_t) * (ap->n_ints ? ap->n_ints : 1));
      if (!a->ints) return rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
      if (ap->n_ints) memcpy(a->ints, ap->ints, sizeof(int64_t) * ap->n_ints);
      break;
    case RN_ATTR_STRINGS:
      a->strings = calloc(ap->n_strings ? ap->n_strings : 1, sizeof(char *));
      if (!a->strings) return rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
      a->n = (int64_t)ap->n_strings;
      for (size_t k = 0; k < ap->n_strings; k++) {
        a->strings[k] = malloc(ap->strings[k].len + 1);
        if (!a->strings[k]) return rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
        if (ap->strings[k].len) memcpy(a->strings[k], ap->strings[k].data, ap->strings[k].len);
        a->strings[k][ap->strings[k].len] = 0;
      }
      break;
    case RN_ATTR_TENSORS:
      a->tensors = calloc(ap->n_tensors ? ap->n_tensors : 1, sizeof(rn_tensor *));
      if (!a->tensors) return rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
      a->n = (int64_t)ap->n_tensors;
      for (size_t k = 0; k < ap->n_tensors; k++)
        RN_TRY(rn_onnx_tensor_convert(ap->tensors[k], env, base_dir, what, &a->tensors[k]));
      break;
    case RN_ATTR_GRAPH:
    case RN_ATTR_GRAPHS:
    case RN_ATTR_SPARSE_TENSOR:
    case RN_ATTR_SPARSE_TENSORS:
    case RN_ATTR_TYPE_PROTO:
    case RN_ATTR_TYPE_PROTOS:
      /* Kept by name and type: ops that need them report UNSUPPORTED. */
      break;
    default:
      return rn_error(RN_ERR_INVALID_MODEL, "%s has unknown type %d", what, type);
  }
  return NULL;
}

static rn_status *import_node(rn_graph *g, const Onnx__NodeProto *np, int index,
                              const rn_env *env, const char *base_dir) {
  char where[300];
  if (!np->op_type || !np->op_type[0])
    return rn_error(RN_ERR_INVALID_MODEL, "node #%d has no op_type", index);
  if (np->name && np->name[0]) snprintf(where, sizeof where, "node '%s' (%s)", np->name, np->op_type);
  else snprintf(where, sizeof where, "node #%d (%s)", index, np->op_type);
  if (np->n_input > 100000 || np->n_output > 100000 || np->n_attribute > 100000)
    return rn_error(RN_ERR_LIMIT, "%s: too many inputs, outputs or attributes", where);
  int *ins = malloc(sizeof(int) * (np->n_input + 1));
  int *outs = malloc(sizeof(int) * (np->n_output + 1));
  rn_status *st = NULL;
  if (!ins || !outs) {
    st = rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
    goto done;
  }
  for (size_t k = 0; k < np->n_input; k++) {
    ins[k] = (np->input[k] && np->input[k][0]) ? rn_graph_value(g, np->input[k]) : -1;
    if (np->input[k] && np->input[k][0] && ins[k] < 0) {
      st = rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
      goto done;
    }
  }
  for (size_t k = 0; k < np->n_output; k++) {
    outs[k] = (np->output[k] && np->output[k][0]) ? rn_graph_value(g, np->output[k]) : -1;
    if (np->output[k] && np->output[k][0] && outs[k] < 0) {
      st = rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
      goto done;
    }
  }
  /* Drop trailing omitted outputs so arity checks see the real count. */
  size_t n_out = np->n_output;
  while (n_out > 0 && outs[n_out - 1] < 0) n_out--;
  int ni = rn_graph_add_node(g, np->name, np->op_type, norm_domain(np->domain), (int)np->n_input,
                             ins, (int)n_out, outs);
  if (ni < 0) {
    st = rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
    goto done;
  }
  rn_node *n = &g->nodes[ni];
  if (np->n_attribute) {
    n->attrs = calloc(np->n_attribute, sizeof *n->attrs);
    if (!n->attrs) {
      st = rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
      goto done;
    }
    for (size_t k = 0; k < np->n_attribute && !st; k++) {
      n->n_attrs = (int)k + 1;
      st = import_attr(np->attribute[k], env, base_dir, where, &n->attrs[k]);
      for (size_t j = 0; j < k && !st; j++)
        if (strcmp(n->attrs[j].name, n->attrs[k].name) == 0)
          st = rn_error(RN_ERR_INVALID_MODEL, "%s: attribute '%s' appears twice", where,
                        n->attrs[k].name);
    }
  }
done:
  free(ins);
  free(outs);
  return st;
}

static rn_status *import_graph(const Onnx__ModelProto *mp, const rn_env *env, const char *base_dir, rn_graph *g) {
  const Onnx__GraphProto *gp = mp->graph;
  if (!gp) return rn_error(RN_ERR_INVALID_MODEL, "model has no graph");
  g->name = strdup(gp->name ? gp->name : "");
  g->producer = strdup(mp->producer_name ? mp->producer_name : "");
  if (!g->name || !g->producer) return rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");

  if (mp->n_opset_import == 0) {
    /* IR version 1/2 models have no opset_import: ONNX says opset 1. */
    RN_TRY(rn_graph_set_opset(g, "", 1));
  }
  for (size_t i = 0; i < mp->n_opset_import; i++) {
    const Onnx__OperatorSetIdProto *o = mp->opset_import[i];
    if (!o->has_version || o->version < 1)
      return rn_error(RN_ERR_INVALID_MODEL, "opset_import of domain '%s' has no valid version",
                      norm_domain(o->domain));
    RN_TRY(rn_graph_set_opset(g, norm_domain(o->domain), o->version));
  }
  for (size_t i = 0; i < mp->n_metadata_props; i++) {
    const Onnx__StringStringEntryProto *e = mp->metadata_props[i];
    rn_metadata_prop *md = realloc(g->metadata, sizeof *md * (size_t)(g->n_metadata + 1));
    if (!md) return rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
    g->metadata = md;
    md[g->n_metadata].key = strdup(e->key ? e->key : "");
    md[g->n_metadata].value = strdup(e->value ? e->value : "");
    g->n_metadata++;
  }

  if (gp->n_sparse_initializer)
    return rn_error(RN_ERR_UNSUPPORTED, "sparse initializers are not supported");
  for (size_t i = 0; i < gp->n_initializer; i++) {
    const Onnx__TensorProto *tp = gp->initializer[i];
    if (!tp->name || !tp->name[0])
      return rn_error(RN_ERR_INVALID_MODEL, "initializer #%zu has no name", i);
    if (rn_graph_find_value(g, tp->name) >= 0)
      return rn_error(RN_ERR_INVALID_MODEL, "initializer '%s' appears twice", tp->name);
    int v = rn_graph_value(g, tp->name);
    if (v < 0) return rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
    char what[300];
    snprintf(what, sizeof what, "initializer '%s'", tp->name);
    RN_TRY(rn_onnx_tensor_convert(tp, env, base_dir, what, &g->values[v].constant));
    rn_value *val = &g->values[v];
    val->dtype = val->constant->dtype;
    val->rank = val->constant->shape.rank;
    memcpy(val->dims, val->constant->shape.dims, sizeof val->dims);
  }

  g->inputs = malloc(sizeof(int) * (gp->n_input + 1));
  g->outputs = malloc(sizeof(int) * (gp->n_output + 1));
  if (!g->inputs || !g->outputs) return rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
  for (size_t i = 0; i < gp->n_input; i++) {
    int idx;
    bool is_init = gp->input[i]->name && rn_graph_find_value(g, gp->input[i]->name) >= 0 &&
                   g->values[rn_graph_find_value(g, gp->input[i]->name)].constant;
    if (is_init) continue; /* an initializer listed as input: a constant with a default */
    RN_TRY(import_value_info(g, gp->input[i], "input", &idx));
    for (int k = 0; k < g->n_inputs; k++)
      if (g->inputs[k] == idx)
        return rn_error(RN_ERR_INVALID_MODEL, "graph input '%s' appears twice", gp->input[i]->name);
    g->inputs[g->n_inputs++] = idx;
  }
  for (size_t i = 0; i < gp->n_node; i++) RN_TRY(import_node(g, gp->node[i], (int)i, env, base_dir));
  for (size_t i = 0; i < gp->n_output; i++) {
    int idx;
    RN_TRY(import_value_info(g, gp->output[i], "output", &idx));
    g->outputs[g->n_outputs++] = idx;
  }
  return rn_graph_validate(g);
}

static rn_status *load_bytes(const uint8_t *bytes, size_t size, const rn_env *env, const char *base_dir,
                             const char *origin, rn_model **out) {
  RN_TRY(rn_env_check_limit(env, RN_LIMIT_MODEL_BYTES, size, origin));
  Onnx__ModelProto *mp = onnx__model_proto__unpack(NULL, size, bytes);
  if (!mp)
    return rn_error(RN_ERR_INVALID_MODEL,
                    "%s: not a valid ONNX model (protobuf parse failed on %zu bytes: truncated or not ONNX)",
                    origin, size);
  rn_graph *g = rn_graph_new();
  rn_status *st = g ? import_graph(mp, env, base_dir, g) : rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
  onnx__model_proto__free_unpacked(mp, NULL);
  if (st) {
    rn_graph_free(g);
    return rn_error_prefix(st, "%s", origin);
  }
  return rn_model_from_graph(g, env, out);
}

rn_status *rn_model_load_memory(const rn_env *env, const void *bytes, size_t size,
                                const char *base_dir, rn_model **out) {
  if (!out) return rn_error(RN_ERR_INVALID_ARGUMENT, "rn_model_load_memory: out is NULL");
  *out = NULL;
  if (!bytes && size) return rn_error(RN_ERR_INVALID_ARGUMENT, "rn_model_load_memory: bytes is NULL");
  if (!env) env = rn_env_default();
  return load_bytes(bytes, size, env, base_dir, "model", out);
}

rn_status *rn_model_load_file(const rn_env *env, const char *path, rn_model **out) {
  if (!out || !path) return rn_error(RN_ERR_INVALID_ARGUMENT, "rn_model_load_file: NULL argument");
  *out = NULL;
  FILE *f = fopen(path, "rb");
  if (!f) return rn_error(RN_ERR_IO, "cannot open model '%s': %s", path, strerror(errno));
  struct stat sb;
  if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
    fclose(f);
    return rn_error(RN_ERR_IO, "model '%s' is not a regular file", path);
  }
  if (!env) env = rn_env_default();
  rn_status *limit = rn_env_check_limit(env, RN_LIMIT_MODEL_BYTES, (uint64_t)sb.st_size, path);
  if (limit) {
    fclose(f);
    return limit;
  }
  size_t size = (size_t)sb.st_size;
  uint8_t *buf = malloc(size ? size : 1);
  if (!buf) {
    fclose(f);
    return rn_error(RN_ERR_OUT_OF_MEMORY, "model '%s': cannot allocate %zu bytes", path, size);
  }
  size_t got = fread(buf, 1, size, f);
  fclose(f);
  if (got != size) {
    free(buf);
    return rn_error(RN_ERR_IO, "cannot read model '%s'", path);
  }
  char *dir_copy = strdup(path);
  if (!dir_copy) {
    free(buf);
    return rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
  }
  rn_status *st = load_bytes(buf, size, env, dirname(dir_copy), path, out);
  free(dir_copy);
  free(buf);
  return st;
}
