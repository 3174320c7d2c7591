-- pins: arm64-verify#phi-copyspill-pair
-- fails-with: a loop-carried local of a loop with spilled PHIs
-- fails-on: luajit-src 210.7.4+c6ffc14
-- passes-on: luajit-src 210.7.4+c6ffc14 with patches/extra/phi-copyspill-pair
-- Prose: 27 loop-carried locals, each the next one plus a constant, need
-- more registers than the loop has, so some PHIs live in spill slots. When
-- a PHI's value and its loop-end value have different slots,
-- asm_phi_copyspill() copies between them at the loop head, and the loop
-- entry jumps past the copies. emit_lso() knows only the loop label as a
-- place it must not pair across, so it fuses the last copy's store with the
-- store of the next slot at the entry's jump target: the entry runs the
-- copy's store too, with a stale TMP, and the loop starts from a wrong
-- value. A copy of the function (its own prototype) run with the JIT off
-- is the reference. No published tree has a fix;
-- patches/extra/phi-copyspill-pair is one.
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
