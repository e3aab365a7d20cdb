-- expect: Conv2d
-- An op rn does not know, caught when the node is added.
local rn = require "rn"
local g = rn.graph { name = "unknown_op" }
local x = g:input("x", { 1, 3, 8, 8 })
local y = g:node("Relu", { x })
local z = g:node("Conv2d", { y }, { kernel_shape = { 3, 3 } }) -- <error
g:output(z)
return g
