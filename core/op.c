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
