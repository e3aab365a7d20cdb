-- expect: node 'conv1' (Conv)
-- A Conv weight made for 4 input channels on a 3-channel input.
local rn = require "rn"
local g = rn.graph { name = "wrong_shape" }
local x = g:input("x", { "N", 3, 8, 8 })
local w = g:initializer("conv1.weight", rn.randn({ 8, 4, 3, 3 }, 1))
local y = g:node("Conv", { x, w }, -- <error (a call spanning lines is reported at its first line)
  { kernel_shape = { 3, 3 }, pads = { 1, 1, 1, 1 } }, { name = "conv1" })
g:output(y)
return g
