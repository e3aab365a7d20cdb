/* Core graph -> ModelProto (ir_version 8), the inverse of onnx_import.c.
 *
 * The protobuf-c message tree is built in a private arena (freed in one go
 * on every path) and points at the graph's own strings and tensor data: no
 * tensor is copied (except on big-endian hosts, where raw_data must be
 * byte-swapped to ONNX's little-endian). The tree is packed once into a
 * buffer sized with get_packed_size. Output is deterministic: the same graph
 * always gives the same bytes. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "graph.h"
#include "model.h"
#include "onnx_internal.h"

/* A protobuf message cannot exceed 2 GiB (its sizes are signed 32-bit). */
#define RN_PROTOBUF_MAX ((uint64_t)INT32_MAX)

/* ------------------------------------------------------------ arena */

typedef struct arena_block {
  struct arena_block *next;
  max_align_t data[];
} arena_block;

typedef struct arena {
  arena_block *head;
  bool oom;
} arena;

/* Zeroed memory that lives until arena_free; NULL (and a.oom set) on OOM. */
static void *anew(arena *a, size_t size) {
  if (a->oom) return NULL;
  arena_block *b = calloc(1, sizeof *b + (size ? size : 1));
  if (!b) {
    a->oom = true;
    return NULL;
  }
  b->next = a->head;
  a->head = b;
  return b->data;
}

static void *anew_array(arena *a, size_t n, size_t size) {
  if (n && size > SIZE_MAX / n) {
    a->oom = true;
    return NULL;
  }
  return anew(a, n * size);
}

static void arena_free(arena *a) {
  arena_block *b = a->head;
  while (b) {
    arena_block *next = b->next;
    free(b);
    b = next;
  }
  a->head = NULL;
}

/* protobuf-c's fields are `char *`; the packer only reads them. */
static char *cs(const char *s) { return (char *)(uintptr_t)s; }

#define OOM() rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory while serializing the model")

/* ------------------------------------------------------------ tensors */

static bool host_big_endian(void) {
  const uint16_t one = 1;
  return *(const uint8_t *)&one == 0;
}

static bool dtype_exportable(rn_dtype dt) {
  return dt >= RN_DTYPE_FLOAT && dt <= RN_DTYPE_UINT64 && dt != RN_DTYPE_STRING;
}

/* A TensorProto over t's data (raw_data, little-endian). `name` may be NULL. */
static rn_status *export_tensor(arena *a, const rn_tensor *t, const char *name, const char *what,
                                Onnx__TensorProto **out) {
  if (!t) return rn_error(RN_ERR_INVALID_MODEL, "%s: no tensor", what);
  if (!dtype_exportable(t->dtype))
    return rn_error(RN_ERR_UNSUPPORTED, "%s: cannot serialize a tensor of type %s", what,
                    rn_dtype_name(t->dtype));
  if (t->shape.rank < 0 || t->shape.rank > RN_MAX_RANK)
    return rn_error(RN_ERR_INVALID_MODEL, "%s: invalid rank %d", what, t->shape.rank);
  size_t nbytes;
  if (!rn_shape_nbytes(&t->shape, t->dtype, &nbytes))
    return rn_error(RN_ERR_INVALID_MODEL, "%s: invalid shape", what);
  if (nbytes && !t->data)
    return rn_error(RN_ERR_INVALID_MODEL, "%s: tensor has a type and shape but no data", what);
  if (nbytes > RN_PROTOBUF_MAX)
    return rn_error(RN_ERR_LIMIT,
                    "%s: %zu bytes do not fit in a 2 GiB protobuf (writing external data is not supported)",
                    what, nbytes);
  Onnx__TensorProto *tp = anew(a, sizeof *tp);
  if (!tp) return OOM();
  onnx__tensor_proto__init(tp);
  tp->name = cs(name);
  tp->has_data_type = 1;
  tp->data_type = (int32_t)t->dtype;
  tp->n_dims = (size_t)t->shape.rank;
  if (t->shape.rank) {
    tp->dims = anew_array(a, (size_t)t->shape.rank, sizeof *tp->dims);
    if (!tp->dims) return OOM();
    memcpy(tp->dims, t->shape.dims, sizeof *tp->dims * (size_t)t->shape.rank);
  }
  tp->has_raw_data = 1;
  tp->raw_data.len = nbytes;
  tp->raw_data.data = nbytes ? (uint8_t *)t->data : NULL;
  size_t es = rn_dtype_size(t->dtype);
  if (nbytes && es > 1 && host_big_endian()) {
    uint8_t *le = anew(a, nbytes);
    if (!le) return OOM();
    const uint8_t *src = t->data;
    for (size_t i = 0; i < nbytes; i += es)
      for (size_t k = 0; k < es; k++) le[i + k] = src[i + es - 1 - k];
    tp->raw_data.data = le;
  }
  *out = tp;
  return NULL;
}

/* ------------------------------------------------------------ value infos */

/* A ValueInfoProto with what is known of v: elem_type and shape (dim_value,
 * dim_param, or an empty dim for unknown dims). No type if dtype is unknown. */
static rn_status *export_value_info(arena *a, const rn_value *v, Onnx__ValueInfoProto **out) {
  Onnx__ValueInfoProto *vi = anew(a, sizeof *vi);
  if (!vi) return OOM();
  onnx__value_info_proto__init(vi);
  vi->name = cs(v->name);
  *out = vi;
  if (v->dtype == RN_DTYPE_UNDEFINED) return NULL;
  Onnx__TypeProto *type = anew(a, sizeof *type);
  Onnx__TypeProto__Tensor *tt = anew(a, sizeof *tt);
  if (!type || !tt) return OOM();
  onnx__type_proto__init(type);
  onnx__type_proto__tensor__init(tt);
  type->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
  type->tensor_type = tt;
  tt->has_elem_type = 1;
  tt->elem_type = (int32_t)v->dtype;
  vi->type = type;
  if (v->rank < 0) return NULL;
  if (v->rank > RN_MAX_RANK)
    return rn_error(RN_ERR_INVALID_MODEL, "value '%s': invalid rank %d", v->name, v->rank);
  Onnx__TensorShapeProto *shape = anew(a, sizeof *shape);
  if (!shape) return OOM();
  onnx__tensor_shape_proto__init(shape);
  tt->shape = shape;
  shape->n_dim = (size_t)v->rank;
  if (v->rank) {
    shape->dim = anew_array(a, (size_t)v->rank, sizeof *shape->dim);
    if (!shape->dim) return OOM();
  }
  for (int d = 0; d < v->rank; d++) {
    Onnx__TensorShapeProto__Dimension *dim = anew(a, sizeof *dim);
    if (!dim) return OOM();
    onnx__tensor_shape_proto__dimension__init(dim);
    if (v->dims[d] >= 0) {
      dim->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
      dim->dim_value = v->dims[d];
    } else if (v->dim_params[d] && v->dim_params[d][0]) {
      dim->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
      dim->dim_param = v->dim_params[d];
    }
    shape->dim[d] = dim;
  }
  return NULL;
}

/* ------------------------------------------------------------ nodes */

static const char *attr_type_name(rn_attr_type t) {
  switch (t) {
    case RN_ATTR_GRAPH: return "GRAPH";
    case RN_ATTR_GRAPHS: return "GRAPHS";
    case RN_ATTR_SPARSE_TENSOR: return "SPARSE_TENSOR";
    case RN_ATTR_SPARSE_TENSORS: return "SPARSE_TENSORS";
    case RN_ATTR_TYPE_PROTO: return "TYPE_PROTO";
    case RN_ATTR_TYPE_PROTOS: return "TYPE_PROTOS";
    default: return "UNDEFINED";
  }
}

static rn_status *export_attr(arena *a, const rn_attr *at, const char *where,
                              Onnx__AttributeProto **out) {
  char what[512];
  snprintf(what, sizeof what, "%s: attribute '%s'", where, at->name ? at->name : "");
  if (!at->name || !at->name[0]) return rn_error(RN_ERR_INVALID_MODEL, "%s: attribute without a name", where);
  if (at->n < 0) return rn_error(RN_ERR_INVALID_MODEL, "%s has a negative count", what);
  Onnx__AttributeProto *ap = anew(a, sizeof *ap);
  if (!ap) return OOM();
  onnx__attribute_proto__init(ap);
  ap->name = cs(at->name);
  ap->has_type = 1;
  size_t n = (size_t)at->n;
  switch (at->type) {
    case RN_ATTR_FLOAT:
      ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
      ap->has_f = 1;
      ap->f = at->f;
      break;
    case RN_ATTR_INT:
      ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
      ap->has_i = 1;
      ap->i = at->i;
      break;
    case RN_ATTR_STRING:
      ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
      ap->has_s = 1;
      ap->s.len = at->s ? at->s_len : 0;
      ap->s.data = (uint8_t *)at->s;
      break;
    case RN_ATTR_TENSOR:
      ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
      RN_TRY(export_tensor(a, at->t, NULL, what, &ap->t));
      break;
    case RN_ATTR_FLOATS:
      ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
      if (n && !at->floats) return rn_error(RN_ERR_INVALID_MODEL, "%s: no values", what);
      ap->n_floats = n;
      ap->floats = at->floats;
      break;
    case RN_ATTR_INTS:
      ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
      if (n && !at->ints) return rn_error(RN_ERR_INVALID_MODEL, "%s: no values", what);
      ap->n_ints = n;
      ap->ints = at->ints;
      break;
    case RN_ATTR_STRINGS:
      ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS;
      if (n && !at->strings) return rn_error(RN_ERR_INVALID_MODEL, "%s: no values", what);
      ap->n_strings = n;
      if (n) {
        ap->strings = anew_array(a, n, sizeof *ap->strings);
        if (!ap->strings) return OOM();
      }
      for (size_t k = 0; k < n; k++) {
        const char *s = at->strings[k] ? at->strings[k] : "";
        ap->strings[k].len = strlen(s);
        ap->strings[k].data = (uint8_t *)cs(s);
      }
      break;
    case RN_ATTR_TENSORS:
      ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSORS;
      if (n && !at->tensors) return rn_error(RN_ERR_INVALID_MODEL, "%s: no values", what);
      ap->n_tensors = n;
      if (n) {
        ap->tensors = anew_array(a, n, sizeof *ap->tensors);
        if (!ap->tensors) return OOM();
      }
      for (size_t k = 0; k < n; k++) RN_TRY(export_tensor(a, at->tensors[k], NULL, what, &ap->tensors[k]));
      break;
    case RN_ATTR_GRAPH:
    case RN_ATTR_GRAPHS:
    case RN_ATTR_SPARSE_TENSOR:
    case RN_ATTR_SPARSE_TENSORS:
    case RN_ATTR_TYPE_PROTO:
    case RN_ATTR_TYPE_PROTOS:
      return rn_error(RN_ERR_UNSUPPORTED,
                      "%s has type %s, which rn does not keep (the model cannot be saved)", what,
                      attr_type_name(at->type));
    default:
      return rn_error(RN_ERR_INVALID_MODEL, "%s has unknown type %d", what, (int)at->type);
  }
  *out = ap;
  return NULL;
}

static rn_status *value_name(const rn_graph *g, int v, const char *where, const char *role, int k,
                             char **out) {
  if (v < 0) {
    *out = cs("");
    return NULL;
  }
  if (v >= g->n_values || !g->values[v].name || !g->values[v].name[0])
    return rn_error(RN_ERR_INVALID_MODEL, "%s: %s %d refers to an invalid value", where, role, k);
  *out = g->values[v].name;
  return NULL;
}

static rn_status *export_node(arena *a, const rn_graph *g, int index, Onnx__NodeProto **out) {
  const rn_node *n = &g->nodes[index];
  char where[300];
  const char *op = n->op_type ? n->op_type : "";
  if (n->name && n->name[0]) snprintf(where, sizeof where, "node '%s' (%s)", n->name, op);
  else snprintf(where, sizeof where, "node #%d (%s)", index, op);
  if (!op[0]) return rn_error(RN_ERR_INVALID_MODEL, "%s has no op_type", where);
  Onnx__NodeProto *np = anew(a, sizeof *np);
  if (!np) return OOM();
  onnx__node_proto__init(np);
  np->name = n->name && n->name[0] ? n->name : NULL;
  np->op_type = n->op_type;
  np->domain = n->domain && n->domain[0] ? n->domain : NULL;
  if (n->n_inputs < 0 || n->n_outputs < 0 || n->n_attrs < 0)
    return rn_error(RN_ERR_INVALID_MODEL, "%s: negative input/output/attribute count", where);
  np->n_input = (size_t)n->n_inputs;
  np->n_output = (size_t)n->n_outputs;
  np->n_attribute = (size_t)n->n_attrs;
  if ((n->n_inputs && !(np->input = anew_array(a, np->n_input, sizeof *np->input))) ||
      (n->n_outputs && !(np->output = anew_array(a, np->n_output, sizeof *np->output))) ||
      (n->n_attrs && !(np->attribute = anew_array(a, np->n_attribute, sizeof *np->attribute))))
    return OOM();
  for (int k = 0; k < n->n_inputs; k++) RN_TRY(value_name(g, n->inputs[k], where, "input", k, &np->input[k]));
  for (int k = 0; k < n->n_outputs; k++)
    RN_TRY(value_name(g, n->outputs[k], where, "output", k, &np->output[k]));
  for (int k = 0; k < n->n_attrs; k++) RN_TRY(export_attr(a, &n->attrs[k], where, &np->attribute[k]));
  *out = np;
  return NULL;
}

/* ------------------------------------------------------------ model */

static rn_status *build_model(arena *a, const rn_graph *g, Onnx__ModelProto *mp) {
  onnx__model_proto__init(mp);
  mp->has_ir_version = 1;
  mp->ir_version = 8;
  mp->producer_name = cs("rn");
  mp->producer_version = cs(rn_version());

  /* Opsets: "" for the default ONNX domain (always present). */
  bool have_default = false;
  for (int i = 0; i < g->n_opsets; i++)
    if (!g->opsets[i].domain || !g->opsets[i].domain[0]) have_default = true;
  size_t n_ops = (size_t)g->n_opsets + (have_default ? 0 : 1);
  mp->opset_import = anew_array(a, n_ops, sizeof *mp->opset_import);
  if (!mp->opset_import) return OOM();
  for (int i = 0; i < g->n_opsets; i++) {
    Onnx__OperatorSetIdProto *o = anew(a, sizeof *o);
    if (!o) return OOM();
    onnx__operator_set_id_proto__init(o);
    o->domain = cs(g->opsets[i].domain ? g->opsets[i].domain : "");
    o->has_version = 1;
    o->version = g->opsets[i].version;
    mp->opset_import[mp->n_opset_import++] = o;
  }
  if (!have_default) {
    /* Every ONNX model imports the default domain; rn's importer assumes 1. */
    Onnx__OperatorSetIdProto *o = anew(a, sizeof *o);
    if (!o) return OOM();
    onnx__operator_set_id_proto__init(o);
    o->domain = cs("");
    o->has_version = 1;
    o->version = 1;
    mp->opset_import[mp->n_opset_import++] = o;
  }

  if (g->n_metadata) {
    mp->metadata_props = anew_array(a, (size_t)g->n_metadata, sizeof *mp->metadata_props);
    if (!mp->metadata_props) return OOM();
  }
  for (int i = 0; i < g->n_metadata; i++) {
    Onnx__StringStringEntryProto *e = anew(a, sizeof *e);
    if (!e) return OOM();
    onnx__string_string_entry_proto__init(e);
    e->key = cs(g->metadata[i].key ? g->metadata[i].key : "");
    e->value = cs(g->metadata[i].value ? g->metadata[i].value : "");
    mp->metadata_props[mp->n_metadata_props++] = e;
  }

  Onnx__GraphProto *gp = anew(a, sizeof *gp);
  if (!gp) return OOM();
  onnx__graph_proto__init(gp);
  mp->graph = gp;
  /* ONNX requires a graph name. */
  gp->name = cs(g->name && g->name[0] ? g->name : "rn");

  /* Roles of values: graph input/output, produced by a node. */
  int nv = g->n_values;
  uint8_t *role = anew(a, (size_t)nv + 1);
  if (!role) return OOM();
  enum { R_INPUT = 1, R_OUTPUT = 2, R_PRODUCED = 4, R_USED = 8 };
  for (int i = 0; i < g->n_inputs; i++) {
    int v = g->inputs[i];
    if (v < 0 || v >= nv) return rn_error(RN_ERR_INVALID_MODEL, "graph input %d is not a valid value", i);
    role[v] |= R_INPUT;
  }
  for (int i = 0; i < g->n_outputs; i++) {
    int v = g->outputs[i];
    if (v < 0 || v >= nv) return rn_error(RN_ERR_INVALID_MODEL, "graph output %d is not a valid value", i);
    role[v] |= R_OUTPUT;
  }
  for (int i = 0; i < g->n_nodes; i++) {
    const rn_node *n = &g->nodes[i];
    for (int k = 0; k < n->n_outputs; k++)
      if (n->outputs[k] >= 0 && n->outputs[k] < nv) role[n->outputs[k]] |= R_PRODUCED;
    for (int k = 0; k < n->n_inputs; k++)
      if (n->inputs[k] >= 0 && n->inputs[k] < nv) role[n->inputs[k]] |= R_USED;
  }

  /* Inputs and outputs. */
  if (g->n_inputs) {
    gp->input = anew_array(a, (size_t)g->n_inputs, sizeof *gp->input);
    if (!gp->input) return OOM();
  }
  for (int i = 0; i < g->n_inputs; i++)
    RN_TRY(export_value_info(a, &g->values[g->inputs[i]], &gp->input[gp->n_input++]));
  if (g->n_outputs) {
    gp->output = anew_array(a, (size_t)g->n_outputs, sizeof *gp->output);
    if (!gp->output) return OOM();
  }
  for (int i = 0; i < g->n_outputs; i++)
    RN_TRY(export_value_info(a, &g->values[g->outputs[i]], &gp->output[gp->n_output++]));

  /* Initializers: constants no node produces (a folded node output stays a
   * node output), and value_info for other typed intermediate values. */
  size_t n_init = 0, n_vi = 0;
  uint64_t init_bytes = 0;
  for (int v = 0; v < nv; v++) {
    const rn_value *val = &g->values[v];
    if (val->constant && !(role[v] & R_PRODUCED)) {
      n_init++;
      init_bytes += val->constant->nbytes;
    } else if (!(role[v] & (R_INPUT | R_OUTPUT)) && (role[v] & R_PRODUCED) &&
               val->dtype != RN_DTYPE_UNDEFINED) {
      n_vi++;
    }
  }
  if (init_bytes > RN_PROTOBUF_MAX)
    return rn_error(RN_ERR_LIMIT,
                    "initializers hold %llu bytes: an ONNX file is limited to 2 GiB "
                    "(writing external data is not supported)",
                    (unsigned long long)init_bytes);
  if (n_init) {
    gp->initializer = anew_array(a, n_init, sizeof *gp->initializer);
    if (!gp->initializer) return OOM();
  }
  if (n_vi) {
    gp->value_info = anew_array(a, n_vi, sizeof *gp->value_info);
    if (!gp->value_info) return OOM();
  }
  for (int v = 0; v < nv; v++) {
    const rn_value *val = &g->values[v];
    if (val->constant && !(role[v] & R_PRODUCED)) {
      char what[300];
      snprintf(what, sizeof what, "initializer '%s'", val->name);
      RN_TRY(export_tensor(a, val->constant, val->name, what, &gp->initializer[gp->n_initializer++]));
    } else if (!(role[v] & (R_INPUT | R_OUTPUT)) && (role[v] & R_PRODUCED) &&
               val->dtype != RN_DTYPE_UNDEFINED) {
      RN_TRY(export_value_info(a, val, &gp->value_info[gp->n_value_info++]));
    }
  }

  if (g->n_nodes) {
    gp->node = anew_array(a, (size_t)g->n_nodes, sizeof *gp->node);
    if (!gp->node) return OOM();
  }
  for (int i = 0; i < g->n_nodes; i++) RN_TRY(export_node(a, g, i, &gp->node[gp->n_node++]));
  return a->oom ? OOM() : NULL;
}

static rn_status *save_to_buffer(const rn_model *model, uint8_t **bytes, size_t *size) {
  *bytes = NULL;
  *size = 0;
  if (!model || !model->graph) return rn_error(RN_ERR_INVALID_ARGUMENT, "no model to save");
  arena a = {0};
  Onnx__ModelProto mp;
  rn_status *st = build_model(&a, model->graph, &mp);
  if (!st) {
    size_t n = onnx__model_proto__get_packed_size(&mp);
    if ((uint64_t)n > RN_PROTOBUF_MAX) {
      st = rn_error(RN_ERR_LIMIT,
                    "the model serializes to %zu bytes: an ONNX file is limited to 2 GiB "
                    "(writing external data is not supported)",
                    n);
    } else {
      uint8_t *buf = malloc(n ? n : 1);
      if (!buf) {
        st = rn_error(RN_ERR_OUT_OF_MEMORY, "cannot allocate %zu bytes for the serialized model", n);
      } else {
        size_t packed = onnx__model_proto__pack(&mp, buf);
        if (packed != n) {
          free(buf);
          st = rn_error(RN_ERR_RUNTIME, "protobuf packing wrote %zu bytes, expected %zu", packed, n);
        } else {
          *bytes = buf;
          *size = n;
        }
      }
    }
  }
  arena_free(&a);
  return st;
}

/* ------------------------------------------------------------ public API */

rn_status *rn_model_save_memory(const rn_model *model, void **bytes, size_t *size) {
  if (!bytes || !size) return rn_error(RN_ERR_INVALID_ARGUMENT, "rn_model_save_memory: NULL argument");
  *bytes = NULL;
  *size = 0;
  if (!model) return rn_error(RN_ERR_INVALID_ARGUMENT, "rn_model_save_memory: model is NULL");
  uint8_t *buf;
  size_t n;
  RN_TRY(save_to_buffer(model, &buf, &n));
  *bytes = buf;
  *size = n;
  return NULL;
}

void rn_free(void *ptr) { free(ptr); }

/* Writes to a temporary file beside `path`, then renames it over `path`:
 * a failed save never leaves a truncated model behind. */
rn_status *rn_model_save_file(const rn_model *model, const char *path) {
  if (!model || !path || !path[0])
    return rn_error(RN_ERR_INVALID_ARGUMENT, "rn_model_save_file: NULL argument");
  uint8_t *buf;
  size_t n;
  rn_status *st = save_to_buffer(model, &buf, &n);
  if (st) return rn_error_prefix(st, "%s", path);

  static atomic_uint counter;
  size_t tmp_len = strlen(path) + 64;
  char *tmp = malloc(tmp_len);
  if (!tmp) {
    free(buf);
    return rn_error(RN_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
  }
  snprintf(tmp, tmp_len, "%s.tmp-%ld-%u", path, (long)getpid(), atomic_fetch_add(&counter, 1u));
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) {
    st = rn_error(RN_ERR_IO, "cannot create '%s': %s", tmp, strerror(errno));
    goto done;
  }
  size_t off = 0;
  while (off < n) {
    ssize_t w = write(fd, buf + off, n - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      st = rn_error(RN_ERR_IO, "cannot write '%s': %s", tmp, w < 0 ? strerror(errno) : "no progress");
      break;
    }
    off += (size_t)w;
  }
  if (close(fd) != 0 && !st) st = rn_error(RN_ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
  if (!st && rename(tmp, path) != 0)
    st = rn_error(RN_ERR_IO, "cannot save model '%s': %s", path, strerror(errno));
  if (st) unlink(tmp);
done:
  free(tmp);
  free(buf);
  return st;
}
