/* Where: y = cond ? x : z with three-way numpy broadcasting. Elements are
 * moved by size, so every fixed-size type works. */
#include <string.h>

#include "math_ops.h"

#define WHERE_ROW(T)                                                                              \
  do {                                                                                            \
    T *y = (T *)py;                                                                               \
    const T *x = (const T *)px, *z = (const T *)pz;                                               \
    for (int64_t i = 0; i < n; i++) y[i] = pc[i * sc] ? x[i * sx] : z[i * sz];                    \
  } while (0)

static void where_row(size_t es, char *py, const uint8_t *pc, const char *px, const char *pz,
                      int64_t n, int64_t sc, int64_t sx, int64_t sz) {
  switch (es) {
    case 1: WHERE_ROW(uint8_t); break;
    case 2: WHERE_ROW(uint16_t); break;
    case 4: WHERE_ROW(uint32_t); break;
    case 8: WHERE_ROW(uint64_t); break;
    default:
      for (int64_t i = 0; i < n; i++)
        memcpy(py + (size_t)i * es, pc[i * sc] ? px + (size_t)(i * sx) * es
                                               : pz + (size_t)(i * sz) * es, es);
  }
}

static rn_status *where_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 3));
  const rn_tensor *c = ctx->inputs[0], *x = ctx->inputs[1], *z = ctx->inputs[2];
  if (c->dtype != RN_DTYPE_BOOL)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "condition must be bool, not %s",
                       rn_dtype_name(c->dtype));
  if (x->dtype != z->dtype)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "X and Y have types %s and %s",
                       rn_dtype_name(x->dtype), rn_dtype_name(z->dtype));
  if (rn_dtype_size(x->dtype) == 0)
    return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "type %s", rn_dtype_name(x->dtype));
  rn_shape t, out;
  char b1[128], b2[128], b3[128];
  if (!rn_broadcast_shapes(&c->shape, &x->shape, &t) || !rn_broadcast_shapes(&t, &z->shape, &out))
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "shapes %s, %s and %s do not broadcast",
                       rn_shape_str(&c->shape, b1, sizeof b1),
                       rn_shape_str(&x->shape, b2, sizeof b2),
                       rn_shape_str(&z->shape, b3, sizeof b3));
  RN_TRY(rn_op_check_shape(ctx, &out, x->dtype));
  rn_op_set_output(ctx, 0, x->dtype, &out);
  return NULL;
}

static rn_status *where_run(rn_op_ctx *ctx) {
  const rn_tensor *c = ctx->inputs[0], *x = ctx->inputs[1], *z = ctx->inputs[2];
  rn_tensor *y = ctx->outputs[0];
  const rn_shape *ins[3] = {&c->shape, &x->shape, &z->shape};
  rn_mops_bcast it;
  rn_mops_bcast_init(&it, &y->shape, 3, ins);
  size_t es = rn_dtype_size(y->dtype);
  rn_mops_cursor cur;
  rn_mops_cursor_start(&it, &cur);
  for (int64_t row = 0; row < it.rows; row++) {
    where_row(es, (char *)y->data + (size_t)(row * it.inner) * es,
              (const uint8_t *)c->data + cur.off[0],
              (const char *)x->data + (size_t)cur.off[1] * es,
              (const char *)z->data + (size_t)cur.off[2] * es, it.inner, it.inner_stride[0],
              it.inner_stride[1], it.inner_stride[2]);
    rn_mops_cursor_next(&it, &cur);
  }
  return NULL;
}

const rn_op_def rn_op_where = {
    .domain = "", .op_type = "Where", .since_version = 9, .max_version = 21,
    .min_inputs = 3, .max_inputs = 3, .min_outputs = 1, .max_outputs = 1,
    .infer = where_infer, .run = where_run,
};
