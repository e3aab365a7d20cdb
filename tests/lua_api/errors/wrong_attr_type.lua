-- expect: kernel_shape
-- An attribute of the wrong type: kernel_shape must be a list of ints.
local rn = require "rn"
local g = rn.graph { name = "wrong_attr_type" }
local x = g:input("x", { 1, 3, 8, 8 })
local w = g:initializer("w", rn.zeros { 4, 3, 3, 3 })
local y = g:node("Conv", { x, w }, { kernel_shape = "3x3" }) -- <error
g:output(y)
return g
