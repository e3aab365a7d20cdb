/* rn_lua_load_model: run a Lua model script (rnrun MODEL.lua) in a fresh,
 * optionally restricted, Lua state and take the model it returns. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lualib.h>

#include "rn_lua.h"
#include "rn_lua_private.h"

#ifndef RN_LUA_SOURCE_DIR
#define RN_LUA_SOURCE_DIR ""
#endif
#ifndef RN_LUA_INSTALL_DIR
#define RN_LUA_INSTALL_DIR ""
#endif

typedef struct script_args {
  const char *path;    /* the script file, or the chunk's name */
  const char *chunk;   /* the script's text when run from memory, else NULL */
  size_t chunk_size;
  int restricted;
  rn_model *model;
  rn_status_code code; /* for errors raised here */
} script_args;

/* Budgets of restricted scripts (rn_lua_set_limits). */
static uint64_t max_instructions = (uint64_t)20000000000ull; /* ~ a minute of Lua */
static size_t max_bytes = (size_t)4 << 30;

void rn_lua_set_limits(uint64_t instructions, size_t bytes) {
  max_instructions = instructions;
  max_bytes = bytes;
}

enum { HOOK_EVERY = 10000 };

/* Counts instructions in steps of HOOK_EVERY and stops the script past its budget. */
static void budget_hook(lua_State *L, lua_Debug *ar) {
  (void)ar;
  uint64_t *used = NULL;
  lua_getallocf(L, (void **)&used);
  used[1] += HOOK_EVERY;
  if (used[1] > max_instructions) luaL_error(L, "script exceeded its budget of %I instructions", (lua_Integer)max_instructions);
}

/* Allocator with a byte budget; ud points at {bytes in use, instructions}. */
static void *budget_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  uint64_t *used = ud;
  if (!ptr) osize = 0;
  if (nsize == 0) {
    used[0] -= osize;
    free(ptr);
    return NULL;
  }
  if (nsize > osize && used[0] + (nsize - osize) > max_bytes) return NULL; /* Lua raises "not enough memory" */
  void *p = realloc(ptr, nsize);
  if (p) used[0] = used[0] - osize + nsize;
  return p;
}

/* Pushes the path of rn/nn.lua, or nil and a list of the places tried. */
static int find_nn(lua_State *L) {
  const char *env = getenv("RN_LUA_PATH");
  const char *dirs[3] = {env, RN_LUA_SOURCE_DIR, RN_LUA_INSTALL_DIR};
  luaL_Buffer tried;
  luaL_buffinit(L, &tried);
  for (int i = 0; i < 3; i++) {
    if (!dirs[i] || !dirs[i][0]) continue;
    size_t n = strlen(dirs[i]);
    if (n > 4 && strcmp(dirs[i] + n - 4, ".lua") == 0) lua_pushstring(L, dirs[i]); /* the file itself */
    else lua_pushfstring(L, "%s/rn/nn.lua", dirs[i]);
    if (access(lua_tostring(L, -1), R_OK) == 0) {
      lua_remove(L, -2); /* the buffer placeholder */
      return 1;
    }
    lua_pop(L, 1);
    luaL_addstring(&tried, "\n\tno file '");
    lua_pushfstring(L, "%s%s", dirs[i], (n > 4 && strcmp(dirs[i] + n - 4, ".lua") == 0) ? "" : "/rn/nn.lua");
    luaL_addvalue(&tried);
    luaL_addstring(&tried, "'");
  }
  luaL_pushresult(&tried);
  return 0;
}

/* Loads rn.nn from disk (text chunks only) and stores it in LOADED. */
static void load_nn(lua_State *L) {
  if (!find_nn(L)) {
    const char *tried = lua_tostring(L, -1);
    rnL_error(L, "module 'rn.nn' not found (set RN_LUA_PATH to the folder holding rn/nn.lua):%s", tried);
  }
  const char *path = lua_tostring(L, -1);
  if (luaL_loadfilex(L, path, "t") != LUA_OK) lua_error(L);
  lua_pushliteral(L, "rn.nn");
  lua_pushvalue(L, -3);
  lua_call(L, 2, 1);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    lua_pushboolean(L, 1);
  }
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_pushvalue(L, -2);
  lua_setfield(L, -2, "rn.nn");
  lua_pop(L, 1);
}

/* require in restricted scripts: only "rn" and "rn.nn". */
static int restricted_require(lua_State *L) {
  const char *name = rnL_checkstring(L, 1, "module name");
  if (strcmp(name, "rn") != 0 && strcmp(name, "rn.nn") != 0)
    rnL_error(L, "module '%s' is not available to model scripts (only 'rn' and 'rn.nn')", name);
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  if (lua_getfield(L, -1, name) != LUA_TNIL) return 1;
  lua_pop(L, 1);
  load_nn(L);
  return 1;
}

/* package.preload["rn.nn"] in unrestricted states. */
static int preload_nn(lua_State *L) {
  load_nn(L);
  return 1;
}

static void open_restricted(lua_State *L) {
  static const luaL_Reg libs[] = {
      {LUA_GNAME, luaopen_base},        {LUA_STRLIBNAME, luaopen_string}, {LUA_TABLIBNAME, luaopen_table},
      {LUA_MATHLIBNAME, luaopen_math},  {LUA_UTF8LIBNAME, luaopen_utf8},  {LUA_COLIBNAME, luaopen_coroutine},
      {NULL, NULL},
  };
  for (const luaL_Reg *lib = libs; lib->func; lib++) {
    luaL_requiref(L, lib->name, lib->func, 1);
    lua_pop(L, 1);
  }
  static const char *const removed[] = {"load", "loadfile", "dofile", NULL};
  for (int i = 0; removed[i]; i++) {
    lua_pushnil(L);
    lua_setglobal(L, removed[i]);
  }
  lua_pushboolean(L, 1);
  lua_setfield(L, LUA_REGISTRYINDEX, RNL_RESTRICTED_KEY);
  luaL_requiref(L, "rn", luaopen_rn, 0);
  lua_pop(L, 1);
  lua_pushcfunction(L, restricted_require);
  lua_setglobal(L, "require");
}

static void open_full(lua_State *L) {
  luaL_openlibs(L);
  luaL_requiref(L, "rn", luaopen_rn, 0);
  lua_pop(L, 1);
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "preload");
  lua_pushcfunction(L, preload_nn);
  lua_setfield(L, -2, "rn.nn");
  lua_pop(L, 2);
}

static int protected_main(lua_State *L) {
  script_args *a = lua_touserdata(L, 1);
  if (a->restricted) open_restricted(L);
  else open_full(L);
  int rc = a->chunk ? luaL_loadbufferx(L, a->chunk, a->chunk_size, a->path, a->restricted ? "t" : "bt")
                     : luaL_loadfilex(L, a->path, a->restricted ? "t" : "bt");
  if (rc != LUA_OK) {
    a->code = rc == LUA_ERRFILE ? RN_ERR_IO : RN_ERR_INVALID_MODEL;
    return lua_error(L);
  }
  lua_call(L, 0, 1);
  a->model = rnL_take_model(L, -1);
  if (!a->model) {
    a->code = RN_ERR_INVALID_MODEL;
    lua_pushfstring(L, "%s: %s", a->path, lua_tostring(L, -1));
    return lua_error(L);
  }
  return 0;
}

/* Errors are returned with rn_status_create (rn.h): the only way for code
 * outside librn to make an rn_status. */
static rn_status *run_script(script_args a, rn_model **out) {
  *out = NULL;
  /* Restricted scripts are untrusted: they run with an instruction and a
   * memory budget. */
  uint64_t used[2] = {0, 0};
  lua_State *L = a.restricted ? lua_newstate(budget_alloc, used) : luaL_newstate();
  if (!L) return rn_status_create(RN_ERR_OUT_OF_MEMORY, "out of memory (Lua state)");
  if (a.restricted) lua_sethook(L, budget_hook, LUA_MASKCOUNT, HOOK_EVERY);
  lua_pushcfunction(L, protected_main);
  lua_pushlightuserdata(L, &a);
  int rc = lua_pcall(L, 1, 0, 0);
  rn_status *st = NULL;
  if (rc != LUA_OK) {
    const char *msg = lua_tostring(L, -1);
    rn_status_code code = rc == LUA_ERRMEM ? RN_ERR_OUT_OF_MEMORY : a.code;
    st = rn_status_create(code, msg ? msg : "error object is not a string");
    rn_model_free(a.model);
  } else {
    *out = a.model;
  }
  lua_close(L);
  return st;
}

rn_status *rn_lua_load_model(const char *script_path, int restricted, rn_model **out) {
  if (!out || !script_path) return rn_status_create(RN_ERR_INVALID_ARGUMENT, "rn_lua_load_model: NULL argument");
  script_args a = {script_path, NULL, 0, restricted != 0, NULL, RN_ERR_INVALID_MODEL};
  return run_script(a, out);
}

rn_status *rn_lua_load_model_buffer(const char *chunk, size_t size, const char *chunk_name, int restricted,
                                    rn_model **out) {
  if (!out || (!chunk && size)) return rn_status_create(RN_ERR_INVALID_ARGUMENT, "rn_lua_load_model_buffer: NULL argument");
  script_args a = {chunk_name ? chunk_name : "=script", chunk ? chunk : "", size, restricted != 0, NULL,
                   RN_ERR_INVALID_MODEL};
  return run_script(a, out);
}
