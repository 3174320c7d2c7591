-- A gap of tests/mutants_triage.txt, the mutant of asm_href: LSR #33 instead of #32 when taking the high word of a
-- variable number key, so the inlined hash (hi<<1 ^ lo ...) of non-integer float
-- keys is wrong and HREF misses present keys. The trace is recorded while the keys
-- are absent (nil HLOAD, no type guard to exit), so later present keys read as nil.
local t = {}
for i = 151, 200 do t[i + 0.5] = i end
local found, sum = 0, 0
for i = 1, 200 do
  local v = t[i + 0.5]
  if v ~= nil then found = found + 1; sum = sum + v end
end
local r = "found " .. found .. " sum " .. sum
print(r)
return r
