-- expect: 'nope' is not defined
-- A node reading a value nothing defines.
local rn = require "rn"
local g = rn.graph { name = "undefined_value" }
g:input("x", { 1, 4 })
local y = g:node("Relu", { "nope" }) -- <error
return g
