-- Kills s3-053 (asm_tail_fixup: far exit 'ldr lr, [gl, #k]' written with D(LR) & N(GL) = 0,
-- i.e. 'ldr x0, [x0, #k]': LR is never loaded, so the following 'br lr' jumps to a stale address).
-- sizemcode=120000 (KB) puts the mcode area out of B's +-128MB range from lj_vm_exit_interp,
-- so a trace ending in "stop -> return" (tail exit to the interpreter) takes the far LDR/BR path.
jit.opt.start("sizemcode=120000", "maxmcode=250000", "hotloop=5")
local function f(x) return x * 2 + 1 end
jit.off(true)  -- keep the calling loop interpreted so f gets its own return-linked trace
local s = 0
for i = 1, 300 do s = s + f(i) end
local r = tostring(s)
print(r)
return r
