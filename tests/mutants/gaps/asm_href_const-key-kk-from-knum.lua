-- Kills s2-061 (asm_href: the "else if (irt_isnum(kt))" line commented out).
-- For a constant HREF key the mutant builds the compare word wrongly: string keys
-- get the raw GCstr pointer without the type tag, number keys the "number type" tag
-- word; so the inlined hash lookup never finds them. The keys are absent while the
-- trace is recorded (HREF, nil-typed HLOAD) and present later: base exits, mutant says nil.
local function fs(t) return t.foo end
local function fn(t) return t[2.5] end
local empty = {a = 1, b = 2, [0.5] = 3}
local full = {a = 1, b = 2, foo = "F", [2.5] = "N"}
local tabs, r = {}, {}
for i = 1, 100 do tabs[i] = i > 70 and full or empty end
for i = 1, 100 do
  local t = tabs[i]
  r[#r+1] = tostring(fs(t)) .. "/" .. tostring(fn(t))
end
local s = table.concat(r, " ")
print(s)
return s
