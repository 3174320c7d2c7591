-- pins: LuaJIT-v2.1#minmax-nan
-- title: math.min/math.max with NaN: the JIT picks another operand than the interpreter
-- fixed-by: 03208c81
-- fails-with: compiled and interpreted math.min/math.max differ
-- fails-on: luajit-src 210.1.0+resty31116c4
-- passes-on: luajit-src 210.1.1+resty29a66f7
-- stress-finds: no, math.min or math.max of NaN and a number in a compiled loop, with the operands in the order where the interpreter's and the JIT's selects disagree, and the result not folded into a value both agree on
-- Prose: math.min() and math.max() with a NaN argument. After an
-- unordered fcmp, the operand that comes out depends on the condition the
-- fcsel selects with: the interpreter's math_minmax (->ff_math_min/max in
-- src/vm_arm64.dasc) used HI/LO, asm_fpmin_max in src/lj_asm_arm64.h used
-- LO/HI on the operands in IR order (MIN and MAX are commutative to the
-- fold engine, which may swap them), and fold rules in src/lj_opt_fold.c
-- (reassoc_dup, reassoc_minmax_k/left/right) rewrote nested calls as if no
-- NaN existed. So math.min(x, nan) gives x compiled, NaN interpreted, and
-- which of the expressions below differ moves with operand order. The fix
-- (03208c81) changed all of these (PL/LE conditions, swapped fcsel
-- operands, fewer fold rules), the interpreter too, so the reference is
-- the interpreter on the same tree: a copy of the function (its own
-- prototype) run with the JIT off.
jit.opt.start("hotloop=1")

local function minmax(x, nan)
  local out = { {}, {}, {}, {} }
  for i = 1, 20 do
    out[1][i] = math.min(x, nan)
    out[2][i] = math.max(nan, x)
    out[3][i] = math.min(math.min(x, nan), x)
    out[4][i] = math.max(x, nan)
  end
  return out
end
local exprs = { "math.min(x, nan)", "math.max(nan, x)", "math.min(math.min(x, nan), x)", "math.max(x, nan)" }

local reference = load(string.dump(minmax))
jit.off(reference)

local wrong = {}
for round = 1, 2 do
  local got, want = minmax(1.5, 0 / 0), reference(1.5, 0 / 0)
  for k = 1, #exprs do
    for i = 1, 20 do
      if tostring(got[k][i]) ~= tostring(want[k][i]) then
        wrong[#wrong + 1] = ("round %d: %s with x = 1.5 is %s, interpreted %s")
          :format(round, exprs[k], tostring(got[k][i]), tostring(want[k][i]))
        break
      end
    end
  end
end
if #wrong > 0 then
  error("compiled and interpreted math.min/math.max differ: " .. table.concat(wrong, "; "))
end
print("ok")
