-- expect: global 'debug'
local rn = require "rn"
local info = debug.getinfo(1) -- <error
return rn.graph {}
