-- Kills the asm_fuseopm mutant that drops the "op2 == int->i64 SEXT" test when fusing
-- a shifted CONV: BSHL(CONV i64.u32 x, 2) feeding an int64 ADD is then fused as
-- "add xd, xn, wx, sxtw #2", sign-extending a uint32 >= 2^31 instead of zero-extending.
local ffi = require("ffi")
local bit = require("bit")
local a = ffi.new("uint32_t[4]", 1, 0x7fffffff, 0x80000000, 0xfffffff0)
local out = {}
local s = 0LL
for i = 1, 80 do
  s = s + bit.lshift(ffi.cast("int64_t", a[i % 4]), 2)
  if i % 8 == 0 then out[#out + 1] = tostring(s) end
end
local r = table.concat(out, ",")
print(r)
return r
