-- pins: LuaJIT-v2.1#stkov-errfunc
-- title: xpcall's handler skipped for a stack overflow raised on a trace
-- fixed-by: 8135de2a
-- fails-with: the error handler of xpcall was not called
-- fails-on: luajit-src 210.4.6+resty2cf5186
-- passes-on: luajit-src 210.4.7+resty107baaf
-- Prose: xpcall() of a runaway recursion (1 + rec(n - 1)), which the JIT
-- compiles as an up-recursion trace. The interpreter raises "stack
-- overflow" and xpcall's handler turns it into the result; compiled, the
-- result is "error in error handling" instead, on every tree from 210.1.1
-- to 210.4.6. Read, not traced: the overflow comes up through a trace
-- exit, where ->vm_exit_interp in src/vm_arm64.dasc rethrows it with
-- lj_err_run() so that the handler is called (e296f56b, "Call error
-- function on rethrow after trace exit."; 210.1.1 is the first tree with
-- it, among much else, and 210.0.0 and 210.1.0 pass: the onset was not
-- bisected, and Debian 12's luajit, upstream of 2022-03, passes).
-- lj_state_growstack (src/lj_state.c) raised the overflow only once the
-- stack was larger than LJ_STACK_MAXEX, so on the exit path the stack
-- reaches exactly that size without the error, and the handler's call then
-- finds it full ("Overflow while handling overflow?", LUA_ERRERR). The fix
-- (8135de2a) raises it at the limit (`>=`); 210.4.6 with that one line
-- passes (tried, not kept). Not specific to ARM64 as far as read.
jit.opt.start("hotloop=1", "hotexit=1")

local function rec(n)
  if n == 0 then return 0 end
  return 1 + rec(n - 1)
end

local ok, r = xpcall(rec, function(e) return "handled: " .. tostring(e) end, 100000)
if ok or not tostring(r):find("handled: .*stack overflow") then
  error("the error handler of xpcall was not called for a stack overflow: got " .. tostring(ok) .. ", " .. tostring(r))
end
print("ok")
