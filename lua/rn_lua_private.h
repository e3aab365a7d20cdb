/* Internals shared by the files of the Lua module `rn` (lua/rn_lua*.c).
 * Written against the public C API (rn.h) only. */
#ifndef RN_LUA_PRIVATE_H
#define RN_LUA_PRIVATE_H

#include <lauxlib.h>
#include <lua.h>
#include <stdint.h>

#include "rn.h"

#define RNL_TENSOR_MT "rn.Tensor"
#define RNL_GRAPH_MT "rn.Graph"
#define RNL_SESSION_MT "rn.Session"
#define RNL_FLOAT_MT "rn.Float"
/* Registry key: true when the state runs untrusted scripts (rnrun). */
#define RNL_RESTRICTED_KEY "rn.restricted"

typedef struct rnL_tensor {
  rn_tensor *t;
} rnL_tensor;

typedef struct rnL_graph {
  rn_model *m;
} rnL_graph;

typedef struct rnL_session {
  rn_session *s;
} rnL_session;

#if defined(__GNUC__)
#define RNL_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define RNL_NORETURN __attribute__((noreturn))
#define RNL_UNREACHABLE() __builtin_unreachable()
#else
#define RNL_PRINTF(a, b)
#define RNL_NORETURN
#define RNL_UNREACHABLE() ((void)0)
#endif

/* Pushes "file:line: " of the user script's frame (the first Lua frame with a
 * current line that is not one of rn's own Lua files), or "" if none. */
void rnL_where(lua_State *L);
/* Raises a Lua error "file:line: <message>". */
RNL_NORETURN void rnL_error(lua_State *L, const char *fmt, ...) RNL_PRINTF(2, 3);
/* Raises "file:line: [prefix: ]<status message>"; frees the status. `prefix` may be NULL. */
RNL_NORETURN void rnL_status_error(lua_State *L, rn_status *st, const char *prefix);
/* Checks a status: returns if NULL, raises otherwise. */
void rnL_check(lua_State *L, rn_status *st, const char *prefix);
/* 1 if the state is restricted (rnrun scripts). */
int rnL_restricted(lua_State *L);

/* Argument checks whose errors carry the user's file:line. */
const char *rnL_checkstring(lua_State *L, int arg, const char *what);
lua_Integer rnL_checkinteger(lua_State *L, int arg, const char *what);
lua_Number rnL_checknumber(lua_State *L, int arg, const char *what);
void rnL_checktable(lua_State *L, int arg, const char *what);
void *rnL_checkudata(lua_State *L, int arg, const char *mt, const char *what);
void *rnL_testudata(lua_State *L, int arg, const char *mt);

/* dtypes */
const char *rnL_dtype_name(rn_dtype d);
/* Reads an optional dtype string at `arg` (nil → def). */
rn_dtype rnL_optdtype(lua_State *L, int arg, rn_dtype def);

/* Shapes: a list of non-negative integers (or one number). Returns the rank. */
int rnL_checkshape(lua_State *L, int arg, int64_t dims[RN_MAX_RANK], const char *what);
/* Pushes {dtype=, shape={...}} for a value info (shape entries: numbers, dim
 * names for named dynamic dims, -1 for unnamed ones; no shape if rank < 0). */
void rnL_push_value_info(lua_State *L, const rn_value_info *info);
void rnL_push_shape(lua_State *L, const rn_value_info *info);

/* Tensors */
rn_tensor *rnL_checktensor(lua_State *L, int arg, const char *what);
rn_tensor *rnL_totensor(lua_State *L, int arg); /* NULL if not a (live) tensor */
/* Pushes a new tensor userdata owning `t` (freed with it). On allocation
 * failure inside Lua, `t` is freed before the error propagates. */
void rnL_pushtensor(lua_State *L, rn_tensor *t);
/* Pushes a tensor userdata with no tensor yet; store into ->t (freed by __gc). */
rnL_tensor *rnL_newtensor_ud(lua_State *L);
/* A copy of `src` (dtype, shape, data) pushed as a new tensor userdata. */
rn_tensor *rnL_pushcopy(lua_State *L, const rn_tensor *src);
/* Converts a Lua number/boolean at `idx` into element `i` of `data`. */
void rnL_store_elem(lua_State *L, int idx, rn_dtype d, void *data, int64_t i);
/* Pushes element `i` of `data` as a Lua value. */
void rnL_push_elem(lua_State *L, rn_dtype d, const void *data, int64_t i);

/* Graphs */
rn_model *rnL_checkgraph(lua_State *L, int arg);
/* Pushes a graph userdata owning `m`. */
void rnL_pushgraph(lua_State *L, rn_model *m);
rnL_graph *rnL_newgraph_ud(lua_State *L);

/* Registration: each adds its constructors to the table on top and creates
 * its metatable. */
void rnL_open_tensor(lua_State *L);
void rnL_open_graph(lua_State *L);
void rnL_open_session(lua_State *L);
/* Pushes a session userdata for `s`, keeping the graph at `graph_idx` alive. */
void rnL_pushsession(lua_State *L, rn_session *s, int graph_idx);

/* For rn_lua_load_model: the model behind a Graph or Session value at `idx`,
 * ownership moved to the caller (the Lua object is left empty); NULL with a
 * message pushed if the value is neither. */
rn_model *rnL_take_model(lua_State *L, int idx);

/* The module's only exported symbol (rn.so is built with hidden visibility). */
#if defined(__GNUC__)
#define RNL_EXPORT __attribute__((visibility("default")))
#else
#define RNL_EXPORT
#endif
RNL_EXPORT int luaopen_rn(lua_State *L);

#endif
