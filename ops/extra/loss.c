/* NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (opset 12+).
 * input [N, C, d1..dk], target [N, d1..dk] (int32/int64), optional weight [C].
 * A target equal to ignore_index contributes neither loss nor weight; any
 * other target outside [0, C) is a run-time error. reduction "mean" divides
 * by the sum of the gathered weights (the count when there is no weight).
 * SoftmaxCrossEntropyLoss applies log-softmax over axis 1 first and can
 * output those log-probabilities. */
#include <math.h>
#include <string.h>

#include "extra_ops.h"

enum { RED_NONE, RED_SUM, RED_MEAN };

typedef struct loss_params {
  int reduction;
  bool has_ii;
  int64_t ii;
} loss_params;

static rn_status *loss_attrs(const rn_op_ctx *ctx, loss_params *p) {
  const char *r = rn_attr_string(ctx->node, "reduction", "mean");
  if (!strcmp(r, "none"))
    p->reduction = RED_NONE;
  else if (!strcmp(r, "sum"))
    p->reduction = RED_SUM;
  else if (!strcmp(r, "mean"))
    p->reduction = RED_MEAN;
  else
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "unknown reduction '%s'", r);
  const rn_attr *a = rn_node_attr(ctx->node, "ignore_index");
  p->has_ii = a != NULL;
  p->ii = a ? rn_attr_int(ctx->node, "ignore_index", 0) : 0;
  return NULL;
}

static rn_status *loss_infer(rn_op_ctx *ctx) {
  RN_TRY(rn_op_require(ctx, 2));
  loss_params p;
  RN_TRY(loss_attrs(ctx, &p));
  const rn_tensor *x = ctx->inputs[0], *t = ctx->inputs[1], *w = rn_op_input(ctx, 2);
  RN_TRY(rn_xops_require_real(ctx, x, "input"));
  if (x->shape.rank < 2)
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "input must have rank >= 2 (rank %d)",
                       x->shape.rank);
  if (!rn_op_is_index_dtype(t->dtype))
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "target must be int32 or int64, not %s",
                       rn_dtype_name(t->dtype));
  bool ok = t->shape.rank == x->shape.rank - 1 && t->shape.dims[0] == x->shape.dims[0];
  for (int i = 1; ok && i < t->shape.rank; i++) ok = t->shape.dims[i] == x->shape.dims[i + 1];
  if (!ok) return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "target shape does not match input [N, C, d...]");
  if (w) {
    if (w->dtype != x->dtype || w->shape.rank != 1 || w->shape.dims[0] != x->shape.dims[1])
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "weight must be a [C] tensor of the input's type");
  }
  rn_shape scalar = {0, {0}};
  rn_op_set_output(ctx, 0, x->dtype, p.reduction == RED_NONE ? &t->shape : &scalar);
  rn_op_set_output(ctx, 1, x->dtype, &x->shape); /* SCE's log_prob */
  return NULL;
}

/* Gathers -logp[n, target, d] * weight over all (n, d) into y (reduction
 * none) or reduces it. logp is read through getf (float or double). */
static rn_status *nll(const rn_op_ctx *ctx, const loss_params *p, const void *logp, rn_dtype dt,
                      bool logp_is_double) {
  const rn_tensor *x = ctx->inputs[0], *t = ctx->inputs[1], *w = rn_op_input(ctx, 2);
  rn_tensor *y = ctx->outputs[0];
  int64_t n = x->shape.dims[0], c = x->shape.dims[1], d = 1;
  for (int i = 2; i < x->shape.rank; i++) d *= x->shape.dims[i];
  double sum = 0, wsum = 0;
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < d; j++) {
      int64_t k = i * d + j, cls = rn_tensor_get_int(t, k);
      double l = 0, wt = 0;
      if (!(p->has_ii && cls == p->ii)) {
        if (cls < 0 || cls >= c)
          return rn_op_error(ctx, RN_ERR_RUNTIME, "target %lld out of range [0, %lld)",
                             (long long)cls, (long long)c);
        int64_t xi = (i * c + cls) * d + j;
        double v = logp_is_double ? ((const double *)logp)[xi] : rn_xops_getf(logp, dt, xi);
        wt = w ? rn_xops_getf(w->data, dt, cls) : 1.0;
        l = -v * wt;
      }
      if (p->reduction == RED_NONE) rn_xops_setf(y->data, dt, k, l);
      sum += l;
      wsum += wt;
    }
  if (p->reduction == RED_SUM) rn_xops_setf(y->data, dt, 0, sum);
  if (p->reduction == RED_MEAN) rn_xops_setf(y->data, dt, 0, sum / wsum);
  return NULL;
}

static rn_status *nll_run(rn_op_ctx *ctx) {
  loss_params p;
  RN_TRY(loss_attrs(ctx, &p));
  const rn_tensor *x = ctx->inputs[0];
  return nll(ctx, &p, x->data, x->dtype, false);
}

static size_t sce_workspace(const rn_op_ctx *ctx) {
  int64_t n = rn_shape_numel(&ctx->inputs[0]->shape);
  return n > 0 ? (size_t)n * sizeof(double) : 0;
}

static rn_status *sce_run(rn_op_ctx *ctx) {
  loss_params p;
  RN_TRY(loss_attrs(ctx, &p));
  const rn_tensor *x = ctx->inputs[0];
  rn_tensor *lp = rn_op_output(ctx, 1);
  double *q = ctx->workspace;
  int64_t n = x->shape.dims[0], c = x->shape.dims[1], d = 1;
  for (int i = 2; i < x->shape.rank; i++) d *= x->shape.dims[i];
  /* log-softmax over the class axis, in double */
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < d; j++) {
      int64_t base = i * c * d + j;
      double m = -INFINITY, s = 0;
      for (int64_t k = 0; k < c; k++) {
        double v = rn_xops_getf(x->data, x->dtype, base + k * d);
        if (v > m) m = v;
      }
      for (int64_t k = 0; k < c; k++) s += exp(rn_xops_getf(x->data, x->dtype, base + k * d) - m);
      double ls = log(s);
      for (int64_t k = 0; k < c; k++) {
        int64_t idx = base + k * d;
        q[idx] = rn_xops_getf(x->data, x->dtype, idx) - m - ls;
        if (lp) rn_xops_setf(lp->data, x->dtype, idx, q[idx]);
      }
    }
  return nll(ctx, &p, q, x->dtype, true);
}

const rn_op_def rn_op_nll_loss = {
    .domain = "", .op_type = "NegativeLogLikelihoodLoss", .since_version = 12,
    .max_version = 21, .min_inputs = 2, .max_inputs = 3, .min_outputs = 1, .max_outputs = 1,
    .infer = loss_infer, .run = nll_run,
};

const rn_op_def rn_op_sce_loss = {
    .domain = "", .op_type = "SoftmaxCrossEntropyLoss", .since_version = 12, .max_version = 21,
    .min_inputs = 2, .max_inputs = 3, .min_outputs = 1, .max_outputs = 2, .infer = loss_infer,
    .run = sce_run, .workspace = sce_workspace,
};
