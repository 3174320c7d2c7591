-- pins: LuaJIT#1056
-- title: ARM64: misaligned loads or stores fused into an LDP/STP at a truncated offset
-- fixed-by: 0fa2f1cb
-- fails-with: misaligned int32 stores at p+1/p+5
-- fails-on: luajit-src 210.4.8+resty107baaf
-- passes-on: luajit-src 210.5.0+becf5cc
-- Packed structs put int32 fields at byte offsets 1 and 5 (and 5 and 0), and
-- hot loops store and load both fields back to back through one pointer. The
-- faulty emit_lso checks only the range of the pair offset, not its alignment,
-- so it fuses the misaligned STUR/LDUR pair into one STP/LDP at the offset
-- truncated to a multiple of 4: the data goes to / comes from p+0 and p+4.
local ffi = require("ffi")
jit.opt.start("hotloop=1")
ffi.cdef[[
#pragma pack(push, 1)
typedef struct { uint8_t head; int32_t lo; int32_t hi; uint8_t tail[3]; } lj1056_odd;
typedef struct { int32_t lo; uint8_t gap; int32_t hi; uint8_t tail[3]; } lj1056_gap;
#pragma pack(pop)
]]
local raw = ffi.new("uint8_t[12]")
local odd = ffi.cast("lj1056_odd *", raw)  -- lo at p+1, hi at p+5
local gap = ffi.cast("lj1056_gap *", raw)  -- hi at p+5, lo at p+0

local function bytes()
  local t = {}
  for k = 0, 11 do t[#t + 1] = raw[k] end
  return table.concat(t, ",")
end
local wrong = {}
local function check(what, got, want)
  if got ~= want then
    wrong[#wrong + 1] = ("%s: expected %s, got %s"):format(what, want, got)
  end
end

local function store_odd(s, n)  -- stores p+5 then p+1
  for i = 1, n do local hi = i + 256; s.hi = hi; s.lo = i end
end
local function store_gap(s, n)  -- stores p+5 then p+0
  for i = 1, n do local hi = i + 256; s.hi = hi; s.lo = i end
end
ffi.fill(raw, 12, 99); store_odd(odd, 60)
check("misaligned int32 stores at p+1/p+5, bytes", bytes(), "99,60,0,0,0,60,1,0,0,99,99,99")
ffi.fill(raw, 12, 99); store_gap(gap, 60)
check("misaligned int32 stores at p+5/p+0, bytes", bytes(), "60,0,0,0,99,60,1,0,0,99,99,99")

local function load_odd(s, n)  -- loads p+1 then p+5
  local acc = 0
  for i = 1, n do acc = acc + (s.lo - s.hi) end
  return acc
end
local function load_gap(s, n)  -- loads p+5 then p+0
  local acc = 0
  for i = 1, n do acc = acc + (s.hi - s.lo) end
  return acc
end
ffi.fill(raw, 12, 0); odd.head = 17; odd.lo = 5; odd.hi = 7
check("misaligned int32 loads at p+1/p+5, sum", tostring(load_odd(odd, 60)), tostring(60 * (5 - 7)))
ffi.fill(raw, 12, 0); gap.gap = 17; gap.lo = 5; gap.hi = 7
check("misaligned int32 loads at p+5/p+0, sum", tostring(load_gap(gap, 60)), tostring(60 * (7 - 5)))
if #wrong > 0 then error(table.concat(wrong, "; ")) end
