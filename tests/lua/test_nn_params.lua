-- rn.nn: models have torchvision's parameter counts, names, shapes, ops and settings.
-- lua5.4 test_nn_params.lua   (LUA_CPATH -> build/lua/?.so, LUA_PATH -> lua/?.lua)
local rn = require "rn"
local nn = require "rn.nn"
local U = dofile(((arg and arg[0] or ""):match("^(.*)/[^/]*$") or ".") .. "/util.lua")

-- sum(p.numel() for p in torchvision.models.<name>().parameters()), torchvision 0.14
local TORCHVISION = {
  resnet18 = 11689512, resnet34 = 21797672, resnet50 = 25557032,
  resnet101 = 44549160, resnet152 = 60192808,
  efficientnet_b0 = 5288548, efficientnet_b1 = 7794184, efficientnet_b2 = 9109994,
  efficientnet_b3 = 12233232, efficientnet_b4 = 19341616, efficientnet_b5 = 30389784,
  efficientnet_b6 = 43040704, efficientnet_b7 = 66347960,
}
-- len(state_dict) without num_batches_tracked
local STATE_DICT_SIZE = { resnet18 = 102, resnet50 = 267, efficientnet_b0 = 311, efficientnet_b3 = 496 }
local RESOLUTION = { b0 = 224, b1 = 240, b2 = 288, b3 = 300, b4 = 380, b5 = 456, b6 = 528, b7 = 600 }
local ALLOWED_OPS = { Conv = true, BatchNormalization = true, Relu = true, Sigmoid = true, Mul = true,
  Add = true, MaxPool = true, GlobalAveragePool = true, Flatten = true, Gemm = true }

local function set_of(list)
  local s = {}
  for _, v in ipairs(list) do s[v] = true end
  return s
end

local function build(name, opts)
  local depth = name:match("^resnet(%d+)$")
  if depth then return nn.resnet(tonumber(depth), opts) end
  return nn.efficientnet(name:match("_(b%d)$"), opts)
end

local function structure(name, g)
  local inits = set_of(g:initializers())
  local ops, bad = {}, {}
  local eps = {}
  for _, nd in ipairs(g:nodes()) do
    ops[nd.op] = (ops[nd.op] or 0) + 1
    if not ALLOWED_OPS[nd.op] then bad[#bad + 1] = nd.op end
    if nd.op == "BatchNormalization" then eps[string.format("%.6g", nd.attrs.epsilon)] = true end
    if nd.op == "Gemm" then
      U.check(nd.attrs.transB == 1, "%s: Gemm %s has transB=1", name, nd.name)
    end
  end
  U.check(#bad == 0, "%s: only the model ops are used (%s)", name, table.concat(bad, ","))
  local inp = g:value_info("input")
  local out = g:value_info("logits")
  U.check(inp and inp.shape[1] == "N" and inp.shape[2] == 3, "%s: input [N,3,H,W]", name)
  -- the batch dim of the output is dynamic: "N" where shape inference carries the symbol
  -- through Flatten, else unknown (-1)
  U.check(out and (out.shape[1] == "N" or out.shape[1] == -1) and out.shape[2] == 1000,
    "%s: output logits [%s,1000]", name, out and tostring(out.shape[1]))
  U.check(#g:outputs() == 1 and g:outputs()[1] == "logits", "%s: one output 'logits'", name)
  return inits, ops, eps, inp
end

-- 1. The four required models, with the default (seeded Kaiming) initialization.
for _, name in ipairs { "resnet18", "resnet50", "efficientnet_b0", "efficientnet_b3" } do
  local t0 = os.clock()
  local g = build(name)
  local n = g:param_count()
  U.check(n == TORCHVISION[name], "%s: param_count %d == torchvision's %d (built in %.1f s)",
    name, n, TORCHVISION[name], os.clock() - t0)
  local inits, ops, eps, inp = structure(name, g)
  U.check(#g:initializers() == STATE_DICT_SIZE[name], "%s: %d initializers == state_dict's %d",
    name, #g:initializers(), STATE_DICT_SIZE[name])
  if name:match("^resnet") then
    U.check(ops.MaxPool == 1 and not ops.Sigmoid, "%s: ops", name)
    U.check(eps["1e-05"] and not eps["0.001"], "%s: BatchNorm epsilon 1e-5", name)
    U.check(inp.shape[3] == 224 and inp.shape[4] == 224, "%s: 224 x 224", name)
    for _, p in ipairs { "conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
        "layer1.0.conv1.weight", "layer2.0.downsample.0.weight", "layer2.0.downsample.1.running_var",
        "layer4.1.bn2.bias", "fc.weight", "fc.bias" } do
      U.check(inits[p], "%s: has %s", name, p)
    end
    local w = g:get("fc.weight")
    local cf = name == "resnet18" and 512 or 2048
    U.check(w and w:shape()[1] == 1000 and w:shape()[2] == cf, "%s: fc.weight [1000,%d]", name, cf)
  else
    U.check(ops.Sigmoid and ops.Mul and not ops.MaxPool, "%s: SiLU as Sigmoid + Mul", name)
    U.check(eps["1e-05"] and not eps["0.001"], "%s: BatchNorm epsilon 1e-5 (torchvision b0-b4)", name)
    for _, p in ipairs { "features.0.0.weight", "features.0.1.running_var",
        "features.1.0.block.0.0.weight", "features.1.0.block.1.fc1.weight", "features.1.0.block.1.fc2.bias",
        "features.2.0.block.0.0.weight", "features.2.0.block.1.0.weight", "features.2.0.block.2.fc1.bias",
        "features.2.0.block.3.1.weight", "features.8.0.weight", "features.8.1.bias",
        "classifier.1.weight", "classifier.1.bias" } do
      U.check(inits[p], "%s: has %s", name, p)
    end
    U.check(not inits["features.1.0.block.3.0.weight"], "%s: stage 1 (expand ratio 1) has no expand conv", name)
  end
end

-- Names of a resnet (the first block of layer1 keeps 64 channels: no downsample).
do
  local g = nn.resnet(18, { init = "zeros" })
  local s = set_of(g:initializers())
  U.check(not s["layer1.0.downsample.0.weight"], "resnet18: layer1.0 has no projection shortcut")
  local g50 = nn.resnet(50, { init = "zeros" })
  local s50 = set_of(g50:initializers())
  U.check(s50["layer1.0.downsample.0.weight"], "resnet50: layer1.0 projects 64 -> 256")
  local w = g50:get("layer1.0.conv3.weight"):shape()
  U.check(w[1] == 256 and w[2] == 64, "resnet50: layer1.0.conv3.weight [256,64,1,1]")
end

-- 2. Every ResNet depth and EfficientNet variant (all-zero weights: counts only).
for _, depth in ipairs { 34, 101, 152 } do
  local name = "resnet" .. depth
  local g = nn.resnet(depth, { init = "zeros" })
  U.check(g:param_count() == TORCHVISION[name], "%s: param_count %d == %d", name, g:param_count(),
    TORCHVISION[name])
end
for _, v in ipairs { "b1", "b2", "b4", "b5", "b6", "b7" } do
  local name = "efficientnet_" .. v
  local g = nn.efficientnet(v, { init = "zeros" })
  U.check(g:param_count() == TORCHVISION[name], "%s: param_count %d == %d", name, g:param_count(),
    TORCHVISION[name])
  local _, _, eps, inp = structure(name, g)
  U.check(inp.shape[3] == RESOLUTION[v] and inp.shape[4] == RESOLUTION[v], "%s: input %d x %d", name,
    RESOLUTION[v], RESOLUTION[v])
  local want = (v == "b5" or v == "b6" or v == "b7") and "0.001" or "1e-05"
  U.check(eps[want] and next(eps, next(eps)) == nil, "%s: BatchNorm epsilon %s", name, want)
end

-- Compound scaling: torchvision's _make_divisible and ceil(depth * mult).
U.check(nn.make_divisible(32 * 1.2, 8) == 40 and nn.make_divisible(32 * 1.1, 8) == 32
  and nn.make_divisible(16 * 1.8, 8) == 32 and nn.make_divisible(320 * 1.4, 8) == 448
  and nn.make_divisible(112 * 1.1, 8) == 120, "make_divisible")
do
  local c = nn.efficientnet_config("b3")
  local layers = {}
  for i, s in ipairs(c.stages) do layers[i] = s.layers end
  U.check(table.concat(layers, ",") == "2,3,3,5,5,6,2", "b3 stage depths %s", table.concat(layers, ","))
  U.check(c.stem == 40 and c.last == 1536 and c.resolution == 300, "b3 stem 40, head 1536, 300 px")
end

-- Seeded initialization: same seed, same weights; another seed, other weights.
do
  local a = nn.resnet(18):get("layer3.1.conv2.weight"):totable()
  local b = nn.resnet(18):get("layer3.1.conv2.weight"):totable()
  local c = nn.resnet(18, { seed = 5 }):get("layer3.1.conv2.weight"):totable()
  local same, other = true, false
  local sum2 = 0
  for i = 1, #a do
    if a[i] ~= b[i] then same = false end
    if a[i] ~= c[i] then other = true end
    sum2 = sum2 + a[i] * a[i]
  end
  U.check(same and other, "seeded weights: reproducible, seed-dependent")
  -- Kaiming normal, fan_out = 256 * 3 * 3: std sqrt(2 / 2304) = 0.0295
  local std = math.sqrt(sum2 / #a)
  U.check(math.abs(std - math.sqrt(2 / 2304)) < 0.002, "conv weight std %.4f ~ sqrt(2/fan_out) %.4f", std,
    math.sqrt(2 / 2304))
end

-- Errors point at the caller's line.
do
  local ok, err = pcall(nn.resnet, 19)
  U.check(not ok and err:match("depth must be 18, 34, 50, 101 or 152"), "nn.resnet(19): %s", tostring(err))
  ok, err = pcall(function() return nn.efficientnet("b9") end)
  U.check(not ok and err:match("test_nn_params%.lua:%d+:") and err:match("unknown variant"),
    "nn.efficientnet('b9') error at the caller: %s", tostring(err))
end

U.finish()
