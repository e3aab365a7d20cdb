-- must stop at the memory budget, not exhaust the machine
local s = string.rep("x", 1 << 20)
while true do s = s .. s end
