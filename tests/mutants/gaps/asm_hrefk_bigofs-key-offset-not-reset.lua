-- Kills s2-042 (asm_hrefk: kofs not reset to offsetof(Node,key) when the slot offset is big).
-- Key K sits in hash slot 4095 of a 4096-slot table (ofs 98280 > LDR range), so the mutant's
-- key check uses the raw offset, truncated to a 9-bit LDUR (-16): it checks node[4094].key.
-- Table B has K at slot 4094 and another key in 4095: the mutant's guard passes and it
-- returns slot 4095's value ("x") instead of exiting; the base reads "k".
local tnew = require("table.new")
local K, C, X = 1238.5, 4519.5, 1752.5  -- K, C hash to slot 4094; X to slot 4095
local A = tnew(0, 4096); A[C] = "c"; A[K] = "a"   -- K collides, goes to free slot 4095
local B = tnew(0, 4096); B[K] = "k"; B[X] = "x"   -- K in its main slot 4094
local function f(t) return t[1238.5] end
local tabs, out = {}, {}
for i = 1, 120 do tabs[i] = i <= 80 and A or B end
for i = 1, 120 do
  local t = tabs[i]
  out[#out+1] = tostring(f(t))
end
local s = table.concat(out, "")
print(s)
return s
