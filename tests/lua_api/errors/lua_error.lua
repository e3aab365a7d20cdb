-- expect: attempt to call a nil value
-- A plain Lua error in the script.
local rn = require "rn"
local g = rn.graph { name = "lua_error" }
local t = rn.zeros { 3 }
t:no_such_method() -- <error
return g
