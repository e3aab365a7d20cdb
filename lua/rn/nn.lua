-- rn.nn: building blocks of ResNet and EfficientNet, written against the `rn` module
-- (lua/API.md).  Every block adds ONNX nodes to a graph and names its parameters exactly
-- as torchvision's state_dict does, so that the initializers of a torchvision model exported
-- with `torch.onnx.export(..., training=TrainingMode.PRESERVE)` load one to one with
-- `g:load_weights`.
--
--   local rn = require "rn"
--   local nn = require "rn.nn"
--   local g = nn.resnet(18)                      -- input "input" [N,3,224,224] -> "logits"
--   local g = nn.efficientnet("b3")              -- [N,3,300,300]
--   local g = rn.graph{name = "mine"}            -- or blocks one by one:
--   local x = g:input("input", {"N", 3, 32, 32})
--   x = nn.conv_bn(g, x, "stem", 3, 16, 3, 1, 1, "relu")
--   x = nn.basic_block(g, x, "layer1.0", 16, 32, 2)
--
-- Blocks return the name of their output value (and, where useful, its channel count).
-- New parameters are initialized as torchvision does (seeded): convolutions Kaiming normal
-- (fan_out, gain sqrt 2), BatchNorm weight 1 / bias 0 / running mean 0 / running var 1,
-- Linear as each model's constructor does.  `nn.init(g, {seed = s, init = "zeros"})` sets
-- the seed, or skips the random draw (all-zero weights: fast, for counting parameters).

local rn = require "rn"

local nn = {}

-- Lua errors raised here point at the user's script: the first stack frame outside this
-- file (and outside C functions).
local dbg = rawget(_G, "debug")
local THIS = dbg and dbg.getinfo(1, "S").source or "@rn/nn.lua"

local function fail(fmt, ...)
  local msg = string.format(fmt, ...)
  if dbg then
    for level = 2, 64 do
      local info = dbg.getinfo(level, "Sl")
      if not info then break end
      if info.source ~= THIS and info.what ~= "C" and info.currentline and info.currentline > 0 then
        error(string.format("%s:%d: %s", info.short_src, info.currentline, msg), 0)
      end
    end
  end
  error(msg, 3)
end

local function check_int(v, what, min)
  if math.type(v) ~= "integer" and not (type(v) == "number" and v == math.floor(v)) then
    fail("%s must be an integer, got %s", what, tostring(v))
  end
  v = math.tointeger(v)
  if min and v < min then fail("%s must be >= %d, got %d", what, min, v) end
  return v
end

local function check_graph(g, fn)
  if type(g) ~= "userdata" and type(g) ~= "table" then
    fail("nn.%s: argument 1 must be an rn graph, got %s", fn, type(g))
  end
end

local function check_value(x, fn)
  if type(x) ~= "string" then
    fail("nn.%s: argument 2 must be a value name (string), got %s", fn, type(x))
  end
end

---------------------------------------------------------------------------------------
-- Parameter initialization
---------------------------------------------------------------------------------------

-- Per-graph settings: seed, init mode ("he" or "zeros"), BatchNorm epsilon.
local settings = setmetatable({}, { __mode = "k" })

local function cfg_of(g)
  local s = settings[g]
  if not s then
    s = { seed = 0, init = "he", eps = 1e-5 }
    settings[g] = s
  end
  return s
end

--- nn.init(g, opts): opts.seed (integer), opts.init ("he" | "zeros"), opts.eps (default
--- BatchNorm epsilon of later blocks).  Returns g.
function nn.init(g, opts)
  check_graph(g, "init")
  local s = cfg_of(g)
  opts = opts or {}
  if opts.seed ~= nil then s.seed = check_int(opts.seed, "seed") end
  if opts.init ~= nil then
    if opts.init ~= "he" and opts.init ~= "zeros" then
      fail("nn.init: init must be \"he\" or \"zeros\", got %s", tostring(opts.init))
    end
    s.init = opts.init
  end
  if opts.eps ~= nil then s.eps = opts.eps end
  return g
end

-- Seed of one tensor: from the graph's seed and the parameter's name, so a parameter gets
-- the same values whatever order the graph is built in.
local function name_seed(base, name)
  local h = 5381
  for i = 1, #name do h = (h * 33 + name:byte(i)) % 2147483629 end
  return (h + base * 1000003) % 2147483629
end

local function numel(shape)
  local n = 1
  for _, d in ipairs(shape) do n = n * d end
  return n
end

local function scaled(t, shape, mul, add)
  local v = t:totable()
  for i = 1, #v do v[i] = v[i] * mul + add end
  return rn.tensor(v, shape)
end

-- kind: "normal" (std = a), "uniform" (U(-a, a)), "ones", "zeros".
local function param(g, name, shape, kind, a)
  local s = cfg_of(g)
  local t
  if kind == "zeros" or (s.init == "zeros" and kind ~= "ones") then
    t = rn.zeros(shape)
  elseif kind == "ones" then
    t = rn.full(shape, 1.0)
  elseif kind == "normal" then
    t = scaled(rn.randn(shape, name_seed(s.seed, name)), shape, a, 0.0)
  elseif kind == "uniform" then
    t = scaled(rn.rand(shape, name_seed(s.seed, name)), shape, 2 * a, -a)
  else
    error("rn.nn: unknown init kind " .. tostring(kind))
  end
  return g:initializer(name, t)
end

---------------------------------------------------------------------------------------
-- Layers (one torch module each)
---------------------------------------------------------------------------------------

--- nn.conv2d(g, x, name, cin, cout, k, stride?, groups?, opts?) -> value
--- Conv with weight `name.weight` [cout, cin/groups, k, k] (and `name.bias` if opts.bias),
--- padding (k-1)/2 unless opts.pad.
function nn.conv2d(g, x, name, cin, cout, k, stride, groups, opts)
  check_graph(g, "conv2d"); check_value(x, "conv2d")
  opts = opts or {}
  cin = check_int(cin, "conv2d: cin", 1)
  cout = check_int(cout, "conv2d: cout", 1)
  k = check_int(k, "conv2d: kernel size", 1)
  stride = check_int(stride or 1, "conv2d: stride", 1)
  groups = check_int(groups or 1, "conv2d: groups", 1)
  if cin % groups ~= 0 or cout % groups ~= 0 then
    fail("nn.conv2d '%s': channels %d -> %d not divisible by groups %d", name, cin, cout, groups)
  end
  local pad = opts.pad or (k - 1) // 2
  local shape = { cout, cin // groups, k, k }
  -- torch.nn.init.kaiming_normal_(mode="fan_out"): fan_out = cout * k * k.
  local w = param(g, name .. ".weight", shape, "normal", math.sqrt(2.0 / (cout * k * k)))
  local inputs = { x, w }
  if opts.bias then inputs[3] = param(g, name .. ".bias", { cout }, "zeros") end
  return g:node("Conv", inputs, {
    kernel_shape = { k, k }, strides = { stride, stride }, pads = { pad, pad, pad, pad },
    dilations = { 1, 1 }, group = groups,
  }, { name = name })
end

--- nn.batchnorm(g, x, name, ch, eps?) -> value (inference BatchNormalization, kept unfolded)
function nn.batchnorm(g, x, name, ch, eps)
  check_graph(g, "batchnorm"); check_value(x, "batchnorm")
  ch = check_int(ch, "batchnorm: channels", 1)
  eps = eps or cfg_of(g).eps
  local c = { ch }
  local inputs = {
    x,
    param(g, name .. ".weight", c, "ones"),
    param(g, name .. ".bias", c, "zeros"),
    param(g, name .. ".running_mean", c, "zeros"),
    param(g, name .. ".running_var", c, "ones"),
  }
  return g:node("BatchNormalization", inputs, { epsilon = rn.float(eps) }, { name = name })
end

--- nn.act(g, x, act, name) -> value; act: "relu", "silu" (Sigmoid + Mul, as torch exports
--- nn.SiLU), "sigmoid", or nil/false (identity).
function nn.act(g, x, act, name)
  if not act then return x end
  if act == "relu" then
    return g:node("Relu", { x }, nil, { name = name })
  elseif act == "sigmoid" then
    return g:node("Sigmoid", { x }, nil, { name = name })
  elseif act == "silu" or act == "swish" then
    local s = g:node("Sigmoid", { x }, nil, { name = name .. ".sigmoid" })
    return g:node("Mul", { x, s }, nil, { name = name })
  end
  fail("unknown activation '%s' (relu, silu, sigmoid)", tostring(act))
end

--- nn.linear(g, x, name, fin, fout, opts?) -> value: Gemm(x, name.weight [fout, fin],
--- name.bias, transB=1).  opts.init: "torch" (nn.Linear's default, U(+-1/sqrt(fin)) for
--- both) or "efficientnet" (U(+-1/sqrt(fout)) weight, zero bias).
function nn.linear(g, x, name, fin, fout, opts)
  check_graph(g, "linear"); check_value(x, "linear")
  fin = check_int(fin, "linear: in features", 1)
  fout = check_int(fout, "linear: out features", 1)
  opts = opts or {}
  local w, b
  if opts.init == "efficientnet" then
    w = param(g, name .. ".weight", { fout, fin }, "uniform", 1 / math.sqrt(fout))
    b = param(g, name .. ".bias", { fout }, "zeros")
  else
    w = param(g, name .. ".weight", { fout, fin }, "uniform", 1 / math.sqrt(fin))
    b = param(g, name .. ".bias", { fout }, "uniform", 1 / math.sqrt(fin))
  end
  return g:node("Gemm", { x, w, b }, { transB = 1 }, { name = name, outputs = opts.outputs })
end

-- GlobalAveragePool -> Flatten -> Gemm (the classifier head); the output is named `out`.
local function head(g, x, name, fin, fout, out, init)
  x = g:node("GlobalAveragePool", { x }, nil, { name = "avgpool" })
  x = g:node("Flatten", { x }, { axis = 1 }, { name = "flatten" })
  return nn.linear(g, x, name, fin, fout, { init = init, outputs = { out } })
end

---------------------------------------------------------------------------------------
-- Blocks
---------------------------------------------------------------------------------------

--- nn.conv_bn(g, x, prefix, cin, cout, k, stride?, groups?, act?, opts?) -> value
--- torchvision's Conv2dNormActivation: `prefix.0` Conv (no bias), `prefix.1` BatchNorm,
--- then the activation.  opts.conv / opts.bn override the two names (ResNet's stem uses
--- "conv1" and "bn1"), opts.eps the BatchNorm epsilon.
function nn.conv_bn(g, x, prefix, cin, cout, k, stride, groups, act, opts)
  check_graph(g, "conv_bn"); check_value(x, "conv_bn")
  opts = opts or {}
  local cname = opts.conv or (prefix .. ".0")
  local bname = opts.bn or (prefix .. ".1")
  x = nn.conv2d(g, x, cname, cin, cout, k, stride, groups)
  x = nn.batchnorm(g, x, bname, cout, opts.eps)
  return nn.act(g, x, act, opts.act_name or (prefix .. ".act"))
end

-- The projection shortcut of ResNet blocks: `prefix.downsample.0` (1x1 conv, stride) and
-- `prefix.downsample.1` (BatchNorm).
local function downsample(g, x, prefix, cin, cout, stride)
  return nn.conv_bn(g, x, prefix .. ".downsample", cin, cout, 1, stride, 1, nil)
end

local function join(prefix, s)
  if prefix == nil or prefix == "" then return s end
  return prefix .. "." .. s
end

--- nn.basic_block(g, x, prefix, cin, cout, stride?) -> value, cout
--- ResNet-18/34: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)); the shortcut is
--- a 1x1 projection (`downsample`) when the stride or the width changes.
function nn.basic_block(g, x, prefix, cin, cout, stride)
  check_graph(g, "basic_block"); check_value(x, "basic_block")
  stride = stride or 1
  local p = function(s) return join(prefix, s) end
  local y = nn.conv_bn(g, x, prefix, cin, cout, 3, stride, 1, "relu",
    { conv = p "conv1", bn = p "bn1", act_name = p "relu1" })
  y = nn.conv_bn(g, y, prefix, cout, cout, 3, 1, 1, nil, { conv = p "conv2", bn = p "bn2" })
  local identity = x
  if stride ~= 1 or cin ~= cout then identity = downsample(g, x, prefix, cin, cout, stride) end
  y = g:node("Add", { y, identity }, nil, { name = p "add" })
  return g:node("Relu", { y }, nil, { name = p "relu" }), cout
end

nn.bottleneck_expansion = 4

--- nn.bottleneck(g, x, prefix, cin, planes, stride?, opts?) -> value, cout (= 4 * planes)
--- ResNet-50/101/152 (torchvision's v1.5: the stride is on the 3x3 conv): 1x1 reduce to
--- width = floor(planes * base_width / 64) * groups, 3x3 (grouped), 1x1 expand to
--- 4 * planes, plus the shortcut.  opts: groups (1), base_width (64).
function nn.bottleneck(g, x, prefix, cin, planes, stride, opts)
  check_graph(g, "bottleneck"); check_value(x, "bottleneck")
  opts = opts or {}
  stride = stride or 1
  planes = check_int(planes, "bottleneck: planes", 1)
  local groups = opts.groups or 1
  local width = math.floor(planes * ((opts.base_width or 64) / 64.0)) * groups
  local cout = planes * nn.bottleneck_expansion
  local p = function(s) return join(prefix, s) end
  local y = nn.conv_bn(g, x, prefix, cin, width, 1, 1, 1, "relu",
    { conv = p "conv1", bn = p "bn1", act_name = p "relu1" })
  y = nn.conv_bn(g, y, prefix, width, width, 3, stride, groups, "relu",
    { conv = p "conv2", bn = p "bn2", act_name = p "relu2" })
  y = nn.conv_bn(g, y, prefix, width, cout, 1, 1, 1, nil, { conv = p "conv3", bn = p "bn3" })
  local identity = x
  if stride ~= 1 or cin ~= cout then identity = downsample(g, x, prefix, cin, cout, stride) end
  y = g:node("Add", { y, identity }, nil, { name = p "add" })
  return g:node("Relu", { y }, nil, { name = p "relu" }), cout
end

--- nn.squeeze_excite(g, x, prefix, ch, squeeze_ch, act?) -> value
--- torchvision's SqueezeExcitation: s = sigmoid(fc2(act(fc1(avgpool(x))))), out = x * s,
--- with fc1/fc2 1x1 convolutions with bias (`prefix.fc1.weight` [squeeze_ch, ch, 1, 1] ...).
--- act defaults to "relu" (torchvision's default; MBConv uses "silu").
function nn.squeeze_excite(g, x, prefix, ch, squeeze_ch, act)
  check_graph(g, "squeeze_excite"); check_value(x, "squeeze_excite")
  local p = function(s) return join(prefix, s) end
  local s = g:node("GlobalAveragePool", { x }, nil, { name = p "avgpool" })
  s = nn.conv2d(g, s, p "fc1", ch, squeeze_ch, 1, 1, 1, { bias = true })
  s = nn.act(g, s, act or "relu", p "activation")
  s = nn.conv2d(g, s, p "fc2", squeeze_ch, ch, 1, 1, 1, { bias = true })
  s = g:node("Sigmoid", { s }, nil, { name = p "scale_activation" })
  return g:node("Mul", { x, s }, nil, { name = p "scale" })
end

--- nn.make_divisible(v, divisor?, min_value?) -> integer: torchvision's _make_divisible
--- (round to the nearest multiple of divisor, never below min_value or 90% of v).
function nn.make_divisible(v, divisor, min_value)
  divisor = divisor or 8
  min_value = min_value or divisor
  local new_v = math.max(min_value, (math.floor(v + divisor / 2) // divisor) * divisor)
  if new_v < 0.9 * v then new_v = new_v + divisor end
  return math.tointeger(new_v)
end

--- nn.mbconv(g, x, prefix, cfg) -> value, cout
--- EfficientNet's MBConv.  cfg: cin, cout, expand_ratio (1, 4, 6 ...), kernel (3 or 5),
--- stride (1 or 2), se_ratio (0.25 of cin, as torchvision; 0/false = no SE), act ("silu"),
--- eps.  Layers are numbered as torchvision's `block` Sequential: `prefix.block.0` expand
--- (absent when expand_ratio gives cin), then depthwise, SE (fc1/fc2), project (no
--- activation); residual add when stride 1 and cin == cout.
function nn.mbconv(g, x, prefix, cfg)
  check_graph(g, "mbconv"); check_value(x, "mbconv")
  if type(cfg) ~= "table" then fail("nn.mbconv: cfg must be a table") end
  local cin = check_int(cfg.cin, "mbconv: cfg.cin", 1)
  local cout = check_int(cfg.cout, "mbconv: cfg.cout", 1)
  local stride = check_int(cfg.stride or 1, "mbconv: cfg.stride", 1)
  local kernel = check_int(cfg.kernel or 3, "mbconv: cfg.kernel", 1)
  local ratio = cfg.expand_ratio or 1
  local se_ratio = cfg.se_ratio
  if se_ratio == nil then se_ratio = 0.25 end
  local act = cfg.act or "silu"
  if stride ~= 1 and stride ~= 2 then fail("nn.mbconv: illegal stride %d", stride) end
  local expanded = nn.make_divisible(cin * ratio, 8)
  local i = 0
  local function layer() local n = join(prefix, "block." .. i); i = i + 1; return n end
  local y = x
  if expanded ~= cin then
    y = nn.conv_bn(g, y, layer(), cin, expanded, 1, 1, 1, act, { eps = cfg.eps })
  end
  y = nn.conv_bn(g, y, layer(), expanded, expanded, kernel, stride, expanded, act, { eps = cfg.eps })
  if se_ratio and se_ratio > 0 then
    local squeeze = math.max(1, math.floor(cin * se_ratio))
    y = nn.squeeze_excite(g, y, layer(), expanded, squeeze, act)
  end
  y = nn.conv_bn(g, y, layer(), expanded, cout, 1, 1, 1, nil, { eps = cfg.eps })
  if stride == 1 and cin == cout then
    y = g:node("Add", { y, x }, nil, { name = join(prefix, "add") })
  end
  return y, cout
end

---------------------------------------------------------------------------------------
-- Models
---------------------------------------------------------------------------------------

-- The ResNet table (He et al.; torchvision): block type and blocks per stage.
nn.resnet_configs = {
  [18] = { block = "basic", layers = { 2, 2, 2, 2 } },
  [34] = { block = "basic", layers = { 3, 4, 6, 3 } },
  [50] = { block = "bottleneck", layers = { 3, 4, 6, 3 } },
  [101] = { block = "bottleneck", layers = { 3, 4, 23, 3 } },
  [152] = { block = "bottleneck", layers = { 3, 8, 36, 3 } },
}

local function new_graph(name, opts, eps)
  local g = rn.graph { name = name, opset = opts.opset or 17 }
  nn.init(g, { seed = opts.seed or 0, init = opts.init or "he", eps = eps })
  return g
end

--- nn.resnet(depth, opts?) -> graph.  depth 18/34/50/101/152; opts: num_classes (1000),
--- groups (1), width_per_group (64), name ("resnet<depth>"), resolution (224), batch
--- ("N"), seed, init ("he" | "zeros"), opset (17).  Input "input" [N,3,224,224], output
--- "logits" [N,num_classes].
function nn.resnet(depth, opts)
  opts = opts or {}
  local conf = nn.resnet_configs[depth]
  if not conf then
    fail("nn.resnet: depth must be 18, 34, 50, 101 or 152, got %s", tostring(depth))
  end
  local res = opts.resolution or 224
  local g = new_graph(opts.name or ("resnet" .. depth), opts, 1e-5)
  local x = g:input("input", { opts.batch or "N", 3, res, res })
  x = nn.conv_bn(g, x, "", 3, 64, 7, 2, 1, "relu", { conv = "conv1", bn = "bn1", act_name = "relu" })
  x = g:node("MaxPool", { x }, { kernel_shape = { 3, 3 }, strides = { 2, 2 }, pads = { 1, 1, 1, 1 } },
    { name = "maxpool" })
  local c = 64
  local bopts = { groups = opts.groups or 1, base_width = opts.width_per_group or 64 }
  for stage, n in ipairs(conf.layers) do
    local planes = 64 << (stage - 1)
    for b = 0, n - 1 do
      local prefix = string.format("layer%d.%d", stage, b)
      local stride = (b == 0 and stage > 1) and 2 or 1
      if conf.block == "basic" then
        x, c = nn.basic_block(g, x, prefix, c, planes, stride)
      else
        x, c = nn.bottleneck(g, x, prefix, c, planes, stride, bopts)
      end
    end
  end
  head(g, x, "fc", c, opts.num_classes or 1000, "logits", "torch")
  g:output("logits")
  return g
end

-- EfficientNet-B0's stage table (Tan & Le, Table 1; torchvision's bneck_conf):
-- expand ratio, kernel, stride, input channels, output channels, layers.
nn.efficientnet_b0_stages = {
  { 1, 3, 1, 32, 16, 1 },
  { 6, 3, 2, 16, 24, 2 },
  { 6, 5, 2, 24, 40, 2 },
  { 6, 3, 2, 40, 80, 3 },
  { 6, 5, 1, 80, 112, 3 },
  { 6, 5, 2, 112, 192, 4 },
  { 6, 3, 1, 192, 320, 1 },
}

-- Compound scaling coefficients (width, depth), input resolution and BatchNorm epsilon
-- of torchvision's efficientnet_b0 .. b7.
nn.efficientnet_variants = {
  b0 = { width = 1.0, depth = 1.0, resolution = 224, eps = 1e-5 },
  b1 = { width = 1.0, depth = 1.1, resolution = 240, eps = 1e-5 },
  b2 = { width = 1.1, depth = 1.2, resolution = 288, eps = 1e-5 },
  b3 = { width = 1.2, depth = 1.4, resolution = 300, eps = 1e-5 },
  b4 = { width = 1.4, depth = 1.8, resolution = 380, eps = 1e-5 },
  b5 = { width = 1.6, depth = 2.2, resolution = 456, eps = 1e-3 },
  b6 = { width = 1.8, depth = 2.6, resolution = 528, eps = 1e-3 },
  b7 = { width = 2.0, depth = 3.1, resolution = 600, eps = 1e-3 },
}

--- nn.efficientnet_config(variant) -> { stages = { {expand_ratio=, kernel=, stride=,
--- cin=, cout=, layers=}, ... }, stem = channels, last = channels, resolution =, eps = }
--- Channels are _make_divisible(c * width, 8), layers ceil(n * depth), as torchvision.
local function variant_name(variant)
  local v = type(variant) == "string" and variant:lower():gsub("^efficientnet_", "") or variant
  if not nn.efficientnet_variants[v] then return nil end
  return v
end

function nn.efficientnet_config(variant)
  local v = variant_name(variant)
  if not v then fail("nn.efficientnet_config: unknown variant '%s' (b0 .. b7)", tostring(variant)) end
  local p = nn.efficientnet_variants[v]
  local conf = { stages = {}, resolution = p.resolution, eps = p.eps, width = p.width, depth = p.depth }
  for i, s in ipairs(nn.efficientnet_b0_stages) do
    conf.stages[i] = {
      expand_ratio = s[1], kernel = s[2], stride = s[3],
      cin = nn.make_divisible(s[4] * p.width, 8),
      cout = nn.make_divisible(s[5] * p.width, 8),
      -- ceil(n * depth) in floating point, as torchvision's int(math.ceil(...))
      layers = math.tointeger(math.ceil(s[6] * p.depth)),
    }
  end
  conf.stem = conf.stages[1].cin
  conf.last = 4 * conf.stages[#conf.stages].cout
  return conf
end

--- nn.efficientnet(variant, opts?) -> graph.  variant "b0" .. "b7"; opts: num_classes,
--- name, resolution (default the variant's), batch ("N"), seed, init, opset.  Dropout and
--- stochastic depth do nothing at inference and are left out.
function nn.efficientnet(variant, opts)
  opts = opts or {}
  local v = variant_name(variant)
  if not v then fail("nn.efficientnet: unknown variant '%s' (b0 .. b7)", tostring(variant)) end
  local conf = nn.efficientnet_config(v)
  local res = opts.resolution or conf.resolution
  local g = new_graph(opts.name or ("efficientnet_" .. v), opts, conf.eps)
  local x = g:input("input", { opts.batch or "N", 3, res, res })
  x = nn.conv_bn(g, x, "features.0", 3, conf.stem, 3, 2, 1, "silu")
  for si, st in ipairs(conf.stages) do
    for b = 0, st.layers - 1 do
      x = nn.mbconv(g, x, string.format("features.%d.%d", si, b), {
        cin = b == 0 and st.cin or st.cout, cout = st.cout,
        expand_ratio = st.expand_ratio, kernel = st.kernel,
        stride = b == 0 and st.stride or 1, se_ratio = 0.25,
      })
    end
  end
  local n = #conf.stages + 1
  x = nn.conv_bn(g, x, "features." .. n, conf.stages[#conf.stages].cout, conf.last, 1, 1, 1, "silu")
  head(g, x, "classifier.1", conf.last, opts.num_classes or 1000, "logits", "efficientnet")
  g:output("logits")
  return g
end

return nn
