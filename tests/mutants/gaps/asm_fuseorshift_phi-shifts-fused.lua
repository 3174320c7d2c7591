-- A gap of tests/mutants_triage.txt, the mutant of asm_fuseorshift: without the canfuse() checks, BOR(BSHL,BSHR) is fused into
-- EXTR/ROR even when the shifts are loop-carried PHIs, so inside the loop the rotate is
-- recomputed from the pre-loop shift operand (first-iteration x) instead of using the previous
-- iteration's shifted values a, b. The loop-carried a, b make the shifts PHIs.
local bit = require("bit")
local lshift, rshift, bor, bxor = bit.lshift, bit.rshift, bit.bor, bit.bxor
local acc, sum = 0, 0
local a, b = 0, 0
for i = 1, 60 do
  local r = bor(a, b)
  acc = bxor(acc * 3, r)
  sum = sum + r
  local x = i * 0x1234567
  a, b = lshift(x, 8), rshift(x, 24)
end
local s = acc .. " " .. sum
print(s)
return s
