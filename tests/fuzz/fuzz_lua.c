/* Fuzz target: a Lua model script from bytes, run in rnrun's restricted
 * mode with small instruction and memory budgets. Errors are fine; crashes,
 * hangs, leaks and sanitizer reports are bugs. */
#include <stdint.h>
#include <stdlib.h>

#include "rn_lua.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  rn_lua_set_limits(2000000, 64u << 20);
  rn_model *model = NULL;
  rn_status *st = rn_lua_load_model_buffer((const char *)data, size, "=fuzz", 1, &model);
  rn_status_free(st);
  rn_model_free(model);
  return 0;
}
