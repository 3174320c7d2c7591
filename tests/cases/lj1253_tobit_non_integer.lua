-- pins: LuaJIT#1253
-- title: ARM64: bit.tobit of a non-integer truncated by the interpreter, rounded by the JIT
-- fixed-by: cdc2db3a
-- fails-with: compiled and interpreted bit.tobit differ
-- fails-on: luajit-src 210.5.9+04dca79
-- passes-on: luajit-src 210.5.10+f725e44
-- Prose: bit.tobit() of a number that is not an integer. The JIT
-- (asm_tobit in src/lj_asm_arm64.h, and the fold rule with lj_num2bit)
-- adds 2^52+2^51 and keeps the low word, so it rounds to nearest, ties to
-- even; the interpreter's ->vm_tobit_fb in src/vm_arm64.dasc converted with
-- integer shifts instead, which truncates the mantissa of the magnitude
-- (1.7 gives 1 interpreted, 2 compiled). The fix (cdc2db3a, "ARM64: Make
-- tobit conversions match JIT backend behavior.") changed the interpreter
-- to do the JIT's addition, so the reference here is the interpreter on
-- the same tree: a copy of the function (its own prototype) run with the
-- JIT off. Both a variable argument and a constant one (folded while
-- recording) are summed in a hot loop.
jit.opt.start("hotloop=1")

local function tobits(xs)
  local out = {}
  for i = 1, #xs do out[i] = bit.tobit(xs[i]) + bit.tobit(1.7) end
  return out
end

local reference = load(string.dump(tobits))
jit.off(reference)

local xs = { 1.7, 2.5, -1.5, 3.5, 0.5, -0.5, -2.7, 2 ^ 31 + 0.5 }
for _ = 1, 8 do xs[#xs + 1] = xs[#xs - 7] end
local want = reference(xs)
local wrong = {}
for round = 1, 3 do
  local got = tobits(xs)
  for i = 1, #xs do
    if got[i] ~= want[i] then
      wrong[#wrong + 1] = ("round %d: bit.tobit(%s) + bit.tobit(1.7) is %d, interpreted %d")
        :format(round, xs[i], got[i], want[i])
    end
  end
end
if #wrong > 0 then
  error("compiled and interpreted bit.tobit differ: " .. table.concat(wrong, "; ", 1, math.min(#wrong, 4)))
end
print("ok")
