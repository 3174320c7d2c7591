-- Kills s2-133 (asm_href: the "kk = (itype << 47) | gcref" line for constant GC-object
-- keys commented out). A constant string key t.foo on a table without "foo" while
-- recording gives HREF (not HREFK); the mutant compares node keys against an
-- uninitialized kk, so once "foo" is present (i > 70) the trace still answers nil.
local function fs(t) return t.foo end
local empty = {a = 1, b = 2}
local full = {a = 1, b = 2, foo = "F"}
local tabs, r = {}, {}
for i = 1, 100 do tabs[i] = i > 70 and full or empty end
for i = 1, 100 do r[#r+1] = tostring(fs(tabs[i])) end
local s = table.concat(r, " ")
print(s)
return s
