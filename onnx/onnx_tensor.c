/* TensorProto -> rn_tensor: typed fields, raw_data and external data files. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "onnx_internal.h"

static bool dtype_supported(int32_t t) {
  return t >= RN_DTYPE_FLOAT && t <= RN_DTYPE_UINT64 && t != RN_DTYPE_STRING;
}

/* How many values the typed field for `dtype` holds, and its name. */
static size_t typed_count(const Onnx__TensorProto *tp, rn_dtype dtype, const char **field) {
  switch (dtype) {
    case RN_DTYPE_FLOAT: *field = "float_data"; return tp->n_float_data;
    case RN_DTYPE_DOUBLE: *field = "double_data"; return tp->n_double_data;
    case RN_DTYPE_INT64: *field = "int64_data"; return tp->n_int64_data;
    case RN_DTYPE_UINT32:
    case RN_DTYPE_UINT64: *field = "uint64_data"; return tp->n_uint64_data;
    default: *field = "int32_data"; return tp->n_int32_data;
  }
}

/* Copies the typed field's values into t (the count was checked). */
static void copy_typed(const Onnx__TensorProto *tp, rn_tensor *t, int64_t numel) {
  for (int64_t i = 0; i < numel; i++) {
    switch (t->dtype) {
      case RN_DTYPE_FLOAT: ((float *)t->data)[i] = tp->float_data[i]; break;
      case RN_DTYPE_DOUBLE: ((double *)t->data)[i] = tp->double_data[i]; break;
      case RN_DTYPE_INT64: ((int64_t *)t->data)[i] = tp->int64_data[i]; break;
      case RN_DTYPE_UINT32: ((uint32_t *)t->data)[i] = (uint32_t)tp->uint64_data[i]; break;
      case RN_DTYPE_UINT64: ((uint64_t *)t->data)[i] = tp->uint64_data[i]; break;
      case RN_DTYPE_INT32: ((int32_t *)t->data)[i] = tp->int32_data[i]; break;
      case RN_DTYPE_INT16: ((int16_t *)t->data)[i] = (int16_t)tp->int32_data[i]; break;
      case RN_DTYPE_UINT16:
      case RN_DTYPE_FLOAT16: ((uint16_t *)t->data)[i] = (uint16_t)tp->int32_data[i]; break;
      case RN_DTYPE_INT8: ((int8_t *)t->data)[i] = (int8_t)tp->int32_data[i]; break;
      case RN_DTYPE_UINT8: ((uint8_t *)t->data)[i] = (uint8_t)tp->int32_data[i]; break;
      case RN_DTYPE_BOOL: ((uint8_t *)t->data)[i] = tp->int32_data[i] != 0; break;
      default: break;
    }
  }
}

/* Resolves an external-data location inside base_dir, refusing anything that
 * would leave it: absolute paths, '..' components, and symlinks pointing out. */
static rn_status *resolve_external_path(const char *base_dir, const char *location,
                                        const char *what, char *out, size_t size) {
  if (!base_dir)
    return rn_error(RN_ERR_INVALID_MODEL, "%s: external data '%s' but the model was not loaded from a folder",
                    what, location);
  if (!location[0] || location[0] == '/')
    return rn_error(RN_ERR_INVALID_MODEL, "%s: external data location '%s' must be a relative path",
                    what, location);
  const char *p = location;
  while (*p) {
    const char *slash = strchr(p, '/');
    size_t len = slash ? (size_t)(slash - p) : strlen(p);
    if (len == 2 && p[0] == '.' && p[1] == '.')
      return rn_error(RN_ERR_INVALID_MODEL, "%s: external data location '%s' leaves the model's folder",
                      what, location);
    p += len + (slash ? 1 : 0);
  }
  char joined[PATH_MAX], real_base[PATH_MAX];
  if ((size_t)snprintf(joined, sizeof joined, "%s/%s", base_dir, location) >= sizeof joined)
    return rn_error(RN_ERR_INVALID_MODEL, "%s: external data path too long", what);
  if (!realpath(base_dir, real_base))
    return rn_error(RN_ERR_IO, "%s: cannot resolve model folder '%s': %s", what, base_dir,
                    strerror(errno));
  if (!realpath(joined, out))
    return rn_error(RN_ERR_IO, "%s: external data file '%s': %s", what, joined, strerror(errno));
  size_t bl = strlen(real_base);
  if (strncmp(out, real_base, bl) != 0 || (out[bl] != '/' && !(bl == 1 && real_base[0] == '/')))
    return rn_error(RN_ERR_INVALID_MODEL, "%s: external data '%s' resolves outside the model's folder (%s)",
                    what, location, out);
  (void)size;
  return NULL;
}

static rn_status *read_external(const Onnx__TensorProto *tp, const char *base_dir, rn_tensor *t,
                                const char *what) {
  const char *location = NULL;
  long long offset = 0, length = -1;
  for (size_t i = 0; i < tp->n_external_data; i++) {
    const Onnx__StringStringEntryProto *e = tp->external_data[i];
    if (!e->key || !e->value) continue;
    char *end = NULL;
    if (strcmp(e->key, "location") == 0) location = e->value;
    else if (strcmp(e->key, "offset") == 0) offset = strtoll(e->value, &end, 10);
    else if (strcmp(e->key, "length") == 0) length = strtoll(e->value, &end, 10);
    if (end && (*end || end == e->value))
      return rn_error(RN_ERR_INVALID_MODEL, "%s: external data %s '%s' is not a number", what,
                      e->key, e->value);
  }
  if (!location) return rn_error(RN_ERR_INVALID_MODEL, "%s: external data without a location", what);
  if (offset < 0) return rn_error(RN_ERR_INVALID_MODEL, "%s: negative external data offset", what);
  if (length >= 0 && (unsigned long long)length != t->nbytes)
    return rn_error(RN_ERR_INVALID_MODEL, "%s: external data length %lld, shape needs %zu bytes",
                    what, length, t->nbytes);
  char path[PATH_MAX];
  RN_TRY(resolve_external_path(base_dir, location, what, path, sizeof path));
  FILE *f = fopen(path, "rb");
  if (!f) return rn_error(RN_ERR_IO, "%s: cannot open external data '%s': %s", what, path, strerror(errno));
  struct stat sb;
  rn_status *st = NULL;
  if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode))
    st = rn_error(RN_ERR_IO, "%s: external data '%s' is not a regular file", what, path);
  else if ((unsigned long long)offset > (unsigned long long)sb.st_size ||
           t->nbytes > (unsigned long long)sb.st_size - (unsigned long long)offset)
    st = rn_error(RN_ERR_INVALID_MODEL, "%s: external data '%s' holds %lld bytes, needs %zu at offset %lld",
                  what, path, (long long)sb.st_size, t->nbytes, offset);
  else if (fseeko(f, (off_t)offset, SEEK_SET) != 0 || fread(t->data, 1, t->nbytes, f) != t->nbytes)
    st = rn_error(RN_ERR_IO, "%s: cannot read external data '%s'", what, path);
  fclose(f);
  return st;
}

rn_status *rn_onnx_tensor_convert(const Onnx__TensorProto *tp, const rn_env *env,
                                  const char *base_dir, const char *what, rn_tensor **out) {
  *out = NULL;
  if (tp->segment) return rn_error(RN_ERR_UNSUPPORTED, "%s: segmented tensors are not supported", what);
  int32_t dt = tp->has_data_type ? tp->data_type : 0;
  if (!dtype_supported(dt))
    return rn_error(dt == RN_DTYPE_STRING ? RN_ERR_UNSUPPORTED : RN_ERR_INVALID_MODEL,
                    "%s: data type %d (%s) is not supported", what, dt,
                    rn_dtype_name((rn_dtype)dt));
  if (tp->n_dims > RN_MAX_RANK)
    return rn_error(RN_ERR_UNSUPPORTED, "%s: rank %zu exceeds rn's maximum %d", what, tp->n_dims,
                    RN_MAX_RANK);
  rn_shape shape = {0};
  shape.rank = (int)tp->n_dims;
  for (size_t i = 0; i < tp->n_dims; i++) {
    if (tp->dims[i] < 0)
      return rn_error(RN_ERR_INVALID_MODEL, "%s: dim %zu is negative (%lld)", what, i,
                      (long long)tp->dims[i]);
    shape.dims[i] = tp->dims[i];
  }
  size_t nbytes;
  if (!rn_shape_nbytes(&shape, (rn_dtype)dt, &nbytes))
    return rn_error(RN_ERR_INVALID_MODEL, "%s: element count overflows", what);
  int64_t numel = rn_shape_numel(&shape);
  bool external = tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
  /* Check the data is there before allocating what the shape claims. */
  if (!external && tp->has_raw_data && tp->raw_data.len != nbytes)
    return rn_error(RN_ERR_INVALID_MODEL, "%s: raw_data holds %zu bytes, shape %s needs %zu", what,
                    tp->raw_data.len, rn_shape_str(&shape, (char[128]){0}, 128), nbytes);
  if (!external && !tp->has_raw_data) {
    const char *field;
    size_t have = typed_count(tp, (rn_dtype)dt, &field);
    if ((int64_t)have != numel)
      return rn_error(RN_ERR_INVALID_MODEL, "%s: %s holds %zu values, shape needs %lld", what,
                      field, have, (long long)numel);
  }
  RN_TRY(rn_env_check_limit(env, RN_LIMIT_TENSOR_BYTES, nbytes, what));
  rn_tensor *t = rn_tensor_new((rn_dtype)dt, &shape);
  if (!t) return rn_error(RN_ERR_OUT_OF_MEMORY, "%s: cannot allocate %zu bytes", what, nbytes);
  rn_status *st = NULL;
  if (external) st = read_external(tp, base_dir, t, what);
  else if (tp->has_raw_data) {
    if (nbytes) memcpy(t->data, tp->raw_data.data, nbytes);
  }
  else copy_typed(tp, t, numel);
  if (st) {
    rn_tensor_release(t);
    return st;
  }
  *out = t;
  return NULL;
}

rn_status *rn_tensor_from_onnx(const void *bytes, size_t size, rn_tensor **out, char **name_out) {
  if (!out) return rn_error(RN_ERR_INVALID_ARGUMENT, "rn_tensor_from_onnx: out is NULL");
  *out = NULL;
  if (name_out) *name_out = NULL;
  if (!bytes && size) return rn_error(RN_ERR_INVALID_ARGUMENT, "rn_tensor_from_onnx: bytes is NULL");
  Onnx__TensorProto *tp = onnx__tensor_proto__unpack(NULL, size, bytes);
  if (!tp) return rn_error(RN_ERR_INVALID_MODEL, "not a valid ONNX TensorProto (%zu bytes)", size);
  rn_status *st = rn_onnx_tensor_convert(tp, rn_env_default(), NULL,
                                         tp->name && tp->name[0] ? tp->name : "tensor", out);
  if (!st && name_out && tp->name) *name_out = strdup(tp->name);
  onnx__tensor_proto__free_unpacked(tp, NULL);
  return st;
}
