-- pins: LuaJIT#918
-- title: A multiply and an add fused into one rounding (FMA), unlike the interpreter
-- fixed-by: de2e1ca9
-- fails-with: rounded once instead of twice
-- fails-on: luajit-src 210.4.3+resty8384278
-- passes-on: luajit-src 210.4.4+restydf15b79
-- Prose: the interpreter rounds `a * b` and then the sum, as Lua's arithmetic
-- says. The ARM64 backend fused a multiply whose only use is an add or a
-- subtract into one FMADD/FMSUB/FNMSUB, which rounds once: the same loop gives
-- other numbers once it is compiled. Upstream's fix turned the fusion off by
-- default (`-Ofma` turns it on again). With a = 1 + 2^-27 and b = 1 - 2^-27,
-- a * b is 1 - 2^-54, which rounds to 1, so a * b - 1 is 0 unfused and
-- -2^-54 fused; odd rows use 3 * 2^-27, where both round, but apart. The operands come from arrays indexed by the loop variable,
-- so the multiply stays in the loop beside its one use. The expected numbers
-- are the interpreter's own, from the same loops run with the JIT off.
jit.opt.start("hotloop=1")

local N = 60
local A, B, C, M = {}, {}, {}, {}
for i = 1, N do
  local e = 2 ^ -27 * (1 + 2 * (i % 2))
  A[i], B[i], C[i], M[i] = 1 + e, 1 - e, 1, -1
end

local kernels = {
  { "a * b + c (c = -1)", function(r) for i = 1, N do r[i] = A[i] * B[i] + M[i] end end },
  { "a * b - c (c = 1)", function(r) for i = 1, N do r[i] = A[i] * B[i] - C[i] end end },
  { "c - a * b (c = 1)", function(r) for i = 1, N do r[i] = C[i] - A[i] * B[i] end end },
  { "c + a * b (c = -1)", function(r) for i = 1, N do r[i] = M[i] + A[i] * B[i] end end },
}

local function run_all()
  local out = {}
  for k, kernel in ipairs(kernels) do
    local r = {}
    for _ = 1, 3 do kernel[2](r) end
    out[k] = r
  end
  return out
end

-- With `-joff` both runs are the interpreter's.
local jit_on = jit.status()
jit.off()
local want = run_all()
if jit_on then jit.on() end
local got = run_all()

local wrong = {}
for k, kernel in ipairs(kernels) do
  for i = 1, N do
    if got[k][i] ~= want[k][i] then
      wrong[#wrong + 1] = ("%s in a loop rounded once instead of twice: i=%d got %.17g, the interpreter %.17g")
        :format(kernel[1], i, got[k][i], want[k][i])
      break
    end
  end
end
-- The interpreter's numbers are the oracle; they must be the unfused ones.
if want[2][2] ~= 0 then
  wrong[#wrong + 1] = ("the interpreter gives %.17g for a * b - 1, expected 0"):format(want[2][2])
end
assert(#wrong == 0, table.concat(wrong, "; "))
print("ok")
