-- Kills s2-003 (asm_stack_check: "if (pbase & 0x40)" inverted). A side trace whose parent
-- has no BASE register (the parent side trace returns from g into caller: RETF) must load
-- BASE from jit_base into a temp for its stack check; the mutant checks against garbage, so
-- the side trace calling big (~168 slots) on a fresh ~49-slot coroutine stack is not caught
-- and its tail writes big's frame past the stack (heap corruption: segfault under JIT).
local function g(t) local s = 0 for i = 1, #t do s = s + t[i] end return s end
local big = load("return function(x) local b = x local " .. ("a,"):rep(150) ..
  "a local c = x + 1 for i = 1, 100 do b = b + i end return b + c end")()
local function caller(t, k)
  local r = 0
  for j = 1, 2 do
    local v = g(t)
    if k > 50 then v = big(v) end
    r = r + v
  end
  return r
end
local t = {} for i = 1, 30 do t[i] = i end
local out = {}
for k = 1, 120 do
  out[#out+1] = k > 50 and coroutine.wrap(caller)(t, k) or caller(t, k)
end
local s = table.concat(out, " ")
print(s)
return s
