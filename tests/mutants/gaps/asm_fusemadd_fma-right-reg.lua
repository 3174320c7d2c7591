-- A gap of tests/mutants_triage.txt, the mutant of asm_fusemadd: with jit.opt "+fma", x*y+z becomes FMADD; the mutant
-- encodes the multiplier's second register as (right & 1), i.e. d0/d1 instead of the
-- register holding y. Several live doubles force y into a register other than d0/d1.
jit.opt.start("+fma")
local out = {}
local a, b, c, d, e = 0.5, 1.25, -3, 7.75, 0
for i = 1, 100 do
  local x, y, z = a + i, b * i, c - i
  e = e + x * y + z * d
  a, b, c, d = b, c, d, a
end
out[#out+1] = string.format("%.17g", e)
local s = table.concat(out, " ")
print(s)
return s
