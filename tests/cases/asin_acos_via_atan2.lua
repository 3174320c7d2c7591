-- pins: LuaJIT-v2.1#math-atrig
-- title: math.asin/math.acos compiled as atan2 differ from the interpreter
-- fixed-by: 5655be45
-- fails-with: compiled and interpreted math.asin/math.acos differ
-- fails-on: luajit-src 210.1.0+resty31116c4
-- passes-on: luajit-src 210.1.1+resty29a66f7
-- stress-finds: no, math.asin or math.acos in a compiled loop, whose results the interpreter's C library and the JIT's atan2 form round differently; the expression blocks call neither
-- Prose: math.asin and math.acos in a loop. The recorder
-- (recff_math_atrig in src/lj_ffrecord.c) compiled them as
-- atan2(x, sqrt(1 - x*x)) and atan2(sqrt(1 - x*x), x) (IR_ATAN2, a call
-- of atan2 from src/lj_asm_arm64.h), while the interpreter calls the C
-- library's asin() and acos(): the results differ in the last bits
-- (math.asin(-0.70110590813988249) is -0.77694725546809063 compiled,
-- -0.77694725546809074 interpreted). Not specific to ARM64. The fix
-- (5655be45) compiles every such math function as a call of the same C
-- function the interpreter uses and drops IR_ATAN2. The reference is a
-- copy of the function run by the interpreter.
jit.opt.start("hotloop=1")

local function trig(xs)
  local r = {}
  for i = 1, #xs do
    r[#r + 1] = math.asin(xs[i])
    r[#r + 1] = math.acos(xs[i])
  end
  return r
end

local reference = load(string.dump(trig))
jit.off(reference)

local xs = {}
for i = 1, 200 do xs[i] = -1 + i / 100.37 end
local want = reference(xs)
local wrong = {}
for round = 1, 3 do
  local got = trig(xs)
  for i = 1, #want do
    if got[i] ~= want[i] and #wrong < 4 then
      wrong[#wrong + 1] = ("round %d: math.%s(%.17g) is %.17g, interpreted %.17g")
        :format(round, i % 2 == 1 and "asin" or "acos", xs[math.floor((i + 1) / 2)], got[i], want[i])
    end
  end
end
if #wrong > 0 then
  error("compiled and interpreted math.asin/math.acos differ: " .. table.concat(wrong, "; "))
end
print("ok")
