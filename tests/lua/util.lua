-- Helpers shared by the rn.nn tests (loaded with dofile from the test's own folder).
local rn = require "rn"
local U = {}

U.dir = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
U.source_root = U.dir .. "/../.."

local failures = 0
function U.check(cond, fmt, ...)
  local msg = string.format(fmt, ...)
  if cond then
    print("ok   " .. msg)
  else
    print("FAIL " .. msg)
    failures = failures + 1
  end
  return cond
end

function U.finish()
  if failures > 0 then
    print(failures .. " check(s) failed")
    os.exit(1)
  end
  print("all checks passed")
  os.exit(0)
end

function U.skip(why)
  print("SKIP: " .. why)
  os.exit(77)
end

function U.exists(path)
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return false
end

-- Raw little-endian float32 files (what the Python and Node helpers write and read).
function U.read_f32(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  assert(#s % 4 == 0, path .. ": size not a multiple of 4")
  local v, n = {}, #s // 4
  local fmt = "<" .. string.rep("f", 256)
  local i = 0
  while i + 256 <= n do
    local chunk = { string.unpack(fmt, s, 4 * i + 1) }
    for k = 1, 256 do v[i + k] = chunk[k] end
    i = i + 256
  end
  for k = i + 1, n do v[k] = string.unpack("<f", s, 4 * (k - 1) + 1) end
  return v
end

function U.write_f32(path, values)
  local f = assert(io.open(path, "wb"))
  local parts = {}
  for i = 1, #values do
    parts[#parts + 1] = string.pack("<f", values[i])
    if #parts == 4096 then f:write(table.concat(parts)); parts = {} end
  end
  f:write(table.concat(parts))
  f:close()
end

-- max |a - b| and max |b| over two flat tables (or tensors).
function U.diff(a, b)
  if type(a) ~= "table" then a = a:totable() end
  if type(b) ~= "table" then b = b:totable() end
  assert(#a == #b, string.format("sizes differ: %d vs %d", #a, #b))
  local d, m = 0, 0
  for i = 1, #a do
    local x, y = a[i], b[i]
    if x ~= x or y ~= y then return math.huge, math.huge end
    d = math.max(d, math.abs(x - y))
    m = math.max(m, math.abs(y))
  end
  return d, m
end

function U.argmax_rows(t, cols)
  if type(t) ~= "table" then t = t:totable() end
  local r = {}
  for row = 0, #t // cols - 1 do
    local best, bi = -math.huge, 0
    for c = 1, cols do
      local v = t[row * cols + c]
      if v > best then best, bi = v, c - 1 end
    end
    r[#r + 1] = bi
  end
  return r
end

function U.shell_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

-- Runs a command; returns true when it exits 0, plus the exit code.
function U.run(cmd)
  print("$ " .. cmd)
  local ok, how, code = os.execute(cmd)
  if how == "exit" then return ok == true and code == 0, code end
  return false, 128 + (code or 0)
end

function U.mkdir(path)
  assert(U.run("mkdir -p " .. U.shell_quote(path)))
end

-- The rn_model value names that an Identity node gives to an initializer: torch's
-- exporter deduplicates identical initializers (e.g. EfficientNet's zero-initialized
-- SE biases) and keeps the duplicates' names as Identity outputs.  Returns a graph
-- holding every initializer of `ref` under its own name and under each alias (the name
-- map that g:load_weights needs), and the number of aliases.
function U.weights_by_torch_name(ref)
  local have = {}
  for _, n in ipairs(ref:initializers()) do have[n] = true end
  local alias = {}
  local changed = true
  local nodes = ref:nodes()
  while changed do  -- chains of Identity
    changed = false
    for _, nd in ipairs(nodes) do
      if nd.op == "Identity" then
        local src = nd.inputs[1]
        local root = have[src] and src or alias[src]
        local out = nd.outputs[1]
        if root and not have[out] and alias[out] == nil then
          alias[out] = root
          changed = true
        end
      end
    end
  end
  local w = rn.graph { name = "weights" }
  local n_alias = 0
  for _, n in ipairs(ref:initializers()) do w:initializer(n, ref:get(n)) end
  for out, root in pairs(alias) do
    w:initializer(out, ref:get(root))
    n_alias = n_alias + 1
  end
  return w, n_alias
end

-- BatchNorm calibration, as tests/models/export_torchvision.py does for torchvision's
-- models: each BatchNormalization's running mean/var are set, in graph order, to the
-- per-channel statistics of what it sees on `x`, so that deep randomly initialized
-- models (EfficientNet's fan_out init of depthwise convs) have logits of order 1.
-- Works on a reloaded copy (saved to `tmp`) whose BN inputs are marked as outputs, and
-- copies the result back with g:load_weights.  Returns the number of BNs calibrated.
function U.calibrate_bn(g, x, tmp)
  g:save(tmp)
  local c = rn.load(tmp)
  local bns = {}
  for _, nd in ipairs(c:nodes()) do
    if nd.op == "BatchNormalization" then bns[#bns + 1] = nd end
  end
  for _, nd in ipairs(bns) do c:output(nd.inputs[1]) end
  for _, nd in ipairs(bns) do
    local t = c:session():run({ input = x })[nd.inputs[1]]
    local sh = t:shape()
    local n, ch, hw = sh[1], sh[2], 1
    for d = 3, #sh do hw = hw * sh[d] end
    local v = t:totable()
    local mean, var = {}, {}
    for k = 1, ch do
      local s, s2 = 0, 0
      for b = 0, n - 1 do
        local base = (b * ch + (k - 1)) * hw
        for i = base + 1, base + hw do
          local e = v[i]
          s = s + e
          s2 = s2 + e * e
        end
      end
      local m = s / (n * hw)
      mean[k] = m
      var[k] = math.max(s2 / (n * hw) - m * m, 1e-12)
    end
    c:initializer(nd.inputs[4], rn.tensor(mean, { ch }))
    c:initializer(nd.inputs[5], rn.tensor(var, { ch }))
  end
  g:load_weights(c)
  return #bns
end

return U
