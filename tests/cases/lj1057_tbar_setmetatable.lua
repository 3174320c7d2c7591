-- pins: LuaJIT#1057
-- title: ARM64: the TBAR store fused with the store after its branch target
-- fixed-by: 7cc53f0b
-- fails-on: luajit-src 210.4.8+resty107baaf
-- passes-on: luajit-src 210.5.0+becf5cc
-- A hot loop sets the metatable of one long-lived table twice per round. The
-- loop trace has a table write barrier (TBAR) on 'holder' right before the
-- store of its metatable field. The faulty asm_tbar emits the barrier's 8-byte
-- gclist store as the last instruction before the barrier's end label, and
-- emit_lso, which knows no label but the loop's, fuses it with the metatable
-- store after the label into one STP. When 'holder' is not black the branch
-- skips to the label, lands on that STP and writes whatever the link register
-- holds into gclist. Many live tables and GC steps inside the loop keep the
-- collector propagating, so 'holder' is often gray (its gclist links the gray
-- list) when that happens: the list is cut or points at garbage, and the
-- collector crashes (SIGSEGV) or frees live tables, which the final check reads.
local live = {}
for i = 1, 2000 do live[i] = { i, tostring(i) } end
local holder = {}
local mt = {}
for round = 1, 20000 do
  mt = {}
  setmetatable(holder, {})
  setmetatable(holder, mt)
  if round % 64 == 0 then collectgarbage("step", 1) end
end
collectgarbage("collect")
if getmetatable(holder) ~= mt then
  error("holder lost its last metatable")
end
for i = 1, 2000 do
  local t = live[i]
  if t[1] ~= i or t[2] ~= tostring(i) then
    error("live table " .. i .. " lost its contents")
  end
end
