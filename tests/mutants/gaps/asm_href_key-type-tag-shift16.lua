-- Kills the asm_href mutant that loads the itype for a variable GC key as itype<<16
-- (not <<15): the tagged key built by 'add tkey, key, type, lsl #32' gets the wrong
-- tag, so the CMP against every node key fails and HREF never finds a present key.
-- The loop is recorded while the string keys are absent (nil result, no type exit),
-- then the keys are added and the compiled loop must see them.
local keys = {}
for i = 1, 8 do keys[i] = "k" .. i end
local t = {}
for i = 1, 20 do t["x" .. i] = i end  -- populated hash part (hmask ~= 0)
local function run(out)
  for i = 1, 100 do
    out[#out + 1] = tostring(t[keys[i % 8 + 1]])
  end
end
local out = {}
run(out)
for i = 1, 8 do t[keys[i]] = i * 3 end
run(out)
local s = table.concat(out, ",")
print(s)
return s
