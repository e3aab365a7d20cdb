-- none of these exist in restricted mode: each line must be a clean error
local ok1 = pcall(function() return io.open("/etc/passwd") end)
local ok2 = pcall(function() return os.execute("true") end)
local ok3 = pcall(function() return require("os") end)
local ok4 = pcall(function() return load("return 1") end)
assert(not ok1 and not ok2 and not ok3 and not ok4)
return 42
