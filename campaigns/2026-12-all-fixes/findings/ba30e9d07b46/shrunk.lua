-- stress program, seed 0xc3330708e1b04a2d
jit.opt.start("hotloop=2")
local ffi = require("ffi")
local clock = os.clock
local acc, up = 0, 0
local function mix(x) acc = (acc * 31 + (tonumber(x) or -1)) % 4294967291 end
local buf = ffi.new("uint8_t[2048]")
for k = 0, 2047 do buf[k] = (k * 7) % 251 end
local p = buf + 1024
local function va(...) local a, b, c = ... return a + (b or 0) + (c or 0) end
local t = {}
for k = 1, 40 do t[k] = k end
local function b0(q, n)
  local a_int16 = ffi.cast("int16_t*", q)
  local a_int32 = ffi.cast("int32_t*", q)
  local s = 0
  for i = 1, 21 do
    s = s + tonumber(a_int16[i + n % 16 + 7])
    a_int32[i - 4] = i + n
    s = s + tonumber(a_int16[i + n % 16 + 7])
  end
  return s % 4294967291
end
for round = 1, 1 do
  mix(b0(p, round))
end
for k = 0, 2 * 1024 - 1 do mix(buf[k]) end
return acc, up
