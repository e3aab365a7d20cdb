-- expect: global 'io'
local rn = require "rn"
local f = io.open("/etc/passwd") -- <error
return rn.graph {}
