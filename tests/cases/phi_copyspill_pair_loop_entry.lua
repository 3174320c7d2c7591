-- pins: arm64-verify#phi-copyspill-pair
-- title: ARM64: loop entry jumps onto an LDP/STP that pairs a PHI spill-slot copy with the shuffle's first store
-- fixed-by: patches/extra/phi-copyspill-pair
-- fails-with: a loop-carried local of a loop with spilled PHIs
-- fails-on: luajit-src 210.7.4+c6ffc14
-- passes-on: luajit-src 210.7.4+c6ffc14 with patches/extra/phi-copyspill-pair
-- Prose: asm_loop() (src/lj_asm.c:1686 in luajit-src 210.7.4 and in v2.1
-- at 1ee778a4) sets mcspill after the PHI shuffle (line 1698), then
-- asm_phi_copyspill() (line 1568) emits, before it, the copies between the
-- spill slots of PHIs whose left and right values are spilled to different
-- slots, and only then sets mcloop (line 1701); the loop entry jumps to
-- mcspill, past the copies. emit_lso() in src/lj_emit_arm64.h (line 150)
-- refuses to pair a load/store with the one after it only at mcloop, so it
-- fuses the last copy (`str w30, [sp, #slot]`, the copy register is
-- RID_TMP) with a store to the neighbouring slot at mcspill, and the jump
-- from the loop entry lands on the STP (`b 0x55004efe44` onto `stp w30, w1,
-- [sp, #24]` in -jdump=mr) and stores a stale w30 into that PHI's slot. Copies
-- exist only when PHIs are spilled, so the loop needs more loop-carried
-- values than free registers: 27 integer locals, each the next one plus a
-- constant, do it. The FP copies have the same shape: with 40 such number
-- locals the copy through d0 pairs into `stp d1, d0, [sp, #80]` at the
-- entry's target; with no FP register free they go through a register
-- saved in SPOFS_TMP, and the instruction next to mcspill is `ldr dN,
-- [sp]`. The pairing dates from the ARM64 backend's LDP/STP fusion
-- (04b60707, 2016), so every ARM64 build since has it. A copy of the
-- function (its own prototype) run with the JIT off is the reference.
jit.opt.start("hotloop=1")

local function loop(n)
  local c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14,
    c15, c16, c17, c18, c19, c20, c21, c22, c23, c24, c25, c26, c27 =
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27
  for _ = 1, n do
    c1 = c2 + 1
    c2 = c3 + 2
    c3 = c4 + 3
    c4 = c5 + 4
    c5 = c6 + 5
    c6 = c7 + 6
    c7 = c8 + 7
    c8 = c9 + 8
    c9 = c10 + 9
    c10 = c11 + 10
    c11 = c12 + 11
    c12 = c13 + 12
    c13 = c14 + 13
    c14 = c15 + 14
    c15 = c16 + 15
    c16 = c17 + 16
    c17 = c18 + 17
    c18 = c19 + 18
    c19 = c20 + 19
    c20 = c21 + 20
    c21 = c22 + 21
    c22 = c23 + 22
    c23 = c24 + 23
    c24 = c25 + 24
    c25 = c26 + 25
    c26 = c27 + 26
    c27 = c1 + 27
  end
  return { c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14,
    c15, c16, c17, c18, c19, c20, c21, c22, c23, c24, c25, c26, c27 }
end

local reference = load(string.dump(loop))
jit.off(reference)
local want = reference(100)
for round = 1, 3 do
  local got = loop(100)
  for k = 1, #want do
    if got[k] ~= want[k] then
      -- The wrong value is whatever a scratch register held: not shown, so
      -- the message is the same on every run.
      error(("round %d: c%d, a loop-carried local of a loop with spilled PHIs, is not %d")
        :format(round, k, want[k]))
    end
  end
end
