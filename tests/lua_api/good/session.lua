-- Returning a session: its graph is handed out.
local rn = require "rn"
local nn = require "rn.nn"
local g = rn.graph { name = "from_session" }
local x = g:input("input", { 1, 3, 8, 8 })
local y = nn.conv_bn(g, x, "stem", 3, 4, 3, 1)
g:output(y)
local s = g:session()
assert(s:run({ input = rn.zeros { 1, 3, 8, 8 } })[y], "ran")
return s
