-- Guard tally of one stress program: runs it with handlers attached to the
-- JIT's "trace" and "texit" events and returns, as text, how many of the
-- snapshots (exits) of the traces it compiled were taken at least once.
-- `guard_tally.rs` puts three locals before this text: PROGRAM (the
-- program's file), CHUNK (the chunk name the stress run gives it) and
-- SRC (the tree's src/, where jit/vmdef.lua has the IR's opcode names).
--
-- A guard that fails leaves the trace through the exit of the snapshot in
-- force at it: the last snapshot whose first IR ref is at or before the
-- guard. Several guards share a snapshot, so an exit says that one of the
-- snapshot's guards failed, not which: the tally is per snapshot.

package.path = SRC .. "/?.lua;" .. package.path
local irnames = require("jit.vmdef").irnames
local util = require("jit.util")
local band, rshift = bit.band, bit.rshift

-- IRT_GUARD, the guard bit of the type byte of `traceir`'s `ot`.
local GUARD = 128

local function opname(ot)
  local at = 6 * rshift(ot, 8)
  return (irnames:sub(at + 1, at + 6):gsub(" +$", ""))
end

-- A compiled trace as the tally needs it: its number of snapshots, the
-- opcodes of the guards under each snapshot, and the exits taken so far.
local function compiled(tr)
  local info = util.traceinfo(tr)
  if not info then return nil end
  local trace = { nexit = info.nexit, guards = {}, taken = {} }
  local sn, snap = 0, util.tracesnap(tr, 0)
  local next_ref = snap and snap[0] or math.huge
  local in_force = nil
  for ref = 1, info.nins do
    -- Snapshots may share a first ref; the last of them is in force.
    while ref >= next_ref do
      in_force, sn = sn, sn + 1
      snap = util.tracesnap(tr, sn)
      next_ref = snap and snap[0] or math.huge
    end
    local m, ot = util.traceir(tr, ref)
    -- LOOP carries the guard bit only to survive dead-code elimination;
    -- it checks nothing.
    if m and in_force and band(ot, GUARD) ~= 0 and opname(ot) ~= "LOOP" then
      local ops = trace.guards[in_force] or {}
      ops[opname(ot)] = true
      trace.guards[in_force] = ops
    end
  end
  return trace
end

-- A trace number is reused after a flush: each compiled trace is kept
-- apart, the live ones by number.
local live, retired = {}, {}

local function on_trace(what, tr)
  if what == "stop" then
    if live[tr] then retired[#retired + 1] = live[tr] end
    live[tr] = compiled(tr)
  elseif what == "flush" then
    for _, trace in pairs(live) do retired[#retired + 1] = trace end
    live = {}
  end
end

local function on_exit(tr, ex)
  local trace = live[tr]
  if trace then trace.taken[ex] = true end
end

jit.attach(on_trace, "trace")
jit.attach(on_exit, "texit")
local file = assert(io.open(PROGRAM, "rb"))
local source = file:read("*a")
file:close()
local ran, failure = pcall(assert(loadstring(source, CHUNK)))
jit.attach(on_trace)
jit.attach(on_exit)
jit.off()

for _, trace in pairs(live) do retired[#retired + 1] = trace end
local traces, traces_taken, exits, exits_taken, guarded, guarded_taken = 0, 0, 0, 0, 0, 0
local by_op = {}
for _, trace in ipairs(retired) do
  traces = traces + 1
  local any = false
  for sn = 0, trace.nexit - 1 do
    local taken = trace.taken[sn] == true
    exits = exits + 1
    if taken then exits_taken, any = exits_taken + 1, true end
    local ops = trace.guards[sn]
    if ops then
      guarded = guarded + 1
      if taken then guarded_taken = guarded_taken + 1 end
      for op in pairs(ops) do
        local count = by_op[op] or { 0, 0 }
        count[1] = count[1] + 1
        if taken then count[2] = count[2] + 1 end
        by_op[op] = count
      end
    end
  end
  if any then traces_taken = traces_taken + 1 end
end

local lines = {
  "ran " .. (ran and "ok" or "error"),
  "traces " .. traces .. " " .. traces_taken,
  "exits " .. exits .. " " .. exits_taken,
  "guarded " .. guarded .. " " .. guarded_taken,
}
local ops = {}
for op in pairs(by_op) do ops[#ops + 1] = op end
table.sort(ops)
for _, op in ipairs(ops) do
  lines[#lines + 1] = "op " .. op .. " " .. by_op[op][1] .. " " .. by_op[op][2]
end
if not ran then io.stderr:write(CHUNK, ": ", tostring(failure), "\n") end
return "guard-tally\n" .. table.concat(lines, "\n")
