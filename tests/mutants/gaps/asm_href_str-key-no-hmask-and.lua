-- Kills the asm_href mutant that drops "and dest, dest, tmp" for variable string
-- keys: the main position becomes node[hmask] instead of node[sid & hmask], so a
-- lookup with a runtime string key walks the wrong chain and misses present keys.
-- The loop is compiled while the keys are absent (nil guard), then they are added.
local t = {}
for i = 1, 20 do t["f" .. i] = i end  -- populated hash part
local names = {}
for i = 1, 8 do names[i] = "k" .. i end
local function run(out)
  for i = 1, 100 do
    out[#out + 1] = tostring(t[names[i % 8 + 1]])
  end
end
local out = {}
run(out)
for i = 1, 8 do t[names[i]] = i * 7 end
run(out)
local s = table.concat(out, ",")
print(s)
return s
