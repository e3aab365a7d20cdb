/* Element-wise unary functions: math functions (Exp, Sin, Round, ...),
 * activations with or without attributes (Relu, Sigmoid, Elu, Selu, ...),
 * and the predicates IsNaN/IsInf and Not. One table of expressions,
 * instantiated for float and double through <tgmath.h>; a few ops also take
 * integer types. */
#include <math.h>
#include <string.h>
#include <tgmath.h>

#include "math_ops.h"

/* X(ID, expression of v (type T) and the params A, B, G (type T)). */
#define UNARY_FLOAT_OPS(X)                                                                        \
  X(RELU, v < 0 ? 0 : v)                                                                          \
  X(SIGMOID, SIGMOID_EXPR(v))                                                                     \
  X(TANH, tanh(v))                                                                                \
  X(EXP, exp(v))                                                                                  \
  X(LOG, log(v))                                                                                  \
  X(ABS, fabs(v))                                                                                 \
  X(NEG, -v)                                                                                      \
  X(SQRT, sqrt(v))                                                                                \
  X(RECIPROCAL, 1 / v)                                                                            \
  X(FLOOR, floor(v))                                                                              \
  X(CEIL, ceil(v))                                                                                \
  X(ROUND, nearbyint(v)) /* half to even in the default rounding mode */                          \
  X(SIGN, v > 0 ? 1 : (v < 0 ? -1 : v))                                                           \
  X(SIN, sin(v))                                                                                  \
  X(COS, cos(v))                                                                                  \
  X(TAN, tan(v))                                                                                  \
  X(ASIN, asin(v))                                                                                \
  X(ACOS, acos(v))                                                                                \
  X(ATAN, atan(v))                                                                                \
  X(SINH, sinh(v))                                                                                \
  X(COSH, cosh(v))                                                                                \
  X(ASINH, asinh(v))                                                                              \
  X(ACOSH, acosh(v))                                                                              \
  X(ATANH, atanh(v))                                                                              \
  X(ERF, erf(v))                                                                                  \
  X(SOFTPLUS, SOFTPLUS_EXPR(v))                                                                   \
  X(SOFTSIGN, v / (1 + fabs(v)))                                                                  \
  X(HARDSWISH, v * fmax(fmin((v + 3) / 6, ONE), ZERO))                                            \
  X(MISH, v * tanh(SOFTPLUS_EXPR(v)))                                                             \
  X(ELU, v < 0 ? A * expm1(v) : v)                                                                \
  X(SELU, v <= 0 ? G * (A * exp(v) - A) : G * v)                                                  \
  X(LEAKYRELU, v < 0 ? A * v : v)                                                                 \
  X(THRESHOLDEDRELU, v > A ? v : 0)                                                               \
  X(CELU, fmax(v, ZERO) + fmin(A * expm1(v / A), ZERO))                                           \
  X(HARDSIGMOID, fmax(fmin(A * v + B, ONE), ZERO))                                                \
  X(GELU, HALF * v * (1 + erf(v * SQRT1_2)))                                                      \
  X(GELU_TANH, HALF * v * (1 + tanh(SQRT2_PI * (v + C_GELU * v * v * v))))                        \
  X(SHRINK, v < -A ? v + B : (v > A ? v - B : 0))

/* exp(x) for x <= 0 in float, branch-free so Sigmoid's loop vectorizes
 * (EfficientNet runs it on every activation): Cody-Waite reduction by ln 2
 * and Cephes' degree-6 polynomial, within 1.5 ulp of exp down to x = -87
 * (below, the result is clamped at about 1.6e-38). NaN stays NaN. */
static inline float exp_nonpos_f32(float x) {
  x = x < -87.0f ? -87.0f : x;
  const float magic = 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer */
  float t = x * 1.44269504088896341f + magic;
  float n = t - magic;
  float r = x - n * 0.693359375f - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  uint32_t tb, sb;
  float scale;
  memcpy(&tb, &t, sizeof tb);
  sb = (tb - 0x4B400000u + 127u) << 23; /* 2^n from n in t's low mantissa bits */
  memcpy(&scale, &sb, sizeof scale);
  return p * scale;
}

/* Numerically stable forms (no overflow of exp for large |v|, no
 * cancellation for large negative v), one exp per element; both arms of the
 * final select are computed so the loops stay branch-free. */
static inline float sigmoid_f32(float v) {
  float e = exp_nonpos_f32(-fabsf(v)), r = 1 / (1 + e), er = e * r;
  return v >= 0 ? r : er;
}
static inline double sigmoid_f64(double v) {
  double e = exp(-fabs(v)), r = 1 / (1 + e), er = e * r;
  return v >= 0 ? r : er;
}
#define SOFTPLUS_HELPER(T, S)                                                                     \
  static inline T softplus_##S(T v) { return log1p(exp(-fabs(v))) + (v > 0 ? v : 0); }
SOFTPLUS_HELPER(float, f32)
SOFTPLUS_HELPER(double, f64)
#define SIGMOID_EXPR(v) _Generic((v), float: sigmoid_f32, double: sigmoid_f64)(v)
#define SOFTPLUS_EXPR(v) _Generic((v), float: softplus_f32, double: softplus_f64)(v)

enum {
#define ENUM_ID(ID, EXPR) OP_##ID,
  UNARY_FLOAT_OPS(ENUM_ID)
#undef ENUM_ID
  OP_NOT,
  OP_ISNAN,
  OP_ISINF,
  OP_COUNT
};

typedef struct uparams {
  float alpha, beta, gamma;
  bool neg, pos; /* IsInf */
} uparams;

/* Per-type kernels: a switch outside the loops so each loop vectorizes
 * where its expression allows. */
#define FLOAT_KERNEL(T, S)                                                                        \
  static void unary_##S(int op, const T *x, T *y, int64_t n, const uparams *p) {                  \
    typedef T elem_t;                                                                             \
    const T A = (T)p->alpha, B = (T)p->beta, G = (T)p->gamma;                                     \
    const T ONE = 1, ZERO = 0, HALF = (T)0.5, SQRT1_2 = (T)0.70710678118654752440;                \
    const T SQRT2_PI = (T)0.79788456080286535588, C_GELU = (T)0.044715;                           \
    (void)ONE, (void)ZERO, (void)A, (void)B, (void)G;                                             \
    (void)HALF, (void)SQRT1_2, (void)SQRT2_PI, (void)C_GELU;                                       \
    switch (op) {                                                                                 \
      UNARY_FLOAT_OPS(FLOAT_CASE)                                                                 \
      default: break;                                                                             \
    }                                                                                             \
  }
#define FLOAT_CASE(ID, EXPR)                                                                      \
  case OP_##ID:                                                                                   \
    for (int64_t i = 0; i < n; i++) {                                                             \
      const elem_t v = x[i];                                                                      \
      y[i] = (EXPR);                                                                              \
    }                                                                                             \
    break;

FLOAT_KERNEL(float, f32)
FLOAT_KERNEL(double, f64)

/* Integer variants of the few ops that take integers (Abs, Neg, Sign, Relu).
 * Negation goes through the wide unsigned type: no overflow UB. */
#define INT_KERNEL(DT, T, S, KIND, UT)                                                            \
  static void unary_##S(int op, const T *x, T *y, int64_t n) {                                    \
    switch (op) {                                                                                 \
      case OP_RELU:                                                                               \
        for (int64_t i = 0; i < n; i++) y[i] = x[i] < 0 ? 0 : x[i];                               \
        break;                                                                                    \
      case OP_ABS:                                                                                \
        for (int64_t i = 0; i < n; i++) y[i] = x[i] < 0 ? (T)(0 - (UT)x[i]) : x[i];               \
        break;                                                                                    \
      case OP_NEG:                                                                                \
        for (int64_t i = 0; i < n; i++) y[i] = (T)(0 - (UT)x[i]);                                 \
        break;                                                                                    \
      case OP_SIGN:                                                                               \
        for (int64_t i = 0; i < n; i++) y[i] = (T)((x[i] > 0) - (x[i] < 0));                      \
        break;                                                                                    \
      default: break;                                                                             \
    }                                                                                             \
  }
#define INT_KERNEL_IF_INT_F(DT, T, S, UT)
#define INT_KERNEL_IF_INT_S(DT, T, S, UT) INT_KERNEL(DT, T, S, S, UT)
#define INT_KERNEL_IF_INT_U(DT, T, S, UT) INT_KERNEL(DT, T, S, U, UT)
#define INT_KERNEL_IF_INT(DT, T, S, KIND, UT) INT_KERNEL_IF_INT_##KIND(DT, T, S, UT)

/* GCC warns on `x < 0` for unsigned types; that comparison is the point. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wtype-limits"
RN_MOPS_NUMERIC_TYPES(INT_KERNEL_IF_INT)
#pragma GCC diagnostic pop

/* Which types each op takes. */
static unsigned op_types(int op) {
  switch (op) {
    case OP_RELU:
    case OP_ABS:
    case OP_SIGN: return RN_MOPS_T_NUM;
    case OP_NEG: return RN_MOPS_T_SNUM;
    case OP_NOT: return RN_MOPS_T_BOOL;
    default: return RN_MOPS_T_FLOAT;
  }
}

static void read_params(const rn_op_ctx *ctx, int *op, uparams *p);

static rn_status *unary_infer(rn_op_ctx *ctx, int op) {
  RN_TRY(rn_op_require(ctx, 1));
  uparams unused; /* read the attributes now so core can check their types */
  int op_copy = op;
  read_params(ctx, &op_copy, &unused);
  const rn_tensor *x = ctx->inputs[0];
  RN_TRY(rn_mops_check_type(ctx, x, op_types(op), "input"));
  bool to_bool = op == OP_ISNAN || op == OP_ISINF;
  if (op == OP_GELU) {
    const char *approx = rn_attr_string(ctx->node, "approximate", "none");
    if (strcmp(approx, "none") != 0 && strcmp(approx, "tanh") != 0)
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL,
                         "approximate must be 'none' or 'tanh', not '%s'", approx);
  }
  rn_op_set_output(ctx, 0, to_bool ? RN_DTYPE_BOOL : x->dtype, &x->shape);
  return NULL;
}

static void read_params(const rn_op_ctx *ctx, int *op, uparams *p) {
  const rn_node *nd = ctx->node;
  memset(p, 0, sizeof *p);
  switch (*op) {
    case OP_ELU:
    case OP_THRESHOLDEDRELU:
    case OP_CELU: p->alpha = rn_attr_float(nd, "alpha", 1.0f); break;
    case OP_SELU:
      p->alpha = rn_attr_float(nd, "alpha", 1.67326319217681884765625f);
      p->gamma = rn_attr_float(nd, "gamma", 1.05070102214813232421875f);
      break;
    case OP_LEAKYRELU: p->alpha = rn_attr_float(nd, "alpha", 0.01f); break;
    case OP_HARDSIGMOID:
      p->alpha = rn_attr_float(nd, "alpha", 0.2f);
      p->beta = rn_attr_float(nd, "beta", 0.5f);
      break;
    case OP_SHRINK:
      p->alpha = rn_attr_float(nd, "lambd", 0.5f);
      p->beta = rn_attr_float(nd, "bias", 0.0f);
      break;
    case OP_GELU:
      if (strcmp(rn_attr_string(nd, "approximate", "none"), "tanh") == 0) *op = OP_GELU_TANH;
      break;
    case OP_ISINF:
      p->neg = rn_attr_int(nd, "detect_negative", 1) != 0;
      p->pos = rn_attr_int(nd, "detect_positive", 1) != 0;
      break;
    default: break;
  }
}

#define PRED_LOOP(T, EXPR)                                                                        \
  do {                                                                                            \
    const T *x = xv;                                                                              \
    for (int64_t i = 0; i < n; i++) y[i] = (uint8_t)((EXPR) ? 1 : 0);                             \
  } while (0)

static rn_status *unary_run(rn_op_ctx *ctx, int op) {
  const rn_tensor *xt = ctx->inputs[0];
  rn_tensor *yt = ctx->outputs[0];
  int64_t n = rn_shape_numel(&xt->shape);
  uparams p;
  read_params(ctx, &op, &p);
  const void *xv = xt->data;
  if (op == OP_NOT) {
    const uint8_t *x = xv;
    uint8_t *y = yt->data;
    for (int64_t i = 0; i < n; i++) y[i] = x[i] == 0;
    return NULL;
  }
  if (op == OP_ISNAN || op == OP_ISINF) {
    uint8_t *y = yt->data;
    bool dn = p.neg, dp = p.pos;
    if (xt->dtype == RN_DTYPE_FLOAT) {
      if (op == OP_ISNAN) PRED_LOOP(float, isnan(x[i]));
      else PRED_LOOP(float, isinf(x[i]) && ((dn && x[i] < 0) || (dp && x[i] > 0)));
    } else {
      if (op == OP_ISNAN) PRED_LOOP(double, isnan(x[i]));
      else PRED_LOOP(double, isinf(x[i]) && ((dn && x[i] < 0) || (dp && x[i] > 0)));
    }
    return NULL;
  }
  switch (xt->dtype) {
    case RN_DTYPE_FLOAT: unary_f32(op, xv, yt->data, n, &p); break;
    case RN_DTYPE_DOUBLE: unary_f64(op, xv, yt->data, n, &p); break;
#define INT_CASE_F(DT, S)
#define INT_CASE_S(DT, S) case DT: unary_##S(op, xv, yt->data, n); break;
#define INT_CASE_U(DT, S) case DT: unary_##S(op, xv, yt->data, n); break;
#define INT_CASE(DT, T, S, KIND, UT) INT_CASE_##KIND(DT, S)
    RN_MOPS_NUMERIC_TYPES(INT_CASE)
    default:
      return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "type %s", rn_dtype_name(xt->dtype));
  }
  return NULL;
}

#define DEF_UNARY(VAR, NAME, SINCE, ID)                                                           \
  static rn_status *VAR##_infer(rn_op_ctx *ctx) { return unary_infer(ctx, OP_##ID); }             \
  static rn_status *VAR##_run(rn_op_ctx *ctx) { return unary_run(ctx, OP_##ID); }                 \
  const rn_op_def rn_op_##VAR = {                                                                 \
      .domain = "", .op_type = NAME, .since_version = SINCE, .max_version = 21,                   \
      .min_inputs = 1, .max_inputs = 1, .min_outputs = 1, .max_outputs = 1,                       \
      .infer = VAR##_infer, .run = VAR##_run,                                                     \
  };

DEF_UNARY(relu, "Relu", 1, RELU)
DEF_UNARY(sigmoid, "Sigmoid", 1, SIGMOID)
DEF_UNARY(tanh, "Tanh", 1, TANH)
DEF_UNARY(exp, "Exp", 1, EXP)
DEF_UNARY(log, "Log", 1, LOG)
DEF_UNARY(abs, "Abs", 1, ABS)
DEF_UNARY(neg, "Neg", 1, NEG)
DEF_UNARY(sqrt, "Sqrt", 1, SQRT)
DEF_UNARY(reciprocal, "Reciprocal", 1, RECIPROCAL)
DEF_UNARY(floor, "Floor", 1, FLOOR)
DEF_UNARY(ceil, "Ceil", 1, CEIL)
DEF_UNARY(round, "Round", 11, ROUND)
DEF_UNARY(sign, "Sign", 9, SIGN)
DEF_UNARY(sin, "Sin", 7, SIN)
DEF_UNARY(cos, "Cos", 7, COS)
DEF_UNARY(tan, "Tan", 7, TAN)
DEF_UNARY(asin, "Asin", 7, ASIN)
DEF_UNARY(acos, "Acos", 7, ACOS)
DEF_UNARY(atan, "Atan", 7, ATAN)
DEF_UNARY(sinh, "Sinh", 9, SINH)
DEF_UNARY(cosh, "Cosh", 9, COSH)
DEF_UNARY(asinh, "Asinh", 9, ASINH)
DEF_UNARY(acosh, "Acosh", 9, ACOSH)
DEF_UNARY(atanh, "Atanh", 9, ATANH)
DEF_UNARY(erf, "Erf", 9, ERF)
DEF_UNARY(softplus, "Softplus", 1, SOFTPLUS)
DEF_UNARY(softsign, "Softsign", 1, SOFTSIGN)
DEF_UNARY(hard_swish, "HardSwish", 14, HARDSWISH)
DEF_UNARY(mish, "Mish", 18, MISH)
DEF_UNARY(not, "Not", 1, NOT)
DEF_UNARY(isnan, "IsNaN", 9, ISNAN)
DEF_UNARY(isinf, "IsInf", 10, ISINF)
DEF_UNARY(elu, "Elu", 1, ELU)
DEF_UNARY(selu, "Selu", 1, SELU)
DEF_UNARY(leaky_relu, "LeakyRelu", 1, LEAKYRELU)
DEF_UNARY(thresholded_relu, "ThresholdedRelu", 10, THRESHOLDEDRELU)
DEF_UNARY(celu, "Celu", 12, CELU)
DEF_UNARY(hard_sigmoid, "HardSigmoid", 1, HARDSIGMOID)
DEF_UNARY(gelu, "Gelu", 20, GELU)
DEF_UNARY(shrink, "Shrink", 9, SHRINK)

/* Activations in place for fused kernels (see math_ops.h): the same loops
 * as the standalone ops above, Clip's two-bound loop and Sigmoid * x. */
#define ACT_EXTRA(T, S)                                                                           \
  static void clip_inplace_##S(T *y, int64_t n, T lo, T hi) {                                     \
    for (int64_t i = 0; i < n; i++) {                                                             \
      T v = y[i] < lo ? lo : y[i];                                                                \
      y[i] = v > hi ? hi : v;                                                                     \
    }                                                                                             \
  }                                                                                               \
  static void silu_inplace_##S(T *y, int64_t n) {                                                 \
    for (int64_t i = 0; i < n; i++) {                                                             \
      const T v = y[i], s = SIGMOID_EXPR(v);                                                      \
      y[i] = v * s;                                                                               \
    }                                                                                             \
  }
ACT_EXTRA(float, f32)
ACT_EXTRA(double, f64)

void rn_mops_activation(rn_mops_act act, rn_dtype dt, void *data, int64_t n, const float *params) {
  if (dt != RN_DTYPE_FLOAT && dt != RN_DTYPE_DOUBLE) return;
  bool f32 = dt == RN_DTYPE_FLOAT;
  uparams p;
  memset(&p, 0, sizeof p);
  int op;
  switch (act) {
    case RN_MOPS_ACT_RELU: op = OP_RELU; break;
    case RN_MOPS_ACT_SIGMOID: op = OP_SIGMOID; break;
    case RN_MOPS_ACT_TANH: op = OP_TANH; break;
    case RN_MOPS_ACT_HARD_SWISH: op = OP_HARDSWISH; break;
    case RN_MOPS_ACT_LEAKY_RELU:
      op = OP_LEAKYRELU;
      p.alpha = params[0];
      break;
    case RN_MOPS_ACT_HARD_SIGMOID:
      op = OP_HARDSIGMOID;
      p.alpha = params[0];
      p.beta = params[1];
      break;
    case RN_MOPS_ACT_CLIP:
      /* The bounds are floats; Clip on doubles compares against the same
       * values widened (the optimizer fuses only bounds floats represent). */
      if (f32) clip_inplace_f32(data, n, params[0], params[1]);
      else clip_inplace_f64(data, n, (double)params[0], (double)params[1]);
      return;
    case RN_MOPS_ACT_SILU:
      if (f32) silu_inplace_f32(data, n);
      else silu_inplace_f64(data, n);
      return;
    default: return;
  }
  if (f32) unary_f32(op, data, data, n, &p);
  else unary_f64(op, data, data, n, &p);
}
