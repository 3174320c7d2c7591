-- A gap of tests/mutants_triage.txt, the mutant of asm_cnew ("args[2] = ir->op2" -> "args[3] = ...", then overwritten by
-- ASMREF_TMP1): for a VLA/VLS CNEW the size argument of lj_cdata_newv is left
-- uninitialised, so the assembler treats stack garbage as an IR ref (crash) or
-- passes a wrong size. The loop compiles ffi.new("int[?]", n) with a variable n.
local ffi = require("ffi")
local s = 0
for i = 1, 100 do
  local n = i % 7 + 1
  local a = ffi.new("int[?]", n)
  a[n-1] = i
  s = s + a[n-1] + a[0]
end
local r = tostring(s)
print(r)
return r
