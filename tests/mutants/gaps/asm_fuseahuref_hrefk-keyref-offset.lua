-- A gap of tests/mutants_triage.txt, the mutant of asm_fuseahuref: the mutant fuses HREFK as node+keyref*24 (the
-- key constant's IR ref) instead of node+slot*24. Constant refs sit near 0x8000,
-- so the offset only fits a load once ~32000 constant slots exist: raise
-- maxirconst, record a hot function with 1300 ADDs (so IR growbot never wraps;
-- main chunk kept out of the JIT) and 15950 KNUM/KSTR constants, then read
-- T.k777 from a full 2048-node table: the mutant loads another node's number.
jit.off(true, true)
jit.opt.start("maxirconst=32700", "maxrecord=40000", "hotloop=2")
local T = {}
for i = 1, 2048 do T["k" .. i] = i end
local src = { "return function(T, x, y) local z" }
for j = 1, 1300 do src[#src + 1] = "x = x + y" end
for j = 1, 7975 do src[#src + 1] = ("z = %d.5; z = 's%d'"):format(j, j) end
src[#src + 1] = "return x + T.k777 end"
local g = assert(load(table.concat(src, "\n")))()
local r = {}
for i = 1, 20 do r[i] = g(T, i, 0.25) end
local s = table.concat(r, ",")
print(s)
return s
