local ffi = require("ffi")
local bit = require("bit")
jit.opt.start("hotloop=1")

local box = { 0xffffffffULL, 0x123456789abcdef0ULL, 0LL }
local wrong = {}
local function check(what, got, want)
  if got ~= want then
    wrong[#wrong + 1] = ("%s fused into another instruction in a loop: expected %s, got %s")
      :format(what, tostring(want), tostring(got))
  end
end

local function run(f)
  local r
  for _ = 1, 40 do r = f(box) end
  return r
end

check("bit.band(bit.rshift(x, 31LL), 0xff)", run(function(b) return bit.band(bit.rshift(b[1], 31LL), 0xffULL) end), 1ULL)
check("bit.bnot(bit.lshift(x, 4LL))", run(function(b) return bit.bnot(bit.lshift(b[1], 4LL)) end), 18446744004990074895ULL)
check("bit.bxor(x, bit.lshift(x, 40LL))", run(function(b) return bit.bxor(b[1], bit.lshift(b[1], 40LL)) end), 18446742978492891135ULL)
check("x + bit.lshift(y, 3LL)", run(function(b) return b[1] + bit.lshift(b[2], 3LL) end), 10494147744005289855ULL)
check("bit.rshift(bit.lshift(y, 32LL), 32)", run(function(b) return bit.rshift(bit.lshift(b[2], 32LL), 32) end), 2596069104ULL)
check("bit.bor(bit.lshift(y, 40LL), bit.rshift(y, 24LL))", run(function(b) return bit.bor(bit.lshift(b[2], 40LL), bit.rshift(b[2], 24LL)) end), 13609579084938377370ULL)
check("bit.bxor(x, bit.ror(x, 8LL))", run(function(b) return bit.bxor(b[2], bit.ror(b[2], 8LL)) end), 16295820255188902446ULL)

local bytes = ffi.new("uint8_t[64]")
for i = 0, 63 do bytes[i] = i end
local p = ffi.cast("uint8_t *", bytes)
local function sum_loads(b)
  local s = 0
  for i = 0, 15 do s = s + p[bit.lshift(b[3] + i, 2LL)] end
  return s
end
check("p[bit.lshift(k, 2LL)]", sum_loads(box), 480)
if #wrong > 0 then error(table.concat(wrong, "; ")) end
