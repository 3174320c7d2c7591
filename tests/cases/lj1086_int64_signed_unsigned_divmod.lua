-- pins: LuaJIT#1086
-- fails-with: after the same operation on its uint64_t cast
-- fails-on: luajit-src 210.7.4+c6ffc14
-- passes-on: luajit-src 210.7.4+c6ffc14 with patches/extra/lj1086-cse-type
-- Prose: a new instance of LuaJIT#1086 (CSE of instructions that differ
-- only in their type), not ARM64-specific: x86_64 fails the same way. Casting
-- an int64_t to uint64_t emits no CONV (crec_ct_ct(), conv_I_I at
-- lj_crecord.c:428, same size), and the FLOAD of the cast's CNEWI folds to
-- the int64_t value itself (fload_cdata_ptr_int64_cnew, lj_opt_fold.c:2368).
-- The constants 3LL and 3ULL are one KINT64 (lj_ir_k64() interns by value).
-- So crec_arith_int64() (lj_crecord.c:1414) emits `u64 MOD x k` and then
-- `i64 MOD x k`, and lj_opt_cse() (lj_opt_fold.c:2612) returns the first
-- for the second because it compares op1/op2 and not the type. asm_mod()
-- then calls lj_carith_modu64() for both: `-1LL % 3LL` gives 0LL with the
-- JIT and -1LL in the interpreter. DIV (lj_carith_divi64()/divu64()) is
-- hit the same way: `-7LL / 3LL` gives 6148914691236517203LL. Line numbers
-- are those of 210.7.4, the same in v2.1 at 1ee778a4.
-- patches/extra/lj1086-cse-type makes lj_opt_cse() require the same type.
local ffi = require("ffi")
jit.opt.start("hotloop=1")

local box = { -1LL, -7LL }
local wrong = {}
local function check(what, got, want)
  if got ~= want then
    wrong[#wrong + 1] = ("%s after the same operation on its uint64_t cast: expected %s, got %s")
      :format(what, tostring(want), tostring(got))
  end
end

local function run(f)
  local u, s
  for _ = 1, 40 do u, s = f(box) end
  return u, s
end

local u, s = run(function(b)
  local c = b[1]
  return ffi.cast("uint64_t", c) % 3ULL, c % 3LL
end)
check("-1LL % 3LL", s, -1LL)
check("uint64_t(-1LL) % 3ULL", u, 0ULL)
u, s = run(function(b)
  local c = b[2]
  return ffi.cast("uint64_t", c) / 3ULL, c / 3LL
end)
check("-7LL / 3LL", s, -2LL)
check("uint64_t(-7LL) / 3ULL", u, 6148914691236517203ULL)
if #wrong > 0 then error(table.concat(wrong, "; ")) end
