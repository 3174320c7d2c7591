-- A gap of tests/mutants_triage.txt, the mutant of asm_setup_call_slots (`i < nargs` -> `i >= nargs`): the loop that sizes
-- the outgoing stack-argument area never runs, so evenspill is not raised for an FFI call
-- with more than 8 FP args. Here snprintf gets 12 doubles: 4 are stored at [sp+0..31],
-- beyond the 16 bytes of fixed spill slots the trace owns, clobbering the interpreter's
-- C frame -> the JIT run crashes (or prints garbage); -joff and the base print the lines.
local ffi = require("ffi")
ffi.cdef[[int snprintf(char *s, size_t n, const char *fmt, ...);]]
local buf = ffi.new("char[256]")
local out = {}
for i = 1, 60 do
  local x = i + 0.5
  ffi.C.snprintf(buf, 256, "%g %g %g %g %g %g %g %g %g %g %g %g",
    x, x+1, x+2, x+3, x+4, x+5, x+6, x+7, x+8, x+9, x+10, x+11)
  out[#out+1] = ffi.string(buf)
end
local s = table.concat(out, "\n", 55)
print(s)
return s
