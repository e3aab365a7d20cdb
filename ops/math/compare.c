/* Broadcasting comparisons (Equal, Less, Greater, LessOrEqual,
 * GreaterOrEqual) and logic (And, Or, Xor): BOOL outputs. Bool bytes other
 * than 0 read as true. */
#include "math_ops.h"

#define EQ_E x == z
#define LT_E x < z
#define GT_E x > z
#define LE_E x <= z
#define GE_E x >= z

#define GEN(OP, DT, T, S, K, UT) RN_MOPS_BIN_KERNEL(OP##_##S, T, T, uint8_t, OP##_E)
#define COMPARE_OP(OP) RN_MOPS_BIN_OP_TABLE(OP, GEN)

COMPARE_OP(EQ)
COMPARE_OP(LT)
COMPARE_OP(GT)
COMPARE_OP(LE)
COMPARE_OP(GE)

RN_MOPS_BIN_KERNEL(eq_bool, uint8_t, uint8_t, uint8_t, (x != 0) == (z != 0))
RN_MOPS_BIN_KERNEL(and_bool, uint8_t, uint8_t, uint8_t, (x != 0) & (z != 0))
RN_MOPS_BIN_KERNEL(or_bool, uint8_t, uint8_t, uint8_t, (x != 0) | (z != 0))
RN_MOPS_BIN_KERNEL(xor_bool, uint8_t, uint8_t, uint8_t, (x != 0) ^ (z != 0))

enum { OP_EQ, OP_LT, OP_GT, OP_LE, OP_GE, OP_AND, OP_OR, OP_XOR };

static unsigned op_types(int op) {
  switch (op) {
    case OP_EQ: return RN_MOPS_T_NUM | RN_MOPS_T_BOOL;
    case OP_AND:
    case OP_OR:
    case OP_XOR: return RN_MOPS_T_BOOL;
    default: return RN_MOPS_T_NUM;
  }
}

static rn_status *compare_infer(rn_op_ctx *ctx, int op) {
  RN_TRY(rn_op_require(ctx, 2));
  const rn_tensor *a = ctx->inputs[0], *b = ctx->inputs[1];
  RN_TRY(rn_mops_check_type(ctx, a, op_types(op), "input A"));
  if (a->dtype != b->dtype)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "inputs have types %s and %s",
                       rn_dtype_name(a->dtype), rn_dtype_name(b->dtype));
  rn_shape sa, sb, out;
  RN_TRY(rn_mops_binary_shapes(ctx, ctx->opset < 7, &sa, &sb, &out));
  RN_TRY(rn_op_check_shape(ctx, &out, RN_DTYPE_BOOL));
  rn_op_set_output(ctx, 0, RN_DTYPE_BOOL, &out);
  return NULL;
}

static rn_status *compare_run(rn_op_ctx *ctx, int op) {
  const rn_tensor *a = ctx->inputs[0], *b = ctx->inputs[1];
  rn_shape sa, sb, out;
  RN_TRY(rn_mops_binary_shapes(ctx, ctx->opset < 7, &sa, &sb, &out));
  rn_mops_bin_fn fn = NULL;
  rn_dtype t = a->dtype;
  switch (op) {
    case OP_EQ: fn = t == RN_DTYPE_BOOL ? eq_bool : find_EQ(t); break;
    case OP_LT: fn = find_LT(t); break;
    case OP_GT: fn = find_GT(t); break;
    case OP_LE: fn = find_LE(t); break;
    case OP_GE: fn = find_GE(t); break;
    case OP_AND: fn = and_bool; break;
    case OP_OR: fn = or_bool; break;
    case OP_XOR: fn = xor_bool; break;
    default: break;
  }
  if (!fn) return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "type %s", rn_dtype_name(t));
  rn_mops_bcast_binary(ctx->outputs[0], a->data, &sa, t, b->data, &sb, t, fn);
  return NULL;
}

#define DEF_COMPARE(VAR, NAME, SINCE, ID)                                                         \
  static rn_status *VAR##_infer(rn_op_ctx *ctx) { return compare_infer(ctx, OP_##ID); }           \
  static rn_status *VAR##_run(rn_op_ctx *ctx) { return compare_run(ctx, OP_##ID); }               \
  const rn_op_def rn_op_##VAR = {                                                                 \
      .domain = "", .op_type = NAME, .since_version = SINCE, .max_version = 21,                   \
      .min_inputs = 2, .max_inputs = 2, .min_outputs = 1, .max_outputs = 1,                       \
      .infer = VAR##_infer, .run = VAR##_run,                                                     \
  };

DEF_COMPARE(equal, "Equal", 1, EQ)
DEF_COMPARE(less, "Less", 1, LT)
DEF_COMPARE(greater, "Greater", 1, GT)
DEF_COMPARE(less_or_equal, "LessOrEqual", 12, LE)
DEF_COMPARE(greater_or_equal, "GreaterOrEqual", 12, GE)
DEF_COMPARE(and, "And", 1, AND)
DEF_COMPARE(or, "Or", 1, OR)
DEF_COMPARE(xor, "Xor", 1, XOR)
