local ffi = require("ffi")
jit.opt.start("hotloop=1")

local wrong = {}
local function check(what, got, want)
  if got ~= want then
    wrong[#wrong + 1] = ("%s through a pointer into a constant array: expected %s, got %s")
      :format(what, tostring(want), tostring(got))
  end
end

local ints = ffi.new("int[4]", 10, 11, 12, 13)
local function load(i) return (ints + i % 4)[0] end
local sum = 0
for i = 1, 100 do sum = sum + load(i) end
check("int[4] loads", sum, 1150)

local bytes = ffi.new("uint8_t[16]")
local function store(i, v) (bytes + i % 16)[0] = v end
for i = 1, 64 do store(i, i) end
check("uint8_t[16] stores", bytes[0] + bytes[15], 64 + 63)

local pair = ffi.new("struct { int32_t n; int32_t a[3]; }", 0, { 5, 6, 7 })
local function field(i) return (pair.a + i % 3)[0] end
sum = 0
for i = 1, 60 do sum = sum + field(i) end
check("struct array field loads", sum, 360)

if #wrong > 0 then error(table.concat(wrong, "; ")) end
