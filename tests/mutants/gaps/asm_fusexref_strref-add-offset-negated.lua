-- Kills s2-035 (asm_fusexref: STRREF(str, ADD(x,k)) fused as ldrb [str+x, #24-k]).
-- string.byte(s, i, i+2) on a non-constant string records STRREF(s, ADD(i-1, 1)) and
-- STRREF(s, ADD(i-1, 2)) with the ADD right before the STRREF; the mutant reads
-- bytes i-1, i-2 instead of i+1, i+2. i >= 3 keeps the wrong reads inside the string.
local t = {"abcdefghijklmnopqrstuvwxyz0123456789"}
local out = {}
for n = 1, 100 do
  local i = n % 30 + 3
  local s = t[1]
  local a, b, c = string.byte(s, i, i+2)
  out[#out+1] = string.char(a, b, c)
end
local r = table.concat(out, " ")
print(r)
return r
