-- pins: LuaJIT#1074
-- title: ARM64: a TBZ/TBNZ guard out of branch range in a long trace
-- fixed-by: 0705ef6c
-- fails-on: luajit-src 210.4.8+resty107baaf
-- passes-on: luajit-src 210.5.0+becf5cc
-- stress-finds: no, a trace of more than 32 KB of machine code (thousands of operations in one loop body) whose bit-test guard (bit.band(x, 4) ~= 0, a TBZ/TBNZ) comes near its start
-- Prose: a loop whose body tests one bit, `bit.band(x, 4) ~= 0`, and then runs
-- 6000 FP additions, so that its trace (loop pre-roll plus loop body) is
-- about 48 KB of machine code. The bit test becomes a TBZ/TBNZ guard near the start of the
-- trace; its exit stub sits past the end. TBZ/TBNZ reach only +-32 KB: the
-- faulty backend encodes the too-long offset anyway, truncated to 14 bits,
-- and the guard branches backwards into the unused, zeroed part of the mcode
-- area once the bit flips (SIGILL). Upstream's fix falls back to TST + B.cc.
-- The loop's results are also checked against a copy run by the interpreter.
jit.opt.start("hotloop=1", "maxrecord=40000", "sizemcode=1024", "maxmcode=4096")

local src = { "local xs, a = ...\nlocal band = bit.band\nlocal hits, y = 0, 1\n",
  "for i = 1, #xs do\n  local x = xs[i]\n  if band(x, 4) ~= 0 then hits = hits + 1 end\n" }
for _ = 1, 6000 do src[#src + 1] = "  y = y + a\n" end
src[#src + 1] = "end\nreturn hits, y\n"
src = table.concat(src)
local compiled = assert(loadstring(src, "=long_trace"))
local reference = assert(loadstring(src, "=long_trace_ref"))
jit.off(reference)

local xs = {}
for i = 1, 30 do xs[i] = (i < 20) and 1 or 5 end   -- bit 2 clear, then set
local hits, y = compiled(xs, 0.125)
local rhits, ry = reference(xs, 0.125)
if hits ~= rhits or y ~= ry then
  error(("long trace with a bit-test guard: expected %d hits and y=%.17g, got %d and %.17g")
    :format(rhits, ry, hits, y))
end
