/* rn.Graph: building, inspecting, loading, saving models (lua/API.md, "Graphs"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rn_lua_private.h"

/* ONNX AttributeProto types as returned by rn_model_node_attr_type. */
enum { ATTR_FLOAT = 1, ATTR_INT = 2, ATTR_STRING = 3, ATTR_TENSOR = 4, ATTR_FLOATS = 6, ATTR_INTS = 7 };

rnL_graph *rnL_newgraph_ud(lua_State *L) {
  rnL_graph *u = lua_newuserdatauv(L, sizeof *u, 0);
  u->m = NULL;
  luaL_setmetatable(L, RNL_GRAPH_MT);
  return u;
}

void rnL_pushgraph(lua_State *L, rn_model *m) { rnL_newgraph_ud(L)->m = m; }

rn_model *rnL_checkgraph(lua_State *L, int arg) {
  rnL_graph *u = rnL_checkudata(L, arg, RNL_GRAPH_MT, "graph");
  if (!u->m) rnL_error(L, "the graph is closed");
  return u->m;
}

static int g_gc(lua_State *L) {
  rnL_graph *u = luaL_checkudata(L, 1, RNL_GRAPH_MT);
  rn_model_free(u->m);
  u->m = NULL;
  return 0;
}

/* A scratch array that the garbage collector frees (no leak on error). */
static void *scratch(lua_State *L, size_t bytes) {
  return lua_newuserdatauv(L, bytes ? bytes : 1, 0);
}

/* ---------------------------------------------------------------- constructors */

static void set_opsets(lua_State *L, rn_model *m, int idx) {
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    if (lua_type(L, -2) != LUA_TSTRING || !lua_isinteger(L, -1))
      rnL_error(L, "rn.graph: opsets must map domain names to integer versions");
    rnL_check(L, rn_model_set_opset(m, lua_tostring(L, -2), lua_tointeger(L, -1)), "rn.graph");
    lua_pop(L, 1);
  }
}

/* rn.graph{name=, opset=, opsets={domain=version}} */
static int l_graph(lua_State *L) {
  const char *name = "graph";
  int opts = 0;
  if (lua_type(L, 1) == LUA_TSTRING) {
    name = lua_tostring(L, 1);
  } else if (!lua_isnoneornil(L, 1)) {
    rnL_checktable(L, 1, "options");
    opts = 1;
    lua_getfield(L, 1, "name");
    if (!lua_isnil(L, -1)) name = rnL_checkstring(L, -1, "name");
    /* keep the name string on the stack (anchored) */
  }
  rnL_graph *u = rnL_newgraph_ud(L);
  int gi = lua_gettop(L);
  rnL_check(L, rn_model_create(name, &u->m), "rn.graph");
  if (opts) {
    lua_getfield(L, 1, "opset");
    if (!lua_isnil(L, -1)) {
      if (!lua_isinteger(L, -1)) rnL_error(L, "rn.graph: opset must be an integer");
      rnL_check(L, rn_model_set_opset(u->m, "", lua_tointeger(L, -1)), "rn.graph");
    }
    lua_pop(L, 1);
    lua_getfield(L, 1, "opsets");
    if (lua_type(L, -1) == LUA_TTABLE) set_opsets(L, u->m, lua_gettop(L));
    lua_pop(L, 1);
  }
  lua_pushvalue(L, gi);
  return 1;
}

/* rn.load(path) */
static int l_load(lua_State *L) {
  const char *path = rnL_checkstring(L, 1, "path");
  rnL_graph *u = rnL_newgraph_ud(L);
  rnL_check(L, rn_model_load_file(NULL, path, &u->m), NULL);
  return 1;
}

/* ---------------------------------------------------------------- building */

/* g:input(name, shape, dtype?) */
static int m_input(lua_State *L) {
  rn_model *m = rnL_checkgraph(L, 1);
  const char *name = rnL_checkstring(L, 2, "name");
  rnL_checktable(L, 3, "shape");
  rn_dtype d = rnL_optdtype(L, 4, RN_DTYPE_FLOAT);
  lua_Integer rank = luaL_len(L, 3);
  if (rank > RN_MAX_RANK) rnL_error(L, "input '%s': rank %d exceeds %d", name, (int)rank, RN_MAX_RANK);
  int64_t dims[RN_MAX_RANK];
  const char *names[RN_MAX_RANK] = {0};
  for (lua_Integer i = 1; i <= rank; i++) {
    lua_geti(L, 3, i); /* left on the stack: keeps dim name strings alive */
    if (lua_type(L, -1) == LUA_TSTRING) {
      dims[i - 1] = -1;
      names[i - 1] = lua_tostring(L, -1);
    } else if (lua_isinteger(L, -1) && lua_tointeger(L, -1) >= -1) {
      dims[i - 1] = lua_tointeger(L, -1);
    } else {
      rnL_error(L, "input '%s': dim %d must be a non-negative integer or a name", name, (int)i);
    }
  }
  rnL_check(L, rn_model_add_input(m, name, d, (int)rank, dims, names), NULL);
  lua_pushvalue(L, 2);
  return 1;
}

/* g:initializer(name, tensor) */
static int m_initializer(lua_State *L) {
  rn_model *m = rnL_checkgraph(L, 1);
  const char *name = rnL_checkstring(L, 2, "name");
  rn_tensor *t = rnL_checktensor(L, 3, "tensor");
  rnL_check(L, rn_model_set_initializer(m, name, t), NULL);
  lua_pushvalue(L, 2);
  return 1;
}

static int value_exists(const rn_model *m, const char *name) {
  rn_value_info info;
  rn_status *st = rn_model_value_info(m, name, &info);
  if (!st) return 1;
  rn_status_free(st);
  return 0;
}

/* Pushes a value name based on `base` that the graph does not use yet. */
static const char *push_fresh_name(lua_State *L, const rn_model *m, const char *base) {
  lua_pushstring(L, base);
  for (int k = 1; value_exists(m, lua_tostring(L, -1)); k++) {
    lua_pop(L, 1);
    lua_pushfstring(L, "%s_%d", base, k);
  }
  return lua_tostring(L, -1);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int is_float_marker(lua_State *L, int idx) {
  if (lua_type(L, idx) != LUA_TTABLE || !lua_getmetatable(L, idx)) return 0;
  luaL_getmetatable(L, RNL_FLOAT_MT);
  int eq = lua_rawequal(L, -1, -2);
  lua_pop(L, 2);
  return eq;
}

/* Sets attribute `name` of node `node` from the Lua value at `idx`. */
static void set_attr(lua_State *L, rn_model *m, int node, const char *label, const char *name, int idx,
                     int force_float) {
  int t = lua_type(L, idx);
  rn_status *st = NULL;
  if (t == LUA_TNUMBER) {
    if (lua_isinteger(L, idx) && !force_float) st = rn_model_node_set_int(m, node, name, lua_tointeger(L, idx));
    else st = rn_model_node_set_float(m, node, name, (float)lua_tonumber(L, idx));
  } else if (t == LUA_TBOOLEAN) {
    st = rn_model_node_set_int(m, node, name, lua_toboolean(L, idx));
  } else if (t == LUA_TSTRING) {
    st = rn_model_node_set_string(m, node, name, lua_tostring(L, idx));
  } else if (t == LUA_TUSERDATA && rnL_testudata(L, idx, RNL_TENSOR_MT)) {
    st = rn_model_node_set_tensor(m, node, name, rnL_checktensor(L, idx, name));
  } else if (t == LUA_TTABLE && is_float_marker(L, idx)) {
    lua_getfield(L, idx, "value");
    set_attr(L, m, node, label, name, lua_gettop(L), 1);
    lua_pop(L, 1);
    return;
  } else if (t == LUA_TTABLE) {
    lua_Integer n = (lua_Integer)lua_rawlen(L, idx);
    /* a list: every key 1..n, nothing else */
    lua_Integer keys = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
      keys++;
      lua_pop(L, 1);
    }
    if (keys != n) rnL_error(L, "%s: attribute '%s': a table attribute must be a list", label, name);
    if (n > 0x7fffffff) rnL_error(L, "%s: attribute '%s': list too long", label, name);
    int all_int = !force_float;
    for (lua_Integer i = 1; i <= n; i++) {
      lua_rawgeti(L, idx, i);
      if (lua_type(L, -1) != LUA_TNUMBER)
        rnL_error(L, "%s: attribute '%s': list element %d is a %s (only lists of numbers are supported)",
                  label, name, (int)i, luaL_typename(L, -1));
      if (!lua_isinteger(L, -1)) all_int = 0;
      lua_pop(L, 1);
    }
    if (all_int) {
      int64_t *v = scratch(L, sizeof(int64_t) * (size_t)n);
      for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, idx, i);
        v[i - 1] = lua_tointeger(L, -1);
        lua_pop(L, 1);
      }
      st = rn_model_node_set_ints(m, node, name, (int)n, v);
    } else {
      float *v = scratch(L, sizeof(float) * (size_t)n);
      for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, idx, i);
        v[i - 1] = (float)lua_tonumber(L, -1);
        lua_pop(L, 1);
      }
      st = rn_model_node_set_floats(m, node, name, (int)n, v);
    }
    lua_pop(L, 1);
  } else {
    rnL_error(L, "%s: attribute '%s': unsupported value type %s", label, name, luaL_typename(L, idx));
  }
  if (st) {
    lua_pushfstring(L, "%s: attribute '%s'", label, name);
    rnL_status_error(L, st, lua_tostring(L, -1));
  }
}

/* g:node(op_type, inputs, attrs?, opts?) → output name(s) */
static int m_node(lua_State *L) {
  rn_model *m = rnL_checkgraph(L, 1);
  const char *op = rnL_checkstring(L, 2, "op_type");
  if (lua_type(L, 3) == LUA_TSTRING) { /* a single input name */
    lua_createtable(L, 1, 0);
    lua_pushvalue(L, 3);
    lua_rawseti(L, -2, 1);
    lua_replace(L, 3);
  } else if (lua_isnoneornil(L, 3)) {
    lua_newtable(L);
    lua_replace(L, 3);
  }
  rnL_checktable(L, 3, "inputs");
  int has_attrs = !lua_isnoneornil(L, 4), has_opts = !lua_isnoneornil(L, 5);
  if (has_attrs) rnL_checktable(L, 4, "attrs");
  if (has_opts) rnL_checktable(L, 5, "opts");
  lua_settop(L, 5);

  const char *domain = NULL, *name = NULL;
  if (has_opts) {
    lua_getfield(L, 5, "domain");
    if (!lua_isnil(L, -1)) domain = rnL_checkstring(L, -1, "opts.domain");
    lua_getfield(L, 5, "name");
    if (!lua_isnil(L, -1)) name = rnL_checkstring(L, -1, "opts.name");
    /* both stay on the stack */
  }
  if (!name) {
    lua_pushfstring(L, "%s_%d", op, rn_model_node_count(m));
    name = lua_tostring(L, -1);
  }
  char label[300];
  snprintf(label, sizeof label, "node '%s' (%s)", name, op);

  /* inputs */
  lua_Integer n_in = (lua_Integer)lua_rawlen(L, 3);
  if (n_in > 4096) rnL_error(L, "%s: too many inputs", label);
  const char **ins = scratch(L, sizeof(char *) * (size_t)(n_in ? n_in : 1));
  for (lua_Integer i = 1; i <= n_in; i++) {
    lua_rawgeti(L, 3, i);
    if (lua_type(L, -1) == LUA_TSTRING) ins[i - 1] = lua_tostring(L, -1); /* anchored by the table */
    else if (lua_isboolean(L, -1) && !lua_toboolean(L, -1)) ins[i - 1] = NULL;
    else if (lua_isnil(L, -1)) rnL_error(L, "%s: input %d is nil (use false for an omitted input)", label, (int)i);
    else rnL_error(L, "%s: input %d must be a value name (string) or false, got %s", label, (int)i, luaL_typename(L, -1));
    lua_pop(L, 1);
  }

  /* outputs: a table of names, kept at index `outs_idx` */
  lua_newtable(L);
  int outs_idx = lua_gettop(L);
  lua_Integer n_out = 1;
  int named = 0;
  if (has_opts) {
    lua_getfield(L, 5, "outputs");
    if (lua_type(L, -1) == LUA_TTABLE) {
      n_out = (lua_Integer)lua_rawlen(L, -1);
      if (n_out < 1) rnL_error(L, "%s: opts.outputs is an empty list", label);
      for (lua_Integer i = 1; i <= n_out; i++) {
        lua_rawgeti(L, -1, i);
        if (lua_type(L, -1) != LUA_TSTRING) rnL_error(L, "%s: opts.outputs[%d] must be a string", label, (int)i);
        lua_rawseti(L, outs_idx, i);
      }
      named = 1;
    } else if (lua_type(L, -1) == LUA_TNUMBER) {
      if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 || lua_tointeger(L, -1) > 4096)
        rnL_error(L, "%s: opts.outputs must be a positive integer or a list of names", label);
      n_out = lua_tointeger(L, -1);
    } else if (!lua_isnil(L, -1)) {
      rnL_error(L, "%s: opts.outputs must be a number or a list of names", label);
    }
    lua_pop(L, 1);
  }
  if (!named) {
    for (lua_Integer i = 1; i <= n_out; i++) {
      if (n_out == 1) {
        push_fresh_name(L, m, name);
      } else {
        lua_pushfstring(L, "%s_%d", name, (int)(i - 1));
        push_fresh_name(L, m, lua_tostring(L, -1));
        lua_remove(L, -2);
      }
      lua_rawseti(L, outs_idx, i);
    }
  }
  const char **outs = scratch(L, sizeof(char *) * (size_t)n_out);
  for (lua_Integer i = 1; i <= n_out; i++) {
    lua_rawgeti(L, outs_idx, i);
    outs[i - 1] = lua_tostring(L, -1); /* anchored by the outputs table */
    lua_pop(L, 1);
  }

  int node = -1;
  rnL_check(L, rn_model_add_node(m, op, domain, name, (int)n_in, ins, (int)n_out, outs, &node), NULL);

  /* attributes, in name order (deterministic files) */
  if (has_attrs) {
    int n_attr = 0;
    lua_pushnil(L);
    while (lua_next(L, 4)) {
      if (lua_type(L, -2) != LUA_TSTRING)
        rnL_error(L, "%s: attribute names must be strings", label);
      n_attr++;
      lua_pop(L, 1);
    }
    const char **keys = scratch(L, sizeof(char *) * (size_t)(n_attr ? n_attr : 1));
    int k = 0;
    lua_pushnil(L);
    while (lua_next(L, 4)) {
      keys[k++] = lua_tostring(L, -2); /* anchored by the attrs table */
      lua_pop(L, 1);
    }
    qsort(keys, (size_t)n_attr, sizeof *keys, cmp_str);
    for (k = 0; k < n_attr; k++) {
      lua_getfield(L, 4, keys[k]);
      set_attr(L, m, node, label, keys[k], lua_gettop(L), 0);
      lua_pop(L, 1);
    }
  }
  rnL_check(L, rn_model_check_node(m, node), NULL);

  for (lua_Integer i = 1; i <= n_out; i++) lua_rawgeti(L, outs_idx, i);
  return (int)n_out;
}

/* g:output(value, ...) (names or lists of names) */
static int m_output(lua_State *L) {
  rn_model *m = rnL_checkgraph(L, 1);
  int top = lua_gettop(L);
  for (int a = 2; a <= top; a++) {
    if (lua_type(L, a) == LUA_TTABLE) {
      lua_Integer n = luaL_len(L, a);
      for (lua_Integer i = 1; i <= n; i++) {
        lua_geti(L, a, i);
        rnL_check(L, rn_model_add_output(m, rnL_checkstring(L, -1, "output")), NULL);
        lua_pop(L, 1);
      }
    } else {
      rnL_check(L, rn_model_add_output(m, rnL_checkstring(L, a, "output")), NULL);
    }
  }
  lua_settop(L, 1);
  return 1;
}

/* g:opset(domain?, version?) → version (or nil if not imported) */
static int m_opset(lua_State *L) {
  rn_model *m = rnL_checkgraph(L, 1);
  const char *domain = lua_isnoneornil(L, 2) ? "" : rnL_checkstring(L, 2, "domain");
  if (!lua_isnoneornil(L, 3))
    rnL_check(L, rn_model_set_opset(m, domain, rnL_checkinteger(L, 3, "version")), NULL);
  int64_t v = rn_model_opset(m, domain);
  if (v < 0) lua_pushnil(L);
  else lua_pushinteger(L, v);
  return 1;
}

static int m_metadata(lua_State *L) {
  rn_model *m = rnL_checkgraph(L, 1);
  const char *key = rnL_checkstring(L, 2, "key");
  if (lua_isnoneornil(L, 3)) {
    const char *v = rn_model_metadata(m, key);
    if (v) lua_pushstring(L, v);
    else lua_pushnil(L);
    return 1;
  }
  const char *value = luaL_tolstring(L, 3, NULL);
  rnL_check(L, rn_model_set_metadata(m, key, value), NULL);
  lua_settop(L, 1);
  return 1;
}

/* ---------------------------------------------------------------- inspection */

static int m_name(lua_State *L) {
  const char *n = rn_model_graph_name(rnL_checkgraph(L, 1));
  lua_pushstring(L, n ? n : "");
  return 1;
}

static int m_inputs(lua_State *L) {
  rn_model *m = rnL_checkgraph(L, 1);
  int n = rn_model_input_count(m);
  lua_createtable(L, n, 0);
  for (int i = 0; i < n; i++) {
    lua_pushstring(L, rn_model_input_name(m, i));
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

static int m_outputs(lua_State *L) {
  rn_model *m = rnL_checkgraph(L, 1);
  int n = rn_model_output_count(m);
  lua_createtable(L, n, 0);
  for (int i = 0; i < n; i++) {
    lua_pushstring(L, rn_model_output_name(m, i));
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

static int m_initializers(lua_State *L) {
  rn_model *m = rnL_checkgraph(L, 1);
  int n = rn_model_initializer_count(m);
  lua_createtable(L, n, 0);
  for (int i = 0; i < n; i++) {
    lua_pushstring(L, rn_model_initializer_name(m, i));
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

static void push_attr(lua_State *L, rn_model *m, int node, int k) {
  switch (rn_model_node_attr_type(m, node, k)) {
    case ATTR_FLOAT: lua_pushnumber(L, rn_model_node_attr_float(m, node, k)); break;
    case ATTR_INT: lua_pushinteger(L, rn_model_node_attr_int(m, node, k)); break;
    case ATTR_STRING: {
      const char *s = rn_model_node_attr_string(m, node, k);
      lua_pushstring(L, s ? s : "");
      break;
    }
    case ATTR_TENSOR: {
      const rn_tensor *t = rn_model_node_attr_tensor(m, node, k);
      if (t) rnL_pushcopy(L, t);
      else lua_pushboolean(L, 1);
      break;
    }
    case ATTR_INTS: {
      const int64_t *v;
      int n = rn_model_node_attr_ints(m, node, k, &v);
      lua_createtable(L, n, 0);
      for (int i = 0; i < n; i++) {
        lua_pushinteger(L, v[i]);
        lua_rawseti(L, -2, i + 1);
      }
      break;
    }
    case ATTR_FLOATS: {
      const float *v;
      int n = rn_model_node_attr_floats(m, node, k, &v);
      lua_createtable(L, n, 0);
      for (int i = 0; i < n; i++) {
        lua_pushnumber(L, v[i]);
        lua_rawseti(L, -2, i + 1);
      }
      break;
    }
    default: lua_pushboolean(L, 1); break; /* kinds the C API does not expose (graphs, strings lists) */
  }
}

static int m_nodes(lua_State *L) {
  rn_model *m = rnL_checkgraph(L, 1);
  int n = rn_model_node_count(m);
  lua_createtable(L, n, 0);
  for (int i = 0; i < n; i++) {
    lua_createtable(L, 0, 6);
    const char *s = rn_model_node_name(m, i);
    lua_pushstring(L, s ? s : "");
    lua_setfield(L, -2, "name");
    lua_pushstring(L, rn_model_node_op_type(m, i));
    lua_setfield(L, -2, "op");
    s = rn_model_node_domain(m, i);
    lua_pushstring(L, s ? s : "");
    lua_setfield(L, -2, "domain");
    int ni = rn_model_node_input_count(m, i);
    lua_createtable(L, ni, 0);
    for (int k = 0; k < ni; k++) {
      s = rn_model_node_input(m, i, k);
      if (s) lua_pushstring(L, s);
      else lua_pushboolean(L, 0);
      lua_rawseti(L, -2, k + 1);
    }
    lua_setfield(L, -2, "inputs");
    int no = rn_model_node_output_count(m, i);
    lua_createtable(L, no, 0);
    for (int k = 0; k < no; k++) {
      s = rn_model_node_output(m, i, k);
      if (s) lua_pushstring(L, s);
      else lua_pushboolean(L, 0);
      lua_rawseti(L, -2, k + 1);
    }
    lua_setfield(L, -2, "outputs");
    int na = rn_model_node_attr_count(m, i);
    lua_createtable(L, 0, na);
    for (int k = 0; k < na; k++) {
      push_attr(L, m, i, k);
      lua_setfield(L, -2, rn_model_node_attr_name(m, i, k));
    }
    lua_setfield(L, -2, "attrs");
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

static int m_get(lua_State *L) {
  rn_model *m = rnL_checkgraph(L, 1);
  const rn_tensor *t = rn_model_initializer(m, rnL_checkstring(L, 2, "name"));
  if (!t) lua_pushnil(L);
  else rnL_pushcopy(L, t);
  return 1;
}

static int m_value_info(lua_State *L) {
  rn_model *m = rnL_checkgraph(L, 1);
  rn_value_info info;
  rn_status *st = rn_model_value_info(m, rnL_checkstring(L, 2, "name"), &info);
  if (st) {
    int notfound = rn_status_get_code(st) == RN_ERR_NOT_FOUND;
    if (!notfound) rnL_status_error(L, st, NULL);
    rn_status_free(st);
    lua_pushnil(L);
    return 1;
  }
  rnL_push_value_info(L, &info);
  return 1;
}

static int is_float_dtype(rn_dtype d) {
  return d == RN_DTYPE_FLOAT || d == RN_DTYPE_DOUBLE || d == RN_DTYPE_FLOAT16;
}

/* Leaves a set (table name → numel) of the model's parameters on the stack:
 * float initializers read by nodes, BatchNormalization's running mean/var
 * (inputs 3 and 4) excepted. */
static void push_params(lua_State *L, rn_model *m) {
  lua_newtable(L);
  int n = rn_model_node_count(m);
  for (int i = 0; i < n; i++) {
    const char *op = rn_model_node_op_type(m, i), *dom = rn_model_node_domain(m, i);
    int bn = strcmp(op, "BatchNormalization") == 0 && (!dom || !dom[0] || strcmp(dom, "ai.onnx") == 0);
    int ni = rn_model_node_input_count(m, i);
    for (int k = 0; k < ni; k++) {
      if (bn && (k == 3 || k == 4)) continue;
      const char *in = rn_model_node_input(m, i, k);
      if (!in) continue;
      const rn_tensor *t = rn_model_initializer(m, in);
      if (!t || !is_float_dtype(rn_tensor_dtype(t))) continue;
      lua_pushinteger(L, rn_tensor_numel(t));
      lua_setfield(L, -2, in);
    }
  }
}

static int m_param_count(lua_State *L) {
  rn_model *m = rnL_checkgraph(L, 1);
  push_params(L, m);
  lua_Integer total = 0;
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    total += lua_tointeger(L, -1);
    lua_pop(L, 1);
  }
  lua_pushinteger(L, total);
  return 1;
}

static void shape_str(const rn_tensor *t, char *buf, size_t size) {
  rn_tensor *tt = (rn_tensor *)t;
  size_t n = (size_t)snprintf(buf, size, "%s [", rnL_dtype_name(rn_tensor_dtype(tt)));
  for (int d = 0; d < rn_tensor_rank(tt) && n < size; d++)
    n += (size_t)snprintf(buf + n, size - n, d ? ",%lld" : "%lld", (long long)rn_tensor_dims(tt)[d]);
  if (n < size) snprintf(buf + n, size - n, "]");
}

/* g:load_weights(path_or_graph, opts?) → count copied */
static int m_load_weights(lua_State *L) {
  rn_model *m = rnL_checkgraph(L, 1);
  lua_settop(L, 3);
  rn_model *src;
  const char *src_name;
  if (lua_type(L, 2) == LUA_TSTRING) {
    src_name = lua_tostring(L, 2);
    rnL_graph *u = rnL_newgraph_ud(L); /* freed by the GC, errors included */
    rnL_check(L, rn_model_load_file(NULL, src_name, &u->m), NULL);
    src = u->m;
  } else {
    src = rnL_checkgraph(L, 2);
    src_name = "the source graph";
  }
  int partial = 0;
  if (!lua_isnoneornil(L, 3)) {
    rnL_checktable(L, 3, "opts");
    lua_getfield(L, 3, "partial");
    partial = lua_toboolean(L, -1);
    lua_pop(L, 1);
  }
  push_params(L, m);
  int params = lua_gettop(L);
  /* Check everything first, so a failure leaves the graph unchanged. */
  int n = rn_model_initializer_count(m), copied = 0;
  for (int pass = 0; pass < 2; pass++) {
    for (int i = 0; i < n; i++) {
      const char *name = rn_model_initializer_name(m, i);
      const rn_tensor *dst = rn_model_initializer(m, name), *s = rn_model_initializer(src, name);
      if (!s) {
        lua_getfield(L, params, name);
        int is_param = !lua_isnil(L, -1);
        lua_pop(L, 1);
        if (is_param && !partial)
          rnL_error(L, "load_weights: parameter '%s' is not in %s (pass {partial = true} to allow)", name,
                    src_name);
        continue;
      }
      rn_tensor *a = (rn_tensor *)dst, *b = (rn_tensor *)s;
      int same = rn_tensor_dtype(a) == rn_tensor_dtype(b) && rn_tensor_rank(a) == rn_tensor_rank(b);
      for (int d = 0; same && d < rn_tensor_rank(a); d++) same = rn_tensor_dims(a)[d] == rn_tensor_dims(b)[d];
      if (!same) {
        char x[160], y[160];
        shape_str(dst, x, sizeof x);
        shape_str(s, y, sizeof y);
        rnL_error(L, "load_weights: '%s' is %s here but %s in %s", name, x, y, src_name);
      }
      if (pass == 1) {
        rnL_check(L, rn_model_set_initializer(m, name, s), "load_weights");
        copied++;
      }
    }
  }
  lua_pushinteger(L, copied);
  return 1;
}

static int m_save(lua_State *L) {
  rn_model *m = rnL_checkgraph(L, 1);
  const char *path = rnL_checkstring(L, 2, "path");
  if (rnL_restricted(L)) rnL_error(L, "g:save is not available in restricted scripts");
  rnL_check(L, rn_model_save_file(m, path), NULL);
  lua_settop(L, 1);
  return 1;
}

/* g:session(opts?) */
static int m_session(lua_State *L) {
  rn_model *m = rnL_checkgraph(L, 1);
  int threads = 0, optimize = 1, profiling = 0;
  if (!lua_isnoneornil(L, 2)) {
    rnL_checktable(L, 2, "opts");
    lua_getfield(L, 2, "threads");
    if (!lua_isnil(L, -1)) {
      if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 0) rnL_error(L, "session: threads must be an integer >= 0");
      threads = (int)lua_tointeger(L, -1);
    }
    lua_getfield(L, 2, "optimize");
    if (!lua_isnil(L, -1)) optimize = lua_toboolean(L, -1);
    lua_getfield(L, 2, "profiling");
    if (!lua_isnil(L, -1)) profiling = lua_toboolean(L, -1);
    lua_pop(L, 3);
  }
  rn_session_options *so = NULL;
  rn_session *s = NULL;
  rn_status *st = rn_session_options_create(&so);
  if (!st) st = rn_session_options_set_threads(so, threads);
  if (!st) st = rn_session_options_set_optimize(so, optimize);
  if (!st && profiling) st = rn_session_options_set_profiling(so, 1);
  if (!st) st = rn_session_create(NULL, m, so, &s);
  rn_session_options_free(so);
  if (st) rnL_status_error(L, st, NULL);
  rnL_pushsession(L, s, 1);
  return 1;
}

static int g_tostring(lua_State *L) {
  rnL_graph *u = luaL_checkudata(L, 1, RNL_GRAPH_MT);
  if (!u->m) lua_pushliteral(L, "rn.Graph (closed)");
  else
    lua_pushfstring(L, "rn.Graph('%s', %d nodes, %d inputs, %d outputs)", rn_model_graph_name(u->m),
                    rn_model_node_count(u->m), rn_model_input_count(u->m), rn_model_output_count(u->m));
  return 1;
}

rn_model *rnL_take_model(lua_State *L, int idx) {
  rnL_graph *g = luaL_testudata(L, idx, RNL_GRAPH_MT);
  if (!g) {
    rnL_session *s = luaL_testudata(L, idx, RNL_SESSION_MT);
    if (s && lua_getiuservalue(L, idx, 1) != LUA_TNONE) {
      g = luaL_testudata(L, -1, RNL_GRAPH_MT);
      lua_pop(L, 1);
    }
  }
  if (!g) {
    lua_pushfstring(L, "the script must return a graph or a session, not %s", luaL_typename(L, idx));
    return NULL;
  }
  if (!g->m) {
    lua_pushliteral(L, "the script returned a closed graph");
    return NULL;
  }
  rn_model *m = g->m;
  g->m = NULL;
  return m;
}

void rnL_open_graph(lua_State *L) {
  static const luaL_Reg methods[] = {
      {"input", m_input},
      {"initializer", m_initializer},
      {"node", m_node},
      {"output", m_output},
      {"opset", m_opset},
      {"metadata", m_metadata},
      {"name", m_name},
      {"inputs", m_inputs},
      {"outputs", m_outputs},
      {"initializers", m_initializers},
      {"nodes", m_nodes},
      {"get", m_get},
      {"value_info", m_value_info},
      {"param_count", m_param_count},
      {"load_weights", m_load_weights},
      {"save", m_save},
      {"session", m_session},
      {NULL, NULL},
  };
  static const luaL_Reg meta[] = {
      {"__gc", g_gc}, {"__close", g_gc}, {"__tostring", g_tostring}, {NULL, NULL},
  };
  luaL_newmetatable(L, RNL_GRAPH_MT);
  luaL_setfuncs(L, meta, 0);
  luaL_newlib(L, methods);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  static const luaL_Reg funcs[] = {{"graph", l_graph}, {"load", l_load}, {NULL, NULL}};
  luaL_setfuncs(L, funcs, 0);
}
