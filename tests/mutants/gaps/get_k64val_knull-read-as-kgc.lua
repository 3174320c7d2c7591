-- A gap of tests/mutants_triage.txt, the mutant of get_k64val ("ir->o == IR_KGC" -> ">="): KNULL (and KPTR) now take the KGC
-- branch, so KNULL reads the 64-bit slot above it (the KINT64 7LL instruction word,
-- 0x00ff1d1500000000) instead of 0. The tab.meta == NULL guard keeps NULL (really 0) in
-- a register and emit_kdelta derives the constant 0x00ff1d14fffffff0 from it as
-- "sub rK, rNULL, #16", so the JIT adds -16 instead.
local t = {}
local a, b = 0LL, 0LL
for i = 1, 60 do
  b = b + 0xff1d14fffffff0LL
  a = a + 7LL
  t[i] = i
end
local r = tostring(a) .. " " .. tostring(b) .. " " .. #t .. " " .. t[60]
print(r)
return r
