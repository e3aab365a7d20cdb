#include "op.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const rn_op_def *rn_op_find(const char *domain, const char *op_type, int opset, rn_status **why) {
  int n;
  const rn_op_def *const *defs = rn_builtin_ops(&n);
  const rn_op_def *nearest = NULL;
  for (int i = 0; i < n; i++) {
    const rn_op_def *d = defs[i];
    if (strcmp(d->domain, domain) != 0 || strcmp(d->op_type, op_type) != 0) continue;
    if (opset >= d->since_version && opset <= d->max_version) return d;
    nearest = d;
  }
  if (why) {
    const char *dom = domain[0] ? domain : "ai.onnx";
    if (nearest)
      *why = rn_error(RN_ERR_UNSUPPORTED, "op %s (domain %s) at opset %d is not supported (rn handles opsets %d..%d)",
                      op_type, dom, opset, nearest->since_version, nearest->max_version);
    else
      *why = rn_error(RN_ERR_UNSUPPORTED, "op %s (domain %s) is not supported", op_type, dom);
  }
  return NULL;
}

void rn_op_set_output(rn_op_ctx *ctx, int i, rn_dtype dtype, const rn_shape *shape) {
  rn_tensor *t = rn_op_output(ctx, i);
  if (!t) return;
  t->dtype = dtype;
  t->shape = *shape;
  t->nbytes = 0;
  rn_shape_nbytes(shape, dtype, &t->nbytes);
}

rn_status *rn_op_error(const rn_op_ctx *ctx, rn_status_code code, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  const rn_node *n = ctx->node;
  return rn_error(code, "node '%s' (%s): %s", n && n->name ? n->name : "?",
                  n ? n->op_type : "?", msg);
}

bool rn_normalize_axis(int64_t axis, int rank, int *out) {
  if (axis < -rank || axis >= rank) return false;
  *out = (int)(axis < 0 ? axis + rank : axis);
  return true;
}

rn_status *rn_op_require(const rn_op_ctx *ctx, int n_inputs) {
  for (int i = 0; i < n_inputs; i++)
    if (!rn_op_input(ctx, i))
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "required input %d is missing", i);
  if (!rn_op_output(ctx, 0))
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "output 0 is missing");
  return NULL;
}

rn_status *rn_op_check_shape(const rn_op_ctx *ctx, const rn_shape *shape, rn_dtype dtype) {
  size_t nbytes;
  if (shape->rank < 0 || shape->rank > RN_MAX_RANK)
    return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "output rank %d exceeds %d", shape->rank,
                       RN_MAX_RANK);
  for (int i = 0; i < shape->rank; i++)
    if (shape->dims[i] < 0)
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "output dim %d is negative (%lld)", i,
                         (long long)shape->dims[i]);
  if (!rn_shape_nbytes(shape, dtype, &nbytes))
    return rn_op_error(ctx, RN_ERR_LIMIT, "output size overflows");
  return NULL;
}

rn_status *rn_op_const_ints(const rn_op_ctx *ctx, const rn_tensor *t, const char *what,
                            int64_t *vals, int max, int *n) {
  if (!t->data)
    return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "input '%s' must be constant", what);
  if (!rn_op_is_index_dtype(t->dtype))
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "input '%s' must be int64 or int32, not %s",
                       what, rn_dtype_name(t->dtype));
  if (t->shape.rank > 1)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "input '%s' must be 1-D (rank %d)", what,
                       t->shape.rank);
  int64_t count = rn_shape_numel(&t->shape);
  if (count < 0 || count > max)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "input '%s' has %lld values, at most %d allowed",
                       what, (long long)count, max);
  for (int64_t i = 0; i < count; i++) vals[i] = rn_tensor_get_int(t, i);
  *n = (int)count;
  return NULL;
}

void rn_op_strides(const rn_shape *shape, int64_t *strides) {
  int64_t s = 1;
  for (int i = shape->rank - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape->dims[i];
  }
}
