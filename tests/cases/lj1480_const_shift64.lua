-- pins: LuaJIT#1480
-- title: Constant 64-bit shift counts read as 0
-- fixed-by: acb22349
-- fails-with: with a constant 64-bit count in a loop
-- fails-on: luajit-src 210.7.2+b925b3e
-- passes-on: luajit-src 210.7.3+1ee778a
-- Prose: bit.lshift/rshift/arshift/ror of an int64 value by a count that is
-- itself an int64 literal (37LL, 5LL, ...). The recorder keeps the count as a
-- KINT64 constant; the faulty ARM64 asm_bitshift reads the constant's 32-bit
-- field as for a KINT, so the shift amount it encodes is wrong (0: the value
-- comes back unshifted). Each operator runs in its own hot loop on a value the
-- trace loads from a table; results are compared with the interpreter's
-- values. bit.rol(x, 37LL) is kept as a control: it is folded into a rotate
-- right by a 32-bit constant and came out right on the faulty tree too.
local bit = require("bit")
jit.opt.start("hotloop=1")

local box = { 0xfffffffffffLL, -0xfffffffffffLL }
local wrong = {}
local function check(what, got, want)
  if got ~= want then
    wrong[#wrong + 1] = ("%s with a constant 64-bit count in a loop: expected %s, got %s")
      :format(what, tostring(want), tostring(got))
  end
end

local function run(f)
  local r
  for _ = 1, 40 do r = f(box) end
  return r
end

check("bit.lshift(x, 37LL)", run(function(b) return bit.lshift(b[1], 37LL) end), -137438953472LL)
check("bit.lshift(x, 5LL)", run(function(b) return bit.lshift(b[1], 5LL) end), 562949953421280LL)
check("bit.lshift(x, 63LL)", run(function(b) return bit.lshift(b[1], 63LL) end), -9223372036854775808LL)
check("bit.rshift(-x, 37LL)", run(function(b) return bit.rshift(b[2], 37LL) end), 134217600LL)
check("bit.rshift(-x, 1LL)", run(function(b) return bit.rshift(b[2], 1LL) end), 9223363240761753600LL)
check("bit.arshift(-x, 32LL)", run(function(b) return bit.arshift(b[2], 32LL) end), -4096LL)
check("bit.arshift(-x, 37LL)", run(function(b) return bit.arshift(b[2], 37LL) end), -128LL)
check("bit.rol(x, 37LL)", run(function(b) return bit.rol(b[1], 37LL) end), -137438822401LL)
check("bit.ror(x, 31LL)", run(function(b) return bit.ror(b[1], 31LL) end), -8589926401LL)
if #wrong > 0 then error(table.concat(wrong, "; ")) end
