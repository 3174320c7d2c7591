-- pins: LuaJIT#1062
-- title: ARM64: register allocation for IR_*LOAD evicts the index register
-- fixed-by: 7ff8f26e
-- fails-on: luajit-src 210.4.8+resty107baaf
-- passes-on: luajit-src 210.5.0+becf5cc
-- stress-finds: no, a loop keeping more integers live in GPRs than there are free, loading t[i] from an array part with a type check, so that the constant of the type compare evicts the ALOAD's index register
-- Prose: a loop that keeps many integers live in GPRs (loop-carried
-- counters v1..vN, integers in ARM64's dual-number mode) and reads t[i] from
-- the array part with a type check. The ALOAD's address fuses the array
-- base and the index register (ldr x, [base, w_i, uxtw #3]); the type tag it
-- compares against is a constant that needs a register. The faulty
-- asm_ahuvload does not exclude the base and index registers when it
-- allocates that constant, so with no free GPR left the constant can land in
-- one of them and the load goes through it: SIGSEGV. Two variants: a boolean
-- array (`if t[i]`) with 14 counters, a number array with 24.
jit.opt.start("hotloop=1")

local function build(n, body)
  local src = { "local t, n = ...\nlocal s = 0\n" }
  for k = 1, n do src[#src + 1] = ("local v%d = %d\n"):format(k, k) end
  src[#src + 1] = "for i = 1, n do\n"
  for k = 1, n do src[#src + 1] = ("  v%d = v%d + %d\n"):format(k, k, k) end
  src[#src + 1] = body .. "\nend\nreturn s"
  for k = 1, n do src[#src + 1] = (" + v%d"):format(k) end
  return table.concat(src)
end

local wrong = {}
local function try(what, n, body, t)
  local src = build(n, body)
  local compiled = assert(loadstring(src, "=" .. what))
  local reference = assert(loadstring(src, "=" .. what .. "_ref"))
  jit.off(reference)
  local got, want = compiled(t, #t), reference(t, #t)
  if got ~= want then
    wrong[#wrong + 1] = ("%s with %d live counters: expected %s, got %s"):format(what, n, want, got)
  end
end

local bools, nums = {}, {}
for i = 1, 100 do bools[i] = (i % 3 ~= 0); nums[i] = i + 0.5 end
try("if t[i] on a boolean array", 14, "  if t[i] then s = s + 1 end", bools)
try("s + t[i] on a number array", 24, "  s = s + t[i]", nums)
if #wrong > 0 then error(table.concat(wrong, "; ")) end
