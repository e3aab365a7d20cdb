-- must stop at the instruction budget, not hang
while true do end
