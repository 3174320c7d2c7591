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
      error(("round %d: c%d, a loop-carried local of a loop with spilled PHIs, is not %d")
        :format(round, k, want[k]))
    end
  end
end
