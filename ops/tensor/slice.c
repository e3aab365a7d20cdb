/* Slice: starts/ends/axes as attributes (opset 1-9) or inputs with steps
 * (10+), clamped like numpy; negative steps walk backwards. Run is a strided
 * copy. */
#include "tensor_ops.h"

typedef struct slice_plan {
  int64_t start[RN_MAX_RANK], step[RN_MAX_RANK];
  rn_shape out;
} slice_plan;

static rn_status *attr_list(const rn_op_ctx *ctx, const char *name, int64_t *vals, int *n) {
  const int64_t *v;
  int64_t cnt = rn_attr_ints(ctx->node, name, &v);
  *n = -1;
  if (cnt < 0) return NULL;
  if (cnt > RN_MAX_RANK)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "'%s' has too many values (%lld)", name,
                       (long long)cnt);
  for (int64_t i = 0; i < cnt; i++) vals[i] = v[i];
  *n = (int)cnt;
  return NULL;
}

static rn_status *input_list(const rn_op_ctx *ctx, int idx, const char *name, int64_t *vals,
                             int *n) {
  const rn_tensor *t = rn_op_input(ctx, idx);
  *n = -1;
  if (!t) return NULL;
  return rn_op_const_ints(ctx, t, name, vals, RN_MAX_RANK, n);
}

static rn_status *slice_plan_make(const rn_op_ctx *ctx, slice_plan *p) {
  const rn_tensor *x = ctx->inputs[0];
  int r = x->shape.rank;
  int64_t starts[RN_MAX_RANK], ends[RN_MAX_RANK], axes[RN_MAX_RANK], steps[RN_MAX_RANK];
  int ns = -1, ne = -1, na = -1, nst = -1;
  if (ctx->opset < 10) {
    RN_TRY(attr_list(ctx, "starts", starts, &ns));
    RN_TRY(attr_list(ctx, "ends", ends, &ne));
    RN_TRY(attr_list(ctx, "axes", axes, &na));
  } else {
    if (!rn_op_input(ctx, 1) || !rn_op_input(ctx, 2))
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "inputs 'starts' and 'ends' are required");
    RN_TRY(input_list(ctx, 1, "starts", starts, &ns));
    RN_TRY(input_list(ctx, 2, "ends", ends, &ne));
    RN_TRY(input_list(ctx, 3, "axes", axes, &na));
    RN_TRY(input_list(ctx, 4, "steps", steps, &nst));
  }
  if (ns < 0 || ne < 0) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "starts/ends are missing");
  if (ns != ne || (na >= 0 && na != ns) || (nst >= 0 && nst != ns))
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "starts/ends/axes/steps lengths differ");
  if (ns > r)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "%d slices for rank %d", ns, r);
  p->out = x->shape;
  bool seen[RN_MAX_RANK] = {false};
  for (int i = 0; i < r; i++) {
    p->start[i] = 0;
    p->step[i] = 1;
  }
  for (int i = 0; i < ns; i++) {
    int a = i;
    if (na >= 0 && !rn_normalize_axis(axes[i], r, &a))
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "axis %lld out of range for rank %d",
                         (long long)axes[i], r);
    if (seen[a]) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "axis %d repeated", a);
    seen[a] = true;
    int64_t step = nst >= 0 ? steps[i] : 1, dim = x->shape.dims[a];
    if (step == 0) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "step is 0");
    if (step == INT64_MIN) step = -INT64_MAX; /* avoid overflow below; same result */
    int64_t s = starts[i], e = ends[i];
    if (s < 0) s = s < -dim ? -1 : s + dim; /* -1: before the start, clamped below */
    if (e < 0) e = e < -dim ? -1 : e + dim;
    int64_t count;
    if (step > 0) {
      s = s < 0 ? 0 : s > dim ? dim : s;
      e = e < 0 ? 0 : e > dim ? dim : e;
      count = e > s ? (e - s - 1) / step + 1 : 0;
    } else {
      s = s < 0 ? 0 : s > dim - 1 ? dim - 1 : s;
      e = e < -1 ? -1 : e > dim - 1 ? dim - 1 : e;
      count = dim > 0 && s > e ? (s - e - 1) / (-step) + 1 : 0;
    }
    p->start[a] = count ? s : 0;
    p->step[a] = count > 1 ? step : 1; /* a huge step taking one element must not overflow */
    p->out.dims[a] = count;
  }
  return NULL;
}

static rn_status *slice_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 1));
  const rn_tensor *x = ctx->inputs[0];
  RN_TRY(rn_tops_check_fixed(ctx, x, "data"));
  slice_plan p;
  RN_TRY(slice_plan_make(ctx, &p));
  rn_op_set_output(ctx, 0, x->dtype, &p.out);
  return NULL;
}

static rn_status *slice_run(rn_op_ctx *ctx) {
  const rn_tensor *x = ctx->inputs[0];
  rn_tensor *y = ctx->outputs[0];
  slice_plan p;
  RN_TRY(slice_plan_make(ctx, &p));
  if (rn_shape_numel(&p.out) == 0) return NULL;
  int64_t xs[RN_MAX_RANK], strides[RN_MAX_RANK];
  rn_op_strides(&x->shape, xs);
  size_t es = rn_dtype_size(x->dtype);
  int64_t off = 0;
  for (int i = 0; i < x->shape.rank; i++) {
    off += p.start[i] * xs[i];
    strides[i] = p.step[i] * xs[i];
  }
  rn_tops_strided_copy(y->data, (const char *)x->data + off * (int64_t)es, es, x->shape.rank,
                       p.out.dims, strides);
  return NULL;
}

const rn_op_def rn_op_slice = {
    .domain = "", .op_type = "Slice", .since_version = 1, .max_version = 21,
    .min_inputs = 1, .max_inputs = 5, .min_outputs = 1, .max_outputs = 1,
    .infer = slice_infer, .run = slice_run,
    .value_inputs = (1u << 1) | (1u << 2) | (1u << 3) | (1u << 4),
};
