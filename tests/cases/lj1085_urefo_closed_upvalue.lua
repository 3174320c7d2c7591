-- pins: LuaJIT#1085
-- title: UREFO recorded open, closed at run time
-- fixed-by: 07b3cd3c
-- fails-with: was finalized while an upvalue still held it
-- fails-on: luajit-src 210.5.0+becf5cc
-- passes-on: luajit-src 210.5.1+b94fbfb
-- stress-finds: no, a closure whose trace loads an upvalue through UREFO recorded while the upvalue was open, run again after it was closed, with the upvalue holding the only reference to a cdata with a finalizer and the collector running in between
-- Prose: `put` stores a fresh cdata with a finalizer into the upvalue `uv` of
-- `set`. Its trace is recorded while `uv` is still open (inside the do
-- block) and not aliasing a slot of the trace, so the recorder emits UREFO
-- and checks only that it does not alias. The faulty backend never checks
-- that the upvalue is still open: after the block ends `uv` is closed, the
-- trace keeps storing through it without the GC write barrier a closed
-- upvalue needs, and an object stored while the upvalue is already black is
-- never marked. The GC then finalizes (and frees) the object the upvalue
-- still holds. The rounds run interpreted so that only the trace recorded
-- with the open upvalue stores into it; GC steps vary to hit every phase.
local ffi = require("ffi")
jit.opt.start("hotloop=1")

local set, get
local lost = 0
local function fin(p)
  if rawequal(get(), p) then lost = lost + 1 end
end
local function put() set(ffi.gc(ffi.new("int[4]"), fin)) end
local function steps(k)
  local a, b, c, d, e, f, g, h = 0, 0, 0, 0, 0, 0, 0, 0
  for _ = 1, k do collectgarbage("step", 0) end
end

do
  local uv
  set = function(v) uv = v end
  get = function() return uv end
  put(); put(); put(); put()   -- compiles put while uv is open
end

jit.off(true)  -- keep this loop interpreted: put runs its own trace
for round = 1, 300 do
  put()
  steps(1 + round % 7)
  if lost > 0 then
    error(("round %d: a cdata stored into a closed upvalue by a trace was finalized while an upvalue still held it")
      :format(round))
  end
end
