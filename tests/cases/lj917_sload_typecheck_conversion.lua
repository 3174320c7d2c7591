-- pins: LuaJIT#917
-- title: ARM64: IR_SLOAD with type check and conversion reads another register
-- fixed-by: 564147f5
-- fails-with: started from another register
-- fails-on: luajit-src 210.4.3+resty8384278
-- passes-on: luajit-src 210.4.4+restydf15b79
-- stress-finds: no, a numeric for loop whose start, stop and step are integral values made floats at run time (x + 0.0), so that the trace narrows the index with a checked, converting SLOAD
-- Prose: a numeric `for` loop whose start, stop and step are all numbers
-- that are not integers in type (each is an integer value plus a 0.0 made
-- at run time, so neither the parser nor lj_meta_for narrows them). The
-- trace narrows the loop index to an int with a checked SLOAD (TCI). The
-- faulty asm_sload loaded the slot into a general register for the type
-- check but never moved it to the FP register it then converted, so the
-- index came from whatever that register held: the step, here. The
-- expected sequences are the interpreter's own, from the same loops run
-- with the JIT off.
jit.opt.start("hotloop=1")

local ZERO = ({ 2 ^ 32 })[1] * 0
local ranges = { { -4, -1, 1 }, { 1, 10, 3 }, { 6, 2, -1 }, { -3, 3, 2 }, { 9, -9, -4 } }

local function run_all()
  local out = {}
  for k, r in ipairs(ranges) do
    local seen = {}
    for i = r[1] + ZERO, r[2] + ZERO, r[3] + ZERO do seen[#seen + 1] = i end
    out[k] = table.concat(seen, ",")
  end
  return out
end

-- With `-joff` both runs are the interpreter's.
local jit_on = jit.status()
jit.off()
local want = run_all()
if jit_on then jit.on() end

local wrong = {}
for round = 1, 3 do
  local got = run_all()
  for k, r in ipairs(ranges) do
    if got[k] ~= want[k] then
      wrong[#wrong + 1] = ("round %d: for i = %d, %d, %d started from another register: got %s, the interpreter %s")
        :format(round, r[1], r[2], r[3], got[k], want[k])
    end
  end
end
assert(#wrong == 0, table.concat(wrong, "; "))
print("ok")
