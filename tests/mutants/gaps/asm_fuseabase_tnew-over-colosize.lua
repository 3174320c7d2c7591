-- Kills s3-163 (asm_fuseabase: LJ_MAX_COLOSIZE check dropped).
-- {i,...,i} with 20 slots is a TNEW with asize 21 > LJ_MAX_COLOSIZE, so its array is
-- allocated separately; the mutant still fuses tab+sizeof(GCtab) as the array base for
-- the constructor's constant-index stores, which miss the real array (read back later).
local ts = {}
for i = 1, 100 do
  ts[i] = {i, i+1, i+2, i+3, i+4, i+5, i+6, i+7, i+8, i+9,
           -i, -i-1, -i-2, -i-3, -i-4, -i-5, -i-6, -i-7, -i-8, -i-9}
end
local out = {}
for i = 1, #ts do
  local t = ts[i]
  out[i] = t[1] .. ":" .. t[10] .. ":" .. t[20] .. ":" .. #t
end
local s = table.concat(out, ",")
print(s)
return s
