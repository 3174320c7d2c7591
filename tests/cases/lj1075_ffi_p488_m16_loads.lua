-- pins: LuaJIT#1075
-- title: ARM64: an access at -16 fused with one at +488 that shares its 9-bit encoding
-- fixed-by: b8c6ccd5
-- fails-with: int64 loads from p+488 and p-16 returned wrong data
-- fails-on: luajit-src 210.4.8+resty107baaf
-- passes-on: luajit-src 210.5.0+becf5cc
-- A hot loop loads int64 values through one pointer at p+488 and then at p-16,
-- so the LDR/LDUR pair sits next to each other. The faulty emit_lso takes the S9
-- encoding of -16 for +496 and fuses them into one LDP at p+488: the value meant
-- to come from p-16 is read from p+496 instead.
local ffi = require("ffi")
jit.opt.start("hotloop=1")

local buf = ffi.new("int64_t[68]")
local p = buf + 2  -- p[-2] is buf[0]; p[61], p[62] are buf[63], buf[64]
for k = 0, 67 do buf[k] = 1000 + 10 * k end

local function diff_488(q, n)
  local s = 0
  for i = 1, n do
    s = s + tonumber(q[61] - q[-2])  -- p+488 minus p-16
  end
  return s
end

for round = 1, 3 do
  local got = diff_488(p, 50)
  local want = 50 * tonumber(buf[63] - buf[0])
  if got ~= want then
    error(("int64 loads from p+488 and p-16 returned wrong data: round %d, sum %s, expected %s"):format(
      round, tostring(got), tostring(want)))
  end
end
