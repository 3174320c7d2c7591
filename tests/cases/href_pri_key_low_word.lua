-- pins: LuaJIT-v2.1#href-pri-key
-- title: ARM64: HREF of true or false compares only the low word of each key
-- fixed-by: e4b4d945
-- fails-with: returned the value of another key
-- fails-on: luajit-src 210.3.0+restyeced77f
-- passes-on: luajit-src 210.3.1+restycd2285f
-- stress-finds: no, a lookup of true or false as a key in a hash part so large that the key's node lies past the 65535 slots HREFK reaches, so the JIT emits HREF with a constant primitive key
-- Prose: a hash lookup of `true` or `false` that the recorder cannot turn
-- into HREFK (the key's node lies beyond the 65535 slots HREFK reaches) is
-- an HREF with a constant primitive key. The faulty asm_href built the tag
-- to compare from the HREF's own type, not the key's, and compared only the
-- low 32 bits of each node's key. A primitive's low word is all ones, so the
-- walk stops at the first node whose key has a low word of all ones: here a
-- number 2^52 + j * 2^32 + 0xffffffff, one of 70,000 in the table. The
-- lookup then returns that number's value, a string like the one sought,
-- so the trace's type guard passes too.
jit.opt.start("hotloop=1")

local t = {}
for j = 0, 69999 do t[2 ^ 52 + j * 2 ^ 32 + 4294967295] = "a number's value" end
t[true] = "true's value"
t[false] = "false's value"

local wrong = {}
for _, key in ipairs({ true, false }) do
  local want = key and "true's value" or "false's value"
  local got = {}
  if key then
    for i = 1, 40 do got[i] = t[true] end
  else
    for i = 1, 40 do got[i] = t[false] end
  end
  for i = 1, 40 do
    if got[i] ~= want then
      wrong[#wrong + 1] = ("t[%s] in a loop returned the value of another key (%q) in round %d")
        :format(tostring(key), tostring(got[i]), i)
      break
    end
  end
end
assert(#wrong == 0, table.concat(wrong, "; "))
print("ok")
