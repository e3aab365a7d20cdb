/* Helpers shared by the math group's kernels: type checks and the strided
 * broadcast iterator every multi-input element-wise op runs on. */
#include <string.h>

#include "math_ops.h"

unsigned rn_mops_type_class(rn_dtype dt) {
  switch (dt) {
    case RN_DTYPE_FLOAT: return RN_MOPS_T_F32;
    case RN_DTYPE_DOUBLE: return RN_MOPS_T_F64;
    case RN_DTYPE_INT8:
    case RN_DTYPE_INT16:
    case RN_DTYPE_INT32:
    case RN_DTYPE_INT64: return RN_MOPS_T_SINT;
    case RN_DTYPE_UINT8:
    case RN_DTYPE_UINT16:
    case RN_DTYPE_UINT32:
    case RN_DTYPE_UINT64: return RN_MOPS_T_UINT;
    case RN_DTYPE_BOOL: return RN_MOPS_T_BOOL;
    default: return 0;
  }
}

rn_status *rn_mops_check_type(const rn_op_ctx *ctx, const rn_tensor *t, unsigned allowed,
                              const char *what) {
  if (rn_mops_type_class(t->dtype) & allowed) return NULL;
  /* Types outside the kernels' set (float16, or ONNX types this op rarely
   * takes) are "valid but not run here". */
  rn_status_code code = RN_ERR_UNSUPPORTED;
  return rn_op_error(ctx, code, "%s has type %s, which this op does not support", what,
                     rn_dtype_name(t->dtype));
}

/* ---- broadcasting ---- */

void rn_mops_bcast_init(rn_mops_bcast *b, const rn_shape *out, int n_in,
                        const rn_shape *const *ins) {
  memset(b, 0, sizeof *b);
  b->n_in = n_in;
  int64_t numel = rn_shape_numel(out);
  if (numel <= 0) { /* empty output (or invalid): nothing to walk */
    b->inner = 0;
    b->rows = 0;
    return;
  }
  /* Per-input element strides aligned to the output, 0 on broadcast dims,
   * keeping only the output's non-1 dims. */
  int64_t dims[RN_MAX_RANK];
  int64_t st[RN_MOPS_MAX_BCAST_IN][RN_MAX_RANK];
  int r = 0;
  int64_t run[RN_MOPS_MAX_BCAST_IN];
  for (int k = 0; k < n_in; k++) run[k] = 1;
  /* Walk from the innermost dim to compute contiguous strides. */
  int64_t rdims[RN_MAX_RANK];
  int64_t rst[RN_MOPS_MAX_BCAST_IN][RN_MAX_RANK];
  for (int i = out->rank - 1; i >= 0; i--) {
    int64_t d = out->dims[i];
    int64_t s[RN_MOPS_MAX_BCAST_IN];
    for (int k = 0; k < n_in; k++) {
      int j = ins[k]->rank - out->rank + i;
      int64_t dk = j >= 0 ? ins[k]->dims[j] : 1;
      s[k] = dk == 1 ? 0 : run[k];
      run[k] *= dk;
    }
    if (d == 1) continue;
    rdims[r] = d;
    for (int k = 0; k < n_in; k++) rst[k][r] = s[k];
    r++;
  }
  /* Reverse into outer-to-inner order while merging mergeable neighbours. */
  int m = 0;
  for (int i = r - 1; i >= 0; i--) {
    if (m > 0) {
      bool merge = true;
      for (int k = 0; k < n_in; k++)
        if (st[k][m - 1] != rst[k][i] * rdims[i]) merge = false;
      if (merge) {
        dims[m - 1] *= rdims[i];
        for (int k = 0; k < n_in; k++) st[k][m - 1] = rst[k][i];
        continue;
      }
    }
    dims[m] = rdims[i];
    for (int k = 0; k < n_in; k++) st[k][m] = rst[k][i];
    m++;
  }
  if (m == 0) { /* a single element */
    b->inner = 1;
    b->rows = 1;
    return;
  }
  b->inner = dims[m - 1];
  for (int k = 0; k < n_in; k++) b->inner_stride[k] = st[k][m - 1];
  b->rank = m - 1;
  b->rows = 1;
  for (int i = 0; i < m - 1; i++) {
    b->dims[i] = dims[i];
    b->rows *= dims[i];
    for (int k = 0; k < n_in; k++) b->strides[k][i] = st[k][i];
  }
}

void rn_mops_cursor_start(const rn_mops_bcast *b, rn_mops_cursor *c) {
  memset(c, 0, sizeof *c);
}

void rn_mops_bcast_binary(rn_tensor *y, const void *a, const rn_shape *sa, rn_dtype ta,
                          const void *b, const rn_shape *sb, rn_dtype tb, rn_mops_bin_fn fn) {
  rn_mops_bcast it;
  const rn_shape *ins[2] = {sa, sb};
  rn_mops_bcast_init(&it, &y->shape, 2, ins);
  size_t ey = rn_dtype_size(y->dtype), ea = rn_dtype_size(ta), eb = rn_dtype_size(tb);
  char *py = y->data;
  const char *pa = a, *pb = b;
  if (it.rows == 1) {
    fn(py, pa, pb, it.inner, it.inner_stride[0], it.inner_stride[1]);
    return;
  }
  rn_mops_cursor c;
  rn_mops_cursor_start(&it, &c);
  for (int64_t row = 0; row < it.rows; row++) {
    fn(py + (size_t)(row * it.inner) * ey, pa + (size_t)c.off[0] * ea, pb + (size_t)c.off[1] * eb,
       it.inner, it.inner_stride[0], it.inner_stride[1]);
    rn_mops_cursor_next(&it, &c);
  }
}

rn_status *rn_mops_binary_shapes(const rn_op_ctx *ctx, bool legacy, rn_shape *sa, rn_shape *sb,
                                 rn_shape *out) {
  const rn_tensor *a = ctx->inputs[0], *b = ctx->inputs[1];
  *sa = a->shape;
  *sb = b->shape;
  char bufa[128], bufb[128];
  if (legacy && rn_attr_int(ctx->node, "broadcast", 0) != 0) {
    /* Opset < 7: B's dims match a contiguous run of A's, starting at axis. */
    int ra = a->shape.rank, rb = b->shape.rank;
    const rn_attr *ax = rn_node_attr(ctx->node, "axis");
    int64_t start = ax ? ax->i : ra - rb;
    if (ax && start < 0) start += ra;
    if (rb > ra || start < 0 || start + rb > ra)
      return rn_op_error(ctx, RN_ERR_INVALID_MODEL,
                         "cannot broadcast %s to %s at axis %lld",
                         rn_shape_str(&b->shape, bufb, sizeof bufb),
                         rn_shape_str(&a->shape, bufa, sizeof bufa), (long long)start);
    rn_shape e;
    e.rank = ra;
    for (int i = 0; i < ra; i++) e.dims[i] = 1;
    for (int i = 0; i < rb; i++) {
      int64_t d = b->shape.dims[i];
      if (d != 1 && d != a->shape.dims[start + i])
        return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "cannot broadcast %s to %s at axis %lld",
                           rn_shape_str(&b->shape, bufb, sizeof bufb),
                           rn_shape_str(&a->shape, bufa, sizeof bufa), (long long)start);
      e.dims[start + i] = d;
    }
    *sb = e;
    *out = a->shape;
    return NULL;
  }
  if (!rn_broadcast_shapes(&a->shape, &b->shape, out))
    return rn_op_error(ctx, RN_ERR_INVALID_MODEL, "shapes %s and %s do not broadcast",
                       rn_shape_str(&a->shape, bufa, sizeof bufa),
                       rn_shape_str(&b->shape, bufb, sizeof bufb));
  return NULL;
}

