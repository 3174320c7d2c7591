-- pins: LuaJIT#928
-- title: ARM64: INT64_MIN taken for the 12-bit immediate 0
-- fixed-by: 8a5e398c
-- fails-with: compiled and interpreted int64 arithmetic with INT64_MIN differ
-- fails-on: luajit-src 210.4.4+restydf15b79
-- passes-on: luajit-src 210.4.5+resty2cf5186
-- Prose: an int64 constant INT64_MIN (0x8000000000000000LL) as the second
-- operand of ADD/SUB and of a comparison. asm_fuseopm asks emit_isk12()
-- (src/lj_emit_arm64.h) whether the constant fits a 12-bit immediate;
-- the faulty emit_isk12 takes the magnitude as `(n < 0) ? -n : n`, which
-- is undefined for INT64_MIN, and gcc 12 at -O2 (the compiler here)
-- folds it so that INT64_MIN comes out as "negative, magnitude 0": the
-- trace gets `sub x, y, #0` for y + INT64_MIN and `cmn y, #0` for
-- y == INT64_MIN. Upstream's fix ("Avoid negation of signed integers in C
-- that may hold INT*_MIN.", 8a5e398c; its ARM64 part in the merge
-- a04480e3) negates in uint64_t; emit_kdelta and emit_addptr got the same
-- change. The outcome depends on the C compiler: another compiler may
-- build the faulty source into a correct luajit. The reference is a copy
-- of the function run by the interpreter.
local ffi = require("ffi")
jit.opt.start("hotloop=1")

local function ops(xs)
  local r = {}
  for i = 1, #xs do
    local x = xs[i]
    r[#r + 1] = x + 0x8000000000000000LL
    r[#r + 1] = x - 0x8000000000000000LL
    r[#r + 1] = x == 0x8000000000000000LL
    r[#r + 1] = x < 0x8000000000000001LL
  end
  return r
end

local reference = load(string.dump(ops))
jit.off(reference)

local xs = {}
for i = 1, 40 do
  xs[i] = i % 3 == 0 and 0x8000000000000000LL or ffi.cast("int64_t", i * 12345)
end
local want = reference(xs)
local what = { "x + INT64_MIN", "x - INT64_MIN", "x == INT64_MIN", "x < INT64_MIN + 1" }
local wrong = {}
for round = 1, 3 do
  local got = ops(xs)
  for i = 1, #want do
    if got[i] ~= want[i] and #wrong < 4 then
      local x = xs[math.floor((i - 1) / 4) + 1]
      wrong[#wrong + 1] = ("round %d: %s for x = %s is %s, interpreted %s")
        :format(round, what[(i - 1) % 4 + 1], tostring(x), tostring(got[i]), tostring(want[i]))
    end
  end
end
if #wrong > 0 then
  error("compiled and interpreted int64 arithmetic with INT64_MIN differ: " .. table.concat(wrong, "; "))
end
print("ok")
