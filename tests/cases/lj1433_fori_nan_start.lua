-- pins: LuaJIT#1433
-- title: A numeric for loop recorded with a NaN start
-- fixed-by: 54cce2e1
-- fails-with: iterations of a for loop starting at NaN
-- fails-on: luajit-src 210.6.6+707c12b
-- passes-on: luajit-src 210.7.0+fbb36bb
-- stress-finds: no, a numeric for loop whose start is NaN when its trace is recorded; the generator's loops count from integer constants
-- Prose: numeric for loops whose start value is NaN at the time the trace
-- is recorded. A loop `for j = nan, stop` never runs its body (NaN <= stop is
-- false), but a trace recorded with a NaN control value does not keep that
-- semantics (the loop is narrowed and checked as in ARM64's dual-number
-- mode), so the compiled code runs the body. The fix refuses to record
-- loops with NaN control values (or a -0 step). Two variants: a direct NaN
-- start with a variable step, and a nested loop whose start `"9" % i` is NaN
-- when i is 0 (the inner loop's stop comes from a function that side traces
-- and stitching compile); both are counted against the same code run by the
-- interpreter.
jit.opt.start("hotloop=1", "hotexit=1")

local nan = 0 / 0
local src = [[
local start, stop, step = ...
local n = 0
for j = start, stop, step do n = n + 1 end
return n
]]
local count = assert(loadstring(src, "=count"))
local count_ref = assert(loadstring(src, "=count_ref"))
jit.off(count_ref)

local nested_src = [[
local s, hi = ...
local function num_or_one(v) return tonumber(v) or 1 end
num_or_one(); num_or_one("")
local n = 0
for _ = 1, 2 do
  for i = num_or_one(9 % 1), 1 do
    for j = s % i, num_or_one(hi) do n = n + 1 end
  end
end
return n
]]
local nested = assert(loadstring(nested_src, "=nested"))
local nested_ref = assert(loadstring(nested_src, "=nested_ref"))
jit.off(nested_ref)

local wrong = {}
local got, want = {}, {}
for round = 1, 6 do got[round] = count(nan, 1, 1) end
for round = 1, 6 do want[round] = count_ref(nan, 1, 1) end
for round = 1, 6 do
  if got[round] ~= want[round] then
    wrong[#wrong + 1] = ("round %d: %d iterations of a for loop starting at NaN, expected %d")
      :format(round, got[round], want[round])
    break
  end
end
for round = 1, 4 do
  local got, want = nested("9", ""), nested_ref("9", "")
  if got ~= want then
    wrong[#wrong + 1] = ("round %d: %d iterations of a for loop starting at NaN (9 %% 0) inside another, expected %d")
      :format(round, got, want)
    break
  end
end
if #wrong > 0 then error(table.concat(wrong, "; ")) end
