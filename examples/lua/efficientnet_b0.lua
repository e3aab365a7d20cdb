-- EfficientNet-B0 from its stage table, with compound scaling written out: change
-- `width_mult`, `depth_mult` and `resolution` to get B1 .. B7 (nn.efficientnet("b3")
-- does the same from torchvision's table).  Parameter names are torchvision's
-- (features.0.0.weight, features.2.0.block.2.fc1.weight, classifier.1.weight ...).
-- Run it: rnrun examples/lua/efficientnet_b0.lua image.png

local rn = require "rn"
local nn = require "rn.nn"

-- Compound scaling (Tan & Le): depth = alpha^phi, width = beta^phi, resolution = gamma^phi.
-- torchvision's values:  B0 1.0/1.0/224  B1 1.0/1.1/240  B2 1.1/1.2/288  B3 1.2/1.4/300
--                        B4 1.4/1.8/380  B5 1.6/2.2/456  B6 1.8/2.6/528  B7 2.0/3.1/600
local width_mult, depth_mult, resolution = 1.0, 1.0, 224

-- The B0 table: expand ratio, kernel, stride, in channels, out channels, layers.
local stages = {
  { 1, 3, 1, 32, 16, 1 },
  { 6, 3, 2, 16, 24, 2 },
  { 6, 5, 2, 24, 40, 2 },
  { 6, 3, 2, 40, 80, 3 },
  { 6, 5, 1, 80, 112, 3 },
  { 6, 5, 2, 112, 192, 4 },
  { 6, 3, 1, 192, 320, 1 },
}

-- Channels: round c * width to a multiple of 8 (never below 90 % of it); layers: ceil.
local function channels(c) return nn.make_divisible(c * width_mult, 8) end
local function depth(n) return math.tointeger(math.ceil(n * depth_mult)) end

local g = rn.graph { name = "efficientnet_b0", opset = 17 }
local x = g:input("input", { "N", 3, resolution, resolution })

-- Stem: 3x3/2 conv, BN, SiLU
x = nn.conv_bn(g, x, "features.0", 3, channels(32), 3, 2, 1, "silu")

-- MBConv stages (features.1 .. features.7): the first block of a stage changes the width
-- and the stride; the others keep both and add the residual.
for s, st in ipairs(stages) do
  local expand, kernel, stride, cin, cout = st[1], st[2], st[3], channels(st[4]), channels(st[5])
  for b = 0, depth(st[6]) - 1 do
    x = nn.mbconv(g, x, ("features.%d.%d"):format(s, b), {
      cin = b == 0 and cin or cout, cout = cout,
      expand_ratio = expand, kernel = kernel, stride = b == 0 and stride or 1,
      se_ratio = 0.25,   -- squeeze to a quarter of the block's input channels
    })
  end
end

-- Head: 1x1 conv to 4 x 320 = 1280 channels, pool, classifier (dropout: identity).
local last_in = channels(stages[#stages][5])
x = nn.conv_bn(g, x, "features.8", last_in, 4 * last_in, 1, 1, 1, "silu")
x = g:node("GlobalAveragePool", { x }, nil, { name = "avgpool" })
x = g:node("Flatten", { x }, { axis = 1 }, { name = "flatten" })
nn.linear(g, x, "classifier.1", 4 * last_in, 1000, { init = "efficientnet", outputs = { "logits" } })
g:output("logits")
return g
