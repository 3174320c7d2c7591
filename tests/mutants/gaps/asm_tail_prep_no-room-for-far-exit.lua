-- Kills s2-063 (asm_tail_prep: never reserves the 2nd word for the far exit LDR+BR).
-- sizemcode at its maximum (128MB-64KB) cannot fit the +-64MB range near the VM, so the
-- area goes wherever mmap puts it and lj_vm_exit_interp is out of B range from its top.
-- f's root trace returns to the interpreter (LDR+BR); the mutant's BR overwrites the first
-- exit-stub word, so the first exit (n > 250) runs off the stubs/area: crash under JIT.
jit.opt.start("sizemcode=131008", "maxmcode=262144")
jit.off(true)  -- main chunk not compiled: f's trace is the first (top of the area)
local function f(n)
  if n > 250 then return -n end
  return n + 1
end
local sum = 0
for k = 1, 300 do sum = sum + f(k) end
local s = tostring(sum)
print(s)
return s
