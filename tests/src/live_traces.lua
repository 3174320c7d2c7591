-- The numbers of the traces the JIT holds, as an iterator:
-- `for tr, info in live_traces() do ... end`. A trace takes the lowest free
-- number and only a flush frees many at once, so the numbers in use run
-- from 1 with few gaps: the walk stops after a gap of 256.
local traceinfo = require("jit.util").traceinfo
return function()
  local tr, missing = 0, 0
  return function()
    while missing <= 256 do
      tr = tr + 1
      local info = traceinfo(tr)
      if info then
        missing = 0
        return tr, info
      end
      missing = missing + 1
    end
  end
end
