-- A gap of tests/mutants_triage.txt, the mutant of asm_fuseopm: a 64-bit shift by a constant fused into an ADD must use
-- k & 63; the mutant keeps the full constant. A cdata shift count (65LL etc.) becomes a
-- KINT64 operand that FOLD never masks, so k = 65.. spills into the Rm field of the ADD.
local bit = require("bit")
local out = {}
local s = 0LL
for i = 1, 100 do
  local y = 0LL + i
  s = s + bit.lshift(y, 65LL) + bit.rshift(y, 66LL) - bit.arshift(-y, 67LL)
end
out[#out+1] = tostring(s)
local s = table.concat(out, " ")
print(s)
return s
