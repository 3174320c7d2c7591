-- The warm-up of a batch of programs (see warm.rs): a little of everything
-- a stress program does, so that the process the programs are forked from
-- has had QEMU translate the parser, the interpreter, the recorder, the
-- optimiser and the assembler of LuaJIT once. Its result is not compared.
local ffi = require("ffi")
local acc = 0
local t, h = {}, {}
for i = 1, 200 do
  t[i] = i * 3 % 17
  h["k" .. (i % 31)] = i
  if i % 7 == 0 then acc = acc + 1 else acc = acc - 0.5 end
end
for _, v in ipairs(t) do acc = acc + v end
for k, v in pairs(h) do acc = acc + #k + v end
local function va(...) local a, b = ... return (a or 0) + (b or 0) end
local up = 0
local function bump(x) up = up + x return up end
local buf = ffi.new("uint8_t[256]")
local p = ffi.cast("int32_t *", buf)
for i = 1, 300 do
  acc = acc + va(i, 2) + bump(1)
  acc = acc + bit.band(i, 0xff) + bit.lshift(i, 3) + bit.bxor(i, 0x55)
  acc = acc + math.floor(i / 3) + math.max(i, 100) + math.abs(-i) % 5
  local x = ffi.cast("int64_t", i) * 3LL + 1LL
  acc = acc + tonumber(bit.band(x, 0xffffLL))
  p[i % 64] = i
  acc = acc + p[(i * 7) % 64] + buf[i % 256]
  acc = acc + #tostring(i) + string.byte("abc", i % 3 + 1)
  if i % 50 == 0 then collectgarbage("step") end
  local ok = pcall(error, "x")
  if not ok then acc = acc + 1 end
end
local s = {}
for i = 1, 100 do s[#s + 1] = string.format("%d:%s", i, tostring(i * 0.5)) end
return acc + #table.concat(s, ",")
