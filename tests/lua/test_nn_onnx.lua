-- Lua-built models saved with g:save are valid ONNX and compute the same thing elsewhere.
--   lua5.4 test_nn_onnx.lua checker PYTHON3 OUTDIR
--     onnx.checker (full_check) accepts each saved file, and rn.load of it gives the
--     same initializers, param_count and outputs as the graph in memory.
--     Skips (77) without python3-onnx.
--   lua5.4 test_nn_onnx.lua ort ORT_PREFIX OUTDIR
--     ONNX Runtime (onnxruntime-node, installed with npm into ORT_PREFIX if missing)
--     gives the same outputs as rn.  Skips (77) without node/npm or the package.
-- Models: the custom pre-activation SE block's PreAct-SE-ResNet-18
-- (examples/lua/preact_resnet.lua), nn.resnet(50) (Bottleneck) and
-- nn.efficientnet("b0") (MBConv, SE, SiLU, depthwise), with seeded weights; batch 2.
local rn = require "rn"
local nn = require "rn.nn"
local U = dofile(((arg and arg[0] or ""):match("^(.*)/[^/]*$") or ".") .. "/util.lua")

local mode, tool, outdir = arg[1], arg[2], arg[3]
if (mode ~= "checker" and mode ~= "ort") or not outdir then
  error("usage: test_nn_onnx.lua checker PYTHON3 OUTDIR | ort ORT_PREFIX OUTDIR")
end
local ORT_VERSION = "1.20.1"
local REL_TOL = 1e-4  -- max|a - b| <= REL_TOL * max|b|

local q = U.shell_quote

local function have(cmd)
  return U.run(cmd .. " --version >/dev/null 2>&1")
end

if mode == "checker" then
  if tool == "" then U.skip("no python3") end
  local ok, code = U.run(q(tool) .. " -c 'import onnx.checker'")
  if code == 77 or not ok then U.skip("python3 without the onnx package") end
else
  if not have("node") or not have("npm") then U.skip("node or npm not found") end
  if not U.exists(tool .. "/node_modules/onnxruntime-node/package.json") then
    -- The package carries its CPU binaries; the install script would only fetch the
    -- CUDA ones (from GitHub): skip it.
    local ok = U.run("ONNXRUNTIME_NODE_INSTALL_CUDA=skip ONNXRUNTIME_NODE_INSTALL=skip npm install --prefix "
      .. q(tool) .. " --no-audit --no-fund --ignore-scripts onnxruntime-node@" .. ORT_VERSION .. " >"
      .. q(tool .. ".npm.log") .. " 2>&1")
    if not ok then U.skip("npm install onnxruntime-node@" .. ORT_VERSION .. " failed (offline?); see "
      .. tool .. ".npm.log") end
  end
end
U.mkdir(outdir)

local cases = {
  { name = "preact_se_resnet18", build = function() return dofile(U.source_root .. "/examples/lua/preact_resnet.lua") end },
  { name = "resnet50", build = function() return nn.resnet(50, { seed = 3 }) end },
  { name = "efficientnet_b0", build = function()
    -- torchvision's init makes EfficientNet's activations vanish (logits ~1e-14):
    -- calibrate the BatchNorms on a seeded batch first, as the torchvision exports do
    local g = nn.efficientnet("b0", { seed = 4 })
    local n = U.calibrate_bn(g, rn.randn({ 2, 3, 224, 224 }, 99), outdir .. "/efficientnet_b0.calib.onnx")
    print(string.format("efficientnet_b0: %d BatchNorms calibrated", n))
    return g
  end },
}

for i, case in ipairs(cases) do
  local g = case.build()
  local x = rn.randn({ 2, 3, 224, 224 }, 100 + i)
  local y = g:session():run({ input = x }).logits
  local path = outdir .. "/" .. case.name .. ".onnx"
  local ok_save, err = pcall(g.save, g, path)
  U.check(ok_save, "%s: g:save(%s) %s", case.name, path, ok_save and "" or tostring(err))

  if mode == "checker" then
    local ok = U.run(q(tool) .. " " .. q(U.dir .. "/check_onnx.py") .. " " .. q(path) .. " " .. #g:initializers())
    U.check(ok, "%s: onnx.checker accepts the saved model", case.name)
    local h = rn.load(path)
    U.check(#h:initializers() == #g:initializers() and h:param_count() == g:param_count(),
      "%s: reloaded: %d initializers, param_count %d", case.name, #h:initializers(), h:param_count())
    local same_nodes = #h:nodes() == #g:nodes()
    U.check(same_nodes, "%s: reloaded: %d nodes", case.name, #h:nodes())
    local y2 = h:session():run({ input = x }).logits
    local d, m = U.diff(y2, y)
    U.check(d <= REL_TOL * m, "%s: rn.load(saved) logits: max diff %.3g (max|.| %.3g)", case.name, d, m)
  else
    local xin, yout = outdir .. "/" .. case.name .. ".input.f32", outdir .. "/" .. case.name .. ".ort.f32"
    U.write_f32(xin, x:totable())
    local ok, code = U.run("node " .. q(U.dir .. "/ort_run.js") .. " " .. q(tool) .. " " .. q(path) .. " "
      .. q(xin) .. " 2,3,224,224 " .. q(yout))
    if code == 77 then U.skip("onnxruntime-node does not load") end
    U.check(ok, "%s: ONNX Runtime ran the saved model", case.name)
    if ok then
      local d, m = U.diff(U.read_f32(yout), y)
      U.check(d <= REL_TOL * m, "%s: ONNX Runtime vs rn: max diff %.3g <= %g x max|rn| %.3g", case.name, d,
        REL_TOL, m)
      local a, b = U.argmax_rows(U.read_f32(yout), 1000), U.argmax_rows(y, 1000)
      U.check(a[1] == b[1] and a[2] == b[2], "%s: same top-1 (%d, %d)", case.name, b[1], b[2])
    end
  end
end

U.finish()
