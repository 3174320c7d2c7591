-- pins: LuaJIT#1065
-- title: ARM64: 32-bit constants sign-extended inconsistently
-- fixed-by: 5149b0a3, fca1f51b
-- fails-with: stored by the same loop as int32
-- fails-on: luajit-src 210.4.8+resty107baaf
-- passes-on: luajit-src 210.5.0+becf5cc
-- Prose: a loop stores a negative int32 constant through an int32_t pointer
-- and then an int64 constant one away from it through an int64_t pointer.
-- The int32 constants are chosen so that their bit pattern is a logical
-- immediate (ORR w, wzr, #imm is its shortest load, which zero-extends),
-- while the faulty backend assumes a KINT held in a register is
-- sign-extended. When it loads the int64 constant as "that register +/- 1"
-- (emit_kdelta), the high word comes out zero: -1048560LL is stored as
-- 4293918736LL.
local ffi = require("ffi")
jit.opt.start("hotloop=1")

local b32 = ffi.new("int32_t[4]")
local b64 = ffi.new("int64_t[4]")
for _ = 1, 100 do
  b32[1] = -1048561           -- 0xfff0000f
  b64[1] = -1048560LL         -- that + 1
end
for _ = 1, 100 do
  b32[2] = -1073741821        -- 0xc0000003
  b64[2] = -1073741822LL      -- that - 1
end
for _ = 1, 100 do
  b32[3] = -33553921          -- 0xfe0001ff
  b64[3] = -33553920LL        -- that + 1
end

local want = { -1048560LL, -1073741822LL, -33553920LL }
local wrong = {}
for k = 1, 3 do
  if b64[k] ~= want[k] then
    wrong[#wrong + 1] = ("int64 constant %s stored by the same loop as int32 %d: got %s")
      :format(tostring(want[k]), b32[k], tostring(b64[k]))
  end
end
if #wrong > 0 then error(table.concat(wrong, "; ")) end
