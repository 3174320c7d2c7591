-- Kills s2-064 (asm_intcomp: asm_swapops(blref, as, brref) with the arguments swapped).
-- "band(i, m) == 0" with both BAND operands variable reaches the and-cmp-tst combine,
-- where the mutant calls asm_swapops with the IR ref blref as the ASMState pointer:
-- brref is not a constant, so it reads as->ir through that bogus pointer and the JIT segfaults.
local band = bit.band
local r = {}
for i = 1, 100 do
  local m = (i % 7) + 1
  if band(i, m) == 0 then r[#r+1] = i end
end
local s = table.concat(r, ",")
print(s)
return s
