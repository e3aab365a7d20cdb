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

float rn_tops_half_to_float(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
  if (exp == 0) {
    if (man == 0) {
      bits = sign;
    } else { /* subnormal: normalize */
      int e = -1;
      do {
        e++;
        man <<= 1;
      } while (!(man & 0x400));
      bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((man & 0x3ff) << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (man << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
  }
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

uint16_t rn_tops_float_to_half(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
  uint32_t exp = (x >> 23) & 0xff, man = x & 0x7fffff;
  if (exp == 0xff) return sign | 0x7c00 | (man ? 0x200 : 0); /* inf / nan */
  int e = (int)exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    man |= 0x800000;
    int shift = 14 - e;
    uint32_t half = man >> shift, rem = man & ((1u << shift) - 1), mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1))) half++;
    return sign | (uint16_t)half;
  }
  uint32_t half = ((uint32_t)e << 10) | (man >> 13), rem = man & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (half & 1))) half++; /* may carry into inf: correct */
  return sign | (uint16_t)half;
}

double rn_tops_get_double(const rn_tensor *t, int64_t i) {
  if (t->dtype == RN_DTYPE_FLOAT16) return rn_tops_half_to_float(((const uint16_t *)t->data)[i]);
  return rn_tensor_get_double(t, i);
}

/* Float to integer without undefined behaviour: NaN -> 0, saturate to int64,
 * then wrap to the narrower width (what numpy's astype does in range). */
static int64_t sat_i64(double v) {
  if (v != v) return 0;
  if (v >= 9223372036854775807.0) return INT64_MAX;
  if (v <= -9223372036854775808.0) return INT64_MIN;
  return (int64_t)v;
}

void rn_tops_set_double(void *data, rn_dtype dt, int64_t i, double v) {
  switch (dt) {
    case RN_DTYPE_FLOAT: ((float *)data)[i] = (float)v; break;
    case RN_DTYPE_DOUBLE: ((double *)data)[i] = v; break;
    case RN_DTYPE_FLOAT16: ((uint16_t *)data)[i] = rn_tops_float_to_half((float)v); break;
    case RN_DTYPE_BOOL: ((uint8_t *)data)[i] = v != 0; break;
    case RN_DTYPE_INT8: ((int8_t *)data)[i] = (int8_t)sat_i64(v); break;
    case RN_DTYPE_UINT8: ((uint8_t *)data)[i] = (uint8_t)sat_i64(v); break;
    case RN_DTYPE_INT16: ((int16_t *)data)[i] = (int16_t)sat_i64(v); break;
    case RN_DTYPE_UINT16: ((uint16_t *)data)[i] = (uint16_t)sat_i64(v); break;
    case RN_DTYPE_INT32: ((int32_t *)data)[i] = (int32_t)sat_i64(v); break;
    case RN_DTYPE_UINT32: ((uint32_t *)data)[i] = (uint32_t)sat_i64(v); break;
    case RN_DTYPE_INT64: ((int64_t *)data)[i] = sat_i64(v); break;
    case RN_DTYPE_UINT64:
      ((uint64_t *)data)[i] = v >= 18446744073709551615.0 ? UINT64_MAX
                              : v >= 0                    ? (uint64_t)v
                                                          : (uint64_t)sat_i64(v);
      break;
    default: break;
  }
}
