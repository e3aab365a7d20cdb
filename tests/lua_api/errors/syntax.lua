-- expect: unexpected symbol
-- A syntax error: the message names this file and the line.
local rn = require "rn"
local g = rn.graph { name = "syntax" }
local x = = g:input("x", { 1, 3 }) -- <error
return g
