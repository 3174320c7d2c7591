-- Kills s3-032 (lj_asm_patchexit, cbz/cbnz match shift <<6): the mutant takes a cbz/cbnz
-- whose offset is twice the distance to the patched stub for a branch to it. Here the
-- 'w ~= 0' guard (cbnz ->15) lies 14 words before stub 1, so linking exit 1's side trace
-- (v == 1, every 5th i) redirects it: at i == 193 (v == 0, w == 1) the v==1 path runs too (+1).
jit.opt.start("-loop", "hotloop=5", "hotexit=3")
local A, B = {}, {}
for i = 1, 200 do A[i] = (i % 5 == 0) and 1 or 0; B[i] = (i == 193) and 1 or 0 end
local function f(n)
  local s = 0
  for i = 1, n do
    local v, w = A[i], B[i]
    if v == 1 then s = s + 1 end
    if v == 2 then s = s + 2 end
    if v == 3 then s = s + 3 end
    if v == 4 then s = s + 4 end
    if v == 5 then s = s + 5 end
    if v == 6 then s = s + 6 end
    if v == 7 then s = s + 7 end
    if v == 8 then s = s + 8 end
    if v == 9 then s = s + 9 end
    if v == 10 then s = s + 10 end
    if v == 11 then s = s + 11 end
    if v == 12 then s = s + 12 end
    if v == 13 then s = s + 13 end
    if v == 14 then s = s + 14 end
    if w ~= 0 then s = s + 1000 end
  end
  return s
end
local res = tostring(f(200))
print(res)
return res
