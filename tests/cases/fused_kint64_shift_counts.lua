-- pins: arm64-verify#fused-kint64-shift
-- title: ARM64: 64-bit constant shift counts read as 0 where a shift is fused into another instruction
-- fixed-by: patches/extra/fused-kint64-shifts
-- fails-with: fused into another instruction in a loop
-- fails-on: luajit-src 210.7.4+c6ffc14
-- passes-on: luajit-src 210.6.4+e17ee83
-- Prose: a follow-up to LuaJIT#1480. Since f80b349d a 64-bit shift keeps
-- an int64 count as it is, so a constant count can be a KINT64, whose
-- value is not in the instruction's 32-bit field (lj_ir_k64() leaves op12
-- 0), and no FOLD rule turns it into a KINT. acb22349 (#1480) made
-- asm_bitshift() in src/lj_asm_arm64.h read such a count, but every place
-- that fuses a constant shift into another instruction still reads
-- IR(ref)->i and gets 0: asm_fuseopm() (shifted and rotated operands, lines
-- 247 and 262 in v2.1 at 1ee778a4), asm_fusexref() (a scaled index, line
-- 291), asm_fuseandshift() (line 385), asm_fuseorshift() (line 416) and
-- the inner count of asm_bitshift() (line 1560); the line numbers are the
-- same in luajit-src 210.7.4. In a hot loop on a value loaded from a table,
-- bit.band(bit.rshift(x, 31LL), 0xffULL) gives 255ULL, not 1ULL: -jdump=mr
-- shows `ubfx x0, x3, #0, #8` where `ubfx x0, x3, #31, #8` is expected;
-- bit.bxor(x, bit.ror(x, 8LL)) gives 0 from `eor x0, x0, x0` (no `ror #8`);
-- a byte load from p + bit.lshift(k, 2LL) loads p[k] through
-- `ldrb w28, [x0, x28, lsl #0]`. Trees before f80b349d convert the count
-- to int and pass; every published tree from luajit-src 210.6.5 on
-- (210.7.4 is the newest) fails.
-- Also: x86_64 has the same read in asm_fusexref() (src/lj_asm_x86.h line
-- 378, `IR(irx->op2)->i <= 3`): on a native x86_64 build of 210.7.4, a byte
-- load from a uint8_t[64] array indexed by bit.lshift(box[1] + i, 2LL) in a
-- hot loop sums to 619 with the JIT and 976 with -joff, the load being
-- `movzx ebx, byte [rax+rbx+0x10]` with no scale. A rotated operand of a
-- logical operation is right on x86_64.
local ffi = require("ffi")
local bit = require("bit")
jit.opt.start("hotloop=1")

local box = { 0xffffffffULL, 0x123456789abcdef0ULL, 0LL }
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
check("bit.bxor(x, bit.ror(x, 8LL))", run(function(b) return bit.bxor(b[2], bit.ror(b[2], 8LL)) end), 16295820255188902446ULL)

-- A byte load indexed by a constant 64-bit shift: fused as a scaled index
-- when the count reads as 0, the access size of a byte.
local bytes = ffi.new("uint8_t[64]")
for i = 0, 63 do bytes[i] = i end
local p = ffi.cast("uint8_t *", bytes)
local function sum_loads(b)
  local s = 0
  for i = 0, 15 do s = s + p[bit.lshift(b[3] + i, 2LL)] end
  return s
end
check("p[bit.lshift(k, 2LL)]", sum_loads(box), 480)
if #wrong > 0 then error(table.concat(wrong, "; ")) end
