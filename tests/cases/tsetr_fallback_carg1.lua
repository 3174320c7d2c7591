-- pins: LuaJIT-v2.1#tsetr-fallback
-- title: ARM64 interpreter: the TSETR fallback passes the wrong argument
-- fixed-by: ae20998f
-- defect-in: vm
-- fails-on: luajit-src 210.1.0+resty31116c4
-- passes-on: luajit-src 210.1.1+resty29a66f7
-- stress-finds: no, table.move into slots past the destination's array part (BC_TSETR's fallback, in a built-in written in Lua); no program calls table.move
-- Prose: table.move() into slots beyond the destination's array part.
-- BC_TSETR exists only in the built-in functions written in Lua
-- (table.move among them); when the index is outside the array part its
-- fallback ->vmeta_tsetr in src/vm_arm64.dasc calls
-- lj_tab_setinth(L, t, key) without setting CARG1 to L, so the helper
-- gets whatever x0 held and the process dies with SIGSEGV (under QEMU),
-- with or without the JIT. The fix (ae20998f) adds `mov CARG1, L`. A
-- defect of the interpreter: the case fails with -joff too.
local t = { 1 }
local r = table.move(t, 1, 1, 2)
assert(r == t and t[2] == 1, "table.move({1}, 1, 1, 2) did not copy t[1] to t[2]")
local u = {}
for i = 1, 10 do table.move({ i, i + 1, i + 2 }, 1, 3, 5, u) end
assert(u[5] == 10 and u[7] == 12, "table.move into a table without an array part")
print("ok")
