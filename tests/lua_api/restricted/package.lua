-- expect: global 'package'
local rn = require "rn"
package.cpath = "/tmp/?.so" -- <error
return rn.graph {}
