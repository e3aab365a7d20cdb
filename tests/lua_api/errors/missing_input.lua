-- expect: x
-- A runtime error: the session is run without its input.
local rn = require "rn"
local g = rn.graph { name = "missing_input" }
local x = g:input("x", { 1, 4 })
local y = g:node("Relu", { x })
g:output(y)
local s = g:session()
local out = s:run {} -- <error
return g
