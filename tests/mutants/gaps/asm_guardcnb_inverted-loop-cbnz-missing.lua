-- Kills s2-033 (asm_guardcnb: the inverted cbz/cbnz at p-1 is not emitted for a guard
-- that ends an inverted loop). "repeat ... until x == 0" on an int (bit.rshift) makes
-- the loop's last IR an int NE 0 guard, i.e. a loop-closing CBNZ; without it the loop
-- fixup ORs the loop offset into the preceding LSR, giving an illegal instruction.
local r = {}
for n = 1, 40 do
  local x, c = n * 12345, 0
  repeat c = c + 1; x = bit.rshift(x, 1) until x == 0
  r[#r+1] = c
end
local s = table.concat(r, " ")
print(s)
return s
