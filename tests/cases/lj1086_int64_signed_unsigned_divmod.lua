-- pins: LuaJIT#1086
-- title: Signed and unsigned 64-bit MOD/DIV of one value CSE'd into one
-- fixed-by: patches/extra/lj1086-cse-type
-- fails-with: after the same operation on its uint64_t cast
-- fails-on: luajit-src 210.7.4+c6ffc14
-- passes-on: luajit-src 210.7.4+c6ffc14 with patches/extra/lj1086-cse-type
-- stress-finds: no, the default run's programs that differ on this tree (46 of 300) all meet the fused shift or the PHI copy-spill too, so this fix alone makes none of them agree; a program that meets this defect alone would take an int64 cast to uint64_t beside the same operation on it, and no other of the tree's defects
-- Prose: a new instance of LuaJIT#1086, on every target (x86_64 fails the
-- same way). An int64_t -> uint64_t cast emits no CONV (crec_ct_ct(),
-- conv_I_I, src/lj_crecord.c:428 in luajit-src 210.7.4 and in v2.1 at
-- 1ee778a4), the FLOAD of its CNEWI folds to the int64_t value itself
-- (fload_cdata_ptr_int64_cnew, src/lj_opt_fold.c:2368), and 3LL and 3ULL
-- are one KINT64 (lj_ir_k64() interns by value). crec_arith_int64()
-- (src/lj_crecord.c:1414) then emits `u64 MOD x k` for
-- ffi.cast("uint64_t", x) % 3ULL and `i64 MOD x k` for x % 3LL, and
-- lj_opt_cse() (src/lj_opt_fold.c:2612) returns the first for the second,
-- since it compares the operands and not the type. asm_mod() calls
-- lj_carith_modu64() for both: -1LL % 3LL gives 0LL with the JIT and -1LL
-- in the interpreter. DIV is hit the same way (-7LL / 3LL gives
-- 6148914691236517203LL). Requiring the same type in lj_opt_cse() fixes it
-- and both reproducers of the issue.
-- Also: a native x86_64 build of 210.7.4 gives the same wrong values (0LL
-- with the JIT, -1LL with -joff), from the same single `u64 MOD` in
-- -jdump=i; it is not ARM64's.
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
