-- A gap of tests/mutants_triage.txt, the mutant of asm_fusexref ("irl->o == IR_CONV" -> "!="): the mutant fuses any non-CONV
-- index op whose op2 equals the literal 0xAB3 as if it were a sign-extending CONV, dropping it.
-- ~30k filler constants (maxirconst raised; 1000 dead ADDs first keep lj_ir_growbot from
-- underflowing) put the KINT64 3 of p[i]'s MUL(idx, 3) at IR ref 0xAB3: the mutant loads p+i, not p+3i.
local ffi = require("ffi")
jit.opt.start("maxirconst=32000", "maxrecord=60000", "hotloop=1")
local src = {"local p, n, x = ...\nlocal s, a, t = 0, 0, 0\nfor i = 0, n do\nt = x\n"}
for j = 1, 1000 do src[#src+1] = "t = t + x\n" end
for j = 1, 8016 do src[#src+1] = "a=" .. (j+1000) .. "\n" end
for j = 1, 5500 do src[#src+1] = "a=" .. (j + 0.5) .. "\n" end
for j = 1, 5500 do src[#src+1] = "a='s" .. j .. "'\n" end
src[#src+1] = "t = 0\ns = s + p[i].a\nend\nreturn s\n"
local f = assert(load(table.concat(src)))
ffi.cdef("typedef struct { uint8_t a, b, c; } S3;")
local buf = ffi.new("uint8_t[200]")
for k = 0, 199 do buf[k] = k end
local r = tostring(f(ffi.cast("S3*", buf), 40, 0.25))
print(r)
return r
