-- A gap of tests/mutants_triage.txt, the mutant of get_k64val (KPTR/KKPTR branch commented out): KPTR constants then fall
-- into the KINT branch and read as (uint32_t)ir->i, which is 0 for GC64 KPTR. Comparing
-- a pointer with the folded constant pointer s+3 (s: constified int[4] upvalue) is then
-- compiled as a compare against 0 (cbz/cbnz), so p == s+3 is never true on trace.
local ffi = require("ffi")
local function mk()
  local s = ffi.new("int[4]", 10, 11, 12, 13)
  return function(i) local p = s + (i % 4); return p == s + 3 end
end
local g = mk()
local acc = {}
for i = 1, 100 do
  acc[#acc+1] = g(i) and "y" or "n"
end
local r = table.concat(acc, ",")
print(r)
return r
