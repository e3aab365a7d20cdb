/* Helpers shared by the tensor group's kernels. */
#include <math.h>
#include <string.h>

#include "tensor_ops.h"

rn_status *rn_tops_check_fixed(const rn_op_ctx *ctx, const rn_tensor *t, const char *what) {
  if (rn_dtype_size(t->dtype) == 0)
    return rn_op_error(ctx, RN_ERR_UNSUPPORTED, "%s has unsupported type %s", what,
                       rn_dtype_name(t->dtype));
  return NULL;
}

/* One row: n elements, source stride st (elements). The constant-size memcpy
 * compiles to plain loads and stores without aliasing concerns. */
#define ROW_COPY(ES)                                                   \
  static void row_copy_##ES(char *o, const char *p, int64_t n, int64_t st) { \
    for (int64_t i = 0; i < n; i++) memcpy(o + i * ES, p + i * st * ES, ES); \
  }
ROW_COPY(1)
ROW_COPY(2)
ROW_COPY(4)
ROW_COPY(8)

static void row_copy(char *o, const char *p, int64_t n, int64_t st, size_t es) {
  if (st == 1) {
    memcpy(o, p, (size_t)n * es);
    return;
  }
  switch (es) {
    case 1: row_copy_1(o, p, n, st); return;
    case 2: row_copy_2(o, p, n, st); return;
    case 4: row_copy_4(o, p, n, st); return;
    case 8: row_copy_8(o, p, n, st); return;
    default:
      for (int64_t i = 0; i < n; i++) memcpy(o + i * (int64_t)es, p + i * st * (int64_t)es, es);
  }
}

void rn_tops_strided_copy(void *dst, const void *src, size_t es, int rank, const int64_t *dims,
                          const int64_t *strides) {
  int64_t d[RN_TOPS_MAX_COPY_RANK], s[RN_TOPS_MAX_COPY_RANK];
  int r = 0;
  /* Drop unit dims and merge dims that are contiguous in the source. */
  for (int i = 0; i < rank; i++) {
    if (dims[i] == 0) return;
    if (dims[i] == 1) continue;
    if (r > 0 && s[r - 1] == strides[i] * dims[i]) {
      d[r - 1] *= dims[i];
      s[r - 1] = strides[i];
    } else {
      d[r] = dims[i];
      s[r] = strides[i];
      r++;
    }
  }
  char *out = dst;
  const char *in = src;
  if (r == 0) {
    memcpy(out, in, es);
    return;
  }
  int64_t n = d[r - 1], st = s[r - 1], outer = 1;
  for (int k = 0; k < r - 1; k++) outer *= d[k];
  int64_t idx[RN_TOPS_MAX_COPY_RANK] = {0};
  int64_t off = 0;
  for (int64_t o = 0; o < outer; o++) {
    row_copy(out, in + off * (int64_t)es, n, st, es);
    out += n * (int64_t)es;
    for (int k = r - 2; k >= 0; k--) {
      off += s[k];
      if (++idx[k] < d[k]) break;
      off -= s[k] * d[k];
      idx[k] = 0;
    }
  }
}

void rn_tops_copy_data(rn_tensor *dst, const rn_tensor *src) {
  size_t n = dst->nbytes < src->nbytes ? dst->nbytes : src->nbytes;
  if (dst->data != src->data && n) memcpy(dst->data, src->data, n);
}

void rn_tops_fill(void *dst, const void *value, size_t es, int64_t n) {
  if (n <= 0) return;
  char *o = dst;
  bool zero = true;
  for (size_t i = 0; i < es; i++) zero = zero && ((const char *)value)[i] == 0;
  size_t total = (size_t)n * es;
  if (zero) {
    memset(o, 0, total);
    return;
  }
  memcpy(o, value, es);
  /* Doubling copies: log2(n) memcpy calls. */
  size_t done = es;
  while (done < total) {
    size_t c = done < total - done ? done : total - done;
    memcpy(o + done, o, c);
    done += c;
  }
}

