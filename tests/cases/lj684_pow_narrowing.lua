-- pins: LuaJIT#684
-- title: x ^ k narrowed to an integer power that differs from the interpreter's pow()
-- fixed-by: 9512d5c1, 96d6d503
-- fails-with: compiled and interpreted x ^ k differ
-- fails-on: luajit-src 210.3.2+resty1085a4d
-- passes-on: luajit-src 210.3.3+resty673aaad
-- stress-finds: no, x ^ k with a number x and an integral constant k in a compiled loop (the power narrowed to repeated multiplication); the expression blocks have no ^
-- Prose: x ^ k with a number x and an integral k, in a loop. The recorder
-- narrowed the power (lj_opt_narrow_pow in src/lj_opt_narrow.c) to
-- POW(num, int), which the backend assembles as a call of lj_vm_powi
-- (repeated multiplication), while the interpreter calls the C library's
-- pow(): the results differ in the last bits (x ^ 7 of 2.6385714285714283
-- is 890.39351446533692 compiled, 890.39351446533681 interpreted). Not
-- specific to ARM64, and not a defect of the backend: upstream first
-- routed both through lj_vm_pow (9512d5c1, "Fix pow() optimization
-- inconsistencies."), then dropped the narrowing for all but trivial
-- exponents (96d6d503, "Revert to trival pow() optimizations to prevent
-- inaccuracies."; LuaJIT#684, #817). The reference is a copy of the
-- function run by the interpreter.
jit.opt.start("hotloop=1")

local function powers(xs)
  local r = {}
  for i = 1, #xs do
    local x = xs[i]
    r[#r + 1] = x ^ 3
    r[#r + 1] = x ^ 7
    r[#r + 1] = x ^ -5
    r[#r + 1] = x ^ 25
    r[#r + 1] = x ^ 1.5
    r[#r + 1] = 10 ^ (i - 20)
  end
  return r
end

local reference = load(string.dump(powers))
jit.off(reference)

local xs = {}
for i = 1, 60 do xs[i] = 1.1 + i * 0.37 + i / 7 end
local want = reference(xs)
local what = { "x ^ 3", "x ^ 7", "x ^ -5", "x ^ 25", "x ^ 1.5", "10 ^ (i - 20)" }
local wrong = {}
for round = 1, 3 do
  local got = powers(xs)
  for i = 1, #want do
    if got[i] ~= want[i] and #wrong < 4 then
      local n = math.floor((i - 1) / 6) + 1
      wrong[#wrong + 1] = ("round %d: %s for x = %.17g, i = %d is %.17g, interpreted %.17g")
        :format(round, what[(i - 1) % 6 + 1], xs[n], n, got[i], want[i])
    end
  end
end
if #wrong > 0 then
  error("compiled and interpreted x ^ k differ: " .. table.concat(wrong, "; "))
end
print("ok")
