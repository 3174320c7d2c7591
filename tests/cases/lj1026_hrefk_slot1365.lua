-- pins: LuaJIT#1026
-- title: ARM64: HREFK of a hash slot past the load offset range
-- fixed-by: 8fbd576f
-- fails-with: t[K] = v on a table without K
-- fails-on: luajit-src 210.4.6+resty2cf5186
-- passes-on: luajit-src 210.4.7+resty107baaf
-- stress-finds: no, a compiled store t[K] = v under a constant key that sits in node 1365 of a 2048-node hash part, on a table that lacks K, so that the HREFK's key load is at offset 32768
-- Prose: a full 2048-slot hash table whose key K sits in node 1365, and a
-- compiled loop storing t[K] = v. The HREFK guard loads the key of that node
-- at node + 1365*24 + 8 = node + 32768. The faulty asm_hrefk checks the range
-- of the node offset (32760, fine for LDR) instead of the key offset (32768,
-- not encodable), so the load is emitted as LDUR at offset 32768 & 0x1ff = 0:
-- the guard compares K with node[0].val. The same trace then runs on a
-- second table of the same size that does not hold K but whose node 0 has the
-- value K: the guard passes and the store lands on whatever key node 1365
-- holds there, instead of inserting K.
jit.opt.start("hotloop=1")

local function fill(skip, extra)
  local t = {}
  for n = 1, 2048 do
    local key = "key" .. n
    if key == skip then key = extra end
    t[key] = 0
  end
  return t
end
local function nodes(t)  -- keys in node order (next walks the hash part in order)
  local list, k = {}, next(t)
  while k ~= nil do list[#list + 1] = k; k = next(t, k) end
  return list
end

local t1 = fill()
local order1 = nodes(t1)
assert(#order1 == 2048)
local K = order1[1366]                       -- node 1365 of t1
local t2 = fill(K, "spare")                  -- 2048 keys, K not among them
local order2 = nodes(t2)
assert(#order2 == 2048 and t2[K] == nil)
local victim = order2[1366]                  -- whatever node 1365 holds in t2
t1[order1[1]] = K                            -- node 0 values: the string K
t2[order2[1]] = K

local set = assert(loadstring(("return function(t, v) t[%q] = v end"):format(K)))()
local function run(t, base)
  for i = 1, 40 do set(t, base + i) end
end
run(t1, 0)
run(t2, 100)

local wrong = {}
if t1[K] ~= 40 then
  wrong[#wrong + 1] = ("t[K] = v on the table holding K: expected 40, got %s"):format(tostring(t1[K]))
end
if t2[K] ~= 140 then
  wrong[#wrong + 1] = ("t[K] = v on a table without K: expected t[K] == 140, got %s (t[%q] is %s)")
    :format(tostring(t2[K]), victim, tostring(t2[victim]))
end
if victim ~= order2[1] and t2[victim] ~= 0 then
  wrong[#wrong + 1] = ("t[K] = v on a table without K changed t[%q] to %s"):format(victim, tostring(t2[victim]))
end
if #wrong > 0 then error(table.concat(wrong, "; ")) end
