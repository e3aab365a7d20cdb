-- The error corpus (errors/*.lua) through the stock interpreter: every script
-- fails with a message that names the script and the line marked "-- <error",
-- and contains the text of its "-- expect:" header. No crash.
-- Usage: lua5.4 test_errors.lua TEST_DIR   (LUA_CPATH finds build/lua/rn.so)
local dir = assert(arg[1], "usage: test_errors.lua TEST_DIR")
local names = {
  "syntax", "unknown_op", "wrong_shape", "wrong_attr_type", "missing_input",
  "undefined_value", "bad_dtype", "lua_error", "nn_channels",
}

local function expectations(path)
  local expect, line, n = nil, nil, 0
  for l in io.lines(path) do
    n = n + 1
    expect = expect or l:match("^%-%- expect: (.*)$")
    if l:find("-- <error", 1, true) then line = n end
  end
  return expect, line
end

local failures = 0
for _, name in ipairs(names) do
  local path = dir .. "/errors/" .. name .. ".lua"
  local expect, line = expectations(path)
  local chunk, msg = loadfile(path)
  local ok = false
  if chunk then ok, msg = pcall(chunk) end
  msg = tostring(msg)
  local where = name .. ".lua:" .. line .. ":"
  if ok then
    print("FAIL " .. name .. ": no error")
    failures = failures + 1
  elseif not msg:find(where, 1, true) or not msg:find(expect, 1, true) then
    print(string.format("FAIL %s: expected '%s' and '%s' in:\n  %s", name, where, expect, msg))
    failures = failures + 1
  else
    print("ok   " .. name .. ": " .. msg)
  end
end
print(string.format("%d scripts, %d failures", #names, failures))
os.exit(failures == 0 and 0 or 1, true)
