-- The lecture's blocks ("Modern Architectures: ResNet and EfficientNet"), written node by
-- node with the `rn` graph API, the PyTorch code beside each.  Run it with
--   rnrun examples/lua/lecture_blocks.lua image.png
-- It returns a small network that chains all four blocks, so each one is really built,
-- shape-checked and run.  (rn.nn has the same blocks with torchvision's parameter names:
-- nn.basic_block, nn.bottleneck, nn.squeeze_excite, nn.mbconv; see resnet18.lua and
-- efficientnet_b0.lua.)

local rn = require "rn"

local g = rn.graph { name = "lecture_blocks", opset = 17 }

-- Parameters: seeded Kaiming-normal convolutions (fan_out), BatchNorm at its init state.
local seed = 0
local function weight(name, shape, std)
  seed = seed + 1
  local v = rn.randn(shape, seed):totable()
  for i = 1, #v do v[i] = v[i] * std end
  return g:initializer(name, rn.tensor(v, shape))
end

-- nn.Conv2d(cin, cout, k, stride=s, padding=(k-1)//2, groups=groups, bias=False)
local function conv(x, name, cin, cout, k, s, groups)
  groups = groups or 1
  local p = (k - 1) // 2
  local w = weight(name .. ".weight", { cout, cin // groups, k, k }, math.sqrt(2 / (cout * k * k)))
  return g:node("Conv", { x, w },
    { kernel_shape = { k, k }, strides = { s, s }, pads = { p, p, p, p }, group = groups },
    { name = name })
end

-- nn.BatchNorm2d(c)  (inference: running statistics)
local function bn(x, name, c)
  local ins = { x,
    g:initializer(name .. ".weight", rn.full({ c }, 1.0)),
    g:initializer(name .. ".bias", rn.zeros({ c })),
    g:initializer(name .. ".running_mean", rn.zeros({ c })),
    g:initializer(name .. ".running_var", rn.full({ c }, 1.0)) }
  return g:node("BatchNormalization", ins, { epsilon = rn.float(1e-5) }, { name = name })
end

local function relu(x) return g:node("Relu", { x }) end
local function silu(x) return g:node("Mul", { x, g:node("Sigmoid", { x }) }) end  -- x * sigmoid(x)

-- nn.Linear(fin, fout) as Gemm(x, W[fout, fin], b, transB=1)
local function linear(x, name, fin, fout)
  local w = weight(name .. ".weight", { fout, fin }, 1 / math.sqrt(fin))
  local b = g:initializer(name .. ".bias", rn.zeros({ fout }))
  return g:node("Gemm", { x, w, b }, { transB = 1 }, { name = name })
end

---------------------------------------------------------------------------------------
-- 2.1 BasicBlock (ResNet-18, 34)
--
--   out = torch.relu(self.bn1(self.conv1(x)))          -- 3x3, stride
--   out = self.bn2(self.conv2(out))                     -- 3x3
--   out += self.shortcut(identity)                      -- 1x1 conv + BN if shape changes
--   return torch.relu(out)
local function basic_block(x, p, cin, cout, stride)
  local out = relu(bn(conv(x, p .. ".conv1", cin, cout, 3, stride), p .. ".bn1", cout))
  out = bn(conv(out, p .. ".conv2", cout, cout, 3, 1), p .. ".bn2", cout)
  local shortcut = x
  if stride ~= 1 or cin ~= cout then
    shortcut = bn(conv(x, p .. ".shortcut.0", cin, cout, 1, stride), p .. ".shortcut.1", cout)
  end
  return relu(g:node("Add", { out, shortcut }))    -- the skip connection: dy/dx = dF/dx + 1
end

---------------------------------------------------------------------------------------
-- 2.2 Bottleneck (ResNet-50, 101, 152): 1x1 reduce -> 3x3 process -> 1x1 expand (x4)
--
--   out = torch.relu(self.bn1(self.conv1(x)))          -- 1x1, in_ch -> mid_ch
--   out = torch.relu(self.bn2(self.conv2(out)))        -- 3x3, stride
--   out = self.bn3(self.conv3(out))                     -- 1x1, mid_ch -> 4 * mid_ch
--   out += self.shortcut(identity)
--   return torch.relu(out)
local function bottleneck(x, p, cin, mid, stride)
  local cout = mid * 4
  local out = relu(bn(conv(x, p .. ".conv1", cin, mid, 1, 1), p .. ".bn1", mid))
  out = relu(bn(conv(out, p .. ".conv2", mid, mid, 3, stride), p .. ".bn2", mid))
  out = bn(conv(out, p .. ".conv3", mid, cout, 1, 1), p .. ".bn3", cout)
  local shortcut = x
  if stride ~= 1 or cin ~= cout then
    shortcut = bn(conv(x, p .. ".shortcut.0", cin, cout, 1, stride), p .. ".shortcut.1", cout)
  end
  return relu(g:node("Add", { out, shortcut })), cout
end

---------------------------------------------------------------------------------------
-- 3.2 Squeeze-Excitation (the lecture's version, with nn.Linear)
--
--   reduced = max(1, channels // reduction)
--   y = x.mean(dim=[2, 3])                              -- global average pool
--   y = torch.relu(self.fc1(y))
--   y = torch.sigmoid(self.fc2(y))
--   return x * y.view(b, c, 1, 1)                       -- reweight the channels
local function squeeze_excitation(x, p, channels, reduction)
  local reduced = math.max(1, channels // (reduction or 4))
  local y = g:node("Flatten", { g:node("GlobalAveragePool", { x }) }, { axis = 1 })
  y = relu(linear(y, p .. ".fc1", channels, reduced))
  y = g:node("Sigmoid", { linear(y, p .. ".fc2", reduced, channels) })
  local view = g:initializer(p .. ".view_shape", rn.tensor({ 0, -1, 1, 1 }, { 4 }, "int64"))
  y = g:node("Reshape", { y, view })                   -- y.view(b, c, 1, 1)
  return g:node("Mul", { x, y })
end

---------------------------------------------------------------------------------------
-- 3.2 MBConv (mobile inverted bottleneck)
--   1. Expand: 1x1 conv (increase channels)          + BN + SiLU
--   2. Depthwise: 3x3 or 5x5 depthwise conv          + BN + SiLU   (groups = channels)
--   3. Squeeze-Excitation: channel attention
--   4. Project: 1x1 conv (reduce channels)           + BN, no activation
--   residual when stride 1 and in == out
local function mbconv(x, p, cin, cout, expand, kernel, stride)
  local mid = cin * expand
  local y = x
  if expand ~= 1 then y = silu(bn(conv(y, p .. ".expand", cin, mid, 1, 1), p .. ".expand_bn", mid)) end
  y = silu(bn(conv(y, p .. ".depthwise", mid, mid, kernel, stride, mid), p .. ".depthwise_bn", mid))
  y = squeeze_excitation(y, p .. ".se", mid, 4 * mid // cin)  -- squeeze to cin / 4
  y = bn(conv(y, p .. ".project", mid, cout, 1, 1), p .. ".project_bn", cout)
  if stride == 1 and cin == cout then y = g:node("Add", { y, x }) end
  return y
end

---------------------------------------------------------------------------------------
-- A small network that uses each block once (for a 3 x H x W image, 10 classes).
local x = g:input("input", { "N", 3, 224, 224 })
x = relu(bn(conv(x, "stem", 3, 32, 3, 2), "stem_bn", 32))   -- 112 x 112
x = basic_block(x, "basic", 32, 32, 1)                          -- identity shortcut
x = basic_block(x, "basic_down", 32, 64, 2)                     -- projection shortcut, 56
local c
x, c = bottleneck(x, "bottleneck", 64, 32, 2)                   -- 128 channels, 28
x = mbconv(x, "mbconv", c, c, 6, 5, 1)                          -- residual MBConv
x = g:node("Flatten", { g:node("GlobalAveragePool", { x }) }, { axis = 1 })
local w = weight("fc.weight", { 10, c }, 1 / math.sqrt(c))
local b = g:initializer("fc.bias", rn.zeros({ 10 }))
g:node("Gemm", { x, w, b }, { transB = 1 }, { name = "fc", outputs = { "logits" } })
g:output("logits")
return g
