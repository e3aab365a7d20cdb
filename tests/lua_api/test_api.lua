-- The Lua module `rn` against lua/API.md: tensors, building and running a tiny
-- CNN against values computed here, inspection, save/load, load_weights, sessions.
-- Usage: lua5.4 test_api.lua TEST_DIR   (LUA_CPATH finds build/lua/rn.so)
local rn = require "rn"
local test_dir = arg[1] or "."

local failures, checks = 0, 0
local function check(cond, fmt, ...)
  checks = checks + 1
  if not cond then
    failures = failures + 1
    local info = debug.getinfo(2, "l")
    io.stderr:write(string.format("FAIL line %d: " .. fmt .. "\n", info.currentline, ...))
  end
end
local function close(a, b, tol) return math.abs(a - b) <= (tol or 1e-5) * math.max(1, math.abs(b)) end
local function same_list(a, b)
  if #a ~= #b then return false end
  for i = 1, #a do if a[i] ~= b[i] then return false end end
  return true
end
local function errmsg(f, ...)
  local ok, msg = pcall(f, ...)
  return not ok and tostring(msg) or nil
end

---------------------------------------------------------------- tensors
do
  local t = rn.tensor { { 1, 2, 3 }, { 4, 5, 6 } }
  check(same_list(t:shape(), { 2, 3 }), "nested shape")
  check(t:dtype() == "float32" and t:numel() == 6 and #t == 6, "dtype/numel/len")
  check(same_list(t:totable(), { 1, 2, 3, 4, 5, 6 }), "totable")
  check(t:get(5) == 5, "get")
  local r = t:reshape { 3, 2 }
  check(same_list(r:shape(), { 3, 2 }) and same_list(r:totable(), t:totable()), "reshape")
  check(same_list(t:reshape({ -1 }):shape(), { 6 }), "reshape -1")
  local f = rn.tensor({ 1, 2, 3, 4 }, { 2, 2 })
  check(same_list(f:shape(), { 2, 2 }), "flat + shape")
  local i64 = rn.tensor({ 1, -2, 2 ^ 53 // 1, math.maxinteger }, nil, "int64")
  check(i64:dtype() == "int64" and i64:get(4) == math.maxinteger and i64:get(2) == -2, "int64 round trip")
  check(math.type(i64:get(1)) == "integer", "int64 elements are Lua integers")
  local b = rn.tensor({ true, false, 1, 0 }, nil, "bool")
  check(same_list(b:totable(), { true, false, true, false }), "bool")
  for _, dt in ipairs { "int32", "uint8", "int8", "float64", "int16", "uint16", "uint32", "uint64" } do
    local x = rn.tensor({ 1, 2, 3 }, nil, dt)
    check(x:dtype() == dt and same_list(x:totable(), { 1, 2, 3 }), "dtype %s", dt)
  end
  local h = rn.tensor({ 0.5, -2, 65504 }, nil, "float16")
  check(same_list(h:totable(), { 0.5, -2, 65504 }), "float16")
  check(rn.tensor(3.5):numel() == 1 and #rn.tensor(3.5):shape() == 0, "scalar")
  local z = rn.zeros({ 2, 3 }, "int32")
  check(z:dtype() == "int32" and same_list(z:totable(), { 0, 0, 0, 0, 0, 0 }), "zeros")
  local fl = rn.full({ 2, 2 }, 7.5)
  check(same_list(fl:totable(), { 7.5, 7.5, 7.5, 7.5 }), "full")
  local u1, u2, u3 = rn.rand({ 1000 }, 42), rn.rand({ 1000 }, 42), rn.rand({ 1000 }, 43)
  check(same_list(u1:totable(), u2:totable()), "rand is deterministic")
  check(not same_list(u1:totable(), u3:totable()), "rand depends on the seed")
  local lo, hi, sum = 1, 0, 0
  for _, v in ipairs(u1:totable()) do lo = math.min(lo, v); hi = math.max(hi, v); sum = sum + v end
  check(lo >= 0 and hi < 1 and math.abs(sum / 1000 - 0.5) < 0.05, "rand range/mean")
  local n = rn.randn({ 10000 }, 7):totable()
  local m, m2 = 0, 0
  for _, v in ipairs(n) do m = m + v; m2 = m2 + v * v end
  m = m / #n; m2 = m2 / #n - m * m
  check(math.abs(m) < 0.05 and math.abs(m2 - 1) < 0.05, "randn mean %g var %g", m, m2)
  local n3 = rn.randn({ 10000 }, 7, 3.0, 1.0):totable()
  check(close(n3[10], n[10] * 3 + 1, 1e-5), "randn std/mean arguments")
  check(tostring(t):match("^rn.Tensor%(float32, %[2,3%]"), "tostring: %s", tostring(t))
  do
    local c <close> = rn.zeros { 4 }
    check(#c == 4, "to-be-closed tensor")
  end
  check(errmsg(rn.tensor, { { 1, 2 }, { 3 } }):find("ragged", 1, true), "ragged table error")
  check(errmsg(rn.tensor, { 1, 2, 3 }, { 2, 2 }):find("needs 4 values", 1, true), "count error")
  check(errmsg(rn.tensor, { 1.5 }, nil, "int64"):find("not an integer", 1, true), "int from float error")
  check(errmsg(rn.tensor, { 1 }, nil, "float8"):find("unknown dtype", 1, true), "unknown dtype")
  -- errors carry this file's name and line
  local line = debug.getinfo(1, "l").currentline + 1
  local msg = errmsg(function() return rn.tensor({ 1 }, nil, "nope") end)
  check(msg and msg:find("test_api.lua:" .. line .. ":", 1, true), "error location: %s", msg)
end

---------------------------------------------------------------- a tiny CNN
-- input [N,2,3,3] -> Conv(4 filters 1x1, bias) -> Relu -> GlobalAveragePool -> Flatten -> Gemm(3)
local W = { 1, 0, 0, 1, 1, 1, -1, 0.5 }
local B = { 0, 0.5, -1, 0 }
local FC, FCB = {}, { 0.1, 0.2, 0.3 }
for i = 0, 11 do FC[i + 1] = (i % 5) - 2 end

local function build(zero_weights)
  local g = rn.graph { name = "tiny_cnn", opset = 17 }
  local x = g:input("input", { "N", 2, 3, 3 })
  local function init(name, vals, shape)
    if zero_weights then return g:initializer(name, rn.zeros(shape)) end
    return g:initializer(name, rn.tensor(vals, shape))
  end
  local w = init("conv.weight", W, { 4, 2, 1, 1 })
  local b = init("conv.bias", B, { 4 })
  local c = g:node("Conv", { x, w, b }, { kernel_shape = { 1, 1 } }, { name = "conv" })
  local r = g:node("Relu", { c })
  local p = g:node("GlobalAveragePool", { r }, nil, { name = "pool" })
  local f = g:node("Flatten", { p }, { axis = 1 }, { name = "flatten" })
  local fw = init("fc.weight", FC, { 3, 4 })
  local fb = init("fc.bias", FCB, { 3 })
  local y = g:node("Gemm", { f, fw, fb }, { transB = 1, alpha = rn.float(1) }, { name = "fc", outputs = { "logits" } })
  g:output(y)
  return g
end

local function reference(xs, n)
  local out = {}
  for b = 0, n - 1 do
    local pooled = {}
    for o = 0, 3 do
      local s = 0
      for pix = 0, 8 do
        local v = B[o + 1]
        for ci = 0, 1 do v = v + W[o * 2 + ci + 1] * xs[b * 18 + ci * 9 + pix + 1] end
        s = s + math.max(v, 0)
      end
      pooled[o] = s / 9
    end
    for k = 0, 2 do
      local v = FCB[k + 1]
      for o = 0, 3 do v = v + FC[k * 4 + o + 1] * pooled[o] end
      out[#out + 1] = v
    end
  end
  return out
end

local g = build(false)
local xin = rn.randn({ 2, 2, 3, 3 }, 1)
local expected = reference(xin:totable(), 2)
do
  local s = g:session { threads = 1 }
  local out = s:run { input = xin }
  local y = out.logits
  check(y and same_list(y:shape(), { 2, 3 }), "logits shape")
  local got = y:totable()
  for i = 1, 6 do check(close(got[i], expected[i], 1e-4), "logit %d: %g vs %g", i, got[i], expected[i]) end
  -- a single tensor for a one-input model
  local y2 = s:run(xin).logits:totable()
  check(same_list(y2, got), "run with a single tensor")
  local si, so = s:inputs(), s:outputs()
  check(#si == 1 and si[1].name == "input" and si[1].dtype == "float32" and si[1].shape[1] == "N"
        and si[1].shape[2] == 2, "session inputs")
  check(#so == 1 and so[1].name == "logits", "session outputs")
  check(tostring(s):match("^rn.Session"), "session tostring")
end

---------------------------------------------------------------- inspection
do
  check(same_list(g:inputs(), { "input" }) and same_list(g:outputs(), { "logits" }), "inputs/outputs")
  check(g:opset() == 17 and g:opset("ai.onnx") == 17 and g:opset("com.example") == nil, "opset")
  local nodes = g:nodes()
  check(#nodes == 5, "node count")
  check(nodes[1].op == "Conv" and nodes[1].name == "conv" and same_list(nodes[1].inputs, { "input", "conv.weight", "conv.bias" }),
        "conv node")
  check(same_list(nodes[1].attrs.kernel_shape, { 1, 1 }), "ints attr")
  check(nodes[2].name == "Relu_1" and nodes[2].outputs[1] == "Relu_1", "generated names")
  check(nodes[4].attrs.axis == 1 and math.type(nodes[4].attrs.axis) == "integer", "int attr")
  check(nodes[5].attrs.transB == 1 and nodes[5].attrs.alpha == 1.0 and math.type(nodes[5].attrs.alpha) == "float",
        "rn.float attr")
  check(nodes[5].domain == "", "domain")
  local inits = g:initializers()
  table.sort(inits)
  check(same_list(inits, { "conv.bias", "conv.weight", "fc.bias", "fc.weight" }), "initializers")
  local w = g:get("conv.weight")
  check(w and same_list(w:shape(), { 4, 2, 1, 1 }) and w:get(8) == 0.5, "g:get")
  check(g:get("nope") == nil, "g:get missing")
  local vi = g:value_info("logits")
  check(vi and vi.dtype == "float32" and #vi.shape == 2 and vi.shape[2] == 3, "value_info logits")
  local vin = g:value_info("input")
  check(vin.shape[1] == "N", "value_info dim name")
  check(g:value_info("nope") == nil, "value_info missing")
  check(g:param_count() == 8 + 4 + 12 + 3, "param_count %d", g:param_count())
  g:metadata("rn.labels", "a,b,c")
  check(g:metadata("rn.labels") == "a,b,c", "metadata")
  check(tostring(g):match("^rn.Graph%('tiny_cnn', 5 nodes"), "graph tostring %s", tostring(g))
  check(g:name() == "tiny_cnn", "name")
end

---------------------------------------------------------------- several outputs, omitted inputs, domains
do
  local h = rn.graph { name = "split" }
  local x = h:input("x", { 4, 6 })
  local a, b = h:node("Split", { x }, { axis = 1 }, { outputs = 2 })
  check(a ~= b and h:value_info(a).shape[2] == 3, "Split outputs %s %s", a, b)
  local c1, c2 = h:node("Split", { x }, { axis = 0 }, { outputs = { "top", "bottom" } })
  check(c1 == "top" and c2 == "bottom", "named outputs")
  local lo = h:initializer("lo", rn.tensor(0.0))
  local cl = h:node("Clip", { a, lo, false })
  check(h:nodes()[3].inputs[3] == false, "omitted optional input")
  local sum = h:node("Add", { cl, b })
  h:output(sum, { c1 })
  check(same_list(h:outputs(), { sum, "top" }), "several outputs")
  local s = h:session()
  local xv = rn.tensor({ -1, 2, 3, 4, -5, 6, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2 }, { 4, 6 })
  local out = s:run { x = xv }
  check(same_list(out[sum]:totable()[1] and { out[sum]:get(1), out[sum]:get(2) } or {}, { 4, -3 }), "Clip+Add values")
  local msg = errmsg(function() h:node("Relu", { 1 }) end)
  check(msg and msg:find("input 1 must be a value name", 1, true), "bad input type: %s", msg)
end

---------------------------------------------------------------- save / load / load_weights
do
  local path = os.tmpname() .. ".onnx"
  local ok, err = pcall(g.save, g, path)
  check(ok, "g:save: %s", err)
  if ok then
    local g2 = rn.load(path)
    check(#g2:nodes() == 5 and same_list(g2:outputs(), { "logits" }), "loaded structure")
    check(g2:nodes()[5].attrs.transB == 1, "loaded attrs")
    check(g2:param_count() == g:param_count(), "loaded params")
    check(g2:metadata("rn.labels") == "a,b,c", "loaded metadata")
    local y = g2:session():run({ input = xin }).logits:totable()
    for i = 1, 6 do check(close(y[i], expected[i], 1e-4), "loaded logit %d", i) end
    -- load_weights from a file and from a graph
    local z = build(true)
    check(z:session():run({ input = xin }).logits:get(1) ~= y[1], "zero weights differ")
    local n = z:load_weights(path)
    check(n == 4, "load_weights count %d", n)
    local yz = z:session():run({ input = xin }).logits:totable()
    for i = 1, 6 do check(close(yz[i], expected[i], 1e-4), "load_weights logit %d", i) end
    local z2 = build(true)
    check(z2:load_weights(g) == 4, "load_weights from a graph")
    -- missing parameters: error unless partial
    local p = rn.graph { name = "partial" }
    local px = p:input("input", { 1, 2, 3, 3 })
    p:node("Conv", { px, p:initializer("conv.weight", rn.zeros { 4, 2, 1, 1 }), p:initializer("other.w", rn.zeros { 4 }) },
           { kernel_shape = { 1, 1 } })
    local msg = errmsg(p.load_weights, p, path)
    check(msg and msg:find("other.w", 1, true), "load_weights missing: %s", msg)
    check(p:get("conv.weight"):get(8) == 0, "failed load_weights changes nothing")
    check(p:load_weights(path, { partial = true }) == 1, "load_weights partial")
    check(p:get("conv.weight"):get(8) == 0.5, "partial copied")
    -- shape mismatch
    local q = rn.graph {}
    q:initializer("conv.weight", rn.zeros { 4, 2, 3, 3 })
    msg = errmsg(q.load_weights, q, path, { partial = true })
    check(msg and msg:find("[4,2,3,3]", 1, true), "load_weights shape: %s", msg)
    os.remove(path)
  end
  check(errmsg(rn.load, "/nonexistent/model.onnx"), "rn.load missing file")
end

---------------------------------------------------------------- images
do
  local dir = test_dir .. "/../../examples/digits/samples/"
  local f = io.open(dir .. "digit0_024.png", "rb")
  if f then
    f:close()
    local img = rn.image(dir .. "digit0_024.png", { size = 28, resize = 28, gray = true, normalize = false })
    check(same_list(img:shape(), { 1, 1, 28, 28 }) and img:dtype() == "float32", "rn.image gray")
    local lo, hi = 1, 0
    for _, v in ipairs(img:totable()) do lo = math.min(lo, v); hi = math.max(hi, v) end
    check(lo >= 0 and hi <= 1, "rn.image range")
    local rgb = rn.image(dir .. "digit0_024.png", { size = { 20, 24 } })
    check(same_list(rgb:shape(), { 1, 3, 20, 24 }), "rn.image rgb size")
  end
  check(errmsg(rn.image, "/nonexistent.png"), "rn.image missing file")
end

---------------------------------------------------------------- closed objects
do
  local h = rn.graph {}
  getmetatable(h).__close(h)
  check(errmsg(h.inputs, h):find("closed", 1, true), "closed graph")
  check(tostring(h) == "rn.Graph (closed)", "closed graph tostring")
end

io.write(string.format("%d checks, %d failures\n", checks, failures))
os.exit(failures == 0 and 0 or 1, true)
