-- pins: LuaJIT#1069
-- title: A NaN key reaches IR_NEWREF on a trace
-- fixed-by: 7f9907b4
-- fails-on: luajit-src 210.4.8+resty107baaf
-- passes-on: luajit-src 210.5.0+becf5cc
-- Prose: t[k] = v in a compiled loop that inserts new keys, with a
-- number k that is NaN in a later iteration. The recorder
-- (lj_record_idx in src/lj_record.c) emitted IR_NEWREF for a non-constant
-- number key without checking it: on the trace the NaN reaches
-- lj_tab_newkey(), which raises "table index is NaN" from inside the
-- machine code instead of from the interpreter, and the process dies with
-- SIGSEGV (under QEMU) where the interpreter raises the error that pcall
-- catches. The fix ("Add NaN check to IR_NEWREF.", 7f9907b4) guards the
-- key with `EQ k, k` before the NEWREF, so the trace exits and the
-- interpreter raises the error. Not specific to ARM64 (the recorder's);
-- 210.4.8 with 7f9907b4 alone passes (tried, not kept).
jit.opt.start("hotloop=1")

local function fill(keys)
  local t = {}
  for i = 1, #keys do t[keys[i]] = i end
  return t
end

local keys = {}
for i = 1, 40 do keys[i] = i + 0.5 end
keys[30] = 0 / 0
local results = {}
for round = 1, 4 do
  local ok, err = pcall(fill, keys)
  results[#results + 1] = ok and "no error" or tostring(err):match("table index is NaN") or tostring(err)
end
local n = 0
for _ in pairs(fill({ 1.5, 2.5 })) do n = n + 1 end
for round = 1, 4 do
  if results[round] ~= "table index is NaN" then
    error(("round %d: t[NaN] = v gave %s"):format(round, results[round]))
  end
end
assert(n == 2, "a table filled by the same loop without NaN keys")
print("ok")
