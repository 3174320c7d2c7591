local ffi = require("ffi")
jit.opt.start("hotloop=1")

local box = { -1LL, -7LL }
local wrong = {}
local function check(what, got, want)
  if got ~= want then
    wrong[#wrong + 1] = ("%s after the same operation on its uint64_t cast: expected %s, got %s")
      :format(what, tostring(want), tostring(got))
  end
end

local function run(f)
  local u, s
  for _ = 1, 40 do u, s = f(box) end
  return u, s
end

local u, s = run(function(b)
  local c = b[1]
  return ffi.cast("uint64_t", c) % 3ULL, c % 3LL
end)
check("-1LL % 3LL", s, -1LL)
check("uint64_t(-1LL) % 3ULL", u, 0ULL)
u, s = run(function(b)
  local c = b[2]
  return ffi.cast("uint64_t", c) / 3ULL, c / 3LL
end)
check("-7LL / 3LL", s, -2LL)
check("uint64_t(-7LL) / 3ULL", u, 6148914691236517203ULL)
if #wrong > 0 then error(table.concat(wrong, "; ")) end
