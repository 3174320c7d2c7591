-- Kills s3-023 (emit_dnma `A64F_N(rn) & A64F_M(rm)`): the two register fields do not
-- overlap, so the mutant encodes Rn = Rm = 0 and every FMADD/FMSUB emitted with
-- jit.opt "+fma" computes d0*d0 +- a instead of x*y +- a. Several live doubles keep
-- the multiplier operands out of d0.
jit.opt.start("+fma")
local out = {}
local a, b, c, e = 0.5, 1.25, -3, 0
for i = 1, 100 do
  local x, y = a + i, b * i
  e = e + x * y - c
  a, b, c = b, c, a
end
out[#out+1] = string.format("%.17g", e)
local s = table.concat(out, " ")
print(s)
return s
