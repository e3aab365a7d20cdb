-- examples/lua: each script returns a graph that runs; the spelled-out ResNet-18 and
-- EfficientNet-B0 scripts are the very graphs of nn.resnet(18) / nn.efficientnet("b0")
-- (same initializers, names, shapes, values, node sequence, outputs).
-- lua5.4 test_nn_examples.lua EXAMPLES_DIR
local rn = require "rn"
local nn = require "rn.nn"
local U = dofile(((arg and arg[0] or ""):match("^(.*)/[^/]*$") or ".") .. "/util.lua")

local dir = arg[1] or (U.source_root .. "/examples/lua")

local function run(g, x)
  local s = g:session()
  local out = s:run({ input = x })
  return out.logits
end

local function finite(t)
  for _, v in ipairs(t:totable()) do
    if v ~= v or v == math.huge or v == -math.huge then return false end
  end
  return true
end

local function same_graph(name, a, b)
  local ia, ib = a:initializers(), b:initializers()
  U.check(#ia == #ib, "%s: %d initializers == %d", name, #ia, #ib)
  local names_ok, values_ok = true, true
  for i = 1, math.min(#ia, #ib) do
    if ia[i] ~= ib[i] then names_ok = false; print("  first difference: " .. ia[i] .. " vs " .. ib[i]); break end
  end
  U.check(names_ok, "%s: same initializer names in the same order", name)
  if names_ok then
    for _, n in ipairs(ia) do
      local d = U.diff(a:get(n), b:get(n))
      if d ~= 0 then values_ok = false; print("  differs: " .. n); break end
    end
    U.check(values_ok, "%s: same initializer values (seeded by name)", name)
  end
  local na, nb = a:nodes(), b:nodes()
  local ops_ok = #na == #nb
  for i = 1, math.min(#na, #nb) do
    if na[i].op ~= nb[i].op or na[i].name ~= nb[i].name then ops_ok = false; break end
  end
  U.check(ops_ok, "%s: same node sequence (%d nodes)", name, #na)
  U.check(a:param_count() == b:param_count(), "%s: param_count %d", name, a:param_count())
end

local x224 = rn.randn({ 2, 3, 224, 224 }, 2024)

-- ResNet-18 spelled out == nn.resnet(18)
do
  local g = dofile(dir .. "/resnet18.lua")
  U.check(g:param_count() == 11689512, "resnet18.lua: param_count %d == 11689512", g:param_count())
  local ref = nn.resnet(18)
  same_graph("resnet18.lua vs nn.resnet(18)", g, ref)
  local a, b = run(g, x224), run(ref, x224)
  local d, m = U.diff(a, b)
  U.check(d == 0 and finite(a), "resnet18.lua: logits %s, identical to nn.resnet(18)'s (max|.| %.3g)",
    table.concat(a:shape(), "x"), m)
end

-- EfficientNet-B0 spelled out == nn.efficientnet("b0")
do
  local g = dofile(dir .. "/efficientnet_b0.lua")
  U.check(g:param_count() == 5288548, "efficientnet_b0.lua: param_count %d == 5288548", g:param_count())
  local ref = nn.efficientnet("b0")
  same_graph("efficientnet_b0.lua vs nn.efficientnet('b0')", g, ref)
  local a, b = run(g, x224), run(ref, x224)
  local d, m = U.diff(a, b)
  U.check(d == 0 and finite(a), "efficientnet_b0.lua: logits %s, identical to nn.efficientnet's (max|.| %.3g)",
    table.concat(a:shape(), "x"), m)
end

-- The lecture's blocks, node by node
do
  local g = dofile(dir .. "/lecture_blocks.lua")
  local y = run(g, x224)
  local sh = y:shape()
  U.check(sh[1] == 2 and sh[2] == 10 and finite(y), "lecture_blocks.lua: logits %s, finite",
    table.concat(sh, "x"))
  local ops = {}
  for _, nd in ipairs(g:nodes()) do ops[nd.op] = true end
  U.check(ops.Reshape and ops.Sigmoid and ops.Mul and ops.Add and ops.Conv and ops.Gemm,
    "lecture_blocks.lua: SE (Reshape, Sigmoid, Mul), residual Add")
end

-- The custom block: pre-activation (+ SE) residual block, PreAct-SE-ResNet-18
do
  local g = dofile(dir .. "/preact_resnet.lua")
  local n = g:param_count()
  -- ResNet-18's convolutions and fc, BNs moved before the convs, plus SE (c*c/8 + c*17/16 a block)
  U.check(n > 11.6e6 and n < 12.0e6, "preact_resnet.lua: param_count %d", n)
  local first = {}
  for _, nd in ipairs(g:nodes()) do
    local p = nd.name:match("^(layer%d+%.%d+)%.")
    if p and not first[p] then first[p] = nd.op end
  end
  U.check(first["layer1.0"] == "BatchNormalization" and first["layer4.1"] == "BatchNormalization",
    "preact_resnet.lua: blocks start with BN (pre-activation)")
  local y = run(g, x224)
  U.check(y:shape()[1] == 2 and y:shape()[2] == 1000 and finite(y), "preact_resnet.lua: logits %s, finite",
    table.concat(y:shape(), "x"))
end

U.finish()
