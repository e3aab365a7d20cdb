-- expect: global 'dofile'
local rn = require "rn"
dofile("/etc/hostname") -- <error
return rn.graph {}
