-- pins: LuaJIT#1076
-- title: ARM64: a sign extension fused into a logical operand
-- fixed-by: 90742d91
-- fails-with: of a negative int in a loop
-- fails-on: luajit-src 210.4.8+resty107baaf
-- passes-on: luajit-src 210.5.0+becf5cc
-- Prose: bit.bor/bxor/band of a negative Lua integer with an int64 cdata.
-- The recorder widens the integer with a sign-extending CONV int->i64 that
-- feeds the 64-bit logical op. The faulty asm_fuseopm folds that extension
-- into the operand as an SXTW-extended register, which the ARM64 logical
-- instructions (ORR/EOR/AND, shifted-register form only) cannot encode: the
-- same bits mean a shifted/rotated 32-bit register there, so the sign
-- extension is lost and the result is garbage.
-- Three loops store their results and compare them afterwards.
local bit = require("bit")
jit.opt.start("hotloop=1")

local zero, ones, mask = 0LL, -1LL, 0x7fffffff00000000LL
local wrong = {}
local function check(what, t, want)
  for i = 1, #t do
    local w = want(i)
    if t[i] ~= w then
      wrong[#wrong + 1] = ("%s of a negative int in a loop: i=%d expected %s, got %s")
        :format(what, i, tostring(w), tostring(t[i]))
      return
    end
  end
end

local t1, t2, t3 = {}, {}, {}
for i = 1, 60 do t1[i] = bit.bor(-i, zero) end
for i = 1, 60 do t2[i] = bit.bxor(-i, ones) end
for i = 1, 60 do t3[i] = bit.band(-i, mask) end
check("bit.bor(-i, 0LL)", t1, function(i) return 0LL - i end)
check("bit.bxor(-i, -1LL)", t2, function(i) return 0LL + (i - 1) end)
check("bit.band(-i, 0x7fffffff00000000LL)", t3, function(i) return 0x7fffffff00000000LL end)
if #wrong > 0 then error(table.concat(wrong, "; ")) end
