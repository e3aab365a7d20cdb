-- expect: Conv
-- A mistake made through rn.nn: the error points at this script's line, not at nn.lua.
local rn = require "rn"
local nn = require "rn.nn"
local g = rn.graph { name = "nn_channels" }
local x = g:input("x", { 1, 3, 16, 16 })
local y = nn.conv_bn(g, x, "stem", 3, 8, 3, 1)
local z = nn.conv_bn(g, y, "block", 16, 8, 3, 1) -- <error
g:output(z)
return g
