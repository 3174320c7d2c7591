-- Runs one stress program the way the suite does (a chunk whose values are
-- its result) on a `luajit` executable or through probe-loader, neither of
-- which shows what a script returns. Prints the trace count and the values,
-- rendered with tostring and joined by tabs, after a marker line so that
-- whatever the program prints itself stays apart.
local program = assert(loadfile(arg[1]))
local function pack(...) return { n = select("#", ...), ... } end
local results = pack(program())
local parts = {}
for i = 1, results.n do parts[i] = tostring(results[i]) end
local traces = 0
if jit.status() then
  local info = require("jit.util").traceinfo
  for t = 1, 65535 do if info(t) then traces = traces + 1 end end
end
io.stdout:write("\n", arg[2], "\n", traces, "\n", table.concat(parts, "\t"), "\n")
