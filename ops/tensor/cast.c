/* Cast and CastLike: numeric/bool conversions between every fixed-size type.
 * Floats to integers saturate to int64 then wrap to the target width (NaN
 * becomes 0) so no conversion is undefined behaviour; to bool is "!= 0".
 * float16 goes through float. Strings (and bfloat16, float8) are refused. */
#include <string.h>
#include <strings.h>

#include "tensor_ops.h"

/* Conversions into each target type from a double (f), int64 (i) or uint64 (u). */
static inline int64_t sat_i64(double v) {
  if (v != v) return 0;
  if (v >= 9223372036854775807.0) return INT64_MAX;
  if (v <= -9223372036854775808.0) return INT64_MIN;
  return (int64_t)v;
}
#define INT_CONV(T)                                                      \
  static inline T T##_from_f(double v) { return (T)(uint64_t)sat_i64(v); } \
  static inline T T##_from_i(int64_t v) { return (T)(uint64_t)v; }       \
  static inline T T##_from_u(uint64_t v) { return (T)v; }
INT_CONV(int8_t)
INT_CONV(uint8_t)
INT_CONV(int16_t)
INT_CONV(uint16_t)
INT_CONV(int32_t)
INT_CONV(uint32_t)
INT_CONV(int64_t)
static inline uint64_t uint64_t_from_f(double v) {
  if (v != v) return 0;
  if (v >= 18446744073709551615.0) return UINT64_MAX;
  return v >= 0 ? (uint64_t)v : (uint64_t)sat_i64(v);
}
static inline uint64_t uint64_t_from_i(int64_t v) { return (uint64_t)v; }
static inline uint64_t uint64_t_from_u(uint64_t v) { return v; }
#define FLT_CONV(T)                                              \
  static inline T T##_from_f(double v) { return (T)v; }          \
  static inline T T##_from_i(int64_t v) { return (T)v; }         \
  static inline T T##_from_u(uint64_t v) { return (T)v; }
FLT_CONV(float)
FLT_CONV(double)
typedef uint8_t rn_bool8;
static inline rn_bool8 rn_bool8_from_f(double v) { return v != 0; }
static inline rn_bool8 rn_bool8_from_i(int64_t v) { return v != 0; }
static inline rn_bool8 rn_bool8_from_u(uint64_t v) { return v != 0; }

#define LOOP(S, D, K)                                              \
  do {                                                             \
    const S *s = src;                                              \
    D *d = dst;                                                    \
    for (int64_t i = 0; i < n; i++) d[i] = D##_from_##K(s[i]);     \
  } while (0)

/* Returns false if the destination type has no typed loop (float16). */
#define DST_SWITCH(S, K)                                          \
  switch (dt) {                                                   \
    case RN_DTYPE_FLOAT: LOOP(S, float, K); return true;          \
    case RN_DTYPE_DOUBLE: LOOP(S, double, K); return true;        \
    case RN_DTYPE_INT8: LOOP(S, int8_t, K); return true;          \
    case RN_DTYPE_UINT8: LOOP(S, uint8_t, K); return true;        \
    case RN_DTYPE_INT16: LOOP(S, int16_t, K); return true;        \
    case RN_DTYPE_UINT16: LOOP(S, uint16_t, K); return true;      \
    case RN_DTYPE_INT32: LOOP(S, int32_t, K); return true;        \
    case RN_DTYPE_UINT32: LOOP(S, uint32_t, K); return true;      \
    case RN_DTYPE_INT64: LOOP(S, int64_t, K); return true;        \
    case RN_DTYPE_UINT64: LOOP(S, uint64_t, K); return true;      \
    case RN_DTYPE_BOOL: LOOP(S, rn_bool8, K); return true;        \
    default: return false;                                        \
  }

static bool typed_convert(void *dst, rn_dtype dt, const void *src, rn_dtype st, int64_t n) {
  switch (st) {
    case RN_DTYPE_FLOAT: DST_SWITCH(float, f)
    case RN_DTYPE_DOUBLE: DST_SWITCH(double, f)
    case RN_DTYPE_INT8: DST_SWITCH(int8_t, i)
    case RN_DTYPE_UINT8: DST_SWITCH(uint8_t, i)
    case RN_DTYPE_INT16: DST_SWITCH(int16_t, i)
    case RN_DTYPE_UINT16: DST_SWITCH(uint16_t, i)
    case RN_DTYPE_INT32: DST_SWITCH(int32_t, i)
    case RN_DTYPE_UINT32: DST_SWITCH(uint32_t, i)
    case RN_DTYPE_INT64: DST_SWITCH(int64_t, i)
    case RN_DTYPE_UINT64: DST_SWITCH(uint64_t, u)
    case RN_DTYPE_BOOL: DST_SWITCH(rn_bool8, i)
    default: return false;
  }
}

static void convert(rn_tensor *y, const rn_tensor *x) {
  int64_t n = rn_shape_numel(&x->shape);
  if (x->dtype == y->dtype) {
    rn_tops_copy_data(y, x);
    return;
  }
  if (typed_convert(y->data, y->dtype, x->data, x->dtype, n)) return;
  if (y->dtype == RN_DTYPE_FLOAT16 && x->dtype == RN_DTYPE_FLOAT) {
    const float *s = x->data;
    uint16_t *d = y->data;
    for (int64_t i = 0; i < n; i++) d[i] = rn_float_to_half(s[i]);
    return;
  }
  if (x->dtype == RN_DTYPE_FLOAT16 && y->dtype == RN_DTYPE_FLOAT) {
    const uint16_t *s = x->data;
    float *d = y->data;
    for (int64_t i = 0; i < n; i++) d[i] = rn_half_to_float(s[i]);
    return;
  }
  /* Other float16 pairs: element by element through double. */
  for (int64_t i = 0; i < n; i++) {
    double v = rn_tensor_get_double(x, i);
    if (x->dtype == RN_DTYPE_BOOL) v = v != 0;
    if (y->dtype == RN_DTYPE_FLOAT16) v = (float)v; /* round to float first, like float->half */
    rn_store_double(y->data, y->dtype, i, v);
  }
}

static bool castable(rn_dtype dt) {
  return dt != RN_DTYPE_STRING && rn_dtype_size(dt) != 0;
}

static rn_status *cast_target(const rn_op_ctx *ctx, rn_dtype *to) {
  const rn_attr *a = rn_node_attr(ctx->node, "to");
  if (!a) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "attribute 'to' is missing");
  if (a->type == RN_ATTR_STRING) { /* Cast-1 names the type */
    static const struct { const char *name; rn_dtype dt; } names[] = {
        {"FLOAT", RN_DTYPE_FLOAT},   {"UINT8", RN_DTYPE_UINT8},   {"INT8", RN_DTYPE_INT8},
        {"UINT16", RN_DTYPE_UINT16}, {"INT16", RN_DTYPE_INT16},   {"INT32", RN_DTYPE_INT32},
        {"INT64", RN_DTYPE_INT64},   {"BOOL", RN_DTYPE_BOOL},     {"FLOAT16", RN_DTYPE_FLOAT16},
        {"DOUBLE", RN_DTYPE_DOUBLE}, {"UINT32", RN_DTYPE_UINT32}, {"UINT64", RN_DTYPE_UINT64}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
      if (a->s && !strcasecmp(a->s, names[i].name)) {
        *to = names[i].dt;
        return NULL;
      }
    return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "cast to '%s' is not supported", a->s ? a->s : "");
  }
  if (a->type != RN_ATTR_INT)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "attribute 'to' must be an int");
  if (a->i < 1 || a->i > 13 || !castable((rn_dtype)a->i))
    return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "cast to type %lld is not supported",
                       (long long)a->i);
  *to = (rn_dtype)a->i;
  return NULL;
}

static rn_status *cast_common(rn_op_ctx *ctx, rn_dtype to) {
  const rn_tensor *x = ctx->inputs[0];
  if (!castable(x->dtype))
    return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "cast from %s is not supported",
                       rn_dtype_name(x->dtype));
  if (!castable(to))
    return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "cast to %s is not supported", rn_dtype_name(to));
  rn_op_set_output(ctx, 0, to, &x->shape);
  return NULL;
}

static rn_status *cast_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 1));
  rn_dtype to = RN_DTYPE_UNDEFINED;
  RN_TRY(cast_target(ctx, &to));
  return cast_common(ctx, to);
}

static rn_status *cast_run(rn_op_ctx *ctx) {
  convert(ctx->outputs[0], ctx->inputs[0]);
  return NULL;
}

const rn_op_def rn_op_cast = {
    .domain = "", .op_type = "Cast", .since_version = 1, .max_version = 21,
    .min_inputs = 1, .max_inputs = 1, .min_outputs = 1, .max_outputs = 1,
    .infer = cast_infer, .run = cast_run,
};

static rn_status *cast_like_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 2));
  return cast_common(ctx, ctx->inputs[1]->dtype);
}

const rn_op_def rn_op_cast_like = {
    .domain = "", .op_type = "CastLike", .since_version = 15, .max_version = 21,
    .min_inputs = 2, .max_inputs = 2, .min_outputs = 1, .max_outputs = 1,
    .infer = cast_like_infer, .run = cast_run,
};
