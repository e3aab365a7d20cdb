/* Broadcasting binary arithmetic: Add, Sub, Mul, Div, Pow, Mod, BitShift,
 * PRelu. Integer arithmetic wraps (done in unsigned types: no overflow UB);
 * integer division or modulo by zero gives 0, as numpy does, instead of
 * trapping. */
#include <math.h>
#include <string.h>
#include <tgmath.h>

#include "math_ops.h"

/* ---- per-type helpers ---- */

#define HELPERS_F(T, S, UT)                                                                       \
  static inline T pymod_##S(T x, T z) {                                                           \
    T r = fmod(x, z);                                                                             \
    if (r != 0 && ((r < 0) != (z < 0))) r += z;                                                   \
    return r;                                                                                     \
  }                                                                                               \
  static inline T cmod_##S(T x, T z) { return fmod(x, z); }
#define HELPERS_S(T, S, UT)                                                                       \
  static inline T sdiv_##S(T x, T z) {                                                            \
    if (z == 0) return 0;                                                                         \
    if (z == -1) return (T)(0 - (UT)x);                                                           \
    return (T)(x / z);                                                                            \
  }                                                                                               \
  static inline T pymod_##S(T x, T z) {                                                           \
    if (z == 0 || z == -1) return 0;                                                              \
    T r = (T)(x % z);                                                                             \
    if (r != 0 && ((r < 0) != (z < 0))) r = (T)((UT)r + (UT)z);                                   \
    return r;                                                                                     \
  }                                                                                               \
  static inline T cmod_##S(T x, T z) { return (z == 0 || z == -1) ? 0 : (T)(x % z); }             \
  HELPERS_INT(T, S, UT)
#define HELPERS_U(T, S, UT)                                                                       \
  static inline T umod_##S(T x, T z) { return z == 0 ? 0 : (T)(x % z); }                          \
  HELPERS_INT(T, S, UT)
/* Saturating double -> integer conversion (a plain cast of an out-of-range
 * double is undefined), and integer powers with wrap-around. */
#define HELPERS_INT(T, S, UT)                                                                     \
  static inline T sat_##S(double v) {                                                             \
    const T tmax = (T)((T)-1 > 0 ? (T)-1 : (T)(((UT)1 << (sizeof(T) * 8 - 1)) - 1));              \
    const T tmin = (T)((T)-1 > 0 ? 0 : -tmax - 1);                                                \
    if (v != v) return 0;                                                                         \
    if (v <= (double)tmin) return tmin;                                                           \
    if (v >= (double)tmax) return tmax;                                                           \
    return (T)v;                                                                                  \
  }                                                                                               \
  static inline T ipow_##S(T x, double e) {                                                       \
    if (e != floor(e) || fabs(e) >= 9.2e18) return sat_##S(pow((double)x, e));                    \
    int64_t k = (int64_t)e;                                                                       \
    if (k < 0) {                                                                                  \
      if (x == 1) return 1;                                                                       \
      if ((T)-1 < 0 && x == (T)-1) return (T)((k & 1) ? -1 : 1);                                  \
      return 0;                                                                                   \
    }                                                                                             \
    UT r = 1, base = (UT)x;                                                                       \
    while (k) {                                                                                   \
      if (k & 1) r = (UT)(r * base);                                                              \
      base = (UT)(base * base);                                                                   \
      k >>= 1;                                                                                    \
    }                                                                                             \
    return (T)r;                                                                                  \
  }
#define HELPERS(DT, T, S, K, UT) HELPERS_##K(T, S, UT)

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wtype-limits"
#pragma GCC diagnostic ignored "-Wsign-compare"
RN_MOPS_NUMERIC_TYPES(HELPERS)
#pragma GCC diagnostic pop

/* ---- expressions per op and kind (F float, S signed, U unsigned) ---- */

#define ADD_F(T, S, UT) x + z
#define ADD_S(T, S, UT) (UT)x + (UT)z
#define ADD_U ADD_S
#define SUB_F(T, S, UT) x - z
#define SUB_S(T, S, UT) (UT)x - (UT)z
#define SUB_U SUB_S
#define MUL_F(T, S, UT) x * z
#define MUL_S(T, S, UT) (UT)x * (UT)z
#define MUL_U MUL_S
#define DIV_F(T, S, UT) x / z
#define DIV_S(T, S, UT) sdiv_##S(x, z)
#define DIV_U(T, S, UT) (z == 0 ? 0 : x / z)
#define MOD_F(T, S, UT) pymod_##S(x, z)
#define MOD_S(T, S, UT) pymod_##S(x, z)
#define MOD_U(T, S, UT) umod_##S(x, z)
#define FMOD_F(T, S, UT) cmod_##S(x, z)
#define FMOD_S(T, S, UT) cmod_##S(x, z)
#define FMOD_U(T, S, UT) umod_##S(x, z)
#define SHL_F(T, S, UT) (x + 0 * z) /* BitShift takes unsigned types only */
#define SHL_S SHL_F
#define SHL_U(T, S, UT) (z >= sizeof(T) * 8 ? 0 : (UT)x << z)
#define SHR_F SHL_F
#define SHR_S SHL_F
#define SHR_U(T, S, UT) (z >= sizeof(T) * 8 ? 0 : x >> z)
#define PRELU_F(T, S, UT) (x < 0 ? x * z : x)
#define PRELU_S(T, S, UT) (x < 0 ? (UT)x * (UT)z : (UT)x)
#define PRELU_U(T, S, UT) (x + 0 * z) /* never negative */
/* Pow with the exponent converted to double (mixed or integer types). */
#define POWD_F(T, S, UT) pow((double)x, z)
#define POWD_S(T, S, UT) ipow_##S(x, z)
#define POWD_U POWD_S

#define GEN(OP, DT, T, S, K, UT) RN_MOPS_BIN_KERNEL(OP##_##S, T, T, T, OP##_##K(T, S, UT))
#define BINARY_OP(OP) RN_MOPS_BIN_OP_TABLE(OP, GEN)

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wtype-limits"
#pragma GCC diagnostic ignored "-Wsign-compare"
BINARY_OP(ADD)
BINARY_OP(SUB)
BINARY_OP(MUL)
BINARY_OP(DIV)
BINARY_OP(MOD)
BINARY_OP(FMOD)
BINARY_OP(SHL)
BINARY_OP(SHR)
BINARY_OP(PRELU)

#define GEN_POWD(OP, DT, T, S, K, UT) RN_MOPS_BIN_KERNEL(OP##_##S, T, double, T, OP##_##K(T, S, UT))
RN_MOPS_BIN_OP_TABLE(POWD, GEN_POWD)
#pragma GCC diagnostic pop

RN_MOPS_BIN_KERNEL(pow_ff32, float, float, float, pow(x, z))
RN_MOPS_BIN_KERNEL(pow_ff64, double, double, double, pow(x, z))

/* ---- ops ---- */

enum { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_POW, OP_MOD, OP_BITSHIFT, OP_PRELU };

static unsigned op_types(int op) {
  switch (op) {
    case OP_BITSHIFT: return RN_MOPS_T_UINT;
    default: return RN_MOPS_T_NUM;
  }
}

/* PRelu: slope broadcasts to X (unidirectionally). Before opset 7 a 1-D
 * slope of X's channel count applies per channel (axis 1). */
static rn_status *prelu_shapes(const rn_op_ctx *ctx, rn_shape *sx, rn_shape *ss, rn_shape *out) {
  const rn_tensor *x = ctx->inputs[0], *s = ctx->inputs[1];
  char bx[128], bs[128];
  *sx = x->shape;
  *ss = s->shape;
  *out = x->shape;
  if (ctx->opset < 7 && s->shape.rank == 1 && x->shape.rank >= 2 &&
      s->shape.dims[0] == x->shape.dims[1] && s->shape.dims[0] != 1) {
    ss->rank = x->shape.rank;
    for (int i = 0; i < ss->rank; i++) ss->dims[i] = i == 1 ? x->shape.dims[1] : 1;
    return NULL;
  }
  rn_shape b;
  if (!rn_broadcast_shapes(&x->shape, &s->shape, &b) || !rn_shape_equal(&b, &x->shape))
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "slope %s does not broadcast to X %s",
                       rn_shape_str(&s->shape, bs, sizeof bs),
                       rn_shape_str(&x->shape, bx, sizeof bx));
  return NULL;
}

static rn_status *shapes(const rn_op_ctx *ctx, int op, rn_shape *sa, rn_shape *sb, rn_shape *out) {
  if (op == OP_PRELU) return prelu_shapes(ctx, sa, sb, out);
  return rn_mops_binary_shapes(ctx, ctx->opset < 7, sa, sb, out);
}

/* Pow runs on a double copy of the exponent unless both are the same float
 * type. */
static bool pow_needs_double(const rn_op_ctx *ctx) {
  rn_dtype ta = ctx->inputs[0]->dtype, tb = ctx->inputs[1]->dtype;
  return !(ta == tb && (ta == RN_DTYPE_FLOAT || ta == RN_DTYPE_DOUBLE));
}

static rn_status *binary_infer(rn_op_ctx *ctx, int op) {
  RN_TRY(rn_op_require(ctx, 2));
  const rn_tensor *a = ctx->inputs[0], *b = ctx->inputs[1];
  RN_TRY(rn_mops_check_type(ctx, a, op_types(op), "input A"));
  if (op == OP_POW) {
    RN_TRY(rn_mops_check_type(ctx, b, RN_MOPS_T_NUM, "input B"));
    if (ctx->opset < 12 && a->dtype != b->dtype)
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "inputs have types %s and %s",
                         rn_dtype_name(a->dtype), rn_dtype_name(b->dtype));
  } else if (a->dtype != b->dtype) {
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "inputs have types %s and %s",
                       rn_dtype_name(a->dtype), rn_dtype_name(b->dtype));
  }
  if (op == OP_BITSHIFT) {
    const char *dir = rn_attr_string(ctx->node, "direction", "");
    if (strcmp(dir, "LEFT") != 0 && strcmp(dir, "RIGHT") != 0)
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "direction must be LEFT or RIGHT, not '%s'",
                         dir);
  }
  if (op == OP_MOD) {
    int64_t fm = rn_attr_int(ctx->node, "fmod", 0);
    if (fm != 0 && fm != 1)
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "fmod must be 0 or 1, not %lld",
                         (long long)fm);
  }
  rn_shape sa, sb, out;
  RN_TRY(shapes(ctx, op, &sa, &sb, &out));
  RN_TRY(rn_op_check_shape(ctx, &out, a->dtype));
  rn_op_set_output(ctx, 0, a->dtype, &out);
  return NULL;
}

static size_t pow_workspace(const rn_op_ctx *ctx) {
  if (!pow_needs_double(ctx)) return 0;
  int64_t n = rn_shape_numel(&ctx->inputs[1]->shape);
  return n > 0 ? (size_t)n * sizeof(double) : 0;
}

static rn_status *binary_run(rn_op_ctx *ctx, int op) {
  const rn_tensor *a = ctx->inputs[0], *b = ctx->inputs[1];
  rn_tensor *y = ctx->outputs[0];
  rn_shape sa, sb, out;
  RN_TRY(shapes(ctx, op, &sa, &sb, &out));
  rn_mops_bin_fn fn = NULL;
  const void *bdata = b->data;
  rn_dtype tb = b->dtype;
  switch (op) {
    case OP_ADD: fn = find_ADD(a->dtype); break;
    case OP_SUB: fn = find_SUB(a->dtype); break;
    case OP_MUL: fn = find_MUL(a->dtype); break;
    case OP_DIV: fn = find_DIV(a->dtype); break;
    case OP_PRELU: fn = find_PRELU(a->dtype); break;
    case OP_MOD:
      fn = rn_attr_int(ctx->node, "fmod", 0) ? find_FMOD(a->dtype) : find_MOD(a->dtype);
      break;
    case OP_BITSHIFT:
      fn = strcmp(rn_attr_string(ctx->node, "direction", ""), "LEFT") == 0 ? find_SHL(a->dtype)
                                                                           : find_SHR(a->dtype);
      break;
    case OP_POW:
      if (!pow_needs_double(ctx)) {
        fn = a->dtype == RN_DTYPE_FLOAT ? pow_ff32 : pow_ff64;
      } else {
        double *e = ctx->workspace;
        int64_t n = rn_shape_numel(&b->shape);
        for (int64_t i = 0; i < n; i++) e[i] = rn_tensor_get_double(b, i);
        bdata = e;
        tb = RN_DTYPE_DOUBLE;
        fn = find_POWD(a->dtype);
      }
      break;
    default: break;
  }
  if (!fn) return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "type %s", rn_dtype_name(a->dtype));
  rn_mops_bcast_binary(y, a->data, &sa, a->dtype, bdata, &sb, tb, fn);
  return NULL;
}

#define DEF_BINARY(VAR, NAME, SINCE, ID, WS)                                                      \
  static rn_status *VAR##_infer(rn_op_ctx *ctx) { return binary_infer(ctx, OP_##ID); }            \
  static rn_status *VAR##_run(rn_op_ctx *ctx) { return binary_run(ctx, OP_##ID); }                \
  const rn_op_def rn_op_##VAR = {                                                                 \
      .domain = "", .op_type = NAME, .since_version = SINCE, .max_version = 21,                   \
      .min_inputs = 2, .max_inputs = 2, .min_outputs = 1, .max_outputs = 1,                       \
      .infer = VAR##_infer, .run = VAR##_run, .workspace = WS,                                    \
  };

DEF_BINARY(add, "Add", 1, ADD, NULL)
DEF_BINARY(sub, "Sub", 1, SUB, NULL)
DEF_BINARY(mul, "Mul", 1, MUL, NULL)
DEF_BINARY(div, "Div", 1, DIV, NULL)
DEF_BINARY(pow, "Pow", 1, POW, pow_workspace)
DEF_BINARY(mod, "Mod", 10, MOD, NULL)
DEF_BINARY(bitshift, "BitShift", 11, BITSHIFT, NULL)
DEF_BINARY(prelu, "PRelu", 1, PRELU, NULL)
