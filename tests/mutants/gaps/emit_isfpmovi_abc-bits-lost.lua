-- Kills s2-124 (emit_isfpmovi: abc bits shifted <<1 instead of <<6).
-- -2^1009 is 0xff00000000000000: not an FMOV immediate, but every byte is 0x00/0xff,
-- so a trace loads this constant into an FPR with MOVI; its top 3 immediate bits
-- (abc) are non-zero, so the mutant's MOVI builds a wrong value.
local a = {0.5, 0.25, 1.5, 2.5, 0.125}
local out = {}
for i = 1, 100 do
  local v = a[(i % 5) + 1] * (-2^1009)
  out[#out+1] = string.format("%.17g", v)
end
local s = table.concat(out, " ", 1, 5) .. " " .. out[100]
print(s)
return s
