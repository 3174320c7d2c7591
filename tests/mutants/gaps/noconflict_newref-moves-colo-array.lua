-- A gap of tests/mutants_triage.txt, the mutant of noconflict: the mutant never reports the NEWREF between a
-- colocated TNEW and a later constant-index AREF, so asm_fuseabase still uses
-- tab+sizeof(GCtab) as array base. t[3]=... rehashes and moves the array out
-- of the colocated slot; the fused t[1]/t[2] stores then hit the stale copy.
local out = {}
for i = 1, 100 do
  local t = {i, i}
  t[3] = i
  t[1] = i * 10
  t[2] = -i
  out[#out + 1] = t[1] .. ":" .. t[2] .. ":" .. #t
end
local s = table.concat(out, ",")
print(s)
return s
