-- expect: not available in restricted scripts
local rn = require "rn"
local g = rn.graph {}
g:save("/tmp/rn-restricted-save.onnx") -- <error
return g
