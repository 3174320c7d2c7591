-- pins: LuaJIT#1028
-- title: ARM64: a negative offset of a fused LDP/STP overwrites opcode bits
-- fixed-by: 9493acc1
-- fails-on: luajit-src 210.4.6+resty2cf5186
-- passes-on: luajit-src 210.4.7+resty107baaf
-- Guard: a hot loop reads both int32 fields of the struct just below a pointer
-- (q[-1].x at q-8, q[-1].y at q-4), and writes both fields of q[-2] (q-16/q-12).
-- emit_lso fuses each pair into one LDP/STP with a negative scaled offset; before
-- the fix the offset was shifted into the imm7 field unmasked, overwriting opcode
-- bits (illegal or different instruction). Passes on every tree with that fix.
local ffi = require("ffi")
jit.opt.start("hotloop=1")
ffi.cdef[[typedef struct { int32_t x, y; } lj1028_pair;]]

local arr = ffi.new("lj1028_pair[6]")
for k = 0, 5 do arr[k].x = 10 * k + 1; arr[k].y = 10 * k + 2 end
local q = arr + 4  -- q[-1] is arr[3], q[-2] is arr[2]

local function read_below(p, n)
  local acc = 0
  for i = 1, n do
    acc = acc + (p[-1].y - p[-1].x) * i
  end
  return acc
end

local function write_below(p, n)
  for i = 1, n do
    local y = i + 1000
    p[-2].y = y
    p[-2].x = i
  end
end

for round = 1, 3 do
  local got = read_below(q, 40)
  local want = (32 - 31) * (40 * 41 / 2)
  if got ~= want then
    error(("round %d: reading q[-1] gave sum %s, expected %s"):format(round, tostring(got), tostring(want)))
  end
end

write_below(q, 40)
local got = ("%d,%d %d,%d %d,%d"):format(arr[1].x, arr[1].y, arr[2].x, arr[2].y, arr[3].x, arr[3].y)
local want = "11,12 40,1040 31,32"
if got ~= want then
  error(("writing q[-2]: arr[1..3] hold %s, expected %s"):format(got, want))
end
