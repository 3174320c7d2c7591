-- Kills s3-041 (asm_fuseorshift): the 64-bit EXTR fusion test becomes
-- rshift+lshift == 0, i.e. both shift counts 0. An int64 shift count 0LL
-- becomes a KINT64 that no fold rule removes (only 'any KINT' folds), so
-- bor(lshift(a,0LL), rshift(b,0LL)) reaches the backend and is fused into
-- EXTR dest, a, b, #0, which yields b alone instead of a|b.
local bit = require("bit")
local bor, lshift, rshift = bit.bor, bit.lshift, bit.rshift
local out = {}
for i = 1, 60 do
  local a = 0x100000000LL * i
  local b = 0LL + i
  out[#out + 1] = tostring(bor(lshift(a, 0LL), rshift(b, 0LL)))
end
local s = table.concat(out, ",")
print(s)
return s
