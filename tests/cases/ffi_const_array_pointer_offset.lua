-- pins: arm64-verify#kptr-reassoc-ofs
-- title: GC64: pointer arithmetic on a constant cdata array loses the array's address
-- fixed-by: patches/extra/kptr-reassoc-ofs
-- fails-on: luajit-src 210.7.4+c6ffc14
-- passes-on: luajit-src 210.7.4+c6ffc14 with patches/extra/kptr-reassoc-ofs
-- Prose: not ARM64's: every GC64 build (x86_64 by default since
-- bd00094c, 2019; ARM64 always). rec_upvalue() (src/lj_record.c) makes
-- an immutable upvalue holding a cdata of at most 16 bytes a constant, so
-- `s + i` on such an array is ADD(KGC s, +16), which kfold_add_kgc folds
-- to a KPTR, then crec_arith_ptr() (src/lj_crecord.c) adds the scaled
-- index: ADD(BSHL(i, 2), KPTR). Indexing the result calls
-- crec_reassoc_ofs() (src/lj_crecord.c:722 in luajit-src 210.7.4 and in
-- v2.1 at 1ee778a4), which moves the constant operand of the ADD into the
-- access's offset and reads it as irk->i unless it is a KINT64. Since
-- f26679c7 (2016, 64-bit GC constants in the IR) a GC64 KPTR keeps its
-- value in the instruction's second slot and irk->i is 0, so the array's
-- address is dropped: -jdump=i shows `int XLOAD 0006` straight from
-- `i64 BSHL 0005 +2`, and the load reads address i*4 (SIGSEGV). Stores
-- and struct fields that are arrays fail the same way; a local cdata (an
-- SLOAD), an array of more than 16 bytes, a constant offset or -O-fold
-- are right. Reading a 64-bit constant with ir_k64() for every such
-- constant fixes it.
-- Also: a native x86_64 build of 210.7.4 crashes the same way; one
-- built with -DLUAJIT_DISABLE_GC64 is right (the pointer is in op12).
local ffi = require("ffi")
jit.opt.start("hotloop=1")

local wrong = {}
local function check(what, got, want)
  if got ~= want then
    wrong[#wrong + 1] = ("%s through a pointer into a constant array: expected %s, got %s")
      :format(what, tostring(want), tostring(got))
  end
end

-- Each array is an upvalue of 16 bytes, which the recorder makes a constant.
local ints = ffi.new("int[4]", 10, 11, 12, 13)
local function load(i) return (ints + i % 4)[0] end
local sum = 0
for i = 1, 100 do sum = sum + load(i) end
check("int[4] loads", sum, 1150)

local bytes = ffi.new("uint8_t[16]")
local function store(i, v) (bytes + i % 16)[0] = v end
for i = 1, 64 do store(i, i) end
check("uint8_t[16] stores", bytes[0] + bytes[15], 64 + 63)

local pair = ffi.new("struct { int32_t n; int32_t a[3]; }", 0, { 5, 6, 7 })
local function field(i) return (pair.a + i % 3)[0] end
sum = 0
for i = 1, 60 do sum = sum + field(i) end
check("struct array field loads", sum, 360)

if #wrong > 0 then error(table.concat(wrong, "; ")) end
