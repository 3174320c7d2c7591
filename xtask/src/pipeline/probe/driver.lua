-- Runs one stress program the way the suite does (a chunk whose values are
-- its result) on a `luajit` executable or through probe-loader, neither of
-- which shows what a script returns. Prints the trace count and the values,
-- rendered with tostring and joined by tabs, after a marker line so that
-- whatever the program prints itself stays apart. Arguments: the program,
-- the marker, and tests/src/live_traces.lua (the suite's walk over the
-- trace numbers, so both count traces alike).
local program = assert(loadfile(arg[1]))
local function pack(...) return { n = select("#", ...), ... } end
local results = pack(program())
local parts = {}
for i = 1, results.n do parts[i] = tostring(results[i]) end
local traces = 0
if jit.status() then
  for _ in dofile(arg[3])() do traces = traces + 1 end
end
io.stdout:write("\n", arg[2], "\n", traces, "\n", table.concat(parts, "\t"), "\n")
