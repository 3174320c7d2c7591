-- pins: arm64-verify#fused-kint64-shift
-- fails-with: fused into another instruction in a loop
-- fails-on: luajit-src 210.7.4+c6ffc14
-- passes-on: luajit-src 210.6.4+e17ee83
-- Prose: the rest of LuaJIT#1480. Since f80b349d a 64-bit shift keeps an
-- int64 count as it is, so the count of a constant shift can be a KINT64.
-- acb22349 taught asm_bitshift to read such a count, but every place that
-- fuses a constant shift into another instruction still reads the KINT's
-- 32-bit field, which holds nothing for a KINT64: the shift amount comes out
-- as 0. A shifted operand of AND/EOR/ORN/ADD (asm_fuseopm), BAND of a shift
-- into UBFX (asm_fuseandshift), BOR of two shifts into EXTR
-- (asm_fuseorshift) and a BSHL under a BSHR (asm_bitshift's UBFM) each run
-- in a hot loop on a value the trace loads from a table. No published tree
-- has the fix (210.7.4 is the newest); trees before f80b349d convert the
-- count to int and pass. patches/extra/fused-kint64-shifts fixes it.
local bit = require("bit")
jit.opt.start("hotloop=1")

local box = { 0xffffffffULL, 0x123456789abcdef0ULL }
local wrong = {}
local function check(what, got, want)
  if got ~= want then
    wrong[#wrong + 1] = ("%s fused into another instruction in a loop: expected %s, got %s")
      :format(what, tostring(want), tostring(got))
  end
end

local function run(f)
  local r
  for _ = 1, 40 do r = f(box) end
  return r
end

check("bit.band(bit.rshift(x, 31LL), 0xff)", run(function(b) return bit.band(bit.rshift(b[1], 31LL), 0xffULL) end), 1ULL)
check("bit.bnot(bit.lshift(x, 4LL))", run(function(b) return bit.bnot(bit.lshift(b[1], 4LL)) end), 18446744004990074895ULL)
check("bit.bxor(x, bit.lshift(x, 40LL))", run(function(b) return bit.bxor(b[1], bit.lshift(b[1], 40LL)) end), 18446742978492891135ULL)
check("x + bit.lshift(y, 3LL)", run(function(b) return b[1] + bit.lshift(b[2], 3LL) end), 10494147744005289855ULL)
check("bit.rshift(bit.lshift(y, 32LL), 32)", run(function(b) return bit.rshift(bit.lshift(b[2], 32LL), 32) end), 2596069104ULL)
check("bit.bor(bit.lshift(y, 40LL), bit.rshift(y, 24LL))", run(function(b) return bit.bor(bit.lshift(b[2], 40LL), bit.rshift(b[2], 24LL)) end), 13609579084938377370ULL)
if #wrong > 0 then error(table.concat(wrong, "; ")) end
