-- A gap of tests/mutants_triage.txt, the mutant of asm_href: the mutant's EOR writes into the key register
-- instead of tmp, so an HREF with a variable table key hashes garbage and
-- compares a clobbered tagged key: the lookup always misses. The loop is
-- compiled while the keys are absent (nil guard), then the keys are added.
local keys = {}
for i = 1, 10 do keys[i] = {} end
local t = {}
for i = 1, 40 do t[i * 0.5] = i end  -- give t a populated hash part
local function run(out)
  for i = 1, 120 do
    out[#out + 1] = tostring(t[keys[i % 10 + 1]])
  end
end
local out = {}
run(out)
for i = 1, 10 do t[keys[i]] = i * 3 end
run(out)
local s = table.concat(out, ",")
print(s)
return s
