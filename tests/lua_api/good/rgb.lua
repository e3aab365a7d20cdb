-- A small RGB classifier for rnrun (8x8 input, 10 classes, labels in the metadata).
local rn = require "rn"
local g = rn.graph { name = "rgb_tiny" }
g:metadata("rn.labels", "c0,c1,c2,c3,c4,c5,c6,c7,c8,c9")
local x = g:input("input", { "N", 3, 8, 8 })
local w = g:initializer("conv.weight", rn.randn({ 6, 3, 3, 3 }, 1, 0.3))
local y = g:node("Conv", { x, w }, { kernel_shape = { 3, 3 }, pads = { 1, 1, 1, 1 } }, { name = "conv" })
y = g:node("Relu", { y })
y = g:node("GlobalAveragePool", { y })
y = g:node("Flatten", { y })
local fc = g:initializer("fc.weight", rn.randn({ 10, 6 }, 2))
y = g:node("Gemm", { y, fc }, { transB = 1 }, { name = "fc", outputs = { "logits" } })
g:output(y)
return g
