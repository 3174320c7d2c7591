-- Kills s2-165 (asm_tail_fixup: exit-to-interpreter branch range check 26 -> 27 bits).
-- sizemcode=120000 (KB) is too big for the +-64MB range around the VM, so the mcode area is
-- mmap'ed elsewhere and (under qemu) the trace tail lands ~160MB from lj_vm_exit_interp:
-- base emits ldr/br, the mutant a plain B whose 26-bit offset wraps -> jumps into garbage.
-- f's root trace ends with "stop -> return", i.e. the tail exits to the interpreter.
jit.opt.start("sizemcode=120000", "maxmcode=250000", "hotloop=5")
local function f(x) return x * 2 + 1 end
jit.off(true)  -- keep the calling loop interpreted so f gets its own return-linked trace
local s = 0
for i = 1, 300 do s = s + f(i) end
local r = tostring(s)
print(r)
return r
