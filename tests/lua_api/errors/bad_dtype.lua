-- expect: unknown dtype 'float8'
local rn = require "rn"
local g = rn.graph { name = "bad_dtype" }
local function weights(n)
  return rn.tensor({ 1, 2, 3 }, { n }, "float8") -- <error
end
g:initializer("w", weights(3))
return g
