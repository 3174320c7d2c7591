-- Kills s2-072 (asm_retf: topslot += delta instead of -= on a return to a lower frame).
-- The side trace at the exit of g's loop returns into caller (RETF, delta 108 slots); the
-- mutant then requires ~223 free slots above g's frame instead of ~7, so when g runs within
-- 223 slots of the maximal (65500-slot) stack, the stack check exits and the snapshot restore
-- raises "stack overflow" where the interpreter and the base still fit (depths 694, 695).
local g = function(t) local s = 0 for i = 1, #t do s = s + t[i] end return s end
local caller = assert(load("local g = ...\nreturn function(t)\n local " .. ("x,"):rep(100) ..
  "r = nil\n r = 0\n for j = 1, 2 do r = r + g(t) end\n return r\nend\n"))(g)
local t = {} for i = 1, 30 do t[i] = i end
local acc = 0
for w = 1, 100 do acc = acc + caller(t) end   -- compile g's loop and its exit side trace
local rec = assert(load("local caller, t = ...\nlocal function rec(d)\n local " .. ("y,"):rep(90) ..
  "r = nil\n if d == 0 then return caller(t) end\n r = rec(d-1)\n return r\nend\nreturn rec\n"))(caller, t)
local out = {acc}
for D = 688, 699 do  -- 90+ slots per level: g's frame ends up near the top of the stack
  local ok, v = coroutine.wrap(function() return pcall(rec, D) end)()
  out[#out+1] = D .. ":" .. (ok and v or "err")
end
local s = table.concat(out, " ")
print(s)
return s
