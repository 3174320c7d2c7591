-- pins: LuaJIT#1031
-- title: ARM64: a side trace's BASE allocated to an FP register
-- fixed-by: aa2db7eb
-- fails-on: luajit-src 210.0.0+694d69a
-- passes-on: luajit-src 210.5.0+becf5cc
-- Prose: a side trace whose parent spilled BASE. asm_head_side_base() in
-- src/lj_asm_arm64.h gives the side trace's REF_BASE a register with
-- ra_dest(as, ir, allow), and `allow` still held the FPRs: when every
-- free GPR is taken by inherited values, BASE lands in an FPR and is
-- reloaded from the parent's spill slot as `ldr s31, [sp, #N]` (32 bits),
-- then stored to the side trace's own 64-bit slot with `str s31`; its
-- later `ldr x19` from that slot gets the low word of BASE and a stale
-- upper word. The fix (aa2db7eb, ARM64 part in the merge 8635cbab)
-- allocates BASE from RSET_GPR only. Shape: a loop keeping 19 int64
-- cdata live across a branch (its side exit gets hot), then an inner loop
-- that runs once while the outer loop is recorded and four times later,
-- so the side trace links to the inner loop's trace. The upper word is
-- whatever the stack held: an snprintf() call in the loop leaves '0'
-- characters there, so the broken BASE points nowhere and the run dies
-- with SIGSEGV (under QEMU the stale word was otherwise the same 0x55 as
-- BASE's, and the run passed). OpenResty's luajit2 (210.1.0 to 210.4.8)
-- restores the register hinted for BASE before allocating it, which keeps
-- BASE in x19 here: those trees pass, as does 210.0.0 with the allocation
-- limited to GPRs (tried, not kept).
local ffi = require("ffi")
local i64 = ffi.typeof("int64_t")
local new, num = ffi.new, tonumber
ffi.cdef("int snprintf(char *s, size_t n, const char *fmt, ...);")
local buf = ffi.new("char[600]")
ffi.C.snprintf(buf, 600, "%0500d", 0) -- resolve the symbol before recording
-- Written out, not generated: the slot layout decides the registers.
local r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11, r12, r13, r14, r15, r16, r17, r18, r19
local reps = {}
for k = 1, 101 do reps[k] = k <= 20 and 1 or 4 end
jit.opt.start("hotloop=1", "hotexit=2")
local k = 0
while k < 100 do
  k = k + 1
  ffi.C.snprintf(buf, 600, "%0500d", k) -- leaves '0' bytes on the C stack
  local c1 = new(i64, k + 1)
  local c2 = new(i64, k + 2)
  local c3 = new(i64, k + 3)
  local c4 = new(i64, k + 4)
  local c5 = new(i64, k + 5)
  local c6 = new(i64, k + 6)
  local c7 = new(i64, k + 7)
  local c8 = new(i64, k + 8)
  local c9 = new(i64, k + 9)
  local c10 = new(i64, k + 10)
  local c11 = new(i64, k + 11)
  local c12 = new(i64, k + 12)
  local c13 = new(i64, k + 13)
  local c14 = new(i64, k + 14)
  local c15 = new(i64, k + 15)
  local c16 = new(i64, k + 16)
  local c17 = new(i64, k + 17)
  local c18 = new(i64, k + 18)
  local c19 = new(i64, k + 19)
  if k > 55 then end -- the side exit
  r1 = num(c1)
  r2 = num(c2)
  r3 = num(c3)
  r4 = num(c4)
  r5 = num(c5)
  r6 = num(c6)
  r7 = num(c7)
  r8 = num(c8)
  r9 = num(c9)
  r10 = num(c10)
  r11 = num(c11)
  r12 = num(c12)
  r13 = num(c13)
  r14 = num(c14)
  r15 = num(c15)
  r16 = num(c16)
  r17 = num(c17)
  r18 = num(c18)
  r19 = num(c19)
  for _ = 1, reps[k] do end -- once while recorded, then four times
end
local got = { r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11, r12, r13, r14, r15, r16, r17, r18, r19 }
for j = 1, 19 do
  if got[j] ~= 100 + j then
    error(("a side trace with BASE spilled in its parent: r%d is %s, expected %d"):format(j, tostring(got[j]), 100 + j))
  end
end
print("ok")
