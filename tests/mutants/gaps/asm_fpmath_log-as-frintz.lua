-- Kills s3-122 (asm_fpmath `else if (1==1)`): FPMATH LOG/LOG2 (math.log(x),
-- math.log(x, b)) are emitted as FRINTZ (trunc) instead of calls to log/log2, so the compiled
-- loop returns trunc(x) (and trunc-based ratios) where the interpreter returns logs.
local out = {}
for i = 1, 60 do
  local x = i * 1.5
  out[#out+1] = string.format("%.14g %.14g", math.log(x), math.log(x, 2 + i % 3))
end
local s = table.concat(out, " ")
print(s)
return s
