/* Constant (value from an attribute) and ConstantOfShape (a filled tensor of
 * a given shape). */
#include <string.h>

#include "tensor_ops.h"

/* The single value attribute of a Constant node, checked. */
static rn_status *constant_attr(const rn_op_ctx *ctx, const rn_attr **out) {
  static const char *const names[] = {"value", "value_float", "value_floats", "value_int",
                                      "value_ints", "value_string", "value_strings",
                                      "sparse_value"};
  const rn_attr *found = NULL;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    const rn_attr *a = rn_node_attr(ctx->node, names[i]);
    if (!a) continue;
    if (found)
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "has both '%s' and '%s'", found->name,
                         a->name);
    found = a;
  }
  if (!found) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "has no value attribute");
  const char *n = found->name;
  if (!strcmp(n, "value_string") || !strcmp(n, "value_strings") || !strcmp(n, "sparse_value"))
    return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "attribute '%s' is not supported", n);
  rn_attr_type want = !strcmp(n, "value")          ? RN_ATTR_TENSOR
                      : !strcmp(n, "value_float")  ? RN_ATTR_FLOAT
                      : !strcmp(n, "value_floats") ? RN_ATTR_FLOATS
                      : !strcmp(n, "value_int")    ? RN_ATTR_INT
                                                   : RN_ATTR_INTS;
  if (found->type != want)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "attribute '%s' has the wrong type %d", n,
                       (int)found->type);
  if (want == RN_ATTR_TENSOR) {
    const rn_tensor *t = found->t;
    if (!t) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "attribute 'value' has no tensor");
    if (rn_dtype_size(t->dtype) == 0)
      return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "tensor of type %s is not supported",
                         rn_dtype_name(t->dtype));
    size_t nbytes;
    if (t->shape.rank < 0 || t->shape.rank > RN_MAX_RANK ||
        !rn_shape_nbytes(&t->shape, t->dtype, &nbytes) || (nbytes && (!t->data || t->nbytes < nbytes)))
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "attribute 'value' holds a malformed tensor");
  }
  if ((want == RN_ATTR_FLOATS && found->n > 0 && !found->floats) ||
      (want == RN_ATTR_INTS && found->n > 0 && !found->ints) || found->n < 0)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "attribute '%s' is malformed", n);
  *out = found;
  return NULL;
}

static rn_status *constant_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 0));
  const rn_attr *a = NULL;
  RN_TRY(constant_attr(ctx, &a));
  rn_shape s = {0};
  switch (a->type) {
    case RN_ATTR_TENSOR:
      rn_op_set_output(ctx, 0, a->t->dtype, &a->t->shape);
      return NULL;
    case RN_ATTR_FLOAT: rn_op_set_output(ctx, 0, RN_DTYPE_FLOAT, &s); return NULL;
    case RN_ATTR_INT: rn_op_set_output(ctx, 0, RN_DTYPE_INT64, &s); return NULL;
    case RN_ATTR_FLOATS:
    case RN_ATTR_INTS:
      s.rank = 1;
      s.dims[0] = a->n;
      rn_op_set_output(ctx, 0, a->type == RN_ATTR_FLOATS ? RN_DTYPE_FLOAT : RN_DTYPE_INT64, &s);
      return NULL;
    default: return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "bad value attribute");
  }
}

static rn_status *constant_run(rn_op_ctx *ctx) {
  const rn_attr *a = NULL;
  RN_TRY(constant_attr(ctx, &a));
  rn_tensor *y = ctx->outputs[0];
  switch (a->type) {
    case RN_ATTR_TENSOR:
      if (y->nbytes) memcpy(y->data, a->t->data, y->nbytes);
      break;
    case RN_ATTR_FLOAT: *(float *)y->data = a->f; break;
    case RN_ATTR_INT: *(int64_t *)y->data = a->i; break;
    case RN_ATTR_FLOATS:
      if (a->n) memcpy(y->data, a->floats, (size_t)a->n * sizeof(float));
      break;
    case RN_ATTR_INTS:
      if (a->n) memcpy(y->data, a->ints, (size_t)a->n * sizeof(int64_t));
      break;
    default: break;
  }
  return NULL;
}

const rn_op_def rn_op_constant = {
    .domain = "", .op_type = "Constant", .since_version = 1, .max_version = 21,
    .min_inputs = 0, .max_inputs = 0, .min_outputs = 1, .max_outputs = 1,
    .infer = constant_infer, .run = constant_run,
};

/* ---- ConstantOfShape ---- */

/* The fill value: the one-element 'value' tensor, or float 0. */
static rn_status *cos_value(const rn_op_ctx *ctx, rn_dtype *dt, const void **val) {
  static const float zero = 0.0f;
  const rn_attr *a = rn_node_attr(ctx->node, "value");
  if (!a) {
    *dt = RN_DTYPE_FLOAT;
    *val = &zero;
    return NULL;
  }
  const rn_tensor *t = a->t;
  if (a->type != RN_ATTR_TENSOR || !t)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "attribute 'value' must be a tensor");
  if (rn_dtype_size(t->dtype) == 0)
    return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "value of type %s is not supported",
                       rn_dtype_name(t->dtype));
  if (rn_shape_numel(&t->shape) != 1 || !t->data || t->nbytes < rn_dtype_size(t->dtype))
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "attribute 'value' must hold one element");
  *dt = t->dtype;
  *val = t->data;
  return NULL;
}

static rn_status *cos_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 1));
  rn_dtype dt = RN_DTYPE_UNDEFINED;
  const void *val = NULL;
  RN_TRY(cos_value(ctx, &dt, &val));
  const rn_tensor *shp = ctx->inputs[0];
  if (shp->dtype != RN_DTYPE_INT64)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "input must be int64");
  rn_shape s = {0};
  int n = 0;
  RN_TRY(rn_op_const_ints(ctx, shp, "input", s.dims, RN_MAX_RANK, &n));
  s.rank = n;
  RN_TRY(rn_op_check_shape(ctx, &s, dt));
  rn_op_set_output(ctx, 0, dt, &s);
  return NULL;
}

static rn_status *cos_run(rn_op_ctx *ctx) {
  rn_dtype dt = RN_DTYPE_UNDEFINED;
  const void *val = NULL;
  RN_TRY(cos_value(ctx, &dt, &val));
  rn_tensor *y = ctx->outputs[0];
  rn_tops_fill(y->data, val, rn_dtype_size(dt), rn_shape_numel(&y->shape));
  return NULL;
}

const rn_op_def rn_op_constant_of_shape = {
    .domain = "", .op_type = "ConstantOfShape", .since_version = 9, .max_version = 21,
    .min_inputs = 1, .max_inputs = 1, .min_outputs = 1, .max_outputs = 1,
    .infer = cos_infer, .run = cos_run,
    .value_inputs = 1u << 0,
};
