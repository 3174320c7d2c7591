-- A gap of tests/mutants_triage.txt, the mutant of lj_asm_patchexit, tbz/tbnz match mask 0x7ffe0 -> 0x1ffe0: the mutant
-- compares only 12 of the 14 imm14 bits, so a tbz whose target lies exactly 4096 words
-- from the patched exit stub is taken for a branch to that exit. Here the upvalue GC
-- barrier's "tbz uv.marked, #2, l_end" sits 4096 words before exit stub 2 (4071 fmul
-- filler); once exit 2 (i%4==0) gets a side trace, the barrier tbz is redirected into it.
jit.opt.start("-loop", "maxrecord=20000", "maxirconst=2000", "maxsnap=2000",
              "hotexit=2", "hotloop=5")
local out = {}
for nf = 4069, 4073 do
  jit.flush()
  local src = [[
local up
return function(n)
  local f, s = 1.0, 0
  for i = 1, n do
    up = {i}
    if i % 4 == 0 then s = s + 1 end
]] .. string.rep("    f = f * 1.0001\n", nf) .. [[
  end
  return f, s, up[1]
end]]
  local g = assert(loadstring(src))()
  local f, s, u = g(60)
  out[#out+1] = string.format("%d: %.6f %d %d", nf, f, s, u)
end
local r = table.concat(out, "\n")
print(r)
return r
