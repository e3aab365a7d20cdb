/* rn.Session: compiled graphs, run from Lua (lua/API.md, "Sessions"). */
#include <string.h>

#include "rn_lua_private.h"

void rnL_pushsession(lua_State *L, rn_session *s, int graph_idx) {
  graph_idx = lua_absindex(L, graph_idx);
  rnL_session *u = lua_newuserdatauv(L, sizeof *u, 1);
  u->s = s;
  luaL_setmetatable(L, RNL_SESSION_MT);
  lua_pushvalue(L, graph_idx); /* the graph it came from (rn_lua_load_model) */
  lua_setiuservalue(L, -2, 1);
}

static rn_session *check_session(lua_State *L, int arg) {
  rnL_session *u = rnL_checkudata(L, arg, RNL_SESSION_MT, "session");
  if (!u->s) rnL_error(L, "the session is closed");
  return u->s;
}

static int s_gc(lua_State *L) {
  rnL_session *u = luaL_checkudata(L, 1, RNL_SESSION_MT);
  rn_session_free(u->s);
  u->s = NULL;
  return 0;
}

/* Temporary output tensors of a run, freed by the GC if we raise. */
typedef struct outs_box {
  int n;
  rn_tensor *t[];
} outs_box;

static int outs_gc(lua_State *L) {
  outs_box *b = lua_touserdata(L, 1);
  for (int i = 0; i < b->n; i++) {
    rn_tensor_free(b->t[i]);
    b->t[i] = NULL;
  }
  return 0;
}

/* s:run(inputs, output_names?) → {name = tensor} */
static int m_run(lua_State *L) {
  rn_session *s = check_session(L, 1);
  int n_in = 0;
  const char **in_names;
  rn_tensor **ins;
  if (rnL_testudata(L, 2, RNL_TENSOR_MT)) {
    if (rn_session_input_count(s) != 1)
      rnL_error(L, "run: the model has %d inputs; pass a table name -> tensor", rn_session_input_count(s));
    in_names = lua_newuserdatauv(L, sizeof(char *), 0);
    ins = lua_newuserdatauv(L, sizeof(rn_tensor *), 0);
    in_names[0] = rn_session_input_name(s, 0);
    ins[0] = rnL_checktensor(L, 2, "input");
    n_in = 1;
  } else {
    if (lua_isnoneornil(L, 2)) {
      lua_newtable(L);
      lua_replace(L, 2);
    }
    rnL_checktable(L, 2, "inputs");
    lua_pushnil(L);
    while (lua_next(L, 2)) {
      n_in++;
      lua_pop(L, 1);
    }
    in_names = lua_newuserdatauv(L, sizeof(char *) * (size_t)(n_in ? n_in : 1), 0);
    ins = lua_newuserdatauv(L, sizeof(rn_tensor *) * (size_t)(n_in ? n_in : 1), 0);
    int k = 0;
    lua_pushnil(L);
    while (lua_next(L, 2)) {
      if (lua_type(L, -2) != LUA_TSTRING) rnL_error(L, "run: input names must be strings");
      in_names[k] = lua_tostring(L, -2); /* anchored by the inputs table */
      ins[k] = rnL_totensor(L, -1);
      if (!ins[k]) rnL_error(L, "run: input '%s' must be a (live) rn.Tensor, got %s", in_names[k], luaL_typename(L, -1));
      k++;
      lua_pop(L, 1);
    }
  }
  int n_out;
  const char **out_names;
  if (lua_type(L, 3) == LUA_TTABLE) {
    n_out = (int)luaL_len(L, 3);
    out_names = lua_newuserdatauv(L, sizeof(char *) * (size_t)(n_out ? n_out : 1), 0);
    for (int i = 0; i < n_out; i++) {
      lua_geti(L, 3, i + 1);
      out_names[i] = rnL_checkstring(L, -1, "output name"); /* anchored by the table */
      lua_pop(L, 1);
    }
  } else {
    n_out = rn_session_output_count(s);
    out_names = lua_newuserdatauv(L, sizeof(char *) * (size_t)(n_out ? n_out : 1), 0);
    for (int i = 0; i < n_out; i++) out_names[i] = rn_session_output_name(s, i);
  }
  outs_box *box = lua_newuserdatauv(L, sizeof *box + sizeof(rn_tensor *) * (size_t)n_out, 0);
  box->n = n_out;
  for (int i = 0; i < n_out; i++) box->t[i] = NULL;
  lua_createtable(L, 0, 1);
  lua_pushcfunction(L, outs_gc);
  lua_setfield(L, -2, "__gc");
  lua_setmetatable(L, -2);
  int box_idx = lua_gettop(L);
  rnL_check(L, rn_session_run(s, n_in, in_names, ins, n_out, out_names, box->t), NULL);
  lua_createtable(L, 0, n_out);
  for (int i = 0; i < n_out; i++) {
    rnL_tensor *u = rnL_newtensor_ud(L);
    u->t = box->t[i];
    box->t[i] = NULL;
    lua_setfield(L, -2, out_names[i]);
  }
  (void)box_idx;
  return 1;
}

static void push_infos(lua_State *L, rn_session *s, int outputs) {
  int n = outputs ? rn_session_output_count(s) : rn_session_input_count(s);
  lua_createtable(L, n, 0);
  for (int i = 0; i < n; i++) {
    rn_value_info info;
    rn_status *st = outputs ? rn_session_output_info(s, i, &info) : rn_session_input_info(s, i, &info);
    if (st) rnL_status_error(L, st, NULL);
    rnL_push_value_info(L, &info);
    lua_pushstring(L, outputs ? rn_session_output_name(s, i) : rn_session_input_name(s, i));
    lua_setfield(L, -2, "name");
    lua_rawseti(L, -2, i + 1);
  }
}

static int m_inputs(lua_State *L) {
  push_infos(L, check_session(L, 1), 0);
  return 1;
}

static int m_outputs(lua_State *L) {
  push_infos(L, check_session(L, 1), 1);
  return 1;
}

/* s:graph() → the graph the session was made from */
static int m_graph(lua_State *L) {
  check_session(L, 1);
  lua_getiuservalue(L, 1, 1);
  return 1;
}

static int s_tostring(lua_State *L) {
  rnL_session *u = luaL_checkudata(L, 1, RNL_SESSION_MT);
  if (!u->s) lua_pushliteral(L, "rn.Session (closed)");
  else
    lua_pushfstring(L, "rn.Session(%d inputs, %d outputs)", rn_session_input_count(u->s),
                    rn_session_output_count(u->s));
  return 1;
}

void rnL_open_session(lua_State *L) {
  static const luaL_Reg methods[] = {
      {"run", m_run}, {"inputs", m_inputs}, {"outputs", m_outputs}, {"graph", m_graph}, {NULL, NULL},
  };
  static const luaL_Reg meta[] = {
      {"__gc", s_gc}, {"__close", s_gc}, {"__tostring", s_tostring}, {NULL, NULL},
  };
  luaL_newmetatable(L, RNL_SESSION_MT);
  luaL_setfuncs(L, meta, 0);
  luaL_newlib(L, methods);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
}
