#include "tensor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

size_t rn_dtype_size(rn_dtype dtype) {
  switch (dtype) {
    case RN_DTYPE_FLOAT: return 4;
    case RN_DTYPE_UINT8: return 1;
    case RN_DTYPE_INT8: return 1;
    case RN_DTYPE_UINT16: return 2;
    case RN_DTYPE_INT16: return 2;
    case RN_DTYPE_INT32: return 4;
    case RN_DTYPE_INT64: return 8;
    case RN_DTYPE_BOOL: return 1;
    case RN_DTYPE_FLOAT16: return 2;
    case RN_DTYPE_DOUBLE: return 8;
    case RN_DTYPE_UINT32: return 4;
    case RN_DTYPE_UINT64: return 8;
    default: return 0;
  }
}

const char *rn_dtype_name(rn_dtype dtype) {
  switch (dtype) {
    case RN_DTYPE_UNDEFINED: return "undefined";
    case RN_DTYPE_FLOAT: return "float32";
    case RN_DTYPE_UINT8: return "uint8";
    case RN_DTYPE_INT8: return "int8";
    case RN_DTYPE_UINT16: return "uint16";
    case RN_DTYPE_INT16: return "int16";
    case RN_DTYPE_INT32: return "int32";
    case RN_DTYPE_INT64: return "int64";
    case RN_DTYPE_STRING: return "string";
    case RN_DTYPE_BOOL: return "bool";
    case RN_DTYPE_FLOAT16: return "float16";
    case RN_DTYPE_DOUBLE: return "float64";
    case RN_DTYPE_UINT32: return "uint32";
    case RN_DTYPE_UINT64: return "uint64";
  }
  return "unknown";
}

int64_t rn_shape_numel(const rn_shape *shape) {
  int64_t n = 1;
  for (int i = 0; i < shape->rank; i++) {
    int64_t d = shape->dims[i];
    if (d < 0) return -1;
    if (d != 0 && n > INT64_MAX / d) return -1;
    n *= d;
  }
  return n;
}

bool rn_shape_nbytes(const rn_shape *shape, rn_dtype dtype, size_t *nbytes) {
  int64_t n = rn_shape_numel(shape);
  size_t es = rn_dtype_size(dtype);
  if (n < 0 || es == 0) return false;
  if ((uint64_t)n > SIZE_MAX / es) return false;
  *nbytes = (size_t)n * es;
  return true;
}

bool rn_shape_equal(const rn_shape *a, const rn_shape *b) {
  if (a->rank != b->rank) return false;
  for (int i = 0; i < a->rank; i++)
    if (a->dims[i] != b->dims[i]) return false;
  return true;
}

const char *rn_shape_str(const rn_shape *shape, char *buf, size_t size) {
  size_t pos = 0;
  pos += (size_t)snprintf(buf + pos, size - pos, "[");
  for (int i = 0; i < shape->rank && pos < size; i++)
    pos += (size_t)snprintf(buf + pos, size - pos, i ? ",%lld" : "%lld",
                            (long long)shape->dims[i]);
  if (pos < size) snprintf(buf + pos, size - pos, "]");
  return buf;
}

rn_shape rn_shape_make(int rank, const int64_t *dims) {
  rn_shape s;
  memset(&s, 0, sizeof s);
  s.rank = rank;
  for (int i = 0; i < rank; i++) s.dims[i] = dims[i];
  return s;
}

rn_tensor *rn_tensor_new_info(rn_dtype dtype, const rn_shape *shape) {
  rn_tensor *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->dtype = dtype;
  t->shape = *shape;
  t->refcount = 1;
  rn_shape_nbytes(shape, dtype, &t->nbytes);
  return t;
}

rn_tensor *rn_tensor_new(rn_dtype dtype, const rn_shape *shape) {
  size_t nbytes;
  if (shape->rank < 0 || shape->rank > RN_MAX_RANK) return NULL;
  if (!rn_shape_nbytes(shape, dtype, &nbytes)) return NULL;
  rn_tensor *t = rn_tensor_new_info(dtype, shape);
  if (!t) return NULL;
  /* calloc(1, 0) may return NULL; always allocate at least one byte. */
  t->data = calloc(1, nbytes ? nbytes : 1);
  if (!t->data) {
    free(t);
    return NULL;
  }
  t->nbytes = nbytes;
  t->owns_data = true;
  return t;
}

rn_tensor *rn_tensor_clone(const rn_tensor *src) {
  rn_tensor *t = rn_tensor_new(src->dtype, &src->shape);
  if (t && src->data) memcpy(t->data, src->data, t->nbytes);
  return t;
}

rn_tensor *rn_tensor_retain(rn_tensor *t) {
  if (t) __atomic_add_fetch(&t->refcount, 1, __ATOMIC_RELAXED);
  return t;
}

void rn_tensor_release(rn_tensor *t) {
  if (!t) return;
  if (__atomic_sub_fetch(&t->refcount, 1, __ATOMIC_ACQ_REL) > 0) return;
  if (t->owns_data) free(t->data);
  free(t);
}

int64_t rn_tensor_get_int(const rn_tensor *t, int64_t i) {
  const void *d = t->data;
  switch (t->dtype) {
    case RN_DTYPE_INT64: return ((const int64_t *)d)[i];
    case RN_DTYPE_INT32: return ((const int32_t *)d)[i];
    case RN_DTYPE_INT16: return ((const int16_t *)d)[i];
    case RN_DTYPE_INT8: return ((const int8_t *)d)[i];
    case RN_DTYPE_UINT8: return ((const uint8_t *)d)[i];
    case RN_DTYPE_UINT16: return ((const uint16_t *)d)[i];
    case RN_DTYPE_UINT32: return ((const uint32_t *)d)[i];
    case RN_DTYPE_UINT64: return (int64_t)((const uint64_t *)d)[i];
    case RN_DTYPE_BOOL: return ((const uint8_t *)d)[i] != 0;
    case RN_DTYPE_FLOAT: return (int64_t)((const float *)d)[i];
    case RN_DTYPE_DOUBLE: return (int64_t)((const double *)d)[i];
    default: return 0;
  }
}

double rn_tensor_get_double(const rn_tensor *t, int64_t i) {
  switch (t->dtype) {
    case RN_DTYPE_FLOAT16: return rn_half_to_float(((const uint16_t *)t->data)[i]);
    case RN_DTYPE_FLOAT: return ((const float *)t->data)[i];
    case RN_DTYPE_DOUBLE: return ((const double *)t->data)[i];
    default: return (double)rn_tensor_get_int(t, i);
  }
}

float rn_half_to_float(uint16_t h) {
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

uint16_t rn_float_to_half(float f) {
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


/* Float to integer without undefined behaviour: NaN -> 0, saturate to int64,
 * then wrap to the narrower width (what numpy's astype does in range). */
static int64_t sat_i64(double v) {
  if (v != v) return 0;
  if (v >= 9223372036854775807.0) return INT64_MAX;
  if (v <= -9223372036854775808.0) return INT64_MIN;
  return (int64_t)v;
}

void rn_store_double(void *data, rn_dtype dt, int64_t i, double v) {
  switch (dt) {
    case RN_DTYPE_FLOAT: ((float *)data)[i] = (float)v; break;
    case RN_DTYPE_DOUBLE: ((double *)data)[i] = v; break;
    case RN_DTYPE_FLOAT16: ((uint16_t *)data)[i] = rn_float_to_half((float)v); break;
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

bool rn_broadcast_shapes(const rn_shape *a, const rn_shape *b, rn_shape *out) {
  int rank = a->rank > b->rank ? a->rank : b->rank;
  rn_shape r;
  memset(&r, 0, sizeof r);
  r.rank = rank;
  for (int i = 0; i < rank; i++) {
    int ia = a->rank - rank + i, ib = b->rank - rank + i;
    int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
    if (da == db || db == 1) r.dims[i] = da;
    else if (da == 1) r.dims[i] = db;
    else return false;
  }
  *out = r;
  return true;
}

/* ---- public API ---- */

static rn_status *check_dims(const int64_t *dims, int rank, rn_shape *shape) {
  if (rank < 0 || rank > RN_MAX_RANK)
    return rn_error(RN_ERR_INVALID_ARGUMENT, "tensor rank %d out of range 0..%d", rank,
                    RN_MAX_RANK);
  if (rank > 0 && !dims) return rn_error(RN_ERR_INVALID_ARGUMENT, "tensor dims are NULL");
  for (int i = 0; i < rank; i++)
    if (dims[i] < 0)
      return rn_error(RN_ERR_INVALID_ARGUMENT, "tensor dim %d is negative (%lld)", i,
                      (long long)dims[i]);
  *shape = rn_shape_make(rank, dims);
  return NULL;
}

rn_status *rn_tensor_create(rn_dtype dtype, const int64_t *dims, int rank, rn_tensor **out) {
  if (!out) return rn_error(RN_ERR_INVALID_ARGUMENT, "rn_tensor_create: out is NULL");
  *out = NULL;
  rn_shape shape;
  RN_TRY(check_dims(dims, rank, &shape));
  size_t nbytes;
  if (!rn_dtype_size(dtype))
    return rn_error(RN_ERR_UNSUPPORTED, "tensor dtype %s not supported", rn_dtype_name(dtype));
  if (!rn_shape_nbytes(&shape, dtype, &nbytes))
    return rn_error(RN_ERR_LIMIT, "tensor size overflows");
  *out = rn_tensor_new(dtype, &shape);
  if (!*out) return rn_error(RN_ERR_OUT_OF_MEMORY, "cannot allocate %zu bytes", nbytes);
  return NULL;
}

rn_status *rn_tensor_wrap(rn_dtype dtype, const int64_t *dims, int rank, void *data,
                          size_t nbytes, rn_tensor **out) {
  if (!out) return rn_error(RN_ERR_INVALID_ARGUMENT, "rn_tensor_wrap: out is NULL");
  *out = NULL;
  rn_shape shape;
  RN_TRY(check_dims(dims, rank, &shape));
  size_t need;
  if (!rn_dtype_size(dtype))
    return rn_error(RN_ERR_UNSUPPORTED, "tensor dtype %s not supported", rn_dtype_name(dtype));
  if (!rn_shape_nbytes(&shape, dtype, &need))
    return rn_error(RN_ERR_LIMIT, "tensor size overflows");
  if (nbytes < need)
    return rn_error(RN_ERR_INVALID_ARGUMENT, "wrapped buffer holds %zu bytes, shape needs %zu",
                    nbytes, need);
  if (!data && need)
    return rn_error(RN_ERR_INVALID_ARGUMENT, "rn_tensor_wrap: data is NULL");
  rn_tensor *t = rn_tensor_new_info(dtype, &shape);
  if (!t) return rn_error(RN_ERR_OUT_OF_MEMORY, "out of memory");
  t->data = data;
  t->nbytes = need;
  *out = t;
  return NULL;
}

void rn_tensor_free(rn_tensor *tensor) { rn_tensor_release(tensor); }
rn_dtype rn_tensor_dtype(const rn_tensor *t) { return t->dtype; }
int rn_tensor_rank(const rn_tensor *t) { return t->shape.rank; }
const int64_t *rn_tensor_dims(const rn_tensor *t) { return t->shape.dims; }
int64_t rn_tensor_numel(const rn_tensor *t) { return rn_shape_numel(&t->shape); }
size_t rn_tensor_nbytes(const rn_tensor *t) { return t->nbytes; }
void *rn_tensor_data(rn_tensor *t) { return t->data; }
