-- Kills s3-003 (noconflict: "give up, ref too far away" returns 1, i.e. no conflict).
-- t={i,i} is a colocated TNEW; t[3]=x (NEWREF) rehashes and moves the array. 20 lines of
-- float arithmetic put the t[1]/t[2] stores >31 IR refs after the TNEW: base gives up and
-- uses the real tab->array, the mutant fuses tab+sizeof(GCtab) and writes the stale copy.
local ts = {}
for i = 1, 100 do
  local t = {i, i}
  local x = i + 0.5
  x = x*1.5+0.25; x = x*1.5+0.25; x = x*1.5+0.25; x = x*1.5+0.25; x = x*1.5+0.25
  x = x*1.5+0.25; x = x*1.5+0.25; x = x*1.5+0.25; x = x*1.5+0.25; x = x*1.5+0.25
  x = x*1.5+0.25; x = x*1.5+0.25; x = x*1.5+0.25; x = x*1.5+0.25; x = x*1.5+0.25
  x = x*1.5+0.25; x = x*1.5+0.25; x = x*1.5+0.25; x = x*1.5+0.25; x = x*1.5+0.25
  t[3] = x
  t[1] = i * 10
  t[2] = -i
  ts[i] = t
end
local out = {}
for i = 1, #ts do local t = ts[i]; out[i] = t[1] .. ":" .. t[2] .. ":" .. #t end
local s = table.concat(out, ",")
print(s)
return s
