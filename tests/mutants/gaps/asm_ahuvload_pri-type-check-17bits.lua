-- A gap of tests/mutants_triage.txt, the mutant of asm_ahuvload: the mutant type-checks nil/false/true loads like
-- GC types (only the top 17 bits). A raw FFI double 0xffff800000000001 has nil's
-- itype but is not the nil TValue: the interpreter's TGETS sees a non-nil value
-- (no __index), the base trace's nil guard exits, the mutant's passes -> __index.
local ffi = require("ffi")
local u = ffi.new("union { double d; uint64_t u; }")
u.u = 0xffff800000000001ULL
local t = setmetatable({}, {__index = {x = "idx"}})
t.x = u.d
local out = {}
for i = 1, 100 do out[#out + 1] = t.x == "idx" and "idx" or "raw" end
local s = table.concat(out, ",")
print(s)
return s
