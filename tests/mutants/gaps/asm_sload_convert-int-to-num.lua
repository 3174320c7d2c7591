-- s2-184 (asm_sload): in dual-number mode a FOR loop with int start/stop/step
-- whose stop+step overflows int32 is recorded as a num loop, loading its int slots
-- with CONVERT SLOADs of type num; the mutant emits the num->int code for them
-- (garbage FPR, invalid insn), hit once the loop is re-entered with num slots.
local function f(a, b, s)
  local sum, n = 0, 0
  for i = a, b, s do sum = sum + (i - a); n = n + 1 end
  return sum .. "/" .. n
end
local out = {}
for k = 1, 12 do
  out[#out+1] = f(2147483647 - 80 - k, 2147483647, 1)
end
for k = 1, 4 do
  out[#out+1] = f(2147483647 - 80.5 - k, 2147483647, 1)
  out[#out+1] = f(2147483647 - 80 - k, 2147483647.5, 1)
end
local r = table.concat(out, " ")
print(r)
return r
