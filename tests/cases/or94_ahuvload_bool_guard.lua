-- pins: openresty/luajit2#94
-- title: ARM64: a load specialised to nil, false or true guarded with a wrong compare
-- fixed-by: 5bf0da3d
-- fails-with: left its trace at a type guard
-- fails-on: luajit-src 210.1.0+resty31116c4
-- passes-on: luajit-src 210.1.1+resty29a66f7
-- stress-finds: no, a table or upvalue load that held true when its trace was recorded, compared by a compiled guard against the value of its type tag (the wrong compare lets false through or exits on true)
-- Prose: a table or upvalue load whose value is `true` when
-- recorded (IR_ALOAD, HLOAD, ULOAD typed true; VLOAD is left out, see
-- docs/catalogue-reading.md). asm_ahuvload in
-- src/lj_asm_arm64.h checks the type with `cmp kreg, tmp, lsr #32`, kreg
-- holding the expected tag from ra_allock(). For nil/false/true the value
-- itself is not needed: tmp is a scratch register, which ra_allock() may
-- pick again since the faulty code allowed every GPR. When all other
-- registers are taken (26 int cdata values live across the load, with
-- sinking off) the loaded word is overwritten by the tag, and the guard
-- `cmp x, x, lsr #32` never holds: the trace exits at it in every
-- iteration. The fix (5bf0da3d, "ARM64: Fix {AHUV}LOAD specialized to
-- nil/false/true.") passes `gpr`, which rset_clear() has cleared tmp
-- from. Results stay right (the interpreter takes over), so the case
-- counts trace exits with jit.attach.
local ffi = require("ffi")
jit.opt.start("hotloop=1", "-sink")

local N = 26
local flag = true
local function up() return flag end
local function flip() flag = not flag end -- a mutable upvalue: ULOAD, not a constant

-- A chunk: its arguments, 26 locals kept across the loop, the loop.
local function loop_around(load)
  local src = { "local ffi, arr, h, up = ...\nlocal r\n" }
  for k = 1, N do src[#src + 1] = ("local keep%d\n"):format(k) end
  src[#src + 1] = "for i = 1, 20 do\n"
  for k = 1, N do src[#src + 1] = ("local c%d = ffi.cast('int', %d)\n"):format(k, k) end
  src[#src + 1] = "r = " .. load .. "\n"
  for k = 1, N do src[#src + 1] = ("keep%d = c%d\n"):format(k, k) end
  src[#src + 1] = "end\nreturn r\n"
  return assert(loadstring(table.concat(src)))
end

local exits = 0
local function count() exits = exits + 1 end
local wrong = {}
for _, load in ipairs({ "arr[1]", "h.x", "up()" }) do
  local f = loop_around(load)
  exits = 0
  jit.attach(count, "texit")
  local r = f(ffi, { true }, { x = true }, up)
  jit.attach(count)
  assert(r == true, load .. " should be true")
  if exits > 2 then
    wrong[#wrong + 1] = ("r = %s: %d exits in 20 iterations"):format(load, exits)
  end
end
if #wrong > 0 then
  error("a load of `true` left its trace at a type guard in every iteration: " .. table.concat(wrong, "; "))
end
print("ok")
