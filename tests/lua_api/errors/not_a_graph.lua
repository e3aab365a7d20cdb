-- expect: must return a graph or a session
-- @noline: the script returns something else (reported with the file name only)
local rn = require "rn"
return { rn.graph {} }
