-- A custom block: the pre-activation residual block (He et al., "Identity Mappings in
-- Deep Residual Networks", 2016), optionally with squeeze-excitation on the residual
-- branch, used to build a PreAct-SE-ResNet-18.  BN and ReLU come *before* each conv, so
-- the skip path is a clean identity from block to block:
--
--   out = relu(bn1(x))
--   shortcut = x                      (or a 1x1 conv of `out` when the shape changes)
--   out = conv1(out)                  3x3, stride
--   out = conv2(relu(bn2(out)))       3x3
--   out = se(out)                     (optional channel attention)
--   return out + shortcut             (no ReLU after the add)
--
-- Run it: rnrun examples/lua/preact_resnet.lua image.png

local rn = require "rn"
local nn = require "rn.nn"

local USE_SE = true

local function preact_block(g, x, prefix, cin, cout, stride, se)
  local out = nn.act(g, nn.batchnorm(g, x, prefix .. ".bn1", cin), "relu", prefix .. ".relu1")
  local shortcut = x
  if stride ~= 1 or cin ~= cout then
    -- the projection sees the pre-activated input, as in the paper
    shortcut = nn.conv2d(g, out, prefix .. ".shortcut.0", cin, cout, 1, stride)
  end
  out = nn.conv2d(g, out, prefix .. ".conv1", cin, cout, 3, stride)
  out = nn.act(g, nn.batchnorm(g, out, prefix .. ".bn2", cout), "relu", prefix .. ".relu2")
  out = nn.conv2d(g, out, prefix .. ".conv2", cout, cout, 3, 1)
  if se then out = nn.squeeze_excite(g, out, prefix .. ".se", cout, cout // 16, "relu") end
  return g:node("Add", { out, shortcut }, nil, { name = prefix .. ".add" })
end

local g = rn.graph { name = USE_SE and "preact_se_resnet18" or "preact_resnet18", opset = 17 }
nn.init(g, { seed = 7 })
local x = g:input("input", { "N", 3, 224, 224 })
x = nn.conv2d(g, x, "conv1", 3, 64, 7, 2)
x = g:node("MaxPool", { x }, { kernel_shape = { 3, 3 }, strides = { 2, 2 }, pads = { 1, 1, 1, 1 } },
  { name = "maxpool" })
local c = 64
for stage, n in ipairs { 2, 2, 2, 2 } do
  local width = 64 << (stage - 1)
  for b = 0, n - 1 do
    x = preact_block(g, x, ("layer%d.%d"):format(stage, b), c, width,
      (stage > 1 and b == 0) and 2 or 1, USE_SE)
    c = width
  end
end
-- the last block's output has not been through BN/ReLU yet
x = nn.act(g, nn.batchnorm(g, x, "bn_final", c), "relu", "relu_final")
x = g:node("GlobalAveragePool", { x }, nil, { name = "avgpool" })
x = g:node("Flatten", { x }, { axis = 1 }, { name = "flatten" })
nn.linear(g, x, "fc", c, 1000, { outputs = { "logits" } })
g:output("logits")
return g
