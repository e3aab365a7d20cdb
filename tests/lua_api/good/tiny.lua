-- A tiny CNN; rn_lua_load_model hands out the graph.
local rn = require "rn"
local g = rn.graph { name = "tiny" }
g:metadata("rn.labels", "zero,one,two")
local x = g:input("input", { "N", 2, 3, 3 })
local w = g:initializer("conv.weight", rn.tensor({ 1, 0, 0, 1, 1, 1, -1, 0.5 }, { 4, 2, 1, 1 }))
local c = g:node("Conv", { x, w }, { kernel_shape = { 1, 1 } }, { name = "conv" })
local r = g:node("Relu", { c })
local p = g:node("GlobalAveragePool", { r })
local f = g:node("Flatten", { p })
local fc = g:initializer("fc.weight", rn.full({ 3, 4 }, 0.25))
local y = g:node("Gemm", { f, fc }, { transB = 1 }, { outputs = { "logits" } })
g:output(y)
return g
