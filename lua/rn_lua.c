/* The Lua module `rn` (lua/API.md): luaopen_rn, error reporting at the user
 * script's file:line, argument checks, dtypes and shapes. Tensors, graphs
 * and sessions live in rn_lua_tensor.c, rn_lua_graph.c, rn_lua_session.c.
 * Only the public C API (rn.h) is used. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rn_lua_private.h"

/* ---------------------------------------------------------------- errors */

/* rn's own Lua files (lua/rn/NAME.lua, installed as .../lua/5.4/rn/NAME.lua) are
 * skipped when looking for the user's line: their parent folder is "rn". */
static int is_internal_source(const char *source) {
  if (!source || source[0] != '@') return 0;
  size_t n = strlen(source);
  if (n < 5 || strcmp(source + n - 4, ".lua") != 0) return 0;
  const char *slash = strrchr(source, '/');
  if (!slash) return 0;
  const char *p = slash; /* find the previous component */
  const char *start = source + 1;
  const char *prev = p - 1;
  while (prev >= start && *prev != '/') prev--;
  size_t len = (size_t)(p - (prev + 1));
  return len == 2 && strncmp(prev + 1, "rn", 2) == 0;
}

void rnL_where(lua_State *L) {
  lua_Debug ar;
  for (int level = 1; lua_getstack(L, level, &ar); level++) {
    if (!lua_getinfo(L, "Sl", &ar)) continue;
    if (ar.currentline <= 0 || is_internal_source(ar.source)) continue;
    const char *src = ar.source[0] == '@' ? ar.source + 1 : ar.short_src;
    lua_pushfstring(L, "%s:%d: ", src, ar.currentline);
    return;
  }
  lua_pushliteral(L, "");
}

void rnL_error(lua_State *L, const char *fmt, ...) {
  char buf[2048]; /* C printf formats (lua_pushfstring lacks %lld, %g, ...) */
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  rnL_where(L);
  lua_pushstring(L, buf);
  lua_concat(L, 2);
  lua_error(L);
  RNL_UNREACHABLE();
}

void rnL_status_error(lua_State *L, rn_status *st, const char *prefix) {
  /* Copy the message into Lua before freeing: nothing leaks when we raise. */
  rnL_where(L);
  if (prefix && prefix[0]) lua_pushfstring(L, "%s: ", prefix);
  else lua_pushliteral(L, "");
  lua_pushstring(L, st ? rn_status_message(st) : "unknown error");
  rn_status_free(st);
  lua_concat(L, 3);
  lua_error(L);
  RNL_UNREACHABLE();
}

void rnL_check(lua_State *L, rn_status *st, const char *prefix) {
  if (st) rnL_status_error(L, st, prefix);
}

int rnL_restricted(lua_State *L) {
  lua_getfield(L, LUA_REGISTRYINDEX, RNL_RESTRICTED_KEY);
  int r = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return r;
}

/* ---------------------------------------------------------------- argument checks */

static const char *fname(lua_State *L) {
  lua_Debug ar;
  if (lua_getstack(L, 0, &ar) && lua_getinfo(L, "n", &ar) && ar.name) return ar.name;
  return "?";
}

static RNL_NORETURN void arg_error(lua_State *L, int arg, const char *what, const char *expected) {
  rnL_error(L, "bad argument #%d to '%s' (%s: %s expected, got %s)", arg, fname(L),
            what ? what : "value", expected, luaL_typename(L, arg));
}

const char *rnL_checkstring(lua_State *L, int arg, const char *what) {
  if (lua_type(L, arg) != LUA_TSTRING) arg_error(L, arg, what, "string");
  return lua_tostring(L, arg);
}

lua_Integer rnL_checkinteger(lua_State *L, int arg, const char *what) {
  int ok = 0;
  lua_Integer v = lua_tointegerx(L, arg, &ok);
  if (!ok || lua_type(L, arg) != LUA_TNUMBER) arg_error(L, arg, what, "integer");
  return v;
}

lua_Number rnL_checknumber(lua_State *L, int arg, const char *what) {
  if (lua_type(L, arg) != LUA_TNUMBER) arg_error(L, arg, what, "number");
  return lua_tonumber(L, arg);
}

void rnL_checktable(lua_State *L, int arg, const char *what) {
  if (lua_type(L, arg) != LUA_TTABLE) arg_error(L, arg, what, "table");
}

void *rnL_testudata(lua_State *L, int arg, const char *mt) {
  return luaL_testudata(L, arg, mt);
}

void *rnL_checkudata(lua_State *L, int arg, const char *mt, const char *what) {
  void *p = luaL_testudata(L, arg, mt);
  if (!p) arg_error(L, arg, what, mt);
  return p;
}

/* ---------------------------------------------------------------- dtypes */

static const struct {
  const char *name;
  rn_dtype dtype;
} dtype_names[] = {
    {"float32", RN_DTYPE_FLOAT}, {"float", RN_DTYPE_FLOAT},     {"int64", RN_DTYPE_INT64},
    {"int32", RN_DTYPE_INT32},   {"bool", RN_DTYPE_BOOL},       {"float64", RN_DTYPE_DOUBLE},
    {"double", RN_DTYPE_DOUBLE}, {"uint8", RN_DTYPE_UINT8},     {"int8", RN_DTYPE_INT8},
    {"int16", RN_DTYPE_INT16},   {"uint16", RN_DTYPE_UINT16},   {"uint32", RN_DTYPE_UINT32},
    {"uint64", RN_DTYPE_UINT64}, {"float16", RN_DTYPE_FLOAT16}, {"string", RN_DTYPE_STRING},
    {"undefined", RN_DTYPE_UNDEFINED},
};

const char *rnL_dtype_name(rn_dtype d) {
  for (size_t i = 0; i < sizeof dtype_names / sizeof dtype_names[0]; i++)
    if (dtype_names[i].dtype == d) return dtype_names[i].name;
  return "unknown";
}

rn_dtype rnL_optdtype(lua_State *L, int arg, rn_dtype def) {
  if (lua_isnoneornil(L, arg)) return def;
  const char *s = rnL_checkstring(L, arg, "dtype");
  for (size_t i = 0; i < sizeof dtype_names / sizeof dtype_names[0]; i++)
    if (strcmp(dtype_names[i].name, s) == 0 && dtype_names[i].dtype != RN_DTYPE_STRING &&
        dtype_names[i].dtype != RN_DTYPE_UNDEFINED)
      return dtype_names[i].dtype;
  rnL_error(L, "unknown dtype '%s' (float32, int64, int32, bool, float64, uint8, int8, int16, "
               "uint16, uint32, uint64, float16)", s);
  return def;
}

/* ---------------------------------------------------------------- shapes */

int rnL_checkshape(lua_State *L, int arg, int64_t dims[RN_MAX_RANK], const char *what) {
  if (lua_type(L, arg) == LUA_TNUMBER) {
    int ok;
    lua_Integer v = lua_tointegerx(L, arg, &ok);
    if (!ok || v < 0) rnL_error(L, "%s: dims must be non-negative integers", what);
    dims[0] = v;
    return 1;
  }
  if (lua_type(L, arg) != LUA_TTABLE) arg_error(L, arg, what, "shape table");
  lua_Integer n = luaL_len(L, arg);
  if (n > RN_MAX_RANK) rnL_error(L, "%s: rank %d exceeds %d", what, (int)n, RN_MAX_RANK);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_geti(L, arg, i);
    int ok;
    lua_Integer v = lua_tointegerx(L, -1, &ok);
    if (!ok || lua_type(L, -1) != LUA_TNUMBER || v < 0)
      rnL_error(L, "%s: dim %d must be a non-negative integer, got %s", what, (int)i,
                luaL_tolstring(L, -1, NULL));
    dims[i - 1] = v;
    lua_pop(L, 1);
  }
  return (int)n;
}

void rnL_push_shape(lua_State *L, const rn_value_info *info) {
  lua_createtable(L, info->rank > 0 ? info->rank : 0, 0);
  for (int d = 0; d < info->rank && d < RN_MAX_RANK; d++) {
    if (info->dims[d] >= 0) lua_pushinteger(L, info->dims[d]);
    else if (info->dim_names[d]) lua_pushstring(L, info->dim_names[d]);
    else lua_pushinteger(L, -1);
    lua_rawseti(L, -2, d + 1);
  }
}

void rnL_push_value_info(lua_State *L, const rn_value_info *info) {
  lua_createtable(L, 0, 3);
  lua_pushstring(L, rnL_dtype_name(info->dtype));
  lua_setfield(L, -2, "dtype");
  if (info->rank >= 0) {
    rnL_push_shape(L, info);
    lua_setfield(L, -2, "shape");
  }
}

/* ---------------------------------------------------------------- module */

/* rn.float(v): marks a number (or a list) as FLOAT(S) for g:node attributes. */
static int l_float(lua_State *L) {
  int t = lua_type(L, 1);
  if (t != LUA_TNUMBER && t != LUA_TTABLE) arg_error(L, 1, "value", "number or list");
  lua_createtable(L, 0, 1);
  lua_pushvalue(L, 1);
  lua_setfield(L, -2, "value");
  luaL_setmetatable(L, RNL_FLOAT_MT);
  return 1;
}

/* rn.error(msg): raises msg at the user script's line (for rn's Lua files). */
static int l_error(lua_State *L) {
  const char *msg = luaL_tolstring(L, 1, NULL);
  rnL_error(L, "%s", msg);
  return 0;
}

/* rn.where(): "file:line: " of the user script's current line. */
static int l_where(lua_State *L) {
  rnL_where(L);
  return 1;
}

static int l_float_tostring(lua_State *L) {
  lua_getfield(L, 1, "value");
  lua_pushfstring(L, "rn.float(%s)", luaL_tolstring(L, -1, NULL));
  return 1;
}

RNL_EXPORT int luaopen_rn(lua_State *L) {
  luaL_checkversion(L);
  static const luaL_Reg funcs[] = {
      {"float", l_float},
      {"error", l_error},
      {"where", l_where},
      {NULL, NULL},
  };
  luaL_newlib(L, funcs);
  if (luaL_newmetatable(L, RNL_FLOAT_MT)) {
    lua_pushcfunction(L, l_float_tostring);
    lua_setfield(L, -2, "__tostring");
  }
  lua_pop(L, 1);
  rnL_open_tensor(L);
  rnL_open_graph(L);
  rnL_open_session(L);
  lua_pushstring(L, rn_version());
  lua_setfield(L, -2, "version");
  return 1;
}
