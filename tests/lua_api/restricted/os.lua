-- expect: global 'os'
local rn = require "rn"
os.execute("true") -- <error
return rn.graph {}
