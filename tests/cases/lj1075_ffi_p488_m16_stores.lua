-- pins: LuaJIT#1075
-- title: ARM64: an access at -16 fused with one at +488 that shares its 9-bit encoding
-- fixed-by: b8c6ccd5
-- fails-with: int64 store to p-16 landed elsewhere
-- fails-on: luajit-src 210.4.8+resty107baaf
-- passes-on: luajit-src 210.5.0+becf5cc
-- Hot loops store int64 values through one pointer at p+488 (or p+504) and
-- then at p-16, so an STR and an STUR off the same register end up adjacent.
-- The faulty emit_lso mistakes the S9 encoding of -16 for +496, the neighbour
-- of both, and fuses the pair into one STP at p+488 (or p+496): the value meant
-- for p-16 is written to p+496 and p-16 keeps a stale value.
local ffi = require("ffi")
jit.opt.start("hotloop=1")

local buf = ffi.new("int64_t[68]")
local p = buf + 2  -- p[-2] is buf[0]; p[61], p[62], p[63] are buf[63..65]

local function reset()
  for k = 0, 67 do buf[k] = 1000 + k end
end

local wrong = {}
local function expect(loop, what, idx, want)
  local got = buf[idx + 2]
  if got ~= want then
    wrong[#wrong + 1] = ("int64 store to %s landed elsewhere (%s loop): p[%d] holds %s, expected %s"):format(
      what, loop, idx, tostring(got), tostring(want))
  end
end

local function store_488(q, n, a, b)
  for i = 1, n do
    local x, y = a + i, b - i
    q[61] = x  -- p+488
    q[-2] = y  -- p-16
  end
end

local function store_504(q, n, a, b)
  for i = 1, n do
    local x, y = a + i, b - i
    q[63] = x  -- p+504
    q[-2] = y  -- p-16
  end
end

reset()
store_488(p, 100, 5000LL, 7000LL)
expect("+488", "p-16", -2, 6900LL)
expect("+488", "p+488", 61, 5100LL)
expect("+488", "p+496 (not a target)", 62, 1064LL)

reset()
store_504(p, 100, 5000LL, 7000LL)
expect("+504", "p-16", -2, 6900LL)
expect("+504", "p+504", 63, 5100LL)
expect("+504", "p+496 (not a target)", 62, 1064LL)
if #wrong > 0 then error(table.concat(wrong, "; ")) end
