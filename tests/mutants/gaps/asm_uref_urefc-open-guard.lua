-- A gap of tests/mutants_triage.txt, the mutant of asm_uref: the guard of a guarded UREFC (non-constant closure, closed
-- upvalue) must exit when the upvalue is open; the mutant uses CBNZ for UREFC too, so the
-- guard is inverted. The loop trace in f is recorded with x closed, then re-entered by a
-- closure of the same prototype whose upvalue x is still open (read as uv->tv: garbage).
local out = {}
local function mk(run)
  local x = 0
  local function f(n) local s = 0 for i = 1, n do s = s + x end return s end
  x = 0.5                       -- mutable (no constification), a double
  if run then local r = f(100) return r end -- x still open in f
  return f
end
local f = mk(false)
out[#out+1] = f(100)            -- record loop trace with x closed
out[#out+1] = f(100)
for i = 1, 3 do out[#out+1] = tostring(mk(true) == 50) end
local s = table.concat(out, " ")
print(s)
return s
