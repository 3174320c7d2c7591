-- Kills s3-062 (asm_fpmath `fpm >= IRFPM_SQRT`): FPMATH LOG/LOG2 (math.log(x),
-- math.log(x, b)) are emitted as FSQRT instead of calls to log/log2, so the compiled
-- loop returns sqrt(x) (and sqrt-based ratios) where the interpreter returns logs.
local out = {}
for i = 1, 60 do
  local x = i * 1.5
  out[#out+1] = string.format("%.14g %.14g", math.log(x), math.log(x, 2 + i % 3))
end
local s = table.concat(out, " ")
print(s)
return s
