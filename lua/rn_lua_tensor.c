/* rn.Tensor: tensors from Lua tables, zeros/full/rand/randn, images, and
 * the tensor methods (lua/API.md, "Tensors"). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rn_lua_private.h"

/* ---------------------------------------------------------------- userdata */

rnL_tensor *rnL_newtensor_ud(lua_State *L) {
  rnL_tensor *u = lua_newuserdatauv(L, sizeof *u, 0);
  u->t = NULL;
  luaL_setmetatable(L, RNL_TENSOR_MT);
  return u;
}

void rnL_pushtensor(lua_State *L, rn_tensor *t) {
  /* Callers that can should make the userdata first (rnL_newtensor_ud) and
   * create the tensor into it: nothing leaks if Lua raises out of memory. */
  rnL_tensor *u = rnL_newtensor_ud(L);
  u->t = t;
}

rn_tensor *rnL_totensor(lua_State *L, int arg) {
  rnL_tensor *u = luaL_testudata(L, arg, RNL_TENSOR_MT);
  return u ? u->t : NULL;
}

rn_tensor *rnL_checktensor(lua_State *L, int arg, const char *what) {
  rnL_tensor *u = rnL_checkudata(L, arg, RNL_TENSOR_MT, what);
  if (!u->t) rnL_error(L, "%s: the tensor is closed", what ? what : "tensor");
  return u->t;
}

rn_tensor *rnL_pushcopy(lua_State *L, const rn_tensor *src) {
  rnL_tensor *u = rnL_newtensor_ud(L);
  rn_tensor *s = (rn_tensor *)src;
  rnL_check(L, rn_tensor_create(rn_tensor_dtype(s), rn_tensor_dims(s), rn_tensor_rank(s), &u->t), NULL);
  size_t n = rn_tensor_nbytes(s);
  if (n) memcpy(rn_tensor_data(u->t), rn_tensor_data(s), n);
  return u->t;
}

static int t_gc(lua_State *L) {
  rnL_tensor *u = luaL_checkudata(L, 1, RNL_TENSOR_MT);
  rn_tensor_free(u->t);
  u->t = NULL;
  return 0;
}

/* ---------------------------------------------------------------- elements */

static float half_to_float(uint16_t h) {
  uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
  if (exp == 0) {
    if (mant == 0) bits = sign;
    else { /* subnormal */
      float f = ldexpf((float)mant, -24);
      return sign ? -f : f;
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  }
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

static uint16_t float_to_half(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
  uint32_t exp = (x >> 23) & 0xff, mant = x & 0x7fffff;
  if (exp == 0xff) return (uint16_t)(sign | 0x7c00 | (mant ? 0x200 : 0));
  int e = (int)exp - 127 + 15;
  if (e >= 31) return (uint16_t)(sign | 0x7c00);
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    uint32_t shift = (uint32_t)(14 - e);
    uint32_t h = mant >> shift, rem = mant & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (h & 1))) h++;
    return (uint16_t)(sign | h);
  }
  uint32_t h = ((uint32_t)e << 10) | (mant >> 13), rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) h++;
  return (uint16_t)(sign | h);
}

void rnL_store_elem(lua_State *L, int idx, rn_dtype d, void *data, int64_t i) {
  int t = lua_type(L, idx);
  if (t == LUA_TBOOLEAN) {
    lua_Integer v = lua_toboolean(L, idx);
    lua_pushinteger(L, v);
    rnL_store_elem(L, -1, d, data, i);
    lua_pop(L, 1);
    return;
  }
  if (t != LUA_TNUMBER)
    rnL_error(L, "tensor element %lld: number expected, got %s", (long long)i + 1, luaL_typename(L, idx));
  if (d == RN_DTYPE_FLOAT) { ((float *)data)[i] = (float)lua_tonumber(L, idx); return; }
  if (d == RN_DTYPE_DOUBLE) { ((double *)data)[i] = (double)lua_tonumber(L, idx); return; }
  if (d == RN_DTYPE_FLOAT16) { ((uint16_t *)data)[i] = float_to_half((float)lua_tonumber(L, idx)); return; }
  int ok;
  lua_Integer v = lua_tointegerx(L, idx, &ok);
  if (!ok)
    rnL_error(L, "tensor element %lld: %s is not an integer (dtype %s)", (long long)i + 1,
              lua_tostring(L, idx), rnL_dtype_name(d));
  switch (d) {
    case RN_DTYPE_INT64: ((int64_t *)data)[i] = v; break;
    case RN_DTYPE_UINT64: ((uint64_t *)data)[i] = (uint64_t)v; break;
    case RN_DTYPE_INT32: ((int32_t *)data)[i] = (int32_t)v; break;
    case RN_DTYPE_UINT32: ((uint32_t *)data)[i] = (uint32_t)v; break;
    case RN_DTYPE_INT16: ((int16_t *)data)[i] = (int16_t)v; break;
    case RN_DTYPE_UINT16: ((uint16_t *)data)[i] = (uint16_t)v; break;
    case RN_DTYPE_INT8: ((int8_t *)data)[i] = (int8_t)v; break;
    case RN_DTYPE_UINT8: ((uint8_t *)data)[i] = (uint8_t)v; break;
    case RN_DTYPE_BOOL: ((uint8_t *)data)[i] = v != 0; break;
    default: rnL_error(L, "dtype %s is not supported here", rnL_dtype_name(d));
  }
}

void rnL_push_elem(lua_State *L, rn_dtype d, const void *data, int64_t i) {
  switch (d) {
    case RN_DTYPE_FLOAT: lua_pushnumber(L, ((const float *)data)[i]); break;
    case RN_DTYPE_DOUBLE: lua_pushnumber(L, ((const double *)data)[i]); break;
    case RN_DTYPE_FLOAT16: lua_pushnumber(L, half_to_float(((const uint16_t *)data)[i])); break;
    case RN_DTYPE_INT64: lua_pushinteger(L, ((const int64_t *)data)[i]); break;
    case RN_DTYPE_UINT64: lua_pushinteger(L, (lua_Integer)((const uint64_t *)data)[i]); break;
    case RN_DTYPE_INT32: lua_pushinteger(L, ((const int32_t *)data)[i]); break;
    case RN_DTYPE_UINT32: lua_pushinteger(L, ((const uint32_t *)data)[i]); break;
    case RN_DTYPE_INT16: lua_pushinteger(L, ((const int16_t *)data)[i]); break;
    case RN_DTYPE_UINT16: lua_pushinteger(L, ((const uint16_t *)data)[i]); break;
    case RN_DTYPE_INT8: lua_pushinteger(L, ((const int8_t *)data)[i]); break;
    case RN_DTYPE_UINT8: lua_pushinteger(L, ((const uint8_t *)data)[i]); break;
    case RN_DTYPE_BOOL: lua_pushboolean(L, ((const uint8_t *)data)[i] != 0); break;
    default: lua_pushnil(L); break;
  }
}

/* ---------------------------------------------------------------- constructors */

static int64_t numel_of(const int64_t *dims, int rank) {
  int64_t n = 1;
  for (int d = 0; d < rank; d++) n *= dims[d];
  return n;
}

/* The nesting of a table of tables: dims from the first elements. */
static int nested_shape(lua_State *L, int idx, int64_t dims[RN_MAX_RANK]) {
  int rank = 0;
  lua_pushvalue(L, idx);
  while (lua_type(L, -1) == LUA_TTABLE) {
    if (rank == RN_MAX_RANK) rnL_error(L, "rn.tensor: nesting deeper than %d", RN_MAX_RANK);
    dims[rank++] = (int64_t)lua_rawlen(L, -1);
    lua_rawgeti(L, -1, 1);
    lua_remove(L, -2);
  }
  lua_pop(L, 1);
  return rank;
}

/* Copies the nested table at `idx` (level `depth`) into data, checking that
 * every level has the length the first elements said. */
static void fill_nested(lua_State *L, int idx, int depth, const int64_t *dims, int rank, rn_dtype d,
                        void *data, int64_t *pos) {
  if ((int64_t)lua_rawlen(L, idx) != dims[depth])
    rnL_error(L, "rn.tensor: ragged nested table (a list of length %d at depth %d, expected %lld)",
              (int)lua_rawlen(L, idx), depth + 1, (long long)dims[depth]);
  luaL_checkstack(L, 4, "rn.tensor");
  for (int64_t i = 1; i <= dims[depth]; i++) {
    lua_rawgeti(L, idx, i);
    if (depth + 1 < rank) {
      if (lua_type(L, -1) != LUA_TTABLE)
        rnL_error(L, "rn.tensor: ragged nested table (a %s where a list was expected at depth %d)",
                  luaL_typename(L, -1), depth + 2);
      fill_nested(L, lua_gettop(L), depth + 1, dims, rank, d, data, pos);
    } else {
      if (lua_type(L, -1) == LUA_TTABLE) rnL_error(L, "rn.tensor: ragged nested table (too deep)");
      rnL_store_elem(L, -1, d, data, (*pos)++);
    }
    lua_pop(L, 1);
  }
}

static void shape_str(const int64_t *dims, int rank, char *buf, size_t size) {
  size_t n = 0;
  n += (size_t)snprintf(buf + n, size - n, "[");
  for (int d = 0; d < rank && n < size; d++)
    n += (size_t)snprintf(buf + n, size - n, d ? ",%lld" : "%lld", (long long)dims[d]);
  if (n < size) snprintf(buf + n, size - n, "]");
}

/* rn.tensor(values, shape?, dtype?) */
static int l_tensor(lua_State *L) {
  rn_dtype d = rnL_optdtype(L, 3, RN_DTYPE_FLOAT);
  int64_t ndims[RN_MAX_RANK], dims[RN_MAX_RANK];
  int nrank;
  if (lua_type(L, 1) == LUA_TNUMBER || lua_type(L, 1) == LUA_TBOOLEAN) {
    nrank = 0;
  } else {
    rnL_checktable(L, 1, "values");
    nrank = nested_shape(L, 1, ndims);
  }
  int rank = nrank;
  if (!lua_isnoneornil(L, 2)) {
    rank = rnL_checkshape(L, 2, dims, "rn.tensor: shape");
    if (numel_of(dims, rank) != numel_of(ndims, nrank)) {
      char a[128], b[128];
      shape_str(dims, rank, a, sizeof a);
      shape_str(ndims, nrank, b, sizeof b);
      rnL_error(L, "rn.tensor: shape %s needs %lld values, got %lld (nesting %s)", a,
                (long long)numel_of(dims, rank), (long long)numel_of(ndims, nrank), b);
    }
  } else {
    memcpy(dims, ndims, sizeof dims);
  }
  rnL_tensor *u = rnL_newtensor_ud(L);
  rnL_check(L, rn_tensor_create(d, dims, rank, &u->t), "rn.tensor");
  void *data = rn_tensor_data(u->t);
  if (nrank == 0) {
    rnL_store_elem(L, 1, d, data, 0);
  } else {
    int64_t pos = 0;
    fill_nested(L, 1, 0, ndims, nrank, d, data, &pos);
  }
  return 1;
}

/* rn.zeros(shape, dtype?) */
static int l_zeros(lua_State *L) {
  int64_t dims[RN_MAX_RANK];
  int rank = rnL_checkshape(L, 1, dims, "rn.zeros: shape");
  rn_dtype d = rnL_optdtype(L, 2, RN_DTYPE_FLOAT);
  rnL_tensor *u = rnL_newtensor_ud(L);
  rnL_check(L, rn_tensor_create(d, dims, rank, &u->t), "rn.zeros");
  return 1;
}

/* rn.full(shape, value, dtype?) */
static int l_full(lua_State *L) {
  int64_t dims[RN_MAX_RANK];
  int rank = rnL_checkshape(L, 1, dims, "rn.full: shape");
  if (lua_type(L, 2) != LUA_TNUMBER && lua_type(L, 2) != LUA_TBOOLEAN)
    rnL_error(L, "rn.full: the value must be a number");
  rn_dtype d = rnL_optdtype(L, 3, RN_DTYPE_FLOAT);
  rnL_tensor *u = rnL_newtensor_ud(L);
  rnL_check(L, rn_tensor_create(d, dims, rank, &u->t), "rn.full");
  void *data = rn_tensor_data(u->t);
  int64_t n = rn_tensor_numel(u->t);
  if (n > 0) {
    rnL_store_elem(L, 2, d, data, 0);
    size_t es = rn_dtype_size(d);
    for (int64_t i = 1; i < n; i++) memcpy((char *)data + (size_t)i * es, data, es);
  }
  return 1;
}

/* Deterministic generator: xoshiro256** seeded through splitmix64. */
typedef struct rng {
  uint64_t s[4];
} rng;

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static void rng_seed(rng *r, uint64_t seed) {
  for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rng_next(rng *r) {
  uint64_t *s = r->s, result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

static double rng_double(rng *r) { return (double)(rng_next(r) >> 11) * 0x1.0p-53; }

static rn_tensor *new_random(lua_State *L, const char *what, rng *r) {
  int64_t dims[RN_MAX_RANK];
  char label[32];
  snprintf(label, sizeof label, "%s: shape", what);
  int rank = rnL_checkshape(L, 1, dims, label);
  lua_Integer seed = lua_isnoneornil(L, 2) ? 0 : rnL_checkinteger(L, 2, "seed");
  rng_seed(r, (uint64_t)seed);
  rnL_tensor *u = rnL_newtensor_ud(L);
  rnL_check(L, rn_tensor_create(RN_DTYPE_FLOAT, dims, rank, &u->t), what);
  return u->t;
}

/* rn.rand(shape, seed, lo?, hi?): uniform [lo, hi), default [0, 1). */
static int l_rand(lua_State *L) {
  rng r;
  double lo = lua_isnoneornil(L, 3) ? 0.0 : rnL_checknumber(L, 3, "lo");
  double hi = lua_isnoneornil(L, 4) ? 1.0 : rnL_checknumber(L, 4, "hi");
  rn_tensor *t = new_random(L, "rn.rand", &r);
  float *p = rn_tensor_data(t);
  int64_t n = rn_tensor_numel(t);
  for (int64_t i = 0; i < n; i++) {
    float u = (float)(rng_next(&r) >> 40) * 0x1.0p-24f;
    p[i] = (float)(lo + (hi - lo) * u);
  }
  return 1;
}

/* rn.randn(shape, seed, std?, mean?): normal (Box-Muller), default N(0, 1). */
static int l_randn(lua_State *L) {
  rng r;
  double sd = lua_isnoneornil(L, 3) ? 1.0 : rnL_checknumber(L, 3, "std");
  double mean = lua_isnoneornil(L, 4) ? 0.0 : rnL_checknumber(L, 4, "mean");
  rn_tensor *t = new_random(L, "rn.randn", &r);
  float *p = rn_tensor_data(t);
  int64_t n = rn_tensor_numel(t);
  const double two_pi = 6.283185307179586476925286766559;
  for (int64_t i = 0; i < n; i += 2) {
    double u1 = 1.0 - rng_double(&r), u2 = rng_double(&r); /* u1 in (0, 1] */
    double rad = sqrt(-2.0 * log(u1));
    p[i] = (float)(mean + sd * rad * cos(two_pi * u2));
    if (i + 1 < n) p[i + 1] = (float)(mean + sd * rad * sin(two_pi * u2));
  }
  return 1;
}

/* ---------------------------------------------------------------- images */

static void opt_floats3(lua_State *L, int opts, const char *key, float out[3]) {
  lua_getfield(L, opts, key);
  if (lua_type(L, -1) == LUA_TNUMBER) {
    out[0] = out[1] = out[2] = (float)lua_tonumber(L, -1);
  } else if (lua_type(L, -1) == LUA_TTABLE) {
    lua_Integer n = luaL_len(L, -1);
    if (n != 1 && n != 3) rnL_error(L, "rn.image: %s needs 1 or 3 numbers", key);
    for (lua_Integer i = 1; i <= n; i++) {
      lua_geti(L, -1, i);
      if (lua_type(L, -1) != LUA_TNUMBER) rnL_error(L, "rn.image: %s needs numbers", key);
      out[i - 1] = (float)lua_tonumber(L, -1);
      lua_pop(L, 1);
    }
    if (n == 1) out[1] = out[2] = out[0];
  } else if (!lua_isnil(L, -1)) {
    rnL_error(L, "rn.image: %s must be a number or a list", key);
  }
  lua_pop(L, 1);
}

static int opt_int(lua_State *L, int opts, const char *key, int def) {
  lua_getfield(L, opts, key);
  int v = def;
  if (!lua_isnil(L, -1)) {
    int ok;
    lua_Integer x = lua_tointegerx(L, -1, &ok);
    if (!ok || x < 0 || x > (1 << 20)) rnL_error(L, "rn.image: %s must be a non-negative integer", key);
    v = (int)x;
  }
  lua_pop(L, 1);
  return v;
}

typedef struct image_box {
  rn_image *img;
} image_box;

static int image_box_gc(lua_State *L) {
  image_box *b = lua_touserdata(L, 1);
  rn_image_free(b->img);
  b->img = NULL;
  return 0;
}

/* rn.image(path, opts?) → float32 [1,C,H,W] */
static int l_image(lua_State *L) {
  const char *path = rnL_checkstring(L, 1, "path");
  int has_opts = !lua_isnoneornil(L, 2);
  if (has_opts) rnL_checktable(L, 2, "opts");
  int crop_h = 224, crop_w = 224;
  if (has_opts) {
    lua_getfield(L, 2, "size");
    if (lua_type(L, -1) == LUA_TNUMBER) {
      crop_h = crop_w = (int)lua_tointeger(L, -1);
    } else if (lua_type(L, -1) == LUA_TTABLE) {
      lua_geti(L, -1, 1);
      lua_geti(L, -2, 2);
      crop_h = (int)lua_tointeger(L, -2);
      crop_w = (int)lua_tointeger(L, -1);
      lua_pop(L, 2);
    } else if (!lua_isnil(L, -1)) {
      rnL_error(L, "rn.image: size must be a number or {h, w}");
    }
    lua_pop(L, 1);
    if (crop_h <= 0 || crop_w <= 0) rnL_error(L, "rn.image: size must be positive");
  }
  rn_preprocess pp;
  rn_preprocess_imagenet(&pp, crop_h, crop_w);
  if (has_opts) {
    pp.resize = opt_int(L, 2, "resize", pp.resize);
    opt_floats3(L, 2, "mean", pp.mean);
    opt_floats3(L, 2, "std", pp.std);
    lua_getfield(L, 2, "gray");
    if (lua_toboolean(L, -1)) pp.channels = 1;
    lua_pop(L, 1);
    lua_getfield(L, 2, "normalize");
    if (!lua_isnil(L, -1)) pp.normalize = lua_toboolean(L, -1);
    lua_pop(L, 1);
  }
  /* The decoded image lives in a userdata so an error cannot leak it. */
  image_box *box = lua_newuserdatauv(L, sizeof *box, 0);
  box->img = NULL;
  lua_createtable(L, 0, 1);
  lua_pushcfunction(L, image_box_gc);
  lua_setfield(L, -2, "__gc");
  lua_setmetatable(L, -2);
  rnL_check(L, rn_image_load_file(path, &box->img), NULL);
  rnL_tensor *u = rnL_newtensor_ud(L);
  rn_status *st = rn_images_to_tensor(&box->img, 1, &pp, &u->t);
  rn_image_free(box->img);
  box->img = NULL;
  rnL_check(L, st, path);
  return 1;
}

/* ---------------------------------------------------------------- methods */

static int m_shape(lua_State *L) {
  rn_tensor *t = rnL_checktensor(L, 1, "self");
  int rank = rn_tensor_rank(t);
  const int64_t *dims = rn_tensor_dims(t);
  lua_createtable(L, rank, 0);
  for (int d = 0; d < rank; d++) {
    lua_pushinteger(L, dims[d]);
    lua_rawseti(L, -2, d + 1);
  }
  return 1;
}

static int m_dtype(lua_State *L) {
  lua_pushstring(L, rnL_dtype_name(rn_tensor_dtype(rnL_checktensor(L, 1, "self"))));
  return 1;
}

static int m_numel(lua_State *L) {
  lua_pushinteger(L, rn_tensor_numel(rnL_checktensor(L, 1, "self")));
  return 1;
}

static int m_totable(lua_State *L) {
  rn_tensor *t = rnL_checktensor(L, 1, "self");
  int64_t n = rn_tensor_numel(t);
  if (n > 0x7fffffff) rnL_error(L, "t:totable(): %lld elements is too many", (long long)n);
  rn_dtype d = rn_tensor_dtype(t);
  const void *data = rn_tensor_data(t);
  lua_createtable(L, (int)n, 0);
  for (int64_t i = 0; i < n; i++) {
    rnL_push_elem(L, d, data, i);
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

static int m_get(lua_State *L) {
  rn_tensor *t = rnL_checktensor(L, 1, "self");
  lua_Integer i = rnL_checkinteger(L, 2, "index");
  int64_t n = rn_tensor_numel(t);
  if (i < 1 || i > n) rnL_error(L, "t:get(%lld): index out of range 1..%lld", (long long)i, (long long)n);
  rnL_push_elem(L, rn_tensor_dtype(t), rn_tensor_data(t), i - 1);
  return 1;
}

/* t:reshape(shape): a copy with a new shape (one dim may be -1). */
static int m_reshape(lua_State *L) {
  rn_tensor *t = rnL_checktensor(L, 1, "self");
  rnL_checktable(L, 2, "shape");
  int64_t dims[RN_MAX_RANK];
  lua_Integer rank = luaL_len(L, 2);
  if (rank > RN_MAX_RANK) rnL_error(L, "t:reshape: rank %d exceeds %d", (int)rank, RN_MAX_RANK);
  int infer = -1;
  int64_t known = 1, n = rn_tensor_numel(t);
  for (lua_Integer i = 1; i <= rank; i++) {
    lua_geti(L, 2, i);
    int ok;
    lua_Integer v = lua_tointegerx(L, -1, &ok);
    if (!ok || v < -1) rnL_error(L, "t:reshape: dim %d must be a non-negative integer or -1", (int)i);
    if (v == -1) {
      if (infer >= 0) rnL_error(L, "t:reshape: only one dim may be -1");
      infer = (int)i - 1;
    } else {
      known *= v;
    }
    dims[i - 1] = v;
    lua_pop(L, 1);
  }
  if (infer >= 0) {
    if (known == 0 || n % known) rnL_error(L, "t:reshape: cannot infer the -1 dim for %lld elements", (long long)n);
    dims[infer] = n / known;
  }
  if (numel_of(dims, (int)rank) != n) {
    char a[128], b[128];
    shape_str(dims, (int)rank, a, sizeof a);
    shape_str(rn_tensor_dims(t), rn_tensor_rank(t), b, sizeof b);
    rnL_error(L, "t:reshape: cannot reshape %s (%lld elements) to %s", b, (long long)n, a);
  }
  rnL_tensor *u = rnL_newtensor_ud(L);
  rnL_check(L, rn_tensor_create(rn_tensor_dtype(t), dims, (int)rank, &u->t), "t:reshape");
  if (rn_tensor_nbytes(t)) memcpy(rn_tensor_data(u->t), rn_tensor_data(t), rn_tensor_nbytes(t));
  return 1;
}

static int t_len(lua_State *L) { return m_numel(L); }

static int t_tostring(lua_State *L) {
  rnL_tensor *u = luaL_checkudata(L, 1, RNL_TENSOR_MT);
  if (!u->t) {
    lua_pushliteral(L, "rn.Tensor (closed)");
    return 1;
  }
  char shape[160];
  shape_str(rn_tensor_dims(u->t), rn_tensor_rank(u->t), shape, sizeof shape);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  lua_pushfstring(L, "rn.Tensor(%s, %s, {", rnL_dtype_name(rn_tensor_dtype(u->t)), shape);
  luaL_addvalue(&b);
  int64_t n = rn_tensor_numel(u->t);
  for (int64_t i = 0; i < n && i < 8; i++) {
    if (i) luaL_addstring(&b, ", ");
    rnL_push_elem(L, rn_tensor_dtype(u->t), rn_tensor_data(u->t), i);
    luaL_tolstring(L, -1, NULL);
    lua_remove(L, -2);
    luaL_addvalue(&b);
  }
  if (n > 8) luaL_addstring(&b, ", ...");
  luaL_addstring(&b, "})");
  luaL_pushresult(&b);
  return 1;
}

void rnL_open_tensor(lua_State *L) {
  static const luaL_Reg methods[] = {
      {"shape", m_shape}, {"dtype", m_dtype},   {"numel", m_numel},     {"totable", m_totable},
      {"get", m_get},     {"reshape", m_reshape}, {NULL, NULL},
  };
  static const luaL_Reg meta[] = {
      {"__gc", t_gc}, {"__close", t_gc}, {"__len", t_len}, {"__tostring", t_tostring}, {NULL, NULL},
  };
  luaL_newmetatable(L, RNL_TENSOR_MT);
  luaL_setfuncs(L, meta, 0);
  luaL_newlib(L, methods);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  static const luaL_Reg funcs[] = {
      {"tensor", l_tensor}, {"zeros", l_zeros}, {"full", l_full},   {"rand", l_rand},
      {"randn", l_randn},   {"image", l_image}, {NULL, NULL},
  };
  luaL_setfuncs(L, funcs, 0);
}
