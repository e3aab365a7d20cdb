-- expect: global 'load'
local rn = require "rn"
local f = load("return 1") -- <error
return rn.graph {}
