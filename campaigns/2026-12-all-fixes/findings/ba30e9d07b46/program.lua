-- stress program, seed 0xc3330708e1b04a2d
jit.opt.start("hotloop=2", "hotexit=3", "loopunroll=1")
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
local g = {}
for k = 1, 40 do g[k] = k end
local h = { f = 0, k0 = 0, k1 = 0, k2 = 0, k3 = 0, k4 = 0 }
local mt = {}
local cell = { 0 }
local EB = { 0, 1, -1, 2, 7, 31, 32, 37, 63, 64, 255, 4095, 4096, -4096, 0x7fff, 0xffff, 0x10000, 0x7ffffffe, 0x7fffffff, -0x7fffffff, -0x80000000, 0x12345678, -0x5555556, 1000000 }
local EN = { 0.5, -0.0, 0, 1.5, -2.25, 1e-300, 1e300, 2147483648, -2147483648, 4503599627370496, 9007199254740993, 0.1, 3, -7.75, 9.2233720368547758e18, 1/0, -1/0, 0/0, 4294967295, -1, 2.5, -4096, 65535.5, 1e-310 }
local EL = { 0LL, 1LL, -1LL, 2LL, 63LL, 64LL, 4095LL, 4096LL, -4097LL, 0x7fffffffLL, 0x80000000LL, 0xffffffffLL, 0x100000000LL, 0x7fffffffffffffffLL, -0x7fffffffffffffffLL - 1, 0x123456789abcLL, -0x123456789LL, 0xfffffffffffLL, 0x5555555555555555LL, 0x12340000LL, 0x1234000000000000LL, -0x10000LL, 255LL, 37LL }
local EU = { 0ULL, 1ULL, 0xffffffffffffffffULL, 0x8000000000000000ULL, 0x7fffffffffffffffULL, 0xfffffffffffULL, 0x123456789abcdef0ULL, 4096ULL, 0xffffffffULL, 0x100000000ULL, 2ULL, 37ULL, 0xff00ff00ff00ff00ULL, 0x5555555555555555ULL, 63ULL, 64ULL, 0xfffffffeULL, 0x10000ULL, 0x8000000000000001ULL, 0xfffULL, 0x1000ULL, 12345678901234567ULL, 0xaaaaaaaaaaaaaaaaULL, 7ULL }
local function fold(s, x)
  if x ~= x then x = 0.25 elseif x - x ~= 0 then x = 0.75 end
  return (s * 31 + x) % 4294967291
end
local function fold64(s, x)
  return fold(fold(s, tonumber(bit.band(x, 0xffffffffLL))), tonumber(bit.rshift(x, 32)))
end
ffi.cdef[[
int abs(int);
int toupper(int);
long long llabs(long long);
double fabs(double);
float fabsf(float);
double floor(double);
double ldexp(double, int);
double fmax(double, double);
]]
local C = ffi.C
local has_buffer, buffer = pcall(require, "string.buffer")
local H = {}
for k = 1, 2048 do H["k" .. k] = k end
local P = { a = 1, b = 2, c = 3, d = 4, e = 5, f = 6, g = 7 }
local function maker(n)
  local u = n
  local function bump() u = u + 1 return u end
  for _ = 1, 3 do bump() end
  return bump
end
local function b0(t)
  local v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15, v16, v17, v18, v19, v20 = 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20
  local s = 0
  for i, x in pairs(t) do
    if i > 14 then break end
    cell = { i }; s = s + cell[1]
    cell = { i }; s = s + cell[1]
    if i % 4 == 0 then s = s + 4 end
    s = s + va(i, 2, 3)
  end
  return s + v18 + v19 + v20
end
local function b1(q, n)
  local s = 0
  for i = 1, 30 do
    local x, y = i + n, i + n + 1
    ffi.cast("int32_t*", q + 2)[0] = x
    ffi.cast("int32_t*", q + 6)[0] = y
  end
  return s
end
local function b2(t)
  local v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15, v16, v17, v18, v19, v20, v21, v22, v23, v24, v25, v26, v27, v28, v29, v30, v31, v32, v33, v34, v35, v36, v37, v38, v39, v40, v41, v42, v43, v44, v45, v46, v47, v48, v49, v50, v51, v52, v53, v54, v55, v56, v57, v58, v59, v60, v61, v62, v63, v64, v65, v66, v67, v68, v69, v70, v71, v72, v73, v74, v75, v76, v77, v78, v79, v80, v81, v82, v83, v84, v85, v86, v87, v88, v89, v90, v91, v92, v93, v94, v95, v96, v97, v98, v99, v100, v101, v102, v103, v104, v105, v106, v107, v108, v109, v110, v111, v112, v113, v114, v115, v116, v117, v118 = 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114, 115, 116, 117, 118
  local s = 0
  local m = mt
  for i, x in pairs(t) do
    if i > 31 then break end
    h.f = h.f + i
    m = {}; setmetatable(g, m); setmetatable(g, m)
    s = s + i
  end
  return s + v116 + v117 + v118
end
local function b3(t)
  local s = 0
  for i = 1, 32 do
    s = s + i
  end
  return s
end
local function b4(n)
  local s = n
  for i = 1, 4 do
    local a, b = EB[i], EB[(i * 7 + n) % 24 + 1]
    local c, d = EL[(i + n) % 24 + 1], EU[(i * 5) % 24 + 1]
    local e, f = EN[i], EN[(i * 11 + n) % 24 + 1]
    local r0 = fold(0, math.ceil(math.min(f, a)))
    local r1 = fold(0, tonumber(ffi.cast("float", (tonumber(c) * e))))
    local r2 = fold(0, bit.lshift(bit.rshift(a, 3), 31))
    local r3 = fold(0, math.abs(((a - a) % 4096)))
    s = (s + r0 + r1 + r2 + r3) % 4294967291
  end
  return s
end
local function b5(n)
  local s = n
  for i = 1, 43 do
    H.k66 = (H.k66 + i) % 65536
  end
  return s % 4294967291
end
local function b6(q, n)
  local a_int16 = ffi.cast("int16_t*", q)
  local a_int32 = ffi.cast("int32_t*", q)
  local made = string.rep("q" .. n, 120)
  local s = 0
  for i = 1, 21 do
    s = s + tonumber(a_int16[i + n % 16 + 7])
    s = s + tonumber(a_int16[i - 2])
    a_int32[i - 4] = i + n
    s = s + string.byte(made, i + 14)
    s = s + tonumber(a_int16[i + n % 16 + 7])
  end
  return s % 4294967291
end
local sb7 = has_buffer and buffer.new()
local function b7(n)
  local s = n
  for i = 1, 38 do
    if sb7 then sb7:put(i, ",") end
    if sb7 then sb7:putf("%d:%g;", i, i * 0.5 - n) end
    s = s + C.fmax(i * 0.5, n - 3.5)
    if sb7 then sb7:put(i, ",") end
  end
  if sb7 then
    local written = sb7:tostring()
    s = s + #written + string.byte(written, -2)
    sb7:reset()
  end
  return s % 4294967291
end
for round = 1, 36 do
  mix(b0(t))
  mix(b1(p, round))
  mix(b2(t))
  mix(b3(t))
  mix(b4(round))
  mix(b5(round))
  mix(b6(p, round))
  mix(b7(round))
end
for k = 0, 2 * 1024 - 1 do mix(buf[k]) end
for k = 1, 40 do mix(g[k]) end
mix(h.f)
for k = 0, 4 do mix(h["k" .. k]) end
mix(getmetatable(g) == mt and 1 or 0)
mix(cell[1])
do local z = 0 for k = 1, 2048 do z = (z + H["k" .. k]) % 4294967291 end mix(z) end
return acc, up
