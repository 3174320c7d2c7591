-- pins: LuaJIT#762
-- title: ARM64 interpreter: pcall() with no argument crashes
-- fixed-by: b4b2dce9
-- defect-in: vm
-- fails-on: luajit-src 210.3.1+restycd2285f
-- passes-on: luajit-src 210.3.2+resty1085a4d
-- stress-finds: no, pcall() called with no argument at all (the interpreter's fast-function path); no program calls pcall
-- Prose: pcall() with no argument. The fast function ->ff_pcall in
-- src/vm_arm64.dasc began with `subs NARGS8:RC, NARGS8:RC, #8` and `blo
-- ->fff_fallback`: with no argument the branch to the fallback is taken
-- with RC already decremented, the fallback works from a wrong argument
-- count, and the process dies with SIGSEGV (under QEMU) instead of
-- raising "bad argument #1 to '?' (value expected)". The fix (b4b2dce9,
-- "ARM64: Fix pcall() error case.") compares first and subtracts after
-- the branch. A defect of the interpreter, not of the JIT: the case fails
-- with -joff too. The error must be an ordinary one whether pcall() is
-- called through pcall, from a function, or in a loop.
jit.opt.start("hotloop=1")

local function check(how, ok, err)
  assert(not ok, how .. " succeeded")
  assert(tostring(err):find("value expected", 1, true), how .. " raised " .. tostring(err))
end

check("pcall(pcall)", pcall(pcall))
check("pcall() from a function", pcall(function() return pcall() end))
for i = 1, 10 do
  check(("pcall(pcall) in round %d of a loop"):format(i), pcall(pcall))
end
print("ok")
