-- s3-061 (asm_intcomp): when asm_swapops moves a fusable operand (shift,
-- x+x) to the right, the signed condition must be mirrored (LT<->GT, LE<->GE);
-- the mutant mirrors only GE and turns LT/GT/LE into EQ/VC/VS. Compare
-- lshift(x,k) (fusable, later ref) with a plain variable, all four orders,
-- with values below, equal to and above, int and int64.
local bit = require("bit")
local lshift = bit.lshift
local out = {}
local function f(x, y)
  local a = lshift(x, 2)
  local r = 0
  if a < y then r = r + 1 end
  if a <= y then r = r + 2 end
  if a > y then r = r + 4 end
  if a >= y then r = r + 8 end
  return r
end
local function g(x, y)
  local a = x * 8LL
  local r = 0
  if a < y then r = r + 1 end
  if a <= y then r = r + 2 end
  if a > y then r = r + 4 end
  if a >= y then r = r + 8 end
  return r
end
for i = 1, 120 do
  local d = i % 5 - 2
  out[#out+1] = f(i - 60, 4 * (i - 60) + d)
  out[#out+1] = g(i - 60LL, 8LL * (i - 60) + d)
end
local s = table.concat(out, ",")
print(s)
return s
