-- Lua-built resnet18 / efficientnet_b0 with torchvision's weights loaded by name give
-- PyTorch's logits (max abs diff <= 1e-3).
-- lua5.4 test_nn_torchvision.lua PYTHON3 OUTDIR
-- The reference (export_reference.py, run here if OUTDIR/done is missing): torchvision's
-- seeded, BN-calibrated models exported with TrainingMode.PRESERVE, a seeded batch of 2
-- and PyTorch's outputs.  Skips (77) without python3 + torch/torchvision/onnx.
local rn = require "rn"
local nn = require "rn.nn"
local U = dofile(((arg and arg[0] or ""):match("^(.*)/[^/]*$") or ".") .. "/util.lua")

local python, outdir = arg[1], arg[2]
if not python or python == "" then U.skip("no python3") end
if not outdir then error("usage: test_nn_torchvision.lua PYTHON3 OUTDIR") end
local TOL = 1e-3

if not U.exists(outdir .. "/done") then
  local ok, code = U.run(table.concat({ U.shell_quote(python), U.shell_quote(U.dir .. "/export_reference.py"),
    U.shell_quote(outdir) }, " "))
  if code == 77 then U.skip("python3 without torch/torchvision/onnx") end
  if not ok then error("export_reference.py failed (exit " .. tostring(code) .. ")") end
end

local function read_info(path)
  local f = assert(io.open(path))
  local h, w, maxabs, missing = f:read("n", "n", "n", "n")
  f:close()
  return math.tointeger(h), math.tointeger(w), maxabs, math.tointeger(missing)
end

for _, case in ipairs {
  { name = "resnet18", build = function() return nn.resnet(18) end },
  { name = "efficientnet_b0", build = function() return nn.efficientnet("b0") end },
} do
  local dir = outdir .. "/" .. case.name
  local h, w, ref_max, missing = read_info(dir .. "/info.txt")
  local g = case.build()
  local ninit = #g:initializers()

  -- The exporter drops initializers whose values equal another one's (EfficientNet's
  -- zero SE biases) and names the duplicates with Identity nodes: map those names back.
  local ref = rn.load(dir .. "/model.onnx")
  local weights, aliases = U.weights_by_torch_name(ref)
  U.check(aliases == missing, "%s: %d deduplicated initializers recovered through Identity nodes",
    case.name, aliases)
  local ok, n = pcall(g.load_weights, g, weights)
  U.check(ok and n == ninit, "%s: load_weights copied %s of %d initializers (every name and shape matched)",
    case.name, tostring(n), ninit)
  if missing == 0 then
    -- no renaming at all: the exported file loads directly
    local ok2, n2 = pcall(g.load_weights, g, dir .. "/model.onnx")
    U.check(ok2 and n2 == ninit, "%s: load_weights(path) copied %s", case.name, tostring(n2))
  end

  local x = rn.tensor(U.read_f32(dir .. "/input.f32"), { 2, 3, h, w })
  local want = U.read_f32(dir .. "/logits.f32")
  local t0 = os.clock()
  local got = g:session():run({ input = x }).logits
  local secs = os.clock() - t0
  local sh = got:shape()
  U.check(sh[1] == 2 and sh[2] == 1000, "%s: logits %s", case.name, table.concat(sh, "x"))
  local d, m = U.diff(got, want)
  U.check(d <= TOL, "%s: max|rn - torch| = %.3g <= %g (max|torch| = %.3g, %.1f s CPU)", case.name, d, TOL, m,
    secs)
  local a, b = U.argmax_rows(got, 1000), U.argmax_rows(want, 1000)
  U.check(a[1] == b[1] and a[2] == b[2], "%s: top-1 %d,%d == torch's %d,%d", case.name, a[1], a[2], b[1], b[2])
end

U.finish()
