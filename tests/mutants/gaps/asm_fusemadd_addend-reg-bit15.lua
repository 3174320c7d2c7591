-- A gap of tests/mutants_triage.txt, the mutant of asm_fusemadd: the addend register is passed as (add & -1); FPRs are
-- numbered 32..63, so bit 5 of the number lands in bit 15 (o0) of the FMADD encoding and turns
-- c+a*b into c-a*b. The script enables jit.opt "+fma" and computes a*b+c, a*b-c with exact values.
jit.opt.start("+fma")
local out = {}
local function f(a, b, c) return a*b + c, a*b - c end
for i = 1, 100 do
  local x, y = f(i, 2.5, i + 0.5)
  out[#out+1] = x .. "," .. y
end
local s = table.concat(out, " ")
print(s)
return s
