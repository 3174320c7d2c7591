-- pins: LuaJIT#1057
-- A hot loop sets the metatable of one long-lived table twice per round. The
-- loop trace has a table write barrier (TBAR) on 'holder' right before the
-- store of its metatable field. The faulty asm_tbar emits the barrier's 8-byte
-- gclist store as the last instruction before the barrier's end label, and
-- emit_lso, which knows no label but the loop's, fuses it with the metatable
-- store after the label into one STP. When the table is not black the branch
-- skips to the label, lands on that STP and writes an unset register into
-- gclist; the collector follows it and crashes (SIGSEGV).
local holder = {}
local mt = {}
for round = 1, 8000 do
  mt = {}
  setmetatable(holder, {})
  setmetatable(holder, mt)
end
collectgarbage("collect")
if getmetatable(holder) ~= mt then
  error("holder lost its last metatable")
end
