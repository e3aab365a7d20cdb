-- ResNet-18, spelled out from the lecture's table with rn.nn's blocks.  The result is the
-- same graph as nn.resnet(18) (torchvision's parameter names: conv1.weight, bn1.*,
-- layer1.0.conv1.weight, layer2.0.downsample.0.weight, fc.weight ...), so torchvision's
-- weights load into it by name:
--   g:load_weights("resnet18_preserve.onnx")
-- Run it: rnrun examples/lua/resnet18.lua image.png

local rn = require "rn"
local nn = require "rn.nn"

--   Model       Blocks         Params
--   ResNet-18   [2, 2, 2, 2]   11.7M     <- this one (BasicBlock)
--   ResNet-34   [3, 4, 6, 3]   21.8M
--   ResNet-50   [3, 4, 6, 3]*  25.6M     (* Bottleneck: nn.bottleneck, expansion 4)
local blocks = { 2, 2, 2, 2 }

local g = rn.graph { name = "resnet18", opset = 17 }
local x = g:input("input", { "N", 3, 224, 224 })

-- Stem: 7x7/2 conv, BN, ReLU, 3x3/2 max pool  (224 -> 112 -> 56)
x = nn.conv_bn(g, x, "", 3, 64, 7, 2, 1, "relu", { conv = "conv1", bn = "bn1", act_name = "relu" })
x = g:node("MaxPool", { x }, { kernel_shape = { 3, 3 }, strides = { 2, 2 }, pads = { 1, 1, 1, 1 } },
  { name = "maxpool" })

-- Four stages of BasicBlocks, 64 -> 128 -> 256 -> 512 channels; every stage but the first
-- halves the resolution in its first block (whose shortcut becomes a 1x1 projection).
local channels = 64
for stage, n in ipairs(blocks) do
  local width = 64 << (stage - 1)
  for b = 0, n - 1 do
    local stride = (stage > 1 and b == 0) and 2 or 1
    x = nn.basic_block(g, x, ("layer%d.%d"):format(stage, b), channels, width, stride)
    channels = width
  end
end

-- Head: global average pool, flatten, fully connected (fc.weight [1000, 512], transB).
x = g:node("GlobalAveragePool", { x }, nil, { name = "avgpool" })
x = g:node("Flatten", { x }, { axis = 1 }, { name = "flatten" })
nn.linear(g, x, "fc", channels, 1000, { outputs = { "logits" } })
g:output("logits")
return g
