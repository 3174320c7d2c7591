-- Kills s2-102 (asm_setupresult: the CCI_CASTU64 result register is masked with 32, not 31).
-- math.random() is compiled as a call to lj_prng_u64d, whose double result comes back in x0
-- and is moved with FMOV dN, x0; with "& 32" the register number spills into the Rn field,
-- giving FMOV d0, x1, so the trace's random numbers are garbage. Seeded, so deterministic.
math.randomseed(42)
local out = {}
for i = 1, 100 do
  local r = math.random()
  out[#out+1] = string.format("%.6f", r + i)
end
local s = table.concat(out, " ")
print(s)
return s
