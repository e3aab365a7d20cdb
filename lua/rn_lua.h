/* rn_lua.h — running Lua model scripts from C (rnrun MODEL.lua ...).
 * Part of the Lua module's internal library (rn_lua_lib in lua/meson.build),
 * not of librn. */
#ifndef RN_LUA_H
#define RN_LUA_H

#include "rn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Runs the Lua script at `script_path` in a fresh Lua state with the `rn`
 * module (and `rn.nn`) available, and hands out the model it returns: the
 * script must return an rn.Graph, or an rn.Session (the graph it was made
 * from is returned). The caller owns *out (rn_model_free).
 *
 * restricted = 1 (rnrun): the script gets only the base library (without
 * load, loadfile, dofile), string, table, math, utf8 and coroutine; no io,
 * os, package or debug; `require` returns only "rn" and "rn.nn"; binary
 * chunks are refused; g:save is refused. restricted = 0: all standard
 * libraries.
 *
 * Errors (syntax, runtime, rn) come back as a status whose message starts
 * with the script's file:line. rn.nn is looked up in $RN_LUA_PATH/rn/nn.lua,
 * then in the source tree's lua/ and then in the installed Lua module dir. */
rn_status *rn_lua_load_model(const char *script_path, int restricted, rn_model **out);
/* The same for a script in memory; `chunk_name` names it in errors (Lua's
 * convention: "@file.lua" or "=name"). */
rn_status *rn_lua_load_model_buffer(const char *chunk, size_t size, const char *chunk_name, int restricted,
                                    rn_model **out);
/* Budgets of restricted scripts: Lua VM instructions (counted in steps of
 * 10,000) and bytes of Lua memory (defaults 2e10 and 4 GiB). Not thread-safe:
 * set them before running scripts. */
void rn_lua_set_limits(uint64_t max_instructions, size_t max_bytes);

#ifdef __cplusplus
}
#endif
#endif
