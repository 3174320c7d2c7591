-- A gap of tests/mutants_triage.txt, the mutant of get_k64val (KPTR test "==" -> ">="): KNULL now reads ir_kptr(), i.e.
-- the IR slot above it (here the KINT64 5LL instruction word = 0x00ff1d1500000000),
-- instead of 0. The mutant keeps NULL (t[i] metatable check) in a register, and
-- emit_kdelta then loads K = that word + 1 as "add rK, rNULL, #1", so y grows by 1.
local ffi = require("ffi")
local t = {}
local x, y = 0LL, 0LL
for i = 1, 100 do
  y = y + 0xff1d1500000001LL
  x = x + 5LL
  t[i] = i
end
local r = tostring(x) .. " " .. tostring(y) .. " " .. #t
print(r)
return r
