-- Kills s3-143 (emit_isk13 accepting 0 and -1): with folding off, bit.band(x, -1)
-- keeps a BAND with KINT -1 in the IR; asm_fuseopm asks emit_isk13 for a logical immediate
-- and the mutant returns the reserved encoding N=1, immr=0, imms=63 (no all-ones/zeros
-- logical immediate exists), so the JIT-compiled AND is an undefined instruction (SIGILL).
jit.opt.start("-fold", "hotloop=5")
local band = bit.band
local s = 0
for i = 1, 100 do s = s + band(i * 3, -1) end
local res = tostring(s)
print(res)
return res
