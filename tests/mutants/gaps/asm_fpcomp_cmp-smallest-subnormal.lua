-- s3-171 (asm_fpcomp): comparing a number with the constant 0.0 is emitted as
-- 'fcmp d, #0.0'; the mutant fires that shortcut for the double with bits 1
-- (5e-324, smallest subnormal) instead, so 'x < 5e-324', 'x <= 5e-324',
-- 'x == 5e-324' compile as compares with 0. x = 0, +-5e-324, -0.0, 1e-320
-- in a loop gives wrong branches on the JIT.
local xs = { 0, 5e-324, -0.0, 1e-320, -5e-324, 0.5, -1e-320 }
local out = {}
local function f(x)
  local r = 0
  if x < 5e-324 then r = r + 1 end
  if x <= 4.9406564584124654e-324 then r = r + 2 end
  if x == 5e-324 then r = r + 4 end
  if not (x > 5e-324) then r = r + 8 end
  if not (x >= 5e-324) then r = r + 16 end
  if x ~= 5e-324 then r = r + 32 end
  return r
end
for i = 1, 140 do
  local x = xs[i % #xs + 1]
  out[#out+1] = f(x)
end
local s = table.concat(out, ",")
print(s)
return s
