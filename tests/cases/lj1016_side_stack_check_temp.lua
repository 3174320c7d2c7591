-- pins: LuaJIT#1016
-- title: ARM64: the stack check in a side trace's head falls back to a live register
-- fixed-by: b7a8c7c1
-- fails-with: a value inherited by a side trace with a stack check
-- fails-on: luajit-src 210.4.6+resty2cf5186
-- passes-on: luajit-src 210.4.7+resty107baaf
-- Prose: a side trace that calls a function with a bigger frame checks the
-- Lua stack in its head (asm_stack_check in src/lj_asm_arm64.h); when the
-- parent spilled BASE, the check reloads it into a temporary register.
-- Before the fix, asm_head_side() (src/lj_asm.c) offered only the GPRs
-- that none of the side trace's values ends up in: here none (26 inherited
-- integers, in GPRs since ARM64 runs in dual-number mode, and BASE), so
-- asm_stack_check fell back to x0: `str x0, [sp]`, BASE into x0, the
-- compare, `bls ->exit`, `ldr x0, [sp]`. The restore sits after the branch
-- (LuaJIT#1068), so when the check fails the parent's exit reads the
-- inherited value in x0 (i1 here) as the low word of BASE and the
-- interpreter goes on with it. The fix ("Fix register mask for stack check
-- in head of side trace.", b7a8c7c1) offers the GPRs holding no value the
-- parent passes on (`pallow`), x28 here, so the fallback and its misplaced
-- restore are not reached; LuaJIT#1068's own fix (315dc3e7, 210.5.0)
-- removes the fallback. The check fails only when the Lua stack must
-- grow: the loop is entered from ever deeper recursion. 210.4.7 also has
-- aa2db7eb (LuaJIT#1031); 210.4.6 with b7a8c7c1 alone passes (tried, not
-- kept).
local N = 26
local src = {}
local function add(s) src[#src + 1] = s end
add("local function g(sum)\n  for _ = 0.01, 0.6, 0.01 do end\n")
for _, p in ipairs({ "a", "b" }) do
  local names = {}
  for k = 0, 21 do names[#names + 1] = p .. k end
  add("  local " .. table.concat(names, ",") .. "\n")
end
add("  if not (0 <= sum and sum <= 50) then return sum end\nend\n")
add("local function f(i)\n  local bad\n  for _ = 0.01, 0.6, 0.01 do\n    local i1 = i*i\n")
local terms = { "i1" }
for k = 2, N do
  add(("    local i%d = i%d*i%d\n"):format(k, k - 1, k - 1))
  terms[k] = "i" .. k
end
add(("    if i%d ~= 0 then bad = bad or g(%s) end\n"):format(N, table.concat(terms, "+")))
add("  end\n  return bad\nend\n")
add("local function deep(n, i) if n == 0 then return f(i) end return (deep(n - 1, i)) end\n")
add("for _ = 1, 30 do f(0) end\n")
add("for n = 1, 60 do local bad = deep(n, 1); if bad then return bad end end\n")
local chunk = assert(loadstring(table.concat(src), "=side_stack_check"))

jit.opt.start("hotloop=1")
local bad = chunk()
if bad then
  error(("a value inherited by a side trace with a stack check was overwritten: the sum of %d ones is %s"):format(N, tostring(bad)))
end
print("ok")
