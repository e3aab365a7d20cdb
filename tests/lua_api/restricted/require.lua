-- expect: module 'x' is not available
local rn = require "rn"
local x = require "x" -- <error
return rn.graph {}
